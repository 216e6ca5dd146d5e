"""The desk under a flood of wrong logins (issue 13), and whether a login's time tells a
known user name from an unknown one.

    .venv/bin/python bench/login_flood.py [--flooders 40] [--duration 20] [--warmup 3]
                                          [--throttle off|on] [--json bench/out/login_flood.json]

A fresh demo data directory (`auskunft db init`) with an agent, `auskunft serve` on
loopback (one process, the product's defaults otherwise). One agent searches at the
desk back to back (`GET /desk/treffer`, the development questions in turn), first alone
for `--duration` seconds (the baseline), then while `--flooders` clients post wrong
logins as fast as the server answers them, each with its own connection and a new user
name every time (every second one `demo-supervisor`, which has an account).

Reported: the desk search's p50 and p95 in both phases and their ratio (target: p95
under the flood at most 2 x alone); the server's memory (RSS of its process group, idle
and the highest seen during the flood; target at most idle + 300 MiB); what the flood
got (status counts, wrong passwords checked per second).

`--throttle off` (the default) sets AUSKUNFT_LOGIN_MAX_FAILURES=100 and
AUSKUNFT_LOGIN_CLIENT_MAX_FAILURES=10000, so no flood request is turned away before its
password is checked: the worst case, as from many addresses at once, where only the
bound on Argon2 work protects the desk. `--throttle on` keeps the defaults (the flood,
from one address, is refused after 30 failures).

Between the phases, the time of a wrong login for a name that has an account
(`demo-clerk`) and for one that has not, one at a time (`--probes` each, alternating),
median and ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from bench.desk_load import load_questions, log_in  # noqa: E402
from bench.live_server import demo_data, serving  # noqa: E402
from bench.report import summary, write_json  # noqa: E402

CSRF_FIELD = re.compile(r'<input[^>]*name="csrf"[^>]*value="([^"]+)"')


def rss_of_group(pgid: int) -> int:
    """Resident memory of every process in a process group, in bytes (Linux /proc)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat[stat.rindex(")") + 2 :].split()[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except (OSError, ValueError):
            continue
    return total


async def desk_searches(
    client: httpx.AsyncClient, questions: list[str], until: float, counted_from: float
) -> list[float]:
    """Search back to back until `until`; the latencies (ms) of those started after
    `counted_from`."""
    latencies: list[float] = []
    n = 0
    while time.monotonic() < until:
        q = questions[n % len(questions)]
        n += 1
        started = time.monotonic()
        answer = await client.get(
            "/desk/treffer", params={"q": q, "gemeinde": "kassel"}, headers={"HX-Request": "true"}
        )
        if answer.status_code != 200:
            raise RuntimeError(f"desk search answered {answer.status_code}")
        if started >= counted_from:
            latencies.append((time.monotonic() - started) * 1000)
    return latencies


async def flood_loop(
    base_url: str, number: int, known: str, until: float, tally: Counter[str]
) -> None:
    """Post wrong logins back to back, a new name each time (every second one known)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        form = await client.get("/anmelden")
        found = CSRF_FIELD.search(form.text)
        if found is None:
            raise RuntimeError("no CSRF field on /anmelden")
        n = 0
        while time.monotonic() < until:
            name = known if n % 2 == 0 else f"flood-{number}-{n}"
            n += 1
            answer = await client.post(
                "/anmelden",
                data={"username": name, "password": f"wrong-{n}", "csrf": found.group(1)},
            )
            tally[str(answer.status_code)] += 1


async def sample_memory(pgid: int, until: float, peaks: list[int]) -> None:
    while time.monotonic() < until:
        peaks.append(rss_of_group(pgid))
        await asyncio.sleep(0.2)


async def timing_probe(base_url: str, known: str, probes: int) -> dict[str, list[float]]:
    """A wrong login at a time, alternating a known and an unknown name (ms each)."""
    out: dict[str, list[float]] = {"known": [], "unknown": []}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        form = await client.get("/anmelden")
        found = CSRF_FIELD.search(form.text)
        assert found is not None
        for n in range(probes * 2):
            kind = "known" if n % 2 == 0 else "unknown"
            name = known if kind == "known" else f"niemand-{n}"
            started = time.monotonic()
            answer = await client.post(
                "/anmelden",
                data={"username": name, "password": f"falsch-{n}", "csrf": found.group(1)},
            )
            if answer.status_code != 401:
                raise RuntimeError(f"a wrong login answered {answer.status_code}")
            out[kind].append((time.monotonic() - started) * 1000)
    return out


async def run_phases(
    args: argparse.Namespace, base_url: str, pgid: int, data: Any
) -> dict[str, Any]:
    questions = load_questions(SHARED / "eval" / "search_dev.jsonl")
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as agent:
        await log_in(agent, data.username, data.password)
        await desk_searches(agent, questions, time.monotonic() + 2, float("inf"))  # warm
        idle_rss = rss_of_group(pgid)
        start = time.monotonic()
        alone = await desk_searches(
            agent, questions, start + args.warmup + args.duration, start + args.warmup
        )
        # Before the flood: the flood's failures would make every login from this address
        # bring a proof of work, which is refused before any password is checked.
        probe = await timing_probe(base_url, "demo-clerk", args.probes)
        tally: Counter[str] = Counter()
        peaks: list[int] = []
        start = time.monotonic()
        until = start + args.warmup + args.duration
        flood = [
            asyncio.create_task(flood_loop(base_url, n, "demo-supervisor", until, tally))
            for n in range(args.flooders)
        ]
        memory = asyncio.create_task(sample_memory(pgid, until, peaks))
        loaded = await desk_searches(agent, questions, until, start + args.warmup)
        await asyncio.gather(*flood, memory)
        flood_seconds = time.monotonic() - start
    a, b = summary(alone), summary(loaded)
    known_ms = statistics.median(probe["known"])
    unknown_ms = statistics.median(probe["unknown"])
    return {
        "desk_alone": a,
        "desk_under_flood": b,
        "p95_ratio": round(b["p95_ms"] / a["p95_ms"], 2) if a["p95_ms"] else None,
        "idle_rss_mib": round(idle_rss / 2**20, 1),
        "peak_rss_mib": round(max(peaks, default=0) / 2**20, 1),
        "rss_growth_mib": round((max(peaks, default=0) - idle_rss) / 2**20, 1),
        "flood_statuses": dict(tally),
        "flood_requests_per_s": round(sum(tally.values()) / flood_seconds, 1),
        "passwords_checked_per_s": round(tally.get("401", 0) / flood_seconds, 1),
        "wrong_login_ms": {
            "known_median": round(known_ms, 1),
            "unknown_median": round(unknown_ms, 1),
            "ratio": round(known_ms / unknown_ms, 3),
            "known_p10_p90": [round(x, 1) for x in statistics.quantiles(probe["known"], n=10)[::8]],
            "unknown_p10_p90": [
                round(x, 1) for x in statistics.quantiles(probe["unknown"], n=10)[::8]
            ],
        },
    }


def report(out: dict[str, Any]) -> str:
    a, b = out["desk_alone"], out["desk_under_flood"]
    t = out["wrong_login_ms"]
    met_p95 = "met" if out["p95_ratio"] is not None and out["p95_ratio"] <= 2 else "MISSED"
    met_mem = "met" if out["rss_growth_mib"] <= 300 else "MISSED"
    return "\n".join(
        [
            f"{out['machine']}; throttle {out['throttle']}, {out['flooders']} flooders, "
            f"{out['duration']} s per phase",
            f"  desk search alone        n={a['n']:<5} "
            f"p50 {a['p50_ms']:7.1f} ms  p95 {a['p95_ms']:7.1f} ms",
            f"  desk search under flood  n={b['n']:<5} "
            f"p50 {b['p50_ms']:7.1f} ms  p95 {b['p95_ms']:7.1f} ms",
            f"  p95 ratio {out['p95_ratio']} (target <= 2) {met_p95}",
            f"  server memory idle {out['idle_rss_mib']} MiB, peak {out['peak_rss_mib']} MiB, "
            f"growth {out['rss_growth_mib']} MiB (target <= 300) {met_mem}",
            f"  flood: {out['flood_requests_per_s']} requests/s, {out['passwords_checked_per_s']} "
            f"wrong passwords/s, statuses {out['flood_statuses']}",
            f"  wrong login, known name {t['known_median']} ms, unknown {t['unknown_median']} ms "
            f"(ratio {t['ratio']}; p10/p90 {t['known_p10_p90']} vs {t['unknown_p10_p90']})",
        ]
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--flooders", type=int, default=40)
    p.add_argument("--duration", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--probes", type=int, default=40)
    p.add_argument("--throttle", choices=("on", "off"), default="off")
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    with demo_data() as data:
        if args.throttle == "off":
            data.env["AUSKUNFT_LOGIN_MAX_FAILURES"] = "100"
            data.env["AUSKUNFT_LOGIN_CLIENT_MAX_FAILURES"] = "10000"
        data.env["AUSKUNFT_RATE_LIMITS"] = "off"
        with serving(data) as server:
            out = asyncio.run(run_phases(args, server.base_url, server.pid, data))
    out.update(
        {
            "machine": f"nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}",
            "throttle": args.throttle,
            "flooders": args.flooders,
            "duration": args.duration,
            "command": "bench/login_flood.py " + " ".join(argv or sys.argv[1:]),
        }
    )
    print(report(out))
    write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
