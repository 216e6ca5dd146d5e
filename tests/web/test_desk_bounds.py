"""The desk refuses times, days and ids no caller can mean with a 422, never a 500 (issue 13):
contacts from the year 1 or 12, a booking day in the year 9999, a row id beyond any
integer column."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.appointments.service import booking
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk import tables as t
from tests.web.test_staff_login import PASSWORD, login

SERVICE = "personalausweis-beantragen"
LOCATION = "kassel-buergerbuero-rathaus"
TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "agent-bounds", "agent", PASSWORD, now)
        TOKEN["agent"] = create_api_token(uow, "agent-bounds-t", now, username="agent-bounds")
        uow.commit()
    return create_app(Settings(database_url=module_url, worker="off", rate_limits="off"))


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        assert login(c, "agent-bounds").status_code == 303
        yield c


def stored_contacts(url: str) -> int:
    with UnitOfWork(get_engine(url)) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(t.Contact)) or 0)


def post_contact(client: TestClient, started: str, ended: str) -> httpx.Response:
    answer: httpx.Response = client.post(
        "/api/v1/contacts",
        json={"channel": "115", "outcome": "answered", "started_at": started, "ended_at": ended},
        headers={"Authorization": f"Bearer {TOKEN['agent']}"},
    )
    return answer


@pytest.mark.parametrize(
    ("started", "ended"),
    [
        ("0001-01-01T00:00:00+01:00", "now"),  # was a 500 (time-zone arithmetic overflows)
        ("0001-01-01T00:00:00+01:00", "0001-01-01T00:05:00+01:00"),
        ("0012-03-04T09:00:00+01:00", "0012-03-04T09:04:00+01:00"),  # was stored
        ("2020-01-02T09:00:00+01:00", "2020-01-02T09:04:00+01:00"),
        ("31 days ago", "31 days ago"),
        ("now", "9999-12-31T23:59:00-14:00"),
    ],
)
def test_a_contact_from_long_ago_or_far_ahead_is_refused(
    client: TestClient, module_url: str, started: str, ended: str
) -> None:
    now = datetime.now(UTC)
    moments = {"now": now.isoformat(), "31 days ago": (now - timedelta(days=31)).isoformat()}
    before = stored_contacts(module_url)
    r = post_contact(client, moments.get(started, started), moments.get(ended, ended))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["message"] and error["message_en"]
    assert stored_contacts(module_url) == before


def test_a_contact_reported_a_few_days_late_is_still_taken(client: TestClient) -> None:
    end = datetime.now(UTC) - timedelta(days=29)
    r = post_contact(client, (end - timedelta(minutes=4)).isoformat(), end.isoformat())
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2999-01-01"])
@pytest.mark.parametrize("path", ["/desk/termin", "/desk/termin/suche"])
def test_a_booking_day_centuries_away_is_refused_with_a_page(
    client: TestClient, path: str, day: str
) -> None:
    r = client.get(path, params={"leistung": SERVICE, "code": "ABCD2345", "tag": day})
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]
    assert "Bitte einen Tag zwischen dem" in r.text


def test_a_booking_day_in_reach_is_still_shown(client: TestClient) -> None:
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    r = client.get("/desk/termin", params={"leistung": SERVICE, "tag": day})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "start", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:00-14:00", "kein Datum"]
)
def test_a_booking_for_an_impossible_time_is_refused_in_the_form(
    client: TestClient, start: str
) -> None:
    page = client.get("/desk", params={"leistung": SERVICE})
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/desk/termin",
        data={
            "csrf": csrf,
            "service": SERVICE,
            "location": LOCATION,
            "start": start,
            "name": "Erika Muster",
            "phone": "0561 12345",
        },
        follow_redirects=False,
    )
    assert 400 <= r.status_code < 500, r.status_code
    assert "Erika Muster" in r.text  # the form again, with what was typed


@pytest.mark.parametrize("param", ["erfasst", "anliegen"])
@pytest.mark.parametrize("value", ["9223372036854775808", "2147483648", "0", "-1"])
def test_a_row_id_beyond_any_row_is_refused_with_a_page(
    client: TestClient, param: str, value: str
) -> None:
    r = client.get("/desk", params={param: value})
    assert r.status_code == 422
    assert "text/html" in r.headers["content-type"]


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:00-14:00"])
def test_a_move_to_an_impossible_time_is_refused_in_place(
    app: FastAPI, client: TestClient, module_url: str, start: str
) -> None:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
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
        done = booking.book(
            uow,
            app.state.policy,
            service_ids=[SERVICE],
            location_id=LOCATION,
            start=booking.from_epoch_minutes(slots[0].start),
            person=booking.Person("Erika Verschiebung", "erika@example.org"),
            now=now,
            channel="phone",
        )
        uow.commit()
        code = done.appointment.code
    page = client.get("/desk/termin/suche", params={"code": code})
    csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    r = client.post(
        "/desk/termin/verschieben",
        data={"csrf": csrf, "code": code, "start": start},
        follow_redirects=False,
    )
    assert 400 <= r.status_code < 500, r.status_code
    assert "Erika Verschiebung" in r.text  # the booking again, with the reason
