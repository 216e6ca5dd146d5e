"""What every benchmark script shares: a summary of timings and the JSON file of its figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from auskunft.search.service.evaluation import percentile


def summary(values: list[float], digits: int = 2) -> dict[str, float]:
    """n, p50/p95/p99/max and the mean of millisecond values, rounded for the report."""
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), digits),
        "p95_ms": round(percentile(values, 95), digits),
        "p99_ms": round(percentile(values, 99), digits),
        "max_ms": round(max(values, default=0.0), digits),
        "mean_ms": round(sum(values) / len(values), digits) if values else 0.0,
    }


def write_json(path: Path | None, out: dict[str, Any]) -> None:
    """Write a run's figures to `path` (a `--json` option), if one was given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
