"""The benchmark's own parts run (the full benchmark is `make bench`, not a test)."""

from __future__ import annotations

from bench.baseline import PlainBM25
from bench.generate_catalog import generate
from bench.search_bench import latency, quality

from auskunft.search.model.analyzer import words
from auskunft.search.service.engine import SearchEngine
from tests.conftest import shared_path


def test_quality_and_latency_report_every_engine(search: SearchEngine) -> None:
    dev = shared_path("eval", "search_dev.jsonl")
    figures = quality(search, search, dev)
    assert set(figures) == {"auskunft", "auskunft_lexical_only", "bm25_full_texts", "bm25_names"}
    assert figures["auskunft"]["top1"] > figures["bm25_names"]["top1"]
    timing = latency(search, dev, rounds=1)
    assert timing["all"]["n"] == figures["auskunft"]["n"]


def test_the_generator_makes_realistic_services() -> None:
    docs = generate(50, seed=1)
    assert len({d.key for d in docs}) == 50
    assert all(len(words(d.fields["body"])) >= 30 for d in docs)


def test_the_baseline_is_plain_bm25() -> None:
    index = PlainBM25(["a", "b"], ["Reisepass beantragen", "Personalausweis beantragen"])
    assert index.search("reisepass")[0][0] == "a"
    assert index.search("Reisepässe") == []  # no German processing at all


def test_the_clock_benchmark_checks_its_answers_and_reports_rates() -> None:
    from bench.servicetime_bench import run

    figures = run(count=2000, rounds=1)
    assert figures["warm_per_second"] > figures["minute_count_per_second"] > 0
    assert figures["cold_per_second"] > 0 and len(figures["rounds_warm"]) == 1
