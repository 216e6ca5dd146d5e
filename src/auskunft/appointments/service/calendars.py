"""Loading a location's calendar and the visit length of a set of services."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import ceil_to
from auskunft.appointments.model.calendar import Calendar, DayException, WeeklyRule, local_minute
from auskunft.appointments.repository import AppointmentRepository
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput, NotFound
from auskunft.core.hours import public_holidays

DEFAULT_DURATION = 15  # minutes, when neither the location nor the service names one
MAX_SERVICES = 5


@dataclass(frozen=True)
class BookingPolicy:
    """Limits and shares from the settings (the `AUSKUNFT_*` appointment settings)."""

    horizon_days: int = 60
    lead_minutes: int = 120
    phone_share: int = 25  # percent of the counters
    phone_release_days: int = 2
    wedding_hold_days: int = 14
    waitlist_offer_hours: int = 12
    limit_per_service: int = 1
    retention_days: int = 30
    reminder_hour: int = 10
    secret: bytes = b"development only"  # signs manage links; see Settings.secret

    @classmethod
    def from_settings(cls, settings: Any) -> BookingPolicy:
        """Take the policy's fields from a settings object."""
        return cls(
            secret=settings.secret(),
            horizon_days=settings.booking_horizon_days,
            lead_minutes=settings.booking_lead_minutes,
            phone_share=settings.phone_share,
            phone_release_days=settings.phone_release_days,
            wedding_hold_days=settings.wedding_hold_days,
            waitlist_offer_hours=settings.waitlist_offer_hours,
            limit_per_service=settings.appointment_limit_per_service,
            retention_days=settings.appointment_retention_days,
            reminder_hour=settings.reminder_hour,
        )


@dataclass(frozen=True)
class Bookable:
    """A location's calendar and what a visit for the asked services takes there."""

    calendar: Calendar
    kind: str  # office | venue
    services: tuple[str, ...]
    duration: int  # minutes, rounded up to the grid


# Calendars change rarely and are read on every slot search and booking; the
# cache key carries the calendar's version, which every edit bumps.
_cache: dict[tuple[str, str, int, BookingPolicy], Calendar] = {}
_cache_lock = threading.Lock()


def _not_found(location_id: str) -> NotFound:
    return NotFound(
        f"Es gibt keinen buchbaren Standort „{location_id[:120]}“.",
        message_en=f"There is no bookable location '{location_id[:120]}'.",
    )


def load_calendar(uow: UnitOfWork, policy: BookingPolicy, location_id: str) -> tuple[Calendar, str]:
    """The calendar of a location and its kind; NotFound when it takes no bookings."""
    return _load(uow, policy, location_id)[:2]


def _load(
    uow: UnitOfWork, policy: BookingPolicy, location_id: str
) -> tuple[Calendar, str, dict[str, int | None]]:
    """The calendar, its kind and the services bookable there, with their durations."""
    found = uow.repo(AppointmentRepository).stamp_and_offer(location_id)
    if found is None:
        raise _not_found(location_id)
    stamp, offered = found
    with _cache_lock:
        cached = _cache.get((str(uow.engine.url), location_id, stamp[0], policy))
    if cached is not None:
        return cached, stamp[1], offered
    row = uow.repo(AppointmentRepository).calendar(location_id)
    if row is None:
        raise _not_found(location_id)
    key = (str(uow.engine.url), location_id, row.version, policy)
    counters = uow.repo(AppointmentRepository).counters(location_id)
    share = policy.phone_share if row.phone_share is None else row.phone_share
    calendar = Calendar(
        location_id=location_id,
        counters=tuple(c.id for c in counters),
        rules=tuple(
            WeeklyRule(r.counter_id, r.weekday, r.opens, r.closes, r.valid_from, r.valid_to)
            for r in uow.repo(AppointmentRepository).rules(location_id)
        ),
        exceptions=tuple(
            DayException(e.day, e.counter_id, e.opens, e.closes, e.reason)
            for e in uow.repo(AppointmentRepository).exceptions(location_id)
        ),
        grid=row.grid_minutes,
        buffer=row.buffer_minutes,
        horizon_days=policy.horizon_days if row.horizon_days is None else row.horizon_days,
        lead_minutes=policy.lead_minutes if row.lead_minutes is None else row.lead_minutes,
        phone_share=share / 100,
        phone_release_days=policy.phone_release_days,
        holiday=public_holidays("HE"),
    )
    with _cache_lock:
        if len(_cache) > 512:
            _cache.clear()
        _cache[key] = calendar
    return calendar, row.kind, offered


