"""How fast the feedback clock computes due times (target: >= 50,000 per second in process).

    .venv/bin/python bench/servicetime_bench.py [--count 100000] [--rounds 5] [--json FILE]

Random receipt moments over three years (2026-2028, with every holiday run and both
changes of summer time) and 24 hours of service time, on the default Kassel calendar
with four closure days. Three figures per round, medians over the rounds:

- warm: the calendar has seen the days before (a long-running process);
- cold: a new calendar for every 1,000 moments (each computes its days afresh);
- the baseline of the same run: a plain minute-by-minute count on a sample of 200
  moments, the way the tests check the clock; the ratio says how much the day
  intervals save.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auskunft.core.hours import BERLIN, WeeklyHours, public_holidays  # noqa: E402
from auskunft.core.servicetime import SERVICE_HOURS, ServiceCalendar  # noqa: E402
from bench.report import write_json  # noqa: E402

CLOSURES = [date(2026, 12, 31), date(2027, 6, 18), date(2027, 12, 24), date(2028, 5, 26)]
HOURS = 24


def moments(count: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    span = 3 * 366 * 24 * 60
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [start + timedelta(minutes=rng.randrange(span)) for _ in range(count)]


def per_second(calendar_for: Any, starts: list[datetime]) -> float:
    began = time.perf_counter()
    calendar = None
    for i, start in enumerate(starts):
        if i % 1000 == 0:
            calendar = calendar_for(calendar)
        calendar.due(start, HOURS)
    return len(starts) / (time.perf_counter() - began)


def minute_count(start: datetime, weekly: WeeklyHours, closed: set[date]) -> datetime:
    """The baseline: count service minutes one by one in real time."""
    holiday = public_holidays()
    moment, counted = start, 0
    while True:
        local = moment.astimezone(BERLIN)
        day = local.date()
        if day not in closed and holiday(day) is None and weekly.is_open(local):
            counted += 1
            if counted == HOURS * 60:
                return moment + timedelta(minutes=1)
        moment += timedelta(minutes=1)


def run(count: int, rounds: int) -> dict[str, Any]:
    weekly = WeeklyHours.from_mapping(SERVICE_HOURS)
    warm_calendar = ServiceCalendar(weekly, closures=CLOSURES)
    warm, cold, baseline = [], [], []
    for n in range(rounds):
        starts = moments(count, seed=n)
        warm.append(per_second(lambda c: c or warm_calendar, starts))
        cold.append(per_second(lambda _c: ServiceCalendar(weekly, closures=CLOSURES), starts))
        sample = starts[:200]
        began = time.perf_counter()
        for start in sample:
            expected = minute_count(start, weekly, set(CLOSURES))
            assert warm_calendar.due(start, HOURS) == expected  # same answer, or no figure
        baseline.append(len(sample) / (time.perf_counter() - began))
    return {
        "count": count,
        "rounds": rounds,
        "hours": HOURS,
        "warm_per_second": round(statistics.median(warm)),
        "cold_per_second": round(statistics.median(cold)),
        "minute_count_per_second": round(statistics.median(baseline), 1),
        "warm_over_minute_count": round(statistics.median(warm) / statistics.median(baseline)),
        "rounds_warm": [round(x) for x in warm],
        "rounds_cold": [round(x) for x in cold],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    out = run(args.count, args.rounds)
    for key in ("warm_per_second", "cold_per_second", "minute_count_per_second"):
        print(f"{key:<26} {out[key]:>12,}")
    print(f"{'warm ÷ minute count':<26} {out['warm_over_minute_count']:>12,}")
    write_json(args.json, out)


if __name__ == "__main__":
    main()
