"""Closing a day or giving it special hours, from the use case and the command line."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy, reset_day, set_day
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput, NotFound
from auskunft.core.hours import BERLIN
from tests.web.test_cli import cli

LOCATION = "herborn-buergerbuero-rathaus"
SERVICE = "personalausweis-beantragen"
DAY = date(2027, 3, 3)  # a Wednesday: 08:00-12:00 and 14:00-18:00 in Herborn
NOW = datetime.combine(date(2027, 3, 1), time(6), tzinfo=BERLIN)
POLICY = BookingPolicy(secret=b"calendar-admin-test-secret-01234")


def times(url: str) -> list[str]:
    with UnitOfWork(get_engine(url)) as uow:
        found = booking.find_slots(
            uow, POLICY, service_ids=[SERVICE], location_id=LOCATION, first=DAY, last=DAY, now=NOW
        )
    return sorted({booking.from_epoch_minutes(s.start).strftime("%H:%M") for s in found})


def test_a_closed_day_has_no_slots_and_reopening_restores_them(fresh_url: str) -> None:
    before = times(fresh_url)
    assert "08:00" in before and "14:00" in before
    with UnitOfWork(get_engine(fresh_url)) as uow:
        booking.book(
            uow, POLICY, service_ids=[SERVICE], location_id=LOCATION,
            start=datetime.combine(DAY, time(9), tzinfo=BERLIN),
            person=booking.Person("Erika", "erika@example.de"), now=NOW,
        )  # fmt: skip
        uow.commit()
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert set_day(uow, location_id=LOCATION, day=DAY, reason="Betriebsausflug") == 1
        uow.commit()
    assert times(fresh_url) == []
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert reset_day(uow, location_id=LOCATION, day=DAY) == 1
        uow.commit()
    assert times(fresh_url) == before  # the second counter still takes 09:00


def test_special_hours_replace_the_day_for_one_counter(fresh_url: str) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        set_day(uow, location_id=LOCATION, day=DAY, hours=[(10 * 60, 11 * 60)])
        uow.commit()
    assert times(fresh_url)[0] == "10:00" and times(fresh_url)[-1] == "10:40"
    with UnitOfWork(get_engine(fresh_url)) as uow:
        set_day(uow, location_id=LOCATION, day=DAY, counter="Schalter 1")
        uow.commit()
    # Schalter 2 keeps the location's special hours; Schalter 1 is closed.
    assert times(fresh_url)[0] == "10:00"


def test_unknown_locations_counters_and_bad_hours_are_refused(fresh_url: str) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        with pytest.raises(NotFound):
            set_day(uow, location_id="atlantis", day=DAY)
        with pytest.raises(NotFound):
            set_day(uow, location_id=LOCATION, day=DAY, counter="Schalter 99")
        with pytest.raises(InvalidInput):
            set_day(uow, location_id=LOCATION, day=DAY, hours=[(12 * 60, 8 * 60)])


def test_the_command_line_closes_and_reopens_a_day(fresh_url: str) -> None:
    listed = cli(fresh_url, "calendar", "list")
    assert listed.returncode == 0 and LOCATION in listed.stdout
    closed = cli(fresh_url, "calendar", "close", LOCATION, str(DAY), "--reason", "Umzug")
    assert closed.returncode == 0, closed.stderr
    assert "geschlossen" in closed.stdout
    assert times(fresh_url) == []
    special = cli(fresh_url, "calendar", "close", LOCATION, str(DAY), "--hours", "08:00-09:00")
    assert special.returncode == 0 and times(fresh_url)[-1] == "08:40"
    reopened = cli(fresh_url, "calendar", "reopen", LOCATION, str(DAY))
    assert reopened.returncode == 0 and "08:00" in times(fresh_url)
    bad = cli(fresh_url, "calendar", "close", LOCATION, str(DAY), "--hours", "acht bis neun")
    assert bad.returncode == 2 and "08:00-12:00" in bad.stderr
    unknown = cli(fresh_url, "calendar", "close", "atlantis", str(DAY))
    assert unknown.returncode == 2 and "atlantis" in unknown.stderr