def bookable(
    uow: UnitOfWork, policy: BookingPolicy, location_id: str, service_ids: Sequence[str]
) -> Bookable:
    """Check that a location offers every asked service by appointment; sum their lengths."""
    if not isinstance(location_id, str) or not location_id.strip():
        raise InvalidInput("Bitte einen Standort angeben.", message_en="Please name a location.")
    if not service_ids:
        raise InvalidInput(
            "Bitte mindestens eine Leistung angeben.",
            message_en="Please name at least one service.",
        )
    if len(service_ids) > MAX_SERVICES:
        raise InvalidInput(
            f"Höchstens {MAX_SERVICES} Leistungen in einem Termin.",
            message_en=f"At most {MAX_SERVICES} services in one appointment.",
        )
    calendar, kind, offered = _load(uow, policy, location_id)
    total = 0
    for service_id in service_ids:
        if service_id not in offered:
            raise InvalidInput(
                f"Die Leistung „{service_id[:120]}“ ist an diesem Standort nicht buchbar.",
                message_en=f"The service '{service_id[:120]}' cannot be booked at this location.",
            )
        minutes = offered[service_id]
        if minutes is None:
            service = catalog_reads.service(uow, service_id)
            minutes = (service.duration_minutes if service else None) or DEFAULT_DURATION
        total += minutes
    return Bookable(calendar, kind, tuple(service_ids), ceil_to(total, calendar.grid))


def bump_version(uow: UnitOfWork, location_id: str) -> None:
    """Mark a calendar changed, so every process reloads it."""
    row = uow.repo(AppointmentRepository).calendar(location_id)
    if row is None:
        raise _not_found(location_id)
    row.version += 1


def _scope(uow: UnitOfWork, location_id: str, counter: str | None) -> int | None:
    if uow.repo(AppointmentRepository).calendar(location_id) is None:
        raise _not_found(location_id)
    if counter is None:
        return None
    for row in uow.repo(AppointmentRepository).counters(location_id):
        if row.name == counter:
            return row.id
    raise NotFound(
        f"Der Standort hat keinen Schalter „{counter[:80]}“.",
        message_en=f"The location has no counter '{counter[:80]}'.",
    )


def set_day(
    uow: UnitOfWork,
    *,
    location_id: str,
    day: date,
    hours: Sequence[tuple[int, int]] = (),
    counter: str | None = None,
    reason: str = "",
) -> int:
    """Close a day (no hours) or give it special hours; return the visits already booked then.

    Earlier exceptions of the same day and scope are replaced. Booked visits stay
    booked: the office has to contact those people, so their number is returned.
    """
    counter_id = _scope(uow, location_id, counter)
    if len(reason) > 200:
        raise InvalidInput(
            "Der Grund ist zu lang (höchstens 200 Zeichen).",
            message_en="The reason is too long (at most 200 characters).",
        )
    for opens, closes in hours:
        if not 0 <= opens < closes <= 24 * 60:
            raise InvalidInput(
                "Öffnungszeiten wie 08:00-12:00 angeben.", message_en="Give hours like 08:00-12:00."
            )
    uow.repo(AppointmentRepository).delete_exceptions(location_id, day, counter_id)
    spans: list[tuple[int | None, int | None]] = list(hours) or [(None, None)]
    for start_of, end_of in spans:
        uow.repo(AppointmentRepository).add(
            t.CalendarException(
                location_id=location_id,
                counter_id=counter_id,
                day=day,
                opens=start_of,
                closes=end_of,
                reason=reason,
            )
        )
    bump_version(uow, location_id)
    start, end = local_minute(day, 0), local_minute(day + timedelta(days=1), 0)
    return sum(
        1
        for row in uow.repo(AppointmentRepository).day(location_id, start, end)
        if row.status in ("booked", "provisional", "offered")
        and (counter_id is None or row.counter_id == counter_id)
    )


def reset_day(uow: UnitOfWork, *, location_id: str, day: date, counter: str | None = None) -> int:
    """Drop a day's exceptions, so the weekly hours apply again; return how many."""
    removed = uow.repo(AppointmentRepository).delete_exceptions(
        location_id, day, _scope(uow, location_id, counter)
    )
    bump_version(uow, location_id)
    return removed


def overview(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every location that takes bookings with its number of counters and bookable services."""
    repo = uow.repo(AppointmentRepository)
    services = repo.services_by_location()
    return [
        {
            "id": location.id,
            "name": location.name,
            "counters": len(repo.counters(location.id)),
            "services": len(services.get(location.id, [])),
        }
        for _, location in repo.calendars()
    ]
