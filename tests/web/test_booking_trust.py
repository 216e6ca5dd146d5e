"""Booking tried as a hostile user would (issue 13): no hoarding by racing or by address
variants, no 500 on extreme dates, and no free text of the visitor in official e-mails."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from auskunft.access.service import create_user
from auskunft.app import create_app
from auskunft.appointments import mails
from auskunft.appointments import tables as t
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import AuskunftError, LimitReached
from auskunft.core.mail.smtp import SmtpSettings
from tests.browser.server import live_server
from tests.web.test_staff_login import PASSWORD, login

KASSEL = "kassel-buergerbuero-rathaus"  # 8 counters, many free times
SERVICE = "personalausweis-beantragen"
CLIENTS = 16
RLO = "\u202e"


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def app(module_url: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(
            uow,
            "clerk-trust",
            "clerk",
            PASSWORD,
            now(),
            authorities=["kassel-buergerbuero"],
            offices=catalog,
        )
        uow.commit()
    settings = Settings(
        database_url=module_url,
        data_dir=tmp_path_factory.mktemp("trust"),
        rate_limits="off",
        worker="off",
        secret_key="trust-test-secret",
    )
    return create_app(settings)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def free_starts(client: TestClient, days: int = 14) -> list[str]:
    first = (now() + timedelta(days=7)).date()
    r = client.get(
        "/api/v1/slots",
        params={"service": SERVICE, "location": KASSEL, "from": str(first),
                "to": str(first + timedelta(days=days))},
    )  # fmt: skip
    assert r.status_code == 200
    return [slot["start"] for slot in r.json()["slots"]]


def body(start: str, email: str, name: str = "Erika Mustermann") -> dict[str, Any]:
    return {"services": [SERVICE], "location": KASSEL, "start": start, "name": name,
            "email": email}  # fmt: skip


def stored(url: str, code: str) -> SimpleNamespace:
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.repo(AppointmentRepository).by_code(code)
        assert row is not None
        return SimpleNamespace(id=row.id, email=row.email, name=row.name)


# -- the per-address limit under concurrency ---------------------------------------


def _call(url: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_sixteen_simultaneous_bookings_from_one_address_get_exactly_one(
    fresh_url: str, tmp_path: Path
) -> None:
    with live_server(tmp_path, database_url=fresh_url, rate_limits="off", worker="off") as base:
        with urllib.request.urlopen(
            f"{base}/api/v1/slots?service={SERVICE}&location={KASSEL}"
            f"&from={(now() + timedelta(days=7)).date()}&to={(now() + timedelta(days=21)).date()}"
        ) as answer:
            starts = [s["start"] for s in json.loads(answer.read())["slots"]]
        # Every request asks for another time, so only the limit can refuse it; the
        # address comes in variants that reach the same mailbox.
        variants = ["hamster@example.de", "Hamster@Example.DE", "hamster+1@example.de",
                    "HAMSTER+zwei@example.de"]  # fmt: skip
        barrier = threading.Barrier(CLIENTS)
        results: list[tuple[int, dict[str, Any]]] = []
        lock = threading.Lock()

        def client(number: int) -> None:
            payload = body(starts[number * 3], variants[number % len(variants)])
            barrier.wait()
            answer = _call(f"{base}/api/v1/appointments", payload)
            with lock:
                results.append(answer)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 429: CLIENTS - 1}
    assert all(b["error"]["code"] == "limit_reached" for s, b in results if s == 429)


def test_a_higher_limit_holds_under_concurrency_too(fresh_url: str) -> None:
    policy = BookingPolicy(secret=b"trust test", limit_per_service=2)
    engine = get_engine(fresh_url)
    first = (now() + timedelta(days=7)).date()
    with UnitOfWork(engine) as uow:
        slots = booking.find_slots(
            uow, policy, service_ids=[SERVICE], location_id=KASSEL, first=first,
            last=first + timedelta(days=14), now=now(),
        )  # fmt: skip
    barrier = threading.Barrier(CLIENTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(number: int) -> None:
        start = datetime.fromisoformat(booking.iso(slots[number * 3].start))
        barrier.wait()
        try:
            with UnitOfWork(engine) as uow:
                booking.book(
                    uow, policy, service_ids=[SERVICE], location_id=KASSEL, start=start,
                    person=booking.Person("Viel Bucher", f"viel+{number}@example.de"), now=now(),
                )  # fmt: skip
                uow.commit()
            outcome = "booked"
        except LimitReached:
            outcome = "limit"
        except AuskunftError as exc:
            outcome = type(exc).__name__
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter(outcomes) == {"booked": 2, "limit": CLIENTS - 2}


# -- addresses: variants count once; what is stored is what is mailed ----------------


def test_address_variants_count_as_one_for_the_limit(client: TestClient) -> None:
    starts = free_starts(client)
    assert client.post("/api/v1/appointments", json=body(starts[0], "anna@x.de")).status_code == 201
    for variant in ("Anna@X.de", "anna+1@x.de", "ANNA+termin@X.DE"):
        again = client.post("/api/v1/appointments", json=body(starts[5], variant))
        assert again.status_code == 429, variant
        assert again.json()["error"]["code"] == "limit_reached"


@pytest.mark.parametrize(
    "address",
    [
        "x@[127.0.0.1].de",
        "x@[127.0.0.1]",
        "a(kommentar)@example.de",
        "(kommentar)a@example.de",
        '"a b"@example.de',
        "=?utf-8?q?anna?=@example.de",
        "anna@=?utf-8?q?example?=.de",
        f"anna{RLO}@example.de",
        "anna\u200b@example.de",
        "anna@example",
        "anna@127.0.0.1",
        "Anna <anna@example.de>",
        "anna@example.de, bert@example.de",
    ],
)
def test_addresses_that_mail_would_read_differently_are_refused(
    client: TestClient, address: str
) -> None:
    start = free_starts(client)[1]
    r = client.post("/api/v1/appointments", json=body(start, address))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]
    waiting = client.post(
        "/api/v1/waitlist",
        json={"service": SERVICE, "location": KASSEL, "name": "Erika", "email": address},
    )
    assert waiting.status_code == 422, waiting.text


def test_the_address_stored_is_the_address_mailed(client: TestClient, module_url: str) -> None:
    start = free_starts(client)[2]
    r = client.post("/api/v1/appointments", json=body(start, " Joerg.Muster+Pass@Müller.DE "))
    assert r.status_code == 201, r.text
    row = stored(module_url, r.json()["code"])
    # The local part as given, the domain as the mail server is asked for it.
    assert row.email == "Joerg.Muster+Pass@xn--mller-kva.de"
    mail = _confirmation(module_url, row.id)
    assert getaddresses(mail.get_all("To", [])) == [("", row.email)]


def test_non_ascii_local_parts_are_refused_and_ascii_ones_kept_as_given(
    client: TestClient, module_url: str
) -> None:
    start = free_starts(client)[4]
    refused = client.post("/api/v1/appointments", json=body(start, "jörg@example.de"))
    assert refused.status_code == 422
    r = client.post("/api/v1/appointments", json=body(start, "Joerg.Muster+Pass@Example.DE"))
    assert r.status_code == 201, r.text
    row = stored(module_url, r.json()["code"])
    assert row.email == "Joerg.Muster+Pass@example.de"
    assert getaddresses(_confirmation(module_url, row.id).get_all("To", [])) == [
        ("", "Joerg.Muster+Pass@example.de")
    ]


def _confirmation(url: str, appointment_id: int) -> Any:
    ctx = mails.MailContext(
        smtp=SmtpSettings(host="127.0.0.1", port=25, sender="Stadt <termine@kassel.example>"),
        public_url="https://termine.kassel.example",
        secret=b"trust-test-secret",
    )
    with UnitOfWork(get_engine(url)) as uow:
        mail = mails.compose(uow, ctx, "mail.confirmation", {"appointment": appointment_id}, now())
    assert mail is not None
    return mail


# -- dates far off: 422, never 500 ---------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("9999-12-31", "9999-12-31"),
        ("0001-01-01", "0001-01-01"),
        ("0001-01-01", "0001-01-02"),
        ("9999-12-30", "9999-12-31"),
        ("1900-01-01", "1900-01-31"),
    ],
)
def test_slots_of_days_far_off_are_refused(client: TestClient, first: str, last: str) -> None:
    r = client.get(
        "/api/v1/slots", params={"service": SERVICE, "location": KASSEL, "from": first, "to": last}
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]


@pytest.mark.parametrize(
    "start",
    [
        "0001-01-01T00:00:00+00:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:00-14:00",
        "9999-12-31T00:00:00+00:00",
        "1970-01-01T00:00:00+00:00",
    ],
)
def test_a_booking_or_move_far_off_is_refused(client: TestClient, start: str) -> None:
    r = client.post("/api/v1/appointments", json=body(start, "weit@example.de"))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]
    made = client.post("/api/v1/appointments", json=body(free_starts(client)[7], "zeit@x.de"))
    assert made.status_code in (201, 429)
    if made.status_code == 201:
        code, token = made.json()["code"], made.json()["manage_token"]
        moved = client.post(
            f"/api/v1/appointments/{code}/reschedule", params={"token": token},
            json={"start": start},
        )  # fmt: skip
        assert moved.status_code == 422, moved.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1800-06-01", "3000-01-01"])
def test_the_day_list_of_a_day_far_off_is_refused(app: FastAPI, day: str) -> None:
    with TestClient(app, raise_server_exceptions=False) as clerk:
        assert login(clerk, "clerk-trust", next_page="/dienststelle/termine").status_code == 303
        r = clerk.get("/dienststelle/termine", params={"ort": KASSEL, "tag": day})
        assert r.status_code == 422, r.text[:300]
        assert "text/html" in r.headers["content-type"]
        assert clerk.get("/dienststelle/termine", params={"ort": KASSEL}).status_code == 200


# -- the visitor's text in official e-mails ------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Gewinn! https://evil.example/login",
        "Bitte www.evil.example öffnen",
        "Erika evil.example",
        "Erika Mustermann erika@evil.example",
        f"Erika {RLO}nnamretsuM",
        "Erika\u200fMustermann",
        "Erika\x07Mustermann",
        "Erika\nMustermann",
    ],
)
def test_names_with_links_or_control_characters_are_refused(client: TestClient, name: str) -> None:
    start = free_starts(client)[8]
    r = client.post("/api/v1/appointments", json=body(start, "namen@example.de", name=name))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"] and r.json()["error"]["message_en"]


def test_ordinary_names_are_taken(client: TestClient) -> None:
    starts = free_starts(client)
    for i, name in enumerate(["Dr. Anna-Lena Müller-Lüdenscheidt", "O'Brien, Seán", "A. B. Çelik"]):
        r = client.post(
            "/api/v1/appointments", json=body(starts[20 + i], f"ok{i}@example.de", name)
        )
        assert r.status_code == 201, (name, r.text)


def _parts(mail: Any) -> str:
    return "\n".join(
        part.get_content() for part in mail.walk() if part.get_content_maintype() == "text"
    )


def test_the_confirmation_shows_the_name_plain_and_short(
    client: TestClient, module_url: str
) -> None:
    start = free_starts(client)[10]
    long_name = "Erika " + "Mustermann-" * 17 + "Ende"
    assert len(long_name) <= 200
    r = client.post("/api/v1/appointments", json=body(start, "lang@example.de", long_name))
    assert r.status_code == 201, r.text
    row = stored(module_url, r.json()["code"])
    text = _parts(_confirmation(module_url, row.id))
    greeting = next(line for line in text.splitlines() if line.startswith("Guten Tag"))
    assert len(greeting) <= len("Guten Tag ,") + 60
    assert "Ende" not in text


def test_names_stored_before_the_rule_reach_no_mail_as_links(
    client: TestClient, module_url: str
) -> None:
    start = free_starts(client)[12]
    r = client.post("/api/v1/appointments", json=body(start, "alt@example.de", "Erika"))
    assert r.status_code == 201
    row = stored(module_url, r.json()["code"])
    planted = f"Erika {RLO}Gewinn: https://evil.example/x und www.evil.example und evil.example"
    with UnitOfWork(get_engine(module_url)) as uow:
        uow.session.execute(
            update(t.Appointment).where(t.Appointment.id == row.id).values(name=planted)
        )
        uow.commit()
    mail = _confirmation(module_url, row.id)
    text = _parts(mail)
    assert text.startswith("Guten Tag,\n")
    for bad in ("evil", "www.", RLO, "Gewinn"):  # the mail's own link is the manage link
        assert bad not in text, bad
    calendar = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    invite = calendar.get_content()
    invite = invite.decode() if isinstance(invite, bytes) else invite
    for bad in ("evil.example", "Gewinn", RLO):
        assert bad not in invite, bad


def test_addresses_stored_before_the_key_count_by_their_mailbox(fresh_url: str) -> None:
    """Migration 0014 gives the visits booked before it their key, so they count."""
    from alembic import command

    from auskunft.core.db.engine import alembic_config

    policy = BookingPolicy(secret=b"trust test")
    engine = get_engine(fresh_url)
    first = (now() + timedelta(days=7)).date()
    with UnitOfWork(engine) as uow:
        slots = booking.find_slots(
            uow, policy, service_ids=[SERVICE], location_id=KASSEL, first=first,
            last=first + timedelta(days=7), now=now(),
        )  # fmt: skip
        done = booking.book(
            uow, policy, service_ids=[SERVICE], location_id=KASSEL,
            start=datetime.fromisoformat(booking.iso(slots[0].start)),
            person=booking.Person("Frühe Buchung", "frueh@example.de"), now=now(),
        )  # fmt: skip
        uow.commit()
        appointment_id = done.appointment.id
    config = alembic_config(fresh_url)
    command.downgrade(config, "0013")
    with engine.begin() as connection:
        connection.execute(
            update(t.Appointment.__table__)
            .where(t.Appointment.__table__.c.id == appointment_id)
            .values(email="frueh+alt@example.de")
        )
    command.upgrade(config, "head")
    engine.dispose()
    with UnitOfWork(engine) as uow:
        row = uow.repo(AppointmentRepository).by_id(appointment_id)
        assert row is not None and row.email_key == "frueh@example.de"
        with pytest.raises(LimitReached):
            booking.book(
                uow, policy, service_ids=[SERVICE], location_id=KASSEL,
                start=datetime.fromisoformat(booking.iso(slots[5].start)),
                person=booking.Person("Noch eine", "Frueh+neu@example.de"), now=now(),
            )  # fmt: skip
