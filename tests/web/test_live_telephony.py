"""The live side of telephony (issue 14): agents' presence from the live events, the
wallboard and /metrics, and the desk's screen pop with the municipality suggested from
the caller's area code (none where the code serves several), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk.tables import Contact
from auskunft.telephony.tables import Call
from tests.web.test_staff_login import PASSWORD, form_token, login

CHANNELS = "115=115,0561115=local"
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "lv-super", "supervisor", PASSWORD, now)
        create_user(uow, "anna", "agent", PASSWORD, now)
        create_user(uow, "ben", "agent", PASSWORD, now)
        TOKENS["super"] = create_api_token(uow, "lv-super-t", now, username="lv-super")
        TOKENS["anna"] = create_api_token(uow, "lv-anna-t", now, username="anna")
        TOKENS["machine"] = create_api_token(uow, "lv-phone", now)
        uow.commit()
    app = create_app(Settings(database_url=module_url, telephony_channels=CHANNELS))
    with TestClient(app) as c:
        yield c


def bearer(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def post(client: TestClient, lines: list[str]) -> None:
    r = client.post("/api/v1/telephony/events", json={"events": lines}, headers=bearer("machine"))
    assert r.status_code == 200, r.text


def connect(client: TestClient, call_id: str, caller: str, agent: str, did: str = "115") -> None:
    t = int(time.time()) - 30
    post(
        client,
        [
            f"{t}|{call_id}|NONE|NONE|DID|{did}",
            f"{t}|{call_id}|sc|NONE|ENTERQUEUE||{caller}|1",
            f"{t + 12}|{call_id}|sc|{agent}|CONNECT|12|x|1",
        ],
    )


def test_the_wallboard_counts_calls_and_agents_from_the_live_events(client: TestClient) -> None:
    t = int(time.time()) - 60
    post(
        client,
        [
            f"{t}|NONE|sc|Agent/anna|ADDMEMBER|",
            f"{t}|NONE|sc|Agent/ben|ADDMEMBER|",
            f"{t}|NONE|sc|Agent/carl|ADDMEMBER|",
            f"{t + 1}|NONE|sc|Agent/carl|PAUSE|Mittag",
            f"{t + 2}|w1|sc|NONE|ENTERQUEUE||0561 4711|1",
            f"{t + 40}|w2|sc|NONE|ENTERQUEUE||0561 4712|2",
        ],
    )
    board = client.get("/api/v1/statistics/live", headers=bearer("super")).json()
    assert board["calls_waiting"] == 2 and board["longest_wait_s"] >= 55
    assert (board["agents_free"], board["agents_paused"], board["agents_talking"]) == (2, 1, 0)
    connect(client, "w3", "0561 4713", "Agent/ben")
    board = client.get("/api/v1/statistics/live", headers=bearer("super")).json()
    assert (board["agents_free"], board["agents_talking"]) == (1, 1)
    assert board["today"]["answered"] == 1 and board["today"]["offered"] == 3
    post(client, [f"{int(time.time())}|NONE|sc|Agent/carl|REMOVEMEMBER|"])
    board = client.get("/api/v1/statistics/live", headers=bearer("super")).json()
    assert board["agents_paused"] == 0 and board["agents_logged_in"] == 2
    # the page and the metrics say the same
    login(client, "lv-super", next_page="/statistik/live")
    page = client.get("/statistik/live")
    assert page.status_code == 200 and 'hx-trigger="every 5s"' in page.text
    assert "Anrufe in der Warteschlange" in page.text
    part = client.get("/statistik/live", params={"teil": "true"})
    assert part.text.startswith("{#") is False and part.text.lstrip().startswith('<div id="board"')
    paused = client.get("/statistik/live", params={"angehalten": "true"})
    assert "hx-trigger" not in paused.text and "Aktualisierung fortsetzen" in paused.text
    metrics = client.get("/metrics", headers=bearer("machine"))
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert re.search(r"^auskunft_calls_waiting 2\.0$", metrics.text, re.M)
    assert re.search(r'^auskunft_agents\{state="talking"\} 1\.0$', metrics.text, re.M)
    assert "auskunft_calls_today_total" in metrics.text
    client.post("/abmelden", data={"csrf": form_token(page.text)})


def test_metrics_need_the_monitorings_token_or_a_supervisor(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=bearer("anna")).status_code == 403
    assert client.get("/metrics", headers=bearer("super")).status_code == 200


@pytest.mark.parametrize(
    ("caller", "suggested", "covers"),
    [
        ("0561 987654", None, ["kassel", "baunatal", "niestetal"]),  # 0561: ask
        ("+49 2772 12345", "herborn", ["herborn"]),
        ("030 1234567", None, []),  # Berlin: not in the catalog
        ("0171 1234567", None, []),  # a mobile number has no area
    ],
)
def test_the_screen_pop_suggests_a_municipality_only_where_the_code_has_one(
    client: TestClient, module_url: str, caller: str, suggested: str | None, covers: list[str]
) -> None:
    call_id = f"pop-{abs(hash(caller)) % 10**8}"
    connect(client, call_id, caller, "Agent/anna")
    got = client.get("/api/v1/desk/call", headers=bearer("anna")).json()
    assert got["call_id"] == call_id and got["channel"] == "115"
    assert got["suggested_municipality"] == suggested and got["municipalities"] == covers
    with UnitOfWork(get_engine(module_url)) as uow:
        row = uow.session.scalar(select(Call).where(Call.call_id == call_id))
        assert row is not None and (row.area_code or "") in ("561", "2772", "30", "")
        assert caller.replace(" ", "")[-6:] not in repr(row.__dict__)  # the number is nowhere
    # the end of the call: nothing pops any more
    post(client, [f"{int(time.time())}|{call_id}|sc|Agent/anna|COMPLETECALLER|12|20|1"])
    assert client.get("/api/v1/desk/call", headers=bearer("anna")).json() is None


def test_the_desk_opens_the_call_and_logs_its_contact_with_the_call_id(
    client: TestClient, module_url: str
) -> None:
    connect(client, "desk-1", "0561 123456", "Agent/anna", did="0561115")
    login(client, "anna")
    idle = client.get("/desk/anruf")
    assert idle.headers.get("HX-Redirect") == "/desk?anruf=desk-1"
    busy = client.get("/desk/anruf", params={"q": "Personalausweis"})
    assert busy.status_code == 200 and 'href="/desk?anruf=desk-1"' in busy.text
    assert client.get("/desk/anruf", params={"call_id": "desk-1"}).status_code == 204
    page = client.get("/desk", params={"anruf": "desk-1"})
    assert page.status_code == 200
    assert "Anruf verbunden" in page.text and "Bitte die Gemeinde erfragen:" in page.text
    assert '<option value="" selected>— bitte erfragen —</option>' in page.text
    assert 'name="call_id" value="desk-1"' in page.text
    assert '<option value="local" selected>' in page.text
    done = client.post(
        "/desk/kontakt",
        data={
            "csrf": form_token(page.text),
            "channel": "local",
            "outcome": "answered",
            "municipality": "baunatal",
            "call_id": "desk-1",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    with UnitOfWork(get_engine(module_url)) as uow:
        row = uow.session.scalar(select(Contact).where(Contact.call_id == "desk-1"))
        assert row is not None and row.municipality == "baunatal" and row.caller_thread
    # another agent's call is not anna's to log
    connect(client, "desk-2", "0561 222", "Agent/ben")
    refused = client.post(
        "/desk/kontakt",
        data={"csrf": form_token(page.text), "channel": "115", "outcome": "answered",
              "call_id": "desk-2"},
    )  # fmt: skip
    assert refused.status_code == 422


def test_supervisors_link_agents_to_accounts(client: TestClient) -> None:
    r = client.put("/api/v1/telephony/agents/SIP%2F1001", json={"username": "ben"},
                   headers=bearer("super"))  # fmt: skip
    assert r.status_code == 200 and r.json() == {"agent": "SIP/1001", "username": "ben"}
    connect(client, "link-1", "02772 5555", "SIP/1001")
    assert client.get("/api/v1/telephony/agents", headers=bearer("super")).json() == [
        {"agent": "SIP/1001", "username": "ben"}
    ]
    assert (
        client.put(
            "/api/v1/telephony/agents/x", json={"username": "nobody"}, headers=bearer("super")
        ).status_code
        == 422
    )
    assert (
        client.put(
            "/api/v1/telephony/agents/bad%20agent",
            json={"username": "ben"},
            headers=bearer("super"),
        ).status_code
        == 422
    )
    assert client.get("/api/v1/telephony/agents", headers=bearer("anna")).status_code == 403
    assert (
        client.delete("/api/v1/telephony/agents/SIP%2F1001", headers=bearer("super")).status_code
        == 204
    )
    assert (
        client.delete("/api/v1/telephony/agents/SIP%2F1001", headers=bearer("super")).status_code
        == 404
    )
