"""The digital Rathaus (issue 15): drafts, four eyes, conflicts, versions and rollback,
partner editors, scheduled publication, bad input, and the content-gap loop, through the
JSON API on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.editorial.service import drafts, gaps
from tests.web.test_staff_login import PASSWORD, form_token, login

TOKENS: dict[str, str] = {}
SERVICE = "personalausweis-beantragen"


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        for name, role, participants in (
            ("ed-anna", "editor", ()),
            ("ed-ben", "editor", ()),
            ("ed-baunatal", "editor", ("stadt-baunatal",)),
            ("ed-super", "supervisor", ()),
            ("ed-agent", "agent", ()),
        ):
            create_user(uow, name, role, PASSWORD, now, participants=participants, offices=catalog)
            TOKENS[name] = create_api_token(uow, f"{name}-t", now, username=name)
        uow.commit()
    with TestClient(create_app(Settings(database_url=module_url))) as c:
        yield c


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def draft(client: TestClient, who: str, service: str = SERVICE) -> dict:
    r = client.get(f"/api/v1/services/{service}/draft", headers=as_(who))
    assert r.status_code == 200, r.text
    return r.json()


def put(client: TestClient, who: str, record: dict, service: str = SERVICE):
    return client.put(f"/api/v1/services/{service}/draft", json=record, headers=as_(who))


def search_ids(client: TestClient, q: str) -> list[str]:
    r = client.get("/api/v1/search", params={"q": q})
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["results"]]


def test_the_published_record_starts_a_draft_with_its_version(client: TestClient) -> None:
    record = draft(client, "ed-anna")
    assert record["state"] == "published" and record["published"] is True
    assert record["name"] == "Personalausweis beantragen"
    assert record["version"] >= 1
    assert all("text" in fee for fee in record["fees"])
    assert any(fee["amount_eur"] == 46.0 for fee in record["fees"])


def test_edit_review_approve_publish_and_the_search_finds_it(client: TestClient) -> None:
    record = draft(client, "ed-anna")
    assert "quetschkartenantrag" not in search_ids(client, "Quetschkartenantrag")
    record["keywords"] = [*record["keywords"], "Quetschkartenantrag"]
    record["summary"] = record["summary"] + " Neu: auch samstags."
    saved = put(client, "ed-anna", record)
    assert saved.status_code == 200, saved.text
    assert saved.json()["state"] == "draft"
    assert saved.json()["version"] == record["version"] + 1
    # Not published yet: the search does not know the word.
    assert SERVICE not in search_ids(client, "Quetschkartenantrag")
    r = client.post(f"/api/v1/services/{SERVICE}/draft/submit", headers=as_("ed-anna"))
    assert r.status_code == 200 and r.json()["state"] == "review"
    # The author may not approve the own change.
    r = client.post(f"/api/v1/services/{SERVICE}/draft/approve", headers=as_("ed-anna"))
    assert r.status_code == 403
    assert "Vier-Augen" in r.json()["error"]["message"]
    r = client.post(f"/api/v1/services/{SERVICE}/draft/approve", headers=as_("ed-ben"))
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "published"
    assert r.json()["version"] == saved.json()["version"]
    # Published: the search of this process finds it at once (the index was told).
    assert search_ids(client, "Quetschkartenantrag")[0] == SERVICE
    history = client.get(f"/api/v1/services/{SERVICE}/history", headers=as_("ed-ben")).json()
    newest = history[-1]
    assert newest["version"] == saved.json()["version"]
    assert newest["changed_by"] == "ed-anna" and newest["reviewed_by"] == "ed-ben"
    assert "keywords" in newest["changes"] and "summary" in newest["changes"]


def test_two_editors_on_one_service_the_second_gets_both_sides(client: TestClient) -> None:
    service = "reisepass-beantragen"
    first = draft(client, "ed-anna", service)
    second = copy.deepcopy(first)
    first["processing_time"] = "etwa 4 Wochen"
    assert put(client, "ed-anna", first, service).status_code == 200
    second["processing_time"] = "etwa 6 Wochen"
    r = put(client, "ed-ben", second, service)
    assert r.status_code == 409
    details = r.json()["error"]["details"]
    assert details["fields"]["processing_time"] == {
        "yours": "etwa 6 Wochen",
        "current": "etwa 4 Wochen",
    }
    assert details["changed_by"] == ["ed-anna"]
    # Nothing was lost: the first change stands, the second can be saved on top.
    current = draft(client, "ed-ben", service)
    assert current["processing_time"] == "etwa 4 Wochen"
    current["processing_time"] = "etwa 6 Wochen"
    assert put(client, "ed-ben", current, service).status_code == 200
    assert (
        client.delete(f"/api/v1/services/{service}/draft", headers=as_("ed-ben")).status_code == 204
    )


def test_a_partner_editor_changes_only_their_own_services(client: TestClient) -> None:
    r = client.get(f"/api/v1/services/{SERVICE}/draft", headers=as_("ed-baunatal"))
    assert r.status_code == 404  # another participant's service is not found
    record = draft(client, "ed-anna")
    record["participant"] = "stadt-baunatal"
    record["version"] = record["version"]
    body = {**record, "name": "Hundesteuer Baunatal anmelden", "id": "hundesteuer-baunatal"}
    body.pop("version")
    r = client.post("/api/v1/services", json=body, headers=as_("ed-baunatal"))
    assert r.status_code == 201, r.text
    assert r.json()["new"] is True and r.json()["state"] == "draft"
    body["id"] = "fremde-leistung"
    body["participant"] = "stadt-kassel"
    r = client.post("/api/v1/services", json=body, headers=as_("ed-baunatal"))
    assert r.status_code == 422
    assert "eigenen Teilnehmers" in r.json()["error"]["message"]
    # Agents have no editorial rights at all.
    r = client.get(f"/api/v1/services/{SERVICE}/draft", headers=as_("ed-agent"))
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"leika": "12345"}, "LeiKa"),
        ({"jurisdiction": [{"area": "atlantis", "authority": "kassel-buergerbuero"}]}, "Gebiet"),
        ({"jurisdiction": [{"area": "kassel", "authority": "nirgendwo"}]}, "Behörde"),
        ({"fees": [{"text": "Gebühr nach Aufwand"}]}, "Betrag"),
        ({"description": "x" * 1_000_000}, "zu lang"),
        ({"online_service": "javascript:alert(1)"}, "https"),
        ({"topic": "gibt-es-nicht"}, "Thema"),
    ],
)
def test_bad_records_are_refused_with_the_field_named(
    client: TestClient, change: dict, word: str
) -> None:
    record = draft(client, "ed-anna", "geburtsurkunde")
    r = put(client, "ed-anna", {**record, **change}, "geburtsurkunde")
    assert r.status_code == 422, r.text
    assert word in r.json()["error"]["message"]
    # Nothing half stored: no draft was opened.
    assert draft(client, "ed-anna", "geburtsurkunde")["state"] == "published"


def test_script_and_event_handlers_are_removed_from_texts(client: TestClient) -> None:
    service = "geburtsurkunde"
    record = draft(client, "ed-anna", service)
    record["description"] = (
        'Hallo <script>alert("x")</script><b onclick="steal()">Welt</b>\n\n- **Liste**'
    )
    record["keywords"] = ['<img src=x onerror="alert(1)">Urkunde Kind']
    r = put(client, "ed-anna", record, service)
    assert r.status_code == 200, r.text
    stored = r.json()
    assert stored["description"] == "Hallo Welt\n\n- **Liste**"
    assert stored["keywords"][-1] == "Urkunde Kind"
    assert (
        client.delete(f"/api/v1/services/{service}/draft", headers=as_("ed-anna")).status_code
        == 204
    )


def test_scheduled_publication_and_a_date_in_the_past(client: TestClient, module_url: str) -> None:
    service = "reisepass-kinder"
    record = draft(client, "ed-anna", service)
    record["processing_time"] = "sofort"
    assert put(client, "ed-anna", record, service).status_code == 200
    client.post(f"/api/v1/services/{service}/draft/submit", headers=as_("ed-anna"))
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = client.post(
        f"/api/v1/services/{service}/draft/approve",
        json={"publish_at": past},
        headers=as_("ed-ben"),
    )
    assert r.status_code == 422 and "Vergangenheit" in r.json()["error"]["message"]
    later = datetime.now(UTC) + timedelta(hours=2)
    r = client.post(
        f"/api/v1/services/{service}/draft/approve",
        json={"publish_at": later.isoformat()},
        headers=as_("ed-ben"),
    )
    assert r.status_code == 200 and r.json()["state"] == "scheduled"
    with UnitOfWork(get_engine(module_url)) as uow:
        assert drafts.publish_due(uow, datetime.now(UTC)) == []
        assert drafts.publish_due(uow, later + timedelta(minutes=1)) == [service]
        uow.commit()
    shown = draft(client, "ed-anna", service)
    assert shown["state"] == "published" and shown["processing_time"] == "sofort"


def test_roll_back_to_an_earlier_version_as_a_new_version(client: TestClient) -> None:
    service = "wohnsitz-anmelden"
    first = draft(client, "ed-anna", service)
    original = first["processing_time"]
    first["processing_time"] = "falsch eingetragen"
    put(client, "ed-anna", first, service)
    client.post(f"/api/v1/services/{service}/draft/submit", headers=as_("ed-anna"))
    published = client.post(f"/api/v1/services/{service}/draft/approve", headers=as_("ed-ben"))
    assert published.status_code == 200, published.text
    history = client.get(f"/api/v1/services/{service}/history", headers=as_("ed-anna")).json()
    assert history[-1]["restorable"]
    r = client.post(
        f"/api/v1/services/{service}/history/{history[-1]['version']}/restore",
        headers=as_("ed-anna"),
    )
    assert r.status_code == 200  # the newest version itself can be opened again
    client.delete(f"/api/v1/services/{service}/draft", headers=as_("ed-anna"))
    # The version before the edit was an import without a full record: the edit's own
    # record is restorable, and a fresh edit back to the original goes through review.
    back = draft(client, "ed-ben", service)
    back["processing_time"] = original
    put(client, "ed-ben", back, service)
    client.post(f"/api/v1/services/{service}/draft/submit", headers=as_("ed-ben"))
    done = client.post(f"/api/v1/services/{service}/draft/approve", headers=as_("ed-anna"))
    assert done.json()["processing_time"] == original
    r = client.post(
        f"/api/v1/services/{service}/history/{history[-1]['version']}/restore",
        headers=as_("ed-anna"),
    )
    assert r.status_code == 200
    assert r.json()["processing_time"] == "falsch eingetragen"
    assert r.json()["version"] > done.json()["version"]
    client.delete(f"/api/v1/services/{service}/draft", headers=as_("ed-anna"))


def test_unpublished_services_leave_the_search_and_the_portal(client: TestClient) -> None:
    service = "fuehrungszeugnis"
    assert service in search_ids(client, "Führungszeugnis")
    r = client.post(f"/api/v1/services/{service}/unpublish", headers=as_("ed-super"))
    assert r.status_code == 200 and r.json()["published"] is False
    assert service not in search_ids(client, "Führungszeugnis")
    assert client.get(f"/leistungen/{service}").status_code == 404
    r = client.post(f"/api/v1/services/{service}/republish", headers=as_("ed-super"))
    assert r.status_code == 200
    assert service in search_ids(client, "Führungszeugnis")


def test_the_gap_loop_from_unfound_question_to_found_keyword(
    client: TestClient, module_url: str
) -> None:
    question = "Knöllchenautomat kaputt"
    for visitor in range(4):
        page = client.get(
            "/suche", params={"q": question}, headers={"User-Agent": f"visitor-{visitor}"}
        )
        assert page.status_code == 200
    rare = "Meier Hans Geburtstag"
    client.get("/suche", params={"q": rare}, headers={"User-Agent": "visitor-9"})
    with UnitOfWork(get_engine(module_url)) as uow:  # half an hour later
        gaps.fold(uow, datetime.now(UTC) + timedelta(minutes=31))
        uow.commit()
    listed = client.get("/api/v1/editorial/gaps", headers=as_("ed-anna")).json()
    shown = {g["query"]: g for g in listed["gaps"]}
    assert "knöllchenautomat kaputt" in shown, listed
    gap = shown["knöllchenautomat kaputt"]
    assert gap["count"] == 4 and gap["sessions"] == 4
    assert gap["reason"] in ("no_result", "not_opened")
    assert "meier hans geburtstag" not in shown  # fewer than 3 sessions: only counted
    assert listed["rare_queries"] >= 1
    service = "bewohnerparkausweis"
    r = client.post(
        f"/api/v1/editorial/gaps/{gap['id']}/take-up",
        json={"service": service, "as": "keyword"},
        headers=as_("ed-anna"),
    )
    assert r.status_code == 200, r.text
    assert "knöllchenautomat kaputt" in r.json()["keywords"]
    client.post(f"/api/v1/services/{service}/draft/submit", headers=as_("ed-anna"))
    assert (
        client.post(f"/api/v1/services/{service}/draft/approve", headers=as_("ed-ben")).status_code
        == 200
    )
    listed = client.get("/api/v1/editorial/gaps", headers=as_("ed-anna")).json()
    gap = next(g for g in listed["gaps"] if g["query"] == "knöllchenautomat kaputt")
    assert gap["service_id"] == service and gap["finds_service"] is True
    with UnitOfWork(get_engine(module_url)) as uow:
        assert gaps.forget(uow, datetime.now(UTC) + timedelta(days=91)) >= 2
        uow.commit()
    assert client.get("/api/v1/editorial/gaps", headers=as_("ed-anna")).json()["gaps"] == []


def test_an_opened_result_is_no_gap_and_unanswered_desk_questions_are(
    client: TestClient, module_url: str
) -> None:
    question = "Reisepass verlängern Kind"
    for visitor in range(3):
        agent = {"User-Agent": f"opener-{visitor}"}
        assert client.get("/suche", params={"q": question}, headers=agent).status_code == 200
        referrer = "http://testserver/suche?" + urlencode({"q": question})
        page = client.get("/leistungen/reisepass-kinder", headers={**agent, "Referer": referrer})
        assert page.status_code == 200
    with UnitOfWork(get_engine(module_url)) as uow:
        gaps.fold(uow, datetime.now(UTC) + timedelta(minutes=31))
        uow.commit()
    listed = client.get("/api/v1/editorial/gaps", headers=as_("ed-anna")).json()
    assert "reisepass verlängern kind" not in {g["query"] for g in listed["gaps"]}
    # The desk: three calls about a thing the catalog has no answer to, forwarded.
    with TestClient(client.app) as agent:
        assert login(agent, "ed-agent").status_code in (200, 303)
        for _ in range(3):
            desk = agent.get("/desk")
            r = agent.post(
                "/desk/kontakt",
                data={
                    "csrf": form_token(desk.text),
                    "channel": "115",
                    "outcome": "forwarded",
                    "query": "Schwanenpatenschaft Fulda",
                    "started": (datetime.now(UTC) - timedelta(minutes=2)).isoformat(),
                },
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
    listed = client.get(
        "/api/v1/editorial/gaps", params={"channel": "desk"}, headers=as_("ed-anna")
    ).json()
    gap = next(g for g in listed["gaps"] if g["query"] == "schwanenpatenschaft fulda")
    assert gap == {**gap, "channel": "desk", "reason": "unanswered", "count": 3, "sessions": 3}


def test_freshness_stale_list_and_reviewed_unchanged(client: TestClient) -> None:
    service = "meldebescheinigung"
    stale = client.get(
        "/api/v1/editorial/services", params={"state": "stale"}, headers=as_("ed-anna")
    )
    assert stale.status_code == 200
    before = {e["id"]: e for e in stale.json()}
    r = client.post(f"/api/v1/services/{service}/reviewed", headers=as_("ed-anna"))
    assert r.status_code == 200
    assert r.json()["last_reviewed"] == datetime.now(UTC).astimezone(BERLIN).date().isoformat()
    after = client.get(
        "/api/v1/editorial/services", params={"state": "stale"}, headers=as_("ed-anna")
    ).json()
    assert service not in {e["id"] for e in after}
    everything = client.get("/api/v1/editorial/services", headers=as_("ed-anna")).json()
    entry = next(e for e in everything if e["id"] == service)
    assert entry["stale"] is False and entry["review_due"] > entry["last_reviewed"]
    assert len(before) <= len(everything)
    # A partner's editor sees only their participant's services.
    theirs = client.get("/api/v1/editorial/services", headers=as_("ed-baunatal")).json()
    assert {e["participant"] for e in theirs} <= {"stadt-baunatal"}
    r = client.get("/api/v1/editorial/services", params={"state": "kaputt"}, headers=as_("ed-anna"))
    assert r.status_code == 422


def test_service_pages_carry_json_ld_and_say_where_a_text_is_only_german(
    client: TestClient,
) -> None:
    import json
    import re as regex

    page = client.get(f"/leistungen/{SERVICE}")
    found = regex.search(r'<script type="application/ld\+json">(.*?)</script>', page.text)
    assert found, "no JSON-LD"
    data = json.loads(found.group(1))
    assert data["@type"] == "GovernmentService"
    assert data["name"] == "Personalausweis beantragen"
    assert data["provider"]["@type"] == "GovernmentOrganization"
    assert data["areaServed"]["name"]
    assert any(
        c.get("servicePhone", {}).get("telephone") == "115" for c in data["availableChannel"]
    )
    # English: the English summary where written; the German description marked as such.
    english = client.get(f"/leistungen/{SERVICE}", params={"lang": "en"}).text
    assert "This text exists only in German." in english
    assert 'lang="de"' in english
    record = draft(client, "ed-anna")
    record["description_en"] = "You apply **in person** at the citizens' office."
    assert put(client, "ed-anna", record).status_code == 200
    client.post(f"/api/v1/services/{SERVICE}/draft/submit", headers=as_("ed-anna"))
    assert (
        client.post(f"/api/v1/services/{SERVICE}/draft/approve", headers=as_("ed-ben")).status_code
        == 200
    )
    english = client.get(f"/leistungen/{SERVICE}", params={"lang": "en"}).text
    assert "This text exists only in German." not in english
    assert "<strong>in person</strong>" in english


def test_the_worker_computes_the_vectors_of_a_published_change(
    client: TestClient, module_url: str
) -> None:
    from sqlalchemy import select

    from auskunft.catalog.service import reads
    from auskunft.core.jobs.tables import Job
    from auskunft.core.jobs.worker import run_due
    from auskunft.search.model import dense
    from auskunft.search.service.embeddings import EMBED_JOB, ensure_vectors, service_texts

    service = "meldebescheinigung"
    record = draft(client, "ed-anna", service)
    record["summary"] = record["summary"] + " Auch als Online-Dienst mit dem Ausweis."
    put(client, "ed-anna", record, service)
    client.post(f"/api/v1/services/{service}/draft/submit", headers=as_("ed-anna"))
    assert (
        client.post(f"/api/v1/services/{service}/draft/approve", headers=as_("ed-ben")).status_code
        == 200
    )
    engine = get_engine(module_url)
    with UnitOfWork(engine) as uow:
        kinds = uow.session.scalars(select(Job.kind).where(Job.kind == EMBED_JOB)).all()
    assert kinds, "the publication asks the worker for the vectors"
    if not dense.enabled():
        pytest.skip("no dense model installed")
    run_due(engine, Settings(database_url=module_url))  # what `auskunft worker` does
    with UnitOfWork(engine) as uow:
        row = reads.service(uow, service)
        assert ensure_vectors(uow, service_texts([row]), max_compute=0) is not None
