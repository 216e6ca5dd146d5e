"""What the content-gap loop costs the portal's search (issue 15): every settled question
of a visitor (`/suche` as a whole page, `/suche/bekannt` once typing pauses) writes a row
and commits. Measured in one process through the app (Starlette's test client, no network)
on SQLite and (with --postgres) PostgreSQL: the same questions with the write, and with
the write left out (`tell_searched` replaced by nothing), alternating, in the same run.

    .venv/bin/python bench/portal_gap_write.py [--postgres URL] [--rounds 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from tests.conftest import _drop_pg_database, _new_pg_database  # noqa: E402

from auskunft.app import create_app  # noqa: E402
from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.core.config import Settings  # noqa: E402
from auskunft.portal.web import pages  # noqa: E402
from auskunft.search.service.evaluation import read_cases  # noqa: E402

DEV = ROOT.parent / "shared" / "eval" / "search_dev.jsonl"
PATHS = ("/suche", "/suche/bekannt")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(url: str, rounds: int) -> dict[str, Any]:
    open_catalog(url)
    questions = [c.q for c in read_cases(DEV)]
    real = pages.tell_searched
    took: dict[str, list[float]] = {f"{p} {m}": [] for p in PATHS for m in ("write", "none")}
    with TestClient(create_app(Settings(database_url=url))) as client:
        client.get("/suche", params={"q": "Personalausweis"})  # builds the index
        for number in range(rounds):
            for q in questions:
                for mode in ("write", "none") if number % 2 == 0 else ("none", "write"):
                    pages.tell_searched = real if mode == "write" else (lambda *a, **k: None)
                    for path in PATHS:
                        t0 = time.perf_counter()
                        answer = client.get(path, params={"q": f"{q} {number}"})
                        took[f"{path} {mode}"].append((time.perf_counter() - t0) * 1000)
                        assert answer.status_code in (200, 422), answer.status_code
    pages.tell_searched = real
    return {
        name: {
            "median_ms": round(statistics.median(values), 2),
            "p95_ms": round(percentile(values, 0.95), 2),
            "n": len(values),
        }
        for name, values in took.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out["sqlite"] = run(f"sqlite:///{tmp}/bench.sqlite3", args.rounds)
        print("sqlite", json.dumps(out["sqlite"]), flush=True)
    if args.postgres:
        name, url = _new_pg_database(args.postgres)
        try:
            out["postgresql"] = run(url, args.rounds)
            print("postgresql", json.dumps(out["postgresql"]), flush=True)
        finally:
            _drop_pg_database(args.postgres, name)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
