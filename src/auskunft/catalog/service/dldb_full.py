"""Import an export of this product (`auskunft export --format dldb`): the DLDB entries with
their `x-auskunft` extension, and the catalog they refer to, as they were exported.

Checked whole before anything is written; written in the caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete

from auskunft.catalog import tables as t
from auskunft.catalog.repository import CatalogRepository
from auskunft.catalog.service.dldb_export import FORMAT, LOCATION_FIELDS, SERVICE_FIELDS
from auskunft.catalog.service.store import save_authority
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import ImportFailed


def is_full_export(raw: Any) -> bool:
    return isinstance(raw, dict) and isinstance(raw.get("x-auskunft"), dict)


def _fail(where: str, problem: str) -> ImportFailed:
    return ImportFailed(
        f"{where}: {problem}. Es wurde nichts importiert.",
        message_en=f"{where}: {problem}. Nothing was imported.",
    )


def _check(raw: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    catalog = raw["x-auskunft"]
    if catalog.get("format") != FORMAT:
        raise _fail("x-auskunft.format", f"unbekanntes Format {str(catalog.get('format'))[:40]!r}")
    for key in ("participants", "areas", "topics", "authorities", "locations"):
        if not isinstance(catalog.get(key), list) or not all(
            isinstance(x, dict) and isinstance(x.get("id"), str) for x in catalog[key]
        ):
            raise _fail(f"x-auskunft.{key}", "Liste von Objekten mit id erwartet")
    entries = raw.get("data")
    if not isinstance(entries, list):
        raise _fail("data", "Liste erwartet")
    records = []
    areas = {a["id"] for a in catalog["areas"]}
    authorities = {a["id"] for a in catalog["authorities"]}
    locations = {loc["id"] for loc in catalog["locations"]}
    participants = {p["id"] for p in catalog["participants"]}
    topics = {x["id"] for x in catalog["topics"]}
    for n, entry in enumerate(entries):
        record = entry.get("x-auskunft") if isinstance(entry, dict) else None
        where = f"data[{n}]"
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise _fail(where, "x-auskunft mit id fehlt")
        if record.get("participant") not in participants:
            raise _fail(where, "unbekannter Teilnehmer")
        if record.get("topic") and record["topic"] not in topics:
            raise _fail(where, "unbekanntes Thema")
        for pair in record.get("jurisdiction") or []:
            if pair.get("area") not in areas or pair.get("authority") not in authorities:
                raise _fail(where, "Zuständigkeit nennt unbekanntes Gebiet oder Behörde")
        for link in record.get("locations") or []:
            if link.get("location") not in locations:
                raise _fail(where, "unbekannter Standort")
        records.append(record)
    return catalog, records


def import_full(uow: UnitOfWork, raw: dict[str, Any], *, changed_by: str) -> dict[str, int]:
    """Write the exported catalog; return counts of created and updated services."""
    catalog, records = _check(raw)
    repo = uow.repo(CatalogRepository)
    for p in catalog["participants"]:
        repo.merge(t.Participant(id=p["id"], name=p["name"], kind=p["kind"], web=p.get("web")))
    by_id = {a["id"]: a for a in catalog["areas"]}

    def depth(area_id: str, seen: int = 0) -> int:
        parent = by_id[area_id].get("parent")
        return 0 if not parent or parent not in by_id or seen > 20 else 1 + depth(parent, seen + 1)

    for a in sorted(catalog["areas"], key=lambda a: depth(a["id"])):
        repo.merge(
            t.Area(id=a["id"], name=a["name"], type=a["type"], parent_id=a.get("parent"),
                   ags=a.get("ags"))
        )  # fmt: skip
        repo.flush()
    for x in catalog["topics"]:
        repo.merge(t.Topic(id=x["id"], name=x["name"], name_en=x.get("name_en", "")))
    repo.flush()
    for a in catalog["authorities"]:
        save_authority(uow, {**a, "hours": a.get("opening_hours")})
    repo.flush()
    for loc in catalog["locations"]:
        repo.merge(t.Location(id=loc["id"], **{k: loc.get(k) for k in LOCATION_FIELDS}))
    repo.flush()
    now = datetime.now(UTC)
    counts = {"created": 0, "updated": 0}
    for record in records:
        row = repo.service(record["id"])
        if row is None:
            row = t.Service(id=record["id"], version=0)
            repo.add(row)
            counts["created"] += 1
        else:
            counts["updated"] += 1
        for name in SERVICE_FIELDS:
            setattr(row, name, record.get(name))
        row.participant_id = record["participant"]
        row.topic_id = record.get("topic") or None
        reviewed = record.get("last_reviewed")
        row.last_reviewed = date.fromisoformat(reviewed) if reviewed else None
        row.version += 1
        row.updated_at = now
        repo.flush()
        uow.session.execute(
            delete(t.ServiceResponsibility).where(t.ServiceResponsibility.service_id == row.id)
        )
        uow.session.execute(delete(t.ServiceLocation).where(t.ServiceLocation.service_id == row.id))
        for pair in record.get("jurisdiction") or []:
            repo.add(
                t.ServiceResponsibility(
                    service_id=row.id, area_id=pair["area"], authority_id=pair["authority"]
                )
            )
        for link in record.get("locations") or []:
            repo.add(
                t.ServiceLocation(
                    service_id=row.id,
                    location_id=link["location"],
                    duration_minutes=link.get("duration"),
                    appointment=bool(link.get("appointment")),
                )
            )
        repo.add_version(
            row.id,
            row.version,
            at=now,
            by=changed_by,
            changes={"imported": [None, "auskunft export"]},
            record={k: v for k, v in record.items() if k != "locations"},
        )
    repo.bump_revision()
    return counts
