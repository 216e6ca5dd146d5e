"""Measure search quality on a question set (format of shared/eval/search_dev.jsonl)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auskunft.core.errors import InvalidInput

Answer = Callable[["EvalCase"], dict[str, Any]]


@dataclass
class EvalCase:
    """One question with its acceptable services and, optionally, the expected office."""

    q: str
    expect: list[str]
    municipality: str | None = None
    authority: str | None = None
    participant: str | None = None


@dataclass
class EvalReport:
    """Aggregated figures and the misses, for reading."""

    n: int = 0
    top1: float = 0.0
    top3: float = 0.0
    mrr: float = 0.0
    routing: float | None = None
    routed: int = 0
    latency_ms: dict[str, float] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as JSON-friendly data."""
        return {
            "n": self.n,
            "top1": round(self.top1, 4),
            "top3": round(self.top3, 4),
            "mrr": round(self.mrr, 4),
            "routing": None if self.routing is None else round(self.routing, 4),
            "routed": self.routed,
            "latency_ms": self.latency_ms,
            "misses": self.misses,
        }


def read_cases(path: Path) -> list[EvalCase]:
    """Read a JSONL question file; raise InvalidInput naming the bad line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            cases.append(
                EvalCase(
                    q=str(raw["q"]),
                    expect=[str(x) for x in raw["expect"]],
                    municipality=raw.get("municipality"),
                    authority=raw.get("authority"),
                    participant=raw.get("participant"),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(
                f"{path}: Zeile {number} ist kein gültiger Eintrag ({exc}).",
                message_en=f"{path}: line {number} is not a valid entry ({exc}).",
            ) from exc
    return cases


def percentile(values: list[float], p: float) -> float:
    """Return the p-th percentile (nearest rank) of values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def evaluate(cases: Iterable[EvalCase], answer: Answer) -> EvalReport:
    """Run every case through `answer(case)` and aggregate."""
    report = EvalReport()
    hits1 = hits3 = routed_ok = 0
    rr = 0.0
    took: list[float] = []
    for case in cases:
        report.n += 1
        result = answer(case)
        took.append(float(result["took_ms"]))
        ids = [r["id"] for r in result["results"]]
        rank = next((i for i, x in enumerate(ids, start=1) if x in case.expect), None)
        if rank == 1:
            hits1 += 1
        if rank is not None and rank <= 3:
            hits3 += 1
        if rank is not None:
            rr += 1.0 / rank
        routing_ok = None
        if case.municipality and case.authority:
            report.routed += 1
            first = result["results"][0] if result["results"] else None
            got = (first or {}).get("authority") or {}
            routing_ok = got.get("id") == case.authority
            routed_ok += int(routing_ok)
        if rank != 1 or routing_ok is False:
            report.misses.append(
                {"q": case.q, "expect": case.expect, "got": ids[:3], "rank": rank,
                 "routing_ok": routing_ok}
            )  # fmt: skip
    if report.n:
        report.top1, report.top3, report.mrr = hits1 / report.n, hits3 / report.n, rr / report.n
    if report.routed:
        report.routing = routed_ok / report.routed
    report.latency_ms = {f"p{p}": round(percentile(took, p), 3) for p in (50, 90, 95, 99)} | {
        "max": round(max(took, default=0.0), 3)
    }
    return report
