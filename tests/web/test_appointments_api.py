"""The appointments API, exactly as other tools use it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auskunft.app import create_app
from auskunft.core.config import Settings

LOCATION = "niestetal-buergerbuero-rathaus"  # one counter
SERVICE = "personalausweis-beantragen"


@pytest.fixture(scope="module")
def client(module_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    app = create_app(
        Settings(
            database_url=module_url,
            data_dir=tmp_path_factory.mktemp("data"),
            rate_limits="off",
            worker="off",
        )
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def free_starts(client: TestClient, days: int = 14, service: str = SERVICE) -> list[str]:
    first = (datetime.now(UTC) + timedelta(days=5)).date()
    r = client.get(
        "/api/v1/slots",
        params={
            "service": service,
            "location": LOCATION,
            "from": str(first),
            "to": str(first + timedelta(days=days)),
        },
    )
    assert r.status_code == 200
    return [slot["start"] for slot in r.json()["slots"]]


def book(client: TestClient, start: str, who: str, **extra: Any) -> Any:
    body = {"services": [SERVICE], "location": LOCATION, "start": start, "name": "Erika Mustermann",
            "email": f"{who}@example.de", **extra}  # fmt: skip
    return client.post("/api/v1/appointments", json=body)


def test_locations_list_ids_names_authorities_and_services(client: TestClient) -> None:
    r = client.get("/api/v1/locations")
    assert r.status_code == 200
    by_id = {loc["id"]: loc for loc in r.json()}
    assert set(by_id[LOCATION]) == {"id", "name", "authority_id", "services"}
    assert by_id[LOCATION]["authority_id"] == "niestetal-buergerbuero"
    assert SERVICE in by_id[LOCATION]["services"]
    assert "eheschliessung-anmelden" in by_id["kassel-standesamt-buero"]["services"]
    assert "trauung-trauort" in by_id["kassel-trauort-rathaus"]["services"]
    for office in ("kassel-zulassung-kfz", "kassel-fahrerlaubnis-buero",
                   "kassel-auslaenderbehoerde-buero", "baunatal-buergerbuero-rathaus",
                   "herborn-buergerbuero-rathaus", "kassel-buergerbuero-rathaus"):  # fmt: skip
        assert by_id[office]["services"]


def test_slots_carry_their_offset_and_the_visit_length(client: TestClient) -> None:
    first = (datetime.now(UTC) + timedelta(days=5)).date()
    r = client.get(
        "/api/v1/slots",
        params=[("service", SERVICE), ("service", "wohnsitz-anmelden"), ("location", LOCATION),
                ("from", str(first)), ("to", str(first + timedelta(days=7)))],
    )  # fmt: skip
    slot = r.json()["slots"][0]
    start, end = datetime.fromisoformat(slot["start"]), datetime.fromisoformat(slot["end"])
    assert start.utcoffset() in (timedelta(hours=1), timedelta(hours=2))
    assert end - start == timedelta(minutes=40)  # 20 + 20 minutes in Niestetal


def test_a_booking_answers_the_documented_object_and_takes_the_slot(client: TestClient) -> None:
    start = free_starts(client)[0]
    r = book(client, start, "doc")
    assert r.status_code == 201
    body = r.json()
    assert {"code", "manage_token", "start", "end", "location", "services"} <= set(body)
    assert body["start"] == start and body["location"] == LOCATION
    assert body["services"] == [SERVICE]
    assert start not in free_starts(client)
    again = book(client, start, "second")
    assert again.status_code == 409
    assert again.json()["error"]["message"]


def test_the_manage_token_reads_moves_and_cancels(client: TestClient) -> None:
    starts = free_starts(client)
    made = book(client, starts[0], "manage").json()
    url = f"/api/v1/appointments/{made['code']}"
    token = {"token": made["manage_token"]}
    assert client.get(url, params=token).json()["status"] == "booked"
    moved = client.post(f"{url}/reschedule", params=token, json={"start": starts[6]})
    assert moved.status_code == 200 and moved.json()["start"] == starts[6]
    assert starts[0] in free_starts(client) and starts[6] not in free_starts(client)
    cancelled = client.delete(url, params=token)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert starts[6] in free_starts(client)
    assert client.get(url, params=token).json()["status"] == "cancelled"
    assert client.delete(url, params=token).status_code == 409


def test_moving_onto_a_taken_slot_keeps_the_old_time(client: TestClient) -> None:
    starts = free_starts(client)
    mine = book(client, starts[0], "mover").json()
    book(client, starts[3], "other")
    url = f"/api/v1/appointments/{mine['code']}"
    r = client.post(f"{url}/reschedule", params={"token": mine["manage_token"]},
                    json={"start": starts[3]})  # fmt: skip
    assert r.status_code == 409
    assert client.get(url, params={"token": mine["manage_token"]}).json()["start"] == starts[0]


@pytest.mark.parametrize("token", ["", "wrong", "x" * 100])
def test_a_wrong_token_finds_nothing(client: TestClient, token: str) -> None:
    made = book(client, free_starts(client)[0], f"tok{len(token)}").json()
    r = client.get(f"/api/v1/appointments/{made['code']}", params={"token": token})
    assert r.status_code in (404, 422)
    r = client.delete(f"/api/v1/appointments/{made['code']}", params={"token": token})
    assert r.status_code in (404, 422)


def test_one_active_appointment_per_service_and_person(client: TestClient) -> None:
    starts = free_starts(client)
    assert book(client, starts[0], "twice").status_code == 201
    r = book(client, starts[-1], "twice")
    assert r.status_code == 429
    assert "schon ein Termin" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"services": []}, "services"),
        ({"services": ["no-such-service"]}, "nicht buchbar"),
        ({"location": "atlantis"}, "keinen buchbaren Standort"),
        ({"start": "2030-01-01T09:00:00"}, "Zeitzone"),
        ({"start": "morgen"}, "start"),
        ({"start": "2030-01-07T03:00:00+01:00"}, "keinen buchbaren Termin"),
        ({"name": ""}, "Namen"),
        ({"email": "kein-at"}, "E-Mail"),
        ({"phone": "call me"}, "Telefonnummer"),
        ({"extra": 1}, "extra"),
        ({"name": "x" * 5000}, "name"),
    ],
)
def test_bad_bookings_get_a_clear_422(
    client: TestClient, change: dict[str, Any], fragment: str
) -> None:
    body = {"services": [SERVICE], "location": LOCATION, "start": free_starts(client)[0],
            "name": "Erika", "email": "bad@example.de", **change}  # fmt: skip
    r = client.post("/api/v1/appointments", json=body)
    assert r.status_code in (404, 422)
    assert fragment in r.json()["error"]["message"]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"service": SERVICE, "location": LOCATION, "from": "2030-01-10", "to": "2030-01-01"},
        {"service": SERVICE, "location": LOCATION, "from": "gestern", "to": "2030-01-01"},
        {"service": SERVICE, "location": LOCATION, "from": "2030-01-01", "to": "2032-01-01"},
        {"service": "x" * 500, "location": LOCATION, "from": "2030-01-01", "to": "2030-01-02"},
    ],
)
def test_bad_slot_queries_get_a_clear_4xx(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/v1/slots", params=params)
    assert r.status_code == 422 and r.json()["error"]["message"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "services": st.one_of(st.lists(st.text(max_size=30), max_size=7), st.text()),
            "location": st.one_of(st.text(max_size=200), st.integers()),
            "start": st.one_of(st.text(max_size=40), st.datetimes().map(str)),
            "name": st.text(max_size=300),
            "email": st.text(max_size=300),
            "phone": st.one_of(st.none(), st.text(max_size=60)),
        },
    ),
    code=st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabc23456789-_ äöü'\"<>;:", max_size=20).filter(
        bool
    ),
)
def test_no_input_makes_the_api_fail(client: TestClient, body: dict[str, Any], code: str) -> None:
    assert client.post("/api/v1/appointments", json=body).status_code < 500
    assert client.get(f"/api/v1/appointments/{code}", params={"token": code}).status_code < 500
    assert client.post(f"/api/v1/appointments/{code}/reschedule", params={"token": "t"},
                       json={"start": body.get("start", "")}).status_code < 500  # fmt: skip


def test_the_request_rate_is_limited_per_client(module_url: str, tmp_path: Any) -> None:
    app = create_app(Settings(database_url=module_url, data_dir=tmp_path, rate_limit_per_minute=3,
                              worker="off"))  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as c:
        answers = [free_starts_status(c) for _ in range(5)]
    assert answers[:3] == [200, 200, 200] and answers[3:] == [429, 429]


def free_starts_status(client: TestClient) -> int:
    first = (datetime.now(UTC) + timedelta(days=5)).date()
    r = client.get("/api/v1/slots", params={"service": SERVICE, "location": LOCATION,
                                            "from": str(first), "to": str(first)})  # fmt: skip
    if r.status_code == 429:
        assert r.headers["Retry-After"] == "60" and r.json()["error"]["code"] == "limit_reached"
    return r.status_code


def test_rate_limits_off_lets_load_tests_through(client: TestClient) -> None:
    assert all(free_starts_status(client) == 200 for _ in range(40))
