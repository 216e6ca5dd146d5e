"""Publish-to-searchable (issue 15): how long after a second editor approves a change the
changed service is found by the search of every web process.

Setup per store: a fresh demo database; two `auskunft serve` processes (two web workers,
each with its own search index, as `--workers 2` has) and `auskunft worker`. Twenty times:
an editor adds a new keyword to a service (PUT draft, submit) through web process 1, a
second editor approves it through web process 1; from the approval's answer on, both web
processes are asked `GET /api/v1/search?q=<keyword>` every 20 ms until the service is the
first hit. Reports the median and the maximum per process.

With `--scale N` the database gets N generated services beside the demo catalog
(bench/generate_catalog.py, the texts of the scale benchmark) and the dense signal is
off (no model embeds 100,000 services in a benchmark run). Then it also reports, measured
inside one process over the same database, how long a whole build of the search takes and
how long the update after one publication takes (the changed service laid over the built
index, `SearchIndex.updated`): the time of one publication at that size.

    .venv/bin/python bench/editorial_publish.py [--postgres URL] [--runs 20] [--scale N]
        [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import UTC, datetime
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
        answer = client.get("/api/v1/search", params={"q": word})
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        hits = answer.json()["results"]
        if hits and hits[0]["id"] == service:
            return time.perf_counter() - since
        if time.perf_counter() - since > DEADLINE_S:
            raise AssertionError(f"{word!r} not found in {DEADLINE_S} s")
        time.sleep(0.02)


EMPTY = ("prerequisites", "documents", "fees", "legal_basis", "questions", "forms", "links")


def _row(d: Any, now: datetime) -> dict[str, Any]:
    fields = d.fields
    return {
        "id": d.key,
        "participant_id": "stadt-kassel",
        "name": fields["name"],
        "name_en": fields.get("name_en", ""),
        "kind": "buergerbuero",
        "summary": fields.get("summary", ""),
        "summary_en": fields.get("summary_en", ""),
        "description": fields.get("body", ""),
        "keywords": [k for k in fields.get("keywords", "").split(" ; ") if k],
        **{name: [] for name in EMPTY},
        "processing_time": "",
        "deadlines": "",
        "source": "bench",
        "version": 1,
        "updated_at": now,
    }


def add_generated(url: str, n: int) -> None:
    """Insert n generated services (Kassel's, kind of the citizens' office) in one go."""
    from sqlalchemy import insert

    from auskunft.catalog import tables as t
    from auskunft.catalog.service import reads as catalog_reads
    from auskunft.core.db.engine import get_engine
    from auskunft.core.db.uow import UnitOfWork
    from bench.generate_catalog import generate

    shared = ROOT.parent / "shared"
    now = datetime.now(UTC)
    docs = generate(n, shared=shared if shared.exists() else None)
    with UnitOfWork(get_engine(url)) as uow:
        for start in range(0, len(docs), 5000):
            rows = [_row(d, now) for d in docs[start : start + 5000]]
            uow.session.execute(insert(t.Service), rows)
        catalog_reads.mark_changed(uow)
        uow.commit()


def in_process(url: str, runs: int) -> dict[str, Any]:
    """A whole build and the updates after single publications, timed in this process."""
    from auskunft.catalog.service import editing
    from auskunft.catalog.service import reads as catalog_reads
    from auskunft.core.db.engine import get_engine
    from auskunft.core.db.uow import UnitOfWork
    from auskunft.search.service.engine import SearchEngine

    engine = get_engine(url)
    search = SearchEngine(engine)
    t0 = time.perf_counter()
    size = search.snapshot().index.size
    whole = time.perf_counter() - t0
    publish_s: list[float] = []
    update_s: list[float] = []
    for run in range(runs):
        service = SERVICES[run % len(SERVICES)]
        t1 = time.perf_counter()
        with UnitOfWork(engine) as uow:
            row = catalog_reads.services_by_id(uow, [service])[service]
            record = editing.record_of(uow, row)
            record["keywords"] = [*record["keywords"], f"inprozess{run}wort"]
            editing.publish_record(
                uow, service, record, version=row.version + 1, author="a", reviewer="b"
            )
            uow.commit()
        publish_s.append(time.perf_counter() - t1)
        search.invalidate()
        t2 = time.perf_counter()
        snapshot = search.snapshot()
        update_s.append(time.perf_counter() - t2)
        assert snapshot.index.changed > 0, "the update rebuilt the whole index"
        hits = snapshot.index.search(f"inprozess{run}wort", limit=1)
        assert hits and hits[0][0] == service, hits
    return {
        "services": size,
        "whole_build_s": round(whole, 2),
        "publication_write_median_s": round(statistics.median(publish_s), 3),
        "update_median_s": round(statistics.median(update_s), 3),
        "update_max_s": round(max(update_s), 3),
        "runs": runs,
    }


def warm(client: httpx.Client) -> float:
    """The first question builds the process's index; return how long it took."""
    t0 = time.perf_counter()
    client.get("/api/v1/search", params={"q": "Personalausweis"}).raise_for_status()
    return time.perf_counter() - t0


def store_run(postgres: str | None, runs: int, scale: int = 0) -> dict[str, Any]:
    with demo_data(agent=None) as data:
        database = None
        if postgres:
            database, url = _new_pg_database(postgres)
            data.env["AUSKUNFT_DATABASE_URL"] = url
        extra: dict[str, Any] = {}
        try:
            _cli(["db", "init"], data.env)
            if scale:
                data.env["AUSKUNFT_SEARCH_DENSE"] = "off"
                os.environ["AUSKUNFT_SEARCH_DENSE"] = "off"
                url = data.env.get("AUSKUNFT_DATABASE_URL", data.database_url)
                add_generated(url, scale)
                extra["in_process"] = in_process(url, runs)
                print("in process", json.dumps(extra["in_process"]), flush=True)
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
                first = stack.enter_context(httpx.Client(base_url=one.base_url, timeout=600))
                second = stack.enter_context(httpx.Client(base_url=two.base_url, timeout=600))
                extra["first_question_s"] = [round(warm(first), 2), round(warm(second), 2)]
                took: dict[str, list[float]] = {"web_1": [], "web_2": []}
                try:
                    for run in range(runs):
                        service = SERVICES[run % len(SERVICES)]
                        word = f"publiktest{run}wort"
                        since = publish_once(first, author, reviewer, service, word)
                        took["web_1"].append(found_after(first, word, service, since))
                        took["web_2"].append(found_after(second, word, service, since))
                except AssertionError:
                    print(one.server_log(8000), file=sys.stderr)
                    raise
        finally:
            if postgres and database:
                _drop_pg_database(postgres, database)
    return {
        **{
            name: {
                "median_s": round(statistics.median(values), 3),
                "max_s": round(max(values), 3),
                "runs": len(values),
            }
            for name, values in took.items()
        },
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=None, help="server URL for the PostgreSQL run")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--scale", type=int, default=0, help="generated services to add")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for store, url in (("sqlite", None), ("postgresql", args.postgres)):
        if store == "postgresql" and not url:
            continue
        results[store] = store_run(url, args.runs, args.scale)
        print(store, json.dumps(results[store]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
