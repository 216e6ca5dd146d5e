"""The calendar and slot rules, without a database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from auskunft.appointments.model.booking import (
    candidate_counters,
    cells,
    free_slots,
    new_code,
    span_of,
)
from auskunft.appointments.model.calendar import (
    BERLIN,
    Calendar,
    DayException,
    WeeklyRule,
    busy_by_counter,
    epoch_minutes,
    from_epoch_minutes,
    parse_clock,
    subtract,
)
from auskunft.core.hours import public_holidays

MON, SAT = 0, 5


def at(text: str) -> int:
    """Epoch minute of a Berlin wall-clock time 'YYYY-MM-DD HH:MM'."""
    return epoch_minutes(datetime.fromisoformat(text).replace(tzinfo=BERLIN))


def weekdays(counter: int, opens: str, closes: str, **validity: date) -> list[WeeklyRule]:
    return [
        WeeklyRule(counter, day, parse_clock(opens), parse_clock(closes), **validity)
        for day in range(5)
    ]


def office(counters: int = 1, **options: object) -> Calendar:
    rules = [r for c in range(1, counters + 1) for r in weekdays(c, "08:00", "12:00")]
    settings: dict[str, object] = {
        "grid": 15,
        "lead_minutes": 0,
        "horizon_days": 400,
        "holiday": public_holidays("HE"),
    }
    settings.update(options)
    return Calendar("loc", tuple(range(1, counters + 1)), tuple(rules), **settings)  # type: ignore[arg-type]


NOW = at("2027-03-01 06:00")
TODAY = date(2027, 3, 1)


def slots(calendar: Calendar, day: date, duration: int = 15, **kwargs: object) -> list[str]:
    found = free_slots(
        calendar,
        duration=duration,
        busy=kwargs.pop("busy", {}),  # type: ignore[arg-type]
        now=kwargs.pop("now", NOW),  # type: ignore[arg-type]
        today=kwargs.pop("today", TODAY),  # type: ignore[arg-type]
        first=day,
        last=day,
        **kwargs,  # type: ignore[arg-type]
    )
    return [from_epoch_minutes(s.start).strftime("%H:%M") for s in found]


def test_a_morning_of_quarter_hours_has_sixteen_slots() -> None:
    found = slots(office(), date(2027, 3, 2))
    assert len(found) == 16 and found[0] == "08:00" and found[-1] == "11:45"


def test_longer_visits_must_end_by_closing_time() -> None:
    assert slots(office(), date(2027, 3, 2), duration=45)[-1] == "11:15"


def test_weekends_and_hessian_public_holidays_have_no_slots() -> None:
    assert slots(office(), date(2027, 3, 6)) == []  # Saturday
    assert slots(office(), date(2027, 3, 26)) == []  # Good Friday
    assert slots(office(), date(2027, 5, 27)) == []  # Corpus Christi, a holiday in Hessen


def test_a_closure_closes_the_day_and_special_hours_replace_the_weekly_ones() -> None:
    closed = DayException(date(2027, 3, 2))
    short = DayException(date(2027, 3, 3), opens=parse_clock("10:00"), closes=parse_clock("11:00"))
    calendar = office(exceptions=(closed, short))
    assert slots(calendar, date(2027, 3, 2)) == []
    assert slots(calendar, date(2027, 3, 3)) == ["10:00", "10:15", "10:30", "10:45"]


def test_special_hours_may_open_a_public_holiday() -> None:
    opened = DayException(
        date(2027, 3, 26), opens=parse_clock("09:00"), closes=parse_clock("10:00")
    )
    assert len(slots(office(exceptions=(opened,)), date(2027, 3, 26))) == 4


def test_weekly_hours_follow_their_validity_range() -> None:
    rules = weekdays(1, "08:00", "09:00", valid_to=date(2027, 3, 31)) + weekdays(
        1, "13:00", "14:00", valid_from=date(2027, 4, 1)
    )
    calendar = Calendar("loc", (1,), tuple(rules), grid=30, lead_minutes=0, horizon_days=400)
    assert slots(calendar, date(2027, 3, 31)) == ["08:00", "08:30"]
    assert slots(calendar, date(2027, 4, 1)) == ["13:00", "13:30"]


def test_opening_hours_keep_their_wall_clock_time_across_the_dst_change() -> None:
    calendar = office(grid=60)
    before = free_slots(
        calendar, duration=60, busy={}, now=NOW, today=TODAY,
        first=date(2027, 3, 26), last=date(2027, 3, 30),
    )  # fmt: skip
    starts = [from_epoch_minutes(s.start).isoformat() for s in before]
    # Good Friday and Easter Monday are holidays; the Tuesday after the switch
    # to summer time (Sunday 28 March 2027) still opens at 08:00.
    assert starts[0] == "2027-03-30T08:00:00+02:00"
    winter = free_slots(
        calendar, duration=60, busy={}, now=NOW, today=TODAY,
        first=date(2027, 3, 25), last=date(2027, 3, 25),
    )  # fmt: skip
    assert from_epoch_minutes(winter[0].start).isoformat() == "2027-03-25T08:00:00+01:00"
    assert before[0].start - winter[0].start == 5 * 24 * 60 - 60


def test_a_booked_visit_and_its_buffer_block_the_counter() -> None:
    calendar = office(buffer=15)
    busy = busy_by_counter([(1, at("2027-03-02 09:00"), at("2027-03-02 09:30"))])
    found = slots(calendar, date(2027, 3, 2), busy=busy)
    assert "09:00" not in found and "09:15" not in found
    # 08:45 + 15 min visit + 15 min buffer would run into the 09:00 visit.
    assert "08:45" not in found and "08:30" in found and "09:30" in found
    # The last visit of the day needs no buffer before closing time.
    assert found[-1] == "11:45"


def test_a_time_is_free_while_any_counter_is_free() -> None:
    calendar = office(counters=2)
    busy = busy_by_counter([(1, at("2027-03-02 09:00"), at("2027-03-02 09:15"))])
    assert "09:00" in slots(calendar, date(2027, 3, 2), busy=busy)
    both = busy_by_counter(
        [(1, at("2027-03-02 09:00"), at("2027-03-02 09:15")),
         (2, at("2027-03-02 09:00"), at("2027-03-02 09:15"))]
    )  # fmt: skip
    assert "09:00" not in slots(calendar, date(2027, 3, 2), busy=both)


def test_lead_time_and_horizon_bound_the_slots() -> None:
    calendar = office(lead_minutes=180, horizon_days=10)
    now = at("2027-03-02 07:10")
    found = slots(calendar, date(2027, 3, 2), now=now, today=date(2027, 3, 2))
    assert found[0] == "10:15"
    assert slots(calendar, date(2027, 3, 15), now=now, today=date(2027, 3, 2)) == []


def test_phone_callers_keep_their_share_until_it_is_released() -> None:
    calendar = office(counters=4, phone_share=0.25, phone_release_days=2)
    assert calendar.held_counters == (1,)
    far, near = date(2027, 3, 10), date(2027, 3, 3)
    assert calendar.counters_for("online", far, TODAY) == (2, 3, 4)
    assert calendar.counters_for("phone", far, TODAY) == (1, 2, 3, 4)
    assert calendar.counters_for("online", near, TODAY) == (1, 2, 3, 4)
    full = busy_by_counter((c, at("2027-03-10 09:00"), at("2027-03-10 09:15")) for c in (2, 3, 4))
    assert "09:00" not in slots(calendar, far, busy=full)
    assert "09:00" in slots(calendar, far, busy=full, channel="phone")


def test_phone_bookings_take_held_counters_first_and_online_ones_the_others() -> None:
    calendar = office(counters=4, phone_share=0.5)
    start = at("2027-03-10 09:00")
    common = {"start": start, "duration": 15, "busy": {}, "now": NOW, "today": TODAY}
    assert candidate_counters(calendar, channel="phone", **common) == [1, 2, 3, 4]  # type: ignore[arg-type]
    assert candidate_counters(calendar, channel="online", **common) == [3, 4]  # type: ignore[arg-type]


def test_a_start_off_the_grid_or_outside_hours_fits_no_counter() -> None:
    calendar = office()
    for text in ("2027-03-02 09:05", "2027-03-02 12:00", "2027-03-06 09:00"):
        found = candidate_counters(
            calendar, start=at(text), duration=15, busy={}, now=NOW, today=TODAY, channel="online"
        )
        assert found == [], text


def test_a_visit_takes_its_cells_including_the_buffer() -> None:
    calendar = office(buffer=10)
    start = at("2027-03-02 09:00")
    end, busy_until = span_of(calendar, start, 20)
    assert end - start == 20 and busy_until - start == 30  # 30 = 20 + 10 on a 15-min grid
    assert cells(calendar, start, busy_until) == [start, start + 15]


def test_subtracting_busy_spans_leaves_the_gaps() -> None:
    assert subtract([(0, 100)], [(10, 20), (15, 30), (90, 120)]) == [(0, 10), (30, 90)]
    assert subtract([(0, 10), (20, 30)], [(5, 25)]) == [(0, 5), (25, 30)]


def test_codes_are_readable_on_the_phone() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == 9 and code[4] == "-"
        assert not set(code) & set("01IO")


def test_grids_must_divide_the_hour() -> None:
    with pytest.raises(ValueError):
        Calendar("loc", (1,), (), grid=7)
