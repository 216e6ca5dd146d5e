"""Contacts, partners, appointments and concerns as figures (issue 14), exact: calls and
contacts built by hand whose first-contact resolution is known, with a contact logged
before its call reached us and one logged after, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.desk.tables import Contact
from auskunft.telephony.model.queue_log import format_line
from auskunft.telephony.service import calls
from tests.web.test_staff_login import PASSWORD

CHANNELS = "115=115,0561115=local"
NOW = datetime.now(UTC).replace(microsecond=0)
ID_CARD = "personalausweis-beantragen"  # kind buergerbuero
BULKY_WASTE = "sperrmuell"  # kind abfall: the Stadtreiniger in Kassel
TOKENS: dict[str, str] = {}


def moment(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def call(call_id: str, days_ago: float, caller: str) -> list[str]:
    start = int(moment(days_ago).timestamp())
    return [
        format_line(start, call_id, "NONE", "", "DID", "115"),
        format_line(start, call_id, "sc", "", "ENTERQUEUE", "", caller, 1),
        format_line(start + 10, call_id, "sc", "Agent/1", "CONNECT", 10, "x", 1),
        format_line(start + 190, call_id, "sc", "Agent/1", "COMPLETECALLER", 10, 180, 1),
    ]


def contact(
    days_ago: float,
    outcome: str,
    service: str | None,
    *,
    call_id: str | None = None,
    municipality: str | None = "kassel",
    channel: str = "115",
) -> dict[str, Any]:
    start = moment(days_ago) + timedelta(seconds=10)
    return {
        "channel": channel,
        "outcome": outcome,
        "service": service,
        "municipality": municipality,
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(seconds=180)).isoformat(),
        **({"call_id": call_id} if call_id else {}),
    }


def import_calls(url: str, lines: list[str]) -> None:
    with UnitOfWork(get_engine(url)) as uow:
        calls.import_queue_log(uow, lines, channels=CHANNELS, now=NOW)
        uow.commit()


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "c-super", "supervisor", PASSWORD, NOW)
        TOKENS["c-super"] = create_api_token(uow, "c-super-t", NOW, username="c-super")
        TOKENS["machine"] = create_api_token(uow, "c-phone", NOW)
        uow.commit()
    app = create_app(Settings(database_url=module_url, telephony_channels=CHANNELS))
    with TestClient(app) as c:
        # Caller A asks about the ID card twice within two days (c1, c2), and again nine
        # days later (c3); caller B about the ID card (c4) and then bulky waste (c5).
        import_calls(module_url, call("c1", 12, "0561 111") + call("c2", 10, "0561 111"))
        log(c, contact(12, "answered", ID_CARD, call_id="c1"))
        log(c, contact(2, "answered", ID_CARD, call_id="c4", municipality="baunatal"))
        log(c, contact(3, "answered", None, channel="counter", municipality=None))
        # c4's contact was logged before its call reached us: linked when it arrives.
        import_calls(
            module_url,
            call("c3", 1, "0561 111") + call("c4", 2, "0561 222") + call("c5", 1.5, "0561 222"),
        )
        log(c, contact(10, "answered", ID_CARD, call_id="c2"))
        log(c, contact(1, "appointment", ID_CARD, call_id="c3"))
        log(c, contact(1.5, "forwarded", BULKY_WASTE, call_id="c5"))
        yield c


def log(client: TestClient, body: dict[str, Any]) -> None:
    done = client.post(
        "/api/v1/contacts", json=body, headers={"Authorization": f"Bearer {TOKENS['machine']}"}
    )
    assert done.status_code == 201, done.text


def report(client: TestClient, path: str, **params: str) -> Any:
    today = NOW.astimezone(BERLIN).date()
    window = {"from": (today - timedelta(days=13)).isoformat(), "to": today.isoformat()}
    r = client.get(
        f"/api/v1/statistics/{path}",
        params={**window, **params},
        headers={"Authorization": f"Bearer {TOKENS['c-super']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_repeat_call_about_the_same_service_makes_a_contact_unresolved(
    client: TestClient, module_url: str
) -> None:
    total = report(client, "contacts", group="day")["total"]
    assert total["contacts"] == 6
    assert total["resolved_self_reported"] == 5  # every answered or appointment
    assert total["called_again"] == 1  # c1: caller A called again about it two days later
    assert total["resolved"] == 4
    assert total["fcr"] == round(4 / 6, 4) and total["fcr_self_reported"] == round(5 / 6, 4)
    assert total["linked"] == 5  # the counter contact has no call
    with UnitOfWork(get_engine(module_url)) as uow:
        flagged = uow.session.scalars(select(Contact.call_id).where(Contact.called_again)).all()
        threads = dict(uow.session.execute(select(Contact.call_id, Contact.caller_thread)).all())
    assert flagged == ["c1"]
    # c4's contact came before its call and was linked when the call was stored
    assert threads["c4"] == threads["c5"] == "c4" and threads["c2"] == "c1"
    assert threads["c3"] == "c3"  # nine days after the caller's last call: a new series


def test_contacts_by_channel_and_period(client: TestClient) -> None:
    by_day = report(client, "contacts", group="day", channel="counter")
    assert by_day["total"]["contacts"] == 1 and by_day["total"]["linked"] == 0
    # Periods are local days (Berlin): near midnight the UTC date is another one.
    local_day = moment(3).astimezone(BERLIN).date().isoformat()
    assert [row["period"] for row in by_day["rows"]] == [local_day]
    by_month = report(client, "contacts", group="month", channel="115")
    assert sum(row["contacts"] for row in by_month["rows"]) == 5
    assert by_month["definition"] == {
        "resolved_outcomes": ["answered", "appointment"],
        "repeat_window_days": 7,
    }


def test_partners_follow_the_jurisdiction(client: TestClient) -> None:
    totals = {row["participant"]: row for row in report(client, "partners")["total"]}
    assert totals["stadt-kassel"]["contacts"] == 3  # the ID card in Kassel: c1, c2, c3
    assert totals["stadt-baunatal"]["contacts"] == 1  # the ID card in Baunatal: c4
    assert totals["stadt-baunatal"]["partner"] and not totals["stadt-kassel"]["partner"]
    assert totals["stadtreiniger-kassel"]["contacts"] == 1  # bulky waste in Kassel
    assert totals["-"]["contacts"] == 1  # the counter contact named no service


def test_contacts_per_service_and_topic(client: TestClient) -> None:
    asked = report(client, "services")
    by_service = {row["service"]: row for row in asked["services"]}
    assert by_service[ID_CARD]["contacts"] == 4 and by_service[BULKY_WASTE]["contacts"] == 1
    assert asked["without_service"] == 1 and asked["contacts"] == 6
    assert asked["services"][0]["service"] == ID_CARD  # most asked first
    topics = {row["topic"]: row["contacts"] for row in asked["topics"]}
    assert sum(topics.values()) == 5 and by_service[ID_CARD]["topic"] in topics


def test_appointments_and_concerns_reports_answer_with_their_totals(client: TestClient) -> None:
    booked = report(client, "appointments", group="month")
    assert booked["total"]["booked"] == booked["total"]["phone"] + booked["total"]["online"]
    concerns = report(client, "concerns")
    assert concerns["total"]["forwarded"] == sum(row["forwarded"] for row in concerns["rows"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("contacts", {"group": "interval"}),
        ("contacts", {"channel": "fax"}),
        ("partners", {"from": "2026-02-01", "to": "2026-01-01"}),
        ("appointments", {"from": "2019-01-01", "to": "2026-01-01"}),
        ("concerns", {"from": "2026-13-01"}),
    ],
)
def test_bad_report_parameters_get_422(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    window = {"from": "2026-01-01", "to": "2026-01-31", **params}
    r = client.get(
        f"/api/v1/statistics/{path}",
        params=window,
        headers={"Authorization": f"Bearer {TOKENS['c-super']}"},
    )
    assert r.status_code == 422, r.text
