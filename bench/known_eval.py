"""Does the search know when it has no good answer? `known` on in- and out-of-catalog sets.

    .venv/bin/python bench/known_eval.py                       # the development sets
    .venv/bin/python bench/known_eval.py --sets heldout        # the held-out sets, once
    .venv/bin/python bench/known_eval.py --sets dev,heldout --fit   # fit the model (seen sets)
    .venv/bin/python bench/known_eval.py --misses              # list what went wrong

Sets are JSON lines in bench/data: known_<name>_in.jsonl ({"q", "expect": [ids]}, questions
the catalog answers) and known_<name>_out.jsonl ({"q"}, questions it does not). Figures:
the share of in-catalog questions answered `known: true` (target >= 95 %), of those also
with a right service first, and the share of out-of-catalog questions answered `known:
false` (target >= 80 %). The demo catalog, dense signal as the product runs it.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.search.model import known as rule  # noqa: E402
from auskunft.search.model.index import Evidence  # noqa: E402
from auskunft.search.model.known import Meaning  # noqa: E402
from auskunft.search.service.engine import SearchEngine, explain  # noqa: E402
from bench.report import write_json  # noqa: E402

DATA = ROOT / "bench" / "data"
Row = tuple[dict[str, Any], list[str], Evidence, Meaning | None]


def read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def observe(engine: SearchEngine, cases: list[dict[str, Any]]) -> list[Row]:
    out = []
    for case in cases:
        ids, evidence, meaning = explain(engine, case["q"])
        out.append((case, ids, evidence, meaning))
    return out


def rates(inside: list[Row], outside: list[Row]) -> dict[str, Any]:
    said_in = [bool(ids) and rule.is_known(ev, c) for _, ids, ev, c in inside]
    right = [bool(ids) and ids[0] in case["expect"] for case, ids, _, _ in inside]
    said_out = [bool(ids) and rule.is_known(ev, c) for _, ids, ev, c in outside]
    n_in, n_out = len(inside), len(outside)
    return {
        "in_catalog": n_in,
        "known_true_in_catalog": round(sum(said_in) / n_in, 3) if n_in else None,
        "known_and_right_first": round(
            sum(a and b for a, b in zip(said_in, right, strict=True)) / n_in, 3
        )
        if n_in
        else None,
        "right_first": round(sum(right) / n_in, 3) if n_in else None,
        "out_of_catalog": n_out,
        "known_false_out_of_catalog": round(1 - sum(said_out) / n_out, 3) if n_out else None,
    }


def misses(inside: list[Row], outside: list[Row]) -> list[str]:
    lines = []
    for case, ids, ev, c in inside:
        if not (ids and rule.is_known(ev, c)):
            lines.append(f"in  said unknown: {case['q']!r} -> {ids[:1]} {_features(ev, c)}")
    for case, ids, ev, c in outside:
        if ids and rule.is_known(ev, c):
            lines.append(f"out said known:   {case['q']!r} -> {ids[:1]} {_features(ev, c)}")
    return lines


def _features(ev: Evidence, meaning: Meaning | None) -> str:
    share = ev.covered / ev.words if ev.words else 0.0
    extra = ""
    if meaning is not None:
        extra = (
            f" close={meaning.closeness:.3f} nearest={meaning.nearest:.3f}"
            f" z={meaning.standout:.2f} p={rule.probability(ev, meaning):.2f}"
        )
    return f"(words={ev.words} unknown={ev.unknown} covered={share:.2f} fit={ev.fit:.2f}{extra})"


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Weights (bias first) of an L2-regularised logistic regression, by Newton's method."""
    x = np.c_[np.ones(len(x)), x]
    w = np.zeros(x.shape[1])
    ridge = l2 * np.diag(np.r_[0.0, np.ones(x.shape[1] - 1)])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + ridge @ w
        hessian = (x.T * (p * (1 - p))) @ x + ridge
        w -= np.linalg.solve(hessian, gradient)
    return w


def fit(inside: list[Row], outside: list[Row], keep: float = 0.96) -> dict[str, Any]:
    """Fit the logistic model on questions with a hit and a meaning; report 5-fold
    cross-validated rates, then fit on all and set the threshold that keeps `keep` of the
    in-catalog questions known."""
    rows = [(r, 1.0) for r in inside] + [(r, 0.0) for r in outside]
    usable = [(r, y) for r, y in rows if r[1] and r[3] is not None and r[2].words]
    x = np.array([rule.features(r[2], r[3]) for r, _ in usable])
    y = np.array([label for _, label in usable])
    means, scales = x.mean(0), x.std(0) + 1e-9
    z = (x - means) / scales
    order = list(range(len(usable)))
    random.Random(7).shuffle(order)
    scores = np.zeros(len(usable))
    for fold in range(5):
        test = order[fold::5]
        train = sorted(set(order) - set(test))
        w = _logistic(z[train], y[train])
        scores[test] = 1 / (1 + np.exp(-(np.c_[np.ones(len(test)), z[test]] @ w)))
    inside_scores = np.sort(scores[y == 1])
    cut = inside_scores[int((1 - keep) * len(inside_scores))]
    cv = {
        "cv_known_true_in_catalog": round(float((scores[y == 1] >= cut).mean()), 3),
        "cv_known_false_out_of_catalog": round(float((scores[y == 0] < cut).mean()), 3),
    }
    w = _logistic(z, y)
    fitted = 1 / (1 + np.exp(-(np.c_[np.ones(len(z)), z] @ w)))
    threshold = float(np.sort(fitted[y == 1])[int((1 - keep) * int((y == 1).sum()))])
    rule.MEANS = tuple(round(float(v), 5) for v in means)
    rule.SCALES = tuple(round(float(v), 5) for v in scales)
    rule.WEIGHTS = tuple(round(float(v), 5) for v in w[1:])
    rule.BIAS = round(float(w[0]), 5)
    rule.THRESHOLD = round(threshold, 4)
    return {
        **cv,
        "MEANS": rule.MEANS,
        "SCALES": rule.SCALES,
        "WEIGHTS": rule.WEIGHTS,
        "BIAS": rule.BIAS,
        "THRESHOLD": rule.THRESHOLD,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default="dev", help="dev | heldout | fresh, or several: dev,heldout"
    )
    parser.add_argument("--fit", action="store_true", help="fit the model on these sets")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    engine, _ = open_catalog(f"sqlite:///{tempfile.mkdtemp()}/known.sqlite3")
    search = SearchEngine(engine)
    search.snapshot()
    names = args.sets.split(",")
    inside = [r for n in names for r in observe(search, read(DATA / f"known_{n}_in.jsonl"))]
    outside = [r for n in names for r in observe(search, read(DATA / f"known_{n}_out.jsonl"))]
    out: dict[str, Any] = {"sets": args.sets}
    if args.fit:
        out["model"] = fit(inside, outside)
    out["threshold_used"] = rule.THRESHOLD
    out |= rates(inside, outside)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if args.misses:
        print("\n".join(misses(inside, outside)))
    write_json(args.json, out)


if __name__ == "__main__":
    main()
