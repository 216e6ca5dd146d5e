"""Proofs of work already accepted: each counts once, until it expires."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class SpentChallenge(Base):
    """A proof of work a form accepted (the concern form, a throttled login)."""

    __tablename__ = "spent_challenges"

    signature: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
