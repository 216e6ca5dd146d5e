"""Does the search know when it has no good answer? `known` on in- and out-of-catalog sets.

    .venv/bin/python bench/known_eval.py                       # the development sets
    .venv/bin/python bench/known_eval.py --sets heldout        # the held-out sets, once
    .venv/bin/python bench/known_eval.py --sets dev,heldout,fresh --fit   # fit (seen sets)
    .venv/bin/python bench/known_eval.py --sets dev,heldout,fresh --cv    # honest figures
    .venv/bin/python bench/known_eval.py --misses              # list what went wrong

Sets are JSON lines in bench/data: known_<name>_in.jsonl ({"q", "expect": [ids]}, questions
the catalog answers) and known_<name>_out.jsonl ({"q"}, questions it does not). Figures:
the share of in-catalog questions answered `known: true` (target >= 95 %), of those also
with a right service first, and the share of out-of-catalog questions answered `known:
false` (target >= 80 %). The demo catalog, dense signal as the product runs it.

`--cv` measures a model as if the questions were unseen: fitted (threshold included) on
all but one set and measured on that one, for each set (the sets have different authors),
and k-fold over all questions. `--features` and `--keep` measure another feature set or
threshold rule the same way (the earlier model: its ten features, keep 0.96).
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
            f" passage={meaning.passage:.3f} cluster={meaning.cluster:.1f}"
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


def _usable(row: Row) -> bool:
    """A question the model judges: it has a hit, a content word and a meaning."""
    return bool(row[1]) and row[3] is not None and row[2].words > 0


class Model:
    """The logistic model over some of the features (all of rule.FEATURES in the product),
    with the threshold rule: the highest score that keeps `keep` of the in-catalog
    questions it was fitted on known."""

    def __init__(self, columns: list[int], keep: float) -> None:
        self.columns, self.keep = columns, keep

    def _x(self, rows: list[Row]) -> np.ndarray:
        values = []
        for _, _, evidence, meaning in rows:
            assert meaning is not None
            values.append(rule.features(evidence, meaning))
        return np.array(values)[:, self.columns]

    def fit(self, inside: list[Row], outside: list[Row]) -> Model:
        rows = [r for r in inside if _usable(r)], [r for r in outside if _usable(r)]
        x = self._x(rows[0] + rows[1])
        y = np.r_[np.ones(len(rows[0])), np.zeros(len(rows[1]))]
        self.means, self.scales = x.mean(0), x.std(0) + 1e-9
        self.w = _logistic((x - self.means) / self.scales, y)
        fitted = np.sort(self.scores(rows[0]))
        self.threshold = float(fitted[int((1 - self.keep) * len(fitted))])
        return self

    def scores(self, rows: list[Row]) -> np.ndarray:
        """The logit of each (usable) question."""
        z = (self._x(rows) - self.means) / self.scales
        return np.asarray(self.w[0] + z @ self.w[1:])

    def known(self, rows: list[Row]) -> list[bool]:
        """`known` as the product decides it, with this model in place of the fitted one."""
        out = []
        for r in rows:
            if not r[1]:
                out.append(False)
            elif not _usable(r):
                out.append(rule.is_known(r[2], r[3]))
            else:
                out.append(bool(self.scores([r])[0] >= self.threshold))
        return out


def _measure(model: Model, inside: list[Row], outside: list[Row]) -> dict[str, float]:
    said_in, said_out = model.known(inside), model.known(outside)
    right = [bool(ids) and ids[0] in case["expect"] for case, ids, _, _ in inside]
    return {
        "in": sum(said_in) / len(inside),
        "out": 1 - sum(said_out) / len(outside),
        "known_and_right_first": sum(a and b for a, b in zip(said_in, right, strict=True))
        / len(inside),
        "right_first": sum(right) / len(inside),
    }


def _mean(parts: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(float(np.mean([p[k] for p in parts])), 3) for k in parts[0]}


def cross_validate(
    sets: dict[str, tuple[list[Row], list[Row]]],
    columns: list[int],
    keep: float,
    folds: int = 5,
    repeats: int = 5,
) -> dict[str, Any]:
    """Honest figures for a model over `columns` with the threshold rule at `keep`: each
    threshold comes from the questions the model was fitted on, never from the measured.

    - leave one set out (each set has another author): fit on the others, measure on it;
    - k-fold over all questions of all sets (repeated with other shuffles, averaged)."""
    out: dict[str, Any] = {}
    if len(sets) > 1:
        per = {}
        for name, (inside, outside) in sets.items():
            rest_in = [r for n, (i, _) in sets.items() if n != name for r in i]
            rest_out = [r for n, (_, o) in sets.items() if n != name for r in o]
            model = Model(columns, keep).fit(rest_in, rest_out)
            per[name] = _measure(model, inside, outside)
        out["leave_one_set_out"] = {n: _mean([m]) for n, m in per.items()}
        out["leave_one_set_out"]["mean"] = _mean(list(per.values()))
    inside = [r for i, _ in sets.values() for r in i]
    outside = [r for _, o in sets.values() for r in o]
    runs = []
    for repeat in range(repeats):
        order_in, order_out = list(range(len(inside))), list(range(len(outside)))
        random.Random(7 + repeat).shuffle(order_in)
        random.Random(107 + repeat).shuffle(order_out)
        said_in = [False] * len(inside)
        said_out = [False] * len(outside)
        for fold in range(folds):
            test_in, test_out = set(order_in[fold::folds]), set(order_out[fold::folds])
            model = Model(columns, keep).fit(
                [r for i, r in enumerate(inside) if i not in test_in],
                [r for i, r in enumerate(outside) if i not in test_out],
            )
            for i in test_in:
                said_in[i] = model.known([inside[i]])[0]
            for i in test_out:
                said_out[i] = model.known([outside[i]])[0]
        right = [bool(ids) and ids[0] in case["expect"] for case, ids, _, _ in inside]
        runs.append(
            {
                "in": sum(said_in) / len(inside),
                "out": 1 - sum(said_out) / len(outside),
                "known_and_right_first": sum(a and b for a, b in zip(said_in, right, strict=True))
                / len(inside),
                "right_first": sum(right) / len(inside),
            }
        )
    out[f"{folds}_fold_x{repeats}"] = _mean(runs)
    return out


def fit(inside: list[Row], outside: list[Row], keep: float) -> dict[str, Any]:
    """Fit the logistic model over all features on these questions and put it in place
    (print the constants for known.py); the threshold keeps `keep` of the in-catalog
    questions known."""
    model = Model(list(range(len(rule.FEATURES))), keep).fit(inside, outside)
    rule.MEANS = tuple(round(float(v), 5) for v in model.means)
    rule.SCALES = tuple(round(float(v), 5) for v in model.scales)
    rule.WEIGHTS = tuple(round(float(v), 5) for v in model.w[1:])
    rule.BIAS = round(float(model.w[0]), 5)
    # As a probability, rounded down so that rounding keeps no fitted question out.
    probability = 1 / (1 + np.exp(-model.threshold))
    rule.THRESHOLD = float(np.floor(probability * 1e4) / 1e4)
    return {
        "FEATURES": rule.FEATURES,
        "MEANS": rule.MEANS,
        "SCALES": rule.SCALES,
        "WEIGHTS": rule.WEIGHTS,
        "BIAS": rule.BIAS,
        "THRESHOLD": rule.THRESHOLD,
        "KEEP": keep,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sets", default="dev", help="dev | heldout | fresh, or several: dev,heldout,fresh"
    )
    parser.add_argument("--fit", action="store_true", help="fit the model on these sets")
    parser.add_argument(
        "--cv", action="store_true", help="cross-validate (leave one set out, and k-fold)"
    )
    parser.add_argument(
        "--features",
        default=None,
        help="cross-validate a model over only these features (comma-separated), e.g. the "
        "earlier model's; default all of FEATURES",
    )
    parser.add_argument(
        "--keep",
        type=float,
        default=rule.KEEP,
        help="threshold rule: the share of fitted in-catalog questions it keeps known",
    )
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    engine, _ = open_catalog(f"sqlite:///{tempfile.mkdtemp()}/known.sqlite3")
    search = SearchEngine(engine)
    search.snapshot()
    names = args.sets.split(",")
    sets = {
        n: (
            observe(search, read(DATA / f"known_{n}_in.jsonl")),
            observe(search, read(DATA / f"known_{n}_out.jsonl")),
        )
        for n in names
    }
    inside = [r for i, _ in sets.values() for r in i]
    outside = [r for _, o in sets.values() for r in o]
    out: dict[str, Any] = {"sets": args.sets}
    if args.cv:
        wanted = args.features.split(",") if args.features else list(rule.FEATURES)
        columns = [rule.FEATURES.index(f) for f in wanted]
        out["cv"] = {
            "features": wanted,
            "keep": args.keep,
            **cross_validate(sets, columns, args.keep),
        }
    if args.fit:
        out["model"] = fit(inside, outside, args.keep)
    out["threshold_used"] = rule.THRESHOLD
    out |= rates(inside, outside)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if args.misses:
        print("\n".join(misses(inside, outside)))
    write_json(args.json, out)


if __name__ == "__main__":
    main()
