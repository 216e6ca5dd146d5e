"""Load the team-written demo catalog (TOML files in auskunft/data/catalog)."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from auskunft.catalog import tables as t
from auskunft.catalog.model.entities import ServiceDraft
from auskunft.catalog.repository import CatalogRepository
from auskunft.catalog.service.store import save_authority, save_service
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import ImportFailed
from auskunft.core.progress import Progress


def _catalog_dir() -> Traversable:
    return resources.files("auskunft.catalog") / "data"


def _load(name: str) -> dict[str, Any]:
    path = _catalog_dir() / name
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ImportFailed(f"{name}: kein gültiges TOML ({exc})") from exc


def _files(prefix: str) -> list[str]:
    return sorted(
        p.name
        for p in _catalog_dir().iterdir()
        if p.name.startswith(prefix) and p.name.endswith(".toml")
    )


def read_demo_catalog() -> dict[str, list[dict[str, Any]]]:
    """Read all demo catalog files into plain lists of entries."""
    out: dict[str, list[dict[str, Any]]] = {
        "participant": _load("participants.toml").get("participant", []),
        "area": _load("areas.toml").get("area", []),
        "topic": _load("topics.toml").get("topic", []),
        "authority": [],
        "service": [],
    }
    for name in _files("authorities"):
        out["authority"].extend(_load(name).get("authority", []))
    for name in _files("services"):
        for entry in _load(name).get("service", []):
            out["service"].append({**entry, "_file": name})
    return out


def _draft(entry: dict[str, Any], participant: str) -> ServiceDraft:
    reviewed = entry.get("last_reviewed")
    return ServiceDraft(
        id=entry["id"],
        name=entry["name"],
        topic=entry["topic"],
        kind=entry["kind"],
        participant=participant,
        appointment=bool(entry.get("appointment", False)),
        summary=entry.get("summary", "").strip(),
        description=entry.get("description", "").strip(),
        prerequisites=list(entry.get("prerequisites", [])),
        documents=list(entry.get("documents", [])),
        fees=list(entry.get("fees", [])),
        processing_time=entry.get("processing_time", "").strip(),
        deadlines=entry.get("deadlines", "").strip(),
        legal_basis=list(entry.get("legal_basis", [])),
        online_service=entry.get("online_service") or None,
        keywords=list(entry.get("keywords", [])),
        questions=list(entry.get("questions", [])),
        leika=entry.get("leika") or None,
        name_en=entry.get("name_en", "").strip(),
        summary_en=entry.get("summary_en", "").strip(),
        last_reviewed=reviewed if isinstance(reviewed, date) else None,
        demo=bool(entry.get("demo", False)),
        source="demo",
    )


def _participant_for(kind: str, authorities: list[dict[str, Any]]) -> str:
    """The participant owning a demo service: the Kassel office for its kind, else the first."""
    owners = [a for a in authorities if kind in a.get("kinds", [])]
    for a in owners:
        if "kassel" in a.get("areas", []):
            return str(a["participant"])
    return str(owners[0]["participant"]) if owners else "stadt-kassel"


def import_demo_catalog(
    uow: UnitOfWork, *, changed_by: str = "import:demo", progress: Progress | None = None
) -> dict[str, int]:
    """Create or update the demo catalog; return counts of created/updated/unchanged services."""
    data = read_demo_catalog()
    participants = {p["id"] for p in data["participant"]}
    areas = {a["id"] for a in data["area"]}
    topics = {x["id"] for x in data["topic"]}
    for a in data["authority"]:
        missing = [x for x in a.get("areas", []) if x not in areas]
        if a.get("participant") not in participants or missing:
            raise ImportFailed(
                f"Behörde {a.get('id')}: unbekannter Teilnehmer oder Gebiet {missing}"
            )
    for s in data["service"]:
        if s.get("topic") not in topics:
            raise ImportFailed(
                f"{s['_file']}: Leistung {s.get('id')}: unbekannte Lebenslage {s.get('topic')!r}"
            )

    for p in data["participant"]:
        uow.repo(CatalogRepository).merge(
            t.Participant(id=p["id"], name=p["name"], kind=p["kind"], web=p.get("web"))
        )
    # Parents first, so the self-reference of areas is always satisfied.
    by_id = {a["id"]: a for a in data["area"]}

    def depth(area_id: str) -> int:
        parent = by_id[area_id].get("parent")
        return 0 if not parent else 1 + depth(parent)

    for a in sorted(data["area"], key=lambda a: depth(a["id"])):
        uow.repo(CatalogRepository).merge(
            t.Area(
                id=a["id"],
                name=a["name"],
                type=a["type"],
                parent_id=a.get("parent") or None,
                ags=a.get("ags"),
            )
        )
        uow.repo(CatalogRepository).flush()
    for x in data["topic"]:
        uow.repo(CatalogRepository).merge(
            t.Topic(id=x["id"], name=x["name"], name_en=x.get("name_en", ""))
        )
    uow.repo(CatalogRepository).flush()
    for a in data["authority"]:
        save_authority(uow, a)
    uow.repo(CatalogRepository).flush()

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    total = len(data["service"])
    for n, entry in enumerate(data["service"], start=1):
        draft = _draft(entry, _participant_for(entry["kind"], data["authority"]))
        counts[save_service(uow, draft, changed_by=changed_by)] += 1
        if progress:
            progress(n, total)
    uow.repo(CatalogRepository).bump_revision()
    return counts
