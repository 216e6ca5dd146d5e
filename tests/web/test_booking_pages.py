"""The citizen's booking pages without JavaScript: book, confirm, manage, move, cancel,
the waitlist, and every kind of bad input answered in the form with a 4xx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auskunft.app import create_app
from auskunft.appointments.model.calendar import from_epoch_minutes
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN

SERVICE = "personalausweis-beantragen"
KASSEL = "kassel-buergerbuero-rathaus"
NIESTETAL = "niestetal-buergerbuero-rathaus"
START = f"/termin/buchen/{SERVICE}"


def make_app(url: str, tmp: Path, **overrides: object) -> FastAPI:
    options: dict[str, object] = {"rate_limits": "off", "worker": "off", "secret_key": "test"}
    options.update(overrides)
    return create_app(Settings(database_url=url, data_dir=tmp, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def app(module_url: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(module_url, tmp_path_factory.mktemp("booking"))


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no form token on the page"
    return found.group(1)


def cookie_token(client: TestClient) -> str:
    """The form token as the cookie holds it (pages without a form set it too)."""
    return client.cookies.get("auskunft_booking_csrf") or ""


def links(html: str, pattern: str) -> list[str]:
    return [m.replace("&amp;", "&") for m in re.findall(r'href="(' + pattern + r')"', html)]


def alert(html: str) -> str:
    found = re.search(r'role="alert"><p>(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def choose_time(client: TestClient, location: str = KASSEL, service: str = SERVICE) -> str:
    """Walk location -> day -> time; return the address of the details form."""
    days = client.get(f"/termin/buchen/{service}", params={"standort": location})
    assert days.status_code == 200
    day = links(days.text, r"/termin/buchen/[^\"]+&amp;tag=[0-9-]+")[0]
    times = client.get(day)
    assert times.status_code == 200
    return links(times.text, r"/termin/buchen/[^\"]+&amp;zeit=[0-9%A]+")[0]


def fields(details_url: str) -> dict[str, str]:
    query = dict(p.split("=", 1) for p in details_url.split("?", 1)[1].split("&"))
    return {
        "standort": query["standort"],
        "tag": query["tag"],
        "zeit": query["zeit"].replace("%3A", ":"),
    }


def book(
    client: TestClient, email: str, location: str = KASSEL, service: str = SERVICE
) -> tuple[str, str]:
    """Book through the pages; return (code, token)."""
    details = client.get(choose_time(client, location, service))
    assert details.status_code == 200
    data = {
        "csrf": form_token(details.text),
        **fields(choose_time(client, location, service)),
        "name": "Erika Mustermann",
        "email": email,
    }
    done = client.post(f"/termin/buchen/{service}", data=data, follow_redirects=False)
    assert done.status_code == 303, alert(done.text)
    found = re.fullmatch(r"/termin/([A-Z0-9-]+)/bestaetigung\?token=(.+)", done.headers["location"])
    assert found is not None
    return found.group(1), found.group(2)


def stored(url: str, code: str) -> tuple[str, int]:
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.repo(AppointmentRepository).by_code(code)
        assert row is not None
        return row.status, row.start_minute


# -- the way in ---------------------------------------------------------------------


def test_the_service_page_offers_booking_only_where_it_is_possible(client: TestClient) -> None:
    page = client.get(f"/leistungen/{SERVICE}")
    assert f'<a class="button" href="{START}">Termin buchen</a>' in page.text
    # An appointment is needed, but no location takes online bookings for it.
    assert "/termin/buchen/" not in client.get("/leistungen/kirchenaustritt").text
    assert "/termin/buchen/" not in client.get("/leistungen/hund-anmelden").text
    nothing = client.get("/termin/buchen/kirchenaustritt")
    assert nothing.status_code == 404 and "keine Online-Terminbuchung" in nothing.text


def test_the_responsible_office_comes_first(client: TestClient) -> None:
    page = client.get(START)
    assert page.status_code == 200
    places = re.findall(r"\?standort=([a-z-]+)", page.text)
    assert places[0] == KASSEL and NIESTETAL in places
    assert "Zuständig für Stadt Kassel" in page.text
    client.cookies.set("gemeinde", "niestetal")
    assert re.findall(r"\?standort=([a-z-]+)", client.get(START).text)[0] == NIESTETAL


def test_days_and_times_are_german_and_english(client: TestClient) -> None:
    days = client.get(START, params={"standort": KASSEL})
    assert re.search(r'<span class="day">(Mo|Di|Mi|Do|Fr|Sa)\., \d+\. \w+\.?</span>', days.text)
    assert re.search(r'<span class="free">\d+ frei</span>', days.text)
    times = client.get(links(days.text, r"/termin/buchen/[^\"]+&amp;tag=[0-9-]+")[0])
    assert re.search(r'<ul class="times">\s*<li><a href="[^"]+">\d\d:\d\d</a>', times.text)
    english = client.get(START, params={"standort": KASSEL, "lang": "en"})
    assert '<html lang="en">' in english.text
    assert re.search(r'<span class="day">(Mon|Tue|Wed|Thu|Fri|Sat), \w+ \d+</span>', english.text)
    times = client.get(links(english.text, r"/termin/buchen/[^\"]+&amp;tag=[0-9-]+")[0])
    assert re.search(r'<ul class="times">\s*<li><a href="[^"]+">\d+:\d\d\s[AP]M</a>', times.text)


# -- book, confirm, manage, move, cancel ------------------------------------------


def test_book_confirm_manage_move_and_cancel(client: TestClient, module_url: str) -> None:
    code, token = book(client, "flow@example.org")
    confirmation = client.get(f"/termin/{code}/bestaetigung", params={"token": token})
    assert confirmation.status_code == 200
    text = confirmation.text
    assert "<h1>Ihr Termin ist gebucht</h1>" in text and code in text
    assert "Obere Königsstraße 8, 34117 Kassel" in text
    assert "Erforderliche Unterlagen" in text and "Passbild" in text
    assert f'href="/termin/{code}?token={token}"' in text
    assert "per E-Mail an flow@example.org" in text
    assert re.search(r"<dd>(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag), \d+\. ", text)
    assert re.search(r"<dd>\d\d:\d\d bis \d\d:\d\d Uhr</dd>", text)

    manage = client.get(f"/termin/{code}", params={"token": token})
    assert manage.status_code == 200 and "<dd>gebucht</dd>" in manage.text
    move_days = client.get(links(manage.text, r"/termin/[^\"]+/verschieben\?token=[^\"]+")[0])
    day = links(move_days.text, r"/termin/[^\"]+/verschieben\?[^\"]+&amp;tag=[0-9-]+")[-1]
    times = links(client.get(day).text, r"/termin/[^\"]+&amp;zeit=[0-9%A]+")
    confirm = client.get(times[-1])
    assert confirm.status_code == 200 and "Neuen Termin bestätigen" in confirm.text
    _, before = stored(module_url, code)
    tag = re.search(r'name="tag" value="([^"]+)"', confirm.text)
    zeit = re.search(r'name="zeit" value="([^"]+)"', confirm.text)
    assert tag and zeit
    moved = client.post(
        f"/termin/{code}/verschieben",
        data={"csrf": form_token(confirm.text), "token": token, "tag": tag[1], "zeit": zeit[1]},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and "erledigt=verschoben" in moved.headers["location"]
    status, after = stored(module_url, code)
    assert status == "booked" and after != before
    assert from_epoch_minutes(after).strftime("%Y-%m-%d %H:%M") == f"{tag[1]} {zeit[1]}"
    assert "Der Termin ist verschoben." in client.get(moved.headers["location"]).text

    ask = client.get(f"/termin/{code}/absagen", params={"token": token})
    assert ask.status_code == 200 and "Ja, Termin absagen" in ask.text
    cancelled = client.post(
        f"/termin/{code}/absagen",
        data={"csrf": form_token(ask.text), "token": token},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    page = client.get(cancelled.headers["location"])
    assert "Der Termin ist abgesagt." in page.text and "<dd>abgesagt</dd>" in page.text
    assert "Termin verschieben" not in page.text and "Neuen Termin buchen" in page.text
    assert stored(module_url, code)[0] == "cancelled"
    again = client.post(
        f"/termin/{code}/absagen", data={"csrf": form_token(ask.text), "token": token}
    )
    assert again.status_code == 409 and "bereits abgesagt" in again.text


def test_a_wedding_date_is_provisional_and_held(client: TestClient) -> None:
    code, token = book(client, "paar@example.org", "kassel-trauort-rathaus", "trauung-trauort")
    page = client.get(f"/termin/{code}/bestaetigung", params={"token": token}).text
    assert "<h1>Ihr Termin ist vorläufig reserviert</h1>" in page
    held = (datetime.now(BERLIN) + timedelta(days=14)).strftime("%-d.")
    assert re.search(r"bis \w+, " + re.escape(held) + r" \w+ \d{4}, \d\d:\d\d Uhr", page)
    manage = client.get(f"/termin/{code}", params={"token": token}).text
    assert "vorläufige Reservierung des Trautermins" in manage


# -- problems are answered in the form -------------------------------------------


def test_bad_input_is_answered_in_the_form_with_the_input_kept(client: TestClient) -> None:
    details_url = choose_time(client)
    details = client.get(details_url)
    data = {"csrf": form_token(details.text), **fields(details_url), "name": "Max", "phone": ""}
    bad = client.post(START, data={**data, "email": "max@"})
    assert bad.status_code == 422
    assert "gültige E-Mail-Adresse" in alert(bad.text)
    assert 'value="max@"' in bad.text and 'value="Max"' in bad.text
    assert 'aria-describedby="email-hint form-error"' in bad.text
    nameless = client.post(START, data={**data, "name": " ", "email": "max@example.org"})
    assert nameless.status_code == 422 and "Namen" in alert(nameless.text)
    phone = client.post(START, data={**data, "email": "max@example.org", "phone": "call me"})
    assert phone.status_code == 422 and "Telefonnummer" in alert(phone.text)
    control = client.post(START, data={**data, "name": "Max\x00", "email": "max@example.org"})
    assert control.status_code == 422 and "Zeichen" in alert(control.text)
    assert 'value="Max"' in control.text


def test_a_taken_time_offers_the_times_still_free(client: TestClient) -> None:
    details_url = choose_time(client, NIESTETAL)
    token = form_token(client.get(details_url).text)
    chosen = fields(details_url)
    first = {"csrf": token, **chosen, "name": "Eine", "email": "eine@example.org"}
    assert client.post(START, data=first, follow_redirects=False).status_code == 303
    second = {**first, "name": "Andere", "email": "andere@example.org"}
    taken = client.post(START, data=second)
    assert taken.status_code == 409 and "vergeben" in alert(taken.text)
    assert 'value="Andere"' in taken.text and 'value="andere@example.org"' in taken.text
    offered = re.findall(r'type="radio" name="zeit" id="zeit-\d+" value="([0-9:]+)"', taken.text)
    assert chosen["zeit"] not in offered
    # The details page of a time gone is the day's times, with the reason.
    gone = client.get(details_url)
    assert gone.status_code == 409 and "nicht (mehr) frei" in alert(gone.text)


def test_one_appointment_per_service_and_address(client: TestClient) -> None:
    book(client, "einmal@example.org")
    details_url = choose_time(client)
    data = {
        "csrf": form_token(client.get(details_url).text),
        **fields(details_url),
        "name": "Noch einmal",
        "email": "einmal@example.org",
    }
    again = client.post(START, data=data)
    assert again.status_code == 429 and "schon ein Termin" in alert(again.text)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (f"{START}?standort=nowhere", 404),
        (f"{START}?standort={KASSEL}&tag=morgen", 422),
        (f"{START}?standort={KASSEL}&tag=9999-12-31", 422),
        (f"{START}?standort={KASSEL}&tag=2026-02-30", 422),
        (f"{START}?standort={KASSEL}&tag=2020-01-01", 422),
        (f"{START}?standort={KASSEL}&tag={{today}}&zeit=25:00", 422),
        (f"{START}?standort={KASSEL}&tag={{today}}&zeit=03:17", 409),
        ("/termin/buchen/keine-leistung", 404),
        ("/termin/buchen/a%00b", 404),
        ("/termin/ABCD-EFGH?token=nope", 404),
        ("/termin/ABCD-EFGH/verschieben?token=nope", 404),
        ("/termin/" + "X" * 40 + "?token=a", 422),
        ("/warteliste/1?token=nope", 404),
        ("/warteliste/0?token=nope", 422),
    ],
)
def test_wrong_addresses_get_a_page_with_a_4xx(client: TestClient, path: str, status: int) -> None:
    today = booking.local_day(datetime.now(UTC)).isoformat()
    r = client.get(path.replace("{today}", today))
    assert r.status_code in (status, 422) if "%00" in path else r.status_code == status
    assert r.headers["content-type"].startswith("text/html")


def test_a_form_without_its_token_is_refused(client: TestClient) -> None:
    details_url = choose_time(client)
    data = {**fields(details_url), "name": "Max", "email": "fremd@example.org"}
    r = client.post(START, data={**data, "csrf": "forged"})
    assert r.status_code == 403 and "Das Formular ist abgelaufen" in r.text
    assert client.post("/termin/ABCD-EFGH/absagen", data={"token": "x"}).status_code == 403


def test_too_many_posts_are_refused_in_the_form(tmp_path: Path, fresh_url: str) -> None:
    with TestClient(make_app(fresh_url, tmp_path, rate_limits="on", rate_limit_per_minute=1)) as c:
        details_url = choose_time(c)
        data = {
            "csrf": form_token(c.get(details_url).text),
            **fields(details_url),
            "name": "Max",
            "email": "bad",
        }
        # Three posts, so that one is over the limit even if a new minute begins.
        answers = [c.post(START, data=data) for _ in range(3)]
        assert answers[0].status_code == 422
        limited = [r for r in answers if r.status_code == 429]
        assert limited and "Zu viele Anfragen" in alert(limited[0].text)
        assert 'value="Max"' in limited[0].text


# -- the waitlist -------------------------------------------------------------------


def fill(url: str, policy: BookingPolicy) -> list[booking.Booked]:
    """Book every free time at Niestetal within the horizon."""
    done: list[booking.Booked] = []
    today = booking.local_day(datetime.now(UTC))
    while True:
        with UnitOfWork(get_engine(url)) as uow:
            slots = booking.find_slots(
                uow,
                policy,
                service_ids=[SERVICE],
                location_id=NIESTETAL,
                first=today,
                last=today + timedelta(days=30),
                now=datetime.now(UTC),
            )
            if not slots:
                return done
            person = booking.Person(f"Person {len(done)}", f"p{len(done)}@example.org")
            done.append(
                booking.book(
                    uow,
                    policy,
                    service_ids=[SERVICE],
                    location_id=NIESTETAL,
                    start=from_epoch_minutes(slots[0].start),
                    person=person,
                    now=datetime.now(UTC),
                )
            )
            uow.commit()


def join(client: TestClient, name: str, email: str) -> tuple[str, str]:
    days = client.get(START, params={"standort": NIESTETAL})
    assert days.status_code == 200 and "Keine freien Termine" in days.text
    data = {
        "csrf": form_token(days.text),
        "leistung": SERVICE,
        "standort": NIESTETAL,
        "name": name,
        "email": email,
    }
    r = client.post("/warteliste", data=data, follow_redirects=False)
    assert r.status_code == 303, alert(r.text)
    found = re.fullmatch(r"/warteliste/(\d+)\?token=(.+)", r.headers["location"])
    assert found is not None
    return found.group(1), found.group(2)


def test_the_waitlist_when_every_time_is_booked(tmp_path: Path, fresh_url: str) -> None:
    app = make_app(fresh_url, tmp_path, booking_horizon_days=7)
    with TestClient(app, raise_server_exceptions=False) as c:
        # Free times: no waitlist, and joining it is refused.
        days = c.get(START, params={"standort": NIESTETAL})
        assert "Tag wählen" in days.text
        data = {"csrf": cookie_token(c), "leistung": SERVICE, "standort": NIESTETAL}
        early = c.post("/warteliste", data={**data, "name": "Zu", "email": "frueh@example.org"})
        assert early.status_code == 409 and "noch freie Termine" in alert(early.text)

        booked = fill(fresh_url, app.state.policy)
        assert booked, "Niestetal is open on some day of any week"
        bad = c.post("/warteliste", data={**data, "name": "Ohne Adresse", "email": ""})
        assert bad.status_code == 422 and 'value="Ohne Adresse"' in bad.text
        first, first_token = join(c, "Erste", "erste@example.org")
        second, second_token = join(c, "Zweite", "zweite@example.org")
        page = c.get(f"/warteliste/{second}", params={"token": second_token})
        assert page.status_code == 200 and "Sie sind auf Platz 2." in page.text

        # A cancelled time is held for the first in line, who accepts it.
        last = booked[-1]
        with UnitOfWork(get_engine(fresh_url)) as uow:
            booking.cancel(
                uow,
                app.state.policy,
                code=last.appointment.code,
                token=last.manage_token,
                now=datetime.now(UTC),
            )
            uow.commit()
        waiting = c.get(f"/warteliste/{first}", params={"token": first_token})
        offer = links(waiting.text, r"/termin/[A-Z0-9-]+\?token=[^\"]+")
        assert "Ein Termin wird für Sie freigehalten." in waiting.text and offer
        manage = c.get(offer[0])
        assert "Termin annehmen" in manage.text and "Bitte antworten Sie bis" in manage.text
        code = offer[0].split("/")[2].split("?")[0]
        token = offer[0].split("token=")[1]
        accepted = c.post(
            f"/termin/{code}/annehmen",
            data={"csrf": form_token(manage.text), "token": token},
            follow_redirects=False,
        )
        assert accepted.status_code == 303
        assert "<dd>gebucht</dd>" in c.get(accepted.headers["location"]).text
        assert stored(fresh_url, code)[0] == "booked"
        assert "Sie sind auf Platz 1." in c.get(f"/warteliste/{second}?token={second_token}").text

        # The second leaves the waitlist.
        left = c.post(
            f"/warteliste/{second}/verlassen",
            data={"csrf": form_token(page.text), "token": second_token},
            follow_redirects=False,
        )
        assert left.status_code == 303
        after = c.get(left.headers["location"]).text
        assert "Sie haben sich von der Warteliste abgemeldet." in after
        assert "Von der Warteliste abmelden" not in after


def test_a_declined_offer_ends_the_entry(tmp_path: Path, fresh_url: str) -> None:
    app = make_app(fresh_url, tmp_path, booking_horizon_days=7)
    with TestClient(app, raise_server_exceptions=False) as c:
        booked = fill(fresh_url, app.state.policy)
        entry, entry_token = join(c, "Dritte", "dritte@example.org")
        with UnitOfWork(get_engine(fresh_url)) as uow:
            booking.cancel(
                uow,
                app.state.policy,
                code=booked[-1].appointment.code,
                token=booked[-1].manage_token,
                now=datetime.now(UTC),
            )
            uow.commit()
        offer = links(
            c.get(f"/warteliste/{entry}?token={quote(entry_token)}").text,
            r"/termin/[A-Z0-9-]+\?token=[^\"]+",
        )[0]
        manage = c.get(offer)
        code, token = offer.split("/")[2].split("?")[0], offer.split("token=")[1]
        moving = c.get(f"/termin/{code}/verschieben", params={"token": token})
        assert "kann nicht mehr verschoben werden" in moving.text
        declined = c.post(
            f"/termin/{code}/ablehnen",
            data={"csrf": form_token(manage.text), "token": token},
            follow_redirects=False,
        )
        assert declined.status_code == 303
        assert "abgelehnt" in c.get(declined.headers["location"]).text
        assert stored(fresh_url, code)[0] == "cancelled"
        ended = c.get(f"/warteliste/{entry}?token={quote(entry_token)}").text
        assert "nicht mehr auf der Warteliste" in ended


# -- nothing gives a 500 ------------------------------------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    standort=st.one_of(_text, st.just(KASSEL)),
    tag=st.one_of(_text, st.dates().map(str)),
    zeit=st.one_of(_text, st.sampled_from(["08:00", "24:00", "12:5", "-1:00"])),
    name=_text,
    email=st.one_of(_text, st.emails().map(str)),
    phone=_text,
)
def test_no_form_input_gives_a_server_error(
    client: TestClient, standort: str, tag: str, zeit: str, name: str, email: str, phone: str
) -> None:
    params = {"standort": standort, "tag": tag, "zeit": zeit}
    assert client.get(START, params=params).status_code < 500
    client.get(START)
    token = cookie_token(client)
    data = {"csrf": token, **params, "name": name, "email": email, "phone": phone}
    r = client.post(START, data=data, follow_redirects=False)
    assert r.status_code < 500
    if r.status_code == 303:
        assert r.headers["location"].startswith("/termin/")
    joined = client.post("/warteliste", data={**data, "leistung": SERVICE}, follow_redirects=False)
    assert 400 <= joined.status_code < 500
    moved = client.post(
        "/termin/ABCD-EFGH/verschieben", data={"csrf": token, "token": name, **params}
    )
    assert 400 <= moved.status_code < 500
