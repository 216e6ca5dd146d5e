"""The service-time clock against a plain minute-by-minute count: across weekends, holiday
runs (Christmas, New Year, Easter), closure days and both changes of summer time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from auskunft.core.hours import BERLIN, WeeklyHours
from auskunft.core.servicetime import SERVICE_HOURS, ServiceCalendar

HESSEN = holidays.country_holidays("DE", subdiv="HE")
WEEKLY = WeeklyHours.from_mapping(SERVICE_HOURS)


def counted_minute(moment: datetime, closures: frozenset[date]) -> bool:
    """Whether the minute starting at `moment` is service time: looked up the plain way."""
    local = moment.astimezone(BERLIN)
    if local.date() in HESSEN or local.date() in closures:
        return False
    return WEEKLY.is_open(local.replace(tzinfo=None))


def reference_due(start: datetime, hours: int, closures: frozenset[date]) -> datetime:
    """Walk minute by minute in real (UTC) time and count the service minutes."""
    moment, counted = start.astimezone(UTC), 0
    while True:
        if counted_minute(moment, closures):
            counted += 1
            if counted == hours * 60:
                return moment + timedelta(minutes=1)
        moment += timedelta(minutes=1)


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


MINUTES_2026_2028 = st.integers(min_value=0, max_value=3 * 366 * 24 * 60)


@settings(max_examples=150, deadline=None)
@given(
    offset=MINUTES_2026_2028,
    hours=st.integers(min_value=1, max_value=40),
    closed=st.sets(st.integers(min_value=0, max_value=20), max_size=4),
)
# Received on the evening before the Christmas days, before Easter, New Year and both
# changes of summer time (2027-03-28 is Easter Sunday as well; 2027-10-31 falls back).
@example(
    offset=(date(2026, 12, 23) - date(2026, 1, 1)).days * 1440 + 17 * 60, hours=24, closed=set()
)
@example(
    offset=(date(2027, 3, 25) - date(2026, 1, 1)).days * 1440 + 12 * 60, hours=24, closed=set()
)
@example(
    offset=(date(2027, 10, 29) - date(2026, 1, 1)).days * 1440 + 17 * 60, hours=24, closed=set()
)
@example(offset=(date(2026, 12, 31) - date(2026, 1, 1)).days * 1440 + 10 * 60, hours=30, closed={1})
def test_the_due_time_equals_a_minute_by_minute_count(
    offset: int, hours: int, closed: set[int]
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=offset)
    first_day = start.astimezone(BERLIN).date()
    closures = frozenset(first_day + timedelta(days=n) for n in closed)
    calendar = ServiceCalendar.default(closures)
    due = calendar.due(start, hours)
    assert due == reference_due(start, hours, closures)
    assert due.tzinfo is not None and due.utcoffset() == due.astimezone(BERLIN).utcoffset()


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2026-12-04T15:30", "2026-12-08T13:30+01:00"),  # Friday afternoon: Sat 4 h, Mon 11 h
        ("2026-12-05T14:00", "2026-12-09T09:00+01:00"),  # Saturday after closing time
        ("2026-12-23T17:00", "2026-12-29T08:00+01:00"),  # Christmas Day and Boxing Day closed
        ("2027-03-25T12:00", "2027-03-31T10:00+02:00"),  # Good Friday to Easter Monday, DST
        ("2027-05-26T12:00", "2027-05-31T10:00+02:00"),  # Fronleichnam (Hessen) on Thursday
        ("2027-10-29T17:00", "2027-11-02T15:00+01:00"),  # back to winter time on Sunday
        ("2027-01-01T03:00", "2027-01-05T16:00+01:00"),  # New Year's Day, then the Saturday
    ],
)
def test_known_due_times(received: str, due: str) -> None:
    assert ServiceCalendar.default().due(berlin(received), 24) == datetime.fromisoformat(due)


def test_a_concern_at_the_last_service_minute_is_due_at_a_closing_time() -> None:
    calendar = ServiceCalendar.default()
    # 11 hours from Monday 7:00 end exactly at Monday 18:00, not on Tuesday morning.
    assert calendar.due(berlin("2027-02-01T07:00"), 11) == berlin("2027-02-01T18:00")
    assert calendar.due(berlin("2027-02-01T06:00"), 11) == berlin("2027-02-01T18:00")


def test_closure_days_count_as_closed() -> None:
    plain = ServiceCalendar.default()
    closed = ServiceCalendar.default(closures=[date(2027, 2, 2)])
    start = berlin("2027-02-01T18:00")
    assert plain.due(start, 11) == berlin("2027-02-02T18:00")
    assert closed.due(start, 11) == berlin("2027-02-03T18:00")
    assert closed.closed_because(date(2027, 2, 2)) == "closure"
    assert closed.closed_because(date(2027, 10, 3)) == "Tag der Deutschen Einheit"


def test_the_open_intervals_are_real_moments() -> None:
    calendar = ServiceCalendar.default()
    week = calendar.intervals(date(2027, 3, 22), date(2027, 3, 28))  # Mon to Easter Sunday
    assert [o.astimezone(BERLIN).strftime("%a %H:%M") for o, _ in week] == [
        "Mon 07:00", "Tue 07:00", "Wed 07:00", "Thu 07:00", "Sat 09:00",
    ]  # fmt: skip
    assert all(c - o == timedelta(hours=11) for o, c in week[:4])
    assert calendar.is_service_time(berlin("2027-03-27T12:59"))
    assert not calendar.is_service_time(berlin("2027-03-27T13:00"))


def test_bad_arguments_are_refused() -> None:
    calendar = ServiceCalendar.default()
    with pytest.raises(ValueError, match="time zone"):
        calendar.due(datetime(2027, 1, 4, 8), 24)
    with pytest.raises(ValueError, match="at least 1"):
        calendar.due(berlin("2027-01-04T08:00"), 0)
    never = ServiceCalendar(WeeklyHours.from_mapping({}))
    with pytest.raises(ValueError, match="no service time"):
        never.due(berlin("2027-01-04T08:00"), 1)


@settings(max_examples=60, deadline=None)
@given(
    offset=MINUTES_2026_2028,
    length=st.integers(min_value=0, max_value=6 * 24 * 60),
    closed=st.sets(st.integers(min_value=0, max_value=6), max_size=2),
)
def test_the_service_time_between_two_moments_equals_a_minute_count(
    offset: int, length: int, closed: set[int]
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=offset)
    closures = frozenset(start.astimezone(BERLIN).date() + timedelta(days=n) for n in closed)
    calendar = ServiceCalendar.default(closures)
    end = start + timedelta(minutes=length)
    counted = sum(counted_minute(start + timedelta(minutes=m), closures) for m in range(length))
    assert calendar.between(start, end) == timedelta(minutes=counted)
    # after() is the inverse: the span counted from the start ends no later than `end`.
    if counted:
        assert calendar.after(start, timedelta(minutes=counted)) <= end


def test_after_a_zero_span_is_the_next_service_moment() -> None:
    calendar = ServiceCalendar.default()
    assert calendar.after(berlin("2026-12-05T14:00"), timedelta(0)) == datetime.fromisoformat(
        "2026-12-07T07:00+01:00"
    )
    with pytest.raises(ValueError, match="negative"):
        calendar.after(berlin("2026-12-05T14:00"), timedelta(minutes=-1))
