"""Medians of the before/after runs that bench/compare_refactor.sh wrote, and their ratios.

    .venv/bin/python bench/refactor_summary.py [DIR]     # default bench/out/refactor

Reads DIR/{search,slots,booking}_{before,after}_N.json (one file per run of
bench/search_bench.py, bench/slot_bench.py and bench/booking_load.py), prints
for each figure the median over the runs of each side, the range, and the
ratio after ÷ before of the medians, and writes the same to DIR/summary.json.
A ratio above 1 is worse for times and better for rates (the `better` column
says which way each figure should go).

It also checks what must not differ or happen: the search's answers (top-1,
top-3, MRR of every question set, which a restructuring must leave exactly as
they were) and the booking load's errors and double bookings. If one of them
fails, the table is still printed and the exit status is 1.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_json  # noqa: E402

SIDES = ("before", "after")
FILE = re.compile(r"^(search|slots|booking)_(before|after)_(\d+)\.json$")

# (bench, label, path into the run's JSON, unit, which way is better)
METRICS: list[tuple[str, str, tuple[str, ...], str, str]] = [
    ("search", "hybrid, dev set, p50", ("latency_demo", "all", "p50_ms"), "ms", "lower"),
    ("search", "hybrid, dev set, p95", ("latency_demo", "all", "p95_ms"), "ms", "lower"),
    ("search", "hybrid, dev keyword questions, p95", ("latency_demo", "keywords", "p95_ms"),
     "ms", "lower"),
    ("search", "lexical only, dev set, p50", ("latency_demo_lexical_only", "all", "p50_ms"),
     "ms", "lower"),
    ("search", "lexical only, dev set, p95", ("latency_demo_lexical_only", "all", "p95_ms"),
     "ms", "lower"),
    ("search", "hybrid, final set, p50", ("latency_demo_final_set", "all", "p50_ms"), "ms",
     "lower"),
    ("search", "hybrid, final set, p95", ("latency_demo_final_set", "all", "p95_ms"), "ms",
     "lower"),
    ("search", "demo index build", ("demo_index_build_s",), "s", "lower"),
    ("slots", "find_slots p50", ("in_process", "find_slots", "p50_ms"), "ms", "lower"),
    ("slots", "find_slots p95", ("in_process", "find_slots", "p95_ms"), "ms", "lower"),
    ("slots", "busy read p50", ("in_process", "busy_read", "p50_ms"), "ms", "lower"),
    ("slots", "free_slots (pure) p50", ("in_process", "free_slots", "p50_ms"), "ms", "lower"),
    ("slots", "find_slots ÷ free_slots", ("ratios_of_p50", "find_slots_to_free_slots"), "",
     "lower"),
    ("slots", "GET /api/v1/slots p50", ("http_testclient", "p50_ms"), "ms", "lower"),
    ("slots", "GET /api/v1/slots p95", ("http_testclient", "p95_ms"), "ms", "lower"),
    ("booking", "bookings/s", ("http", "bookings_per_s"), "/s", "higher"),
    ("booking", "bookings/s ÷ pgbench TPS", ("bookings_per_s_to_pgbench_tps",), "", "higher"),
    ("booking", "client latency p50", ("http", "client_latency", "p50_ms"), "ms", "lower"),
    ("booking", "client latency p95", ("http", "client_latency", "p95_ms"), "ms", "lower"),
    ("booking", "server timing p50", ("http", "server_timing", "p50_ms"), "ms", "lower"),
    ("booking", "server timing p95", ("http", "server_timing", "p95_ms"), "ms", "lower"),
    ("booking", "server CPU per request", ("derived", "server_cpu_ms_per_request"), "ms",
     "lower"),
    ("booking", "PostgreSQL CPU per request", ("derived", "postgres_cpu_ms_per_request"), "ms",
     "lower"),
    ("booking", "pgbench TPS (mean of before/after)", ("derived", "pgbench_tps"), "/s",
     "higher"),
]  # fmt: skip


def read_runs(folder: Path) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The runs found, by bench and side, in run order."""
    found: dict[str, dict[str, list[tuple[int, dict[str, Any]]]]] = {}
    for path in sorted(folder.glob("*.json")):
        match = FILE.match(path.name)
        if not match:
            continue
        bench, side, number = match.group(1), match.group(2), int(match.group(3))
        data = json.loads(path.read_text(encoding="utf-8"))
        data["derived"] = derived(bench, data)
        found.setdefault(bench, {}).setdefault(side, []).append((number, data))
    return {
        bench: {side: [d for _, d in sorted(runs)] for side, runs in sides.items()}
        for bench, sides in found.items()
    }


def derived(bench: str, data: dict[str, Any]) -> dict[str, float | None]:
    """Figures the runs' JSON holds only in parts."""
    if bench != "booking":
        return {}
    http = data.get("http", {})
    n = http.get("n") or 0
    cpu = http.get("cpu_s", {})
    tps = [data.get(k, {}).get("tps") for k in ("pgbench_before", "pgbench_after")]
    tps = [x for x in tps if x]
    return {
        "server_cpu_ms_per_request": cpu["server"] * 1000 / n if n and "server" in cpu else None,
        "postgres_cpu_ms_per_request": cpu["postgres"] * 1000 / n
        if n and cpu.get("postgres") is not None
        else None,
        "pgbench_tps": sum(tps) / len(tps) if tps else None,
    }


