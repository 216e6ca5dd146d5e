"""Concerns at scale (issue 12): the escalation pass over 100,000 open concerns, and the
offices' inbox and the supervisors' list over HTTP.

    .venv/bin/python bench/concerns_bench.py [--store sqlite|postgresql|both] [--concerns 100000]
                                             [--runs 5] [--worst-runs 3] [--worst 10000]
                                             [--requests 200] [--warmup 20]
                                             [--database-url postgresql://...] [--json FILE]

Per store, a fresh database (a SQLite file in a temporary folder; on PostgreSQL a scratch
database next to `--database-url`, dropped afterwards) gets the demo catalog as `auskunft
db init` seeds it, a clerk of one office (`kassel-buergerbuero`) and a supervisor, each
with a personal API token, and `--concerns` open concerns from `bench/concerns_fixture.py`:
spread evenly over 60 offices, received over the last six weeks, due and reminder times
computed by the real service calendar with each office's promised hours, placed so that at
the pass moment (the latest moment of service time) 1 % have crossed their reminder and
0.5 % their due time unclaimed (the worker stood still for an hour); 21 % were reminded
and 5 % escalated by earlier passes, 5 % wait for the citizen.

**Escalation.** `concerns.escalate(uow, policy, now=...)` and the commit, in a fresh unit of
work each, as the worker's periodic task runs it (after one warm-up pass, rolled back):

- `typical`: the pass at the pass moment (claims the 1 % and the 0.5 %);
- `nothing due`: the next pass at the same moment, which finds nothing left (every
  minute's pass in steady state);
- `worst`: a pass at the moment when `--worst` concerns have come due unclaimed (the
  worker stood still for hours): it claims those and every reminder that came due
  meanwhile.

Claims are undone after each run (the claim columns carry the pass moment itself; history
lines and jobs past the marks taken before are deleted; PostgreSQL is vacuumed), so every
run starts from the same rows. One more typical pass is run with every statement timed
(SQLAlchemy's cursor events), and the claim reads are explained.

**Reads in process**: `concerns.listing` for the clerk (open view, overdue view) and
`concerns.supervisor_list`, 30 times each, with the statements of one run counted.

**HTTP.** `auskunft serve` (one worker, background worker and rate limits off) on the
database; the clerk and the supervisor log in through the form; then `--requests` rounds
after `--warmup`, each round every request below once, one after the other in a shuffled
order (so the machine's drift falls on all alike), one keep-alive connection per caller:

- baseline `GET /healthz`; baseline `GET /dienststelle/anliegen?stelle=<another office>`
  (the clerk's inbox page without rows: session, page, no concern read) and
  `GET /api/v1/concerns?authority=<another office>` (token check, no concern read);
- `GET /dienststelle/anliegen` and `?ansicht=ueberfaellig` (clerk), `GET /admin/anliegen`
  (supervisor), `GET /api/v1/concerns`, `?overdue=true` (clerk's token) and
  `GET /api/v1/concerns/overview` (supervisor's token).

Latency is taken at the client (httpx, same machine: an upper bound of the server's), the
server's own time from its `Server-Timing` header; p50/p95/max in milliseconds and the
ratio of each p95 to the p95 of /healthz in the same run.

Light mode for a smoke run: --concerns 3000 --runs 1 --worst-runs 1 --worst 300 --requests 5
--warmup 1
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, event
from starlette.requests import Request
from starlette.responses import HTMLResponse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auskunft.access import service as access  # noqa: E402
from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.catalog.service import reads as catalog_reads  # noqa: E402
from auskunft.core.config import Settings  # noqa: E402
from auskunft.core.db.engine import get_engine  # noqa: E402
from auskunft.core.db.uow import UnitOfWork  # noqa: E402
from auskunft.core.principal import Login  # noqa: E402
from auskunft.forwarding.model.concern import COUNTING  # noqa: E402
from auskunft.forwarding.service import concerns  # noqa: E402
from auskunft.forwarding.service.calendar import service_calendar  # noqa: E402
from auskunft.forwarding.web import inbox  # noqa: E402
from bench.appointments_fixture import scratch_database  # noqa: E402
from bench.concerns_fixture import (  # noqa: E402
    LEFT_OUT,
    SeededConcerns,
    marks,
    pass_moment,
    seed_concerns,
    settle,
    unclaim,
)
from bench.desk_load import CSRF_FIELD, cpu_seconds_of_group, server_timing_ms  # noqa: E402
from bench.live_server import DemoData, server_env, serving  # noqa: E402
from bench.report import summary, write_json  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
CLERK_OFFICE = "kassel-buergerbuero"
OTHER_OFFICE = "kassel-standesamt"
CLERK, SUPERVISOR = "bench-clerk", "bench-lead"
ESCALATION_TARGET_MS = 2000.0
HTTP_TARGET_MS = 50.0
ROWS_HTML = re.compile(r'class="concern-code"')


# --- escalation ----------------------------------------------------------------------------


def one_pass(engine: Engine, policy: concerns.Policy, at: datetime) -> dict[str, Any]:
    """One pass and its commit in a fresh unit of work, as the worker runs it."""
    began = time.perf_counter()
    with UnitOfWork(engine) as uow:
        done = concerns.escalate(uow, policy, now=at)
        passed = time.perf_counter()
        uow.commit()
    ended = time.perf_counter()
    if done.skipped_outside_service_time:
        raise RuntimeError(f"{at.isoformat()} is outside service time: the pass did nothing")
    return {
        "ms": (ended - began) * 1000,
        "escalate_ms": (passed - began) * 1000,
        "commit_ms": (ended - passed) * 1000,
        "reminded": done.reminded,
        "overdue": done.overdue,
    }


def worst_moment(
    seeded: SeededConcerns, worst: int, policy: concerns.Policy, engine: Engine
) -> datetime:
    """The moment by which `worst` concerns have come due unclaimed (a moment of service time)."""
    wanted = worst - len(seeded.due_new)
    if wanted <= 0 or wanted > len(seeded.later_dues):
        raise ValueError(f"--worst {worst} is outside what the seed holds")
    moment = seeded.later_dues[wanted - 1]
    with UnitOfWork(engine) as uow:
        calendar = service_calendar(uow, policy.weekly)
    if not calendar.is_service_time(moment):  # due at a closing time: the next opening
        moment = calendar.after(moment, timedelta(0)).astimezone(UTC)
    return moment


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any, bool, float]]]:
    """Every statement run on the engine meanwhile: text, parameters, executemany, ms."""
    log: list[tuple[str, Any, bool, float]] = []

    def before(conn: Any, _cursor: Any, _stmt: str, _params: Any, _ctx: Any, _many: bool) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn: Any, _cursor: Any, stmt: str, params: Any, _ctx: Any, many: bool) -> None:
        began = conn.info["bench_started"].pop()
        log.append((stmt, params, many, (time.perf_counter() - began) * 1000))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def statement_summary(log: list[tuple[str, Any, bool, float]]) -> list[dict[str, Any]]:
    """The statements grouped by their first words, with their count and time."""
    groups: dict[str, dict[str, Any]] = {}
    for stmt, _params, many, ms in log:
        key = " ".join(stmt.split())[:90]
        found = groups.setdefault(
            key, {"statement": key, "count": 0, "ms": 0.0, "executemany": many}
        )
        found["count"] += 1
        found["ms"] += ms
    ordered = sorted(groups.values(), key=lambda g: -g["ms"])
    for g in ordered:
        g["ms"] = round(g["ms"], 2)
    return ordered


def explain(engine: Engine, stmt: str, params: Any) -> list[str]:
    """The plan of one SELECT as the store runs it (PostgreSQL: executed, with timings)."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + stmt, params).all()
            return [str(r[0]) for r in rows]
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + stmt, params).all()
        return [" | ".join(str(c) for c in r[1:]) for r in rows]


