"""Use cases of appointments: find slots, book, look up, cancel, move.

Every use case leaves committing to the caller. A booking is final only when
the database took every grid cell of its counter (see `AppointmentRepository
.claim_cells`); the slot search before it only decides what to try.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import (
    CHANGEABLE,
    Slot,
    candidate_counters,
    cells,
    free_slots,
    new_code,
    span_of,
)
from auskunft.appointments.model.calendar import (
    busy_by_counter,
    epoch_minutes,
    from_epoch_minutes,
    local_minute,
)
from auskunft.appointments.model.events import OfferEnded, SlotFreed
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service.calendars import Bookable, BookingPolicy, bookable
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.email import hidden_characters, limit_key, linkable, normalize
from auskunft.core.errors import Conflict, InvalidInput, LimitReached, NotFound
from auskunft.core.hours import BERLIN
from auskunft.core.jobs.queue import enqueue, enqueue_all

MAX_RANGE_DAYS = 366
# Days further from today than this are refused, not searched: no calendar books that
# far ahead (the settings cap the horizon at 730 days), and the clock arithmetic of
# days near the years 1 and 9999 would overflow.
REACH_DAYS = 3 * 366
_PHONE = re.compile(r"^\+?[0-9 ()/\-]{3,40}$")


@dataclass(frozen=True)
class Person:
    """Who the visit is for: the only personal data kept, and only until it is deleted."""

    name: str
    email: str = ""
    phone: str = ""
    language: str = "de"


@dataclass(frozen=True)
class Booked:
    appointment: t.Appointment
    manage_token: str  # shown once; only its hash is stored


def manage_token(secret: bytes, purpose: str, key: str) -> str:
    """The token in a manage link: an HMAC of the code under the server's secret.

    Nothing to store, so the reminder can carry the same link as the
    confirmation; a leaked database alone lets nobody change appointments.
    """
    digest = hmac.new(secret, f"{purpose}:{key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def token_ok(secret: bytes, purpose: str, key: str, token: str) -> bool:
    return bool(token) and hmac.compare_digest(manage_token(secret, purpose, key), token)


def check_name(raw: str) -> str:
    """A name as stored and shown: plain words, no control characters, nothing a mail
    program would make a link of (the name is the visitor's own text in the city's mail)."""
    if hidden_characters(raw):
        raise InvalidInput(
            "Der Name enthält Steuer- oder Formatzeichen, die nicht verarbeitet werden können.",
            message_en="The name contains control or format characters that cannot be processed.",
        )
    name = " ".join(raw.split())
    if not name or len(name) > 200:
        raise InvalidInput(
            "Bitte einen Namen angeben (höchstens 200 Zeichen).",
            message_en="Please give a name (at most 200 characters).",
        )
    if linkable(name):
        raise InvalidInput(
            "Bitte den Namen ohne Web- oder E-Mail-Adressen angeben (nach einem Punkt ein "
            "Leerzeichen, z. B. „Dr. Müller“).",
            message_en="Please give the name without web or e-mail addresses (a space after "
            "a dot, e.g. 'Dr. Miller').",
        )
    return name


def check_person(person: Person, channel: str) -> Person:
    """Validate name, e-mail and phone; online bookings need an e-mail address.

    The address is kept in its canonical form (core.email): what is stored is
    exactly what the mail is sent to.
    """
    name = check_name(person.name)
    email = person.email.strip()
    if email:
        email = normalize(email).address
    elif channel == "online":
        raise InvalidInput(
            "Bitte eine E-Mail-Adresse angeben: dorthin gehen Bestätigung und Verwaltungslink.",
            message_en="Please give an e-mail address: the confirmation and manage link go there.",
        )
    phone = " ".join(person.phone.split())
    if phone and not _PHONE.fullmatch(phone):
        raise InvalidInput(
            "Bitte eine Telefonnummer nur aus Ziffern, Leerzeichen und + ( ) / - angeben.",
            message_en="Please give a phone number of digits, spaces and + ( ) / - only.",
        )
    if channel == "phone" and not (email or phone):
        raise InvalidInput(
            "Bitte eine E-Mail-Adresse oder Telefonnummer für Rückfragen angeben.",
            message_en="Please give an e-mail address or phone number for queries.",
        )
    language = person.language if person.language in ("de", "en") else "de"
    return Person(name, email, phone, language)


def check_channel(channel: str) -> None:
    if channel not in ("online", "phone"):
        raise InvalidInput(
            f"Unbekannter Buchungsweg „{channel[:20]}“.", message_en="Unknown channel."
        )


def check_reach(first: date, last: date, today: date) -> None:
    """Refuse days further from today than any calendar books (InvalidInput, 422)."""
    earliest = today - timedelta(days=REACH_DAYS)
    latest = today + timedelta(days=REACH_DAYS)
    if not (earliest <= first <= latest and earliest <= last <= latest):
        raise InvalidInput(
            f"Termine gibt es nur an Tagen zwischen dem {earliest:%d.%m.%Y} und dem "
            f"{latest:%d.%m.%Y}.",
            message_en=f"Appointments exist only on days between {earliest.isoformat()} and "
            f"{latest.isoformat()}.",
        )


def start_minute(start: datetime, now: datetime) -> int:
    """Epoch minute of a requested start; it must carry its offset, be a whole minute and
    lie within reach of today."""
    if start.tzinfo is None:
        raise InvalidInput(
            "Die Startzeit braucht eine Zeitzone, z. B. 2026-12-01T09:00:00+01:00.",
            message_en="The start time needs an offset, e.g. 2026-12-01T09:00:00+01:00.",
        )
    # Judged by the day as written, before any conversion: an offset moves it by less
    # than a day, and converting 9999-12-31T23:59-14:00 to UTC would overflow.
    if abs((start.date() - local_day(now)).days) > REACH_DAYS:
        raise _not_bookable()
    if start.second or start.microsecond:
        raise InvalidInput(
            "Termine beginnen zur vollen Minute.", message_en="Appointments start on the minute."
        )
    return epoch_minutes(start)


def iso(minute: int) -> str:
    return from_epoch_minutes(minute).isoformat()


def _day_bounds(day: date) -> tuple[int, int]:
    return local_minute(day, 0), local_minute(day + timedelta(days=1), 0)


def local_day(now: datetime) -> date:
    """Today in Berlin."""
    return now.astimezone(BERLIN).date()


def list_locations(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Every location that takes bookings, with the services bookable there."""
    services = uow.repo(AppointmentRepository).services_by_location()
    return [
        {
            "id": location.id,
            "name": location.name,
            "authority_id": location.authority_id,
            "services": services.get(location.id, []),
        }
        for _, location in uow.repo(AppointmentRepository).calendars()
    ]


