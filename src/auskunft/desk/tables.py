"""The contact log of the agent desk."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class Contact(Base):
    """One contact with a citizen (a call, a visit, an e-mail), without personal data."""

    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(
            "channel in ('115', 'local', 'counter', 'email')", name="ck_contact_channel"
        ),
        CheckConstraint(
            "outcome in ('answered', 'appointment', 'forwarded', 'other')",
            name="ck_contact_outcome",
        ),
        CheckConstraint("ended_at >= started_at", name="ck_contact_times"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    service_id: Mapped[str | None] = mapped_column(String(120), index=True)
    municipality: Mapped[str | None] = mapped_column(String(80))
    outcome: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(String(20), default="desk")
    # The concern the contact was forwarded as (outcome "forwarded" from the desk's form).
    concern_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # The telephone system's call this contact was (issue 14): joins call and contact.
    call_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # The local day (Europe/Berlin) it started, as the reports group it.
    local_day: Mapped[date | None] = mapped_column(Date, index=True)
    # The caller's series of calls (telephony's caller_thread, which names nobody) and
    # whether the same caller called again about the same service within 7 days: what
    # makes first-contact resolution measured rather than self-reported.
    caller_thread: Mapped[str | None] = mapped_column(String(64), index=True)
    called_again: Mapped[bool] = mapped_column(Boolean, default=False)
