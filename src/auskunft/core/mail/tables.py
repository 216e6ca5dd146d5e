"""E-mails a background job has handed to the mail server (the outbox's memory)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class MailHandover(Base):
    """One e-mail of one job, accepted by the mail server.

    `key` names the mail within its job (`job-<id>:<digest of recipient and subject>:<n>`),
    so a job run again after its worker died sends only what was not handed over yet;
    `message_id` is the Message-ID it went out with, the same on every try. Kept as
    long as finished jobs are (`AUSKUNFT_JOB_RETENTION_DAYS`).
    """

    __tablename__ = "mail_handovers"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(250))
    handed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
