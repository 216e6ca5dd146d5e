"""Import a service catalog in the DLDB JSON format (used by the ZMS appointment system).

The whole file is checked before anything is written, and everything is
written in one transaction: a malformed file imports nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from auskunft.catalog import tables as t
from auskunft.catalog.model.entities import ServiceDraft
from auskunft.catalog.repository import CatalogRepository
from auskunft.catalog.service.html_text import first_sentences, html_to_text
from auskunft.catalog.service.store import save_authority, save_service
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import ImportFailed
from auskunft.core.progress import Progress


@dataclass
class ImportCounts:
    """What an import did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    locations: int = 0
    authorities: int = 0
    not_bookable_online: int = 0


def _fail(path: Path, where: str, problem: str) -> ImportFailed:
    return ImportFailed(
        f"{path.name}: {where}: {problem}. Es wurde nichts importiert.",
        message_en=f"{path.name}: {where}: {problem}. Nothing was imported.",
    )


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportFailed(f"{path}: Datei nicht lesbar ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise _fail(path, f"Byte {exc.start}", "kein UTF-8") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            path, f"Zeile {exc.lineno}, Spalte {exc.colno}", f"kein gültiges JSON ({exc.msg})"
        ) from exc


def _entries(path: Path, raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("data"), list):
        raise _fail(path, "oberste Ebene", 'ein Objekt mit der Liste "data" wird erwartet')
    for n, entry in enumerate(raw["data"]):
        if not isinstance(entry, dict):
            raise _fail(path, f"data[{n}]", "Eintrag ist kein Objekt")
    entries: list[dict[str, Any]] = raw["data"]
    return entries


def _text(path: Path, where: str, entry: dict[str, Any], key: str, required: bool = False) -> str:
    value = entry.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(path, where, f'Feld "{key}" fehlt oder ist kein Text')
    return value


def _source_id(path: Path, where: str, entry: dict[str, Any]) -> str:
    value = entry.get("id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise _fail(path, where, 'Feld "id" fehlt oder ist ungültig')
    text = str(value).strip()
    if not all(c.isalnum() or c in "-_" for c in text):
        raise _fail(path, where, f'Feld "id" enthält unzulässige Zeichen ({text!r})')
    return text


def _links(path: Path, where: str, entry: dict[str, Any], key: str) -> list[dict[str, str]]:
    value = entry.get(key) or []
    if not isinstance(value, list):
        raise _fail(path, where, f'Feld "{key}" ist keine Liste')
    out: list[dict[str, str]] = []
    for n, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("link"), str):
            raise _fail(path, f"{where}.{key}[{n}]", 'Eintrag ohne "link"')
        link = {"title": str(item.get("name") or item["link"]), "url": item["link"]}
        if link not in out:
            out.append(link)
    return out


# Column sizes of the store; longer values are refused with the entry named.
_LIMITS = {"name": 300, "street": 200, "postcode": 10, "city": 120, "phone": 80,
           "email": 200, "web": 500, "leika": 300}  # fmt: skip


def _check_lengths(path: Path, where: str, values: dict[str, Any]) -> None:
    for key, limit in _LIMITS.items():
        value = values.get(key)
        if isinstance(value, str) and len(value) > limit:
            raise _fail(path, where, f'Feld "{key}" ist länger als {limit} Zeichen')


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value) or None
    return None


@dataclass
class _Parsed:
    drafts: list[ServiceDraft]
    service_locations: dict[str, list[tuple[str, bool]]]
    authorities: dict[str, str]
    service_authority: dict[str, str]
    not_public: int