def find_slots(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    service_ids: Sequence[str],
    location_id: str,
    first: date,
    last: date,
    now: datetime,
    channel: str = "online",
) -> list[Slot]:
    """Free start times for the services at a location between two days (inclusive)."""
    check_channel(channel)
    if last < first:
        raise InvalidInput("„to“ liegt vor „from“.", message_en="'to' lies before 'from'.")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise InvalidInput(
            f"Höchstens {MAX_RANGE_DAYS} Tage auf einmal.",
            message_en=f"At most {MAX_RANGE_DAYS} days at once.",
        )
    today = local_day(now)
    check_reach(first, last, today)
    visit = bookable(uow, policy, location_id, service_ids)
    start, _ = _day_bounds(max(first, today))
    _, end = _day_bounds(last)
    if start >= end:
        return []
    busy = busy_by_counter(uow.repo(AppointmentRepository).busy(location_id, start, end))
    return free_slots(
        visit.calendar,
        duration=visit.duration,
        busy=busy,
        now=epoch_minutes(now),
        today=today,
        first=first,
        last=last,
        channel=channel,
    )


def _take(
    uow: UnitOfWork,
    visit: Bookable,
    row: t.Appointment,
    start: int,
    now: datetime,
    channel: str,
) -> None:
    """Put a visit on the first counter whose cells the database lets it take."""
    _claim(uow, visit, row, start, _counters(uow, visit, start, now, channel, exclude=row.id))


