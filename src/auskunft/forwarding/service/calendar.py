"""The service center's calendar as use cases: the feedback clock others can ask, and the
closure days a supervisor enters."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict, InvalidInput, NotFound
from auskunft.core.hours import BERLIN, WEEKDAYS, WeeklyHours
from auskunft.core.servicetime import ServiceCalendar
from auskunft.forwarding import tables as t
from auskunft.forwarding.repository import ClosureRepository

# The clock answers for moments in this range; beyond it a date is a typo, not a plan.
FIRST_YEAR, LAST_YEAR = 2000, 2099
LONGEST_RANGE_DAYS = 366
MAX_REASON = 200


def _plausible(day: date, what: str, what_en: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidInput(
            f"{what} muss zwischen {FIRST_YEAR} und {LAST_YEAR} liegen.",
            message_en=f"{what_en} must lie between {FIRST_YEAR} and {LAST_YEAR}.",
        )


def service_calendar(uow: UnitOfWork, weekly: WeeklyHours) -> ServiceCalendar:
    """The service center's weekly hours, Hessen's holidays and the closure days entered."""
    return ServiceCalendar(weekly, closures=uow.repo(ClosureRepository).days())


def due(uow: UnitOfWork, weekly: WeeklyHours, *, start: datetime, hours: int) -> dict[str, Any]:
    """When feedback on something received at `start` is due after `hours` of service time."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise InvalidInput(
            "Der Zeitpunkt braucht seine Zeitzone, z. B. 2027-01-04T08:00:00+01:00.",
            message_en="The moment needs its time zone, e.g. 2027-01-04T08:00:00+01:00.",
        )
    _plausible(start.astimezone(BERLIN).date(), "Der Zeitpunkt", "The moment")
    moment = service_calendar(uow, weekly).due(start, hours)
    return {"from": start.isoformat(), "hours": hours, "due": moment.isoformat()}


def open_intervals(
    uow: UnitOfWork, weekly: WeeklyHours, *, first: date, last: date
) -> dict[str, Any]:
    """The service time between two days (both included), and why other days are closed."""
    _plausible(first, "Der erste Tag", "The first day")
    _plausible(last, "Der letzte Tag", "The last day")
    if last < first:
        raise InvalidInput(
            "Der letzte Tag liegt vor dem ersten.", message_en="The last day is before the first."
        )
    if (last - first).days >= LONGEST_RANGE_DAYS:
        raise InvalidInput(
            f"Höchstens {LONGEST_RANGE_DAYS} Tage auf einmal.",
            message_en=f"At most {LONGEST_RANGE_DAYS} days at once.",
        )
    # Only the range's closure days matter here: one read gives them and their reasons.
    reasons = {row.day: row.reason for row in uow.repo(ClosureRepository).between(first, last)}
    calendar = ServiceCalendar(weekly, closures=reasons)
    intervals = [
        {
            "start": opens.astimezone(BERLIN).isoformat(),
            "end": closes.astimezone(BERLIN).isoformat(),
        }
        for opens, closes in calendar.intervals(first, last)
    ]
    closed = []
    day = first
    while day <= last:
        why = calendar.closed_because(day)
        if why is not None and weekly.days.get(WEEKDAYS[day.weekday()]):
            closed.append({"day": day.isoformat(), "reason": reasons.get(day) or why})
        day += timedelta(days=1)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "intervals": intervals,
        "closed": closed,
    }


def close_day(
    uow: UnitOfWork, *, day: date, reason: str, staff_id: int | None, now: datetime
) -> t.ServiceClosure:
    """Enter a day without service time; the feedback clock skips it from now on."""
    _plausible(day, "Der Tag", "The day")
    reason = reason.strip()
    if len(reason) > MAX_REASON or any(ord(c) < 32 for c in reason):
        raise InvalidInput(
            f"Der Grund darf höchstens {MAX_REASON} Zeichen ohne Steuerzeichen haben.",
            message_en=f"The reason may have at most {MAX_REASON} characters, no control "
            "characters.",
        )
    repo = uow.repo(ClosureRepository)
    if repo.get(day) is not None:
        raise Conflict(
            f"Der {day:%d.%m.%Y} ist schon als Schließtag eingetragen.",
            message_en=f"{day.isoformat()} is already a closure day.",
        )
    row = t.ServiceClosure(day=day, reason=reason, created_by=staff_id, created_at=now)
    repo.add(row)
    return row


def reopen_day(uow: UnitOfWork, *, day: date) -> None:
    """Take a closure day back."""
    if uow.repo(ClosureRepository).remove(day) == 0:
        raise NotFound(
            f"Der {day:%d.%m.%Y} ist kein eingetragener Schließtag.",
            message_en=f"{day.isoformat()} is not a closure day.",
        )


def closures(uow: UnitOfWork, *, first: date, last: date) -> list[dict[str, str]]:
    """The closure days entered between two days."""
    rows = uow.repo(ClosureRepository).between(first, last)
    return [{"day": row.day.isoformat(), "reason": row.reason} for row in rows]
