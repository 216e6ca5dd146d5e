"""The link checker's page `/redaktion/links` and its JSON API: who sees what (editors and
supervisors; a partner's editor only the partner's services), the German and English page,
and "Jetzt prüfen" as a job for the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs import tables as job_tables
from auskunft.links import tables as t
from auskunft.links.service.rounds import JOB, link_id
from tests.web.test_staff_login import form_token, login

SERVICE = "personalausweis-beantragen"  # the City of Kassel's
PARTNER = "stadtreiniger-kassel"
TOKENS: dict[str, str] = {}
SINCE = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
DEAD = "https://www.kassel.example/formulare/personalausweis-alt.pdf"
PARTNER_DEAD = "https://www.stadtreiniger.example/sperrmuell-online"
REFUSED = "http://10.20.30.40/intranet/formular"
WORKS = "https://www.kassel.example/online"


def _link(url: str, state: str, uses: list[dict[str, str]], **values: object) -> t.LinkCheck:
    return t.LinkCheck(
        id=link_id(url),
        url=url,
        uses=uses,
        state=state,
        reason=values.get("reason", ""),
        status_code=values.get("status_code"),
        detail=values.get("detail", ""),
        failures=2 if state == "dead" else 0,
        first_failed_at=SINCE if state != "ok" else None,
        last_checked_at=SINCE + timedelta(days=5),
        next_check_at=SINCE + timedelta(days=6),
        created_at=SINCE - timedelta(days=30),
    )


@pytest.fixture(scope="module")
def partner_service(module_url: str) -> str:
    with UnitOfWork(get_engine(module_url)) as uow:
        return catalog.services(uow, PARTNER)[0].id


@pytest.fixture(scope="module")
def client(module_url: str, partner_service: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        for name, role, participants in (
            ("ln-editor", "editor", ()),
            ("ln-partner", "editor", (PARTNER,)),
            ("ln-super", "supervisor", ()),
            ("ln-agent", "agent", ()),
            ("ln-admin", "admin", ()),
        ):
            create_user(uow, name, role, "correct horse battery staple", now,
                        participants=participants, offices=catalog)  # fmt: skip
            TOKENS[name] = create_api_token(uow, f"{name}-t", now, username=name)
        form = {"service": SERVICE, "where": "form", "title": "Antrag (alt)"}
        online = {"service": SERVICE, "where": "online_service", "title": ""}
        uow.session.add_all(
            [
                _link(DEAD, "dead", [form], reason="http", status_code=404),
                _link(
                    PARTNER_DEAD,
                    "dead",
                    [{"service": partner_service, "where": "online_service", "title": ""}],
                    reason="timeout",
                ),
                _link(REFUSED, "refused", [form], reason="private", detail="10.20.30.40"),
                _link(WORKS, "ok", [online], status_code=200),
            ]
        )
        uow.commit()
    with TestClient(create_app(Settings(database_url=module_url))) as c:
        yield c


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def _queued(url: str) -> int:
    with UnitOfWork(get_engine(url)) as uow:
        query = select(func.count()).where(
            job_tables.Job.kind == JOB, job_tables.Job.status == "queued"
        )
        return int(uow.session.scalar(query) or 0)


def test_editors_get_the_dead_links_with_the_services_that_carry_them(
    client: TestClient, partner_service: str
) -> None:
    r = client.get("/api/v1/editorial/links", params={"state": "dead"}, headers=as_("ln-editor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [link["url"] for link in body["links"]] == [DEAD, PARTNER_DEAD]
    first = body["links"][0]
    assert first["status_code"] == 404 and first["reason"] == "http"
    assert first["since"].startswith("2026-12-01T09:30")
    assert first["uses"] == [
        {
            "service": SERVICE,
            "name": "Personalausweis beantragen",
            "participant": "stadt-kassel",
            "where": "form",
            "title": "Antrag (alt)",
        }
    ]
    assert body["counts"] == {"dead": 2, "refused": 1, "failing": 0, "unchecked": 0, "ok": 1}
    every = client.get("/api/v1/editorial/links", headers=as_("ln-super")).json()
    assert {link["url"] for link in every["links"]} == {DEAD, PARTNER_DEAD, REFUSED, WORKS}
    refused = client.get(
        "/api/v1/editorial/links", params={"state": "refused"}, headers=as_("ln-super")
    ).json()
    assert [link["url"] for link in refused["links"]] == [REFUSED]


def test_a_partners_editor_sees_only_the_partners_links(
    client: TestClient, partner_service: str
) -> None:
    r = client.get("/api/v1/editorial/links", headers=as_("ln-partner"))
    assert r.status_code == 200
    links = r.json()["links"]
    assert [link["url"] for link in links] == [PARTNER_DEAD]
    assert links[0]["uses"][0]["service"] == partner_service
    assert r.json()["counts"]["dead"] == 1


@pytest.mark.parametrize(("who", "status"), [("ln-agent", 403), ("ln-admin", 403), (None, 401)])
def test_others_are_refused(client: TestClient, who: str | None, status: int) -> None:
    headers = as_(who) if who else {}
    assert client.get("/api/v1/editorial/links", headers=headers).status_code == status
    assert client.post("/api/v1/editorial/links/check", headers=headers).status_code == status


def test_an_unknown_state_is_invalid(client: TestClient) -> None:
    r = client.get("/api/v1/editorial/links", params={"state": "kaputt"}, headers=as_("ln-editor"))
    assert r.status_code == 422


def test_check_now_through_the_api_queues_a_round(client: TestClient, module_url: str) -> None:
    before = _queued(module_url)
    r = client.post("/api/v1/editorial/links/check", headers=as_("ln-partner"))
    assert r.status_code == 202 and r.json() == {"queued": True}
    assert _queued(module_url) == before + 1


@pytest.fixture
def editor_page(client: TestClient) -> Iterator[TestClient]:
    assert login(client, "ln-editor", next_page="/redaktion/links").status_code == 303
    yield client
    client.cookies.clear()


def test_the_page_lists_dead_and_refused_links_in_german(editor_page: TestClient) -> None:
    r = editor_page.get("/redaktion/links")
    assert r.status_code == 200
    page = r.text
    assert "<h1>Linkprüfung</h1>" in page
    assert DEAD in page and PARTNER_DEAD in page and REFUSED in page
    assert WORKS not in page  # working links only under "Funktioniert"
    assert f'href="/redaktion/leistungen/{SERVICE}"' in page
    assert "Der Server antwortete mit 404." in page
    assert "Die Adresse führt in ein internes Netz" in page
    assert "Formular „Antrag (alt)“" in page
    assert "1. Dezember 2026" in page
    assert "Jetzt prüfen" in page
    assert 'href="/redaktion/links" aria-current="page"' in page  # the editorial nav
    ok = editor_page.get("/redaktion/links", params={"status": "ok"}).text
    assert WORKS in ok and DEAD not in ok
    english = editor_page.get("/redaktion/links", params={"lang": "en"}).text
    assert "<h1>Link check</h1>" in english and "Check now" in english
    assert "The server answered 404." in english
    assert editor_page.get("/redaktion/links", params={"status": "kaputt"}).status_code == 422


def test_check_now_on_the_page_needs_the_form_token(
    editor_page: TestClient, module_url: str
) -> None:
    csrf = form_token(editor_page.get("/redaktion/links").text)
    before = _queued(module_url)
    refused = editor_page.post("/redaktion/links/pruefen", data={"csrf": "falsch"})
    assert refused.status_code == 403 and _queued(module_url) == before
    r = editor_page.post("/redaktion/links/pruefen", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/redaktion/links?erledigt=1"
    assert _queued(module_url) == before + 1
    done = editor_page.get(r.headers["location"]).text
    assert "Die Prüfung ist angestoßen" in done


def test_a_partners_editor_sees_only_the_partners_links_on_the_page(
    client: TestClient,
) -> None:
    assert login(client, "ln-partner", next_page="/redaktion/links").status_code == 303
    page = client.get("/redaktion/links").text
    client.cookies.clear()
    assert PARTNER_DEAD in page and DEAD not in page and REFUSED not in page


def test_the_page_is_closed_to_other_roles(client: TestClient) -> None:
    assert login(client, "ln-agent", next_page="/redaktion/links").status_code == 303
    r = client.get("/redaktion/links")
    client.cookies.clear()
    assert r.status_code == 403
    anonymous = client.get("/redaktion/links", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/anmelden")
