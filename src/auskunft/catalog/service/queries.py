"""Look up one service or authority, with the office responsible for a municipality."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from auskunft.catalog import tables as t
from auskunft.catalog.model.jurisdiction import Jurisdiction
from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import NotFound
from auskunft.core.hours import BERLIN, WeeklyHours, opening_view

NOT_IN_CATALOG = (
    "Die zuständige Stelle für diese Leistung ist für die gewählte Gemeinde nicht im Katalog. "
    "Das Anliegen kann an das Servicecenter weitergeleitet werden, das die Rückmeldung übernimmt."
)
NOT_IN_CATALOG_EN = (
    "The responsible office for this service is not in the catalog for the chosen municipality. "
    "The concern can be forwarded to the service center, which will get back to the caller."
)


# How far ahead the portal and the desk list an office's closure days.
CLOSURES_SHOWN_DAYS = 60


def upcoming_closures(
    closures: list[dict[str, str]] | None, today: date | None = None
) -> list[dict[str, str]]:
    """An office's closure days from today on, within the next CLOSURES_SHOWN_DAYS."""
    first = today or datetime.now(BERLIN).date()
    last = (first + timedelta(days=CLOSURES_SHOWN_DAYS)).isoformat()
    return [c for c in closures or [] if first.isoformat() <= c["day"] <= last]


def authority_public(row: t.Authority, locations: list[t.Location] | None = None) -> dict[str, Any]:
    """Return the public record of an authority."""
    record: dict[str, Any] = {
        "id": row.id,
        "name": row.name,
        "participant": row.participant_id,
        "kinds": sorted(k.kind for k in row.kinds),
        "areas": sorted(a.area_id for a in row.areas),
        "address": {"street": row.street, "postcode": row.postcode, "city": row.city},
        "phone": row.phone,
        "email": row.email,
        "web": row.web,
        "note": row.note,
        "opening_hours": row.opening_hours,
        "closures": upcoming_closures(row.closures),
        "demo": row.demo,
    }
    if locations is not None:
        record["locations"] = [
            {
                "id": loc.id,
                "name": loc.name,
                "address": {"street": loc.street, "postcode": loc.postcode, "city": loc.city},
                "phone": loc.phone,
                "email": loc.email,
            }
            for loc in locations
        ]
    return record


def get_authority(uow: UnitOfWork, *, authority_id: str) -> dict[str, Any]:
    """Return one authority, or raise NotFound."""
    row = uow.repo(CatalogRepository).authority(authority_id)
    if row is None:
        raise NotFound(
            f"Die Stelle „{authority_id}“ gibt es im Katalog nicht.",
            message_en=f"There is no authority '{authority_id}' in the catalog.",
        )
    return authority_public(
        row, list(uow.repo(CatalogRepository).locations_of_authority(authority_id))
    )


def get_service(
    uow: UnitOfWork, jurisdiction: Jurisdiction, *, service_id: str, municipality: str
) -> dict[str, Any]:
    """Return the full record of a service and who is responsible for the municipality."""
    row = uow.repo(CatalogRepository).published_service(service_id)
    if row is None:
        raise NotFound(
            f"Die Leistung „{service_id}“ gibt es im Katalog nicht.",
            message_en=f"There is no service '{service_id}' in the catalog.",
        )
    jurisdiction.chain(municipality)  # raises NotFound for an unknown municipality
    responsible = jurisdiction.responsible(row.kind, municipality, row.id)
    authority = None
    if responsible is not None:
        authority_row = uow.repo(CatalogRepository).authority(responsible.id)
        if authority_row is not None:
            authority = authority_public(authority_row)
    topic = uow.repo(CatalogRepository).topic(row.topic_id) if row.topic_id else None
    return {
        "id": row.id,
        "name": row.name,
        "name_en": row.name_en,
        "participant": row.participant_id,
        "topic": {"id": topic.id, "name": topic.name, "name_en": topic.name_en} if topic else None,
        "kind": row.kind,
        "appointment": row.appointment,
        "summary": row.summary,
        "summary_en": row.summary_en,
        "description": row.description,
        "description_en": row.description_en,
        "prerequisites": row.prerequisites,
        "documents": row.documents,
        "fees": row.fees,
        "processing_time": row.processing_time,
        "deadlines": row.deadlines,
        "legal_basis": row.legal_basis,
        "online_service": row.online_service,
        "keywords": row.keywords,
        "questions": row.questions,
        "leika": row.leika,
        "forms": row.forms,
        "links": row.links,
        "duration_minutes": row.duration_minutes,
        "last_reviewed": row.last_reviewed.isoformat() if row.last_reviewed else None,
        "demo": row.demo,
        "source": row.source,
        "version": row.version,
        "locations": [
            {
                "id": loc.id,
                "name": loc.name,
                "address": {"street": loc.street, "postcode": loc.postcode, "city": loc.city},
                "duration_minutes": link.duration_minutes,
                "appointment": link.appointment,
            }
            for link, loc in uow.repo(CatalogRepository).locations_of_service(row.id)
        ],
        "municipality": municipality,
        "authority": authority,
        "jurisdiction_note": None if authority else NOT_IN_CATALOG,
        "jurisdiction_note_en": None if authority else NOT_IN_CATALOG_EN,
    }


def service_history(uow: UnitOfWork, *, service_id: str) -> list[dict[str, Any]]:
    """The version history of a published service, oldest first: who changed what when."""
    if uow.repo(CatalogRepository).published_service(service_id) is None:
        raise NotFound(
            f"Die Leistung „{service_id}“ gibt es im Katalog nicht.",
            message_en=f"There is no service '{service_id}' in the catalog.",
        )
    return [
        {
            "version": v.version,
            "changed_at": v.changed_at.isoformat(),
            "changed_by": v.changed_by,
            "reviewed_by": v.reviewed_by,
            "changes": v.changes,
            "restorable": v.record is not None,
        }
        for v in uow.repo(CatalogRepository).versions(service_id)
    ]


def service_card(
    uow: UnitOfWork,
    jurisdiction: Jurisdiction,
    *,
    service_id: str,
    municipality: str,
    english: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A service, its responsible office for the municipality, and whether that is open now
    (what the service page and the desk's service card show)."""
    record = get_service(uow, jurisdiction, service_id=service_id, municipality=municipality)
    office = record["authority"]
    opening = None
    if office:
        closures = {date.fromisoformat(c["day"]): c["reason"] for c in office["closures"]}
        opening = opening_view(
            WeeklyHours.from_mapping(office["opening_hours"]), english, now, closures
        )
    return {"service": record, "office": office, "opening": opening}
