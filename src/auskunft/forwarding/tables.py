"""Tables of forwarding: concerns, their history, who opened them, the offices' promises,
and the days the service center closes besides public holidays."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class ServiceClosure(Base):
    """A day without service time (a staff outing, a move): the feedback clock skips it."""

    __tablename__ = "service_closures"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Concern(Base):
    """A concern (Anliegen) forwarded to the office responsible, until the citizen hears back.

    Name, contact details, the question and the texts of its steps are personal data:
    blanked `concern_retention_days` after closing (`purged_at`), the rest stays for the
    figures.
    """

    __tablename__ = "concerns"
    __table_args__ = (
        CheckConstraint(
            "status in ('forwarded', 'in_progress', 'waiting_for_citizen', 'returned', "
            "'answered', 'closed')",
            name="ck_concern_status",
        ),
        CheckConstraint(
            "channel in ('115', 'local', 'email', 'web', 'counter', 'letter')",
            name="ck_concern_channel",
        ),
        # The inbox and the escalation pass: open concerns of an office by due time.
        Index("ix_concerns_authority_due", "authority_id", "status", "due_at"),
        Index("ix_concerns_status_due", "status", "due_at"),
        Index("ix_concerns_remind_claim", "status", "reminded_at", "remind_at"),
        Index("ix_concerns_due_claim", "status", "escalated_at", "due_at"),
        Index("ix_concerns_closed", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(24), default="forwarded")
    channel: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(20), default="api")
    service_id: Mapped[str | None] = mapped_column(String(120))
    municipality: Mapped[str | None] = mapped_column(String(80))
    authority_id: Mapped[str] = mapped_column(String(120))
    taken_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    # Personal data (blanked on schedule).
    question: Mapped[str] = mapped_column(Text, default="")
    citizen_name: Mapped[str] = mapped_column(String(200), default="")
    # Indexed for the search of a person's data (privacy slice): the blank values of
    # purged concerns lie outside the range it reads.
    citizen_email: Mapped[str] = mapped_column(String(254), default="", index=True)
    citizen_phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    callback: Mapped[str] = mapped_column(String(200), default="")
    answer_text: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    preferred: Mapped[str] = mapped_column(String(10), default="email")
    language: Mapped[str] = mapped_column(String(5), default="de")
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The clock.
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    feedback_hours: Mapped[int] = mapped_column(Integer, default=24)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    paused_seconds_left: Mapped[int | None] = mapped_column(Integer)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer_via: Mapped[str | None] = mapped_column(String(10))
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    verdict: Mapped[str | None] = mapped_column(String(10))
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The signed single-use answer link of an office without accounts: its current nonce.
    link_nonce: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConcernStep(Base):
    """One line of a concern's history: appended, never rewritten."""

    __tablename__ = "concern_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    concern_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("concerns.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(24))
    actor_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(120), default="")
    authority_id: Mapped[str | None] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text, default="")  # personal: blanked with the concern


class ConcernAccess(Base):
    """A staff member opened a concern's personal data (shown to supervisors)."""

    __tablename__ = "concern_access"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    concern_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("concerns.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    username: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    via: Mapped[str] = mapped_column(String(10))  # page | api


class ConcernOffice(Base):
    """What an office promises beyond the default: its own feedback hours."""

    __tablename__ = "concern_offices"

    authority_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    feedback_hours: Mapped[int] = mapped_column(Integer)
