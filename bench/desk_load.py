"""Agent desk under load: concurrent live searches against `auskunft serve` on loopback.

    .venv/bin/python bench/desk_load.py [--clients 20] [--duration 20] [--warmup 5]
                                        [--workers 1] [--port 0] [--dense auto|off]
                                        [--pause 0] [--inproc 5]
                                        [--json bench/out/desk_load.json]

A fresh data directory gets the demo catalog and a staff account `bench-agent`
(role agent). First, with no server running, the raw search rate is measured in
this process: `answer_question` over the development questions, one thread,
for `--inproc` seconds. Then `auskunft serve` starts on a free loopback port,
every client logs in with its own session (its own cookie, as 20 agents at 20
desks would), and the clients search concurrently: each has one keep-alive
connection and asks the development questions in its own shuffled order,
back to back, `GET /desk/treffer?q=...&gemeinde=kassel` with `HX-Request: true`,
as the desk does while an agent types (`--pause MS` lets each client wait
0.5 to 1.5 times that long after every answer, as an agent between words;
the default is no pause, the heaviest load). Requests during the warm-up are
not counted. Latency is taken at the client, so it includes the client's own
overhead on the same machine: an upper bound of the server's time. A
`Server-Timing` header, if the app ever sends one, is summarised as well.

The light mode of the smoke test: --clients 2 --duration 1 --warmup 0 --inproc 0.3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from bench.live_server import DemoData, LiveServer, demo_data, serving  # noqa: E402
from bench.report import summary, write_json  # noqa: E402

MUNICIPALITY = "kassel"
RESULTS = 8  # what the desk asks for
CSRF_FIELD = re.compile(r'<input[^>]*name="csrf"[^>]*value="([^"]+)"')
TIMING_DUR = re.compile(r"dur=([0-9.]+)")
# A results fragment with at least one hit carries this attribute on every hit.
HIT_MARK = "data-result"


def load_questions(path: Path) -> list[str]:
    """The "q" of every JSON line of a question set."""
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            questions.append(str(json.loads(line)["q"]))
    if not questions:
        raise ValueError(f"no questions in {path}")
    return questions


def server_timing_ms(header: str | None) -> float | None:
    """The server's own time from a Server-Timing header: the metric named total or
    app when there is one, else the longest duration listed."""
    if not header:
        return None
    named: dict[str, float] = {}
    for metric in header.split(","):
        name = metric.split(";", 1)[0].strip().lower()
        found = TIMING_DUR.search(metric)
        if found:
            named[name] = float(found.group(1))
    if not named:
        return None
    for preferred in ("total", "app"):
        if preferred in named:
            return named[preferred]
    return max(named.values())


def in_process_rate(
    database_url: str, questions: list[str], seconds: float, dense: str, seed: int = 1
) -> dict[str, Any]:
    """Questions per second of `answer_question` alone, in this process, one thread."""
    from auskunft.bootstrap import open_catalog
    from auskunft.search.service.engine import SearchEngine, answer_question

    previous = os.environ.get("AUSKUNFT_SEARCH_DENSE")
    os.environ["AUSKUNFT_SEARCH_DENSE"] = dense
    try:
        engine, _ = open_catalog(database_url)
        search = SearchEngine(engine)
        snap = search.snapshot()
        for q in questions:  # warm: the model loads on the first sentence
            answer_question(search, q=q, municipality=MUNICIPALITY, limit=RESULTS)
        rng = random.Random(seed)
        took: list[float] = []
        order: list[str] = []
        started = time.perf_counter()
        deadline = started + seconds
        while not took or time.perf_counter() < deadline:
            if not order:
                order = rng.sample(questions, len(questions))
            q = order.pop()
            t0 = time.perf_counter()
            answer_question(search, q=q, municipality=MUNICIPALITY, limit=RESULTS)
            took.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        sentences = sum(1 for q in questions if snap.index.is_sentence(q))
        dense_used = snap.vectors is not None
        engine.dispose()
    finally:
        if previous is None:
            os.environ.pop("AUSKUNFT_SEARCH_DENSE", None)
        else:
            os.environ["AUSKUNFT_SEARCH_DENSE"] = previous
    return {
        "n": len(took),
        "seconds": round(elapsed, 2),
        "questions_per_s": round(len(took) / elapsed, 1),
        **summary(took),
        "dense_in_use": dense_used,
        "sentence_like_questions": sentences,
        "questions_in_set": len(questions),
    }


async def log_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    """Log a client in through the login form, as a browser does (CSRF cookie and field)."""
    form = await client.get("/anmelden")
    form.raise_for_status()
    found = CSRF_FIELD.search(form.text)
    if found is None:
        raise RuntimeError("no CSRF field on /anmelden")
    answer = await client.post(
        "/anmelden",
        data={"username": username, "password": password, "csrf": found.group(1), "next": "/desk"},
    )
    if answer.status_code != 303 or "auskunft_session" not in client.cookies:
        raise RuntimeError(f"login failed: HTTP {answer.status_code}")


@dataclass
class Tally:
    """What one client saw while it counted."""

    latencies: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    empty: int = 0
    last_done: float = 0.0
    samples_of_errors: list[str] = field(default_factory=list)


async def search_loop(
    client: httpx.AsyncClient,
    questions: list[str],
    rng: random.Random,
    count_from: float,
    stop_at: float,
    tally: Tally,
    pause: float = 0.0,
) -> None:
    """Ask the questions in a shuffled order until stop_at, back to back or, with a
    `pause`, waiting 0.5 to 1.5 times that long after each answer (and up to one
    pause before the first question), so that the clients do not march in step.

    Only requests sent at or after count_from count; an error is a transport
    failure or any status but 200, and an answer without hits counts as empty.
    """
    order: list[str] = []
    headers = {"HX-Request": "true"}
    if pause:
        await asyncio.sleep(rng.uniform(0, pause))
    while time.perf_counter() < stop_at:
        if not order:
            order = rng.sample(questions, len(questions))
        q = order.pop()
        params = {"q": q, "gemeinde": MUNICIPALITY}
        t0 = time.perf_counter()
        try:
            answer = await client.get("/desk/treffer", params=params, headers=headers)
            status = str(answer.status_code)
            body = answer.text
        except httpx.HTTPError as exc:
            status, body, answer = type(exc).__name__, "", None
        done = time.perf_counter()
        if pause:
            await asyncio.sleep(pause * rng.uniform(0.5, 1.5))
        if t0 < count_from:
            continue
        tally.latencies.append((done - t0) * 1000)
        tally.last_done = max(tally.last_done, done)
        tally.statuses[status] += 1
        if status != "200":
            tally.errors += 1
            if len(tally.samples_of_errors) < 3:
                tally.samples_of_errors.append(f"{status} for {q!r}")
            continue
        if HIT_MARK not in body:
            tally.empty += 1
        if answer is not None:
            server = server_timing_ms(answer.headers.get("server-timing"))
            if server is not None:
                tally.server_ms.append(server)


def cpu_seconds_of_group(pgid: int) -> float | None:
    """User+system CPU seconds of every process in a process group (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    seen = False
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        # after the command: state, ppid, pgrp, ... utime is field 14, stime 15 (1-based)
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
            seen = True
    return total / tick if seen else None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def load(
    server: LiveServer,
    questions: list[str],
    clients: int,
    duration: float,
    warmup: float,
    pause: float = 0.0,
) -> dict[str, Any]:
    """Log the clients in, let them search concurrently, and sum up what they saw."""
    data = server.data
    assert data.username is not None and data.password is not None
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    timeout = httpx.Timeout(30.0)
    pool = [
        httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=timeout)
        for _ in range(clients)
    ]
    try:
        login_started = time.perf_counter()
        for client in pool:  # one after the other: Argon2 is slow on purpose
            await log_in(client, data.username, data.password)
        login_s = time.perf_counter() - login_started
        tallies = [Tally() for _ in pool]
        start = time.perf_counter()
        count_from = start + warmup
        stop_at = count_from + duration
        cpu_server_0: float | None = None
        cpu_client_0 = 0.0

        async def mark_window() -> None:
            nonlocal cpu_server_0, cpu_client_0
            await asyncio.sleep(max(0.0, count_from - time.perf_counter()))
            cpu_server_0 = cpu_seconds_of_group(server.pid)
            cpu_client_0 = own_cpu_seconds()

        marker = asyncio.create_task(mark_window())
        await asyncio.gather(
            *(
                search_loop(client, questions, random.Random(n), count_from, stop_at, tally, pause)
                for n, (client, tally) in enumerate(zip(pool, tallies, strict=True))
            )
        )
        await marker
        cpu_server_1 = cpu_seconds_of_group(server.pid)
        cpu_client = own_cpu_seconds() - cpu_client_0
    finally:
        for client in pool:
            await client.aclose()

    latencies = [x for t in tallies for x in t.latencies]
    window = max((t.last_done for t in tallies), default=count_from) - count_from
    statuses: Counter[str] = Counter()
    for t in tallies:
        statuses.update(t.statuses)
    server_ms = [x for t in tallies for x in t.server_ms]
    cpu_server = (
        cpu_server_1 - cpu_server_0
        if cpu_server_0 is not None and cpu_server_1 is not None
        else None
    )
    return {
        "sessions": "one per client",
        "login_s": round(login_s, 2),
        "n": len(latencies),
        "errors": sum(t.errors for t in tallies),
        "empty_answers": sum(t.empty for t in tallies),
        "statuses": dict(statuses),
        "error_examples": [e for t in tallies for e in t.samples_of_errors][:5],
        "window_s": round(window, 2),
        "requests_per_s": round(len(latencies) / window, 1) if window > 0 else 0.0,
        "client_latency": summary(latencies),
        "server_timing": summary(server_ms) if server_ms else None,
        "server_cpu_s": round(cpu_server, 2) if cpu_server is not None else None,
        "client_cpu_s": round(cpu_client, 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The whole benchmark; returns the figures that --json writes."""
    questions = load_questions(args.questions)
    out: dict[str, Any] = {
        "settings": {
            "clients": args.clients,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "workers": args.workers,
            "dense": args.dense,
            "pause_ms": args.pause,
            "questions": str(args.questions),
            "municipality": MUNICIPALITY,
        },
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
    }
    with demo_data(dense=args.dense, agent="bench-agent") as data:
        # Before the server starts, so that the two never compete for the CPU.
        out["in_process"] = in_process_rate(data.database_url, questions, args.inproc, args.dense)
        out["server"] = serve_and_load(data, questions, args)
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    rate = out["in_process"]["questions_per_s"]
    out["ratio_server_to_in_process"] = (
        round(out["server"]["requests_per_s"] / rate, 3) if rate else None
    )
    return out


def serve_and_load(data: DemoData, questions: list[str], args: argparse.Namespace) -> Any:
    with serving(data, workers=args.workers, port=args.port) as server:
        try:
            return asyncio.run(
                load(server, questions, args.clients, args.duration, args.warmup, args.pause / 1000)
            )
        except Exception:
            print("--- server stderr (end) ---", file=sys.stderr)
            print(server.server_log(), file=sys.stderr)
            raise


def report(out: dict[str, Any]) -> str:
    s, srv, inp = out["settings"], out["server"], out["in_process"]
    lat = srv["client_latency"]
    lines = [
        f"desk live search: {s['clients']} clients, {s['duration_s']:g} s after "
        f"{s['warmup_s']:g} s warm-up, "
        + (f"pauses of {s['pause_ms']:g} ms +-50 %, " if s["pause_ms"] else "back to back, ")
        + f"{s['workers']} worker(s), dense {s['dense']}, "
        f"{out['cpus']} CPUs (load average before {out['load_average_before'][0]}, "
        f"after {out['load_average_after'][0]})",
        f"  login of {s['clients']} sessions (one per client, one after the other): "
        f"{srv['login_s']} s",
        f"  HTTP  {srv['n']} requests, {srv['requests_per_s']:.1f} req/s, "
        f"errors {srv['errors']}, empty {srv['empty_answers']}, statuses {srv['statuses']}",
        f"        client-side latency p50 {lat['p50_ms']:.1f} / p95 {lat['p95_ms']:.1f} / "
        f"p99 {lat['p99_ms']:.1f} / max {lat['max_ms']:.1f} ms (mean {lat['mean_ms']:.1f})",
    ]
    if srv["server_timing"]:
        st = srv["server_timing"]
        lines.append(
            f"        Server-Timing p50 {st['p50_ms']:.1f} / p95 {st['p95_ms']:.1f} / "
            f"p99 {st['p99_ms']:.1f} ms"
        )
    else:
        lines.append("        (no Server-Timing header: latencies are client-side only)")
    lines.append(
        f"        CPU in the window: server {srv['server_cpu_s']} s, "
        f"client (this process) {srv['client_cpu_s']} s, of {srv['window_s']} s"
    )
    lines += [
        f"  in process (one thread, no server running): {inp['n']} questions, "
        f"{inp['questions_per_s']:.1f} q/s, p50 {inp['p50_ms']:.2f} / p95 {inp['p95_ms']:.2f} / "
        f"p99 {inp['p99_ms']:.2f} ms; dense in use: {inp['dense_in_use']} "
        f"({inp['sentence_like_questions']} of {inp['questions_in_set']} questions sentence-like)",
        f"  HTTP throughput / in-process rate: {out['ratio_server_to_in_process']}",
    ]
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--duration", type=float, default=20.0, help="counted seconds")
    p.add_argument("--warmup", type=float, default=5.0, help="seconds not counted")
    p.add_argument("--workers", type=int, default=1, help="auskunft serve --workers")
    p.add_argument("--port", type=int, default=0, help="0: a free one")
    p.add_argument("--dense", choices=["auto", "off"], default="auto")
    p.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="mean ms a client waits after each answer (0: none; jittered by +-50%%)",
    )
    p.add_argument("--inproc", type=float, default=5.0, help="seconds of in-process searches")
    p.add_argument("--questions", type=Path, default=SHARED / "eval" / "search_dev.jsonl")
    p.add_argument("--json", type=Path, default=None)
    return p


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parser().parse_args(argv)
    if args.clients < 1 or args.duration <= 0 or min(args.warmup, args.pause) < 0:
        parser().error("--clients >= 1, --duration > 0, --warmup >= 0, --pause >= 0")
    if args.inproc <= 0:
        parser().error("--inproc > 0")
    out = run(args)
    print(report(out))
    write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
