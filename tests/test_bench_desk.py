"""The desk load and page weight benchmarks run end to end in their light mode.

They start `auskunft serve` on a fresh demo database; the figures must be
well-formed. No timing is asserted: this machine is shared and the light mode
is far too short to mean anything.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from bench import desk_load, page_weight

from tests.conftest import shared_path


def test_desk_load_light_mode_reports_well_formed_figures(tmp_path: Path) -> None:
    questions = shared_path("eval", "search_dev.jsonl")
    out_file = tmp_path / "desk.json"
    args = [
        "--clients", "2", "--duration", "1", "--warmup", "0.2", "--inproc", "0.3",
        "--questions", str(questions), "--json", str(out_file),
    ]  # fmt: skip
    # In a thread of its own: the browser tests' Playwright keeps an event loop
    # running in the main thread, and the benchmark starts one with asyncio.run.
    with ThreadPoolExecutor(max_workers=1) as pool:
        out: dict[str, Any] = pool.submit(desk_load.main, args).result()
    server = out["server"]
    assert server["n"] > 0
    assert server["errors"] == 0, server["error_examples"]
    assert server["empty_answers"] == 0
    assert server["statuses"] == {"200": server["n"]}
    assert server["requests_per_s"] > 0
    latency = server["client_latency"]
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    assert out["in_process"]["n"] > 0
    assert out["in_process"]["questions_per_s"] > 0
    assert out["ratio_server_to_in_process"] > 0
    assert out_file.read_text(encoding="utf-8").startswith("{")


def test_page_weight_reports_every_resource_of_the_home_page(tmp_path: Path) -> None:
    out = page_weight.main(["--json", str(tmp_path / "weight.json")])
    kinds = {r["kind"] for r in out["resources"]}
    assert {"document", "stylesheet", "script"} <= kinds
    assert out["total_bytes_identity"] > 0
    assert out["total_bytes_gzip_requested"] > 0
    assert out["first_render"]["search_form_in_html"]
    assert out["first_render"]["life_situation_links"] > 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("db;dur=2.5, total;dur=12.0", 12.0),
        ('app;desc="render";dur=7', 7.0),
        ("db;dur=2.5, search;dur=9.25", 9.25),
        ("cache;desc=hit", None),
    ],
)
def test_server_timing_header_is_read(header: str | None, expected: float | None) -> None:
    assert desk_load.server_timing_ms(header) == expected
