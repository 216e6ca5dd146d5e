"""`GET /api/v1/staffing/erlang` (issue 14): the reference through the API, overload,
Erlang A, the settings it names, who may ask and impossible parameters."""

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
from tests.web.test_staff_login import PASSWORD

TOKENS: dict[str, str] = {}
ERLANG = "/api/v1/staffing/erlang"


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        for name, role in (("s-super", "supervisor"), ("s-agent", "agent")):
            create_user(uow, name, role, PASSWORD, now)
            TOKENS[name] = create_api_token(uow, f"{name}-t", now, username=name)
        TOKENS["machine"] = create_api_token(uow, "s-machine", now)
        uow.commit()
    settings = Settings(database_url=module_url, worker="off", staffing_shrinkage=0.3)
    with TestClient(create_app(settings)) as c:
        yield c


def ask(client: TestClient, who: str = "s-super", **params: object) -> dict[str, object]:
    answer = client.get(ERLANG, params=params, headers={"Authorization": f"Bearer {TOKENS[who]}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_reference_through_the_api(client: TestClient) -> None:
    found = ask(client, calls_per_hour=200, aht_s=180, target=0.8, within_s=20)
    assert found["model"] == "erlang_c"
    assert found["agents"] == 14
    assert found["service_level"] == pytest.approx(0.8884, abs=5e-5)
    assert found["asa_s"] == pytest.approx(7.84, abs=0.005)
    assert found["waiting_probability"] == pytest.approx(0.1741, abs=5e-5)
    assert found["occupancy"] == pytest.approx(10 / 14, abs=1e-6)
    # 14 on the phone with 30 % shrinkage: 20 on the plan.
    assert found["agents_scheduled"] == 20 and found["shrinkage"] == 0.3
    assert found["reaches_target"] is True


def test_defaults_are_the_115_promise(client: TestClient) -> None:
    found = ask(client, calls_per_hour=200, aht_s=180)
    assert found["target"] == 0.75 and found["within_s"] == 30
    assert found["formula"] == "answered_and_long_abandons" and found["short_abandon_s"] == 5


def test_overload_is_an_unbounded_wait_not_a_number(client: TestClient) -> None:
    found = ask(client, calls_per_hour=200, aht_s=180, agents=9)
    assert found["service_level"] == 0 and found["asa_s"] is None
    assert found["reaches_target"] is False


def test_patience_makes_it_erlang_a(client: TestClient) -> None:
    found = ask(client, calls_per_hour=200, aht_s=180, patience_s=90)
    assert found["model"] == "erlang_a"
    assert 0 < found["abandon_rate"] < 0.2  # type: ignore[operator]
    assert found["agents"] <= 13  # type: ignore[operator]


@pytest.mark.parametrize(
    "params",
    [
        {"calls_per_hour": -5, "aht_s": 180},
        {"calls_per_hour": 200, "aht_s": 0},
        {"calls_per_hour": 200},
        {"calls_per_hour": 200, "aht_s": 180, "target": 1.5},
        {"calls_per_hour": 200, "aht_s": 180, "patience_s": -1},
        {"calls_per_hour": 200, "aht_s": 180, "patience_s": 1e-300},
        {"calls_per_hour": 200, "aht_s": 0.5},
        {"calls_per_hour": "viele", "aht_s": 180},
        {"calls_per_hour": 200, "aht_s": 180, "agents": -2},
        {"calls_per_hour": 100_000, "aht_s": 86_400},
    ],
)
def test_impossible_parameters_get_422(client: TestClient, params: dict[str, object]) -> None:
    answer = client.get(
        ERLANG, params=params, headers={"Authorization": f"Bearer {TOKENS['s-super']}"}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["message"]


def test_who_may_ask(client: TestClient) -> None:
    params = {"calls_per_hour": 100, "aht_s": 180}
    assert client.get(ERLANG, params=params).status_code == 401
    for who in ("s-agent", "machine"):
        refused = client.get(
            ERLANG, params=params, headers={"Authorization": f"Bearer {TOKENS[who]}"}
        )
        assert refused.status_code == 403
