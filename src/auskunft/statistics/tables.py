"""The figures of past months, kept once computed (a year's page reads 12 rows, not the
year's quarter of a million calls and contacts)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class FigureMonth(Base):
    """One kind of figures of one past month, per day, as JSON; dropped whenever a call or
    contact of that month is stored or changed (the CallsStored and ContactsChanged
    events, in the same transaction), and computed again at the next read."""

    __tablename__ = "figure_months"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # its first day
    params: Mapped[str] = mapped_column(String(80), primary_key=True)  # the definition used
    payload: Mapped[str] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime())