def time_escalation(
    engine: Engine, policy: concerns.Policy, seeded: SeededConcerns, args: argparse.Namespace
) -> dict[str, Any]:
    at = seeded.at
    # Warm-up: one pass rolled back (connections, statement caches, the store's pages).
    with UnitOfWork(engine) as uow:
        concerns.escalate(uow, policy, now=at)
        uow.rollback()
    settle(engine)
    typical, nothing, worst = [], [], []
    for _ in range(args.runs):
        before = marks(engine)
        typical.append(one_pass(engine, policy, at))
        nothing.append(one_pass(engine, policy, at))
        unclaim(engine, at, before)
    expected = (len(seeded.remind_new), len(seeded.due_new))
    for r in typical:
        if (r["reminded"], r["overdue"]) != expected:
            raise RuntimeError(
                f"typical pass claimed {r['reminded']}/{r['overdue']}, seeded {expected}"
            )
    if any(r["reminded"] or r["overdue"] for r in nothing):
        raise RuntimeError("the second pass at the same moment claimed something")
    worst_at = worst_moment(seeded, args.worst, policy, engine)
    for _ in range(args.worst_runs):
        before = marks(engine)
        worst.append(one_pass(engine, policy, worst_at))
        unclaim(engine, worst_at, before)
    # One more typical pass with every statement timed, and the claim reads explained.
    before = marks(engine)
    with statements(engine) as log:
        one_pass(engine, policy, at)
    unclaim(engine, at, before)
    claim_reads = [
        (stmt, params)
        for stmt, params, _many, _ms in log
        if stmt.lstrip().upper().startswith("SELECT")
        and "concerns.id" in stmt
        and "_at IS NULL" in stmt
    ]
    plans = [
        {"statement": " ".join(s.split()), "plan": explain(engine, s, p)} for s, p in claim_reads
    ]

    def figures(runs: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "runs": len(runs),
            "median_ms": round(statistics.median(r["ms"] for r in runs), 1),
            "min_ms": round(min(r["ms"] for r in runs), 1),
            "max_ms": round(max(r["ms"] for r in runs), 1),
            "median_escalate_ms": round(statistics.median(r["escalate_ms"] for r in runs), 1),
            "median_commit_ms": round(statistics.median(r["commit_ms"] for r in runs), 1),
            "reminded": runs[0]["reminded"],
            "overdue": runs[0]["overdue"],
            "all_ms": [round(r["ms"], 1) for r in runs],
        }

    return {
        "pass_at": at.isoformat(),
        "worst_at": worst_at.isoformat(),
        "typical": figures(typical),
        "nothing_due": figures(nothing),
        "worst": figures(worst),
        "statements_of_a_typical_pass": statement_summary(log),
        "claim_read_plans": plans,
    }


