"""Catalog entities: services (Leistungen), authorities (Behörden), areas, participants."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


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
class TimeRange:
    """An opening interval within one day, local time Europe/Berlin."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        """Parse 'HH:MM-HH:MM'; raise ValueError on anything else."""
        match = _RANGE.match(text.strip())
        if not match:
            raise ValueError(f"opening range {text!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        end = time(23, 59, 59) if (h2, m2) == (24, 0) else time(h2, m2)
        start = time(h1, m1)
        if end <= start:
            raise ValueError(f"opening range {text!r} ends before it starts")
        return cls(start, end)

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class WeeklyHours:
    """Regular weekly opening hours, keyed by weekday code (mo..su)."""

    days: dict[str, tuple[TimeRange, ...]] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, raw: dict[str, list[str]] | None) -> WeeklyHours:
        """Build from {'mo': ['08:00-12:00'], ...}; raise ValueError on bad keys."""
        days: dict[str, tuple[TimeRange, ...]] = {}
        for day, ranges in (raw or {}).items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use one of {', '.join(WEEKDAYS)}")
            days[day] = tuple(sorted((TimeRange.parse(r) for r in ranges), key=lambda r: r.start))
        return cls(days)

    def to_mapping(self) -> dict[str, list[str]]:
        """Return the JSON-friendly form."""
        return {d: [str(r) for r in self.days[d]] for d in WEEKDAYS if d in self.days}

    def is_open(self, moment: datetime) -> bool:
        """Tell whether the regular hours cover a local moment (holidays not applied)."""
        ranges = self.days.get(WEEKDAYS[moment.weekday()], ())
        now = moment.time()
        return any(r.start <= now < r.end for r in ranges)


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
