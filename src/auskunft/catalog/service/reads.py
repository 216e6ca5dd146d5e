"""What other slices may read and write of the catalog: the catalog's public surface.

Other slices never import the catalog's tables or repository (an `import-linter`
contract); they call these functions, and name the rows by the aliases below.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from sqlalchemy import select

from auskunft.catalog import tables as t
from auskunft.catalog.model.entities import Area, Authority
from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.uow import UnitOfWork

ServiceRow = t.Service
AuthorityRow = t.Authority
LocationRow = t.Location
TopicRow = t.Topic


def _repo(uow: UnitOfWork) -> CatalogRepository:
    return uow.repo(CatalogRepository)


def service(uow: UnitOfWork, service_id: str) -> t.Service | None:
    return _repo(uow).service(service_id)


def services(
    uow: UnitOfWork, participant: str | None = None, *, published_only: bool = False
) -> Sequence[t.Service]:
    """Every service (`published_only`: those the portal, desk and search may show)."""
    return _repo(uow).services(participant, published_only=published_only)


def published_service(uow: UnitOfWork, service_id: str) -> t.Service | None:
    return _repo(uow).published_service(service_id)


def responsibilities(uow: UnitOfWork) -> list[tuple[str, str, str]]:
    return _repo(uow).responsibilities()


def services_by_id(uow: UnitOfWork, service_ids: Sequence[str]) -> dict[str, t.Service]:
    return _repo(uow).services_by_id(service_ids)


def count_services(uow: UnitOfWork) -> int:
    return _repo(uow).count_services()


def revision(uow: UnitOfWork) -> int:
    """The catalog's revision counter: every import and edit moves it."""
    return _repo(uow).revision()


@dataclass(frozen=True)
class Changes:
    """What the revisions after one an index knows changed: everything (`full`), or only
    the services named (published, edited, unpublished) and perhaps the offices."""

    full: bool
    services: frozenset[str] = frozenset()
    offices: bool = False


def changes_after(uow: UnitOfWork, revision: int, until: int) -> Changes:
    """The changes of the revisions after `revision` up to `until`; `full` when any of them
    was an import or its note is gone (pruned, or written before notes were kept)."""
    if until < revision:
        return Changes(full=True)
    notes = _repo(uow).changes_after(revision, until)
    if len({n.revision for n in notes}) != until - revision:
        return Changes(full=True)
    if any(n.scope == "all" for n in notes):
        return Changes(full=True)
    return Changes(
        full=False,
        services=frozenset(n.service_id for n in notes if n.service_id),
        offices=any(n.scope == "offices" for n in notes),
    )


def mark_changed(uow: UnitOfWork) -> None:
    """Move the catalog's revision (a new empty catalog is not seeded with the demo)."""
    _repo(uow).bump_revision()


def topics(uow: UnitOfWork) -> Sequence[t.Topic]:
    return _repo(uow).topics()


def areas(uow: UnitOfWork) -> list[Area]:
    return _repo(uow).areas()


def authorities(uow: UnitOfWork) -> list[Authority]:
    return _repo(uow).authorities()


def authority_rows(uow: UnitOfWork) -> Sequence[t.Authority]:
    """Every authority with its address and hours, by id."""
    return _repo(uow).authority_rows()


def authority(uow: UnitOfWork, authority_id: str) -> t.Authority | None:
    return _repo(uow).authority(authority_id)


def authority_names(uow: UnitOfWork, authority_ids: Sequence[str]) -> dict[str, str]:
    """Office names by id, one query; ids that name no office are left out."""
    return _repo(uow).authority_names(sorted(set(authority_ids)))


def participant_ids(uow: UnitOfWork) -> set[str]:
    return _repo(uow).participant_ids()


def participants(uow: UnitOfWork) -> dict[str, tuple[str, str]]:
    """id -> (name, kind) of every participant."""
    return _repo(uow).participants()


def location(uow: UnitOfWork, location_id: str) -> t.Location | None:
    return uow.session.get(t.Location, location_id)


