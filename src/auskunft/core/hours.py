"""Weekly hours, Hessen's public holidays and whether a place is open (Europe/Berlin)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


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


BERLIN = ZoneInfo("Europe/Berlin")
# How far ahead to look for the next opening (two weeks cover Christmas closures).
LOOKAHEAD_DAYS = 14

HolidayName = Callable[[date], str | None]


@lru_cache(maxsize=8)
def _calendar(subdivision: str, language: str) -> holidays.HolidayBase:
    return holidays.country_holidays("DE", subdiv=subdivision, language=language)


def public_holidays(subdivision: str = "HE", language: str = "de") -> HolidayName:
    """Return a lookup of public holidays of a German Land (Hessen by default).

    The `holidays` package knows the movable feasts (Easter, Whit Monday,
    Corpus Christi) for every year; the lookup gives the holiday's name or None.
    """
    calendar = _calendar(subdivision, language)

    def name(day: date) -> str | None:
        found = calendar.get(day)
        return str(found) if found else None

    return name


@dataclass(frozen=True)
class OpeningStatus:
    """What a caller needs to hear: open now until when, or when it opens next."""

    open_now: bool
    closes_at: datetime | None = None
    opens_at: datetime | None = None
    holiday: str | None = None  # today's public holiday, when the office is closed for it
    closure: str | None = None  # the reason of the office's own closure day today


def opening_status(
    hours: WeeklyHours, moment: datetime, holiday_name: HolidayName | None = None
) -> OpeningStatus:
    """Tell whether the regular hours cover a moment, honouring public holidays.

    `moment` may be naive (taken as Berlin time) or aware (converted to it).
    """
    local = moment.astimezone(BERLIN) if moment.tzinfo else moment.replace(tzinfo=BERLIN)
    holiday_name = holiday_name or public_holidays()
    today_holiday = holiday_name(local.date())
    if today_holiday is None:
        for r in hours.days.get(WEEKDAYS[local.weekday()], ()):
            if r.start <= local.time() < r.end:
                return OpeningStatus(True, closes_at=_at(local.date(), r.end))
    return OpeningStatus(
        False, opens_at=_next_opening(hours, local, holiday_name), holiday=today_holiday
    )


def _next_opening(
    hours: WeeklyHours, local: datetime, holiday_name: HolidayName
) -> datetime | None:
    for offset in range(LOOKAHEAD_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        if holiday_name(day) is not None:
            continue
        for r in hours.days.get(WEEKDAYS[day.weekday()], ()):
            start = _at(day, r.start)
            if start > local:
                return start
    return None


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=BERLIN)


def opening_view(
    weekly: WeeklyHours,
    english: bool,
    now: datetime | None = None,
    closures: Mapping[date, str] | None = None,
) -> dict[str, Any]:
    """Whether a place is open now (honouring holidays and its own closure days, named by
    their reason) and its week, as pages show them."""
    holiday = public_holidays(language="en" if english else "de")
    closed = dict(closures or {})
    fallback = "closed" if english else "geschlossen"

    def day_off(day: date) -> str | None:
        if day in closed:
            return closed[day] or fallback
        return holiday(day)

    moment = now or datetime.now(BERLIN)
    status = opening_status(weekly, moment, day_off if closed else holiday)
    today = (moment.astimezone(BERLIN) if moment.tzinfo else moment).date()
    if today in closed:
        status = replace(status, holiday=None, closure=closed[today] or fallback)
    return {"status": status, "weekly": weekly.to_mapping()}


# Hours of the service center and of the 115 line (Kassel's published hours).
SERVICE_CENTER_HOURS = WeeklyHours.from_mapping(
    {d: ["07:00-18:00"] for d in ("mo", "tu", "we", "th", "fr")} | {"sa": ["09:00-13:00"]}
)
HOTLINE_115_HOURS = WeeklyHours.from_mapping(
    {d: ["08:00-18:00"] for d in ("mo", "tu", "we", "th", "fr")}
)
