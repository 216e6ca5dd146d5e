"""Entities of the catalog: areas, participants, authorities, service drafts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Area:
    """A territorial unit: Bund > Land > Kreis / kreisfreie Stadt > Gemeinde."""

    id: str
    name: str
    type: str
    parent: str | None = None
    ags: str | None = None


@dataclass(frozen=True)
class Participant:
    """An organisation of the 115 network (a city, a partner, the Land, the Bund)."""

    id: str
    name: str
    kind: str
    web: str | None = None


@dataclass(frozen=True)
class Authority:
    """An office that handles service kinds for areas."""

    id: str
    name: str
    participant: str
    kinds: frozenset[str]
    areas: frozenset[str]


@dataclass
class ServiceDraft:
    """A service as written by an editor or an importer, before it is stored."""

    id: str
    name: str
    topic: str
    kind: str
    participant: str
    appointment: bool = False
    summary: str = ""
    description: str = ""
    prerequisites: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    fees: list[str] = field(default_factory=list)
    processing_time: str = ""
    deadlines: str = ""
    legal_basis: list[str] = field(default_factory=list)
    online_service: str | None = None
    keywords: list[str] = field(default_factory=list)
    # How callers typically bring the concern up, in their own words; the
    # search reads them (docs/search.md), agents see them as examples.
    questions: list[str] = field(default_factory=list)
    leika: str | None = None
    name_en: str = ""
    summary_en: str = ""
    last_reviewed: date | None = None
    demo: bool = False
    forms: list[dict[str, str]] = field(default_factory=list)
    links: list[dict[str, str]] = field(default_factory=list)
    duration_minutes: int | None = None
    source: str = "demo"

    # Fields whose change is recorded in the version history.
    TRACKED = (
        "name", "topic", "kind", "participant", "appointment", "summary", "description",
        "prerequisites", "documents", "fees", "processing_time", "deadlines", "legal_basis",
        "online_service", "keywords", "questions", "leika", "name_en", "summary_en",
        "last_reviewed", "demo", "forms", "links", "duration_minutes",
    )  # fmt: skip


def diff_fields(old: dict[str, object], new: dict[str, object]) -> dict[str, list[object]]:
    """Return {field: [old, new]} for every tracked field that changed."""
    changes: dict[str, list[object]] = {}
    for name in ServiceDraft.TRACKED:
        before, after = old.get(name), new.get(name)
        if before != after:
            changes[name] = [before, after]
    return changes
