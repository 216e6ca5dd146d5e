"""The calls of the telephone system, and the day keys that make callers recognisable
for a week and never again."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class Call(Base):
    """One call as the queue saw it; the caller only as a keyed hash (`caller_key`).

    `caller_thread` is the call id of the first call of a series by the same caller, each
    within 7 days of the one before; it outlives the key and says nothing about who called.
    """

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("channel is null or channel in ('115', 'local')", name="ck_call_channel"),
        CheckConstraint("state in ('waiting', 'talking', 'ended')", name="ck_call_state"),
        CheckConstraint(
            "result is null or result in "
            "('answered', 'transferred', 'abandoned', 'timeout', 'empty', 'key')",
            name="ck_call_result",
        ),
        CheckConstraint("wait_s is null or wait_s >= 0", name="ck_call_wait"),
        CheckConstraint("talk_s is null or talk_s >= 0", name="ck_call_talk"),
        Index("ix_calls_entered", "entered_at", "channel"),
        Index("ix_calls_local_day", "local_day", "channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(String(64), unique=True)
    queue: Mapped[str] = mapped_column(String(80))
    did: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), index=True)
    result: Mapped[str | None] = mapped_column(String(12))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime())
    agent: Mapped[str | None] = mapped_column(String(80), index=True)
    wait_s: Mapped[int | None] = mapped_column(Integer)
    talk_s: Mapped[int | None] = mapped_column(Integer)
    rang_unanswered: Mapped[int] = mapped_column(Integer, default=0)
    queues_entered: Mapped[int] = mapped_column(Integer, default=1)
    caller_key: Mapped[str | None] = mapped_column(String(64))
    key_day: Mapped[date | None] = mapped_column(Date)
    caller_thread: Mapped[str | None] = mapped_column(String(64), index=True)
    # The caller's telephone network (area code without the 0, e.g. "561"), not the number:
    # it suggests the caller's municipality on the desk.
    area_code: Mapped[str | None] = mapped_column(String(5))
    source: Mapped[str] = mapped_column(String(10), default="import")
    # When it entered, as the reports group it: the day and half hour (0-47) of local
    # wall-clock time in Europe/Berlin.
    local_day: Mapped[date] = mapped_column(Date)
    local_slot: Mapped[int] = mapped_column(SmallInteger)


Index("ix_calls_caller", Call.key_day, Call.caller_key)


class CallerKey(Base):
    """The secret of one day (Europe/Berlin) for the callers' hashes; deleted after 7 days."""

    __tablename__ = "caller_keys"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AgentPresence(Base):
    """An agent logged in to a queue (queue "" for a login to every queue), from the live
    events ADDMEMBER/REMOVEMEMBER, AGENTLOGIN/AGENTLOGOFF and PAUSE/UNPAUSE."""

    __tablename__ = "agent_presence"

    agent: Mapped[str] = mapped_column(String(80), primary_key=True)
    queue: Mapped[str] = mapped_column(String(80), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[datetime] = mapped_column(UtcDateTime())


class AgentLink(Base):
    """Which staff account answers as which agent of the telephone system (for the screen
    pop); without a link, an agent named like the account ("anna", "Agent/anna") is it."""

    __tablename__ = "agent_links"

    agent: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), unique=True
    )
