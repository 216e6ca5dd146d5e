"""The audit log within a unit of work."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select, text, update
from sqlalchemy.orm import Session

from auskunft.audit import tables as t


@dataclass(frozen=True)
class Filter:
    """Which entries to list (all None: every entry)."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditRepository:
    """Append, read and prune the audit log."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def serialize_appends(self) -> None:
        """Make concurrent appends wait for each other until their transactions end, so
        the chain has one order (PostgreSQL: an advisory lock; SQLite writes one at a
        time anyway, and the insert below takes its write lock)."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('auskunft.audit'))"))

    def add_unchained(self, entry: t.AuditEntry) -> None:
        self.session.add(entry)
        self.session.flush()

    def previous_hash(self, entry_id: int) -> str | None:
        query = (
            select(t.AuditEntry.hash)
            .where(t.AuditEntry.id < entry_id)
            .order_by(t.AuditEntry.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def seal(self, entry_id: int, previous: str, digest: str) -> None:
        self.session.execute(
            update(t.AuditEntry)
            .where(t.AuditEntry.id == entry_id)
            .values(prev_hash=previous, hash=digest)
            .execution_options(synchronize_session=False)
        )

    def page(self, where: Filter, *, before_id: int | None, limit: int) -> Sequence[t.AuditEntry]:
        """Newest first, at most `limit`, older than `before_id` when given."""
        query = self._filtered(select(t.AuditEntry), where)
        if before_id is not None:
            query = query.where(t.AuditEntry.id < before_id)
        return self.session.scalars(query.order_by(t.AuditEntry.id.desc()).limit(limit)).all()

    def count(self, where: Filter) -> int:
        query = self._filtered(select(func.count()).select_from(t.AuditEntry), where)
        return int(self.session.scalar(query) or 0)

    def in_order(self, where: Filter | None = None, batch: int = 2000) -> Iterator[t.AuditEntry]:
        """Every entry (matching), oldest first, read in batches."""
        last = 0
        while True:
            query = select(t.AuditEntry).where(t.AuditEntry.id > last)
            if where is not None:
                query = self._filtered(query, where)
            rows = self.session.scalars(query.order_by(t.AuditEntry.id).limit(batch)).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].id
            self.session.expunge_all()

    def last_before(self, moment: datetime) -> t.AuditEntry | None:
        query = (
            select(t.AuditEntry)
            .where(t.AuditEntry.at < moment)
            .order_by(t.AuditEntry.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def delete_through(self, entry_id: int) -> int:
        result = self.session.execute(delete(t.AuditEntry).where(t.AuditEntry.id <= entry_id))
        return int(result.rowcount)  # type: ignore[attr-defined]

    @staticmethod
    def _filtered(query: Select, where: Filter) -> Select:  # type: ignore[type-arg]
        e = t.AuditEntry
        if where.actor:
            query = query.where(e.actor == where.actor)
        if where.action:
            query = query.where(e.action == where.action)
        if where.object_type:
            query = query.where(e.object_type == where.object_type)
        if where.object_id:
            query = query.where(e.object_id == where.object_id)
        if where.since is not None:
            query = query.where(e.at >= where.since)
        if where.until is not None:
            query = query.where(e.at < where.until)
        return query
