"""Booking throughput through the HTTP API on PostgreSQL, with a check for double bookings.

    .venv/bin/python bench/booking_load.py [--database-url postgresql://postgres@127.0.0.1:5432/test]
                                           [--clients 16] [--workers 2] [--duration 20]
                                           [--warmup 5] [--hot 0.05] [--days 120]
                                           [--pgbench 10] [--json bench/out/booking_load.json]

`--database-url` is only the administrative connection: a scratch database is
created next to it (and dropped at the end), seeded with the demo catalog and
the bench location of `bench/appointments_fixture.py` (20 counters, mixed
durations, 30 % of the open time of `--days` days already booked). Then
`auskunft serve --workers 2` runs on it with AUSKUNFT_RATE_LIMITS=off and
AUSKUNFT_WORKER=off (no e-mails are sent; the booking still queues its jobs).

The free slots of every service are fetched once (`GET /api/v1/slots`), shuffled
and dealt to the clients, so that each books slots of its own; with the
probability `--hot` a client instead takes one of a few slots that every client
shares (the first free morning everybody wants), so that bookings collide and
the server must answer 409 when the counters at that time are all taken. Each
client is one keep-alive connection (httpx, asyncio, in this process) and
books back to back: `POST /api/v1/appointments` with an e-mail address of its
own per booking. Answers during the warm-up are not counted; besides 201 and
409 every status is an error.

Afterwards the database is checked: no two visits holding time on a counter
overlap, every visit has exactly its cells and no cell is stray, and the number
of stored bookings equals the number of 201 answers (a 409 leaves nothing).
`pgbench` runs before and after the load in a scratch database of its own on
the same server (`pgbench -i`, then `-c 16 -j 2 -T --pgbench`): its TPS is the
ceiling of simple write transactions on this machine.

The light mode of the smoke test:
    --clients 2 --duration 1 --warmup 0.2 --days 3 --pgbench 0
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from auskunft.appointments.service.booking import local_day  # noqa: E402
from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.core.db.engine import get_engine  # noqa: E402
from bench.appointments_fixture import (  # noqa: E402
    LOCATION,
    SERVICES,
    build_location,
    scratch_database,
    verify,
)
from bench.desk_load import (  # noqa: E402
    cpu_seconds_of_group,
    own_cpu_seconds,
    server_timing_ms,
)
from bench.live_server import DemoData, server_env, serving  # noqa: E402
from bench.report import summary, write_json  # noqa: E402

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
EMAIL_PREFIX = "load-"
TPS_LINE = re.compile(r"^tps = ([0-9.]+)", re.MULTILINE)


# -- pgbench ---------------------------------------------------------------------------------
def pgbench_binary() -> str | None:
    found = shutil.which("pgbench")
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench"))
    return candidates[-1] if candidates else None


def pgbench(admin_url: str, seconds: float, clients: int = 16, threads: int = 2) -> dict[str, Any]:
    """TPS of pgbench's default (TPC-B-like) script in a scratch database, or why not."""
    binary = pgbench_binary()
    if binary is None:
        return {"skipped": "pgbench not found"}
    with scratch_database(admin_url) as url:
        parsed = make_url(url)
        env = dict(os.environ)
        if parsed.password:
            env["PGPASSWORD"] = str(parsed.password)
        where = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432)]
        where += ["-U", parsed.username or "postgres"]
        init = subprocess.run(
            [binary, "-i", "-q", *where, str(parsed.database)],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if init.returncode != 0:
            return {"skipped": f"pgbench -i failed: {init.stderr.strip()[-300:]}"}
        command = ["-c", str(clients), "-j", str(threads), "-T", str(max(1, round(seconds)))]
        done = subprocess.run(
            [binary, *command, *where, str(parsed.database)],
            env=env, capture_output=True, text=True, timeout=seconds + 120,
        )  # fmt: skip
    found = TPS_LINE.search(done.stdout)
    if done.returncode != 0 or found is None:
        return {"skipped": f"pgbench failed: {(done.stderr or done.stdout).strip()[-300:]}"}
    return {
        "command": f"pgbench {' '.join(command)} (after pgbench -i, scale 1)",
        "tps": round(float(found.group(1)), 1),
    }


# -- CPU of the database server --------------------------------------------------------------
def cpu_seconds_of_database(database: str) -> float | None:
    """CPU seconds of the PostgreSQL backends serving one database (their process
    title names it), so that other databases' work on the same server is not
    counted; None when none is visible (another machine, or no access to /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    seen = False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres: ") or f" {database} " not in title:
                continue
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
        seen = True
    return total / tick if seen else None


# -- the load --------------------------------------------------------------------------------
@dataclass
class Tally:
    """What one client saw while it counted."""

    latencies: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    created_total: int = 0  # 201s including the warm-up, to compare with the database
    errors: int = 0
    last_done: float = 0.0
    samples_of_errors: list[str] = field(default_factory=list)


async def fetch_slots(client: httpx.AsyncClient, first: str, last: str) -> list[tuple[str, str]]:
    """(service, start) of every free slot of every bench service."""
    found = []
    for service in SERVICES:
        params = {"service": service, "location": LOCATION, "from": first, "to": last}
        answer = await client.get("/api/v1/slots", params=params)
        answer.raise_for_status()
        found += [(service, slot["start"]) for slot in answer.json()["slots"]]
    return found


class Connection:
    """One keep-alive HTTP/1.1 connection with just enough protocol for JSON requests.

    httpx costs a few milliseconds of CPU per request, which on two shared cores
    would be taken from the server under test; this costs a fraction of that.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post_json(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and body of a POST."""
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            self.writer.write(head.encode("ascii") + body)
            raw = await self.reader.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name:
                    headers[name.strip().lower()] = value.strip()
            content = await self.reader.readexactly(int(headers.get("content-length", "0")))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            await self.close()
            raise
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return int(lines[0].split()[1]), headers, content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def book_loop(
    connection: Connection,
    number: int,
    own: list[tuple[str, str]],
    hot: list[tuple[str, str]],
    hot_share: float,
    count_from: float,
    stop_at: float,
    tally: Tally,
) -> None:
    """Book back to back until stop_at: own slots, now and then a shared one."""
    rng = random.Random(number)
    serial = 0
    while time.perf_counter() < stop_at and own:
        service, start = rng.choice(hot) if hot and rng.random() < hot_share else own.pop()
        serial += 1
        body = {
            "services": [service],
            "location": LOCATION,
            "start": start,
            "name": f"Last Test {number}",
            "email": f"{EMAIL_PREFIX}{number}-{serial}@example.org",
        }
        t0 = time.perf_counter()
        headers: dict[str, str] = {}
        content = b""
        try:
            code, headers, content = await connection.post_json(
                "/api/v1/appointments", json.dumps(body).encode()
            )
            status = str(code)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        done = time.perf_counter()
        if status == "201":
            tally.created_total += 1
        if done < count_from or t0 >= stop_at:
            continue
        tally.latencies.append((done - t0) * 1000)
        tally.statuses[status] += 1
        tally.last_done = done
        server = server_timing_ms(headers.get("server-timing"))
        if server is not None:
            tally.server_ms.append(server)
        if status not in ("201", "409"):
            tally.errors += 1
            if len(tally.samples_of_errors) < 3:
                tally.samples_of_errors.append(f"{status} {content[:200]!r}")


async def load(
    base_url: str, server_pid: int, url: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Fetch the slots, deal them out, let the clients book, and sum up what they saw."""
    address = httpx.URL(base_url)
    pool = [Connection(address.host, address.port or 80) for _ in range(args.clients)]
    try:
        today = local_day(datetime.now(UTC))
        fetch_started = time.perf_counter()
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as fetcher:
            slots = await fetch_slots(
                fetcher, today.isoformat(), (today + timedelta(days=args.days)).isoformat()
            )
        fetch_s = time.perf_counter() - fetch_started
        rng = random.Random(7)
        # The earliest slots are the ones everybody wants: a few of them are shared.
        hot = sorted(slots, key=lambda s: s[1])[: max(4, args.clients)]
        shared = set(hot)
        rest = [s for s in slots if s not in shared]
        rng.shuffle(rest)
        dealt = [rest[n :: args.clients] for n in range(args.clients)]
        tallies = [Tally() for _ in pool]
        start = time.perf_counter()
        count_from = start + args.warmup
        stop_at = count_from + args.duration
        database = str(make_url(url).database)
        marks: dict[str, float | None] = {}

        async def mark_window() -> None:
            await asyncio.sleep(max(0.0, count_from - time.perf_counter()))
            marks["server"] = cpu_seconds_of_group(server_pid)
            marks["postgres"] = cpu_seconds_of_database(database)
            marks["client"] = own_cpu_seconds()
            marks["sessions"] = await asyncio.to_thread(sessions_opened, url)

        marker = asyncio.create_task(mark_window())
        await asyncio.gather(
            *(
                book_loop(client, n, dealt[n], hot, args.hot, count_from, stop_at, tally)
                for n, (client, tally) in enumerate(zip(pool, tallies, strict=True))
            )
        )
        await marker
        server_cpu_1 = cpu_seconds_of_group(server_pid)
        sessions_1 = await asyncio.to_thread(sessions_opened, url)
        postgres_cpu_1 = cpu_seconds_of_database(database)
        client_cpu = own_cpu_seconds() - (marks["client"] or 0.0)
    finally:
        for connection in pool:
            await connection.close()

    def spent(before: float | None, after: float | None) -> float | None:
        return round(after - before, 2) if before is not None and after is not None else None

    latencies = [x for t in tallies for x in t.latencies]
    window = max((t.last_done for t in tallies), default=count_from) - count_from
    statuses: Counter[str] = Counter()
    for t in tallies:
        statuses.update(t.statuses)
    created = statuses.get("201", 0)
    conflicts = statuses.get("409", 0)
    server_ms = [x for t in tallies for x in t.server_ms]
    return {
        "slots_fetched": len(slots),
        "slots_fetch_s": round(fetch_s, 2),
        "hot_slots": len(hot),
        "n": len(latencies),
        "statuses": dict(statuses),
        "created": created,
        "conflicts": conflicts,
        "conflict_share": round(conflicts / len(latencies), 4) if latencies else 0.0,
        "errors": sum(t.errors for t in tallies),
        "error_examples": [e for t in tallies for e in t.samples_of_errors][:5],
        "created_including_warmup": sum(t.created_total for t in tallies),
        "window_s": round(window, 2),
        "bookings_per_s": round(created / window, 1) if window > 0 else 0.0,
        "requests_per_s": round(len(latencies) / window, 1) if window > 0 else 0.0,
        "client_latency": summary(latencies),
        "server_timing": summary(server_ms) if server_ms else None,
        "cpu_s": {
            "server": spent(marks.get("server"), server_cpu_1),
            "postgres": spent(marks.get("postgres"), postgres_cpu_1),
            "client": round(client_cpu, 2),
        },
        "database_sessions_opened": spent(marks.get("sessions"), sessions_1),
    }


def sessions_opened(url: str) -> float | None:
    """Connections made to the database so far (PostgreSQL's statistics, which lag
    by up to a second); a pool that keeps opening connections shows here."""
    try:
        with get_engine(url).connect() as conn:
            query = text("select sessions from pg_stat_database where datname = current_database()")
            value = conn.execute(query).scalar()
    except Exception:  # statistics off or too old a server: not shown
        return None
    return float(value) if value is not None else None


def stored_bookings(url: str) -> int:
    """Appointments the load made (by their e-mail addresses)."""
    engine = get_engine(url)
    with engine.connect() as conn:
        query = text("select count(*) from appointments where email like :p")
        return int(conn.execute(query, {"p": f"{EMAIL_PREFIX}%"}).scalar_one())


def serve_and_load(url: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="auskunft-bench-") as tmp:
        env = server_env(Path(tmp), "off")
        env.update(AUSKUNFT_DATABASE_URL=url, AUSKUNFT_RATE_LIMITS="off", AUSKUNFT_WORKER="off")
        data = DemoData(Path(tmp), url, env, None, None)
        with serving(data, workers=args.workers, port=args.port) as server:
            try:
                return asyncio.run(load(server.base_url, server.pid, url, args))
            except Exception:
                print("--- server stderr (end) ---", file=sys.stderr)
                print(server.server_log(), file=sys.stderr)
                raise


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns the figures that --json writes."""
    out: dict[str, Any] = {
        "settings": {
            "clients": args.clients,
            "workers": args.workers,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "hot_share": args.hot,
            "days": args.days,
        },
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    if args.pgbench:
        out["pgbench_before"] = pgbench(args.database_url, args.pgbench)
    with scratch_database(args.database_url) as url:
        engine, _ = open_catalog(url)
        out["backend"] = engine.dialect.name
        place = build_location(engine, now=datetime.now(UTC), days=args.days)
        out["location"] = place.as_dict()
        engine.dispose()
        out["http"] = serve_and_load(url, args)
        checks = verify(get_engine(url), LOCATION)
        checks["stored_bookings"] = stored_bookings(url)
        checks["created_answers"] = out["http"]["created_including_warmup"]
        out["checks"] = checks
        get_engine(url).dispose()
    if args.pgbench:
        out["pgbench_after"] = pgbench(args.database_url, args.pgbench)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    rates = [out[k]["tps"] for k in ("pgbench_before", "pgbench_after") if "tps" in out.get(k, {})]
    if rates:
        ceiling = sorted(rates)[len(rates) // 2] if len(rates) % 2 else sum(rates) / len(rates)
        out["bookings_per_s_to_pgbench_tps"] = round(out["http"]["bookings_per_s"] / ceiling, 3)
    return out


def report(out: dict[str, Any]) -> str:
    s, h, c = out["settings"], out["http"], out["checks"]
    lat = h["client_latency"]
    lines = [
        f"booking load, {out['backend']}: {s['clients']} clients, {s['workers']} workers, "
        f"{s['duration_s']:g} s after {s['warmup_s']:g} s warm-up, hot share {s['hot_share']}; "
        f"{out['cpus']} CPUs, load average before {out['load_average_before'][0]}, "
        f"after {out['load_average_after'][0]}",
        f"  location: {out['location']['appointments']} visits booked beforehand "
        f"({out['location']['booked_share'] * 100:.1f} % of {s['days']} days); "
        f"{h['slots_fetched']} slots fetched in {h['slots_fetch_s']} s",
        f"  {h['n']} requests: {h['created']} created, {h['conflicts']} conflicts (409, "
        f"{h['conflict_share'] * 100:.1f} %), errors {h['errors']}, statuses {h['statuses']}",
        f"  bookings/s {h['bookings_per_s']:.1f} (requests/s {h['requests_per_s']:.1f}), "
        f"client latency p50 {lat['p50_ms']:.1f} / p95 {lat['p95_ms']:.1f} / "
        f"p99 {lat['p99_ms']:.1f} / max {lat['max_ms']:.1f} ms",
    ]
    if h["server_timing"]:
        st = h["server_timing"]
        lines.append(
            f"  Server-Timing p50 {st['p50_ms']:.1f} / p95 {st['p95_ms']:.1f} / "
            f"p99 {st['p99_ms']:.1f} ms"
        )
    cpu = h["cpu_s"]
    lines.append(
        f"  CPU in {h['window_s']} s: server {cpu['server']} s, PostgreSQL backends of this "
        f"database {cpu['postgres']} s, client {cpu['client']} s; connections opened "
        f"{h['database_sessions_opened']}"
    )
    lines.append(
        f"  checks: double bookings {c['double_bookings']}, cells wrong {c['wrong_cell_count']}, "
        f"stray cells {c['stray_cells']}; stored bookings {c['stored_bookings']} for "
        f"{c['created_answers']} answers 201"
    )
    for key in ("pgbench_before", "pgbench_after"):
        if key in out:
            value = out[key]
            lines.append(
                f"  {key}: {value['tps']} TPS ({value['command']})"
                if "tps" in value
                else f"  {key}: {value['skipped']}"
            )
    if "bookings_per_s_to_pgbench_tps" in out:
        lines.append(f"  bookings/s ÷ pgbench TPS: {out['bookings_per_s_to_pgbench_tps']}")
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("AUSKUNFT_TEST_POSTGRES_URL") or DEFAULT_PG,
        help="PostgreSQL server (administrative connection; a scratch database is made)",
    )
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--workers", type=int, default=2, help="auskunft serve --workers")
    p.add_argument("--duration", type=float, default=20.0, help="counted seconds")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds not counted")
    p.add_argument("--hot", type=float, default=0.05, help="share of bookings of shared slots")
    p.add_argument("--days", type=int, default=120, help="days of the calendar and its slots")
    p.add_argument("--pgbench", type=float, default=10.0, help="seconds per pgbench run (0: none)")
    p.add_argument("--port", type=int, default=0, help="0: a free one")
    p.add_argument("--json", type=Path, default=None)
    return p


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser().parse_args(argv)
    if args.clients < 1 or args.workers < 1 or args.duration <= 0 or args.warmup < 0:
        parser().error("--clients >= 1, --workers >= 1, --duration > 0, --warmup >= 0")
    if not 0 <= args.hot <= 1 or args.days < 1 or args.pgbench < 0:
        parser().error("0 <= --hot <= 1, --days >= 1, --pgbench >= 0")
    if make_url(args.database_url).get_backend_name() != "postgresql":
        parser().error("--database-url must be a PostgreSQL URL")
    out = run(args)
    print(report(out))
    write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
