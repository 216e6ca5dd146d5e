"""Recovery after a PostgreSQL restart (issue 13): errors during the outage and the seconds
from the database being back to the app's first success, without restarting the app.

    .venv/bin/python -m bench.pg_restart [--runs 3] [--down 2] [--json bench/out/pg_restart.json]

The same scenario as tests/integration/test_pg_restart.py (which asserts; this reports): a
PostgreSQL server of its own (initdb, pg_ctl in a temporary folder), `auskunft db init`,
`auskunft serve`, six clients (three booking, two posting concerns with a staff token,
one opening the booking page). Each run stops the database in the middle (pg_ctl stop -m
fast), leaves it down `--down` seconds and starts it again; then one more kind of run,
`pg_ctl restart -m fast` alone. Medians over `--runs` runs of each: requests, errors by
status, how long clients saw errors, and the seconds from pg_ctl start returning to the
first successful answer. Every run's bookings and concerns are checked as the test checks
them (nothing answered 201 lost, nothing doubled).

Then the cost and the use of pool_pre_ping (core/db/engine.py): the time of a checkout
with and without it, and how many requests fail right after a restart without it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.exc import OperationalError  # noqa: E402
from tests.integration.test_pg_restart import (  # noqa: E402
    Outcome,
    check_stored,
    init_schema,
    restart_under_load,
    serving,
    stored,
)
from tests.pg_server import PgServer, pg_server  # noqa: E402

POOL = 16  # the app's pool_size (core/db/engine.py)


def figures(outcome: Outcome) -> dict[str, Any]:
    failures = outcome.failures
    recovery = outcome.recovery_seconds
    return {
        "requests": len(outcome.answers),
        "errors": dict(sorted(outcome.errors_by_status().items())),
        "errors_by_kind": dict(sorted(Counter(a.kind for a in failures).items())),
        # From the first request answered with an error to the last one.
        "errors_span_s": (
            max(a.done for a in failures) - min(a.done for a in failures) if failures else 0.0
        ),
        "recovery_s": recovery,
        "failed_after_recovery": len(outcome.failed_after_recovery()),
        "app_restarted": not outcome.server_alive,
        # Requests the app did not answer at all (the client's error), if any.
        "unanswered": [f"{a.kind}: {a.detail}" for a in failures if a.status == 0],
    }


def median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(run[key] or 0.0) for run in runs)


def scenario(server: PgServer, runs: int, down: float) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {}
    init_schema(server)
    with tempfile.TemporaryDirectory() as data_dir, serving(server, Path(data_dir)) as served:
        base_url, token, app = served
        window = 0  # each run books in two weeks of its own
        for label, seconds in ((f"stop, {down:g} s down, start", down), ("restart -m fast", 0)):
            results[label] = []
            for number in range(runs):
                run = f"{'d' if seconds else 'r'}{number}"
                outcome = restart_under_load(
                    server, base_url, token, app, run=run, down=seconds, window=window
                )
                window += 1
                check_stored(outcome, stored(server.url, run))
                found = figures(outcome)
                results[label].append(found)
                print(f"  {label} #{number + 1}: {json.dumps(found)}", flush=True)
    return results


def _engine(server: PgServer, pre_ping: bool) -> Any:
    url = server.url.replace("postgresql://", "postgresql+psycopg://")
    return create_engine(url, pool_pre_ping=pre_ping, pool_size=POOL, max_overflow=8)


def checkout_cost(server: PgServer, rounds: int = 5, per_round: int = 2000) -> dict[str, float]:
    """Median microseconds of a checkout and a one-row query, with and without pre-ping
    (alternating rounds, one engine each)."""
    times: dict[str, list[float]] = {"with": [], "without": []}
    engines = {"with": _engine(server, True), "without": _engine(server, False)}
    for _ in range(rounds):
        for name, engine in engines.items():
            with engine.connect() as conn:  # one connection in the pool
                conn.execute(text("select 1"))
            started = time.perf_counter()
            for _ in range(per_round):
                with engine.connect() as conn:
                    conn.execute(text("select 1"))
            times[name].append((time.perf_counter() - started) / per_round * 1e6)
    for engine in engines.values():
        engine.dispose()
    return {name: statistics.median(found) for name, found in times.items()}


def failures_after_restart(server: PgServer, pre_ping: bool) -> int:
    """A full pool, a restart, then POOL requests at once: how many fail."""
    engine = _engine(server, pre_ping)

    def one(_: int) -> bool:
        try:
            with engine.connect() as conn:
                conn.execute(text("select pg_sleep(0.05)"))
            return True
        except OperationalError:
            return False

    with ThreadPoolExecutor(POOL) as pool:
        assert all(pool.map(one, range(POOL)))  # POOL connections open in the pool
        server.restart()
        failed = sum(1 for ok in pool.map(one, range(POOL)) if not ok)
    engine.dispose()
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--down", type=float, default=2.0, help="seconds the database is down")
    parser.add_argument("--json", type=Path, help="write the figures here as well")
    args = parser.parse_args()

    with pg_server() as server:
        print(f"PostgreSQL {server.bindir.parent.name} on port {server.port}", flush=True)
        results = scenario(server, args.runs, args.down)
        cost = checkout_cost(server)
        without = failures_after_restart(server, pre_ping=False)
        with_ping = failures_after_restart(server, pre_ping=True)

    print(f"\nMedians over {args.runs} runs each:")
    print("| Outage | Requests | Errors (503) | Errors seen for | First success after back |")
    print("|---|---|---|---|---|")
    for label, runs in results.items():
        errors = statistics.median(sum(run["errors"].values()) for run in runs)
        statuses = sorted({status for run in runs for status in run["errors"]})
        print(
            f"| {label} | {median(runs, 'requests'):.0f} | {errors:.0f} "
            f"(statuses {', '.join(map(str, statuses)) or '–'}) "
            f"| {median(runs, 'errors_span_s'):.2f} s | {median(runs, 'recovery_s'):.3f} s |"
        )
        after = sum(run["failed_after_recovery"] for run in runs)
        restarted = sum(run["app_restarted"] for run in runs)
        print(f"  (failures after the first success: {after}; app restarted: {restarted})")
    print(
        f"\npool_pre_ping: a checkout with a one-row query takes {cost['with']:.0f} µs with, "
        f"{cost['without']:.0f} µs without (+{cost['with'] - cost['without']:.0f} µs)"
    )
    print(
        f"After a restart, {POOL} requests on a full pool of {POOL}: {without} fail without "
        f"pre-ping, {with_ping} with it"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "runs": results,
            "checkout_us": cost,
            "failed_after_restart": {"without_pre_ping": without, "with_pre_ping": with_ping},
        }
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
