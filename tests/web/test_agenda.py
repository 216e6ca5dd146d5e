"""The department's day list without a browser: who may see it, arrivals and no-shows at the
right time only, wedding confirmation, cancelling, and the printable page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from auskunft.access.service import create_user
from auskunft.app import create_app
from auskunft.appointments import tables as t
from auskunft.appointments.model.calendar import epoch_minutes, from_epoch_minutes
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import bump_version
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from tests.web.test_staff_login import PASSWORD, form_token, login

HERBORN = "herborn-buergerbuero-rathaus"  # two counters, a 10-minute grid
SERVICE = "personalausweis-beantragen"
VENUE = "kassel-trauort-rathaus"
USERS: dict[str, int] = {}
BOOKED: dict[str, Any] = {}


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return booking.local_day(now())


def _book(app: FastAPI, url: str, name: str, start: datetime, **kw: Any) -> str:
    with UnitOfWork(get_engine(url)) as uow:
        done = booking.book(
            uow,
            app.state.policy,
            service_ids=[kw.get("service", SERVICE)],
            location_id=kw.get("location", HERBORN),
            start=start,
            person=booking.Person(name, f"{name.split()[0].lower()}@example.org", "0561 42"),
            now=kw.get("at", now()),
            channel="phone",
        )
        uow.commit()
        return done.appointment.code


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    """Herborn opens all day today and tomorrow, so visits can begin around the test's time."""
    with UnitOfWork(get_engine(module_url)) as uow:
        for role in ("agent", "clerk"):
            # The clerk works for Herborn's Bürgerbüro and Kassel's Standesamt (its wedding
            # venues): a clerk sees the calendars of their own offices only.
            offices = ["herborn-buergerbuero", "kassel-standesamt"] if role == "clerk" else []
            user = create_user(
                uow, f"{role}-agenda", role, PASSWORD, now(), authorities=offices, offices=catalog
            )
            USERS[role] = user.id
        for day in (today(), today() + timedelta(days=1)):
            uow.session.add(
                t.CalendarException(location_id=HERBORN, day=day, opens=0, closes=24 * 60)
            )
        bump_version(uow, HERBORN)
        uow.commit()
    application = create_app(Settings(database_url=module_url, worker="off"))
    # Visits that began a moment ago are booked as if from three hours back (the lead time).
    begun = from_epoch_minutes(epoch_minutes(now()) // 10 * 10)
    # A visit ends by midnight (the day is open until 24:00): in the last minutes of a day
    # the visit began a little earlier, so that it still fits (found by a CI run at 23:59).
    local = begun.astimezone(BERLIN)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=BERLIN)
    if midnight - local < timedelta(minutes=40):
        begun = (midnight - timedelta(minutes=40)).astimezone(UTC)
    earlier = now() - timedelta(hours=3)
    BOOKED["begun"] = _book(application, module_url, "Anna Anfang", begun, at=earlier)
    BOOKED["absent"] = _book(application, module_url, "Bert Fehlt", begun, at=earlier)
    later = begun + timedelta(hours=1)
    BOOKED["later"] = _book(application, module_url, "Clara Später", later, at=earlier)
    # Late in the evening the later visit falls on the next local day: each is looked for on
    # its own day, as the clerk would.
    BOOKED["day"] = booking.local_day(begun)
    BOOKED["later_day"] = booking.local_day(later)
    return application