# --- reads in process ----------------------------------------------------------------------


def time_reads(engine: Engine, clerk: Login, runs: int = 30) -> dict[str, Any]:
    """The use cases behind the pages, in this process (no HTTP, no template)."""
    counting = [s.value for s in COUNTING]
    cases: dict[str, Callable[[UnitOfWork, datetime], list[dict[str, Any]]]] = {
        "listing, clerk, open": lambda uow, now: concerns.listing(
            uow, clerk, statuses=counting, overdue=None, now=now
        ),
        "listing, clerk, overdue": lambda uow, now: concerns.listing(
            uow, clerk, statuses=counting, overdue=True, now=now
        ),
        "supervisor_list": lambda uow, now: concerns.supervisor_list(uow, now=now),
    }
    out: dict[str, Any] = {}
    for name, case in cases.items():
        took: list[float] = []
        rows = 0
        for _ in range(runs + 3):
            began = time.perf_counter()
            with UnitOfWork(engine) as uow:
                rows = len(case(uow, datetime.now(UTC)))
            took.append((time.perf_counter() - began) * 1000)
        with statements(engine) as log, UnitOfWork(engine) as uow:
            case(uow, datetime.now(UTC))
        out[name] = {
            **summary(took[3:]),
            "rows": rows,
            "statements": len(log),
            "statement_ms": round(sum(ms for *_, ms in log), 2),
            "by_statement": statement_summary(log)[:5],
        }
    # The pages' route functions called directly (use case and template, no HTTP).
    lead = Login(0, SUPERVISOR, "supervisor", "")
    pages: dict[str, Callable[[UnitOfWork], HTMLResponse]] = {
        "page /dienststelle/anliegen, rendered": lambda uow: inbox.inbox(
            page_request("/dienststelle/anliegen"), uow, clerk, "offen", ""
        ),
        "page /admin/anliegen, rendered": lambda uow: inbox.supervisor_list(
            page_request("/admin/anliegen"), uow, lead, ""
        ),
    }
    for name, page in pages.items():
        took = []
        for _ in range(runs // 2 + 3):
            began = time.perf_counter()
            with UnitOfWork(engine) as uow:
                size = len(page(uow).body)
            took.append((time.perf_counter() - began) * 1000)
        out[name] = {**summary(took[3:]), "bytes": size}
    return out


def page_request(path: str) -> Request:
    """A bare GET request for calling a page's route function directly."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "root_path": "",
    }
    return Request(scope)


# --- HTTP ----------------------------------------------------------------------------------


def log_in(client: httpx.Client, username: str, password: str, target: str) -> None:
    """Through the login form, as a browser does (CSRF cookie and field)."""
    form = client.get("/anmelden")
    form.raise_for_status()
    found = CSRF_FIELD.search(form.text)
    if found is None:
        raise RuntimeError("no CSRF field on /anmelden")
    answer = client.post(
        "/anmelden",
        data={"username": username, "password": password, "csrf": found.group(1), "next": target},
    )
    if answer.status_code != 303 or "auskunft_session" not in client.cookies:
        raise RuntimeError(f"login of {username} failed: HTTP {answer.status_code}")


def rows_of(answer: httpx.Response) -> int:
    if answer.headers.get("content-type", "").startswith("application/json"):
        body = answer.json()
        return int(body["count"]) if "count" in body else 0
    return len(ROWS_HTML.findall(answer.text))


def time_http(
    url: str, users: dict[str, dict[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="auskunft-bench-") as tmp:
        env = server_env(Path(tmp), "off")
        env.update(AUSKUNFT_DATABASE_URL=url, AUSKUNFT_RATE_LIMITS="off", AUSKUNFT_WORKER="off")
        data = DemoData(Path(tmp), url, env, None, None)
        with serving(data, workers=1) as server:
            try:
                return _requests(server.base_url, server.pid, users, args)
            except Exception:
                print("--- server stderr (end) ---", file=sys.stderr)
                print(server.server_log(), file=sys.stderr)
                raise


def _requests(
    base_url: str, pid: int, users: dict[str, dict[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    timeout = httpx.Timeout(60.0)
    clerk = httpx.Client(base_url=base_url, timeout=timeout)
    lead = httpx.Client(base_url=base_url, timeout=timeout)
    api = httpx.Client(base_url=base_url, timeout=timeout)
    try:
        log_in(clerk, CLERK, users[CLERK]["password"], "/dienststelle/anliegen")
        log_in(lead, SUPERVISOR, users[SUPERVISOR]["password"], "/admin/anliegen")
        clerk_token = {"Authorization": f"Bearer {users[CLERK]['token']}"}
        lead_token = {"Authorization": f"Bearer {users[SUPERVISOR]['token']}"}
        endpoints: list[tuple[str, httpx.Client, str, dict[str, str]]] = [
            ("baseline: GET /healthz", clerk, "/healthz", {}),
            (
                "baseline: inbox page, no rows (?stelle=other office)",
                clerk,
                f"/dienststelle/anliegen?stelle={OTHER_OFFICE}",
                {},
            ),
            (
                "baseline: API, no rows (?authority=other office)",
                api,
                f"/api/v1/concerns?authority={OTHER_OFFICE}",
                clerk_token,
            ),
            ("GET /dienststelle/anliegen (clerk)", clerk, "/dienststelle/anliegen", {}),
            (
                "GET /dienststelle/anliegen?ansicht=ueberfaellig (clerk)",
                clerk,
                "/dienststelle/anliegen?ansicht=ueberfaellig",
                {},
            ),
            ("GET /admin/anliegen (supervisor)", lead, "/admin/anliegen", {}),
            ("GET /api/v1/concerns (clerk token)", api, "/api/v1/concerns", clerk_token),
            (
                "GET /api/v1/concerns?overdue=true (clerk token)",
                api,
                "/api/v1/concerns?overdue=true",
                clerk_token,
            ),
            (
                "GET /api/v1/concerns/overview (supervisor token)",
                api,
                "/api/v1/concerns/overview",
                lead_token,
            ),
        ]
        took: dict[str, list[float]] = {name: [] for name, *_ in endpoints}
        server_ms: dict[str, list[float]] = {name: [] for name, *_ in endpoints}
        shape: dict[str, dict[str, int]] = {}
        rng = random.Random(5)
        cpu_before = wall_before = None
        for round_ in range(args.warmup + args.requests):
            if round_ == args.warmup:
                cpu_before, wall_before = cpu_seconds_of_group(pid), time.perf_counter()
            for name, client, path, headers in rng.sample(endpoints, len(endpoints)):
                began = time.perf_counter()
                answer = client.get(path, headers=headers)
                body = answer.content
                ms = (time.perf_counter() - began) * 1000
                if answer.status_code != 200:
                    raise RuntimeError(f"{name}: HTTP {answer.status_code}: {body[:300]!r}")
                if round_ < args.warmup:
                    shape[name] = {"rows": rows_of(answer), "bytes": len(body)}
                    continue
                took[name].append(ms)
                found = server_timing_ms(answer.headers.get("server-timing"))
                if found is not None:
                    server_ms[name].append(found)
        cpu_after, wall_after = cpu_seconds_of_group(pid), time.perf_counter()
    finally:
        for c in (clerk, lead, api):
            c.close()
    base = summary(took[endpoints[0][0]])
    out: dict[str, Any] = {"rounds": args.requests, "warmup_rounds": args.warmup, "requests": {}}
    for name, *_ in endpoints:
        s = summary(took[name])
        out["requests"][name] = {
            "client": s,
            "server": summary(server_ms[name]) if server_ms[name] else None,
            **shape.get(name, {}),
            "p50_over_healthz": round(s["p50_ms"] / base["p50_ms"], 1) if base["p50_ms"] else None,
            "p95_over_healthz": round(s["p95_ms"] / base["p95_ms"], 1) if base["p95_ms"] else None,
        }
    if cpu_before is not None and cpu_after is not None and wall_before is not None:
        count = args.requests * len(endpoints)
        out["server_cpu_ms_per_request"] = round((cpu_after - cpu_before) / count * 1000, 2)
        out["seconds"] = round(wall_after - wall_before, 1)
    return out


# --- one store -----------------------------------------------------------------------------


def make_staff(engine: Engine, now: datetime) -> dict[str, dict[str, Any]]:
    """The clerk of one office and a supervisor, with passwords and personal API tokens."""
    users: dict[str, dict[str, Any]] = {}
    with UnitOfWork(engine) as uow:
        for username, role, offices in (
            (CLERK, "clerk", [CLERK_OFFICE]),
            (SUPERVISOR, "supervisor", []),
        ):
            password = access.generate_password()
            user = access.create_user(
                uow, username, role, password, now, authorities=offices, offices=catalog_reads
            )
            token = access.create_api_token(uow, f"{username}-token", now, username=username)
            users[username] = {"id": user.id, "password": password, "token": token}
        uow.commit()
    return users


def run_store(store: str, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "store": store,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with (
        scratch_database(None if store == "sqlite" else args.database_url) as url,
        tempfile.TemporaryDirectory(prefix="auskunft-bench-") as tmp,
    ):
        engine, _ = open_catalog(url)
        with engine.connect() as conn:
            out["store_version"] = str(
                conn.exec_driver_sql(
                    "select sqlite_version()" if store == "sqlite" else "show server_version"
                ).scalar()
            )
        settings = Settings(data_dir=Path(tmp), database_url=url)
        policy = concerns.Policy.from_settings(settings)
        now = datetime.now(UTC)
        users = make_staff(engine, now)
        with UnitOfWork(engine) as uow:
            calendar = service_calendar(uow, policy.weekly)
            offices = [a.id for a in catalog_reads.authorities(uow) if a.id not in LEFT_OUT]
        at = pass_moment(calendar, now)
        print(
            f"[{store}] seeding {args.concerns:,} concerns (pass at {at.isoformat()}) ...",
            flush=True,
        )
        seeded = seed_concerns(
            engine,
            calendar,
            count=args.concerns,
            at=at,
            offices=offices,
            clerk_office=CLERK_OFFICE,
            clerk_id=users[CLERK]["id"],
        )
        out["seed"] = seeded.as_dict()
        gc.collect()
        gc.freeze()  # as `auskunft serve` after start-up: the set-up's objects stay out of GC
        try:
            print(f"[{store}] escalation passes ...", flush=True)
            out["escalation"] = time_escalation(engine, policy, seeded, args)
            clerk = Login(
                users[CLERK]["id"], CLERK, "clerk", "", authorities=frozenset({CLERK_OFFICE})
            )
            print(f"[{store}] reads in process ...", flush=True)
            out["in_process"] = time_reads(engine, clerk)
        finally:
            gc.unfreeze()
        engine.dispose()
        get_engine(url).dispose()
        print(f"[{store}] HTTP ...", flush=True)
        out["http"] = time_http(url, users, args)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return out


# --- report --------------------------------------------------------------------------------


def report(out: dict[str, Any]) -> str:
    lines: list[str] = []
    for store in out["stores"]:
        e = store["escalation"]
        seed = store["seed"]
        lines.append(
            f"\n{store['store']} {store['store_version']}: {seed['count']:,} open concerns over "
            f"{seed['offices']} offices (seeded in {seed['seed_s']} s), pass at {e['pass_at']}, "
            f"load average before {store['load_average_before'][0]}"
        )
        lines.append(
            f"  {'escalation pass (+ commit)':<52} {'median':>9} {'min':>9} {'max':>9}  claimed"
        )
        for key, label in (
            ("typical", "typical (1 % reminders, 0.5 % due)"),
            ("nothing_due", "nothing due (the next pass)"),
            ("worst", f"worst: {store['escalation']['worst']['overdue']:,} due at once"),
        ):
            f = e[key]
            ok = "met" if f["median_ms"] <= ESCALATION_TARGET_MS else "MISSED"
            lines.append(
                f"  {label:<52} {f['median_ms']:>7.1f}ms {f['min_ms']:>7.1f}ms "
                f"{f['max_ms']:>7.1f}ms  "
                f"{f['reminded']:,} reminded, {f['overdue']:,} overdue  [{ok}]"
            )
        lines.append(f"  {'in process':<52} {'p50':>9} {'p95':>9} {'stmts':>6} rows/KB")
        for name, r in store["in_process"].items():
            what = r["rows"] if "rows" in r else f"{r['bytes'] / 1000:.1f} KB"
            lines.append(
                f"  {name:<52} {r['p50_ms']:>7.2f}ms {r['p95_ms']:>7.2f}ms "
                f"{r.get('statements', ''):>6} {what}"
            )
        h = store["http"]
        lines.append(
            f"  {'HTTP, ' + str(h['rounds']) + ' rounds':<60} {'p50':>8} {'p95':>8} {'max':>8} "
            f"{'srv p95':>8} {'÷ hz p95':>8} {'rows':>5} {'KB':>6}"
        )
        for name, r in h["requests"].items():
            c, s = r["client"], r["server"] or {}
            target = (
                ""
                if name.startswith("baseline")
                else (" met" if c["p95_ms"] <= HTTP_TARGET_MS else " MISSED")
            )
            lines.append(
                f"  {name:<60} {c['p50_ms']:>6.1f}ms {c['p95_ms']:>6.1f}ms {c['max_ms']:>6.1f}ms "
                f"{s.get('p95_ms', float('nan')):>6.1f}ms {r['p95_over_healthz']:>8} "
                f"{r.get('rows', 0):>5} "
                f"{r.get('bytes', 0) / 1000:>6.1f}{target}"
            )
        if "server_cpu_ms_per_request" in h:
            lines.append(
                f"  server CPU per request (all kinds): {h['server_cpu_ms_per_request']} ms"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--concerns", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worst-runs", type=int, default=3)
    parser.add_argument("--worst", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--database-url", default=os.environ.get("AUSKUNFT_TEST_POSTGRES_URL", DEFAULT_PG)
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    stores = ["sqlite", "postgresql"] if args.store == "both" else [args.store]
    began = time.perf_counter()
    out: dict[str, Any] = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "database_url")},
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "stores": [],
    }
    for store in stores:
        out["stores"].append(run_store(store, args))
        write_json(args.json, out)  # what is done so far, should a later store fail
    out["seconds"] = round(time.perf_counter() - began, 1)
    print(report(out))
    print(f"\n{out['seconds']} s in all")
    write_json(args.json, out)


if __name__ == "__main__":
    main()
