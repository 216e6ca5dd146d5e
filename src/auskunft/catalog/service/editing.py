"""What the editorial slice reads and writes of the catalog: a service as its editable
record, publication of a record as a new version, unpublishing, the reviewed date.

Every publication bumps the catalog's revision (each process's search picks it up within
its revision check) and names the service in `catalog.service_changed` so its dense
vectors are recomputed in the background.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select, update

from auskunft.catalog import tables as t
from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.uow import UnitOfWork

# The record's fields stored as columns of the same name.
_COLUMNS = (
    "name", "name_en", "summary", "summary_en", "description", "description_en",
    "appointment", "duration_minutes", "prerequisites", "documents", "fees",
    "processing_time", "deadlines", "legal_basis", "online_service", "leika", "keywords",
    "questions", "forms", "links", "editor", "review_months",
)  # fmt: skip


def _repo(uow: UnitOfWork) -> CatalogRepository:
    return uow.repo(CatalogRepository)


def record_of(uow: UnitOfWork, row: t.Service) -> dict[str, Any]:
    """The published service as an editable record (fees as stored lines)."""
    record: dict[str, Any] = {name: getattr(row, name) for name in _COLUMNS}
    record["topic"] = row.topic_id or ""
    record["kind"] = row.kind
    record["participant"] = row.participant_id
    record["jurisdiction"] = [
        {"area": r.area_id, "authority": r.authority_id}
        for r in uow.session.scalars(
            select(t.ServiceResponsibility)
            .where(t.ServiceResponsibility.service_id == row.id)
            .order_by(t.ServiceResponsibility.area_id)
        )
    ]
    for name in ("prerequisites", "documents", "fees", "legal_basis", "keywords", "questions",
                 "forms", "links"):  # fmt: skip
        record[name] = list(record[name] or [])
    record["review_months"] = record["review_months"] or 12
    return record


def publish_record(
    uow: UnitOfWork,
    service_id: str,
    record: dict[str, Any],
    *,
    version: int,
    author: str,
    reviewer: str,
    now: datetime | None = None,
) -> dict[str, list[Any]]:
    """Store a checked record as the published service at `version`; return what changed
    ({field: [old, new]}). A new service is created; an unpublished one is published."""
    now = now or datetime.now(UTC)
    repo = _repo(uow)
    row = repo.service(service_id)
    before: dict[str, Any] = {} if row is None else record_of(uow, row)
    if row is None:
        row = t.Service(id=service_id, source="editorial", demo=False)
        repo.add(row)
    for name in _COLUMNS:
        setattr(row, name, record.get(name))
    row.topic_id = record.get("topic") or None
    row.kind = record["kind"]
    row.participant_id = record["participant"]
    row.published = True
    row.version = version
    row.updated_at = now
    row.last_reviewed = now.date()
    uow.session.flush()
    uow.session.execute(
        delete(t.ServiceResponsibility).where(t.ServiceResponsibility.service_id == service_id)
    )
    for pair in record.get("jurisdiction", []):
        repo.add(
            t.ServiceResponsibility(
                service_id=service_id, area_id=pair["area"], authority_id=pair["authority"]
            )
        )
    changes = {
        name: [before.get(name), record.get(name)]
        for name in record
        if before.get(name) != record.get(name)
    }
    if not before:
        changes = {"created": [None, record["name"]], **changes}
    repo.add_version(
        service_id, version, at=now, by=author, reviewed_by=reviewer, changes=changes,
        record=record,
    )  # fmt: skip
    repo.bump_revision("services", [service_id])
    return changes


def set_published(uow: UnitOfWork, service_id: str, published: bool, *, by: str) -> bool:
    """Take a service off the portal and the search (or put it back); False: no change."""
    row = _repo(uow).service(service_id)
    if row is None or row.published == published:
        return False
    row.published = published
    row.version += 1
    row.updated_at = datetime.now(UTC)
    _repo(uow).add_version(
        service_id,
        row.version,
        at=row.updated_at,
        by=by,
        changes={"published": [not published, published]},
        record=record_of(uow, row),
    )
    _repo(uow).bump_revision("services", [service_id])
    return True


def mark_reviewed(uow: UnitOfWork, service_id: str, *, by: str, today: date) -> None:
    """ "Reviewed, unchanged": the service's review date moves to today (not a version)."""
    row = _repo(uow).service(service_id)
    if row is not None:
        row.last_reviewed = today
        row.reviewed_by = by


def versions(uow: UnitOfWork, service_id: str) -> list[t.ServiceVersion]:
    return list(_repo(uow).versions(service_id))


def version(uow: UnitOfWork, service_id: str, number: int) -> t.ServiceVersion | None:
    found: t.ServiceVersion | None = uow.session.scalar(
        select(t.ServiceVersion).where(
            t.ServiceVersion.service_id == service_id, t.ServiceVersion.version == number
        )
    )
    return found


# -- authorities ---------------------------------------------------------------------
# The fields of an authority that editors keep (the rest is the jurisdiction's).
OFFICE_COLUMNS = ("name", "street", "postcode", "city", "phone", "email", "concern_email",
                  "web", "note", "opening_hours")  # fmt: skip


def office_of(row: t.Authority) -> dict[str, Any]:
    """An authority as its editable record."""
    record: dict[str, Any] = {name: getattr(row, name) for name in OFFICE_COLUMNS}
    record["opening_hours"] = dict(row.opening_hours or {})
    record["closures"] = list(row.closures or [])
    return record


def save_office(
    uow: UnitOfWork, authority_id: str, record: dict[str, Any], *, based_on: int
) -> bool:
    """Store a checked record as the authority's new state, if it is still at version
    `based_on` (False: somebody saved in between; nothing stored)."""
    values = {name: record[name] for name in OFFICE_COLUMNS}
    done = uow.session.execute(
        update(t.Authority)
        .where(t.Authority.id == authority_id, t.Authority.version == based_on)
        .values(**values, closures=record["closures"], version=based_on + 1)
        .execution_options(synchronize_session="fetch")
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        return False
    _repo(uow).bump_revision("offices")
    return True
