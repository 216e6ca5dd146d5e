"""The statistics pages over HTTP with a year of calls (issue 14): `/statistik` for a whole
year and for a month, a day's drill-down, the wallboard, the staffing week, and an Excel
export, against `auskunft serve` on SQLite and (with --postgres) PostgreSQL.

    .venv/bin/python bench/statistics_pages.py [--postgres URL] [--runs 21] [--json FILE]

1. A fresh database with the demo catalog and the demo year 2019 (`auskunft demo traffic
   --year 2019`: 265,201 calls, 247,469 contacts), a supervisor account.
2. `auskunft serve` (one process) on it; the supervisor logs in through the login form.
3. Each page: one warm-up, then `--runs` requests one after another; median and p95 of
   the wall time of the whole response (HTML with its charts, or the file).

Targets (docs/benchmarks.md): a year p95 at most 300 ms, a month p95 at most 100 ms, on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.conftest import _drop_pg_database, _new_pg_database  # noqa: E402
from tests.web.test_staff_login import login  # noqa: E402

from bench.live_server import PASSWORD_LINE, _cli, demo_data, serving  # noqa: E402

PAGES = {
    "year": "/statistik?jahr=2019",
    "month": "/statistik?monat=2019-12",
    "day": "/statistik/tag?datum=2019-12-02",
    "live": "/statistik/live",
    "staffing_week": "/statistik/personal?woche=2020-01-06",
    "year_xlsx": "/statistik/export/anrufe.xlsx?jahr=2019",
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(base_url: str, password: str, runs: int) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base_url, timeout=60) as client:
        done = login(client, "bench-super", password, next_page="/statistik")  # type: ignore[arg-type]
        assert done.status_code == 303, done.text[:500]
        for name, path in PAGES.items():
            first = client.get(path)
            assert first.status_code == 200, (path, first.status_code, first.text[:300])
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                answer = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200
            found[name] = {
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "bytes": len(first.content),
            }
            print(f"  {name:14s} median {found[name]['median_ms']:7.1f} ms  "
                  f"p95 {found[name]['p95_ms']:7.1f} ms  {found[name]['bytes']:>8,} B",
                  flush=True)  # fmt: skip
    return found


def store_run(postgres: str | None, runs: int) -> dict[str, Any]:
    with demo_data(agent=None) as data:
        database = None
        if postgres:
            database, url = _new_pg_database(postgres)
            data.env["AUSKUNFT_DATABASE_URL"] = url
        try:
            _cli(["db", "init"], data.env)
            started = time.perf_counter()
            _cli(["demo", "traffic", "--year", "2019", "--json"], data.env)
            seeded = time.perf_counter() - started
            out = _cli(
                ["user", "create", "bench-super", "--role", "supervisor", "--generate"], data.env
            )
            found = PASSWORD_LINE.search(out)
            assert found is not None, out
            with serving(data) as server:
                pages = measure(server.base_url, found.group(1), runs)
        finally:
            if postgres and database:
                _drop_pg_database(postgres, database)
    return {"demo_year_seconds": round(seeded, 1), "pages": pages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=None, help="server URL for the PostgreSQL run")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for store, url in (("sqlite", None), ("postgresql", args.postgres)):
        if store == "postgresql" and not url:
            continue
        print(f"{store}:", flush=True)
        results[store] = store_run(url, args.runs)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
