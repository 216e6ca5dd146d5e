"""The call figures, exact (issue 14): a queue_log built by hand whose figures are known,
with calls across midnight at a month's end and on both days of a daylight-saving
change, checked definition by definition through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.telephony.model.queue_log import format_line
from auskunft.telephony.service import calls
from tests.web.test_staff_login import PASSWORD

CHANNELS = "115=115,0561115=local"
TOKENS: dict[str, str] = {}


def at(text: str, fold: int = 0) -> int:
    """Unix time of a local Berlin wall-clock time ("2026-10-30 08:05:00")."""
    local = datetime.fromisoformat(text).replace(tzinfo=BERLIN, fold=fold)
    return int(local.astimezone(UTC).timestamp())


def answered(call: str, entered: int, wait: int, talk: int, did: str = "115") -> list[str]:
    return [
        format_line(entered, call, "NONE", "", "DID", did),
        format_line(entered, call, "sc", "", "ENTERQUEUE", "", "0561 4711", 1),
        format_line(entered + wait, call, "sc", "Agent/1", "CONNECT", wait, "x", 1),
        format_line(entered + wait + talk, call, "sc", "Agent/1", "COMPLETECALLER", wait, talk, 1),
    ]


def gone(call: str, entered: int, wait: int, verb: str = "ABANDON", did: str = "115") -> list[str]:
    return [
        format_line(entered, call, "NONE", "", "DID", did),
        format_line(entered, call, "sc", "", "ENTERQUEUE", "", "", 1),
        format_line(entered + wait, call, "sc", "", verb, 1, 1, wait),
    ]


FRIDAY = "2026-10-30"
LINES = [
    # Friday 30 October, 08:00-08:30: answered in 20 s (115), in 45 s (local), a short abandon
    *answered("f1", at(f"{FRIDAY} 08:05:00"), 20, 100),
    *answered("f2", at(f"{FRIDAY} 08:10:00"), 45, 200, did="0561 115"),
    *gone("f3", at(f"{FRIDAY} 08:20:00"), 3),
    # 08:30-09:00: hung up after 12 s (local), the queue's limit after 600 s (115)
    *gone("f4", at(f"{FRIDAY} 08:40:00"), 12, did="0561115"),
    *gone("f5", at(f"{FRIDAY} 08:50:00"), 600, verb="EXITWITHTIMEOUT"),
    # Saturday 31 October 23:59:30, answered at 00:00:10 on 1 November: October's
    *answered("m1", at("2026-10-31 23:59:30"), 40, 60),
    # Sunday 25 October, summer time ends: 02:30 happens twice (+02:00, then +01:00)
    *answered("d1", at("2026-10-25 02:30:00", fold=0), 5, 30),
    *answered("d2", at("2026-10-25 02:30:00", fold=1), 35, 30),
    # Sunday 29 March, summer time begins: 01:59:50 +01:00, answered 03:00:10 +02:00
    *answered("s1", at("2026-03-29 01:59:50"), 20, 50),
    # Still waiting: offered, nothing else
    format_line(at("2026-11-02 10:00:00"), "w1", "sc", "", "ENTERQUEUE", "", "", 1),
]


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        calls.import_queue_log(uow, LINES, channels=CHANNELS, now=now)
        create_user(uow, "f-super", "supervisor", PASSWORD, now)
        create_user(uow, "f-agent", "agent", PASSWORD, now)
        TOKENS["f-super"] = create_api_token(uow, "f-super-t", now, username="f-super")
        TOKENS["f-agent"] = create_api_token(uow, "f-agent-t", now, username="f-agent")
        uow.commit()
    settings = Settings(database_url=module_url, worker="off", telephony_channels=CHANNELS)
    with TestClient(create_app(settings)) as c:
        yield c


def report(client: TestClient, **params: str) -> dict[str, object]:
    answer = client.get(
        "/api/v1/statistics/calls",
        params=params,
        headers={"Authorization": f"Bearer {TOKENS['f-super']}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def rows(found: dict[str, object]) -> dict[str, dict[str, object]]:
    return {row["period"]: row for row in found["rows"]}  # type: ignore[attr-defined, index]


def test_a_day_by_every_definition(client: TestClient) -> None:
    found = report(client, **{"from": FRIDAY, "to": FRIDAY})
    assert found["definition"] == {
        "within_s": 30,
        "short_abandon_s": 5,
        "formula": "answered_and_long_abandons",
    }
    day = rows(found)[FRIDAY]
    assert day == {
        "period": FRIDAY,
        "offered": 5,
        "answered": 2,
        "abandoned": 2,  # 12 s and the 600 s limit; the 3 s one is short
        "abandoned_short": 1,
        "answered_within_30s": 1,
        "service_level": 0.25,  # 1 / (2 answered + 2 abandoned)
        "asa_s": 32.5,  # (20 + 45) / 2
        "aht_s": 150.0,  # (100 + 200) / 2
        "abandonment_rate": 0.5,  # 2 / (2 + 2)
        "share_115": 0.5,  # f1 via 115, f2 local
    }


def test_half_hours_and_channels(client: TestClient) -> None:
    intervals = rows(report(client, **{"from": FRIDAY, "to": FRIDAY, "group": "interval"}))
    assert list(intervals) == ["2026-10-30T08:00+01:00", "2026-10-30T08:30+01:00"]
    early, late = intervals.values()
    assert (early["offered"], early["answered"], early["abandoned_short"]) == (3, 2, 1)
    assert (late["offered"], late["answered"], late["abandoned"]) == (2, 0, 2)
    assert late["service_level"] == 0.0 and late["asa_s"] is None
    local = rows(report(client, **{"from": FRIDAY, "to": FRIDAY, "channel": "local"}))[FRIDAY]
    assert (local["offered"], local["answered"], local["abandoned"]) == (2, 1, 1)
    assert local["share_115"] == 0.0


def test_a_call_across_midnight_and_a_months_end_counts_when_it_came(client: TestClient) -> None:
    months = rows(report(client, **{"from": "2026-10-01", "to": "2026-11-30", "group": "month"}))
    assert months["2026-10"]["offered"] == 8  # 2 on 25 Oct, 5 on 30 Oct, 1 on 31 Oct
    assert months["2026-10"]["answered"] == 5
    assert months["2026-11"]["offered"] == 1 and months["2026-11"]["answered"] == 0
    days = rows(report(client, **{"from": "2026-10-31", "to": "2026-11-01"}))
    assert list(days) == ["2026-10-31"]


def test_the_daylight_saving_days(client: TestClient) -> None:
    autumn = report(client, **{"from": "2026-10-25", "to": "2026-10-25", "group": "interval"})
    # Both 02:30s are one half hour of wall-clock time: 2 calls, waits 5 s and 35 s.
    (only,) = autumn["rows"]  # type: ignore[misc]
    assert only["period"] == "2026-10-25T02:30+02:00"
    assert (only["offered"], only["answered_within_30s"], only["asa_s"]) == (2, 1, 20.0)
    spring = rows(report(client, **{"from": "2026-03-29", "to": "2026-03-29", "group": "interval"}))
    assert list(spring) == ["2026-03-29T01:30+01:00"]
    assert spring["2026-03-29T01:30+01:00"]["answered_within_30s"] == 1


def test_weeks_years_and_the_total(client: TestClient) -> None:
    found = report(client, **{"from": "2026-01-01", "to": "2026-12-31", "group": "week"})
    weeks = rows(found)
    assert weeks["2026-W44"]["offered"] == 6  # 30 Oct, 31 Oct (Mon 26 Oct - Sun 1 Nov)
    assert weeks["2026-W43"]["offered"] == 2  # Sunday 25 Oct ends week 43
    total = found["total"]
    assert total["offered"] == 10 and total["answered"] == 6  # type: ignore[index]
    year = rows(report(client, **{"from": "2026-01-01", "to": "2026-12-31", "group": "year"}))
    assert year["2026"]["offered"] == 10


def test_the_abandoned_calls_of_a_day(client: TestClient) -> None:
    answer = client.get(
        "/api/v1/statistics/calls/abandoned",
        params={"day": FRIDAY},
        headers={"Authorization": f"Bearer {TOKENS['f-super']}"},
    )
    assert answer.status_code == 200
    listed = answer.json()
    assert [(c["entered_at"][11:19], c["wait_s"], c["short"]) for c in listed] == [
        ("08:20:00", 3, True),
        ("08:40:00", 12, False),
        ("08:50:00", 600, False),
    ]
    assert listed[2]["result"] == "timeout"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-10-30", "to": "2026-10-01"},  # backwards
        {"from": "2020-01-01", "to": "2026-12-31"},  # over three years
        {"from": "2026-10-30", "to": "2026-10-30", "channel": "fax"},
        {"from": "2026-10-30", "to": "2026-10-30", "group": "decade"},
        {"from": "30.10.2026", "to": "2026-10-30"},
        {"to": "2026-10-30"},
    ],
)
def test_bad_ranges_get_422(client: TestClient, params: dict[str, str]) -> None:
    answer = client.get(
        "/api/v1/statistics/calls",
        params=params,
        headers={"Authorization": f"Bearer {TOKENS['f-super']}"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"]


def test_only_leads_read_the_figures(client: TestClient) -> None:
    params = {"from": FRIDAY, "to": FRIDAY}
    assert client.get("/api/v1/statistics/calls", params=params).status_code == 401
    agent = client.get(
        "/api/v1/statistics/calls",
        params=params,
        headers={"Authorization": f"Bearer {TOKENS['f-agent']}"},
    )
    assert agent.status_code == 403
