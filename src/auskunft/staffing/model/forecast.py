"""Calls per half hour of a coming week, forecast from the history.

The method (simple, explainable, and checked on weeks held out):

1. Profile: for each weekday and half hour, the mean of the calls offered in that slot
   over the last `PROFILE_WEEKS` weeks of history (public holidays and days without any
   call left out, so a closed day does not pull the mean down).
2. Trend: a straight line fitted (least squares) through the weekly totals of the last
   `TREND_WEEKS` weeks; the forecast week is scaled by the line's value there over its
   value at the profile weeks' centre.
3. Days the service center is closed (public holidays) get no calls.

Its error is measured by forecasting each of the last `HOLDOUT_WEEKS` weeks from the
history before it: MAPE over the half hours with at least `MAPE_MIN_CALLS` calls (a
percentage error on a slot with two calls says little), and WAPE (sum of absolute
errors over the sum of calls) over all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

PROFILE_WEEKS = 8
TREND_WEEKS = 12
HOLDOUT_WEEKS = 4
MAPE_MIN_CALLS = 5

# (day, half hour 0-47) -> calls offered
History = Mapping[tuple[date, int], int]


@dataclass(frozen=True)
class Accuracy:
    weeks: int  # weeks held out and forecast
    mape: float | None  # mean absolute percentage error, slots with >= MAPE_MIN_CALLS
    wape: float | None  # sum |error| / sum actual
    slots: int  # half hours compared


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _weekly_totals(history: History, first_monday: date, weeks: int) -> np.ndarray:
    totals = np.zeros(weeks)
    for (day, _slot), calls in history.items():
        index = (monday_of(day) - first_monday).days // 7
        if 0 <= index < weeks:
            totals[index] += calls
    return totals


def forecast_week(
    history: History, monday: date, closed: Callable[[date], bool]
) -> dict[tuple[date, int], float]:
    """Expected calls per (day, half hour) of the week starting `monday`, from the history
    before it."""
    past = {key: n for key, n in history.items() if key[0] < monday}
    open_days = {day for day, _ in past}
    sums: dict[tuple[int, int], float] = {}
    days_seen: dict[int, set[date]] = {}
    start = monday - timedelta(weeks=PROFILE_WEEKS)
    for (day, slot), calls in past.items():
        if day < start or closed(day):
            continue
        key = (day.weekday(), slot)
        sums[key] = sums.get(key, 0.0) + calls
    for day in open_days:
        if start <= day and not closed(day):
            days_seen.setdefault(day.weekday(), set()).add(day)
    profile = {
        key: total / len(days_seen[key[0]]) for key, total in sums.items() if days_seen[key[0]]
    }
    factor = _trend_factor(past, monday, closed)
    found: dict[tuple[date, int], float] = {}
    for offset in range(7):
        day = monday + timedelta(days=offset)
        if closed(day):
            continue
        for (weekday, slot), mean in profile.items():
            if weekday == day.weekday():
                found[(day, slot)] = mean * factor
    return found


def _trend_factor(past: History, monday: date, closed: Callable[[date], bool]) -> float:
    """The trend line's value at the forecast week over its value at the profile weeks'
    centre; 1 without enough weeks for a line, and never below half or above double. Only
    complete weeks count (every open day has records), so the first or last week of the
    records does not bend the line."""
    first = monday - timedelta(weeks=TREND_WEEKS)
    totals = _weekly_totals(past, first, TREND_WEEKS)
    weeks = np.arange(TREND_WEEKS, dtype=float)
    days = {day for day, _ in past}
    complete = [
        all(
            day in days or closed(day)
            for day in (first + timedelta(weeks=week, days=offset) for offset in range(7))
        )
        for week in range(TREND_WEEKS)
    ]
    used = (totals > 0) & np.array(complete)
    if used.sum() < 4:
        return 1.0
    slope, intercept = np.polyfit(weeks[used], totals[used], 1)
    centre = TREND_WEEKS - (PROFILE_WEEKS + 1) / 2
    base = slope * centre + intercept
    ahead = slope * TREND_WEEKS + intercept
    if base <= 0:
        return 1.0
    return float(min(2.0, max(0.5, ahead / base)))


def accuracy(history: History, last_monday: date, closed: Callable[[date], bool]) -> Accuracy:
    """The forecast's error on the `HOLDOUT_WEEKS` weeks before `last_monday` (each week
    forecast from the history before it)."""
    errors: list[float] = []
    absolute = 0.0
    actual_total = 0.0
    slots = 0
    weeks = 0
    for back in range(HOLDOUT_WEEKS, 0, -1):
        monday = last_monday - timedelta(weeks=back)
        actual = {key: n for key, n in history.items() if monday <= key[0] < monday + timedelta(7)}
        if not actual:
            continue
        weeks += 1
        recorded = {day for day, _ in actual}  # days past the end of the records: not judged
        predicted = {
            key: n
            for key, n in forecast_week(history, monday, closed).items()
            if key[0] in recorded
        }
        for key in set(actual) | set(predicted):
            real = actual.get(key, 0)
            guess = predicted.get(key, 0.0)
            absolute += abs(guess - real)
            actual_total += real
            slots += 1
            if real >= MAPE_MIN_CALLS:
                errors.append(abs(guess - real) / real)
    return Accuracy(
        weeks=weeks,
        mape=round(float(np.mean(errors)), 4) if errors else None,
        wape=round(absolute / actual_total, 4) if actual_total else None,
        slots=slots,
    )
