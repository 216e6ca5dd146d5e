"""Tables of the editorial work: the open draft of a service (one per service)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class Draft(Base):
    """The open change of a service, from the first save to its publication.

    `version` continues the service's own counter (a draft of version 7 saved twice is
    9), so a stale save is recognised whether it was based on the published record or
    on an earlier state of the draft; publishing gives the service the draft's number.
    """

    __tablename__ = "service_drafts"

    service_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    new: Mapped[bool] = mapped_column(Boolean, default=False)
    participant_id: Mapped[str] = mapped_column(String(80), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)  # draft, review, scheduled
    record: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(Integer)
    base_version: Mapped[int | None] = mapped_column(Integer)
    # Everybody who saved the draft: none of them may approve it.
    editors: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    publish_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Gap(Base):
    """A question that found nothing (or nothing the asker opened), gathered per
    normalised text and channel; its text is shown only once 3 sessions asked it."""

    __tablename__ = "content_gaps"
    __table_args__ = (UniqueConstraint("query", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    query: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20))  # portal, desk
    reason: Mapped[str] = mapped_column(String(20))  # no_result, not_opened, unanswered
    count: Mapped[int] = mapped_column(Integer, default=0)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # What an editor did about it: the service the query was added to.
    service_id: Mapped[str | None] = mapped_column(String(120))
    handled_by: Mapped[str | None] = mapped_column(String(120))
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class GapSession(Base):
    """Which (hashed, daily keyed) sessions asked a gap's question: only to count them."""

    __tablename__ = "content_gap_sessions"

    gap_id: Mapped[int] = mapped_column(
        ForeignKey("content_gaps.id", ondelete="CASCADE"), primary_key=True
    )
    session: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen: Mapped[datetime] = mapped_column(UtcDateTime())


class PendingSearch(Base):
    """A portal search with results, waiting to see whether the visitor opens one (30
    minutes); then dropped, or counted as a gap ("not_opened")."""

    __tablename__ = "pending_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session: Mapped[str] = mapped_column(String(32), index=True)
    query: Mapped[str] = mapped_column(String(200))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    opened: Mapped[bool] = mapped_column(Boolean, default=False)
