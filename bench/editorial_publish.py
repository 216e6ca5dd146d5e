"""Publish-to-searchable (issue 15): how long after a second editor approves a change the
changed service is found by the search of every web process.

Setup per store: a fresh demo database; two `auskunft serve` processes (two web workers,
each with its own search index, as `--workers 2` has) and `auskunft worker`. Twenty times:
an editor adds a new keyword to a service (PUT draft, submit) through web process 1, a
second editor approves it through web process 1; from the approval's answer on, both web
processes are asked `GET /api/v1/search?q=<keyword>` every 20 ms until the service is the
first hit. Reports the median and the maximum per process.

    .venv/bin/python bench/editorial_publish.py [--postgres URL] [--runs 20] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _drop_pg_database, _new_pg_database  # noqa: E402

from bench.live_server import _cli, auskunft_command, demo_data, serving, stop  # noqa: E402

SERVICES = ["personalausweis-beantragen", "reisepass-beantragen", "wohnsitz-anmelden",
            "fuehrungszeugnis", "hundesteuer-anmelden", "bewohnerparkausweis",
            "gewerbe-anmelden", "sperrmuell", "kindergeld", "wohngeld"]  # fmt: skip
TOKEN_LINE = re.compile(r"^(ak_\S+)\s*$", re.MULTILINE)
DEADLINE_S = 30.0


def token_for(env: dict[str, str], user: str) -> str:
    _cli(["user", "create", user, "--role", "editor", "--generate"], env)
    out = _cli(["token", "create", f"{user}-bench", "--user", user], env)
    found = TOKEN_LINE.search(out)
    assert found is not None, out
    return found.group(1)


def publish_once(first: httpx.Client, author: str, reviewer: str, service: str, word: str) -> float:
    """Add `word` as keyword and publish; return the moment the approval was answered."""
    mine = {"Authorization": f"Bearer {author}"}
    record = first.get(f"/api/v1/services/{service}/draft", headers=mine).json()
    record["keywords"] = [*record["keywords"], word]
    saved = first.put(f"/api/v1/services/{service}/draft", json=record, headers=mine)
    assert saved.status_code == 200, saved.text
    first.post(f"/api/v1/services/{service}/draft/submit", headers=mine)
    approved = first.post(
        f"/api/v1/services/{service}/draft/approve",
        headers={"Authorization": f"Bearer {reviewer}"},
    )
    assert approved.status_code == 200, approved.text
    return time.perf_counter()


def found_after(client: httpx.Client, word: str, service: str, since: float) -> float:
    while True:
        hits = client.get("/api/v1/search", params={"q": word}).json()["results"]
        if hits and hits[0]["id"] == service:
            return time.perf_counter() - since
        if time.perf_counter() - since > DEADLINE_S:
            raise AssertionError(f"{word!r} not found in {DEADLINE_S} s")
        time.sleep(0.02)


def store_run(postgres: str | None, runs: int) -> dict[str, Any]:
    with demo_data(agent=None) as data:
        database = None
        if postgres:
            database, url = _new_pg_database(postgres)
            data.env["AUSKUNFT_DATABASE_URL"] = url
        try:
            _cli(["db", "init"], data.env)
            author, reviewer = token_for(data.env, "bench-anna"), token_for(data.env, "bench-ben")
            with ExitStack() as stack:
                one = stack.enter_context(serving(data))
                two = stack.enter_context(serving(data))
                worker = subprocess.Popen(
                    [*auskunft_command(), "worker"],
                    env=data.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
                stack.callback(stop, worker)
                first = stack.enter_context(httpx.Client(base_url=one.base_url, timeout=30))
                second = stack.enter_context(httpx.Client(base_url=two.base_url, timeout=30))
                took: dict[str, list[float]] = {"web_1": [], "web_2": []}
                for run in range(runs):
                    service = SERVICES[run % len(SERVICES)]
                    word = f"publiktest{run}wort"
                    since = publish_once(first, author, reviewer, service, word)
                    took["web_1"].append(found_after(first, word, service, since))
                    took["web_2"].append(found_after(second, word, service, since))
        finally:
            if postgres and database:
                _drop_pg_database(postgres, database)
    return {
        name: {
            "median_s": round(statistics.median(values), 3),
            "max_s": round(max(values), 3),
            "runs": len(values),
        }
        for name, values in took.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=None, help="server URL for the PostgreSQL run")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for store, url in (("sqlite", None), ("postgresql", args.postgres)):
        if store == "postgresql" and not url:
            continue
        results[store] = store_run(url, args.runs)
        print(store, json.dumps(results[store]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
