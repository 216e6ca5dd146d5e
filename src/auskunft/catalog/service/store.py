"""Writing catalog entries with a version history; shared by every importer and editor."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from auskunft.catalog import tables as t
from auskunft.catalog.model.entities import ServiceDraft, diff_fields
from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import WeeklyHours


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _row_values(row: t.Service) -> dict[str, Any]:
    values: dict[str, Any] = {name: getattr(row, name, None) for name in ServiceDraft.TRACKED}
    values["topic"] = row.topic_id or ""
    values["participant"] = row.participant_id
    return values


def save_service(uow: UnitOfWork, draft: ServiceDraft, *, changed_by: str) -> str:
    """Create or update a service; return 'created', 'updated' or 'unchanged'.

    Every change is recorded as a new version (who, when, which fields from
    what to what), so an editor can see how an answer came to be.
    """
    now = datetime.now(UTC)
    new_values = asdict(draft)
    row = uow.repo(CatalogRepository).service(draft.id)
    if row is None:
        row = t.Service(id=draft.id, version=1, updated_at=now)
        _apply(row, draft)
        uow.repo(CatalogRepository).add(row)
        uow.repo(CatalogRepository).add_version(
            draft.id, 1, at=now, by=changed_by, changes={"created": [None, draft.name]}
        )
        return "created"
    changes = diff_fields(_row_values(row), new_values)
    if not changes:
        return "unchanged"
    _apply(row, draft)
    row.version += 1
    row.updated_at = now
    uow.repo(CatalogRepository).add_version(
        draft.id,
        row.version,
        at=now,
        by=changed_by,
        changes={k: [_jsonable(v) for v in pair] for k, pair in changes.items()},
    )
    return "updated"


def _apply(row: t.Service, draft: ServiceDraft) -> None:
    row.participant_id = draft.participant
    row.topic_id = draft.topic or None
    for name in ServiceDraft.TRACKED:
        if name in ("topic", "participant"):
            continue
        setattr(row, name, getattr(draft, name))
    row.source = draft.source


def save_authority(uow: UnitOfWork, data: dict[str, Any]) -> None:
    """Create or replace an authority with its kinds, areas and weekly hours."""
    hours = WeeklyHours.from_mapping(data.get("hours")).to_mapping()
    row = uow.repo(CatalogRepository).authority(data["id"])
    if row is None:
        row = t.Authority(id=data["id"])
        uow.repo(CatalogRepository).add(row)
    row.name = data["name"]
    row.participant_id = data["participant"]
    for name in ("street", "postcode", "city", "phone", "email", "web", "note"):
        setattr(row, name, str(data.get(name, "") or ""))
    row.opening_hours = hours
    # What only editors keep (closure days, the concern inbox) stays unless the source has it.
    if "concern_email" in data:
        row.concern_email = str(data["concern_email"] or "")
    if "closures" in data:
        row.closures = list(data["closures"] or [])
    row.demo = bool(data.get("demo", False))
    # Keep unchanged link rows: replacing them wholesale would insert a row
    # before its twin with the same key is deleted.
    kinds = set(data["kinds"])
    row.kinds = [k for k in row.kinds if k.kind in kinds] + [
        t.AuthorityKind(authority_id=row.id, kind=k)
        for k in sorted(kinds - {k.kind for k in row.kinds})
    ]
    areas = set(data["areas"])
    row.areas = [a for a in row.areas if a.area_id in areas] + [
        t.AuthorityArea(authority_id=row.id, area_id=a)
        for a in sorted(areas - {a.area_id for a in row.areas})
    ]