def locations_of_service(uow: UnitOfWork, service_id: str) -> list[t.Location]:
    return [loc for _, loc in _repo(uow).locations_of_service(service_id)]


def bookable_service_ids(uow: UnitOfWork, kinds: set[str]) -> list[str]:
    """Services of these kinds that are done by appointment."""
    query = select(t.Service.id).where(t.Service.kind.in_(kinds), t.Service.appointment)
    return list(uow.session.scalars(query.order_by(t.Service.id)))


def ensure_location(
    uow: UnitOfWork,
    location_id: str,
    authority_id: str,
    name: str,
    *,
    note: str = "",
    slot_minutes: int | None = None,
) -> None:
    """A location (Standort) of an authority at the authority's address, unless it exists."""
    if uow.session.get(t.Location, location_id) is not None:
        return
    office = _repo(uow).authority(authority_id)
    if office is None:
        return
    uow.session.add(
        t.Location(
            id=location_id,
            authority_id=office.id,
            name=name,
            street=office.street,
            postcode=office.postcode,
            city=office.city,
            phone=office.phone,
            email=office.email,
            web=office.web,
            note=note,
            slot_minutes=slot_minutes,
        )
    )
    uow.session.flush()


def offer_at(uow: UnitOfWork, service_id: str, location_id: str, minutes: int) -> bool:
    """Make a service bookable at a location for `minutes`; False when the service is unknown."""
    if _repo(uow).service(service_id) is None:
        return False
    if uow.session.get(t.ServiceLocation, (service_id, location_id)) is None:
        uow.session.add(
            t.ServiceLocation(
                service_id=service_id,
                location_id=location_id,
                duration_minutes=minutes,
                appointment=True,
            )
        )
    return True


# --- services that take reports (Open311 GeoReport v2) --------------------------------------


@dataclass(frozen=True)
class ReportService:
    """A service that takes reports from the street, with what Open311 lists about it; its
    name and description are the catalog service's (`service`)."""

    service: t.Service
    group: str
    keywords: tuple[str, ...] = ()
    metadata: bool = False


@dataclass(frozen=True)
class _ReportSetting:
    service_id: str
    group: str
    keywords: tuple[str, ...]
    metadata: bool


@cache
def _report_settings() -> tuple[_ReportSetting, ...]:
    """data/reports.toml, read once per process (it ships with the package)."""
    path = resources.files("auskunft.catalog") / "data" / "reports.toml"
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    found = []
    for entry in data.get("report", []):
        found.append(
            _ReportSetting(
                service_id=str(entry["service"]),
                group=str(entry["group"]),
                keywords=tuple(str(k) for k in entry.get("keywords", [])),
                metadata=bool(entry.get("metadata", False)),
            )
        )
    return tuple(found)


def report_services(uow: UnitOfWork) -> list[ReportService]:
    """The services that take reports, in the order of data/reports.toml; those the catalog
    does not have are left out."""
    settings = _report_settings()
    rows = _repo(uow).services_by_id([s.service_id for s in settings])
    return [
        ReportService(rows[s.service_id], s.group, s.keywords, s.metadata)
        for s in settings
        if s.service_id in rows
    ]


def report_service(uow: UnitOfWork, service_id: str) -> ReportService | None:
    """One service that takes reports, or None (unknown, or it takes no reports)."""
    for setting in _report_settings():
        if setting.service_id == service_id:
            row = _repo(uow).service(service_id)
            if row is None:
                return None
            return ReportService(row, setting.group, setting.keywords, setting.metadata)
    return None


@cache
def postcodes() -> dict[str, str]:
    """Postcode -> municipality id for the catalog's municipalities (data/postcodes.toml)."""
    text = resources.files("auskunft.catalog").joinpath("data/postcodes.toml").read_text("utf-8")
    found: dict[str, str] = {}
    for area_id, codes in tomllib.loads(text).get("postcodes", {}).items():
        for code in codes:
            found[str(code)] = str(area_id)
    return found
