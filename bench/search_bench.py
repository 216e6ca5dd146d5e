"""Search benchmark: quality against plain BM25, in-process latency, and scale to 100,000 services.

    .venv/bin/python bench/search_bench.py [--dev FILE] [--holdout FILE] [--scale N]
                                           [--rounds R] [--json OUT]

Results go to stdout (and to --json); docs/benchmarks.md records them with the command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))

from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.catalog.repository import CatalogRepository  # noqa: E402
from auskunft.core.db.uow import UnitOfWork  # noqa: E402
from auskunft.search.service.engine import SearchEngine, answer_question, service_documents  # noqa: E402
from auskunft.search.service.evaluation import evaluate, percentile, read_cases  # noqa: E402
from bench.baseline import PlainBM25  # noqa: E402
from bench.report import write_json  # noqa: E402


def ask(search: SearchEngine) -> Any:
    """An answer function for `evaluate` over one search engine."""
    return lambda c: answer_question(
        search, q=c.q, municipality=c.municipality, participant=c.participant
    )


def quality(engine: SearchEngine, lexical: SearchEngine, dev: Path) -> dict[str, Any]:
    cases = read_cases(dev)
    engine.snapshot()
    lexical.snapshot()
    ours = evaluate(cases, ask(engine)).as_dict()
    ours_lex = evaluate(cases, ask(lexical)).as_dict()
    with UnitOfWork(engine.engine) as uow:
        topics = {x.id: f"{x.name} {x.name_en}" for x in uow.repo(CatalogRepository).topics()}
        docs = service_documents(uow.repo(CatalogRepository).services(), topics)
    keys = [d.key for d in docs]
    full = PlainBM25(keys, [" ".join(d.fields.values()) for d in docs])
    names = PlainBM25(keys, [d.fields["name"] for d in docs])
    snap = engine.snapshot()

    def plain(index: PlainBM25) -> dict[str, Any]:
        def answer(c: Any) -> dict[str, Any]:
            q, m = c.q, c.municipality
            t0 = time.perf_counter()
            hits = index.search(q, 10)
            took = (time.perf_counter() - t0) * 1000
            results = []
            for key, score in hits:
                auth = snap.jurisdiction.responsible(snap.services[key].kind, m or "kassel")
                results.append(
                    {"id": key, "score": score, "authority": {"id": auth.id} if auth else None}
                )
            return {"results": results, "took_ms": took}

        return evaluate(cases, answer).as_dict()

    return {
        "auskunft": ours,
        "auskunft_lexical_only": ours_lex,
        "bm25_full_texts": plain(full),
        "bm25_names": plain(names),
    }


def import_munich(engine: Any) -> float:
    """Import the Munich DLDB export as it is and compute its dense vectors (unless the
    dense signal is off); return the seconds the vectors took."""
    from auskunft.catalog.service.dldb_import import import_dldb
    from auskunft.search.service.embeddings import embed_missing

    data = SHARED / "data" / "munich-sadb"
    with UnitOfWork(engine) as uow:
        import_dldb(
            uow,
            services_file=data / "services_de.json",
            participant="muenchen",
            locations_file=data / "locations_de.json",
        )
        uow.commit()
        t0 = time.perf_counter()
        if os.environ.get("AUSKUNFT_SEARCH_DENSE") != "off":
            embed_missing(uow)
        return time.perf_counter() - t0


def munich_quality(engine: Any, questions: Path) -> dict[str, Any]:
    """Import the Munich DLDB export (with dense vectors) and evaluate questions about it."""
    embed_s = import_munich(engine)
    search = SearchEngine(engine)
    os.environ["AUSKUNFT_SEARCH_DENSE"] = "off"
    lexical = SearchEngine(engine)
    lexical.snapshot()
    del os.environ["AUSKUNFT_SEARCH_DENSE"]
    cases = read_cases(questions)

    with UnitOfWork(engine) as uow:
        rows = list(uow.repo(CatalogRepository).services("muenchen"))
        keys = [r.id for r in rows]
        texts = [f"{r.name} {r.description}" for r in rows]
    plain_index = PlainBM25(keys, texts)

    def plain(c: Any) -> dict[str, Any]:
        hits = plain_index.search(c.q, 10)
        return {"results": [{"id": k, "score": v, "authority": None} for k, v in hits],
                "took_ms": 0.0}  # fmt: skip

    return {
        "embed_s": round(embed_s, 1),
        "auskunft": evaluate(cases, ask(search)).as_dict(),
        "auskunft_lexical_only": evaluate(cases, ask(lexical)).as_dict(),
        "bm25_full_texts": evaluate(cases, plain).as_dict(),
    }


def latency(engine: SearchEngine, dev: Path, rounds: int) -> dict[str, Any]:
    """Time whole questions (analysis, ranking, jurisdiction) in process, by question style."""
    cases = read_cases(dev)
    snap = engine.snapshot()
    took: dict[str, list[float]] = {"all": [], "keywords": [], "sentences": []}
    round_p95: list[float] = []
    for _ in range(rounds):
        this: list[float] = []
        for c in cases:
            t0 = time.perf_counter()
            answer_question(engine, q=c.q, municipality=c.municipality)
            ms = (time.perf_counter() - t0) * 1000
            this.append(ms)
            took["sentences" if snap.index.is_sentence(c.q) else "keywords"].append(ms)
        took["all"].extend(this)
        round_p95.append(percentile(this, 95))
    out: dict[str, Any] = {}
    for style, values in took.items():
        out[style] = {
            "n": len(values),
            "p50_ms": round(percentile(values, 50), 3),
            "p95_ms": round(percentile(values, 95), 3),
            "p99_ms": round(percentile(values, 99), 3),
        }
    out["all"]["median_of_round_p95_ms"] = round(statistics.median(round_p95), 3)
    return out


def scale_child(n: int, dev: Path, rounds: int) -> dict[str, Any]:
    """Run in a fresh process so that peak memory belongs to this measurement alone."""
    from auskunft.search.model.index import SearchIndex
    from bench.generate_catalog import generate

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    docs = generate(n, shared=SHARED if SHARED.exists() else None)
    chars = sum(len(v) for d in docs for v in d.fields.values()) / max(n, 1)
    rss_docs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    index = SearchIndex(docs)
    build = time.perf_counter() - t0
    rss_built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    del docs
    cases = read_cases(dev)
    took: list[float] = []
    for _ in range(rounds):
        for c in cases:
            t1 = time.perf_counter()
            index.search(c.q, limit=10)
            took.append((time.perf_counter() - t1) * 1000)
    return {
        "services": n,
        "avg_chars_per_service": round(chars),
        "build_s": round(build, 2),
        "peak_rss_mb": round(rss_built / 1024, 1),
        "rss_before_build_mb": round(rss_docs / 1024, 1),
        "rss_at_start_mb": round(rss0 / 1024, 1),
        "terms": len(index._term_ids),
        "p50_ms": round(percentile(took, 50), 3),
        "p95_ms": round(percentile(took, 95), 3),
        "p99_ms": round(percentile(took, 99), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=SHARED / "eval" / "search_dev.jsonl")
    parser.add_argument(
        "--holdout", type=Path, default=ROOT / "bench" / "data" / "search_holdout.jsonl"
    )
    parser.add_argument(
        "--final", type=Path, default=ROOT / "bench" / "data" / "search_final.jsonl"
    )
    for extra in ("final2", "final3", "final4", "final5"):
        parser.add_argument(
            f"--{extra}", type=Path, default=ROOT / "bench" / "data" / f"search_{extra}.jsonl"
        )
    parser.add_argument(
        "--munich",
        type=Path,
        default=ROOT / "bench" / "data" / "search_muenchen.jsonl",
        help="questions about the Munich export (a missing file skips its import)",
    )
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--scale-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scale_child:
        print(json.dumps(scale_child(args.scale, args.dev, args.rounds)))
        return

    out: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = open_catalog(f"sqlite:///{tmp}/bench.sqlite3")
        search = SearchEngine(engine)
        t0 = time.perf_counter()
        search.snapshot()
        out["demo_index_build_s"] = round(time.perf_counter() - t0, 3)
        out["dense_available"] = search.snapshot().vectors is not None
        os.environ["AUSKUNFT_SEARCH_DENSE"] = "off"
        lexical = SearchEngine(engine)
        lexical.snapshot()
        del os.environ["AUSKUNFT_SEARCH_DENSE"]
        out["quality"] = {"dev": quality(search, lexical, args.dev)}
        for name in ("holdout", "final", "final2", "final3", "final4", "final5"):
            path = getattr(args, name)
            if path.exists():
                out["quality"][name] = quality(search, lexical, path)
        out["latency_demo"] = latency(search, args.dev, args.rounds)
        out["latency_demo_lexical_only"] = latency(lexical, args.dev, args.rounds)
        if args.final.exists():
            # Questions of citizens rather than agents: many more sentences.
            out["latency_demo_final_set"] = latency(search, args.final, args.rounds)
        # Last: it adds the Munich services to the catalog.
        munich = args.munich
        if munich.exists() and (SHARED / "data" / "munich-sadb").exists():
            out["quality"]["muenchen"] = munich_quality(engine, munich)
        engine.dispose()
    if args.scale:
        child = subprocess.run(
            [sys.executable, __file__, "--scale-child", "--scale", str(args.scale),
             "--dev", str(args.dev), "--rounds", str(args.rounds)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        out["scale"] = json.loads(child.stdout)

    for set_name, q in out["quality"].items():
        print(f"{set_name}: {q['auskunft']['n']} questions")
        print(f"  {'engine':<22}{'top-1':>8}{'top-3':>8}{'MRR':>8}{'routing':>9}")
        for name, r in q.items():
            if not isinstance(r, dict):
                continue
            routing = "-" if r["routing"] is None else f"{r['routing']:.3f}"
            print(f"  {name:<22}{r['top1']:>8.3f}{r['top3']:>8.3f}{r['mrr']:>8.3f}{routing:>9}")
        base = q["bm25_full_texts"]["top1"] or 1e-9
        print(f"  top-1 ratio to plain BM25 on the same texts: x{q['auskunft']['top1'] / base:.2f}")
    print("latency demo catalog, hybrid:", json.dumps(out["latency_demo"]))
    print("latency demo catalog, lexical only:", json.dumps(out["latency_demo_lexical_only"]))
    if "latency_demo_final_set" in out:
        print("latency demo catalog, final set:", json.dumps(out["latency_demo_final_set"]))
    if "scale" in out:
        print("scale:", json.dumps(out["scale"]))
    write_json(args.json, out)


if __name__ == "__main__":
    main()