def _counters(
    uow: UnitOfWork,
    visit: Bookable,
    start: int,
    now: datetime,
    channel: str,
    exclude: int | None = None,
) -> list[int]:
    """Counters on which the visit fits as booked now, in the order to try them."""
    calendar = visit.calendar
    # Only visits holding time within the new one's span can keep it off a counter.
    _, busy_until = span_of(calendar, start, visit.duration)
    rows = uow.repo(AppointmentRepository).busy(
        calendar.location_id, start, busy_until, exclude=exclude
    )

    def fitting(busy: dict[int, list[tuple[int, int]]]) -> list[int]:
        return candidate_counters(
            calendar,
            start=start,
            duration=visit.duration,
            busy=busy,
            now=epoch_minutes(now),
            today=local_day(now),
            channel=channel,
        )

    counters = fitting(dict(busy_by_counter(rows)))
    if not counters:
        if not fitting({}):
            raise _not_bookable()
        raise _taken()
    return counters


def _first_free(
    uow: UnitOfWork, visit: Bookable, appointment_id: int, start: int, counters: list[int]
) -> int:
    """The first of the counters on which the database let the visit take its cells."""
    _, busy_until = span_of(visit.calendar, start, visit.duration)
    wanted = cells(visit.calendar, start, busy_until)
    for counter in counters:
        if uow.repo(AppointmentRepository).claim_cells(counter, wanted, appointment_id):
            return counter
    raise _taken()


def _claim(
    uow: UnitOfWork, visit: Bookable, row: t.Appointment, start: int, counters: list[int]
) -> None:
    """Take the cells on the first counter the database lets the visit have; note it."""
    row.counter_id = _first_free(uow, visit, row.id, start, counters)
    end, busy_until = span_of(visit.calendar, start, visit.duration)
    row.start_minute, row.busy_until = start, busy_until
    row.start_at = from_epoch_minutes(start).astimezone(UTC)
    row.end_at = from_epoch_minutes(end).astimezone(UTC)


def _not_bookable() -> InvalidInput:
    return InvalidInput(
        "Zu dieser Zeit gibt es an diesem Standort keinen buchbaren Termin.",
        message_en="There is no bookable appointment at this location at that time.",
    )


def _taken() -> Conflict:
    return Conflict(
        "Dieser Termin ist gerade vergeben worden. Bitte eine andere Zeit wählen.",
        message_en="This slot has just been taken. Please choose another time.",
    )


