"""The agent desk without a browser: search, service card, contact log, e-mail, contacts API."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk import tables as t
from tests.web.test_staff_login import PASSWORD, form_token, login


class Inbox:
    """An aiosmtpd handler that keeps what arrives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def app(module_url: str, smtp: tuple[Inbox, int]) -> FastAPI:
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "agent-desk", "agent", PASSWORD, datetime.now(UTC))
        uow.commit()
    return create_app(
        Settings(
            database_url=module_url,
            smtp_port=smtp[1],
            mail_from="Servicecenter Kassel <servicecenter@kassel.example>",
            public_url="https://auskunft.kassel.example",
        )
    )


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        assert login(c, "agent-desk").status_code == 303
        yield c


def contacts(url: str) -> list[dict[str, Any]]:
    """The stored contact rows, as plain values."""
    with UnitOfWork(get_engine(url)) as uow:
        rows = uow.session.scalars(select(t.Contact).order_by(t.Contact.id))
        return [{c.name: getattr(row, c.name) for c in t.Contact.__table__.columns} for row in rows]


def test_the_desk_answers_a_question_for_the_callers_municipality(client: TestClient) -> None:
    r = client.get("/desk", params={"q": "Hund anmelden", "gemeinde": "baunatal"})
    assert r.status_code == 200
    assert 'id="desk-q"' in r.text and "autofocus" in r.text
    assert "Hund zur Hundesteuer anmelden" in r.text
    assert "Stadt Baunatal – Steueramt" in r.text
    assert '<option value="baunatal" selected>' in r.text


def test_the_desk_says_when_it_has_no_reliable_answer(client: TestClient) -> None:
    unsure = client.get("/desk/treffer", params={"q": "Fahrrad codieren lassen gegen Diebstahl"})
    assert unsure.status_code == 200 and "data-result" in unsure.text
    assert "Dazu haben wir keine gesicherte Auskunft." in unsure.text
    sure = client.get("/desk/treffer", params={"q": "Hund anmelden"})
    assert "keine gesicherte Auskunft" not in sure.text


