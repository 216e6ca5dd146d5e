"""Open311 GeoReport v2 on top of the concerns: discovery, the services that take reports,
reports in with an API key (form-encoded and JSON), reports out with the specification's
filters, errors in GeoReport's format, and never a reporter's name or contact; on SQLite and
PostgreSQL."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.forwarding.model import tracking
from auskunft.forwarding.model.concern import (
    Citizen,
    report_place,
    report_question,
    split_place,
    split_question,
)
from auskunft.forwarding.service import concerns
from auskunft.forwarding.tables import Concern
from auskunft.search.service.engine import SearchEngine
from tests.web.test_staff_login import PASSWORD

BASE = "/open311/v2"
TOKENS: dict[str, str] = {}
URL: dict[str, str] = {}
USERS: dict[str, int] = {}
REPORT_SERVICES = ["illegaler-muell", "sperrmuell", "strassenschaden-melden", "winterdienst"]
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    URL["db"] = module_url
    with UnitOfWork(get_engine(module_url)) as uow:
        USERS["o-agent"] = create_user(uow, "o-agent", "agent", PASSWORD, now).id
        USERS["o-reiniger"] = create_user(
            uow,
            "o-reiniger",
            "clerk",
            PASSWORD,
            now,
            authorities=["stadtreiniger-kassel"],
            offices=catalog,
        ).id
        for name in ("o-agent", "o-reiniger"):
            TOKENS[name] = create_api_token(uow, f"{name}-t", now, username=name)
        TOKENS["machine"] = create_api_token(uow, "o-fixmystreet", now)
        uow.commit()
    with TestClient(
        create_app(Settings(database_url=module_url, worker="off", rate_limits="off"))
    ) as c:
        yield c


def report(**overrides: str) -> dict[str, str]:
    fields = {
        "api_key": TOKENS["machine"],
        "service_code": "illegaler-muell",
        "lat": "51.3212741",
        "long": "9.497312",
        "address_string": "Holländische Straße 120, Kassel",
        "description": "Drei Matratzen und Müllsäcke neben dem Glascontainer.",
    }
    fields.update(overrides)
    return {k: v for k, v in fields.items() if v != ""}


def send(client: TestClient, **overrides: str) -> str:
    """Send a report form-encoded; its service_request_id."""
    answer = client.post(f"{BASE}/requests.json", data=report(**overrides))
    assert answer.status_code == 201, answer.text
    return str(answer.json()[0]["service_request_id"])


def stored(code: str) -> Concern:
    with UnitOfWork(get_engine(URL["db"])) as uow:
        row = uow.session.scalars(
            select(Concern).where(Concern.tracking_code == tracking.normalize(code))
        ).one()
        uow.session.expunge(row)
    return row


def count() -> int:
    with UnitOfWork(get_engine(URL["db"])) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Concern)) or 0)


def listed(client: TestClient, **params: str) -> list[dict[str, Any]]:
    answer = client.get(f"{BASE}/requests.json", params=params)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def assert_error(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == status
    german, english = body[0]["description"].split(" / ", 1)
    assert german and english
    return str(body[0]["description"])


def test_discovery_names_the_endpoint_and_its_formats(client: TestClient) -> None:
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["changeset"] and body["contact"] and body["key_service"]
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"application/json", "text/xml"}
    assert endpoint["type"] in ("production", "test")
    xml = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert xml.tag == "discovery"
    assert [f.text for f in xml.iter("format")] == endpoint["formats"]


def test_services_are_the_catalogs_report_services(client: TestClient) -> None:
    answer = client.get(f"{BASE}/services.json")
    assert answer.status_code == 200
    services = answer.json()
    assert [s["service_code"] for s in services] == REPORT_SERVICES
    for service in services:
        assert set(service) == SERVICE_FIELDS
        assert service["type"] == "realtime" and service["metadata"] is False
        assert service["service_name"] and service["description"] and service["group"]
    dumping = services[0]
    assert dumping["service_name"] == "Illegale Abfallablagerung melden"
    assert dumping["group"] == "Sauberkeit und Abfall"
    assert "Müllablagerung" in dumping["keywords"]
    xml = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert xml.tag == "services"
    assert [s.findtext("service_code") for s in xml.findall("service")] == REPORT_SERVICES
    assert xml.find("service/metadata") is not None
    assert xml.findtext("service/metadata") == "false"


def test_a_service_definition_has_no_attributes(client: TestClient) -> None:
    answer = client.get(f"{BASE}/services/sperrmuell.json")
    assert answer.status_code == 200
    assert answer.json() == {"service_code": "sperrmuell", "attributes": []}
    xml = ET.fromstring(client.get(f"{BASE}/services/sperrmuell.xml").content)
    assert xml.tag == "service_definition" and xml.findtext("service_code") == "sperrmuell"
    # A catalog service that takes no reports, an unknown one, an unknown format.
    assert_error(client.get(f"{BASE}/services/personalausweis-beantragen.json"), 404)
    assert_error(client.get(f"{BASE}/services/gibt-es-nicht.json"), 404)
    assert_error(client.get(f"{BASE}/services.csv"), 404)


def test_a_report_form_encoded_becomes_an_anonymous_concern_of_the_office(
    client: TestClient,
) -> None:
    answer = client.post(f"{BASE}/requests.json", data=report())
    assert answer.status_code == 201, answer.text
    (created,) = answer.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert created["account_id"] is None
    code = created["service_request_id"]
    assert tracking.normalize(code) is not None and code == tracking.shown(tracking.normalize(code))
    assert "Die Stadtreiniger Kassel" in created["service_notice"]
    assert " / " in created["service_notice"]
    row = stored(code)
    assert row.source == "open311" and row.channel == "web"
    assert row.service_id == "illegaler-muell" and row.municipality == "kassel"
    assert row.authority_id == "stadtreiniger-kassel"
    assert row.created_by is None  # a machine token is nobody's
    assert row.citizen_name == "Anonym" and row.citizen_email == "" and row.citizen_phone == ""
    assert row.address == "Holländische Straße 120, Kassel geo:51.321274,9.497312"
    assert row.question.startswith("Drei Matratzen")
    assert row.due_at is not None and row.consent_at is not None


def test_a_report_with_a_personal_token_json_and_contact(client: TestClient) -> None:
    answer = client.post(
        f"{BASE}/requests.json",
        json={
            "api_key": TOKENS["o-agent"],
            "service_code": "strassenschaden-melden",
            "lat": 51.3127,
            "long": 9.4797,
            "description": "Tiefes Schlagloch auf dem Radweg.",
            "email": "melder@example.org",
            "first_name": "Max",
            "last_name": "Melder",
            "media_url": "https://fotos.example.org/schlagloch.jpg",
        },
    )
    assert answer.status_code == 201, answer.text
    row = stored(answer.json()[0]["service_request_id"])
    assert row.created_by == USERS["o-agent"]
    assert row.authority_id == "kassel-tiefbau"
    assert row.citizen_name == "Max Melder" and row.citizen_email == "melder@example.org"
    assert row.preferred == "email"
    assert row.address == "geo:51.3127,9.4797"
    assert row.question.endswith("Foto: https://fotos.example.org/schlagloch.jpg")


def test_a_report_in_xml(client: TestClient) -> None:
    answer = client.post(f"{BASE}/requests.xml", data=report(service_code="winterdienst"))
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    xml = ET.fromstring(answer.content)
    assert xml.tag == "service_requests"
    code = xml.findtext("request/service_request_id")
    assert code and stored(code).service_id == "winterdienst"
    assert xml.find("request/account_id") is not None


@pytest.mark.parametrize("key", [None, "", "kein-gueltiger-schluessel"])
def test_without_a_live_key_nothing_is_taken(client: TestClient, key: str | None) -> None:
    before = count()
    fields = report()
    if key is None:
        del fields["api_key"]
    else:
        fields["api_key"] = key
    description = assert_error(client.post(f"{BASE}/requests.json", data=fields), 403)
    assert "api_key" in description
    assert count() == before
    xml = client.post(f"{BASE}/requests.xml", data=fields)
    assert xml.status_code == 403
    errors = ET.fromstring(xml.content)
    assert errors.tag == "errors" and errors.findtext("error/code") == "403"


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"service_code": "gibt-es-nicht"}, 404),
        ({"service_code": "personalausweis-beantragen"}, 404),
        ({"service_code": ""}, 400),
        ({"lat": "", "long": "", "address_string": ""}, 400),
        ({"long": "", "address_string": ""}, 400),
        ({"lat": "91"}, 400),
        ({"long": "nan"}, 400),
        ({"lat": "Kassel"}, 400),
        ({"email": "kein-at"}, 400),
        ({"phone": "0561"}, 400),
        ({"description": "x" * 4001}, 400),
        ({"media_url": "javascript:alert(1)"}, 400),
        ({"jurisdiction_id": "atlantis"}, 400),
        ({"address_string": "Straße " * 60}, 400),
    ],
)
def test_bad_reports_are_refused_whole(
    client: TestClient, change: dict[str, str], status: int
) -> None:
    before = count()
    fields = report()
    for key, value in change.items():
        if value:
            fields[key] = value
        else:
            fields.pop(key, None)
    assert_error(client.post(f"{BASE}/requests.json", data=fields), status)
    assert count() == before


def test_a_bad_json_body_is_refused(client: TestClient) -> None:
    assert_error(
        client.post(
            f"{BASE}/requests.json",
            content=b"[1, 2]",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )
    assert_error(
        client.post(
            f"{BASE}/requests.json",
            json={"api_key": TOKENS["machine"], "service_code": {"nested": True}},
        ),
        400,
    )


def test_open_and_closed_after_the_office_answers(client: TestClient) -> None:
    answered = send(client, description="Sperrmüll liegt seit einer Woche am Gehweg.")
    waiting = send(client, description="Bauschutt im Wald hinter dem Sportplatz.")
    row = stored(answered)
    office = {"Authorization": f"Bearer {TOKENS['o-reiniger']}"}
    # An anonymous report can be answered neither by mail nor by phone: only in public.
    for via in ("email", "phone"):
        refused = client.post(
            f"/api/v1/concerns/{row.id}/answer",
            json={"text": "Erledigt.", "via": via},
            headers=office,
        )
        assert refused.status_code == 422 and "public" in refused.json()["error"]["message"]
    taken = client.post(
        f"/api/v1/concerns/{row.id}/answer",
        json={"text": "Der Sperrmüll wurde heute abgeholt.", "via": "public"},
        headers=office,
    )
    assert taken.status_code == 200, taken.text
    closed = {r["service_request_id"]: r for r in listed(client, status="closed")}
    opened = {r["service_request_id"]: r for r in listed(client, status="open")}
    assert answered in closed and answered not in opened
    assert waiting in opened and waiting not in closed
    assert closed[answered]["status"] == "closed"
    assert closed[answered]["status_notes"] == "Der Sperrmüll wurde heute abgeholt."
    page = client.get(f"/anliegen/{answered}")
    assert 'id="tracking-answer">Der Sperrmüll wurde heute abgeholt.' in page.text
    assert opened[waiting]["status"] == "open" and opened[waiting]["status_notes"] is None
    both = {r["service_request_id"] for r in listed(client, status="open,closed")}
    assert {answered, waiting} <= both
    assert_error(client.get(f"{BASE}/requests.json", params={"status": "erledigt"}), 400)


def test_filters_by_service_and_time_received(client: TestClient) -> None:
    old = send(client, service_code="sperrmuell", description="Alter Schrank am Straßenrand.")
    fresh = send(client, service_code="sperrmuell", description="Ein Sofa am Straßenrand.")
    ten_days_ago = datetime.now(UTC) - timedelta(days=10)
    with UnitOfWork(get_engine(URL["db"])) as uow:
        uow.session.execute(
            update(Concern)
            .where(Concern.tracking_code == tracking.normalize(old))
            .values(received_at=ten_days_ago)
        )
        uow.commit()
    window = {
        "start_date": (ten_days_ago - timedelta(days=1)).isoformat(),
        "end_date": (ten_days_ago + timedelta(days=1)).isoformat(),
    }
    found = [r["service_request_id"] for r in listed(client, **window)]
    assert old in found and fresh not in found
    recent = [
        r["service_request_id"]
        for r in listed(client, start_date=datetime.now(UTC).date().isoformat())
    ]
    assert fresh in recent and old not in recent
    by_service = listed(client, service_code="sperrmuell")
    assert {r["service_code"] for r in by_service} == {"sperrmuell"}
    assert {old, fresh} <= {r["service_request_id"] for r in by_service}
    assert listed(client, service_code="winterdienst,gibt-es-nicht") != []
    assert all(
        r["service_code"] == "winterdienst" for r in listed(client, service_code="winterdienst")
    )
    # Newest first.
    stamps = [r["requested_datetime"] for r in listed(client)]
    assert stamps == sorted(stamps, reverse=True)
    for params in (
        {"start_date": "2026-01-01", "end_date": "2026-06-01"},  # more than 90 days
        {"start_date": "2026-06-01", "end_date": "2026-05-01"},  # backwards
        {"start_date": "gestern"},
    ):
        assert_error(client.get(f"{BASE}/requests.json", params=params), 400)


def test_service_request_ids_override_the_other_filters(client: TestClient) -> None:
    first = send(client)
    second = send(client, service_code="winterdienst")
    found = listed(
        client,
        service_request_id=f"{first}, {second.replace('-', '').lower()},UNSINN",
        status="closed",
        service_code="sperrmuell",
    )
    assert {r["service_request_id"] for r in found} == {first, second}


def test_one_request_by_its_id(client: TestClient) -> None:
    code = send(client, description="Autoreifen im Gebüsch.")
    answer = client.get(f"{BASE}/requests/{code}.json")
    assert answer.status_code == 200
    (found,) = answer.json()
    assert set(found) == REQUEST_FIELDS
    assert found["service_request_id"] == code and found["status"] == "open"
    assert found["service_code"] == "illegaler-muell"
    assert found["service_name"] == "Illegale Abfallablagerung melden"
    assert found["agency_responsible"] == "Die Stadtreiniger Kassel"
    assert found["description"] == "Autoreifen im Gebüsch."
    assert found["lat"] == pytest.approx(51.321274) and found["long"] == pytest.approx(9.497312)
    assert found["address"] == "Holländische Straße 120, Kassel"
    assert found["address_id"] is None and found["zipcode"] is None
    assert found["media_url"] is None and found["status_notes"] is None
    requested = datetime.fromisoformat(found["requested_datetime"])
    expected = datetime.fromisoformat(found["expected_datetime"])
    assert requested.utcoffset() is not None and expected > requested
    assert datetime.fromisoformat(found["updated_datetime"]) >= requested
    xml = ET.fromstring(client.get(f"{BASE}/requests/{code}.xml").content)
    assert xml.tag == "service_requests" and xml.findtext("request/service_request_id") == code
    assert_error(client.get(f"{BASE}/requests/UNSINN.json"), 404)


def test_other_concerns_and_personal_data_never_show(client: TestClient) -> None:
    code = send(
        client,
        first_name="Erika",
        last_name="Mustermann",
        email="erika@example.org",
        phone="0561 7654321",
        media_url="https://fotos.example.org/muell.jpg",
    )
    row = stored(code)
    assert row.citizen_email == "erika@example.org" and row.citizen_phone == "0561 7654321"
    # A concern of the desk, with its own tracking code, is no report.
    desk = client.post(
        "/api/v1/concerns",
        json={
            "question": "Geheime Frage zur Zulassung",
            "service": "fahrzeug-zulassen",
            "municipality": "kassel",
            "channel": "115",
            "citizen": {"name": "Otto Normal", "email": "otto@example.org"},
            "consent": True,
        },
        headers={"Authorization": f"Bearer {TOKENS['o-agent']}"},
    )
    assert desk.status_code == 201, desk.text
    desk_code = stored(desk.json()["tracking_code"]).tracking_code
    assert_error(client.get(f"{BASE}/requests/{desk_code}.json"), 404)
    assert listed(client, service_request_id=desk_code) == []
    for path in ("requests.json", "requests.xml", f"requests/{code}.json"):
        text = client.get(f"{BASE}/{path}").text
        for secret in ("Erika", "Mustermann", "erika@", "7654321", "Otto", "Geheime Frage"):
            assert secret not in text, (path, secret)
    (found,) = client.get(f"{BASE}/requests/{code}.json").json()
    assert found["media_url"] == "https://fotos.example.org/muell.jpg"
    assert "Foto" not in found["description"]


def test_anything_else_is_answered_in_georeport_form(client: TestClient) -> None:
    assert_error(client.get(f"{BASE}/nirgendwo.json"), 404)
    assert_error(client.put(f"{BASE}/requests.json"), 405)
    assert_error(client.post(f"{BASE}/services.json"), 405)


def test_only_open311_may_take_a_report_without_contact_details(client: TestClient) -> None:
    engine = get_engine(URL["db"])
    draft = concerns.NewConcern(
        question="Müll am Ufer.",
        channel="web",
        citizen=Citizen(name="Anonym"),
        consent=True,
        service_id="illegaler-muell",
        municipality="kassel",
        source="api",
        anonymous_report=True,
    )
    policy = concerns.Policy.from_settings(Settings(database_url=URL["db"]))
    jurisdiction = SearchEngine(engine).snapshot().jurisdiction
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput):
        concerns.create(uow, jurisdiction, policy, draft, login=None, now=datetime.now(UTC))
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput):
        concerns.create(
            uow,
            jurisdiction,
            policy,
            replace(draft, source="open311", anonymous_report=False),
            login=None,
            now=datetime.now(UTC),
        )


@pytest.mark.parametrize(
    ("address", "lat", "long"),
    [
        ("Holländische Straße 120", 51.3212741, 9.4973105),
        ("", -33.8688, 151.2093),
        ("Am Markt 1", None, None),
        ("Ecke geo:weg", None, None),
    ],
)
def test_the_place_and_the_photo_come_back_as_they_went_in(
    address: str, lat: float | None, long: float | None
) -> None:
    back, back_lat, back_long = split_place(report_place(address, lat, long))
    assert back == address
    assert back_lat == (round(lat, 6) if lat is not None else None)
    assert back_long == (round(long, 6) if long is not None else None)
    text = report_question("Müll am Ufer.", "https://x.example/a.jpg")
    assert split_question(text) == ("Müll am Ufer.", "https://x.example/a.jpg")
    assert split_question("Nur Text.") == ("Nur Text.", None)
