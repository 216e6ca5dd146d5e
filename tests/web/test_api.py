"""The JSON API, exactly as other tools use it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from auskunft.app import create_app
from auskunft.core.config import Settings


@pytest.fixture(scope="module")
def client(catalog_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=catalog_url))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_search_returns_the_documented_object(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "Kfz zulassen", "municipality": "baunatal"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"q", "known", "results", "took_ms"}
    assert body["known"] is True
    first = body["results"][0]
    assert set(first) == {"id", "name", "score", "authority"}
    assert first["id"] == "fahrzeug-zulassen"
    assert first["authority"] == {
        "id": "lk-kassel-zulassung",
        "name": "Landkreis Kassel – Kfz-Zulassungsstelle",
    }


def test_search_limit_is_respected(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "beantragen", "limit": 3})
    assert len(r.json()["results"]) == 3


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 10_000},
        {"q": "Ausweis", "limit": "0"},
        {"q": "Ausweis", "limit": "abc"},
        {"q": "Ausweis", "limit": "1000"},
        {"q": "Ausweis", "municipality": "atlantis"},
        {"q": "Ausweis", "participant": "<script>"},
    ],
)
def test_bad_search_input_gets_a_clear_422(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/api/v1/search", params=params)
    assert r.status_code == 422
    assert r.json()["error"]["message"]


def test_a_service_comes_with_its_responsible_office(client: TestClient) -> None:
    r = client.get("/api/v1/services/fahrzeug-zulassen", params={"municipality": "herborn"})
    assert r.status_code == 200
    body = r.json()
    assert body["authority"]["id"] == "ldk-zulassung"
    assert body["documents"] and body["fees"] and body["description"]
    assert body["jurisdiction_note"] is None
    # How callers put it, for the agent too.
    assert len(body["questions"]) == 8 and all(isinstance(q, str) for q in body["questions"])


def test_a_service_without_office_in_the_catalog_says_so(client: TestClient) -> None:
    body = client.get("/api/v1/services/sperrmuell", params={"municipality": "baunatal"}).json()
    assert body["authority"] is None
    assert "nicht im Katalog" in body["jurisdiction_note"]


def test_the_default_municipality_is_kassel(client: TestClient) -> None:
    body = client.get("/api/v1/services/sperrmuell").json()
    assert body["authority"]["id"] == "stadtreiniger-kassel"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/services/gibt-es-nicht",
        "/api/v1/services/fahrzeug-zulassen?municipality=atlantis",
        "/api/v1/authorities/gibt-es-nicht",
        "/api/v1/nirgendwo",
    ],
)
def test_unknown_ids_get_a_clear_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["error"]["message"]


def test_an_authority_has_contact_data_and_hours(client: TestClient) -> None:
    body = client.get("/api/v1/authorities/kassel-servicecenter").json()
    assert body["address"]["city"] == "Kassel"
    assert body["opening_hours"]["mo"]
    assert "demo" in body


def test_a_service_history_lists_versions(client: TestClient) -> None:
    body = client.get("/api/v1/services/personalausweis-beantragen/history").json()
    assert body[0]["version"] == 1
    assert body[0]["changed_by"] == "import:demo"
    # The same ISO form with its UTC offset on SQLite (which keeps no zone) and PostgreSQL.
    assert body[0]["changed_at"].endswith("+00:00")


def test_every_answer_says_how_long_the_app_took(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "Reisepass"})
    timing = r.headers["server-timing"]
    assert timing.startswith("app;dur=")
    assert float(timing.split("=", 1)[1]) >= 0


def test_a_question_without_any_hit_is_not_known(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"q": "Kinoprogramm heute"}).json()
    assert body == {**body, "known": False, "results": []}
