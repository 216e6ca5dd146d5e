"""The appointment benchmarks run end to end in their light mode, and their checks bite.

No timing is asserted: this machine is shared and the light mode is far too
short to mean anything. The booking load needs PostgreSQL (it runs `auskunft
serve` with two workers on a scratch database) and is skipped without it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bench import booking_load, slot_bench
from bench.appointments_fixture import COUNTERS, build_location, scratch_database, verify
from sqlalchemy import text

from auskunft.bootstrap import open_catalog
from auskunft.core.db.engine import get_engine
from tests.conftest import _pg_admin_url


def _admin_url(backend: str) -> list[str]:
    return [] if backend == "sqlite" else ["--database-url", str(_pg_admin_url())]


def _well_ordered(figures: dict[str, Any]) -> None:
    assert figures["n"] > 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["max_ms"]


def test_slot_bench_light_mode_reports_well_formed_figures(backend: str, tmp_path: Path) -> None:
    out_file = tmp_path / "slots.json"
    args = ["--runs", "5", "--http-runs", "2", "--json", str(out_file), *_admin_url(backend)]
    out = slot_bench.main(args)
    assert out["backend"] == backend
    location = out["location"]
    assert location["counters"] == COUNTERS
    assert 0.29 <= location["booked_share"] <= 0.31
    assert out["checks"]["double_bookings"] == 0
    assert out["checks"]["wrong_cell_count"] == out["checks"]["stray_cells"] == 0
    assert out["checks"]["active_appointments"] == location["appointments"] > 0
    inp = out["in_process"]
    for part in ("find_slots", "busy_read", "free_slots"):
        _well_ordered(inp[part])
        assert inp[part]["n"] == 5
    assert inp["busy_rows"] == location["appointments"]
    assert inp["slots_per_answer"]["min"] > 0
    _well_ordered(out["http_testclient"])
    assert out["http_testclient"]["bytes"]["min"] > 0
    assert out["ratios_of_p50"]["find_slots_to_free_slots"] > 0
    assert out_file.read_text(encoding="utf-8").startswith("{")


def test_booking_load_light_mode_books_without_double_bookings(tmp_path: Path) -> None:
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip("PostgreSQL unreachable (set AUSKUNFT_TEST_POSTGRES_URL)")
    out_file = tmp_path / "booking.json"
    args = [
        "--database-url", admin, "--clients", "3", "--duration", "1", "--warmup", "0.3",
        "--days", "3", "--hot", "0.5", "--pgbench", "1", "--json", str(out_file),
    ]  # fmt: skip
    # In a thread of its own: the browser tests' Playwright keeps an event loop
    # running in the main thread, and the benchmark starts one with asyncio.run.
    with ThreadPoolExecutor(max_workers=1) as pool:
        out: dict[str, Any] = pool.submit(booking_load.main, args).result()
    http = out["http"]
    assert http["errors"] == 0, http["error_examples"]
    assert http["created"] > 0
    assert set(http["statuses"]) <= {"201", "409"}
    assert http["bookings_per_s"] > 0
    latency = http["client_latency"]
    assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"] <= latency["max_ms"]
    checks = out["checks"]
    assert checks["double_bookings"] == checks["wrong_cell_count"] == checks["stray_cells"] == 0
    assert checks["stored_bookings"] == checks["created_answers"] >= http["created"]
    for key in ("pgbench_before", "pgbench_after"):
        assert out[key].get("tps", 1) > 0, out[key]
    assert out_file.read_text(encoding="utf-8").startswith("{")


def test_the_check_finds_an_overlap_and_stray_cells(backend: str) -> None:
    admin = None if backend == "sqlite" else _pg_admin_url()
    with scratch_database(admin) as url:
        engine, _ = open_catalog(url)
        build_location(engine, now=datetime.now(UTC), days=2)
        assert verify(engine)["double_bookings"] == 0
        with engine.begin() as conn:
            # A second visit over the first one's time on the same counter, and the
            # last cell of the first visit moved off the grid.
            first = conn.execute(
                text("select id from appointments order by id limit 1")
            ).scalar_one()
            conn.execute(
                text(
                    "insert into appointments (code, location_id, counter_id, start_at, end_at, "
                    "start_minute, busy_until, status, channel, name, email, phone, language, "
                    "created_at, changed_at, purged) "
                    "select 'TEST-OVER', location_id, counter_id, start_at, end_at, "
                    "start_minute + 5, busy_until + 5, 'booked', channel, name, email, phone, "
                    "language, created_at, changed_at, purged from appointments where id = :id"
                ),
                {"id": first},
            )
            conn.execute(
                text(
                    "update counter_cells set cell = cell + 1 where appointment_id = :id "
                    "and cell = (select max(cell) from counter_cells where appointment_id = :id)"
                ),
                {"id": first},
            )
        found = verify(engine)
        assert found["double_bookings"] >= 1
        assert found["wrong_cell_count"] >= 1  # the new visit has no cells
        assert found["stray_cells"] >= 1
        engine.dispose()
        get_engine(url).dispose()
