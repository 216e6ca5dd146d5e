"""Booking at the agent desk without a browser: free times, booking for a caller, the
lookup by code, cancelling and moving, with and without htmx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from auskunft.access.service import create_user
from auskunft.app import create_app
from auskunft.appointments import tables as appointments_tables
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service.booking import local_day
from auskunft.audit.tables import AuditEntry
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk import tables as t
from tests.web.test_staff_login import PASSWORD, form_token, login

SERVICE = "personalausweis-beantragen"
NIESTETAL = "niestetal-buergerbuero-rathaus"  # one counter: a time taken is gone
HX = {"HX-Request": "true"}
USERS: dict[str, int] = {}


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    with UnitOfWork(get_engine(module_url)) as uow:
        user = create_user(uow, "agent-booking", "agent", PASSWORD, datetime.now(UTC))
        uow.commit()
        USERS["agent"] = user.id
    # Jobs (the e-mails) stay queued: no worker in these tests.
    return create_app(Settings(database_url=module_url, worker="off", phone_share=50))


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        assert login(c, "agent-booking").status_code == 303
        yield c


def starts(html: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html)


def booked_code(html: str) -> str:
    found = re.search(r'class="desk-code">([^<]+)<', html)
    assert found is not None, "no booking code on the page"
    return found.group(1)


def appointment(url: str, code: str) -> SimpleNamespace:
    """The stored booking of a code, as plain values."""
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.repo(AppointmentRepository).by_code(code)
        assert row is not None
        return SimpleNamespace(
            **{c.name: getattr(row, c.name) for c in appointments_tables.Appointment.__table__.c}
        )


def card(client: TestClient, municipality: str = "niestetal") -> str:
    r = client.get(f"/desk/karte/{SERVICE}", params={"gemeinde": municipality})
    assert r.status_code == 200
    return r.text


def book(client: TestClient, at: str, *, htmx: bool = True, **fields: str) -> Any:
    """Book the time `at` for a caller from the desk's form, with fields replaced."""
    data = {
        "csrf": form_token(client.get("/desk").text),
        "service": SERVICE,
        "municipality": "niestetal",
        "location": NIESTETAL,
        "start": at,
        "name": "Erika Mustermann",
        "phone": "0561 123456",
        "language": "de",
        **fields,
    }
    headers = HX if htmx else {}
    return client.post("/desk/termin", data=data, headers=headers, follow_redirects=False)


def test_the_card_offers_booking_at_the_responsible_office(client: TestClient) -> None:
    html = card(client, "baunatal")
    assert 'id="booking"' in html and "Termin buchen" in html
    assert '<option value="baunatal-buergerbuero-rathaus" selected>' in html
    assert '<option value="kassel-buergerbuero-rathaus">' in html
    assert starts(html), "the first free day's times are offered"
    assert 'aria-current="date"' in html
    other = client.get("/desk/karte/hundesteuer-anmelden")
    assert other.status_code == 200 and 'id="booking"' not in other.text


def test_another_day_comes_as_a_fragment_or_as_the_whole_desk(client: TestClient) -> None:
    days = re.findall(r'tag=(\d{4}-\d\d-\d\d)"', card(client))
    assert len(days) >= 2
    params = {"leistung": SERVICE, "gemeinde": "niestetal", "ort": NIESTETAL, "tag": days[1]}
    fragment = client.get("/desk/termin", params=params, headers=HX)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="booking-times"')
    assert "<html" not in fragment.text
    assert starts(fragment.text) and all(s.startswith(days[1]) for s in starts(fragment.text))
    assert fragment.headers["Vary"] == "HX-Request"
    page = client.get("/desk/termin", params=params)
    assert page.status_code == 200 and "<html" in page.text
    assert '<details id="booking" class="desk-booking" open>' in page.text
    assert all(s.startswith(days[1]) for s in starts(page.text))
    for bad in ({"tag": "morgen"}, {"ort": "nirgendwo"}, {"leistung": ""}):
        r = client.get("/desk/termin", params={**params, **bad})
        assert r.status_code == 422, bad


