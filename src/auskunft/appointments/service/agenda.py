"""Staff use cases of appointments: the desk books and changes visits for callers, the
department runs its day (arrivals, no-shows, wedding confirmations).

Staff act without a manage token: they are logged in, and every change they make
records who made it (`Appointment.changed_by`). Cancelling and moving run the
citizen's use cases with the token the server itself would have mailed, so the
same rules, e-mails and waitlist offers apply to both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import CHANGEABLE, CODE_ALPHABET, HOLDING, Slot
from auskunft.appointments.model.calendar import epoch_minutes, from_epoch_minutes, local_minute
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy, load_calendar
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict, InvalidInput, NotFound
from auskunft.core.principal import Login, owned_or_not_found

# A visitor who comes early may be checked in this long before the start.
ARRIVAL_EARLY = timedelta(minutes=30)
ATTENDANCE = ("arrived", "no_show")
FREE_DAYS = 6  # next days with free times the desk offers at a glance
SEARCH_CHUNK = 14  # days searched at once while looking for them


def normalize_code(code: str) -> str:
    """A booking code as stored ("ABCD-EFGH"), from what an agent typed ("abcd efgh")."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    if len(raw) != 8 or any(ch not in CODE_ALPHABET for ch in raw):
        raise InvalidInput(
            "Eine Buchungsnummer hat 8 Zeichen, z. B. ABCD-EF23 (ohne 0, O, 1 und I).",
            message_en="A booking code has 8 characters, e.g. ABCD-EF23 (no 0, O, 1 or I).",
        )
    return f"{raw[:4]}-{raw[4:]}"


def lookup(
    uow: UnitOfWork, *, code: str, for_update: bool = False, viewer: Login | None = None
) -> t.Appointment:
    """The appointment of a code, for staff (no manage token); NotFound when there is none,
    or when it is at another office than the viewer's (the edges always name the viewer;
    None is the system itself: the CLI, jobs)."""
    row = uow.repo(AppointmentRepository).by_code(normalize_code(code), for_update=for_update)
    if row is None:
        raise _no_such_code()
    if viewer is None:
        return row
    no_such = _no_such_code()
    return owned_or_not_found(
        viewer,
        row,
        authority=lambda r: _authority_of(uow, r.location_id),
        what=(no_such.message, no_such.message_en),
    )


def _authority_of(uow: UnitOfWork, location_id: str) -> str | None:
    """The authority (Behörde) a location belongs to: who owns its calendar and visitors."""
    location = catalog_reads.location(uow, location_id)
    return location.authority_id if location is not None else None


def _no_such_code() -> NotFound:
    return NotFound(
        "Zu dieser Buchungsnummer gibt es keinen Termin.",
        message_en="There is no appointment with this booking code.",
    )


def _staff_token(policy: BookingPolicy, code: str) -> str:
    return booking.manage_token(policy.secret, "appointment", code)


def cancel_by_staff(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    code: str,
    staff_id: int,
    now: datetime,
    viewer: Login | None = None,
) -> t.Appointment:
    """Cancel a visit for a caller or the department; the citizen is told by e-mail."""
    code = normalize_code(code)
    if viewer is not None:
        lookup(uow, code=code, viewer=viewer)
    try:
        row = booking.cancel(uow, policy, code=code, token=_staff_token(policy, code), now=now)
    except NotFound as exc:
        raise _no_such_code() from exc
    row.changed_by = staff_id
    _audit(uow, viewer, staff_id, "appointment.cancelled", code)
    return row


def _audit(
    uow: UnitOfWork,
    viewer: Login | None,
    staff_id: int | None,
    action: str,
    code: str,
    detail: str = "",
) -> None:
    """Tell the audit log what staff did to a visit (the code names it, not the person)."""
    staff_acted(uow, viewer, action, "appointment", code, detail, actor=f"staff:{staff_id}")


