"""The feedback clock as a resource: GET /api/v1/service-calendar/due and the open intervals,
with the closure days a supervisor enters (auskunft service-calendar close), on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict, NotFound
from auskunft.forwarding.service import calendar
from tests.web.test_cli import cli

DUE = "/api/v1/service-calendar/due"


@pytest.fixture()
def client(fresh_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=fresh_url, worker="off"))) as c:
        yield c


def due(client: TestClient, start: str, **params: Any) -> Any:
    return client.get(DUE, params={"from": start, **params})


def test_feedback_on_a_friday_afternoon_is_due_on_tuesday(client: TestClient) -> None:
    r = due(client, "2026-12-04T15:30:00+01:00", hours=24)
    assert r.status_code == 200
    assert r.json() == {
        "from": "2026-12-04T15:30:00+01:00",
        "hours": 24,
        "due": "2026-12-08T13:30:00+01:00",
    }
    # Without hours the promise of the settings counts (24 by default).
    assert due(client, "2026-12-04T15:30:00+01:00").json()["due"] == r.json()["due"]
    # Any offset is taken as the moment it names; the answer is in Berlin time.
    other = due(client, "2026-12-04T14:30:00Z", hours=24).json()
    assert other["due"] == "2026-12-08T13:30:00+01:00"


def test_the_clock_skips_the_days_a_supervisor_closes(client: TestClient, fresh_url: str) -> None:
    made = cli(fresh_url, "service-calendar", "close", "2026-12-07", "--reason", "Betriebsausflug")
    assert made.returncode == 0, made.stderr
    assert "07.12.2026  Betriebsausflug" in cli(fresh_url, "service-calendar", "list").stdout
    r = due(client, "2026-12-04T15:30:00+01:00", hours=24)
    assert r.json()["due"] == "2026-12-09T13:30:00+01:00"  # Monday closed: Wednesday
    week = client.get("/api/v1/service-calendar", params={"from": "2026-12-05", "to": "2026-12-08"})
    assert week.status_code == 200
    body = week.json()
    assert [i["start"] for i in body["intervals"]] == [
        "2026-12-05T09:00:00+01:00",
        "2026-12-08T07:00:00+01:00",
    ]
    assert body["closed"] == [{"day": "2026-12-07", "reason": "Betriebsausflug"}]
    again = cli(fresh_url, "service-calendar", "close", "2026-12-07")
    assert again.returncode == 2 and "schon als Schließtag" in again.stderr
    assert cli(fresh_url, "service-calendar", "reopen", "2026-12-07").returncode == 0
    assert due(client, "2026-12-04T15:30:00+01:00", hours=24).json()["due"] == (
        "2026-12-08T13:30:00+01:00"
    )
    gone = cli(fresh_url, "service-calendar", "reopen", "2026-12-07")
    assert gone.returncode == 2 and "kein eingetragener Schließtag" in gone.stderr


def test_holidays_are_listed_with_their_names(client: TestClient) -> None:
    r = client.get("/api/v1/service-calendar", params={"from": "2026-12-24", "to": "2026-12-28"})
    body = r.json()
    assert body["closed"] == [
        {"day": "2026-12-25", "reason": "Erster Weihnachtstag"},
        {"day": "2026-12-26", "reason": "Zweiter Weihnachtstag"},
    ]
    assert [i["start"][:10] for i in body["intervals"]] == ["2026-12-24", "2026-12-28"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "2026-12-04T15:30:00"}, "Zeitzone"),
        ({"from": "9999-12-31T23:59:00+14:00"}, "zwischen 2000 und 2099"),
        ({"from": "0001-01-01T00:00:00+00:00"}, "zwischen 2000 und 2099"),
        ({"from": "2026-12-04T15:30:00+01:00", "hours": 0}, ""),
        ({"from": "2026-12-04T15:30:00+01:00", "hours": 100000}, ""),
        ({"from": "gestern"}, ""),
        ({}, ""),
    ],
)
def test_bad_questions_get_a_clear_422(
    client: TestClient, params: dict[str, Any], words: str
) -> None:
    r = client.get(DUE, params=params)
    assert r.status_code == 422
    assert words in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        ("2027-01-10", "2027-01-01", "vor dem ersten"),
        ("2026-01-01", "2027-06-01", "Höchstens 366 Tage"),
        ("1999-12-31", "2000-01-02", "zwischen 2000 und 2099"),
        ("2027-13-01", "2027-01-01", ""),
    ],
)
def test_bad_ranges_get_a_clear_422(client: TestClient, first: str, last: str, words: str) -> None:
    r = client.get("/api/v1/service-calendar", params={"from": first, "to": last})
    assert r.status_code == 422
    assert words in r.json()["error"]["message"]


def test_closure_days_are_checked_before_they_are_stored(fresh_url: str) -> None:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(fresh_url)) as uow:
        calendar.close_day(uow, day=date(2027, 2, 1), reason="Umzug", staff_id=None, now=now)
        uow.commit()
        with pytest.raises(Conflict):
            calendar.close_day(uow, day=date(2027, 2, 1), reason="", staff_id=None, now=now)
        uow.rollback()
        with pytest.raises(NotFound):
            calendar.reopen_day(uow, day=date(2027, 2, 2))
    bad = cli(fresh_url, "service-calendar", "close", "2027-02-03", "--reason", "x" * 201)
    assert bad.returncode == 2 and "höchstens 200 Zeichen" in bad.stderr
    listed = cli(fresh_url, "service-calendar", "list")
    assert "01.02.2027  Umzug" in listed.stdout and "03.02.2027" not in listed.stdout
