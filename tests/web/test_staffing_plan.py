"""The staffing plan of a week (issue 14): a month of demo traffic, forecast for the week
after it, the agents needed by Erlang C and A, checked by simulation, as JSON, page and
export; a supervisor can say how many agents are needed next Monday at 8:00."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.statistics.service import demo
from tests.web.test_staff_login import PASSWORD, login

CHANNELS = "115=115,0561115=local"
KINDS = {"personalausweis-beantragen": "buergerbuero"}
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def client(module_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    made = demo.make_year(2019, KINDS, seed=11, months=1)
    queue_log = tmp_path_factory.mktemp("plan") / "queue_log"
    demo.write_queue_log(made, queue_log)
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        demo.import_year(uow, made, queue_log, channels=CHANNELS)
        create_user(uow, "pl-super", "supervisor", PASSWORD, now)
        create_user(uow, "pl-agent", "agent", PASSWORD, now)
        TOKENS["super"] = create_api_token(uow, "pl-super-t", now, username="pl-super")
        TOKENS["agent"] = create_api_token(uow, "pl-agent-t", now, username="pl-agent")
        uow.commit()
    settings = Settings(database_url=module_url, telephony_channels=CHANNELS)
    with TestClient(create_app(settings)) as c:
        yield c


def week(client: TestClient, **params: str) -> dict:
    r = client.get(
        "/api/v1/staffing/week",
        params=params,
        headers={"Authorization": f"Bearer {TOKENS['super']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_the_week_after_the_records_is_planned_and_checked(client: TestClient) -> None:
    plan = week(client, simulate="true")
    assert plan["week"] == "2019-02-04"  # the records end in January
    assert plan["model"] == "erlang_a"
    assert 120 <= plan["patience_s"] <= 180  # the demo's callers: 150 s on average
    assert 160 <= plan["aht_s"] <= 210
    assert plan["accuracy"]["weeks"] >= 2 and plan["accuracy"]["mape"] < 0.35
    monday_8 = next(r for r in plan["intervals"] if r["start"] == "2019-02-04T08:00+01:00")
    assert monday_8["calls"] > 50
    assert monday_8["erlang_a_service_level"] >= 0.75 and monday_8["erlang_c_service_level"] >= 0.75
    assert monday_8["erlang_a_agents"] <= monday_8["erlang_c_agents"]
    assert monday_8["agents_scheduled"] == -(-monday_8["erlang_a_agents"] // 0.7)
    # service hours only: no Sunday, Saturday 9-13
    starts = [r["start"] for r in plan["intervals"]]
    assert not any(s.startswith("2019-02-10") for s in starts)
    saturday = [s[11:16] for s in starts if s.startswith("2019-02-09")]
    assert saturday and min(saturday) >= "09:00" and max(saturday) < "13:00"
    check = plan["check"]
    assert abs(check["simulated"] - check["formula"]) <= 0.03 and check["simulated"] >= 0.75


def test_the_page_and_its_export_show_the_plan(client: TestClient) -> None:
    login(client, "pl-super", next_page="/statistik/personal")
    page = client.get("/statistik/personal", params={"woche": "2019-02-04"})
    assert page.status_code == 200
    assert "Personalbedarf für die Woche ab Montag, 4. Februar 2019" in page.text
    assert "Mo 04.02. 08:00" in page.text and 'alt="Balkendiagramm: prognostizierte' in page.text
    plan = week(client, start="2019-02-04")
    got = client.get("/statistik/export/personal.csv", params={"woche": "2019-02-04"})
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Beginn" and len(rows) == len(plan["intervals"]) + 1
    monday_8 = next(r for r in rows if r[0] == "Mo 04.02. 08:00")
    expected = next(r for r in plan["intervals"] if r["start"] == "2019-02-04T08:00+01:00")
    assert int(monday_8[-1]) == expected["agents_scheduled"]


@pytest.mark.parametrize(
    "params", [{"start": "2019-02-05"}, {"start": "2019-02-31"}, {"target": "1.5"}]
)
def test_bad_plan_parameters_get_422(client: TestClient, params: dict[str, str]) -> None:
    r = client.get(
        "/api/v1/staffing/week",
        params=params,
        headers={"Authorization": f"Bearer {TOKENS['super']}"},
    )
    assert r.status_code == 422, r.text


def test_agents_do_not_plan(client: TestClient) -> None:
    r = client.get("/api/v1/staffing/week", headers={"Authorization": f"Bearer {TOKENS['agent']}"})
    assert r.status_code == 403