@pytest.fixture()
def clerk(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        assert login(c, "clerk-agenda", next_page="/dienststelle/termine").status_code == 303
        yield c


def day_list(client: TestClient, location: str = HERBORN, day: date | None = None) -> Any:
    day = day or BOOKED["day"]
    return client.get("/dienststelle/termine", params={"ort": location, "tag": day.isoformat()})


def act(client: TestClient, code: str, action: str, **extra: str) -> Any:
    data = {
        "csrf": form_token(day_list(client).text),
        "code": code,
        "action": action,
        "ort": HERBORN,
        "tag": BOOKED["day"].isoformat(),
        **extra,
    }
    return client.post("/dienststelle/termine/aktion", data=data, follow_redirects=False)


def status(url: str, code: str) -> tuple[str, int | None]:
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.repo(AppointmentRepository).by_code(code)
        assert row is not None
        return row.status, row.changed_by


def test_strangers_are_sent_to_the_login(app: FastAPI) -> None:
    with TestClient(app) as stranger:
        r = stranger.get("/dienststelle/termine", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/anmelden?next=")
        posted = stranger.post(
            "/dienststelle/termine/aktion", data={"code": BOOKED["begun"], "action": "arrived"}
        )
        assert posted.url.path == "/anmelden"


def test_agents_do_not_see_the_list(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as agent:
        assert login(agent, "agent-agenda").status_code == 303
        assert "/dienststelle/termine" not in agent.get("/desk").text
        refused = agent.get("/dienststelle/termine")
        assert refused.status_code == 403 and "Buchungsnummer" in refused.text
        data = {"csrf": form_token(agent.get("/desk").text), "code": BOOKED["begun"]}
        posted = agent.post("/dienststelle/termine/aktion", data={**data, "action": "arrived"})
        assert posted.status_code == 403


def test_the_clerk_sees_the_day_per_counter(clerk: TestClient) -> None:
    assert 'href="/dienststelle/termine"' in clerk.get("/desk").text
    r = day_list(clerk)
    assert r.status_code == 200
    html = r.text
    assert "Bürgerbüro Herborn" in html
    assert BOOKED["day"].strftime("%d.%m.%Y") in html
    assert "<caption>Schalter 1</caption>" in html and "<caption>Schalter 2</caption>" in html
    for name in ("Anna Anfang", "Bert Fehlt"):
        assert name in html
    assert "Clara Später" in day_list(clerk, day=BOOKED["later_day"]).text
    assert "telefonisch" in html and "0561 42" in html
    assert "Erschienen<span" in html  # for the visits that began
    default = clerk.get("/dienststelle/termine")
    assert default.status_code == 200 and '<option value="' in default.text
    neighbours = re.findall(r'rel="(?:prev|next)" href="[^"]*tag=(\d{4}-\d\d-\d\d)"', html)
    day = BOOKED["day"]
    assert neighbours == [str(day - timedelta(days=1)), str(day + timedelta(days=1))]


def test_arrival_and_no_show_only_at_the_right_time(clerk: TestClient, module_url: str) -> None:
    later = BOOKED["later"]
    assert act(clerk, later, "no_show").status_code == 409  # not begun yet
    early = act(clerk, later, "arrived")
    assert early.status_code == 409 and 'role="alert"' in early.text
    r = act(clerk, BOOKED["begun"], "arrived")
    assert r.status_code == 303 and "erledigt=arrived" in r.headers["location"]
    assert "als erschienen erfasst" in clerk.get(r.headers["location"]).text
    assert status(module_url, BOOKED["begun"]) == ("arrived", USERS["clerk"])
    again = act(clerk, BOOKED["begun"], "no_show")
    assert again.status_code == 409 and "nur bei gebuchten Terminen" in again.text
    assert act(clerk, BOOKED["absent"], "no_show").status_code == 303
    assert status(module_url, BOOKED["absent"])[0] == "no_show"
    assert status(module_url, later) == ("booked", None)


def test_a_wedding_reservation_is_confirmed_at_the_registration(
    app: FastAPI, clerk: TestClient, module_url: str
) -> None:
    with UnitOfWork(get_engine(module_url)) as uow:
        first = today() + timedelta(days=10)
        slots = booking.find_slots(
            uow,
            app.state.policy,
            service_ids=["trauung-trauort"],
            location_id=VENUE,
            first=first,
            last=first + timedelta(days=30),
            now=now(),
            channel="phone",
        )
    start = from_epoch_minutes(slots[0].start)
    code = _book(app, module_url, "Dora Traut", start, location=VENUE, service="trauung-trauort")
    html = day_list(clerk, VENUE, start.date()).text
    assert "vorläufig reserviert" in html and "Anmeldung der Eheschließung erfolgt" in html
    data = {"ort": VENUE, "tag": start.date().isoformat()}
    r = act(clerk, code, "confirm", **data)
    assert r.status_code == 303
    assert status(module_url, code) == ("booked", USERS["clerk"])
    with UnitOfWork(get_engine(module_url)) as uow:
        row = uow.repo(AppointmentRepository).by_code(code)
        assert row is not None and row.expires_at is None
    assert "Anmeldung der Eheschließung erfolgt" not in day_list(clerk, VENUE, start.date()).text
    assert act(clerk, code, "confirm", **data).status_code == 409


def test_the_clerk_cancels_a_visit(app: FastAPI, clerk: TestClient, module_url: str) -> None:
    start = from_epoch_minutes(epoch_minutes(now()) // 10 * 10) + timedelta(hours=3)
    code = _book(app, module_url, "Emil Absage", start)
    r = act(clerk, code, "cancel", tag=start.date().isoformat())
    assert r.status_code == 303
    assert status(module_url, code) == ("cancelled", USERS["clerk"])
    html = day_list(clerk, day=start.date()).text
    ended = html[html.index("Abgesagt oder abgelaufen") :]
    assert "Emil Absage" in ended
    assert act(clerk, code, "cancel").status_code == 409


def test_bad_requests_are_refused_clearly(clerk: TestClient, module_url: str) -> None:
    forged = act(clerk, BOOKED["later"], "cancel", csrf="forged")
    assert forged.status_code == 403
    assert status(module_url, BOOKED["later"])[0] == "booked"
    assert act(clerk, BOOKED["later"], "vanish").status_code == 422
    assert act(clerk, "12", "arrived").status_code == 422
    assert act(clerk, "ZZZZ-ZZZZ", "arrived").status_code == 404
    bad_day = clerk.get("/dienststelle/termine", params={"tag": "gestern"})
    assert bad_day.status_code == 422
    assert clerk.get("/dienststelle/termine", params={"ort": "nirgendwo"}).status_code == 404


def test_the_list_prints_on_a4_without_buttons(clerk: TestClient) -> None:
    html = day_list(clerk).text
    assert '<link rel="stylesheet" href="/static/staff.css">' in html
    assert 'class="agenda-pick no-print"' in html and 'class="agenda-days no-print"' in html
    assert re.search(r'<h1 class="agenda-title">Termine: Bürgerbüro Herborn', html)
    assert "Stand: " in html
    css = clerk.get("/static/staff.css").text
    printing = css[css.index("@media print") :]
    assert "size: A4" in printing
    hiding = next(line for line in printing.splitlines() if "display: none" in line)
    for hidden in (".staff-bar", ".no-print", "button", "form"):
        assert hidden in hiding
    assert "table-header-group" in printing