def test_an_agent_books_for_a_caller_by_phone(client: TestClient, module_url: str) -> None:
    start = starts(card(client))[0]
    r = book(client, start, email="Erika@Example.org")
    assert r.status_code == 200, r.text
    assert "Termin gebucht" in r.text and "Bitte Buchungsnummer und Zeit" in r.text
    code = booked_code(r.text)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert "Erika@example.org" in r.text  # where the confirmation goes: the host in lower case
    row = appointment(module_url, code)
    assert (row.channel, row.booked_by, row.status) == ("phone", USERS["agent"], "booked")
    assert (row.name, row.phone, row.location_id) == ("Erika Mustermann", "0561 123456", NIESTETAL)
    assert datetime.fromisoformat(start) == row.start_at
    # The result offers logging the call as the desk does: outcome "appointment".
    assert 'form="log-form" name="outcome" value="appointment"' in r.text
    logged = client.post(
        "/desk/kontakt",
        data={
            "csrf": form_token(client.get("/desk").text),
            "channel": "115",
            "outcome": "appointment",
            "service": SERVICE,
            "municipality": "niestetal",
        },
        follow_redirects=False,
    )
    assert logged.status_code == 303
    with UnitOfWork(get_engine(module_url)) as uow:
        contact = uow.session.scalars(select(t.Contact).order_by(t.Contact.id.desc())).first()
        assert contact is not None
        assert (contact.outcome, contact.service_id, contact.agent_id) == (
            "appointment",
            SERVICE,
            USERS["agent"],
        )


