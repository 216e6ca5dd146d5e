"""Telephony and staffing figures (issue 14): importing the demo year's queue_log, the call
figures of a year and a month, and Erlang C/A for a week's intervals.

    .venv/bin/python bench/telephony_bench.py [--postgres URL] [--runs 3] [--json FILE]

1. The demo year (2019, seed 115) made once and written as a queue_log.
2. Import (`auskunft telephony import`, a process of its own, a fresh database each run):
   wall time and the highest resident memory, median of `--runs`; then the same file again
   (idempotent: every call "schon vorhanden"). On SQLite, and on PostgreSQL with
   `--postgres` (a database of its own, dropped afterwards).
3. The call figures (`telephony.service.figures.call_report`, what the API and the pages
   ask): a year by month, a year by day, a month by day, a month by half hour; 21 runs
   each after one warm-up, median and p95, on each store.
4. A live event (`POST /api/v1/telephony/events`, one ENTERQUEUE of a new caller) with
   35,000 calls of the past six days stored with their callers' hashes: median and max of
   20 requests after 5 warm-ups, on each store (recognising a caller must not cost a read
   of the week).
5. Erlang: agents needed for the 154 intervals of a week (Erlang C and Erlang A), median
   of 7 passes; and the SimPy check of one week's plan.

Target (docs/benchmarks.md): the import of the demo year's queue_log in at most 60 s on
SQLite; the year's figures (the page) p95 at most 300 ms, a month's at most 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from tests.conftest import _drop_pg_database, _new_pg_database  # noqa: E402

from auskunft.access.service import create_api_token  # noqa: E402
from auskunft.app import create_app  # noqa: E402
from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.core.config import Settings  # noqa: E402
from auskunft.core.db.uow import UnitOfWork  # noqa: E402
from auskunft.staffing.model.erlang import Goal, Load, agents_needed  # noqa: E402
from auskunft.staffing.model.simulation import simulate  # noqa: E402
from auskunft.statistics.service import demo  # noqa: E402
from auskunft.telephony.model.figures import Definition  # noqa: E402
from auskunft.telephony.model.queue_log import format_line  # noqa: E402
from auskunft.telephony.service import calls, figures  # noqa: E402

AUSKUNFT = ROOT / ".venv" / "bin" / "auskunft"


def run_import(url: str, queue_log: Path, data_dir: Path) -> dict[str, float]:
    env = {**os.environ, "AUSKUNFT_DATABASE_URL": url, "AUSKUNFT_DATA_DIR": str(data_dir)}
    env["AUSKUNFT_WORKER"] = "off"
    subprocess.run([str(AUSKUNFT), "db", "init"], env=env, check=True, capture_output=True)
    started = time.perf_counter()
    # GNU time's %M: the import process's own highest resident memory, in KiB.
    command = [str(AUSKUNFT), "telephony", "import", "--json", str(queue_log)]
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    peak_kib = int(done.stderr.strip().splitlines()[-1])
    report = json.loads(done.stdout.strip().splitlines()[-1])
    started = time.perf_counter()
    again = subprocess.run(
        [str(AUSKUNFT), "telephony", "import", "--json", str(queue_log)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    again_seconds = time.perf_counter() - started
    unchanged = json.loads(again.stdout.strip().splitlines()[-1])["unchanged"]
    return {
        "seconds": seconds,
        "again_seconds": again_seconds,
        "peak_rss_mib": peak_kib / 1024,
        "new": report["new"],
        "unchanged_again": unchanged,
    }


def report_latency(url: str) -> dict[str, dict[str, float]]:
    engine, _ = open_catalog(url)
    cases = {
        "year_by_month": (date(2019, 1, 1), date(2019, 12, 31), "month"),
        "year_by_day": (date(2019, 1, 1), date(2019, 12, 31), "day"),
        "month_by_day": (date(2019, 3, 1), date(2019, 3, 31), "day"),
        "month_by_interval": (date(2019, 3, 1), date(2019, 3, 31), "interval"),
    }
    found: dict[str, dict[str, float]] = {}
    for name, (first, last, group) in cases.items():
        times = []
        for run in range(22):
            started = time.perf_counter()
            with UnitOfWork(engine) as uow:
                figures.call_report(
                    uow, first, last, group=group, channel=None, definition=Definition()
                )
            if run:
                times.append((time.perf_counter() - started) * 1000)
        times.sort()
        found[name] = {
            "median_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
        }
    engine.dispose()
    return found


def live_event_latency(url: str) -> dict[str, float]:
    engine, _ = open_catalog(url)
    now = int(datetime.now(UTC).timestamp())
    rng = random.Random(1)
    lines = []
    for n in range(35_000):
        at = now - 6 * 86400 + n * 14
        number = f"0561 {rng.randrange(10**6, 10**7)}"
        lines.append(format_line(at, f"w{n}", "q", "", "ENTERQUEUE", "", number, 1))
        lines.append(format_line(at + 3, f"w{n}", "q", "", "ABANDON", 1, 1, 3))
    with UnitOfWork(engine) as uow:
        calls.import_queue_log(uow, lines, channels="115=115")
        token = create_api_token(uow, "bench-live", datetime.now(UTC))
        uow.commit()
    settings = Settings(database_url=url, worker="off", rate_limits="off")
    times = []
    with TestClient(create_app(settings)) as client:
        for n in range(25):
            number = f"0561 {rng.randrange(10**6, 10**7)}"
            line = format_line(now - 60 + n, f"live{n}", "q", "", "ENTERQUEUE", "", number, 1)
            started = time.perf_counter()
            answer = client.post(
                "/api/v1/telephony/events",
                json={"events": [line]},
                headers={"Authorization": f"Bearer {token}"},
            )
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200, answer.text
    engine.dispose()
    return {"median_ms": round(statistics.median(times[5:]), 1), "max_ms": round(max(times[5:]), 1)}


def erlang_week() -> dict[str, Any]:
    # A Monday-to-Saturday profile of 154 half hours, 20-120 calls each.
    loads = [20 + (i * 37) % 100 for i in range(154)]
    out: dict[str, Any] = {}
    for model, patience in (("erlang_c", None), ("erlang_a", 150.0)):
        times = []
        for _ in range(7):
            started = time.perf_counter()
            plan = [agents_needed(Load(2 * n, 185, patience), Goal()) for n in loads]
            times.append(time.perf_counter() - started)
        out[model] = {"week_s": round(statistics.median(times), 3)}
    plan = [agents_needed(Load(2 * n, 185, 150.0), Goal()) for n in loads]
    started = time.perf_counter()
    answered_within = answered = long_gone = 0
    predicted = 0.0
    for n, p in zip(loads, plan, strict=True):
        sim = simulate(p.agents, Load(2 * n, 185, 150.0), Goal(), calls=2000, seed=n)
        answered_within += sim.answered_within
        answered += sim.answered
        long_gone += sim.abandoned_long
        predicted += p.service_level * n  # weighted by the interval's calls, as the total is
    out["simulation"] = {
        "seconds": round(time.perf_counter() - started, 1),
        "simulated_service_level": round(answered_within / (answered + long_gone), 4),
        "predicted_weighted": round(predicted / sum(loads), 4),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", default="")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {"command": " ".join(sys.argv)}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        catalog_url = f"sqlite:///{work / 'catalog.db'}"
        engine, _ = open_catalog(catalog_url)
        with UnitOfWork(engine) as uow:
            from auskunft.catalog.service import reads

            kinds = {s.id: s.kind for s in reads.services(uow)}
        engine.dispose()
        started = time.perf_counter()
        made = demo.make_year(2019, kinds, seed=115)
        queue_log = work / "queue_log-2019"
        lines = demo.write_queue_log(made, queue_log)
        results["demo_year"] = {
            "lines": lines,
            "calls": len(made.calls),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(f"demo year: {lines} lines, {len(made.calls)} calls")
        del made
        stores = {"sqlite": ""}
        if args.postgres:
            stores["postgresql"] = args.postgres
        for store, admin in stores.items():
            runs = []
            last_url = ""
            for run in range(args.runs):
                if store == "sqlite":
                    url = f"sqlite:///{work / f'import-{run}.db'}"
                    pg_name = ""
                else:
                    pg_name, url = _new_pg_database(admin)
                runs.append(run_import(url, queue_log, work / f"data-{store}-{run}"))
                if pg_name and run < args.runs - 1:
                    _drop_pg_database(admin, pg_name)
                last_url, last_pg = url, pg_name
            seconds = [r["seconds"] for r in runs]
            results[f"import_{store}"] = {
                "runs_s": [round(s, 1) for s in seconds],
                "median_s": round(statistics.median(seconds), 1),
                "again_median_s": round(statistics.median(r["again_seconds"] for r in runs), 1),
                "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs)),
                "new": runs[0]["new"],
                "unchanged_again": runs[0]["unchanged_again"],
            }
            print(store, "import", results[f"import_{store}"])
            results[f"figures_{store}"] = report_latency(last_url)
            print(store, "figures", results[f"figures_{store}"])
            if store == "sqlite":
                live_url = f"sqlite:///{work / 'live.db'}"
            else:
                live_pg, live_url = _new_pg_database(admin)
            results[f"live_event_{store}"] = live_event_latency(live_url)
            print(store, "live event", results[f"live_event_{store}"])
            if store == "postgresql":
                _drop_pg_database(admin, live_pg)
            if store == "postgresql":
                _drop_pg_database(admin, last_pg)
    results["erlang"] = erlang_week()
    print("erlang", results["erlang"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
