"""A person's data in the appointments: found by e-mail address or phone number, and erased
on request (DSGVO Art. 15 and 17; the privacy slice asks, docs/privacy.md).

A person is named by the mailbox their address reaches (`core.email.limit_key`: "Anna+x@
Example.de" is "anna@example.de") and by the digits of their phone number as dialled in
Germany (`core.phone.national_digits`: "+49 561 123" is "0561123"); the caller computes
both. Erasing cancels the coming visits through the booking's own `release` (the cells are
freed and the waitlist is offered the time, in this transaction), without an e-mail to the
address being erased; every visit keeps its anonymous facts (time, place, services,
status) for the statistics, as the retention purge leaves them; waitlist entries go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import CHANGEABLE
from auskunft.appointments.model.events import OfferEnded
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service.booking import release
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.email import limit_key
from auskunft.core.phone import national_digits


@dataclass(frozen=True)
class Place:
    """Where: a location, its address, and the office (Behörde) responsible for it."""

    location_id: str
    location: str
    address: str
    authority_id: str | None
    authority: str


@dataclass(frozen=True)
class Visit:
    """One appointment with the personal data it holds."""

    code: str
    status: str
    start: datetime
    end: datetime
    place: Place
    services: tuple[str, ...]  # the services' names
    channel: str  # online (booked by the person) | phone (by the service center)
    booked_by_staff: bool
    name: str
    email: str
    phone: str
    language: str
    booked_at: datetime
    changed_at: datetime


@dataclass(frozen=True)
class WaitingPlace:
    """One waitlist entry with the personal data it holds."""

    id: int
    status: str
    service: str
    place: Place
    name: str
    email: str
    phone: str
    language: str
    joined_at: datetime


@dataclass(frozen=True)
class PersonalData:
    visits: tuple[Visit, ...]
    waiting: tuple[WaitingPlace, ...]


@dataclass(frozen=True)
class Erased:
    """What an erasure did: coming visits cancelled, visits anonymised (the cancelled ones
    among them), waitlist entries deleted."""

    cancelled: int
    anonymised: int
    waitlist: int


def _repo(uow: UnitOfWork) -> AppointmentRepository:
    return uow.repo(AppointmentRepository)


def _matching(
    found: Sequence[tuple[int, str]], wanted: str, key: Callable[[str], str]
) -> list[int]:
    return [i for i, value in found if key(value) == wanted]


def _visit_ids(uow: UnitOfWork, email_key: str, phone: str) -> list[int]:
    ids: set[int] = set()
    if email_key:
        ids |= {row.id for row in _repo(uow).of_mailbox(email_key)}
    if phone:
        ids |= set(_matching(_repo(uow).phones(), phone, national_digits))
    return sorted(ids)


def _entry_ids(uow: UnitOfWork, email_key: str, phone: str) -> list[int]:
    ids: set[int] = set()
    if email_key:
        domain = email_key.rpartition("@")[2]
        ids |= set(_matching(_repo(uow).waitlist_emails(domain), email_key, limit_key))
    if phone:
        ids |= set(_matching(_repo(uow).waitlist_phones(), phone, national_digits))
    return sorted(ids)


class _Places:
    """Locations and their offices, each read once."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.found: dict[str, Place] = {}

    def __call__(self, location_id: str) -> Place:
        place = self.found.get(location_id)
        if place is None:
            row = catalog_reads.location(self.uow, location_id)
            if row is None:
                place = Place(location_id, location_id, "", None, "")
            else:
                names = catalog_reads.authority_names(self.uow, [row.authority_id])
                town = " ".join(p for p in (row.postcode, row.city) if p)
                place = Place(
                    location_id,
                    row.name,
                    ", ".join(p for p in (row.street, town) if p),
                    row.authority_id,
                    names.get(row.authority_id, row.authority_id),
                )
            self.found[location_id] = place
        return place


def personal_data(uow: UnitOfWork, *, email_key: str = "", phone: str = "") -> PersonalData:
    """Every visit and waitlist entry that holds this mailbox or phone number (empty: not
    asked for), newest first."""
    visits = _repo(uow).by_ids(_visit_ids(uow, email_key, phone))
    entries = _repo(uow).waitlist_entries(_entry_ids(uow, email_key, phone))
    service_ids = sorted(
        {s.service_id for v in visits for s in v.services} | {e.service_id for e in entries}
    )
    services = catalog_reads.services_by_id(uow, service_ids)

    def named(service_id: str) -> str:
        found = services.get(service_id)
        return found.name if found is not None else service_id

    place = _Places(uow)
    return PersonalData(
        visits=tuple(
            Visit(
                code=row.code,
                status=row.status,
                start=row.start_at,
                end=row.end_at,
                place=place(row.location_id),
                services=tuple(named(s.service_id) for s in row.services),
                channel=row.channel,
                booked_by_staff=row.booked_by is not None,
                name=row.name,
                email=row.email,
                phone=row.phone,
                language=row.language,
                booked_at=row.created_at,
                changed_at=row.changed_at,
            )
            for row in sorted(visits, key=lambda r: (r.start_at, r.id), reverse=True)
        ),
        waiting=tuple(
            WaitingPlace(
                id=entry.id,
                status=entry.status,
                service=named(entry.service_id),
                place=place(entry.location_id),
                name=entry.name,
                email=entry.email,
                phone=entry.phone,
                language=entry.language,
                joined_at=entry.created_at,
            )
            for entry in sorted(entries, key=lambda e: e.id, reverse=True)
        ),
    )


def _anonymise(row: t.Appointment, staff_id: int | None, now: datetime) -> None:
    """What the retention purge blanks (housekeeping.purge_personal_data), now."""
    row.name = row.email = row.email_key = row.phone = ""
    row.purged = True
    row.changed_at = now
    if staff_id is not None:
        row.changed_by = staff_id


def erase_personal_data(
    uow: UnitOfWork,
    policy: BookingPolicy,
    *,
    email_key: str = "",
    phone: str = "",
    staff_id: int | None = None,
    now: datetime,
) -> Erased:
    """Erase a person's data: delete their waitlist entries, cancel their coming visits
    (freeing the time for the waitlist and the slot search), and blank name, address and
    phone of every visit of theirs. Idempotent: a second call finds nothing more.

    The waitlist entries go first, so a freed time is never offered back to the person
    whose data is being erased. Nobody is mailed: the cancellation is the person's own
    request, and the address is gone before any e-mail job would run.
    """
    repo = _repo(uow)
    repo.lock_for_write()
    entries = _entry_ids(uow, email_key, phone)
    repo.delete_waitlist_entries(entries)
    repo.flush()
    rows = repo.by_ids(_visit_ids(uow, email_key, phone), for_update=True)
    cancelled = 0
    for row in rows:
        if row.status in CHANGEABLE and row.start_at > now:
            if row.status == "offered" and row.waitlist_id is not None:
                uow.publish(OfferEnded(row.waitlist_id, declined=True))
            release(uow, policy, row, "cancelled", now)
            cancelled += 1
        _anonymise(row, staff_id, now)
    repo.flush()
    return Erased(cancelled=cancelled, anonymised=len(rows), waitlist=len(entries))