def test_without_javascript_a_booking_ends_on_its_code(client: TestClient, module_url: str) -> None:
    start = starts(card(client))[1]
    r = book(client, start, phone="", email="max@example.org", htmx=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/desk/termin?")
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "<html" in page.text
    code = booked_code(page.text)
    assert appointment(module_url, code).email == "max@example.org"
    assert "Termin gebucht" in page.text


def test_refused_bookings_say_why_and_keep_what_was_typed(client: TestClient) -> None:
    free = starts(card(client))
    nameless = book(client, free[2], name="  ", phone="0561 99")
    assert nameless.status_code == 422
    assert "Bitte einen Namen angeben" in nameless.text
    assert 'value="0561 99"' in nameless.text and 'role="alert"' in nameless.text
    unreachable = book(client, free[2], phone="", email="")
    assert unreachable.status_code == 422
    assert "E-Mail-Adresse oder Telefonnummer" in unreachable.text
    assert book(client, free[2], start="morgen früh").status_code == 422
    assert book(client, free[2], start="").status_code == 422
    assert book(client, free[2]).status_code == 200
    taken = book(client, free[2], name="Zweite Person", phone="0561 77")
    assert taken.status_code == 409
    assert "gerade vergeben" in taken.text and 'value="Zweite Person"' in taken.text
    assert free[2] not in starts(taken.text)  # the form shows what is still free
    page = book(client, free[2], name="Dritte Person", htmx=False)
    assert page.status_code == 409 and "<html" in page.text and "gerade vergeben" in page.text


def test_the_desk_may_book_the_counters_held_for_callers(
    client: TestClient, module_url: str
) -> None:
    # The licence office has two counters; at a 50 % phone share one is held for callers
    # until two days ahead. Online, a far day's time is gone once the other one is taken.
    location, service = "kassel-fahrerlaubnis-buero", "internationaler-fuehrerschein"
    html = client.get(f"/desk/karte/{service}").text
    far = next(d for d in re.findall(r'tag=(\d{4}-\d\d-\d\d)"', html) if _days_ahead(d) > 2)
    params = {"leistung": service, "ort": location, "tag": far}
    start = starts(client.get("/desk/termin", params=params, headers=HX).text)[0]
    online = client.post(
        "/api/v1/appointments",
        json={
            "services": [service],
            "location": location,
            "start": start,
            "name": "Online",
            "email": "online@example.org",
        },
    )
    assert online.status_code == 201, online.text
    slots = client.get(
        "/api/v1/slots", params={"service": service, "location": location, "from": far, "to": far}
    ).json()["slots"]
    assert start not in [s["start"] for s in slots]
    assert start in starts(client.get("/desk/termin", params=params, headers=HX).text)
    r = client.post(
        "/desk/termin",
        data={
            "csrf": form_token(client.get("/desk").text),
            "service": service,
            "location": location,
            "start": start,
            "name": "Anrufer",
            "phone": "0561 555",
        },
        headers=HX,
    )
    assert r.status_code == 200, r.text
    by_phone = appointment(module_url, booked_code(r.text))
    assert by_phone.counter_id != appointment(module_url, online.json()["code"]).counter_id


def _days_ahead(day: str) -> int:
    return (date.fromisoformat(day) - local_day(datetime.now(UTC))).days


def test_staff_find_move_and_cancel_a_booking_by_its_code(
    client: TestClient, module_url: str
) -> None:
    free = starts(card(client))
    code = booked_code(book(client, free[4], name="Verschiebe Mich").text)
    typed = code.lower().replace("-", " ")
    found = client.get("/desk/termin/suche", params={"code": typed}, headers=HX)
    assert found.status_code == 200 and "<html" not in found.text
    assert f"Termin {code}" in found.text and "Verschiebe Mich" in found.text
    assert "Diesen Termin absagen" in found.text
    page = client.get("/desk/termin/suche", params={"code": code})
    assert page.status_code == 200 and "<html" in page.text and f"Termin {code}" in page.text
    # Each look at the booking (it shows the person) is in the audit log (issue 13).
    with UnitOfWork(get_engine(module_url)) as uow:
        seen = uow.session.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.action == "appointment.viewed", AuditEntry.object_id == code
            )
        ).all()
    assert seen == ["agent-booking", "agent-booking"]
    target = [s for s in starts(found.text) if s != free[4]][-1]
    csrf = form_token(client.get("/desk").text)
    moved = client.post(
        "/desk/termin/verschieben", data={"csrf": csrf, "code": code, "start": target}, headers=HX
    )
    assert moved.status_code == 200 and "Der Termin ist verschoben" in moved.text
    row = appointment(module_url, code)
    assert row.start_at == datetime.fromisoformat(target)
    assert row.changed_by == USERS["agent"]
    plain = client.post(
        "/desk/termin/absagen", data={"csrf": csrf, "code": code}, follow_redirects=False
    )
    assert plain.status_code == 303 and "erledigt=abgesagt" in plain.headers["location"]
    done = client.get(plain.headers["location"])
    assert "Der Termin ist abgesagt" in done.text and "Diesen Termin absagen" not in done.text
    row = appointment(module_url, code)
    assert (row.status, row.changed_by) == ("cancelled", USERS["agent"])
    again = client.post("/desk/termin/absagen", data={"csrf": csrf, "code": code}, headers=HX)
    assert again.status_code == 409 and "bereits abgesagt" in again.text
    assert client.get("/desk/termin/suche", params={"code": "ZZZZ-ZZZZ"}).status_code == 404
    assert client.get("/desk/termin/suche", params={"code": "12"}).status_code == 422
    unknown = client.get("/desk/termin/suche", params={"code": "ZZZZ-ZZZZ"}, headers=HX)
    assert unknown.status_code == 404 and "Zu dieser Buchungsnummer" in unknown.text


def test_forms_without_their_token_change_nothing(client: TestClient, module_url: str) -> None:
    start = starts(card(client))[5]
    code = booked_code(book(client, start, name="Bleibt Gebucht").text)
    for path, data in [
        ("/desk/termin", {"service": SERVICE, "location": NIESTETAL, "start": start}),
        ("/desk/termin/absagen", {"code": code}),
        ("/desk/termin/verschieben", {"code": code, "start": start}),
    ]:
        r = client.post(path, data={**data, "name": "X", "phone": "1234", "csrf": "forged"})
        assert r.status_code == 403, path
        assert client.post(path, data=data).status_code == 403, path
    assert appointment(module_url, code).status == "booked"


@pytest.mark.parametrize(
    "path",
    ["/desk/termin?leistung=personalausweis-beantragen", "/desk/termin/suche?code=ABCD-EFGH"],
)
def test_strangers_are_sent_to_the_login(app: FastAPI, path: str) -> None:
    with TestClient(app) as stranger:
        r = stranger.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/anmelden?next=")
        posted = stranger.post("/desk/termin/absagen", data={"code": "ABCD-EFGH"})
        assert posted.status_code == 200 and "Anmelden" in posted.text
        assert posted.url.path == "/anmelden"
