"""A fair waitlist: freed time goes to those waiting, in order, one held offer at a time.

Whoever refreshes fastest gains nothing: a cancelled or expired slot is
offered to the waitlist in the same transaction that frees it, so it never
shows up in the public slot search while someone is waiting for it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import Slot
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import AuskunftError, Conflict, NotFound
from auskunft.core.jobs.queue import enqueue


def join(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    service_id: str,
    location_id: str,
    person: booking.Person,
    now: datetime,
) -> tuple[t.WaitlistEntry, str]:
    """Put a person on the waitlist; only when no slot is free in the whole horizon."""
    person = booking.check_person(person, "online")
    uow.repo(AppointmentRepository).lock_for_write()
    if _first_free(uow, policy, location_id, service_id, now) is not None:
        raise Conflict(
            "Es gibt noch freie Termine; bitte direkt einen buchen.",
            message_en="There are still free slots; please book one directly.",
        )
    entry = t.WaitlistEntry(
        service_id=service_id,
        location_id=location_id,
        name=person.name,
        email=person.email,
        phone=person.phone,
        language=person.language,
        status="waiting",
        created_at=now,
        offers=0,
    )
    uow.repo(AppointmentRepository).add(entry)
    uow.repo(AppointmentRepository).flush()
    enqueue(uow.session, "mail.waitlist_joined", {"waitlist": entry.id}, now=now)
    return entry, booking.manage_token(policy.secret, "waitlist", str(entry.id))


def position(uow: UnitOfWork, entry: t.WaitlistEntry) -> int:
    """1 for the next in line."""
    waiting = uow.repo(AppointmentRepository).waiting(entry.location_id)
    return next((i for i, e in enumerate(waiting, 1) if e.id == entry.id), 0)


def find_entry(
    uow: UnitOfWork, policy: BookingPolicy, entry_id: int, token: str
) -> t.WaitlistEntry:
    entry = uow.repo(AppointmentRepository).waitlist_entry(entry_id)
    if entry is None or not booking.token_ok(policy.secret, "waitlist", str(entry.id), token):
        raise NotFound(
            "Diesen Wartelisten-Eintrag gibt es nicht, oder der Link ist unvollständig.",
            message_en="There is no such waitlist entry, or the link is incomplete.",
        )
    return entry


def offered_appointment(uow: UnitOfWork, entry: t.WaitlistEntry) -> t.Appointment | None:
    """The held appointment offered to an entry, while the offer is open."""
    if entry.status != "offered" or entry.appointment_id is None:
        return None
    row = uow.repo(AppointmentRepository).by_id(entry.appointment_id)
    return row if row is not None and row.status == "offered" else None


def leave(uow: UnitOfWork, policy: BookingPolicy, *, entry_id: int, token: str) -> None:
    """Take oneself off the waitlist."""
    entry = find_entry(uow, policy, entry_id, token)
    if entry.status == "waiting":
        entry.status = "left"


def public_entry(uow: UnitOfWork, entry: t.WaitlistEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "service": entry.service_id,
        "location": entry.location_id,
        "status": entry.status,
        "position": position(uow, entry) if entry.status == "waiting" else None,
    }


def _first_free(
    uow: UnitOfWork, policy: BookingPolicy, location_id: str, service_id: str, now: datetime
) -> Slot | None:
    today = booking.local_day(now)
    slots = booking.find_slots(
        uow,
        policy,
        service_ids=[service_id],
        location_id=location_id,
        first=today,
        last=today + timedelta(days=booking.MAX_RANGE_DAYS - 1),
        now=now,
    )
    return slots[0] if slots else None


def offer_free_slots(
    uow: UnitOfWork, policy: BookingPolicy, location_id: str, now: datetime
) -> int:
    """Offer free slots to waiting people in order of joining; return how many offers."""
    made = 0
    for entry in uow.repo(AppointmentRepository).waiting(location_id):
        try:
            slot = _first_free(uow, policy, location_id, entry.service_id, now)
        except AuskunftError:
            continue  # the service is no longer bookable there; the entry stays
        if slot is None:
            continue
        offer = booking.hold_for_waitlist(uow, policy, entry, slot, now)
        if offer is not None:
            entry.status = "offered"
            entry.offers += 1
            entry.appointment_id = offer.id
            made += 1
    return made


def accept(
    uow: UnitOfWork, policy: BookingPolicy, *, code: str, token: str, now: datetime
) -> t.Appointment:
    """Turn a held offer into a booked appointment."""
    row = booking.find(uow, policy, code, token, for_update=True)
    if row.status != "offered":
        raise Conflict(
            "Dieses Angebot ist nicht mehr offen.", message_en="This offer is no longer open."
        )
    if row.expires_at is not None and row.expires_at <= now:
        raise Conflict("Dieses Angebot ist abgelaufen.", message_en="This offer has expired.")
    row.status = "booked"
    row.expires_at = None
    row.changed_at = now
    if row.waitlist_id is not None:
        uow.repo(AppointmentRepository).set_waitlist_status(row.waitlist_id, "booked")
    booking.notify(uow, policy, row, "confirmation", now)
    return row


def after_offer_ends(uow: UnitOfWork, waitlist_id: int | None, *, declined: bool) -> None:
    """An offer declined or left to run out ends the entry; the next in line gets the time."""
    if waitlist_id is None:
        return
    entry = uow.repo(AppointmentRepository).waitlist_entry(waitlist_id)
    if entry is not None and entry.status == "offered":
        entry.status = "left" if declined else "expired"


def expire_holds(uow: UnitOfWork, policy: BookingPolicy, *, now: datetime) -> int:
    """End unanswered waitlist offers and unconfirmed wedding reservations; free their time."""
    uow.repo(AppointmentRepository).lock_for_write()
    rows = list(uow.repo(AppointmentRepository).holds_expired(now))
    locations = set()
    for row in rows:
        offered = row.status == "offered"
        row.status = "expired"
        row.changed_at = now
        uow.repo(AppointmentRepository).release_cells(row.id)
        if offered:
            after_offer_ends(uow, row.waitlist_id, declined=False)
        else:
            booking.notify(uow, policy, row, "expired", now)
        locations.add(row.location_id)
    uow.repo(AppointmentRepository).flush()
    for location_id in sorted(locations):
        offer_free_slots(uow, policy, location_id, now)
    return len(rows)
