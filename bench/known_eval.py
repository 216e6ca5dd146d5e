"""Does the search know when it has no good answer? `known` on in- and out-of-catalog sets.

    .venv/bin/python bench/known_eval.py                       # the development sets
    .venv/bin/python bench/known_eval.py --sets heldout        # the held-out sets, once
    .venv/bin/python bench/known_eval.py --fit                 # search the thresholds (dev only)
    .venv/bin/python bench/known_eval.py --misses              # list what went wrong

Sets are JSON lines in bench/data: known_<name>_in.jsonl ({"q", "expect": [ids]}, questions
the catalog answers) and known_<name>_out.jsonl ({"q"}, questions it does not). Figures:
the share of in-catalog questions answered `known: true` (target >= 95 %), of those also
with a right service first, and the share of out-of-catalog questions answered `known:
false` (target >= 80 %). The demo catalog, dense signal as the product runs it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auskunft.bootstrap import open_catalog  # noqa: E402
from auskunft.search.model import known as rule  # noqa: E402
from auskunft.search.model.index import Evidence  # noqa: E402
from auskunft.search.service.engine import SearchEngine, explain  # noqa: E402
from bench.report import write_json  # noqa: E402

DATA = ROOT / "bench" / "data"
Row = tuple[dict[str, Any], list[str], Evidence, float | None]


def read(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def observe(engine: SearchEngine, cases: list[dict[str, Any]]) -> list[Row]:
    out = []
    for case in cases:
        ids, evidence, closeness = explain(engine, case["q"])
        out.append((case, ids, evidence, closeness))
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


def _features(ev: Evidence, closeness: float | None) -> str:
    share = ev.covered / ev.words if ev.words else 0.0
    close = f" close={closeness:.3f}" if closeness is not None else ""
    return f"(words={ev.words} unknown={ev.unknown} covered={share:.2f} fit={ev.fit:.2f}{close})"


def fit(inside: list[Row], outside: list[Row]) -> dict[str, float]:
    """The thresholds that keep >= 95 % of in-catalog questions known while turning away the
    most out-of-catalog ones (ties: the least strict)."""
    grid = {
        "MIN_COVERED_SHARE": [0.0, 0.4, 0.5, 0.6, 0.67, 0.75, 0.8, 0.9, 1.0],
        "MIN_FIT": [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9],
        "MIN_CLOSENESS": [0.0, 0.8, 0.82, 0.84, 0.85, 0.86, 0.87, 0.88, 0.9],
        "MAX_UNKNOWN_SHARE": [0.0, 0.34, 0.5, 1.0],
    }
    best: tuple[float, float, dict[str, float]] | None = None
    for values in itertools.product(*grid.values()):
        chosen = dict(zip(grid, values, strict=True))
        for name, value in chosen.items():
            setattr(rule, name, value)
        figures = rates(inside, outside)
        keep, refuse = figures["known_true_in_catalog"], figures["known_false_out_of_catalog"]
        if keep is None or refuse is None or keep < 0.95:
            continue
        key = (refuse, keep)
        if best is None or key > best[:2]:
            best = (refuse, keep, chosen)
    if best is None:
        raise SystemExit("no thresholds keep 95 % of the in-catalog questions known")
    for name, value in best[2].items():
        setattr(rule, name, value)
    return best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", default="dev", help="dev | heldout (bench/data/known_<sets>_*)")
    parser.add_argument("--fit", action="store_true", help="search thresholds (dev sets only)")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.fit and args.sets != "dev":
        raise SystemExit("thresholds are fitted on the development sets only")
    engine, _ = open_catalog(f"sqlite:///{tempfile.mkdtemp()}/known.sqlite3")
    search = SearchEngine(engine)
    search.snapshot()
    inside = observe(search, read(DATA / f"known_{args.sets}_in.jsonl"))
    outside = observe(search, read(DATA / f"known_{args.sets}_out.jsonl"))
    out: dict[str, Any] = {"sets": args.sets}
    if args.fit:
        out["thresholds"] = fit(inside, outside)
    out["thresholds_used"] = {
        name: getattr(rule, name)
        for name in ("MIN_COVERED_SHARE", "MIN_FIT", "MIN_CLOSENESS", "MAX_UNKNOWN_SHARE")
    }
    out |= rates(inside, outside)
    print(json.dumps(out, indent=2, ensure_ascii=False))
    if args.misses:
        print("\n".join(misses(inside, outside)))
    write_json(args.json, out)


if __name__ == "__main__":
    main()
