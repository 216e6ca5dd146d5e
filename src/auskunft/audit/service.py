"""The audit log's use cases: append (the listener of `core.audit.StaffActed`), list,
export, verify the chain, and delete what is past its retention."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from auskunft.audit import tables as t
from auskunft.audit.model.chain import GENESIS, Fields, digest
from auskunft.audit.repository import AuditRepository, Filter
from auskunft.core.audit import StaffActed
from auskunft.core.db.uow import UnitOfWork

PAGE = 100
PRUNED = "audit.pruned"
_PRUNED_DETAIL = re.compile(r"^through=(\d+) hash=([0-9a-f]{64}) ")


def _now() -> datetime:
    return datetime.now(UTC)


def _fields(row: t.AuditEntry) -> Fields:
    return Fields(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        client=row.client,
        detail=row.detail,
    )


def append(uow: UnitOfWork, event: StaffActed, now: datetime | None = None) -> int:
    """Write the event as the next entry of the chain, in the caller's transaction."""
    repo = uow.repo(AuditRepository)
    repo.serialize_appends()
    moment = (now or _now()).astimezone(UTC)
    row = t.AuditEntry(
        at=moment.replace(microsecond=moment.microsecond // 1000 * 1000),
        actor_id=event.actor_id,
        actor=event.actor,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        client=event.client,
        detail=event.detail,
        prev_hash="",
        hash="",
    )
    repo.add_unchained(row)  # the insert takes SQLite's write lock before the read below
    previous = repo.previous_hash(row.id) or GENESIS
    repo.seal(row.id, previous, digest(previous, _fields(row)))
    return row.id


def on_staff_acted(uow: UnitOfWork, event: StaffActed) -> None:
    """The listener (in the publisher's transaction)."""
    append(uow, event)


@dataclass(frozen=True)
class Entry:
    """An entry as the pages, the API and the export show it."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    client: str
    detail: str
    hash: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "client": self.client,
            "detail": self.detail,
            "hash": self.hash,
        }


def _entry(row: t.AuditEntry) -> Entry:
    return Entry(
        row.id,
        row.at,
        row.actor,
        row.action,
        row.object_type,
        row.object_id,
        row.client,
        row.detail,
        row.hash,
    )


def listing(
    uow: UnitOfWork, where: Filter, before_id: int | None = None, limit: int = PAGE
) -> tuple[list[Entry], int]:
    """A page of entries, newest first, and how many match in all."""
    repo = uow.repo(AuditRepository)
    rows = repo.page(where, before_id=before_id, limit=limit)
    return [_entry(r) for r in rows], repo.count(where)


COLUMNS = ("id", "at", "actor", "action", "object_type", "object_id", "client", "detail", "hash")


def export_csv(uow: UnitOfWork, where: Filter) -> Iterator[str]:
    """The matching entries, oldest first, as CSV lines (`;`, UTF-8 with BOM, as German
    spreadsheet programs open it)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow(COLUMNS)
    yield out.getvalue()
    for row in uow.repo(AuditRepository).in_order(where):
        out.seek(0)
        out.truncate()
        values = _entry(row).as_json()
        writer.writerow([_cell(values[c]) for c in COLUMNS])
        yield out.getvalue()


def _cell(value: object) -> str:
    """A value for a spreadsheet cell; a leading = + - @ is quoted away (formula injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class Verification:
    """The outcome of checking the chain; `head` is the newest entry's hash (keep it
    elsewhere, e.g. in the operator's daily mail, to notice entries cut off the end)."""

    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str = ""
    head: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken": self.first_broken,
            "reason": self.reason,
            "head": self.head,
        }


def verify(uow: UnitOfWork) -> Verification:
    """Recompute every hash in order; the first entry that does not fit, if any.

    The oldest entry left links to GENESIS, or (after retention deleted older ones) to
    the hash that the newest `audit.pruned` entry names for the last deleted entry.
    """
    previous: str | None = None
    checked = 0
    anchor: str | None = None
    first_id: int | None = None
    for row in uow.repo(AuditRepository).in_order():
        if previous is None:
            first_id = row.id
            previous = row.prev_hash
            if previous != GENESIS:
                anchor = previous
        if row.prev_hash != previous:
            return Verification(False, checked, row.id, "prev_hash")
        if digest(previous, _fields(row)) != row.hash:
            return Verification(False, checked, row.id, "hash")
        if row.action == PRUNED and anchor is not None:
            found = _PRUNED_DETAIL.match(row.detail)
            if found and found.group(2) == anchor:
                anchor = None  # the cut is accounted for
        previous = row.hash
        checked += 1
    if anchor is not None:
        return Verification(False, checked, first_id, "start")
    return Verification(True, checked, head=previous or GENESIS)


def prune(uow: UnitOfWork, retention_days: int, now: datetime) -> int:
    """Delete the entries older than the retention; the cut is recorded as an entry that
    names the last deleted one, so the chain stays checkable. The caller commits."""
    repo = uow.repo(AuditRepository)
    last = repo.last_before(now - timedelta(days=retention_days))
    if last is None:
        return 0
    through, cut = last.id, last.hash
    append(
        uow,
        StaffActed(
            action=PRUNED,
            object_type="audit",
            object_id=str(through),
            actor_id=None,
            actor="system",
            detail=f"through={through} hash={cut} retention_days={retention_days}",
        ),
        now,
    )
    return repo.delete_through(through)


def prune_task(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """The worker's periodic task."""
    with UnitOfWork(engine) as uow:
        deleted = prune(uow, settings.audit_retention_days, now)
        uow.commit()
    return {"audit_deleted": deleted} if deleted else {}
