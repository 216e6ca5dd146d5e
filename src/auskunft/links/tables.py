"""Tables of the link checker: one row per distinct link of the published services, and
one row of the checker's own state (catalog revision seen, the round's lease, last round)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from auskunft.core.db.base import Base, UtcDateTime


class LinkCheck(Base):
    """A link (online service or form) and what its checks found.

    `id` is the SHA-256 of the address, so an address of any length has a short key.
    `uses` names the services that carry it: [{"service", "where", "title"}].
    """

    __tablename__ = "link_checks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    uses: Mapped[list[Any]] = mapped_column(default=list)
    state: Mapped[str] = mapped_column(String(12), index=True)  # links.model.status.STATES
    status_code: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(20), default="")
    detail: Mapped[str] = mapped_column(String(300), default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_ok_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_check_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LinkCheckState(Base):
    """The checker's one row (id 1)."""

    __tablename__ = "link_check_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The catalog revision whose links are in link_checks (-1: none read yet).
    catalog_revision: Mapped[int] = mapped_column(Integer, default=-1)
    # A round holds this lease, so two workers (or a worker and the CLI) never check at once.
    running_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_round_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_round_checked: Mapped[int] = mapped_column(Integer, default=0)
    last_round_seconds: Mapped[float] = mapped_column(Float, default=0.0)
