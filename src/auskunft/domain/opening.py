"""Is an office open now, and when does it open or close? Public holidays included."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from auskunft.domain.catalog import WEEKDAYS, WeeklyHours

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
