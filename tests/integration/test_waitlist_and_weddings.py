"""The fair waitlist and provisional wedding reservations, on both stores."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking, waitlist
from auskunft.appointments.service.booking import Person
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict
from auskunft.core.hours import BERLIN
from auskunft.core.jobs import tables as t

LOCATION = "niestetal-buergerbuero-rathaus"  # one counter
SERVICE = "personalausweis-beantragen"  # 20 minutes there
NOW = datetime.combine(date(2027, 3, 1), time(6), tzinfo=BERLIN)  # a Monday morning
# Monday to Wednesday morning, nothing held back for the phone: a small, fillable horizon.
POLICY = BookingPolicy(secret=b"waitlist-test-secret-0123456789ab", horizon_days=2, phone_share=0)


def slots(uow: UnitOfWork, now: datetime = NOW) -> list[booking.Slot]:
    return booking.find_slots(
        uow, POLICY, service_ids=[SERVICE], location_id=LOCATION,
        first=now.date(), last=now.date() + timedelta(days=5), now=now,
    )  # fmt: skip


def fill(url: str) -> list[booking.Booked]:
    made = []
    with UnitOfWork(get_engine(url)) as uow:
        while found := slots(uow):
            made.append(
                booking.book(
                    uow,
                    POLICY,
                    service_ids=[SERVICE],
                    location_id=LOCATION,
                    start=booking.from_epoch_minutes(found[0].start),
                    person=Person(f"Filler {len(made)}", f"filler{len(made)}@example.de"),
                    now=NOW,
                )
            )
        uow.commit()
    return made


def join(url: str, who: str) -> tuple[int, str]:
    with UnitOfWork(get_engine(url)) as uow:
        entry, token = waitlist.join(
            uow, POLICY, service_id=SERVICE, location_id=LOCATION,
            person=Person(who, f"{who.lower()}@example.de"), now=NOW,
        )  # fmt: skip
        uow.commit()
        return entry.id, token


def cancel(url: str, done: booking.Booked, now: datetime = NOW) -> None:
    with UnitOfWork(get_engine(url)) as uow:
        booking.cancel(uow, POLICY, code=done.appointment.code, token=done.manage_token, now=now)
        uow.commit()


@dataclass(frozen=True)
class Offer:
    id: int
    code: str
    status: str
    start_minute: int
    expires_at: datetime | None


def offer_of(url: str, entry_id: int) -> Offer | None:
    with UnitOfWork(get_engine(url)) as uow:
        entry = uow.repo(AppointmentRepository).waitlist_entry(entry_id)
        assert entry is not None
        if entry.appointment_id is None:
            return None
        row = uow.repo(AppointmentRepository).by_id(entry.appointment_id)
        assert row is not None
        return Offer(row.id, row.code, row.status, row.start_minute, row.expires_at)


def test_joining_is_refused_while_slots_are_free(fresh_url: str) -> None:
    with pytest.raises(Conflict):
        join(fresh_url, "Early")


def test_a_freed_slot_goes_to_the_first_in_line_and_never_to_the_public(fresh_url: str) -> None:
    booked = fill(fresh_url)
    first, first_token = join(fresh_url, "Anna")
    second, _ = join(fresh_url, "Ben")
    with UnitOfWork(get_engine(fresh_url)) as uow:
        entry = uow.repo(AppointmentRepository).waitlist_entry(first)
        assert entry is not None and waitlist.position(uow, entry) == 1

    cancel(fresh_url, booked[-1])
    offer = offer_of(fresh_url, first)
    assert offer is not None and offer.status == "offered"
    assert offer.start_minute == booked[-1].appointment.start_minute
    assert offer.expires_at == NOW + timedelta(hours=POLICY.waitlist_offer_hours)
    assert offer_of(fresh_url, second) is None
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert slots(uow) == []  # held for Anna, not shown to anyone refreshing
        kinds = uow.session.scalars(select(t.Job.kind)).all()
        assert "mail.waitlist_offer" in kinds

    token = booking.manage_token(POLICY.secret, "appointment", offer.code)
    with UnitOfWork(get_engine(fresh_url)) as uow:
        accepted = waitlist.accept(uow, POLICY, code=offer.code, token=token, now=NOW)
        uow.commit()
        assert accepted.status == "booked" and accepted.expires_at is None
        entry = waitlist.find_entry(uow, POLICY, first, first_token)
        assert entry.status == "booked"


def test_an_offer_left_to_run_out_passes_to_the_next_in_line(fresh_url: str) -> None:
    booked = fill(fresh_url)
    first, _ = join(fresh_url, "Anna")
    second, _ = join(fresh_url, "Ben")
    cancel(fresh_url, booked[-1])
    anna = offer_of(fresh_url, first)
    assert anna is not None

    later = NOW + timedelta(hours=POLICY.waitlist_offer_hours, minutes=1)
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert waitlist.expire_holds(uow, POLICY, now=later) == 1
        uow.commit()
    with UnitOfWork(get_engine(fresh_url)) as uow:
        entry = uow.repo(AppointmentRepository).waitlist_entry(first)
        assert entry is not None and entry.status == "expired"
        expired = uow.repo(AppointmentRepository).by_id(anna.id)
        assert expired is not None and expired.status == "expired"
    ben = offer_of(fresh_url, second)
    assert ben is not None and ben.status == "offered"


def test_declining_an_offer_hands_it_on_at_once(fresh_url: str) -> None:
    booked = fill(fresh_url)
    first, _ = join(fresh_url, "Anna")
    second, _ = join(fresh_url, "Ben")
    cancel(fresh_url, booked[0])
    anna = offer_of(fresh_url, first)
    assert anna is not None
    # A visit soon is held only until the booking lead time (2 h) before it.
    start = booking.from_epoch_minutes(anna.start_minute)
    assert anna.expires_at == start - timedelta(hours=2)
    with UnitOfWork(get_engine(fresh_url)) as uow:
        token = booking.manage_token(POLICY.secret, "appointment", anna.code)
        booking.cancel(uow, POLICY, code=anna.code, token=token, now=NOW)
        uow.commit()
        entry = uow.repo(AppointmentRepository).waitlist_entry(first)
        assert entry is not None and entry.status == "left"
    assert offer_of(fresh_url, second) is not None


def test_an_offer_cannot_be_accepted_after_it_ran_out(fresh_url: str) -> None:
    booked = fill(fresh_url)
    first, _ = join(fresh_url, "Anna")
    cancel(fresh_url, booked[0])
    anna = offer_of(fresh_url, first)
    assert anna is not None
    token = booking.manage_token(POLICY.secret, "appointment", anna.code)
    with UnitOfWork(get_engine(fresh_url)) as uow, pytest.raises(Conflict):
        waitlist.accept(uow, POLICY, code=anna.code, token=token, now=NOW + timedelta(days=1))


WEDDING = "kassel-trauort-rathaus"


def test_a_wedding_reservation_is_provisional_and_expires_unconfirmed(fresh_url: str) -> None:
    policy = BookingPolicy(secret=POLICY.secret, wedding_hold_days=14)
    with UnitOfWork(get_engine(fresh_url)) as uow:
        found = booking.find_slots(
            uow, policy, service_ids=["trauung-trauort"], location_id=WEDDING,
            first=date(2027, 6, 1), last=date(2027, 6, 30), now=NOW,
        )  # fmt: skip
        saturday = next(s for s in found if booking.from_epoch_minutes(s.start).weekday() == 5)
        done = booking.book(
            uow, policy, service_ids=["trauung-trauort"], location_id=WEDDING,
            start=booking.from_epoch_minutes(saturday.start),
            person=Person("Paar Beispiel", "paar@example.de"), now=NOW,
        )  # fmt: skip
        uow.commit()
        row = done.appointment
        assert row.status == "provisional"
        assert row.expires_at == NOW + timedelta(days=14)
        row_id = row.id
        # One ceremony at a time: the same hour is gone for everyone else.
        with pytest.raises(Conflict):
            booking.book(
                uow, policy, service_ids=["trauung-trauort"], location_id=WEDDING,
                start=booking.from_epoch_minutes(saturday.start),
                person=Person("Anderes Paar", "anders@example.de"), now=NOW,
            )  # fmt: skip
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert waitlist.expire_holds(uow, policy, now=NOW + timedelta(days=13)) == 0
        assert waitlist.expire_holds(uow, policy, now=NOW + timedelta(days=14, minutes=1)) == 1
        uow.commit()
    with UnitOfWork(get_engine(fresh_url)) as uow:
        expired = uow.repo(AppointmentRepository).by_id(row_id)
        assert expired is not None and expired.status == "expired"
        assert "mail.expired" in uow.session.scalars(select(t.Job.kind)).all()
        again = booking.find_slots(
            uow, policy, service_ids=["trauung-trauort"], location_id=WEDDING,
            first=date(2027, 6, 1), last=date(2027, 6, 30), now=NOW,
        )  # fmt: skip
        assert saturday in again


def test_venues_keep_their_own_days_and_hours(fresh_url: str) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        found = booking.find_slots(
            uow, POLICY, service_ids=["trauung-trauort"], location_id="kassel-trauort-orangerie",
            first=date(2027, 6, 1), last=date(2027, 6, 30), now=NOW,
        )  # fmt: skip
    days = {booking.from_epoch_minutes(s.start).weekday() for s in found}
    assert days == {4, 5}  # Fridays and Saturdays only
    starts = {booking.from_epoch_minutes(s.start).strftime("%H:%M") for s in found}
    assert "11:00" in starts and all(s.endswith(":00") for s in starts)