def _parse_services(path: Path, participant: str) -> _Parsed:
    entries = _entries(path, _read_json(path))
    drafts: list[ServiceDraft] = []
    links: dict[str, list[tuple[str, bool]]] = {}
    authorities: dict[str, str] = {}
    service_authority: dict[str, str] = {}
    seen: set[str] = set()
    not_public = 0
    for n, entry in enumerate(entries):
        where = f"data[{n}]"
        source_id = _source_id(path, where, entry)
        where = f"data[{n}] (id {source_id})"
        if source_id in seen:
            raise _fail(path, where, "id kommt doppelt vor")
        seen.add(source_id)
        name = _text(path, where, entry, "name", required=True).strip()
        description = html_to_text(_text(path, where, entry, "description"))
        fees = html_to_text(_text(path, where, entry, "fees"))
        # Non-public entries are only hidden from online booking; the service
        # center still answers questions about them, so they are imported too.
        if entry.get("public") is False:
            not_public += 1
        raw_meta = entry.get("meta")
        meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        keywords = [k.strip() for k in str(meta.get("keywords") or "").split(",") if k.strip()]
        reviewed: date | None = None
        stamp = meta.get("lastupdate")
        if isinstance(stamp, str) and len(stamp) >= 10:
            try:
                reviewed = date.fromisoformat(stamp[:10])
            except ValueError as exc:
                raise _fail(path, where, f'"meta.lastupdate" ist kein Datum ({stamp!r})') from exc
        auth_id = "0"
        for a in entry.get("authorities") or []:
            if isinstance(a, dict) and a.get("id") is not None:
                auth_id = str(a["id"])
                authorities.setdefault(auth_id, str(a.get("name") or "").strip())
                break
        service_id = f"{participant}-{source_id}"
        service_authority[service_id] = auth_id
        places: list[tuple[str, bool]] = []
        raw_locations = entry.get("locations") or []
        if not isinstance(raw_locations, list):
            raise _fail(path, where, 'Feld "locations" ist keine Liste')
        for item in raw_locations:
            if isinstance(item, dict) and item.get("location") is not None:
                appointment = item.get("appointment") or {}
                allowed = (
                    bool(appointment.get("allowed")) if isinstance(appointment, dict) else False
                )
                places.append((str(item["location"]), allowed))
        links[service_id] = places
        leika = entry.get("leika")
        _check_lengths(path, where, {"name": name, "leika": leika})
        drafts.append(
            ServiceDraft(
                id=service_id,
                name=name,
                topic="",
                kind=f"{participant}:{auth_id}",
                participant=participant,
                appointment=any(allowed for _, allowed in places),
                summary=first_sentences(description),
                description=description,
                fees=[fees] if fees else [],
                keywords=keywords,
                leika=str(leika) if isinstance(leika, str | int) and str(leika).strip() else None,
                forms=_links(path, where, entry, "forms"),
                links=_links(path, where, entry, "links"),
                duration_minutes=_int_or_none(entry.get("duration")),
                last_reviewed=reviewed,
                source="dldb",
            )
        )
    return _Parsed(drafts, links, authorities, service_authority, not_public)


def _parse_locations(path: Path) -> list[dict[str, Any]]:
    entries = _entries(path, _read_json(path))
    out = []
    for n, entry in enumerate(entries):
        where = f"data[{n}]"
        source_id = _source_id(path, where, entry)
        where = f"data[{n}] (id {source_id})"
        name = (
            _text(path, where, entry, "displayName") or _text(path, where, entry, "name")
        ).strip()
        if not name:
            raise _fail(path, where, 'Feld "name" fehlt')
        address = entry.get("address") or {}
        contact = entry.get("contact") or {}
        if not isinstance(address, dict) or not isinstance(contact, dict):
            raise _fail(path, where, '"address" und "contact" müssen Objekte sein')
        durations: dict[str, int | None] = {}
        for item in entry.get("services") or []:
            if isinstance(item, dict) and item.get("service") is not None:
                durations[str(item["service"])] = _int_or_none(item.get("duration"))
        street = " ".join(
            str(address.get(k) or "").strip() for k in ("street", "house_number")
        ).strip()
        record = {
            "name": name,
            "street": street,
            "postcode": str(address.get("postal_code") or ""),
            "city": str(address.get("city") or ""),
            "phone": str(contact.get("phone") or ""),
            "email": str(contact.get("email") or ""),
            "web": str(contact.get("webinfo") or ""),
        }
        _check_lengths(path, where, record)
        out.append(
            {
                **record,
                "source_id": source_id,
                "organization": str(entry.get("organization") or ""),
                "durations": durations,
            }
        )
    return out


