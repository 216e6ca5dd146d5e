"""Open now / opens at, with Hessen's public holidays."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from auskunft.core.hours import BERLIN, WeeklyHours, opening_status, public_holidays

HOURS = WeeklyHours.from_mapping(
    {"mo": ["07:00-18:00"], "tu": ["07:00-18:00"], "th": ["07:00-12:00", "13:00-18:00"],
     "fr": ["07:00-18:00"], "sa": ["09:00-13:00"]}
)  # fmt: skip


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def test_open_now_says_until_when() -> None:
    status = opening_status(HOURS, at("2026-11-24T10:00"))  # a Tuesday
    assert status.open_now and status.closes_at == at("2026-11-24T18:00")


def test_a_lunch_break_and_the_next_opening_the_same_day() -> None:
    status = opening_status(HOURS, at("2026-11-26T12:30"))  # Thursday
    assert not status.open_now and status.opens_at == at("2026-11-26T13:00")


def test_closed_days_are_skipped() -> None:
    status = opening_status(HOURS, at("2026-11-25T09:00"))  # Wednesday: closed
    assert status.opens_at == at("2026-11-26T07:00")


def test_a_hessen_holiday_closes_the_office_and_is_named() -> None:
    # Corpus Christi (Fronleichnam) is a holiday in Hessen: Thursday 4 June 2026.
    status = opening_status(HOURS, at("2026-06-04T10:00"))
    assert not status.open_now
    assert status.holiday == "Fronleichnam"
    assert status.opens_at == at("2026-06-05T07:00")


def test_christmas_and_new_year_are_looked_past() -> None:
    status = opening_status(HOURS, at("2026-12-24T19:00"))  # Thursday evening
    # 25 and 26 December are holidays, 27 is a Sunday: Monday 28 December.
    assert status.opens_at == at("2026-12-28T07:00")


def test_a_moment_in_another_zone_is_converted() -> None:
    utc = datetime(2026, 11, 24, 16, 30, tzinfo=ZoneInfo("UTC"))  # 17:30 in Kassel
    assert opening_status(HOURS, utc).open_now


def test_holiday_names_in_english_too() -> None:
    assert public_holidays(language="en")(at("2026-10-03").date()) == "German Unity Day"


def test_no_hours_means_no_next_opening() -> None:
    status = opening_status(WeeklyHours.from_mapping({}), at("2026-11-24T10:00"))
    assert not status.open_now and status.opens_at is None
