"""Slot search over 60 days at a location with 20 counters, 30 % of its time booked.

    .venv/bin/python bench/slot_bench.py [--runs 200] [--http-runs 200] [--share 0.30]
                                         [--database-url URL] [--json FILE]

A fresh database (a SQLite file in a temporary folder; with `--database-url
postgresql://...` a scratch database next to that one, dropped afterwards)
gets the demo catalog and the bench location of `bench/appointments_fixture.py`:
20 counters (half with a lunch gap, six open on Saturday mornings), grid 5
minutes, buffer 5, five services of 10/15/20/30/45 minutes, and bookings
filling about 30 % of every counter's open time from today for 60 days (the
share reached is printed, and the bookings are checked for overlaps).

Then, `--runs` times, cycling through single services and combinations of
two in a shuffled order, each of these is timed in this process, one after
the other, so that the machine's noise falls on all of them alike:

- `find_slots`: the use case as the API calls it, in its own unit of work
  (calendar row, the offered services, the busy read, the pure search);
- baseline `busy read`: the one query of the bookings in the range, alone;
- baseline `free_slots`: the pure domain search over busy spans read beforehand
  (the product's function that find_slots ends in, given what find_slots gives
  it; checked once, untimed, to answer exactly as find_slots does).

Then `GET /api/v1/slots` for the same ranges through FastAPI's TestClient in
process (routing, validation, JSON of every slot; no network), `--http-runs`
times. Figures are p50/p95/max in milliseconds and the ratios of the medians.

Before the timed runs, what the set-up built is frozen for Python's garbage
collector (`gc.freeze()`), as `auskunft serve` does after start-up; without it
(`--no-freeze`), full collections walk the whole heap every few searches.

The light mode of the smoke test: --runs 5 --http-runs 2
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auskunft.appointments.model.booking import free_slots  # noqa: E402
from auskunft.appointments.model.calendar import busy_by_counter, epoch_minutes, local_minute  # noqa: E402
from auskunft.appointments.repository import AppointmentRepository  # noqa: E402
from auskunft.appointments.service.booking import find_slots, local_day  # noqa: E402
from auskunft.appointments.service.calendars import BookingPolicy, bookable  # noqa: E402
from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.core.db.engine import get_engine  # noqa: E402
from auskunft.core.db.uow import UnitOfWork  # noqa: E402
from bench.appointments_fixture import (  # noqa: E402
    COMBOS,
    HORIZON_DAYS,
    build_location,
    scratch_database,
    verify,
)
from bench.report import summary, write_json  # noqa: E402


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


@contextmanager
def frozen(freeze: bool) -> Iterator[None]:
    """The heap built so far frozen for the collector while the block runs."""
    if freeze:
        gc.collect()
        gc.freeze()
    try:
        yield
    finally:
        if freeze:
            gc.unfreeze()


def time_search(engine: Any, location_id: str, runs: int, now: datetime) -> dict[str, Any]:
    """find_slots beside its two parts alone, interleaved run by run."""
    policy = BookingPolicy()
    today = local_day(now)
    first, last = today, today + timedelta(days=HORIZON_DAYS)
    # The busy read's range as find_slots makes it: from the later of `first` and
    # today to the end of `last`, Berlin time.
    start = local_minute(max(first, today), 0)
    end = local_minute(last + timedelta(days=1), 0)
    order = [COMBOS[n % len(COMBOS)] for n in range(runs)]
    random.Random(1).shuffle(order)
    with UnitOfWork(engine) as uow:  # warm the calendar cache and the connection pool
        answers = {
            combo: find_slots(
                uow,
                policy,
                service_ids=combo,
                location_id=location_id,
                first=first,
                last=last,
                now=now,
            )
            for combo in COMBOS
        }
        visits = {combo: bookable(uow, policy, location_id, combo) for combo in COMBOS}
        busy = busy_by_counter(uow.repo(AppointmentRepository).busy(location_id, start, end))
    # Untimed: the baseline below is the product's own pure search (free_slots, the
    # function find_slots ends in), and fed what find_slots feeds it it must give
    # find_slots' answer; otherwise the two parts would not add up to the use case.
    for combo, answer in answers.items():
        visit = visits[combo]
        alone = free_slots(
            visit.calendar,
            duration=visit.duration,
            busy=busy,
            now=epoch_minutes(now),
            today=today,
            first=first,
            last=last,
        )
        if alone != answer:
            raise RuntimeError(
                f"free_slots on the benchmark's inputs differs from find_slots for {combo}: "
                f"{len(alone)} against {len(answer)} slots"
            )
    found: list[float] = []
    reads: list[float] = []
    pure: list[float] = []
    slots: list[int] = []
    for combo in order:
        t0 = time.perf_counter()
        with UnitOfWork(engine) as uow:
            result = find_slots(
                uow,
                policy,
                service_ids=combo,
                location_id=location_id,
                first=first,
                last=last,
                now=now,
            )
        found.append(_ms(t0))
        slots.append(len(result))
        t0 = time.perf_counter()
        with UnitOfWork(engine) as uow:
            rows = uow.repo(AppointmentRepository).busy(location_id, start, end)
        reads.append(_ms(t0))
        busy = busy_by_counter(rows)
        visit = visits[combo]
        t0 = time.perf_counter()
        free_slots(
            visit.calendar,
            duration=visit.duration,
            busy=busy,
            now=epoch_minutes(now),
            today=today,
            first=first,
            last=last,
        )
        pure.append(_ms(t0))
    return {
        "range": [first.isoformat(), last.isoformat()],
        "busy_rows": len(rows),
        "slots_per_answer": {"min": min(slots), "max": max(slots)},
        "find_slots": summary(found, 3),
        "busy_read": summary(reads, 3),
        "free_slots": summary(pure, 3),
    }


def time_http(url: str, location_id: str, runs: int, now: datetime, freeze: bool) -> dict[str, Any]:
    """GET /api/v1/slots through TestClient in this process (no network)."""
    from fastapi.testclient import TestClient

    from auskunft.app import create_app
    from auskunft.core.config import Settings

    today = local_day(now)
    params = {
        "location": location_id,
        "from": today.isoformat(),
        "to": (today + timedelta(days=HORIZON_DAYS)).isoformat(),
    }
    order = [COMBOS[n % len(COMBOS)] for n in range(runs)]
    random.Random(2).shuffle(order)
    took: list[float] = []
    sizes: list[int] = []
    with tempfile.TemporaryDirectory(prefix="auskunft-bench-") as tmp:
        settings = Settings(database_url=url, data_dir=Path(tmp), rate_limits="off", worker="off")
        with TestClient(create_app(settings)) as client, frozen(freeze):
            for combo in COMBOS:  # warm-up
                client.get("/api/v1/slots", params={**params, "service": list(combo)})
            for combo in order:
                t0 = time.perf_counter()
                answer = client.get("/api/v1/slots", params={**params, "service": list(combo)})
                took.append(_ms(t0))
                if answer.status_code != 200:
                    raise RuntimeError(f"GET /api/v1/slots: HTTP {answer.status_code}")
                sizes.append(len(answer.content))
    return {**summary(took, 3), "bytes": {"min": min(sizes), "max": max(sizes)}}


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns the figures that --json writes."""
    out: dict[str, Any] = {
        "settings": {
            "heap_frozen": not args.no_freeze,
            "runs": args.runs,
            "http_runs": args.http_runs,
            "share": args.share,
            "combos": [list(c) for c in COMBOS],
        },
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with scratch_database(args.database_url) as url:
        engine, _ = open_catalog(url)
        out["backend"] = engine.dialect.name
        now = datetime.now(UTC)
        place = build_location(engine, now=now, share=args.share)
        out["location"] = place.as_dict()
        out["checks"] = verify(engine, place.location_id)
        with frozen(not args.no_freeze):
            out["in_process"] = time_search(engine, place.location_id, args.runs, now)
        if args.http_runs:
            out["http_testclient"] = time_http(
                url, place.location_id, args.http_runs, now, not args.no_freeze
            )
        engine.dispose()
        get_engine(url).dispose()
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    inp = out["in_process"]
    base = inp["free_slots"]["p50_ms"]
    out["ratios_of_p50"] = {
        "find_slots_to_free_slots": round(inp["find_slots"]["p50_ms"] / base, 2) if base else None,
        "find_slots_to_read_plus_free": round(
            inp["find_slots"]["p50_ms"] / (base + inp["busy_read"]["p50_ms"]), 2
        )
        if base
        else None,
    }
    if "http_testclient" in out and inp["find_slots"]["p50_ms"]:
        out["ratios_of_p50"]["http_to_find_slots"] = round(
            out["http_testclient"]["p50_ms"] / inp["find_slots"]["p50_ms"], 2
        )
    return out


def report(out: dict[str, Any]) -> str:
    loc, inp = out["location"], out["in_process"]
    checks = out["checks"]
    lines = [
        f"slot search, {out['backend']}: {loc['counters']} counters, grid {loc['grid_minutes']} "
        f"min, buffer {loc['buffer_minutes']}, services {sorted(loc['services'].values())} min; "
        f"{out['cpus']} CPUs, load average before {out['load_average_before'][0]}, "
        f"after {out['load_average_after'][0]}; heap frozen {out['settings']['heap_frozen']}",
        f"  booked: {loc['appointments']} visits, {loc['cells']} cells, "
        f"{loc['booked_share'] * 100:.1f} % of {loc['open_minutes']} open counter-minutes "
        f"({loc['days'][0]} to {loc['days'][1]}); double bookings {checks['double_bookings']}, "
        f"cell mismatches {checks['wrong_cell_count'] + checks['stray_cells']}",
        f"  range {inp['range'][0]} to {inp['range'][1]}, {inp['busy_rows']} busy rows read, "
        f"{inp['slots_per_answer']['min']}-{inp['slots_per_answer']['max']} slots per answer",
    ]
    parts = [
        ("find_slots (use case)", inp["find_slots"]),
        ("busy read alone", inp["busy_read"]),
        ("free_slots alone", inp["free_slots"]),
    ]
    if "http_testclient" in out:
        parts.append(("GET /api/v1/slots (TestClient)", out["http_testclient"]))
    for name, s in parts:
        lines.append(
            f"  {name:<32} n {s['n']:>4}  p50 {s['p50_ms']:8.2f}  p95 {s['p95_ms']:8.2f}  "
            f"max {s['max_ms']:8.2f} ms"
        )
    lines.append(f"  ratios of the medians: {out['ratios_of_p50']}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--http-runs", type=int, default=200, help="0: skip the HTTP part")
    p.add_argument("--share", type=float, default=0.30, help="share of open time booked")
    p.add_argument(
        "--database-url",
        default=None,
        help="PostgreSQL: a scratch database is made next to this one (default: SQLite)",
    )
    p.add_argument("--no-freeze", action="store_true", help="leave the heap to the collector")
    p.add_argument("--json", type=Path, default=None)
    return p


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser().parse_args(argv)
    if args.runs < 1 or args.http_runs < 0 or not 0 <= args.share < 1:
        parser().error("--runs >= 1, --http-runs >= 0, 0 <= --share < 1")
    out = run(args)
    print(report(out))
    write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