def import_dldb(
    uow: UnitOfWork,
    *,
    services_file: Path,
    participant: str,
    locations_file: Path | None = None,
    area: str | None = None,
    changed_by: str = "import:dldb",
    progress: Progress | None = None,
) -> ImportCounts:
    """Import (create or update) a DLDB export; ids become '<participant>-<source id>'."""
    if not participant or not all(c.isalnum() or c == "-" for c in participant):
        raise ImportFailed(f"Ungültige Teilnehmer-Kennung „{participant}“.")
    parsed = _parse_services(services_file, participant)
    locations = _parse_locations(locations_file) if locations_file else []
    area_id = area or participant
    if area_id not in {a.id for a in uow.repo(CatalogRepository).area_rows()}:
        raise ImportFailed(
            f"Das Gebiet „{area_id}“ ist nicht im Katalog; "
            "bitte mit --area ein bekanntes Gebiet angeben.",
            message_en=f"Area '{area_id}' is not in the catalog; name a known one with --area.",
        )
    counts = ImportCounts(not_bookable_online=parsed.not_public)
    org = next((loc["organization"] for loc in locations if loc["organization"]), "")
    if uow.repo(CatalogRepository).participant(participant) is None:
        uow.repo(CatalogRepository).add(
            t.Participant(id=participant, name=org or participant, kind="kommune")
        )
        uow.repo(CatalogRepository).flush()
    # Every office gets an authority, also one whose services all lack an
    # authority id or, in a file of locations only, that has no services.
    auth_ids = sorted(set(parsed.service_authority.values()) or {"0"})
    for auth_id in auth_ids:
        name = parsed.authorities.get(auth_id) or org or participant
        save_authority(
            uow,
            {
                "id": f"{participant}-behoerde-{auth_id}",
                "name": name,
                "participant": participant,
                "kinds": [f"{participant}:{auth_id}"],
                "areas": [area_id],
            },
        )
        counts.authorities += 1
    uow.repo(CatalogRepository).flush()

    location_authority: dict[str, str] = {}
    for service_id, places in parsed.service_locations.items():
        for loc_id, _ in places:
            location_authority.setdefault(loc_id, parsed.service_authority[service_id])
    for loc in locations:
        auth = location_authority.get(loc["source_id"], auth_ids[0])
        uow.repo(CatalogRepository).merge(
            t.Location(
                id=f"{participant}-ort-{loc['source_id']}",
                authority_id=f"{participant}-behoerde-{auth}",
                name=loc["name"],
                street=loc["street"],
                postcode=loc["postcode"],
                city=loc["city"],
                phone=loc["phone"],
                email=loc["email"],
                web=loc["web"],
            )
        )
        counts.locations += 1
    uow.repo(CatalogRepository).flush()

    known_locations = {loc["source_id"]: loc for loc in locations}
    total = len(parsed.drafts)
    for n, draft in enumerate(parsed.drafts, start=1):
        outcome = save_service(uow, draft, changed_by=changed_by)
        setattr(counts, outcome, getattr(counts, outcome) + 1)
        uow.repo(CatalogRepository).flush()
        _link_locations(
            uow, draft, parsed.service_locations[draft.id], known_locations, participant
        )
        if progress:
            progress(n, total)
    uow.repo(CatalogRepository).bump_revision()
    return counts


def _link_locations(
    uow: UnitOfWork,
    draft: ServiceDraft,
    places: list[tuple[str, bool]],
    known: dict[str, dict[str, Any]],
    participant: str,
) -> None:
    source_id = draft.id.removeprefix(f"{participant}-")
    wanted: dict[str, tuple[int | None, bool]] = {}
    for loc_id, allowed in places:
        if loc_id in known:
            duration = known[loc_id]["durations"].get(source_id) or draft.duration_minutes
            wanted[f"{participant}-ort-{loc_id}"] = (duration, allowed)
    existing = {
        link.location_id: link
        for link, _ in uow.repo(CatalogRepository).locations_of_service(draft.id)
    }
    for loc_id, old in existing.items():
        if loc_id not in wanted:
            uow.session.delete(old)
    for loc_id, (duration, allowed) in wanted.items():
        link = existing.get(loc_id)
        if link is None:
            uow.repo(CatalogRepository).add(
                t.ServiceLocation(
                    service_id=draft.id,
                    location_id=loc_id,
                    duration_minutes=duration,
                    appointment=allowed,
                )
            )
        else:
            link.duration_minutes = duration
            link.appointment = allowed


def import_full_file(uow: UnitOfWork, path: Path, *, changed_by: str) -> dict[str, int] | None:
    """Import an export of this product (`x-auskunft`): the catalog as it was exported.
    None, and nothing written, when the file is a plain DLDB file."""
    from auskunft.catalog.service.dldb_full import import_full, is_full_export

    raw = _read_json(path)
    return import_full(uow, raw, changed_by=changed_by) if is_full_export(raw) else None
