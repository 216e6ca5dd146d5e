"""Search on a catalog we did not write (issue 15): the Munich DLDB export imported as it
is (no keywords, no typical questions), asked short queries as callers type them.

Reports, for each question set, top-1, top-3, MRR and the share of queries without any
result, for: auskunft (lexical + dense), auskunft lexical only, and plain BM25 over the
services' names and descriptions (the baseline of the issue), all in the same run.

    .venv/bin/python bench/search_muenchen_short.py [--set FILE ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.catalog.repository import CatalogRepository  # noqa: E402
from auskunft.core.db.uow import UnitOfWork  # noqa: E402
from auskunft.search.service.engine import SearchEngine, answer_question  # noqa: E402
from auskunft.search.service.evaluation import evaluate, read_cases  # noqa: E402
from bench.baseline import PlainBM25  # noqa: E402
from bench.search_bench import import_munich  # noqa: E402

SHARED = ROOT.parent / "shared"
SETS = [ROOT / "bench" / "data" / "search_muenchen_short.jsonl"]


def measured(cases: list[Any], answer: Any) -> dict[str, Any]:
    """evaluate() plus the share of queries that got no result at all."""
    empty = 0

    def counting(case: Any) -> dict[str, Any]:
        nonlocal empty
        result = answer(case)
        empty += not result["results"]
        return dict(result)

    report = evaluate(cases, counting).as_dict()
    report["no_result"] = round(empty / max(report["n"], 1), 4)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--set", type=Path, action="append", default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--misses", action="store_true", help="print the misses of auskunft")
    args = parser.parse_args()
    sets = args.set or SETS
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = open_catalog(f"sqlite:///{tmp}/bench.sqlite3")
        out["embed_s"] = round(import_munich(engine), 1)
        search = SearchEngine(engine)
        search.snapshot()
        os.environ["AUSKUNFT_SEARCH_DENSE"] = "off"
        lexical = SearchEngine(engine)
        lexical.snapshot()
        del os.environ["AUSKUNFT_SEARCH_DENSE"]
        with UnitOfWork(engine) as uow:
            rows = [
                (r.id, f"{r.name} {r.description}")
                for r in uow.repo(CatalogRepository).services("muenchen")
            ]
        plain_index = PlainBM25([k for k, _ in rows], [text for _, text in rows])

        def plain(c: Any) -> dict[str, Any]:
            hits = plain_index.search(c.q, 10)
            return {"results": [{"id": k} for k, _ in hits], "took_ms": 0.0}

        def ask(engine_: SearchEngine) -> Any:
            return lambda c: answer_question(engine_, q=c.q, participant=c.participant)

        for path in sets:
            cases = read_cases(path)
            out[path.name] = {
                "auskunft": measured(cases, ask(search)),
                "auskunft_lexical_only": measured(cases, ask(lexical)),
                "bm25_names_descriptions": measured(cases, plain),
            }
        engine.dispose()
    for name, result in out.items():
        if name == "embed_s":
            continue
        print(f"{name}: {result['auskunft']['n']} queries")
        print(f"  {'engine':<26}{'top-1':>8}{'top-3':>8}{'MRR':>8}{'no result':>11}")
        for engine_name, r in result.items():
            print(
                f"  {engine_name:<26}{r['top1']:>8.3f}{r['top3']:>8.3f}{r['mrr']:>8.3f}"
                f"{r['no_result']:>11.3f}"
            )
        if args.misses:
            for miss in result["auskunft"]["misses"]:
                print("   miss:", json.dumps(miss, ensure_ascii=False))
    if args.json:
        for result in out.values():
            if isinstance(result, dict):
                for r in result.values():
                    r.pop("misses", None)
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