def reschedule_by_staff(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    code: str,
    start: datetime,
    staff_id: int,
    now: datetime,
    viewer: Login | None = None,
) -> t.Appointment:
    """Move a visit to another free start at its location (its booking channel's counters)."""
    code = normalize_code(code)
    if viewer is not None:
        lookup(uow, code=code, viewer=viewer)
    try:
        row = booking.reschedule(
            uow, policy, code=code, token=_staff_token(policy, code), start=start, now=now
        )
    except NotFound as exc:
        raise _no_such_code() from exc
    row.changed_by = staff_id
    _audit(uow, viewer, staff_id, "appointment.moved", code, start.isoformat())
    return row


def attendance_refusal(row: t.Appointment, status: str, now: datetime) -> Conflict | None:
    """Why a visit cannot be marked arrived or no-show now; None when it can."""
    if row.status != "booked":
        return Conflict(
            "Erscheinen lässt sich nur bei gebuchten Terminen erfassen.",
            message_en="Attendance can only be recorded for booked appointments.",
        )
    if booking.local_day(row.start_at) != booking.local_day(now):
        return Conflict(
            "Erscheinen lässt sich nur am Tag des Termins erfassen.",
            message_en="Attendance can only be recorded on the day of the appointment.",
        )
    if status == "arrived" and now < row.start_at - ARRIVAL_EARLY:
        minutes = int(ARRIVAL_EARLY.total_seconds() // 60)
        return Conflict(
            f"„Erschienen“ geht frühestens {minutes} Minuten vor Terminbeginn.",
            message_en=f"'Arrived' can be recorded at most {minutes} minutes before the start.",
        )
    if status == "no_show" and now < row.start_at:
        return Conflict(
            "„Nicht erschienen“ geht erst nach Terminbeginn.",
            message_en="'No-show' can only be recorded after the start.",
        )
    return None


def mark_attendance(
    uow: UnitOfWork,
    *,
    code: str,
    status: str,
    now: datetime,
    staff_id: int | None = None,
    viewer: Login | None = None,
) -> t.Appointment:
    """Record that a visitor came or did not come; the time stays taken either way."""
    if status not in ATTENDANCE:
        raise InvalidInput(
            f"Unbekannter Status „{status[:20]}“; möglich: {', '.join(ATTENDANCE)}.",
            message_en=f"Unknown status '{status[:20]}'; possible: {', '.join(ATTENDANCE)}.",
        )
    uow.repo(AppointmentRepository).lock_for_write()
    row = lookup(uow, code=code, for_update=True, viewer=viewer)
    refusal = attendance_refusal(row, status, now)
    if refusal is not None:
        raise refusal
    row.status = status
    row.changed_at = now
    row.changed_by = staff_id
    _audit(uow, viewer, staff_id, "appointment.attendance", row.code, status)
    return row


def confirm_reservation(
    uow: UnitOfWork,
    *,
    code: str,
    now: datetime,
    staff_id: int | None = None,
    viewer: Login | None = None,
) -> t.Appointment:
    """Make a provisional wedding reservation firm once the marriage registration is done."""
    uow.repo(AppointmentRepository).lock_for_write()
    row = lookup(uow, code=code, for_update=True, viewer=viewer)
    if row.status != "provisional":
        raise Conflict(
            "Nur vorläufige Reservierungen lassen sich bestätigen.",
            message_en="Only provisional reservations can be confirmed.",
        )
    if (row.expires_at is not None and row.expires_at <= now) or row.start_at <= now:
        raise Conflict(
            "Diese Reservierung ist abgelaufen.", message_en="This reservation has expired."
        )
    row.status = "booked"
    row.expires_at = None
    row.changed_at = now
    row.changed_by = staff_id
    _audit(uow, viewer, staff_id, "appointment.confirmed", row.code)
    return row


# -- what the desk offers when booking for a caller ------------------------------


@dataclass(frozen=True)
class Choice:
    """Where and when a service can be booked, as the desk's booking form shows it."""

    locations: list[dict[str, Any]]  # id, name, authority_id, responsible
    location_id: str | None
    days: list[date]  # the next days with free times
    day: date | None
    times: list[Slot]


def locations_for(
    uow: UnitOfWork, service_id: str, authority_id: str | None
) -> list[dict[str, Any]]:
    """Locations that take bookings for a service; those of the responsible office first."""
    found = [
        {
            "id": loc["id"],
            "name": loc["name"],
            "authority_id": loc["authority_id"],
            "responsible": loc["authority_id"] == authority_id,
        }
        for loc in booking.list_locations(uow)
        if service_id in loc["services"]
    ]
    return sorted(found, key=lambda loc: not loc["responsible"])


def free_days(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    service_ids: Sequence[str],
    location_id: str,
    now: datetime,
    channel: str = "phone",
    count: int = FREE_DAYS,
) -> list[date]:
    """The next days (up to `count`) with a free time, within the location's horizon."""
    calendar, _ = load_calendar(uow, policy, location_id)
    today = booking.local_day(now)
    last = today + timedelta(days=calendar.horizon_days)
    days: list[date] = []
    first = today
    while first <= last and len(days) < count:
        until = min(first + timedelta(days=SEARCH_CHUNK - 1), last)
        slots = booking.find_slots(
            uow,
            policy,
            service_ids=service_ids,
            location_id=location_id,
            first=first,
            last=until,
            now=now,
            channel=channel,
        )
        for slot in slots:
            day = from_epoch_minutes(slot.start).date()
            if not days or days[-1] != day:
                days.append(day)
        first = until + timedelta(days=1)
    return days[:count]


def booking_choice(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    service_ids: Sequence[str],
    authority_id: str | None,
    location_id: str | None,
    day: date | None,
    now: datetime,
) -> Choice:
    """Locations, next free days and the free times of one day for the desk's booking form.

    Phone bookings may use the counters held for callers. Without a location,
    the responsible office's is taken; without a day, the first with a free time.
    """
    locations = locations_for(uow, service_ids[0], authority_id)
    if location_id is None:
        location_id = locations[0]["id"] if locations else None
    elif all(loc["id"] != location_id for loc in locations):
        raise InvalidInput(
            "An diesem Standort ist die Leistung nicht buchbar.",
            message_en="The service cannot be booked at this location.",
        )
    if location_id is None:
        return Choice(locations, None, [], day, [])
    return _times(uow, policy, locations, service_ids, location_id, day, now, "phone")


def move_choice(
    uow: UnitOfWork, policy: BookingPolicy, *, row: t.Appointment, day: date | None, now: datetime
) -> Choice:
    """Free times to move a visit to: same location and services, its booking's channel."""
    location = {"id": row.location_id, "name": row.location_id, "responsible": True}
    services = [s.service_id for s in row.services]
    return _times(uow, policy, [location], services, row.location_id, day, now, row.channel)


def _times(
    uow: UnitOfWork,
    policy: BookingPolicy,
    locations: list[dict[str, Any]],
    service_ids: Sequence[str],
    location_id: str,
    day: date | None,
    now: datetime,
    channel: str,
) -> Choice:
    days = free_days(
        uow, policy, service_ids=service_ids, location_id=location_id, now=now, channel=channel
    )
    if day is None:
        day = days[0] if days else booking.local_day(now)
    times = booking.find_slots(
        uow,
        policy,
        service_ids=service_ids,
        location_id=location_id,
        first=day,
        last=day,
        now=now,
        channel=channel,
    )
    return Choice(locations, location_id, days, day, times)


# -- the department's day ---------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One visit on the day list, with what staff may do with it now."""

    code: str
    location: str  # name
    start: datetime  # local
    end: datetime
    counter_id: int
    services: list[str]  # names
    name: str
    contact: str  # phone, else e-mail: one way to reach the visitor
    channel: str
    status: str
    expires_at: datetime | None
    may_arrive: bool
    may_no_show: bool
    may_confirm: bool
    may_cancel: bool


@dataclass(frozen=True)
class Agenda:
    location_id: str
    location_name: str
    kind: str
    day: date
    counters: list[tuple[str, list[Entry]]]  # counter name, its holding visits
    ended: list[Entry]  # cancelled and expired visits of the day
    locations: list[tuple[str, str]]  # every bookable location: id, name


def day_agenda(
    uow: UnitOfWork,
    *,
    location_id: str | None,
    day: date,
    now: datetime,
    viewer: Login | None = None,
) -> Agenda:
    """The visits of a location's day, per counter; the first location when none is named.

    A viewer sees only the locations of the offices they may see (a clerk: their own).
    """
    places = [
        (loc.id, loc.name)
        for _, loc in uow.repo(AppointmentRepository).calendars()
        if viewer is None or viewer.sees(authority=loc.authority_id)
    ]
    if not places:
        raise NotFound(
            "Es gibt noch keinen Standort mit Terminvergabe.",
            message_en="No location takes appointments yet.",
        )
    location_id = location_id or places[0][0]
    if viewer is not None:  # the day list shows the visitors' names: a view of personal data
        staff_acted(uow, viewer, "agenda.viewed", "location", location_id, day.isoformat())
    calendar = uow.repo(AppointmentRepository).calendar(location_id)
    if calendar is None or location_id not in dict(places):
        raise NotFound(
            f"Es gibt keinen Standort mit Terminvergabe „{location_id[:120]}“.",
            message_en=f"There is no location taking appointments '{location_id[:120]}'.",
        )
    rows = uow.repo(AppointmentRepository).day(
        location_id, local_minute(day, 0), local_minute(day + timedelta(days=1), 0)
    )
    ids = {s.service_id for row in rows for s in row.services}
    services = catalog_reads.services_by_id(uow, sorted(ids))
    counters = {c.id: c.name for c in uow.repo(AppointmentRepository).counters(location_id)}
    by_counter: dict[int, list[Entry]] = {c: [] for c in counters}
    ended: list[Entry] = []
    name = dict(places).get(location_id, location_id)
    for row in rows:
        entry = _entry(row, _names(services, row), name, now)
        if row.status in HOLDING and row.counter_id in by_counter:
            by_counter[row.counter_id].append(entry)
        else:
            ended.append(entry)
    return Agenda(
        location_id=location_id,
        location_name=name,
        kind=calendar.kind,
        day=day,
        counters=[(counters[c], entries) for c, entries in by_counter.items()],
        ended=ended,
        locations=places,
    )


def describe(uow: UnitOfWork, row: t.Appointment, now: datetime) -> Entry:
    """One visit as staff see it (the desk's lookup by code)."""
    services = catalog_reads.services_by_id(uow, [s.service_id for s in row.services])
    names = {loc.id: loc.name for _, loc in uow.repo(AppointmentRepository).calendars()}
    return _entry(row, _names(services, row), names.get(row.location_id, row.location_id), now)


def _names(services: dict[str, Any], row: t.Appointment) -> list[str]:
    return [
        services[s.service_id].name if s.service_id in services else s.service_id
        for s in row.services
    ]


def _entry(row: t.Appointment, services: list[str], location: str, now: datetime) -> Entry:
    return Entry(
        code=row.code,
        location=location,
        start=from_epoch_minutes(row.start_minute),
        end=from_epoch_minutes(epoch_minutes(row.end_at)),
        counter_id=row.counter_id,
        services=services,
        name=row.name,
        contact=row.phone or row.email,
        channel=row.channel,
        status=row.status,
        expires_at=row.expires_at,
        may_arrive=attendance_refusal(row, "arrived", now) is None,
        may_no_show=attendance_refusal(row, "no_show", now) is None,
        may_confirm=row.status == "provisional" and row.start_at > now,
        may_cancel=row.status in CHANGEABLE and row.start_at > now,
    )