def pick(data: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value or value[key] is None:
            return None
        value = value[key]
    return float(value)


def table(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> list[dict[str, Any]]:
    rows = []
    for bench, label, path, unit, better in METRICS:
        sides = runs.get(bench)
        if not sides:
            continue
        row: dict[str, Any] = {"bench": bench, "figure": label, "unit": unit, "better": better}
        for side in SIDES:
            values = [v for v in (pick(d, path) for d in sides.get(side, [])) if v is not None]
            row[side] = {
                "n": len(values),
                "median": statistics.median(values) if values else None,
                "min": min(values, default=None),
                "max": max(values, default=None),
                "values": values,
            }
        b, a = row["before"]["median"], row["after"]["median"]
        row["after_to_before"] = round(a / b, 3) if a is not None and b else None
        rows.append(row)
    return rows


def quality_of(data: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """The search's answers as figures: top-1, top-3 and MRR of every set and engine."""
    return {
        f"{name}/{engine}": (r["top1"], r["top3"], r["mrr"])
        for name, engines in data.get("quality", {}).items()
        for engine, r in engines.items()
        if isinstance(r, dict) and "top1" in r
    }


def checks(runs: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any]:
    """What must hold in every run; `ok` False if anything failed."""
    problems: list[str] = []
    out: dict[str, Any] = {}
    search = runs.get("search", {})
    seen = {
        f"{side} {n}": quality_of(d)
        for side in SIDES
        for n, d in enumerate(search.get(side, []), 1)
    }
    if seen:
        first_name, first = next(iter(seen.items()))
        differ = [name for name, q in seen.items() if q != first]
        shared = sorted(set.intersection(*(set(q) for q in seen.values())))
        out["search_answers_identical"] = not differ
        out["search_sets_compared"] = shared
        if differ:
            problems.append(f"search answers differ from {first_name} in {', '.join(differ)}")
        dense = {d.get("dense_available") for side in SIDES for d in search.get(side, [])}
        if dense != {True}:
            problems.append(f"dense model available: {sorted(map(str, dense))}")
    for side in SIDES:
        for n, d in enumerate(runs.get("slots", {}).get(side, []), 1):
            c = d.get("checks", {})
            if c.get("double_bookings") or c.get("wrong_cell_count") or c.get("stray_cells"):
                problems.append(f"slots {side} {n}: fixture check failed {c}")
        for n, d in enumerate(runs.get("booking", {}).get(side, []), 1):
            c, http = d.get("checks", {}), d.get("http", {})
            if c.get("double_bookings") or c.get("wrong_cell_count") or c.get("stray_cells"):
                problems.append(f"booking {side} {n}: double booking or cell check failed {c}")
            if http.get("errors"):
                problems.append(f"booking {side} {n}: {http['errors']} errors")
            if c.get("stored_bookings") != c.get("created_answers"):
                problems.append(f"booking {side} {n}: stored {c.get('stored_bookings')} "
                                f"!= answered 201 {c.get('created_answers')}")  # fmt: skip
    loads = {
        f"{bench} {side}": [d["load_average_before"][0] for d in sides.get(side, [])
                            if "load_average_before" in d]
        for bench, sides in runs.items()
        for side in SIDES
    }  # fmt: skip
    out["load_average_before"] = {k: v for k, v in loads.items() if v}
    out["problems"] = problems
    out["ok"] = not problems
    return out


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "/s" or abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


def render(rows: list[dict[str, Any]], check: dict[str, Any]) -> str:
    lines = []
    head = (
        f"{'bench':<8} {'figure':<36} {'better':<6} {'before (n, median, range)':>30} "
        f"{'after (n, median, range)':>30} {'after÷before':>12}"
    )
    lines += [head, "-" * len(head)]
    for r in rows:
        cells = []
        for side in SIDES:
            s = r[side]
            if not s["n"]:
                cells.append("–")
                continue
            span = f"{_fmt(s['min'], r['unit'])}–{_fmt(s['max'], r['unit'])}"
            cells.append(f"{s['n']}× {_fmt(s['median'], r['unit'])} {r['unit']} ({span})")
        ratio = "–" if r["after_to_before"] is None else f"{r['after_to_before']:.3f}"
        lines.append(
            f"{r['bench']:<8} {r['figure']:<36} {r['better']:<6} {cells[0]:>30} "
            f"{cells[1]:>30} {ratio:>12}"
        )
    if "search_answers_identical" in check:
        lines.append(
            f"search answers (top-1/top-3/MRR of {len(check['search_sets_compared'])} "
            f"set×engine pairs) identical in every run: {check['search_answers_identical']}"
        )
    for key, values in check["load_average_before"].items():
        lines.append(f"load average before, {key}: {values}")
    for problem in check["problems"]:
        lines.append(f"PROBLEM: {problem}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else ROOT / "bench" / "out" / "refactor"
    runs = read_runs(folder)
    if not runs:
        print(f"no runs in {folder}", file=sys.stderr)
        return 2
    rows = table(runs)
    check = checks(runs)
    print(render(rows, check))
    write_json(folder / "summary.json", {"figures": rows, "checks": check})
    return 0 if check["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