def book(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    service_ids: Sequence[str],
    location_id: str,
    start: datetime,
    person: Person,
    now: datetime,
    channel: str = "online",
    booked_by: int | None = None,
) -> Booked:
    """Book a visit; Conflict (409) when the slot is gone, LimitReached (429) over the limit."""
    check_channel(channel)
    person = check_person(person, channel)
    email_key = limit_key(person.email) if person.email else ""
    minute = start_minute(start, now)
    uow.repo(AppointmentRepository).lock_for_write()
    visit = bookable(uow, policy, location_id, service_ids)
    if channel == "online":
        # Bookings of one person for one service queue here until the transaction ends,
        # so that each counts what the one before it booked (PostgreSQL; SQLite's
        # write lock, taken above, already makes every booking wait its turn).
        uow.repo(AppointmentRepository).lock_person(visit.services, email_key, person.phone)
        held = uow.repo(AppointmentRepository).active_for_person(
            visit.services, email_key, person.phone, epoch_minutes(now)
        )
        if held >= policy.limit_per_service:
            raise LimitReached(
                "Für diese Leistung besteht unter dieser E-Mail-Adresse oder Telefonnummer "
                "schon ein Termin. Bitte den bestehenden Termin verschieben oder absagen.",
                message_en="There is already an appointment for this service under this "
                "e-mail address or phone number. Please move or cancel that one.",
            )
    if not visit.calendar.counters:
        raise _taken()
    # Counters and times are known before the row is written, so that a booking
    # whose first counter is free (the usual case) needs no UPDATE afterwards.
    counters = _counters(uow, visit, minute, now, channel)
    end, busy_until = span_of(visit.calendar, minute, visit.duration)
    venue = visit.kind == "venue"
    values: dict[str, Any] = {
        "code": new_code(),
        "location_id": location_id,
        "counter_id": counters[0],
        "start_at": from_epoch_minutes(minute).astimezone(UTC),
        "end_at": from_epoch_minutes(end).astimezone(UTC),
        "start_minute": minute,
        "busy_until": busy_until,
        "status": "provisional" if venue else "booked",
        "channel": channel,
        "booked_by": booked_by,
        "name": person.name,
        "email": person.email,
        "email_key": email_key,
        "phone": person.phone,
        "language": person.language,
        "created_at": now,
        "changed_at": now,
        "expires_at": now + timedelta(days=policy.wedding_hold_days) if venue else None,
    }
    # Written without the ORM's unit of work, whose flush cost more CPU than the
    # inserts themselves; the row handed back is a copy, not attached to the session.
    wanted = cells(visit.calendar, minute, busy_until)
    new_id, taken = uow.repo(AppointmentRepository).insert_visit(
        values, visit.services, counters[0], wanted
    )
    counter = counters[0] if taken else _first_free(uow, visit, new_id, minute, counters[1:])
    if counter != counters[0]:
        uow.repo(AppointmentRepository).set_counter(new_id, counter)
    values["counter_id"] = counter
    row = t.Appointment(
        id=new_id,
        **values,
        services=[
            t.AppointmentService(appointment_id=new_id, position=i, service_id=s)
            for i, s in enumerate(visit.services)
        ],
    )
    notify(uow, policy, row, "confirmation", now)
    return Booked(row, manage_token(policy.secret, "appointment", row.code))


def notify(
    uow: UnitOfWork, policy: BookingPolicy, row: t.Appointment, kind: str, now: datetime
) -> None:
    """Queue the e-mail about a change and, for a coming visit, its reminder."""
    if not row.email:
        return
    jobs: list[tuple[str, dict[str, Any], datetime | None]] = [
        (f"mail.{kind}", {"appointment": row.id}, None)
    ]
    if kind in ("confirmation", "moved"):
        day_before = from_epoch_minutes(row.start_minute).date() - timedelta(days=1)
        remind = datetime.combine(day_before, time(policy.reminder_hour), tzinfo=BERLIN)
        if remind > now:
            payload = {"appointment": row.id, "start": row.start_minute}
            jobs.append(("mail.reminder", payload, remind.astimezone(UTC)))
    enqueue_all(uow.session, jobs, now=now)


def find(
    uow: UnitOfWork, policy: BookingPolicy, code: str, token: str, *, for_update: bool = False
) -> t.Appointment:
    """The appointment of a code, if the token is its manage token; NotFound otherwise."""
    code = code.strip().upper()
    row = (
        uow.repo(AppointmentRepository).by_code(code, for_update=for_update)
        if len(code) <= 12
        else None
    )
    if row is None or not token_ok(policy.secret, "appointment", row.code, token):
        raise NotFound(
            "Diesen Termin gibt es nicht, oder der Link ist unvollständig.",
            message_en="There is no such appointment, or the link is incomplete.",
        )
    return row


def public(row: t.Appointment) -> dict[str, Any]:
    """The appointment as the API and the manage page show it."""
    record: dict[str, Any] = {
        "code": row.code,
        "status": row.status,
        "start": iso(row.start_minute),
        "end": from_epoch_minutes(epoch_minutes(row.end_at)).isoformat(),
        "location": row.location_id,
        "services": [s.service_id for s in row.services],
        "channel": row.channel,
    }
    if row.expires_at is not None and row.status in ("provisional", "offered"):
        record["expires_at"] = row.expires_at.astimezone(BERLIN).isoformat()
    return record


