from __future__ import annotations

from datetime import datetime

import pytest

from auskunft.core.hours import TimeRange, WeeklyHours


def test_it_reads_and_writes_weekly_hours() -> None:
    hours = WeeklyHours.from_mapping({"mo": ["13:00-16:00", "07:30-12:00"], "sa": ["09:00-13:00"]})
    assert hours.to_mapping() == {"mo": ["07:30-12:00", "13:00-16:00"], "sa": ["09:00-13:00"]}


def test_it_knows_whether_a_moment_is_within_the_hours() -> None:
    hours = WeeklyHours.from_mapping({"mo": ["07:30-12:00"]})
    assert hours.is_open(datetime(2026, 11, 23, 8, 0))  # a Monday
    assert not hours.is_open(datetime(2026, 11, 23, 12, 0))
    assert not hours.is_open(datetime(2026, 11, 24, 8, 0))


@pytest.mark.parametrize("bad", ["8-12", "12:00-08:00", "25:00-26:00", "07:30 bis 12"])
def test_it_refuses_malformed_ranges(bad: str) -> None:
    with pytest.raises(ValueError):
        TimeRange.parse(bad)


def test_it_refuses_unknown_weekdays() -> None:
    with pytest.raises(ValueError, match="weekday"):
        WeeklyHours.from_mapping({"montag": ["08:00-12:00"]})