def test_live_results_come_as_a_fragment(client: TestClient) -> None:
    r = client.get("/desk/treffer", params={"q": "Reisepass"}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text
    assert "data-result" in r.text and "Reisepass" in r.text
    # The log form learns the municipality out of band.
    assert 'id="log-municipality" name="municipality" value="kassel" hx-swap-oob="true"' in r.text


def test_a_new_municipality_changes_the_office_on_the_open_card(client: TestClient) -> None:
    kassel = client.get("/desk/karte/personalausweis-beantragen", params={"gemeinde": "kassel"})
    baunatal = client.get(
        "/desk/treffer",
        params={
            "q": "Personalausweis",
            "gemeinde": "baunatal",
            "leistung": "personalausweis-beantragen",
        },
    )
    assert kassel.status_code == baunatal.status_code == 200
    office = re.compile(r'<h3 id="card-office">.*?<strong>(.*?)</strong>', re.S)
    here, there = office.search(kassel.text), office.search(baunatal.text)
    assert here is not None and there is not None
    assert here.group(1) != there.group(1)
    assert "Baunatal" in there.group(1)
    # The card tells the search and the log form which service is open.
    assert 'id="log-service" name="service" value="personalausweis-beantragen"' in kassel.text


def test_the_card_has_documents_fees_appointment_and_opening(client: TestClient) -> None:
    r = client.get("/desk/karte/personalausweis-beantragen")
    assert r.status_code == 200
    for part in ("Unterlagen", "Gebühren", "Termin nötig", "Zuständige Stelle"):
        assert part in r.text
    assert re.search(r"(Jetzt geöffnet|Jetzt geschlossen)", r.text)


def test_logging_a_contact_stores_it_without_personal_data(
    client: TestClient, module_url: str
) -> None:
    desk = client.get("/desk")
    started = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    before = len(contacts(module_url))
    r = client.post(
        "/desk/kontakt",
        data={
            "csrf": form_token(desk.text),
            "channel": "115",
            "outcome": "appointment",
            "service": "personalausweis-beantragen",
            "municipality": "niestetal",
            "started": started,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "erfasst=" in r.headers["location"]
    rows = contacts(module_url)
    assert len(rows) == before + 1
    row = rows[-1]
    assert (
        row["channel"],
        row["outcome"],
        row["service_id"],
        row["municipality"],
        row["source"],
    ) == (
        "115",
        "appointment",
        "personalausweis-beantragen",
        "niestetal",
        "desk",
    )
    assert row["agent_id"] is not None
    duration = row["ended_at"] - row["started_at"]
    assert timedelta(minutes=2, seconds=50) < duration < timedelta(minutes=4)
    after = client.get(r.headers["location"])
    assert "Kontakt erfasst: Termin gebucht, 3:0" in after.text


def test_a_forged_or_invalid_log_stores_nothing(client: TestClient, module_url: str) -> None:
    before = len(contacts(module_url))
    forged = client.post(
        "/desk/kontakt", data={"csrf": "forged", "channel": "115", "outcome": "answered"}
    )
    assert forged.status_code == 403
    assert "Das Formular ist abgelaufen" in forged.text
    desk = client.get("/desk")
    bad = client.post(
        "/desk/kontakt",
        data={"csrf": form_token(desk.text), "channel": "fax", "outcome": "answered"},
    )
    assert bad.status_code == 422
    assert "Unbekannter Kanal" in bad.text
    assert len(contacts(module_url)) == before


def test_the_caller_gets_the_card_by_email(client: TestClient, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    inbox.messages.clear()
    desk = client.get("/desk")
    r = client.post(
        "/desk/email",
        data={
            "csrf": form_token(desk.text),
            "service": "personalausweis-beantragen",
            "municipality": "kassel",
            "to": "buerger@example.org",
            "language": "de",
        },
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 200
    assert "E-Mail an buerger@example.org gesendet." in r.text
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "buerger@example.org"
    assert mail["Subject"] == "Ihr Anliegen: Personalausweis beantragen"
    body = mail.get_content()
    assert "Guten Tag," in body and "Zuständige Stelle" in body
    # The link carries the caller's municipality, so the page names the same office.
    assert (
        "https://auskunft.kassel.example/leistungen/personalausweis-beantragen?gemeinde=kassel"
        in body
    )
    assert "Erforderliche Unterlagen:\n- " in body.replace("\r\n", "\n")


def test_an_english_email_is_english(client: TestClient, smtp: tuple[Inbox, int]) -> None:
    inbox, _ = smtp
    inbox.messages.clear()
    desk = client.get("/desk")
    r = client.post(
        "/desk/email",
        data={
            "csrf": form_token(desk.text),
            "service": "reisepass-beantragen",
            "to": "caller@example.org",
            "language": "en",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303  # without JavaScript: back to the desk
    body = inbox.messages[0].get_content()
    assert body.startswith("Hello,") and "Responsible office" in body


def test_a_bad_address_is_refused_and_nothing_is_sent(
    client: TestClient, smtp: tuple[Inbox, int]
) -> None:
    inbox, _ = smtp
    inbox.messages.clear()
    desk = client.get("/desk")
    for address in ("not-an-address", "a@b", "x@example.org\r\nBcc: evil@example.org", ""):
        r = client.post(
            "/desk/email",
            data={
                "csrf": form_token(desk.text),
                "service": "reisepass-beantragen",
                "to": address,
            },
            headers={"HX-Request": "true"},
        )
        assert r.status_code == 422, address
        assert "gültige E-Mail-Adresse" in r.text
    assert inbox.messages == []


def test_a_mail_server_that_is_down_gives_a_clear_message(module_url: str) -> None:
    app = create_app(Settings(database_url=module_url, smtp_port=free_port(), smtp_timeout=2))
    with TestClient(app, raise_server_exceptions=False) as c:
        login(c, "agent-desk")
        desk = c.get("/desk")
        r = c.post(
            "/desk/email",
            data={
                "csrf": form_token(desk.text),
                "service": "reisepass-beantragen",
                "to": "caller@example.org",
            },
            headers={"HX-Request": "true"},
        )
    assert r.status_code == 502
    assert "konnte nicht versendet werden" in r.text


def test_unknown_ids_on_the_desk_are_friendly_404s(client: TestClient) -> None:
    r = client.get("/desk/karte/gibt-es-nicht")
    assert r.status_code == 404 and "gibt es im Katalog nicht" in r.text
    r = client.get("/desk", params={"gemeinde": "atlantis"})
    assert r.status_code == 422 and "Unbekannte Gemeinde" in r.text


def test_the_overview_counts_todays_contacts(client: TestClient) -> None:
    r = client.get("/admin")
    assert r.status_code == 200
    assert "Nach Kanal" in r.text and "agent-desk" in r.text


# -- POST /api/v1/contacts --------------------------------------------------------


@pytest.fixture(scope="module")
def api_token(module_url: str) -> str:
    with UnitOfWork(get_engine(module_url)) as uow:
        token = create_api_token(uow, "telefonanlage", datetime.now(UTC))
        uow.commit()
    return token


def contact_body(**changes: Any) -> dict[str, Any]:
    end = datetime.now(UTC).replace(microsecond=0)
    body = {
        "channel": "115",
        "outcome": "forwarded",
        "service": "wohnsitz-anmelden",
        "municipality": "kassel",
        "started_at": (end - timedelta(minutes=4)).isoformat(),
        "ended_at": end.isoformat(),
    }
    return {**body, **changes}


def test_telephony_logs_a_contact_with_a_token(
    app: FastAPI, api_token: str, module_url: str
) -> None:
    with TestClient(app) as c:
        r = c.post(
            "/api/v1/contacts",
            json=contact_body(),
            headers={"Authorization": f"Bearer {api_token}"},
        )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["duration_seconds"] == 240 and body["source"] == "api"
    assert contacts(module_url)[-1]["id"] == body["id"]


def test_the_contacts_api_refuses_strangers_before_reading_the_body(app: FastAPI) -> None:
    with TestClient(app) as c:
        anonymous = c.post("/api/v1/contacts", json={"nonsense": True})
        wrong = c.post(
            "/api/v1/contacts", json=contact_body(), headers={"Authorization": "Bearer ak_nope"}
        )
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert wrong.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"channel": "fax"}, "Unbekannter Kanal"),
        ({"outcome": "solved"}, "Unbekanntes Ergebnis"),
        ({"service": "gibt-es-nicht"}, "gibt es im Katalog nicht"),
        ({"municipality": "atlantis"}, "Unbekannte Gemeinde"),
        ({"started_at": "2026-11-24T09:00:00"}, "Zeitzone"),
        ({"ended_at": "2020-01-01T00:00:00+00:00"}, "vor seinem Beginn"),
        ({"ended_at": "2099-01-01T00:00:00+00:00"}, "in der Zukunft"),
        ({"started_at": "gestern"}, "started_at"),
        ({"caller_phone": "0561 123456"}, "caller_phone"),
    ],
)
def test_the_contacts_api_names_what_is_wrong(
    app: FastAPI, api_token: str, module_url: str, changes: dict[str, Any], fragment: str
) -> None:
    before = len(contacts(module_url))
    with TestClient(app) as c:
        r = c.post(
            "/api/v1/contacts",
            json=contact_body(**changes),
            headers={"Authorization": f"Bearer {api_token}"},
        )
    assert r.status_code == 422, r.text
    assert fragment in r.json()["error"]["message"]
    assert len(contacts(module_url)) == before


def test_a_logged_in_agent_may_use_the_api_with_the_csrf_header(client: TestClient) -> None:
    desk = client.get("/desk")
    no_header = client.post("/api/v1/contacts", json=contact_body())
    assert no_header.status_code == 401
    ok = client.post(
        "/api/v1/contacts",
        json=contact_body(),
        headers={"X-CSRF-Token": form_token(desk.text)},
    )
    assert ok.status_code == 201 and ok.json()["source"] == "desk"


def test_a_wrong_method_on_a_page_gets_a_page_not_json(client: TestClient) -> None:
    r = client.get("/desk/kontakt")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("text/html")
    assert "HTTP-Status 405" in r.text


def test_the_csrf_page_says_what_happened(client: TestClient) -> None:
    r = client.post("/desk/kontakt", data={"csrf": "", "channel": "115", "outcome": "other"})
    assert r.status_code == 403
    assert "<h1>Das Formular ist abgelaufen</h1>" in r.text


# -- nothing gives a 500 ------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    q=_text,
    gemeinde=_text,
    leistung=_text,
    kanal=_text,
    beginn=_text,
    outcome=_text,
    to=_text,
)
def test_no_input_on_the_desk_gives_a_server_error(
    client: TestClient,
    q: str,
    gemeinde: str,
    leistung: str,
    kanal: str,
    beginn: str,
    outcome: str,
    to: str,
) -> None:
    params = {"q": q, "gemeinde": gemeinde, "leistung": leistung, "kanal": kanal, "beginn": beginn}
    for path in ("/desk", "/desk/treffer"):
        assert client.get(path, params=params).status_code < 500
    assert client.get(f"/desk/karte/{quote(leistung, safe='')}").status_code < 500
    desk = client.get("/desk")
    token = form_token(desk.text)
    logged = client.post(
        "/desk/kontakt",
        data={
            "csrf": token,
            "channel": kanal,
            "outcome": outcome,
            "service": leistung,
            "municipality": gemeinde,
            "started": beginn,
        },
        follow_redirects=False,
    )
    assert logged.status_code < 500
    mailed = client.post(
        "/desk/email",
        data={"csrf": token, "service": leistung, "municipality": gemeinde, "to": to},
        headers={"HX-Request": "true"},
    )
    assert mailed.status_code < 500 or mailed.status_code == 502


@pytest.mark.parametrize(
    "path",
    [
        "/desk/karte/a%00b",
        "/desk?leistung=a%00b",
        "/leistungen/a%00b",
        "/lebenslagen/a%00b",
        "/api/v1/services/a%00b",
        "/api/v1/authorities/a%00b",
        "/api/v1/services/a%00b/history",
    ],
)
def test_a_nul_character_in_an_id_is_a_4xx_on_every_store(client: TestClient, path: str) -> None:
    # PostgreSQL cannot hold NUL in text; the query must not become a server error.
    r = client.get(path)
    assert 400 <= r.status_code < 500, (path, r.status_code)


def test_a_nul_character_in_a_login_is_a_4xx(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as c:
        r = login(c, "a\x00b", "whatever whatever")
    assert 400 <= r.status_code < 500


def test_an_over_long_question_is_answered_with_a_message_not_cut(client: TestClient) -> None:
    long_question = "Personalausweis " * 70  # 1,120 characters
    for path in ("/desk", "/desk/treffer"):
        r = client.get(path, params={"q": long_question}, headers={"HX-Request": "true"})
        assert r.status_code == 200, path
        assert 'role="alert"' in r.text and "Die Frage ist zu lang" in r.text, path
        assert "data-result" not in r.text, path


def test_a_town_in_the_callers_words_is_offered_and_the_next_call_starts_in_kassel(
    client: TestClient,
) -> None:
    hint = client.get("/desk/treffer", params={"q": "Ich wohne in 34225, Hund anmelden"})
    assert 'id="town-hint"' in hint.text and "Baunatal" in hint.text
    assert 'data-town="baunatal"' in hint.text
    chosen = client.get(
        "/desk/treffer", params={"q": "Ich wohne in Baunatal", "gemeinde": "baunatal"}
    )
    assert 'id="town-hint"' not in chosen.text
    desk = client.get("/desk", params={"q": "Hund", "gemeinde": "baunatal"})
    logged = client.post(
        "/desk/kontakt",
        data={
            "csrf": form_token(desk.text),
            "channel": "115",
            "outcome": "answered",
            "municipality": "baunatal",
        },
        follow_redirects=False,
    )
    assert logged.status_code == 303 and "gemeinde" not in logged.headers["location"]
    page = client.get(logged.headers["location"])
    assert '<option value="kassel" selected' in page.text


def test_the_portal_page_takes_the_municipality_from_the_link(client: TestClient) -> None:
    page = client.get("/leistungen/fahrzeug-zulassen", params={"gemeinde": "baunatal"})
    assert page.status_code == 200 and "Landkreis Kassel" in page.text