def _changeable(row: t.Appointment, now: datetime) -> None:
    if row.status not in CHANGEABLE:
        raise Conflict(
            "Dieser Termin ist bereits abgesagt oder abgelaufen.",
            message_en="This appointment has already been cancelled or has expired.",
        )
    if row.start_at <= now:
        raise Conflict(
            "Dieser Termin hat schon begonnen und kann nicht mehr geändert werden.",
            message_en="This appointment has already begun and can no longer be changed.",
        )


def release(
    uow: UnitOfWork, policy: BookingPolicy, row: t.Appointment, status: str, now: datetime
) -> None:
    """End a visit's hold on its counter and offer the time to the waitlist first."""
    row.status = status
    row.changed_at = now
    uow.repo(AppointmentRepository).release_cells(row.id)
    uow.repo(AppointmentRepository).flush()
    uow.publish(SlotFreed(row.location_id, now, policy))


def cancel(
    uow: UnitOfWork, policy: BookingPolicy, *, code: str, token: str, now: datetime
) -> t.Appointment:
    """Cancel a visit (or decline an offer); its time goes to the waitlist first."""
    uow.repo(AppointmentRepository).lock_for_write()
    row = find(uow, policy, code, token, for_update=True)
    _changeable(row, now)
    if row.status == "offered" and row.waitlist_id is not None:
        uow.publish(OfferEnded(row.waitlist_id, declined=True))
    release(uow, policy, row, "cancelled", now)
    notify(uow, policy, row, "cancelled", now)
    return row


def reschedule(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    code: str,
    token: str,
    start: datetime,
    now: datetime,
) -> t.Appointment:
    """Move a visit to another start at the same location; the old time stays on failure."""
    minute = start_minute(start, now)
    uow.repo(AppointmentRepository).lock_for_write()
    row = find(uow, policy, code, token, for_update=True)
    _changeable(row, now)
    if row.status == "offered":
        raise Conflict(
            "Ein Angebot von der Warteliste kann angenommen oder abgelehnt, aber nicht "
            "verschoben werden.",
            message_en="A waitlist offer can be accepted or declined, not moved.",
        )
    visit = bookable(uow, policy, row.location_id, [s.service_id for s in row.services])
    uow.repo(AppointmentRepository).release_cells(row.id)
    _take(uow, visit, row, minute, now, row.channel)
    row.changed_at = now
    uow.repo(AppointmentRepository).flush()
    uow.publish(SlotFreed(row.location_id, now, policy))
    notify(uow, policy, row, "moved", now)
    return row


def hold_for_waitlist(
    uow: UnitOfWork, policy: BookingPolicy, entry: t.WaitlistEntry, slot: Slot, now: datetime
) -> t.Appointment | None:
    """Hold a free slot for a waiting person for a limited time; None if it is gone."""
    visit = bookable(uow, policy, entry.location_id, [entry.service_id])
    start = from_epoch_minutes(slot.start).astimezone(UTC)
    row = t.Appointment(
        code=new_code(),
        location_id=entry.location_id,
        counter_id=visit.calendar.counters[0],
        start_at=start,
        end_at=start + timedelta(minutes=1),
        start_minute=slot.start,
        busy_until=slot.start + 1,
        status="offered",
        channel="online",
        name=entry.name,
        email=entry.email,
        email_key=limit_key(entry.email) if entry.email else "",
        phone=entry.phone,
        language=entry.language,
        created_at=now,
        changed_at=now,
        # An offer for a visit soon is held only until the booking lead time before it.
        expires_at=min(
            now + timedelta(hours=policy.waitlist_offer_hours),
            start - timedelta(minutes=visit.calendar.lead_minutes),
        ),
        waitlist_id=entry.id,
        services=[t.AppointmentService(position=0, service_id=entry.service_id)],
    )
    uow.repo(AppointmentRepository).add(row)
    uow.repo(AppointmentRepository).flush()
    try:
        _take(uow, visit, row, slot.start, now, "online")
    except (Conflict, InvalidInput):
        uow.session.delete(row)
        uow.repo(AppointmentRepository).flush()
        return None
    enqueue(uow.session, "mail.waitlist_offer", {"appointment": row.id}, now=now)
    return row
