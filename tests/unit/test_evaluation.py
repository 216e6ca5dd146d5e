from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from auskunft.core.errors import InvalidInput
from auskunft.search.service.evaluation import EvalCase, evaluate, percentile, read_cases


def test_question_files_are_read_with_optional_fields(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(
        '{"q": "Perso", "expect": ["a"]}\n\n'
        '{"q": "Kfz", "expect": ["b"], "municipality": "baunatal", "authority": "x",'
        ' "participant": "p"}\n',
        encoding="utf-8",
    )
    first, second = read_cases(path)
    assert (first.q, first.expect, first.municipality) == ("Perso", ["a"], None)
    assert (second.municipality, second.authority, second.participant) == ("baunatal", "x", "p")


def test_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"q": "ok", "expect": []}\n{"expect": ["a"]}\n', encoding="utf-8")
    with pytest.raises(InvalidInput, match="Zeile 2"):
        read_cases(path)


def test_figures_count_ranks_and_routing() -> None:
    ranking = {"eins": ["a", "b"], "zwei": ["x", "b"], "drei": ["x", "y", "z"]}

    def answer(case: EvalCase) -> dict[str, Any]:
        results = [{"id": i, "authority": {"id": "amt"}} for i in ranking[case.q]]
        return {"results": results, "took_ms": 2.0}

    report = evaluate(
        [
            EvalCase("eins", ["a"], "kassel", "amt"),
            EvalCase("zwei", ["b"]),
            EvalCase("drei", ["q"], "kassel", "anderes-amt"),
        ],
        answer,
    )
    assert (report.top1, report.top3) == (1 / 3, 2 / 3)
    assert report.mrr == pytest.approx((1 + 0.5 + 0) / 3)
    assert report.routing == 0.5
    assert [m["q"] for m in report.misses] == ["zwei", "drei"]


def test_percentiles_use_the_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile(list(map(float, range(1, 101))), 95) == 95.0
    assert percentile([], 95) == 0.0
