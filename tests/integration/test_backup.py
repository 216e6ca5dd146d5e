"""`auskunft backup FILE` and `auskunft restore FILE` (issue 13): a backup taken while
citizens book is consistent, and restored it holds every booking confirmed before the
backup began, whole. The embedded SQLite database (PostgreSQL has pg_dump/pg_restore)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from auskunft.appointments import tables as t
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from tests.browser.server import live_server
from tests.integration.test_booking_race import LOCATION, SERVICE, _call
from tests.web.test_cli import cli


def free_slots(base: str, days: int = 21) -> list[str]:
    from datetime import UTC, datetime, timedelta

    first = (datetime.now(UTC) + timedelta(days=3)).date()
    status, body = _call(
        "GET",
        f"{base}/api/v1/slots?service={SERVICE}&location={LOCATION}"
        f"&from={first}&to={first + timedelta(days=days)}",
    )
    assert status == 200
    return [slot["start"] for slot in body["slots"]]


def test_a_backup_under_load_restores_every_booking_confirmed_before_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    confirmed: list[tuple[float, str]] = []  # (when the 201 came, the booking's code)
    stop = threading.Event()
    refused: list[int] = []
    with live_server(tmp_path, database_url=url, rate_limits="off", worker="off") as base:
        slots = free_slots(base)
        assert len(slots) > 40

        def book() -> None:
            n = 0
            while not stop.is_set() and n < len(slots):
                status, body = _call(
                    "POST",
                    f"{base}/api/v1/appointments",
                    {
                        "services": [SERVICE],
                        "location": LOCATION,
                        "start": slots[n],
                        "name": f"Person {n}",
                        "email": f"person{n}@example.de",
                    },
                )
                n += 1
                if status == 201:
                    confirmed.append((time.monotonic(), body["code"]))
                else:
                    refused.append(status)

        booker = threading.Thread(target=book)
        booker.start()
        while len(confirmed) < 10:
            time.sleep(0.02)
        began = time.monotonic()
        backup_file = tmp_path / "sicherung.sqlite3"
        out = cli(url, "backup", str(backup_file))
        ended = time.monotonic()
        assert out.returncode == 0, out.stderr
        assert "Gesichert" in out.stdout
        while len(confirmed) < 20 and booker.is_alive():
            time.sleep(0.02)
        stop.set()
        booker.join(timeout=60)
    assert not [s for s in refused if s >= 500], refused
    before = {code for at, code in confirmed if at < began}
    during = {code for at, code in confirmed if began <= at <= ended}
    after = {code for at, code in confirmed if at > ended}
    assert before and after, (len(before), len(during), len(after))
    # Restored into a new place: every booking confirmed before the backup began is there,
    # whole (its person, its services); those after it are not; nothing is damaged.
    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    done = cli(restored_url, "restore", str(backup_file), "--yes")
    assert done.returncode == 0, done.stderr
    assert "Wiederhergestellt" in done.stdout
    with sqlite3.connect(tmp_path / "restored.sqlite3") as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with UnitOfWork(get_engine(restored_url)) as uow:
        rows = uow.session.scalars(select(t.Appointment)).all()
        codes = {row.code for row in rows}
        assert before <= codes
        assert not after & codes
        assert codes <= before | during
        for row in rows:
            assert row.email and row.name.startswith("Person ")


def test_backup_and_restore_refuse_what_they_cannot_do(tmp_path: Path, fresh_url: str) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert cli(url, "db", "init").returncode == 0
    target = tmp_path / "b.sqlite3"
    assert cli(url, "backup", str(target)).returncode == 0
    again = cli(url, "backup", str(target))
    assert again.returncode == 2 and "überschreibt keine Datei" in again.stderr
    nowhere = cli(url, "backup", str(tmp_path / "fehlt" / "b.sqlite3"))
    assert nowhere.returncode == 2 and "Verzeichnis" in nowhere.stderr
    junk = tmp_path / "kaputt.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    refused = cli(url, "restore", str(junk), "--yes")
    assert refused.returncode == 2 and "keine unbeschädigte Sicherung" in refused.stderr
    missing = cli(url, "restore", str(tmp_path / "gibt-es-nicht"), "--yes")
    assert missing.returncode == 2 and "gibt es nicht" in missing.stderr
    if not fresh_url.startswith("sqlite"):
        pg = cli(fresh_url, "backup", str(tmp_path / "pg.sqlite3"))
        assert pg.returncode == 2 and "pg_dump" in pg.stderr
    # Without --yes an existing database is only replaced after a yes.
    asked = cli(url, "restore", str(target), stdin="n\n")
    assert asked.returncode != 0 and "ersetzt" in asked.stdout


@pytest.fixture(autouse=True)
def _no_leftovers(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield
    assert not list(tmp_path.glob(".*.partial")), "a finished backup leaves no partial file"
