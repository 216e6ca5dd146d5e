"""The citizen's rights (DSGVO Art. 15 and 17, issue 13): a supervisor finds everything stored
about an e-mail address or a phone number, however it was written, exports it as a document
and erases it; afterwards no trace of the person is left in any table, the anonymous facts
stay, the coming appointments' time is free again, and another person's data is untouched.
Only supervisors and administrators may; every step is in the audit log, with counts only.
On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel.dates import format_datetime
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import JSON, String, Text, select

from auskunft.access.service import create_api_token, create_user
from auskunft.access.tables import StaffUser
from auskunft.app import create_app
from auskunft.appointments import tables as appointment_tables
from auskunft.appointments.model.calendar import from_epoch_minutes
from auskunft.appointments.service import booking
from auskunft.audit.tables import AuditEntry
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.base import Base
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.core.phone import digits
from auskunft.core.principal import Login
from auskunft.forwarding import tables as concern_tables
from auskunft.forwarding.model import tracking
from auskunft.forwarding.model.concern import Citizen
from auskunft.forwarding.service import concerns
from auskunft.search.service.engine import SearchEngine
from tests.web.test_staff_login import PASSWORD, form_token, login

OFFICE = "herborn-buergerbuero"
OFFICE_NAME_PART = "Herborn"
LOCATION = "herborn-buergerbuero-rathaus"
SERVICE = "personalausweis-beantragen"
PAGE = "/admin/datenschutz"

# The person asked about, in the spellings people use, and another person.
NAME = "Anna Löschmich"
DOMAIN = "privat-beispiel.de"
PHONE_DIGITS = "5618765432"  # 0561 8765432, in every spelling
OTHER_NAME = "Bert Bleibtda"
OTHER_EMAIL = "bert@bleibt-beispiel.de"
ROLES = ("supervisor", "admin", "agent", "clerk", "editor")


@dataclass
class Seeded:
    future: list[str]  # codes of Anna's coming appointments
    past: str  # code of Anna's past one
    by_phone_only: str  # code of one that only her phone number names
    other: str  # Bert's appointment
    entry: int  # Anna's waitlist entry
    other_entry: int  # Bert's, waiting at the same location
    concern_email: str  # tracking code of Anna's concern with her address
    concern_phone: str  # ... and of the one with only her phone number
    other_concern: str
    starts: dict[str, datetime]


def _free_starts(app: FastAPI, url: str, now: datetime, count: int) -> list[datetime]:
    with UnitOfWork(get_engine(url)) as uow:
        first = booking.local_day(now) + timedelta(days=3)
        slots = booking.find_slots(
            uow,
            app.state.policy,
            service_ids=[SERVICE],
            location_id=LOCATION,
            first=first,
            last=first + timedelta(days=20),
            now=now,
        )
    # One start per day, so that no two visits collide on the counters.
    by_day: dict[Any, datetime] = {}
    for slot in slots:
        start = from_epoch_minutes(slot.start)
        by_day.setdefault(start.date(), start)
    return list(by_day.values())[:count]


def _book(
    uow: UnitOfWork, app: FastAPI, start: datetime, person: booking.Person, now: datetime, **kw: Any
) -> str:
    done = booking.book(
        uow,
        app.state.policy,
        service_ids=[SERVICE],
        location_id=LOCATION,
        start=start,
        person=person,
        now=now,
        **kw,
    )
    return done.appointment.code


def seed(app: FastAPI, url: str, agent: Login) -> Seeded:
    now = datetime.now(UTC)
    then = now - timedelta(days=14)  # a visit booked two weeks ago, now in the past
    starts = _free_starts(app, url, now, 4)
    past_start = _free_starts(app, url, then, 1)[0]
    engine = get_engine(url)
    with UnitOfWork(engine) as uow:
        # The past visit first: booked then, it would count against the online limit later.
        past = _book(uow, app, past_start, booking.Person(NAME, f"ANNA@{DOMAIN}"), then)
        future = [
            _book(uow, app, starts[0], booking.Person(NAME, f"Anna@{DOMAIN}", "0561 8765432"), now),
            _book(
                uow,
                app,
                starts[1],
                booking.Person(NAME, f"anna+termin@{DOMAIN.upper()}", "+49 561 876 54 32"),
                now,
                channel="phone",
            ),
        ]
        by_phone_only = _book(
            uow, app, starts[2], booking.Person(NAME, "", "0561/8765432"), now, channel="phone"
        )
        other = _book(uow, app, starts[3], booking.Person(OTHER_NAME, OTHER_EMAIL, "0561 1"), now)
        entries = []
        for name, email, phone in (
            (NAME, f"anna+warte@{DOMAIN}", "0049 (0)561 8765432"),
            (OTHER_NAME, OTHER_EMAIL, ""),
        ):
            entry = appointment_tables.WaitlistEntry(
                service_id=SERVICE,
                location_id=LOCATION,
                name=name,
                email=email,
                phone=phone,
                status="waiting",
                created_at=now,
            )
            uow.session.add(entry)
            uow.session.flush()
            entries.append(entry.id)
        search: SearchEngine = app.state.components[SearchEngine]
        policy = concerns.Policy.from_settings(app.state.settings)
        made = []
        for citizen, question in (
            (Citizen(NAME, email=f"anna+x@{DOMAIN}"), f"Ich bin {NAME}, wann ist mein Ausweis da?"),
            (Citizen(NAME, phone="+49 (0)561 8765432", preferred="phone"), "Rückruf bitte."),
            (Citizen(OTHER_NAME, email=OTHER_EMAIL), "Und meiner?"),
        ):
            made.append(
                concerns.create(
                    uow,
                    search.snapshot().jurisdiction,
                    policy,
                    concerns.NewConcern(
                        question=question,
                        channel="115",
                        citizen=citizen,
                        consent=True,
                        service_id=SERVICE,
                        authority_id=OFFICE,
                    ),
                    login=None,
                    now=now,
                )
            )
        concerns.note(uow, agent, made[0].id, text=f"{NAME} ruft um 0561 8765432 an", now=now)
        uow.commit()
        return Seeded(
            future=future,
            past=past,
            by_phone_only=by_phone_only,
            other=other,
            entry=entries[0],
            other_entry=entries[1],
            concern_email=made[0].tracking_code,
            concern_phone=made[1].tracking_code,
            other_concern=made[2].tracking_code,
            starts={future[0]: starts[0], future[1]: starts[1], by_phone_only: starts[2]},
        )


def _shown(code: str) -> str:
    return tracking.shown(code)


@dataclass
class World:
    app: FastAPI
    url: str
    seeded: Seeded
    tokens: dict[str, str]


def _world(url: str) -> World:
    now = datetime.now(UTC)
    tokens = {}
    with UnitOfWork(get_engine(url)) as uow:
        for role in ROLES:
            extra: dict[str, Any] = {}
            if role == "clerk":
                extra = {"authorities": [OFFICE], "offices": catalog}
            create_user(uow, f"dp-{role}", role, PASSWORD, now, **extra)
        uow.session.flush()
        for role in ROLES:
            tokens[role] = create_api_token(uow, f"dp-{role}-t", now, username=f"dp-{role}")
        tokens["machine"] = create_api_token(uow, "dp-maschine", now)
        uow.commit()
        agent_id = uow.session.scalars(
            select(StaffUser.id).where(StaffUser.username == "dp-agent")
        ).one()
    app = create_app(Settings(database_url=url, worker="off", rate_limits="off"))
    with TestClient(app):  # the lifespan builds the search index the seeding routes with
        seeded = seed(app, url, Login(agent_id, "dp-agent", "agent", "x"))
    return World(app, url, seeded, tokens)


@pytest.fixture(scope="module")
def world(module_url: str) -> World:
    return _world(module_url)


@pytest.fixture()
def fresh_world(fresh_url: str) -> World:
    return _world(fresh_url)


def _client(app: FastAPI, n: int) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(f"10.17.0.{n}", 50000))


@pytest.fixture()
def supervisor(world: World) -> Iterator[TestClient]:
    with _client(world.app, 1) as client:
        assert login(client, "dp-supervisor").status_code == 303
        yield client


def _find(client: TestClient, **person: str) -> Any:
    csrf = form_token(client.get(PAGE).text)
    return client.post(PAGE, data={"csrf": csrf, **person})


def _counts(html: str) -> tuple[int, int, int]:
    found = re.search(r"Termine: (\d+), Wartelisten-Einträge: (\d+), Anliegen: (\d+)\.", html)
    assert found is not None, "no counts on the page"
    return int(found[1]), int(found[2]), int(found[3])


# -- finding -----------------------------------------------------------------------------


def test_an_address_finds_the_persons_records_in_every_spelling(
    world: World, supervisor: TestClient
) -> None:
    s = world.seeded
    for spelling in (f"Anna@{DOMAIN}", f"anna+x@{DOMAIN}", f"ANNA@{DOMAIN.upper()}"):
        page = _find(supervisor, email=spelling)
        assert page.status_code == 200
        # Two coming visits and the past one; the waitlist entry; the concern with the address.
        assert _counts(page.text) == (3, 1, 1), spelling
        for code in (*s.future, s.past):
            assert code in page.text
        assert s.by_phone_only not in page.text  # booked without an address
        assert _shown(s.concern_email) in page.text
        assert _shown(s.concern_phone) not in page.text
        assert s.other not in page.text and OTHER_NAME not in page.text


def test_a_phone_number_finds_the_persons_records_in_every_spelling(
    world: World, supervisor: TestClient
) -> None:
    s = world.seeded
    for spelling in ("0561 8765432", "+49 561 8765432", "0049 (0)561/876 54 32"):
        page = _find(supervisor, telefon=spelling)
        assert _counts(page.text) == (3, 1, 1), spelling
        for code in (*s.future, s.by_phone_only):
            assert code in page.text
        assert s.past not in page.text  # booked without a phone number
        assert _shown(s.concern_phone) in page.text
        assert _shown(s.concern_email) not in page.text
        assert OTHER_NAME not in page.text
    both = _find(supervisor, email=f"anna@{DOMAIN}", telefon="0561 8765432")
    assert _counts(both.text) == (4, 1, 2)
    # The note of the concern, with its history, is shown as stored.
    assert "ruft um 0561 8765432 an" in both.text


def test_the_form_refuses_what_names_nobody(world: World, supervisor: TestClient) -> None:
    assert _find(supervisor).status_code == 422
    refused = _find(supervisor, email="anna@[127.0.0.1]")
    assert refused.status_code == 422 and "E-Mail-Adresse" in refused.text
    assert _find(supervisor, telefon="12 34").status_code == 422
    nobody = _find(supervisor, email="niemand@example.org")
    assert _counts(nobody.text) == (0, 0, 0)
    assert "Zu dieser Person ist nichts gespeichert." in nobody.text


# -- the document -------------------------------------------------------------------------


def _german(moment: datetime) -> str:
    local = moment.astimezone(BERLIN)
    return format_datetime(local, "EEEE, d. MMMM y, H:mm", locale="de") + " Uhr"


def test_the_export_is_a_german_letter_and_json_with_purposes_and_recipients(
    world: World, supervisor: TestClient
) -> None:
    s = world.seeded
    csrf = form_token(supervisor.get(PAGE).text)
    person = {"csrf": csrf, "email": f"anna+y@{DOMAIN}", "telefon": "+49 561 8765432"}
    text = supervisor.post(f"{PAGE}/auskunft", data={**person, "format": "text"})
    assert text.status_code == 200
    assert text.headers["content-type"].startswith("text/plain")
    disposition = text.headers["content-disposition"]
    assert disposition.startswith("attachment;") and DOMAIN not in disposition
    letter = text.text
    assert letter.startswith("# Auskunft nach Art. 15 DSGVO")
    first = s.starts[s.future[0]]
    assert f"Termin {s.future[0]}: {_german(first)}" in letter
    assert re.search(r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag), \d", letter)
    for part in (
        NAME,
        f"anna+warte@{DOMAIN}",
        _shown(s.concern_email),
        _shown(s.concern_phone),
        "Zwecke, Rechtsgrundlagen und Speicherdauer",
        "Art. 6 Abs. 1 Buchst. e DSGVO",
        "30 Tage nach dem Termin",
        "90 Tage nach dem Abschluss",
        "Empfänger",
        OFFICE_NAME_PART,
        "Ihre Rechte",
        "Art. 77",
    ):
        assert part in letter, part
    assert OTHER_NAME not in letter

    doc = supervisor.post(f"{PAGE}/auskunft", data={**person, "format": "json"})
    assert doc.headers["content-type"].startswith("application/json")
    body = json.loads(doc.text)
    assert body["counts"] == {"appointments": 4, "waitlist": 1, "concerns": 2}
    assert {p["category"] for p in body["purposes"]} == {"appointments", "waitlist", "concerns"}
    assert any(OFFICE_NAME_PART in r for r in body["recipients"])
    assert body["letter"].startswith("# Auskunft nach Art. 15 DSGVO")
    visit = next(a for a in body["appointments"] if a["code"] == s.future[0])
    assert visit["name"] == NAME and visit["when"] == _german(first)

    printable = supervisor.post(f"{PAGE}/auskunft", data={**person, "format": "html"})
    assert printable.status_code == 200
    assert "<h1>Auskunft nach Art. 15 DSGVO</h1>" in printable.text
    assert s.future[1] in printable.text
    assert "no-store" in printable.headers["cache-control"]
    wrong = supervisor.post(f"{PAGE}/auskunft", data={**person, "format": "pdf"})
    assert wrong.status_code == 422


# -- who may ------------------------------------------------------------------------------


def test_only_supervisors_and_administrators_may(world: World) -> None:
    with _client(world.app, 2) as anonymous:
        answer = anonymous.get(PAGE, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/anmelden")
        posted = anonymous.post(PAGE, data={"email": f"anna@{DOMAIN}"}, follow_redirects=False)
        assert posted.status_code == 303
        assert anonymous.post("/api/v1/privacy/search", json={"email": "a@b.de"}).status_code == 401
    for n, role in enumerate(ROLES, start=3):
        with _client(world.app, n) as client:
            assert login(client, f"dp-{role}").status_code == 303
            allowed = role in ("supervisor", "admin")
            assert client.get(PAGE).status_code == (200 if allowed else 403), role
            csrf = form_token(client.get("/desk").text)
            posted = client.post(PAGE, data={"csrf": csrf, "email": f"anna@{DOMAIN}"})
            assert posted.status_code == (200 if allowed else 403), role
            assert (NAME in posted.text) is allowed, role
        with _client(world.app, n) as client:
            bearer = {"Authorization": f"Bearer {world.tokens[role]}"}
            for path in ("search", "export"):
                api = client.post(
                    f"/api/v1/privacy/{path}", json={"email": f"anna@{DOMAIN}"}, headers=bearer
                )
                assert api.status_code == (200 if allowed else 403), (role, path)
                assert (NAME in api.text) is allowed
            erase = client.post(
                "/api/v1/privacy/erase", json={"email": "niemand@example.org"}, headers=bearer
            )
            assert erase.status_code == (422 if allowed else 403), role  # no "confirm": true
            sloppy = client.post(
                "/api/v1/privacy/erase",
                json={"email": "niemand@example.org", "confirm": "yes"},
                headers=bearer,
            )
            assert sloppy.status_code == (422 if allowed else 403), role  # JSON true only
    with _client(world.app, 9) as machine:
        bearer = {"Authorization": f"Bearer {world.tokens['machine']}"}
        api = machine.post("/api/v1/privacy/search", json={"email": "a@b.de"}, headers=bearer)
        assert api.status_code == 403


def test_the_api_refuses_what_names_nobody(world: World) -> None:
    with _client(world.app, 10) as client:
        bearer = {"Authorization": f"Bearer {world.tokens['supervisor']}"}
        for body in (
            {},
            {"email": ""},
            {"phone": "123"},
            {"phone": "Tel. 0561 12345"},
            {"email": "x@[1.2.3.4]"},
            {"x": 1},
        ):
            answer = client.post("/api/v1/privacy/search", json=body, headers=bearer)
            assert answer.status_code == 422, body
            assert "error" in answer.json()


# -- erasing ------------------------------------------------------------------------------


def _rows(url: str) -> dict[str, list[tuple[str, str]]]:
    """Every text value of every table: table -> [(column, value)]."""
    found: dict[str, list[tuple[str, str]]] = {}
    with get_engine(url).connect() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON))]
            if not columns:
                continue
            for row in connection.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        text = value if isinstance(value, str) else json.dumps(value)
                        found.setdefault(table.name, []).append((column.name, text))
    return found


_NUMBER = re.compile(r"\+?\d[\d /().-]*\d")


def _traces(url: str) -> list[str]:
    """Where the person is still named: their name, their domain, their phone number (a run
    of digits and separators holding its digits)."""
    traces = []
    for table, values in _rows(url).items():
        for column, value in values:
            lowered = value.lower()
            numbers = (digits(run) for run in _NUMBER.findall(value))
            if (
                "löschmich" in lowered
                or DOMAIN in lowered
                or any(PHONE_DIGITS in number for number in numbers)
            ):
                traces.append(f"{table}.{column}: {value[:80]}")
    return traces


def _appointment(url: str, code: str) -> appointment_tables.Appointment:
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.session.scalars(
            select(appointment_tables.Appointment).where(
                appointment_tables.Appointment.code == code
            )
        ).one()
        uow.session.expunge(row)
        return row


def _cells(url: str, code: str) -> int:
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.session.scalars(
            select(appointment_tables.Appointment.id).where(
                appointment_tables.Appointment.code == code
            )
        ).one()
        return len(
            uow.session.scalars(
                select(appointment_tables.CounterCell.cell).where(
                    appointment_tables.CounterCell.appointment_id == row
                )
            ).all()
        )


def _concern(url: str, code: str) -> tuple[concern_tables.Concern, list[str]]:
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.session.scalars(
            select(concern_tables.Concern).where(concern_tables.Concern.tracking_code == code)
        ).one()
        steps = uow.session.scalars(
            select(concern_tables.ConcernStep.kind)
            .where(concern_tables.ConcernStep.concern_id == row.id)
            .order_by(concern_tables.ConcernStep.id)
        ).all()
        uow.session.expunge(row)
        return row, list(steps)


def _audit(url: str) -> list[tuple[str, str, str]]:
    with UnitOfWork(get_engine(url)) as uow:
        rows = uow.session.execute(
            select(AuditEntry.action, AuditEntry.object_id, AuditEntry.detail)
            .where(AuditEntry.action.like("privacy.%"))
            .order_by(AuditEntry.id)
        ).all()
        return [(a, o, d) for a, o, d in rows]


def test_erasing_leaves_no_trace_keeps_the_facts_and_frees_the_time(fresh_world: World) -> None:
    w, s, url = fresh_world, fresh_world.seeded, fresh_world.url
    assert _traces(url), "the seeded person should be found before the erasure"
    other_before = _appointment(url, s.other)
    with _client(w.app, 11) as client:
        assert login(client, "dp-supervisor").status_code == 303
        csrf = form_token(client.get(PAGE).text)
        person = {"csrf": csrf, "email": f"Anna@{DOMAIN}", "telefon": "0561 8765432"}
        # First the confirmation: nothing is erased yet.
        asked = client.post(f"{PAGE}/loeschen", data=person)
        assert asked.status_code == 200 and 'name="bestaetigt" value="ja"' in asked.text
        assert "Jetzt gespeichert: Termine: 4, Wartelisten-Einträge: 1, Anliegen: 2." in asked.text
        assert _appointment(url, s.future[0]).name == NAME
        done = client.post(f"{PAGE}/loeschen", data={**person, "bestaetigt": "ja"})
        assert done.status_code == 200 and "Die Daten sind gelöscht." in done.text
        assert "Kommende Termine abgesagt (die Zeit ist wieder frei): 3" in done.text

    assert _traces(url) == []
    # The coming visits are cancelled and their cells free; the past one keeps its status.
    for code in (*s.future, s.by_phone_only):
        row = _appointment(url, code)
        assert row.status == "cancelled" and row.purged
        assert (row.name, row.email, row.email_key, row.phone) == ("", "", "", "")
        assert _cells(url, code) == 0
    past = _appointment(url, s.past)
    assert past.status == "booked" and past.purged and past.name == ""
    # The concerns stay, closed, with their history and a line saying it was erased.
    for code in (s.concern_email, s.concern_phone):
        row, steps = _concern(url, code)
        assert row.status == "closed" and row.purged_at is not None
        assert (row.question, row.citizen_name, row.citizen_email, row.citizen_phone) == (
            "",
            "",
            "",
            "",
        )
        assert steps[0] == "received" and steps[-1] == "purged"
    # Another person's data is untouched; their waiting place got the freed time's offer.
    other = _appointment(url, s.other)
    assert (other.name, other.email, other.status) == (OTHER_NAME, OTHER_EMAIL, "booked")
    assert _cells(url, s.other) > 0
    assert other.start_at == other_before.start_at
    bert, _ = _concern(url, s.other_concern)
    assert bert.citizen_name == OTHER_NAME and bert.citizen_email == OTHER_EMAIL
    with UnitOfWork(get_engine(url)) as uow:
        entry = uow.session.get(appointment_tables.WaitlistEntry, s.other_entry)
        assert entry is not None and entry.name == OTHER_NAME
        assert entry.status == "offered"  # the waitlist was offered time in the same transaction
        assert uow.session.get(appointment_tables.WaitlistEntry, s.entry) is None

    # Again, through the API with a supervisor's token: nothing more to erase.
    with _client(w.app, 12) as client:
        bearer = {"Authorization": f"Bearer {w.tokens['supervisor']}"}
        again = client.post(
            "/api/v1/privacy/erase",
            json={"email": f"anna@{DOMAIN}", "phone": "+49 561 8765432", "confirm": True},
            headers=bearer,
        )
        assert again.status_code == 200
        assert again.json() == {
            "cancelled": 0,
            "appointments": 0,
            "waitlist": 0,
            "concerns": 0,
            "closed_concerns": 0,
        }
        found = client.post(
            "/api/v1/privacy/search", json={"email": f"anna@{DOMAIN}"}, headers=bearer
        )
        assert found.json()["counts"] == {"appointments": 0, "waitlist": 0, "concerns": 0}

    entries = _audit(url)
    actions = [a for a, _, _ in entries]
    assert actions == ["privacy.erased", "privacy.erased", "privacy.searched"]
    assert entries[0][2] == (
        "by=email+phone cancelled=3 appointments=4 waitlist=1 concerns=2 closed_concerns=2"
    )
    for _, object_id, detail in entries:
        assert "@" not in detail and DOMAIN not in detail and PHONE_DIGITS not in digits(detail)
        assert object_id in ("email", "phone", "email+phone")


def test_the_api_erases_by_phone_alone_and_records_with_counts(fresh_world: World) -> None:
    w, s, url = fresh_world, fresh_world.seeded, fresh_world.url
    with _client(w.app, 13) as client:
        bearer = {"Authorization": f"Bearer {w.tokens['admin']}"}
        found = client.post(
            "/api/v1/privacy/search", json={"phone": "0561-8765432"}, headers=bearer
        )
        assert found.status_code == 200
        body = found.json()
        assert body["counts"] == {"appointments": 3, "waitlist": 1, "concerns": 1}
        assert {a["code"] for a in body["appointments"]} == {*s.future, s.by_phone_only}
        exported = client.post(
            "/api/v1/privacy/export", json={"phone": "0561-8765432"}, headers=bearer
        )
        assert (
            exported.status_code == 200
            and "Auskunft nach Art. 15 DSGVO" in exported.json()["letter"]
        )
        refused = client.post(
            "/api/v1/privacy/erase",
            json={"phone": "0561-8765432", "confirm": False},
            headers=bearer,
        )
        assert refused.status_code == 422
        erased = client.post(
            "/api/v1/privacy/erase", json={"phone": "0561-8765432", "confirm": True}, headers=bearer
        )
        assert erased.status_code == 200
        assert erased.json()["cancelled"] == 3 and erased.json()["concerns"] == 1
    # The address alone still names the past visit and the concern with the address.
    assert _appointment(url, s.past).email == f"ANNA@{DOMAIN}"
    row, _ = _concern(url, s.concern_email)
    assert row.citizen_email == f"anna+x@{DOMAIN}"
    assert [a for a, _, _ in _audit(url)] == [
        "privacy.searched",
        "privacy.exported",
        "privacy.erased",
    ]
    assert all(detail.startswith("by=phone") for _, _, detail in _audit(url))
