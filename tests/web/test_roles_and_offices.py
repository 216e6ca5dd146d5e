"""Each staff page lets in the roles it declares, and a clerk sees the visitors of their own
offices only: another office's calendar, day list and bookings are "not found" to them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from auskunft.access.service import create_user
from auskunft.app import create_app
from auskunft.appointments.model.calendar import from_epoch_minutes
from auskunft.appointments.service import agenda, booking
from auskunft.appointments.service.booking import local_day
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import NotFound
from auskunft.core.principal import Login, Role, owned_or_not_found
from tests.web.test_staff_login import PASSWORD, form_token, login

HERBORN = "herborn-buergerbuero-rathaus"
KASSEL = "kassel-buergerbuero-rathaus"
SERVICE = "personalausweis-beantragen"
# user name -> (role, authorities)
STAFF = {
    "agent-rollen": ("agent", []),
    "clerk-herborn": ("clerk", ["herborn-buergerbuero"]),
    "clerk-kassel": ("clerk", ["kassel-buergerbuero"]),
    "clerk-ohne": ("clerk", []),
    "editor-rollen": ("editor", []),
    "supervisor-rollen": ("supervisor", []),
    "admin-rollen": ("admin", []),
}
BOOKED: dict[str, Any] = {}


def _first_free(app: FastAPI, url: str, location: str) -> datetime:
    with UnitOfWork(get_engine(url)) as uow:
        first = local_day(datetime.now(UTC)) + timedelta(days=3)
        slots = booking.find_slots(
            uow,
            app.state.policy,
            service_ids=[SERVICE],
            location_id=location,
            first=first,
            last=first + timedelta(days=20),
            now=datetime.now(UTC),
        )
    return from_epoch_minutes(slots[0].start)


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    with UnitOfWork(get_engine(module_url)) as uow:
        for name, (role, offices) in STAFF.items():
            create_user(
                uow, name, role, PASSWORD, datetime.now(UTC), authorities=offices, offices=catalog
            )
        uow.commit()
    application = create_app(Settings(database_url=module_url, worker="off"))
    for location, person in ((HERBORN, "Hanna Herborn"), (KASSEL, "Karl Kassel")):
        start = _first_free(application, module_url, location)
        with UnitOfWork(get_engine(module_url)) as uow:
            done = booking.book(
                uow,
                application.state.policy,
                service_ids=[SERVICE],
                location_id=location,
                start=start,
                person=booking.Person(person, "p@example.org", "0561 1"),
                now=datetime.now(UTC),
                channel="phone",
            )
            uow.commit()
        BOOKED[location] = (done.appointment.code, start.date())
    return application


@pytest.fixture()
def as_user(app: FastAPI) -> Iterator[Any]:
    clients: list[TestClient] = []

    def open_as(username: str) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        assert login(client, username).status_code == 303
        return client

    yield open_as
    for client in clients:
        client.__exit__(None, None, None)


def day_list(client: TestClient, location: str) -> Any:
    _, day = BOOKED[location]
    return client.get("/dienststelle/termine", params={"ort": location, "tag": day.isoformat()})


def status_of(url: str, code: str) -> str:
    with UnitOfWork(get_engine(url)) as uow:
        return agenda.lookup(uow, code=code).status


@pytest.mark.parametrize(
    ("username", "status", "accounts"),
    [
        ("agent-rollen", 200, False),
        ("supervisor-rollen", 200, True),
        ("admin-rollen", 200, True),
        ("clerk-herborn", 403, False),
        ("editor-rollen", 403, False),
    ],
)
def test_the_overview_lets_in_the_service_center_and_shows_accounts_to_its_leads(
    as_user: Any, username: str, status: int, accounts: bool
) -> None:
    page = as_user(username).get("/admin")
    assert page.status_code == status
    assert ("clerk-kassel" in page.text) is accounts
    assert ('href="/admin"' in page.text) is (status == 200)


def test_strangers_are_sent_to_the_login_from_every_staff_page(app: FastAPI) -> None:
    with TestClient(app) as stranger:
        for path in ("/admin", "/desk", "/dienststelle/termine", "/desk/termin/suche"):
            r = stranger.get(path, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"].startswith("/anmelden"), path


def test_a_clerk_sees_the_visitors_of_their_own_office(as_user: Any) -> None:
    page = day_list(as_user("clerk-herborn"), HERBORN)
    assert page.status_code == 200 and "Hanna Herborn" in page.text
    assert KASSEL not in page.text  # the other office is not even offered


def test_a_clerk_of_another_office_finds_nothing_there(as_user: Any) -> None:
    clerk = as_user("clerk-kassel")
    page = day_list(clerk, HERBORN)
    assert page.status_code == 404 and "Hanna Herborn" not in page.text
    own = day_list(clerk, KASSEL)
    assert own.status_code == 200 and "Karl Kassel" in own.text and HERBORN not in own.text


def test_a_clerk_cannot_act_on_another_offices_visitor(as_user: Any, module_url: str) -> None:
    clerk = as_user("clerk-kassel")
    code, day = BOOKED[HERBORN]
    data = {
        "csrf": form_token(day_list(clerk, KASSEL).text),
        "code": code,
        "action": "cancel",
        "ort": KASSEL,
        "tag": day.isoformat(),
    }
    r = clerk.post("/dienststelle/termine/aktion", data=data, follow_redirects=False)
    assert r.status_code == 404 and "keinen Termin" in r.text
    assert status_of(module_url, code) == "booked"


def test_a_clerk_without_an_office_sees_no_visitors(as_user: Any) -> None:
    clerk = as_user("clerk-ohne")
    r = clerk.get("/dienststelle/termine")
    assert r.status_code == 404
    assert "Hanna Herborn" not in day_list(clerk, HERBORN).text


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("agent-rollen", 200),
        ("supervisor-rollen", 200),
        ("admin-rollen", 200),
        ("clerk-herborn", 403),
        ("editor-rollen", 403),
    ],
)
def test_booking_for_callers_is_the_service_centers(
    as_user: Any, username: str, status: int
) -> None:
    code, _ = BOOKED[HERBORN]
    r = as_user(username).get("/desk/termin/suche", params={"code": code})
    assert r.status_code == status
    assert ("Hanna Herborn" in r.text) is (status == 200)


def test_an_editor_cannot_cancel_from_the_desk(as_user: Any, module_url: str) -> None:
    editor = as_user("editor-rollen")
    code, _ = BOOKED[KASSEL]
    csrf = form_token(editor.get("/desk").text)
    r = editor.post("/desk/termin/absagen", data={"csrf": csrf, "code": code})
    assert r.status_code == 403
    assert status_of(module_url, code) == "booked"


def test_the_desk_is_every_staff_members_start_page(as_user: Any) -> None:
    for username in STAFF:
        assert as_user(username).get("/desk").status_code == 200, username


# -- the rule itself -----------------------------------------------------------------


def _login(role: Role, authorities: frozenset[str] = frozenset()) -> Login:
    return Login(1, "x", role.value, "t", authorities=authorities)


def test_the_service_center_sees_every_office_and_a_clerk_only_their_own() -> None:
    for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        assert _login(role).sees(authority="herborn-buergerbuero")
    clerk = _login(Role.CLERK, frozenset({"kassel-buergerbuero"}))
    assert clerk.sees(authority="kassel-buergerbuero")
    assert not clerk.sees(authority="herborn-buergerbuero")
    assert not clerk.sees()
    assert not _login(Role.EDITOR).sees(authority="kassel-buergerbuero")


def test_another_offices_object_and_a_missing_one_are_the_same_not_found() -> None:
    clerk = _login(Role.CLERK, frozenset({"kassel-buergerbuero"}))
    what = ("Gibt es nicht.", "No such thing.")
    with pytest.raises(NotFound) as other:
        owned_or_not_found(clerk, "herborn", authority=lambda o: f"{o}-buergerbuero", what=what)
    with pytest.raises(NotFound) as missing:
        owned_or_not_found(clerk, None, what=what)
    assert (other.value.message, other.value.status) == (missing.value.message, 404)
    own = owned_or_not_found(clerk, "kassel", authority=lambda o: f"{o}-buergerbuero")
    assert own == "kassel"
