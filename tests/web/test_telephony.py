"""Calls from the telephone system (issue 14): a queue_log imported whole or refused whole,
idempotent by call id; the channel from the dialled number or the queue; callers known
for a week by a keyed hash only; the live events through the API; on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.cli import main
from auskunft.core.config import Settings, get_settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.telephony.model.queue_log import format_line
from auskunft.telephony.service import calls
from auskunft.telephony.tables import Call, CallerKey
from tests.web.test_staff_login import PASSWORD

CHANNELS = "115=115,0561115=local,vhs=local"
TOKENS: dict[str, str] = {}


def answered(t: int, call_id: str, caller: str, did: str = "115", wait: int = 8) -> list[str]:
    return [
        format_line(t - 1, call_id, "NONE", "", "DID", did),
        format_line(t, call_id, "buergeramt", "", "ENTERQUEUE", "", caller, "1"),
        format_line(t + wait, call_id, "buergeramt", "Agent/3", "CONNECT", wait, "x", "2"),
        format_line(
            t + wait + 120, call_id, "buergeramt", "Agent/3", "COMPLETEAGENT", wait, 120, "1"
        ),
    ]


def now_epoch() -> int:
    return int(datetime.now(UTC).timestamp()) - 3600


@pytest.fixture()
def uow(module_url: str) -> Iterator[UnitOfWork]:
    with UnitOfWork(get_engine(module_url)) as unit:
        yield unit


def stored(module_url: str, call_id: str) -> Call | None:
    with UnitOfWork(get_engine(module_url)) as unit:
        row = unit.session.scalar(select(Call).where(Call.call_id == call_id))
        if row is not None:
            unit.session.expunge(row)  # read after the unit of work ends
        return row


def test_an_import_is_whole_idempotent_and_maps_channels(module_url: str) -> None:
    t = now_epoch() - 86_400
    lines = [
        *answered(t, "imp-1", "0561 111"),
        *answered(t + 60, "imp-2", "+49 561 222", did="0561 115"),
        format_line(t + 100, "imp-3", "vhs", "", "ENTERQUEUE", "", "", "1"),
        format_line(t + 103, "imp-3", "vhs", "", "ABANDON", "1", "1", "3"),
        format_line(t + 200, "NONE", "NONE", "NONE", "QUEUESTART", ""),
    ]
    with UnitOfWork(get_engine(module_url)) as uow:
        report = calls.import_queue_log(uow, lines, channels=CHANNELS)
        uow.commit()
    assert (report.new, report.unchanged, report.other_lines) == (3, 0, 1)
    one, two, three = (stored(module_url, f"imp-{n}") for n in (1, 2, 3))
    assert one and two and three
    assert (one.channel, two.channel, three.channel) == ("115", "local", "local")
    assert one.result == "answered" and one.wait_s == 8 and one.talk_s == 120
    assert three.result == "abandoned" and three.wait_s == 3
    # The number is nowhere; a hash of the day is.
    assert one.caller_key and len(one.caller_key) == 64 and "561" not in one.caller_key
    with UnitOfWork(get_engine(module_url)) as uow:
        again = calls.import_queue_log(uow, lines, channels=CHANNELS)
        uow.commit()
    assert (again.new, again.unchanged) == (0, 3)


def test_a_malformed_line_refuses_the_file_unless_told_to_skip(module_url: str) -> None:
    t = now_epoch() - 80_000
    lines = [
        *answered(t, "bad-1", "0561 333"),
        f"{t + 5}|bad-2|q|NONE|ENTERQUEUE||0561 444|1",
        f"{t + 9}|bad-2|q|A|COMPLETECALLER|5|-20|1",  # line 6: a negative handling time
        f"{t + 20}|bad-3|q|A|CONNECT|0|x|1",  # line 7: connected, never queued
    ]
    with UnitOfWork(get_engine(module_url)) as uow, pytest.raises(calls.QueueLogRefused) as no:
        calls.import_queue_log(uow, lines, channels=CHANNELS)
    assert [p.line for p in no.value.report.problems] == [6, 7]
    assert no.value.status == 422 and "Zeile 6" in no.value.message
    assert stored(module_url, "bad-1") is None  # nothing half imported
    with UnitOfWork(get_engine(module_url)) as uow:
        report = calls.import_queue_log(uow, lines, channels=CHANNELS, skip_malformed=True)
        uow.commit()
    assert report.new == 2 and report.skipped_calls == 1 and len(report.problems) == 2
    assert stored(module_url, "bad-1") is not None
    waiting = stored(module_url, "bad-2")
    assert waiting is not None and waiting.state == "waiting"


def test_a_caller_is_known_for_a_week_and_then_forgotten(module_url: str) -> None:
    t = now_epoch() - 3 * 86_400
    lines = [
        *answered(t, "rep-1", "0561 555 01"),
        *answered(t + 86_400, "rep-2", "+49 (0)561 55501"),  # the same number, written apart
        *answered(t + 86_400 + 30, "rep-3", "0561 555 02"),
    ]
    with UnitOfWork(get_engine(module_url)) as uow:
        calls.import_queue_log(uow, lines[:4], channels=CHANNELS)
        uow.commit()
    with UnitOfWork(get_engine(module_url)) as uow:  # a second file, a day later
        calls.import_queue_log(uow, lines[4:], channels=CHANNELS)
        uow.commit()
    first, second, other = (stored(module_url, f"rep-{n}") for n in (1, 2, 3))
    assert first and second and other
    assert second.caller_thread == "rep-1" and other.caller_thread == "rep-3"
    assert first.caller_key != second.caller_key  # another day, another key
    # Eight days on, the keys are destroyed and the hashes blanked; the series stays.
    later = datetime.now(UTC) + timedelta(days=8)
    with UnitOfWork(get_engine(module_url)) as uow:
        counts = calls.purge_keys(uow, later)
        uow.commit()
    assert counts["keys_destroyed"] >= 2 and counts["hashes_blanked"] >= 3
    with UnitOfWork(get_engine(module_url)) as uow:
        assert uow.session.scalar(select(func.count()).select_from(CallerKey)) == 0
    forgotten = stored(module_url, "rep-2")
    assert forgotten and forgotten.caller_key is None and forgotten.caller_thread == "rep-1"


def test_old_days_get_no_stored_key(module_url: str) -> None:
    lines = answered(1_546_416_000, "old-1", "0561 777")  # January 2019
    with UnitOfWork(get_engine(module_url)) as uow:
        calls.import_queue_log(uow, lines, channels=CHANNELS)
        uow.commit()
    old = stored(module_url, "old-1")
    assert old and old.caller_key is None and old.key_day is None
    assert old.caller_thread == "old-1"


def test_the_command_line_imports_with_a_report_and_refuses_with_line_numbers(
    module_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.setenv("AUSKUNFT_DATABASE_URL", module_url)
    monkeypatch.setenv("AUSKUNFT_TELEPHONY_CHANNELS", CHANNELS)
    get_settings.cache_clear()  # the command line reads the settings of this test
    request.addfinalizer(get_settings.cache_clear)
    t = now_epoch() - 70_000
    good = tmp_path / "queue_log"
    good.write_text("\n".join(answered(t, "cli-1", "0561 888")) + "\n")
    done = CliRunner().invoke(main, ["telephony", "import", "--format", "queue_log", str(good)])
    assert done.exit_code == 0, done.output
    assert "1 Anrufe neu" in done.output
    bad = tmp_path / "broken"
    bad.write_text("\n".join([*answered(t, "cli-2", "0561 889"), "kaputt"]) + "\n")
    refused = CliRunner().invoke(main, ["telephony", "import", str(bad)])
    assert refused.exit_code == 2
    assert "Zeile 5" in refused.output
    assert stored(module_url, "cli-2") is None


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "t-agent", "agent", PASSWORD, now)
        TOKENS["t-agent"] = create_api_token(uow, "t-agent-t", now, username="t-agent")
        TOKENS["machine"] = create_api_token(uow, "t-pbx", now)
        uow.commit()
    settings = Settings(database_url=module_url, worker="off", telephony_channels=CHANNELS)
    with TestClient(create_app(settings)) as c:
        yield c


def post(client: TestClient, events: list[object], who: str = "machine") -> object:
    return client.post(
        "/api/v1/telephony/events",
        json={"events": events},
        headers={"Authorization": f"Bearer {TOKENS[who]}"},
    )


def test_live_events_build_the_call_step_by_step(client: TestClient, module_url: str) -> None:
    t = now_epoch() + 600
    first = post(
        client,
        [
            {"time": t - 1, "call_id": "live-1", "event": "DID", "data": ["115"]},
            {
                "time": t,
                "call_id": "live-1",
                "queue": "buergeramt",
                "event": "ENTERQUEUE",
                "data": ["", "0561 999", "1"],
            },
        ],
    )
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]
    assert first.json()["new"] == 1  # type: ignore[attr-defined]
    call = stored(module_url, "live-1")
    assert call and call.state == "waiting" and call.channel == "115" and call.source == "live"
    connect = format_line(t + 20, "live-1", "buergeramt", "Agent/9", "CONNECT", 20, "x", 1)
    assert post(client, [connect]).status_code == 200  # type: ignore[attr-defined]
    assert post(client, [connect]).status_code == 200  # type: ignore[attr-defined]  # a retry
    done = format_line(t + 200, "live-1", "buergeramt", "Agent/9", "COMPLETECALLER", 20, 180, 1)
    assert post(client, [done]).status_code == 200  # type: ignore[attr-defined]
    call = stored(module_url, "live-1")
    assert call and call.result == "answered" and call.wait_s == 20 and call.talk_s == 180


def test_live_events_out_of_order_or_malformed_are_refused_whole(
    client: TestClient, module_url: str
) -> None:
    t = now_epoch() + 900
    enter = format_line(t, "live-2", "q", "", "ENTERQUEUE", "", "", 1)
    complete = format_line(t + 5, "live-2", "q", "A", "COMPLETEAGENT", 1, 4, 1)
    conflict = post(client, [enter, complete])
    assert conflict.status_code == 409  # type: ignore[attr-defined]
    assert "Ereignis 2" in conflict.json()["error"]["message"]  # type: ignore[attr-defined]
    assert stored(module_url, "live-2") is None
    for bad in (["1|x|q|A|ENTERQUEUE"], [format_line(t, "live-3", "q", "A", "CONNECT", -1)], []):
        answer = post(client, bad)  # type: ignore[arg-type]
        assert answer.status_code == 422, answer.text  # type: ignore[attr-defined]
    assert post(client, [enter], who="t-agent").status_code == 403  # type: ignore[attr-defined]
    no_token = client.post("/api/v1/telephony/events", json={"events": [enter]})
    assert no_token.status_code == 401


def test_a_call_split_across_two_files_is_completed_by_the_second(module_url: str) -> None:
    t = now_epoch() - 60_000
    whole = answered(t, "rot-1", "0561 123 45")
    with UnitOfWork(get_engine(module_url)) as uow:
        first = calls.import_queue_log(uow, whole[:2], channels=CHANNELS)  # rotated here
        uow.commit()
    assert first.new == 1
    waiting = stored(module_url, "rot-1")
    assert waiting is not None and waiting.state == "waiting"
    with UnitOfWork(get_engine(module_url)) as uow:
        second = calls.import_queue_log(uow, whole[2:], channels=CHANNELS)
        uow.commit()
    assert (second.new, second.updated, second.problems) == (0, 1, [])
    done = stored(module_url, "rot-1")
    assert done is not None and done.result == "answered" and done.talk_s == 120
    # The second file again: the call is complete, its tail is no error.
    with UnitOfWork(get_engine(module_url)) as uow:
        again = calls.import_queue_log(uow, whole[2:], channels=CHANNELS)
    assert (again.unchanged, again.problems) == (1, [])
