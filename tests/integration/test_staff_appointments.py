"""Staff use cases of appointments (services/agenda.py) on both stores: the phone share,
cancelling and moving without a token, attendance, wedding confirmation, the day list."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from auskunft.access.service import create_user
from auskunft.appointments import tables as t
from auskunft.appointments.model.calendar import epoch_minutes, from_epoch_minutes
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import agenda, booking
from auskunft.appointments.service.calendars import BookingPolicy, load_calendar
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict, InvalidInput, NotFound
from auskunft.core.hours import BERLIN
from auskunft.core.jobs import tables as jobs_tables

POLICY = BookingPolicy(phone_share=50, phone_release_days=2, secret=b"test secret")
LICENCE = "kassel-fahrerlaubnis-buero"  # two counters
INTERNATIONAL = "internationaler-fuehrerschein"
VENUE = "kassel-trauort-rathaus"
WEDDING = "trauung-trauort"
# Tuesday 1 December 2026, 07:00 in Kassel: the moment most of these tests act at.
NOW = datetime(2026, 12, 1, 7, 0, tzinfo=BERLIN)
NEAR = date(2026, 12, 3)  # a Thursday within the release days
# Days beyond them on which the licence office is open; each test books on its own day,
# so the tests of this module can share one database.
FAR = date(2026, 12, 14)  # a Monday
DAYS = {
    "cancel": date(2026, 12, 7),
    "move": date(2026, 12, 8),
    "attendance": date(2026, 12, 10),
    "list": date(2026, 12, 11),
    "wedding": date(2026, 12, 15),
}


def at(day: date, clock: str) -> datetime:
    hours, minutes = clock.split(":")
    return datetime(day.year, day.month, day.day, int(hours), int(minutes), tzinfo=BERLIN)


_people = itertools.count(1)


def person(n: int) -> booking.Person:
    """Person n of a test; each with an address of their own (one visit per address)."""
    return booking.Person(f"Person {n}", f"p{n}-{next(_people)}@example.org", "")


def book(
    uow: UnitOfWork,
    start: datetime,
    n: int,
    *,
    channel: str = "online",
    location: str = LICENCE,
    service: str = INTERNATIONAL,
    now: datetime = NOW,
) -> t.Appointment:
    done = booking.book(
        uow,
        POLICY,
        service_ids=[service],
        location_id=location,
        start=start,
        person=person(n),
        now=now,
        channel=channel,
    )
    return done.appointment


def starts(uow: UnitOfWork, day: date, channel: str) -> set[datetime]:
    slots = booking.find_slots(
        uow,
        POLICY,
        service_ids=[INTERNATIONAL],
        location_id=LICENCE,
        first=day,
        last=day,
        now=NOW,
        channel=channel,
    )
    return {from_epoch_minutes(s.start) for s in slots}


@pytest.fixture(scope="module")
def uow_factory(module_url: str) -> Any:
    return lambda: UnitOfWork(get_engine(module_url))


@pytest.fixture(scope="module")
def staff_id(module_url: str) -> int:
    with UnitOfWork(get_engine(module_url)) as uow:
        user = create_user(uow, "sachbearbeitung", "clerk", "x" * 16, datetime.now(UTC))
        uow.commit()
        return user.id


def test_codes_are_read_as_agents_type_them() -> None:
    assert agenda.normalize_code(" abcd efgh ") == "ABCD-EFGH"
    assert agenda.normalize_code("wxyz-2345") == "WXYZ-2345"
    for wrong in ("", "ABCD-EFG", "ABCD-EFGHJ", "ABCD-EFG0", "ABCD-EFGI", "ÄBCD-EFGH"):
        with pytest.raises(InvalidInput):
            agenda.normalize_code(wrong)


def test_the_phone_keeps_its_share_until_the_release_days(uow_factory: Any) -> None:
    with uow_factory() as uow:
        calendar, _ = load_calendar(uow, POLICY, LICENCE)
        assert len(calendar.counters) == 2 and len(calendar.held_counters) == 1
        held = calendar.held_counters[0]
        eight = at(FAR, "08:00")
        assert eight in starts(uow, FAR, "online")
        first = book(uow, eight, 1)
        assert first.counter_id != held
        uow.commit()
    with uow_factory() as uow:
        # Online, the time is gone: the other counter is the phone's.
        assert eight not in starts(uow, FAR, "online")
        with pytest.raises(Conflict):
            book(uow, eight, 2)
    with uow_factory() as uow:
        assert eight in starts(uow, FAR, "phone")
        by_phone = book(uow, eight, 3, channel="phone")
        assert (by_phone.counter_id, by_phone.channel) == (held, "phone")
        uow.commit()
    with uow_factory() as uow:
        assert eight not in starts(uow, FAR, "phone")
        # Within the release days, online bookings may use the held counter too.
        near = at(NEAR, "08:00")
        first_near = book(uow, near, 4)
        second_near = book(uow, near, 5)
        assert {first_near.counter_id, second_near.counter_id} == set(calendar.counters)
        assert second_near.counter_id == held
        uow.commit()


def test_staff_cancel_without_token_and_are_recorded(uow_factory: Any, staff_id: int) -> None:
    with uow_factory() as uow:
        row = book(uow, at(DAYS["cancel"], "09:00"), 1)
        uow.commit()
        code = row.code
    with uow_factory() as uow:
        done = agenda.cancel_by_staff(
            uow, POLICY, code=code.lower().replace("-", " "), staff_id=staff_id, now=NOW
        )
        uow.commit()
        assert (done.status, done.changed_by) == ("cancelled", staff_id)
        jobs = uow.session.scalars(
            select(jobs_tables.Job).where(jobs_tables.Job.kind == "mail.cancelled")
        ).all()
        assert [j.payload["appointment"] for j in jobs] == [done.id]
        # The time is free again.
        assert at(DAYS["cancel"], "09:00") in starts(uow, DAYS["cancel"], "online")
    with uow_factory() as uow, pytest.raises(Conflict):
        agenda.cancel_by_staff(uow, POLICY, code=code, staff_id=staff_id, now=NOW)
    with uow_factory() as uow, pytest.raises(NotFound):
        agenda.cancel_by_staff(uow, POLICY, code="ZZZZ-ZZZZ", staff_id=staff_id, now=NOW)


def test_staff_move_a_visit_and_are_recorded(uow_factory: Any, staff_id: int) -> None:
    with uow_factory() as uow:
        row = book(uow, at(DAYS["move"], "09:00"), 1, channel="phone")
        uow.commit()
        code = row.code
    with uow_factory() as uow:
        moved = agenda.reschedule_by_staff(
            uow, POLICY, code=code, start=at(DAYS["move"], "10:30"), staff_id=staff_id, now=NOW
        )
        uow.commit()
        assert from_epoch_minutes(moved.start_minute) == at(DAYS["move"], "10:30")
        assert (moved.status, moved.channel, moved.changed_by) == ("booked", "phone", staff_id)
    with uow_factory() as uow, pytest.raises(InvalidInput):
        # The licence office is closed on Wednesdays.
        agenda.reschedule_by_staff(
            uow,
            POLICY,
            code=code,
            start=at(DAYS["move"] + timedelta(days=1), "09:00"),
            staff_id=1,
            now=NOW,
        )
    with uow_factory() as uow, pytest.raises(Conflict):
        # Once begun, a visit cannot be moved any more.
        agenda.reschedule_by_staff(
            uow,
            POLICY,
            code=code,
            start=at(DAYS["move"], "11:00"),
            staff_id=1,
            now=at(DAYS["move"], "10:31"),
        )


def test_attendance_is_recorded_only_on_the_day_and_in_time(
    uow_factory: Any, staff_id: int
) -> None:
    start = at(DAYS["attendance"], "09:00")
    with uow_factory() as uow:
        code = book(uow, start, 1).code
        other = book(uow, at(DAYS["attendance"], "10:00"), 2).code
        uow.commit()

    def mark(status: str, now: datetime, which: str = code) -> t.Appointment:
        with uow_factory() as uow:
            row = agenda.mark_attendance(uow, code=which, status=status, now=now, staff_id=staff_id)
            uow.commit()
            return row

    for status, now in [
        ("arrived", start - timedelta(days=1)),  # the day before
        ("arrived", start - timedelta(minutes=31)),  # too early
        ("no_show", start - timedelta(minutes=1)),  # not begun yet
        ("arrived", start + timedelta(days=1)),  # the day after
    ]:
        with pytest.raises(Conflict):
            mark(status, now)
    with pytest.raises(InvalidInput):
        mark("cancelled", start)
    arrived = mark("arrived", start - timedelta(minutes=30))
    assert (arrived.status, arrived.changed_by) == ("arrived", staff_id)
    with pytest.raises(Conflict):
        mark("no_show", start + timedelta(minutes=5))  # not booked any more
    absent = mark("no_show", at(DAYS["attendance"], "10:01"), other)
    assert absent.status == "no_show"
    with uow_factory() as uow:
        # Both keep their time on the counter: the day's record stays whole.
        day_end = epoch_minutes(start + timedelta(hours=12))
        busy = uow.repo(AppointmentRepository).busy(LICENCE, epoch_minutes(start), day_end)
        assert len(busy) == 2


def test_a_wedding_reservation_is_confirmed_once(uow_factory: Any, staff_id: int) -> None:
    wedding_day = date(2027, 3, 5)  # a Friday
    with uow_factory() as uow:
        row = book(
            uow, at(wedding_day, "11:00"), 1, location=VENUE, service=WEDDING, channel="phone"
        )
        uow.commit()
        assert row.status == "provisional" and row.expires_at is not None
        code, expires = row.code, row.expires_at
    with uow_factory() as uow, pytest.raises(Conflict):
        agenda.confirm_reservation(uow, code=code, now=expires + timedelta(minutes=1))
    with uow_factory() as uow:
        done = agenda.confirm_reservation(uow, code=code, now=NOW, staff_id=staff_id)
        uow.commit()
        assert (done.status, done.expires_at, done.changed_by) == ("booked", None, staff_id)
    with uow_factory() as uow, pytest.raises(Conflict):
        agenda.confirm_reservation(uow, code=code, now=NOW)
    with uow_factory() as uow:
        office = book(uow, at(DAYS["wedding"], "09:00"), 2)
        with pytest.raises(Conflict):
            agenda.confirm_reservation(uow, code=office.code, now=NOW)


def test_the_day_list_groups_visits_by_counter(uow_factory: Any, staff_id: int) -> None:
    with uow_factory() as uow:
        early = book(uow, at(DAYS["list"], "08:00"), 1)
        late = book(uow, at(DAYS["list"], "08:00"), 2, channel="phone")
        gone = book(uow, at(DAYS["list"], "11:00"), 3)
        uow.commit()
    with uow_factory() as uow:
        agenda.cancel_by_staff(uow, POLICY, code=gone.code, staff_id=staff_id, now=NOW)
        uow.commit()
    with uow_factory() as uow:
        view = agenda.day_agenda(uow, location_id=LICENCE, day=DAYS["list"], now=NOW)
    assert view.location_name == "Fahrerlaubnisbehörde" and view.kind == "office"
    assert [name for name, _ in view.counters] == ["Platz 1", "Platz 2"]
    listed = {e.code: e for _, entries in view.counters for e in entries}
    assert set(listed) == {early.code, late.code}
    assert [e.code for e in view.ended] == [gone.code]
    entry = listed[late.code]
    assert (entry.channel, entry.status, entry.start) == (
        "phone",
        "booked",
        at(DAYS["list"], "08:00"),
    )
    assert entry.services == ["Internationalen Führerschein beantragen"]
    assert entry.contact == late.email and entry.name == "Person 2"
    assert entry.may_cancel and not entry.may_arrive and not entry.may_no_show
    assert not entry.may_confirm
    with uow_factory() as uow:
        on_the_day = agenda.day_agenda(
            uow, location_id=LICENCE, day=DAYS["list"], now=at(DAYS["list"], "08:05")
        )
    entry = next(e for _, entries in on_the_day.counters for e in entries if e.code == late.code)
    assert entry.may_arrive and entry.may_no_show and not entry.may_cancel
    with uow_factory() as uow, pytest.raises(NotFound):
        agenda.day_agenda(uow, location_id="nowhere", day=DAYS["list"], now=NOW)


def test_the_desk_offers_the_responsible_office_first(uow_factory: Any) -> None:
    with uow_factory() as uow:
        choice = agenda.booking_choice(
            uow,
            POLICY,
            service_ids=["wohnsitz-anmelden"],
            authority_id="baunatal-buergerbuero",
            location_id=None,
            day=None,
            now=NOW,
        )
        assert choice.location_id == "baunatal-buergerbuero-rathaus"
        assert choice.locations[0]["responsible"]
        assert not any(loc["responsible"] for loc in choice.locations[1:])
        assert choice.days and choice.day == choice.days[0] and choice.times
        assert choice.days == sorted(set(choice.days))
        closed = agenda.booking_choice(
            uow,
            POLICY,
            service_ids=["wohnsitz-anmelden"],
            authority_id=None,
            location_id="baunatal-buergerbuero-rathaus",
            day=date(2026, 12, 6),  # a Sunday
            now=NOW,
        )
        assert closed.times == []
        with pytest.raises(InvalidInput):
            agenda.booking_choice(
                uow,
                POLICY,
                service_ids=["wohnsitz-anmelden"],
                authority_id=None,
                location_id=LICENCE,
                day=None,
                now=NOW,
            )
