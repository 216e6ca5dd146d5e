"""Booking in a real browser at 200 % zoom: a citizen books, moves and cancels an
appointment, reserves a wedding date, and waits for a time on the waitlist; axe-core
finds nothing on any of these pages and none of them scrolls sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from auskunft.appointments.model.calendar import from_epoch_minutes
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from tests.browser.axe import assert_accessible
from tests.browser.conftest import TIMEOUT_MS, _check_front_end
from tests.browser.server import live_server
from tests.web.test_booking_pages import NIESTETAL, fill

pytestmark = pytest.mark.browser

SECRET = "browser-test-secret"
Server = tuple[str, str, BookingPolicy]


def open_hour(page: Page, index: int) -> None:
    """Many free times come by hour: open one (a day with few has none to open)."""
    hours = page.locator("details.hour > summary")
    if hours.count():
        hours.nth(index).click()


def _server(data_dir: Path, **settings: object) -> Iterator[Server]:
    options = {"rate_limits": "off", "worker": "off", "secret_key": SECRET, **settings}
    url = f"sqlite:///{data_dir / 'auskunft.sqlite3'}"
    policy = BookingPolicy.from_settings(
        Settings(database_url=url, data_dir=data_dir, env="test", **options)  # type: ignore[arg-type]
    )
    with live_server(data_dir, **options) as base:
        yield base, url, policy


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _check_front_end()
    yield from _server(tmp_path_factory.mktemp("booking"))


@pytest.fixture(scope="module")
def full_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that books a week ahead only, so a small office can be full."""
    _check_front_end()
    yield from _server(tmp_path_factory.mktemp("booking-full"), booking_horizon_days=7)


def _page(browser: Browser, base: str) -> Iterator[Page]:
    # 640 CSS pixels at twice the density: a 1280 pixel wide screen at 200 % zoom.
    context = browser.new_context(
        base_url=base,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        viewport={"width": 640, "height": 900},
        device_scale_factor=2,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture()
def citizen(browser: Browser, server: Server) -> Iterator[Page]:
    yield from _page(browser, server[0])


@pytest.fixture()
def waiting_citizen(browser: Browser, full_server: Server) -> Iterator[Page]:
    yield from _page(browser, full_server[0])


def check(page: Page) -> None:
    """No axe-core violation, and nothing wider than the zoomed window."""
    assert_accessible(page)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow} px at 200 % zoom"


def heading(page: Page, text: str, level: int = 1) -> None:
    expect(page.get_by_role("heading", name=text, level=level, exact=True)).to_be_visible()


def choose_first_time(page: Page, location: str) -> None:
    page.get_by_role("link", name=location).click()
    heading(page, "Tag wählen", 2)
    check(page)
    page.locator(".days a").first.click()
    heading(page, "Uhrzeit wählen", 2)
    check(page)
    open_hour(page, 0)
    page.locator(".times a").first.click()
    expect(page.get_by_role("group", name="Ihre Angaben")).to_be_visible()
    check(page)


def test_a_citizen_books_moves_and_cancels(citizen: Page, server: Server) -> None:
    page = citizen
    page.goto("/leistungen/personalausweis-beantragen")
    page.get_by_role("link", name="Termin buchen").click()
    heading(page, "Termin buchen")
    check(page)
    choose_first_time(page, "Bürgerbüro im Rathaus")
    page.get_by_label("Name", exact=True).fill("Erika Mustermann")
    page.get_by_label("E-Mail-Adresse").fill("erika@example.org")
    page.get_by_role("button", name="Termin verbindlich buchen").click()

    heading(page, "Ihr Termin ist gebucht")
    expect(page.get_by_role("heading", name="Erforderliche Unterlagen")).to_be_visible()
    check(page)
    code = page.locator(".code").inner_text()
    page.get_by_role("link", name=re.compile(re.escape(code) + r"\?token=")).click()
    heading(page, "Ihr Termin")
    check(page)

    page.get_by_role("link", name="Termin verschieben").click()
    heading(page, "Neuen Tag wählen", 2)
    check(page)
    page.locator(".days a").last.click()
    check(page)
    open_hour(page, -1)
    page.locator(".times a").last.click()
    heading(page, "Neuen Termin bestätigen", 2)
    check(page)
    day = page.locator("input[name=tag]").input_value()
    time = page.locator("input[name=zeit]").input_value()
    page.get_by_role("button", name="Auf diese Zeit verschieben").click()
    expect(page.get_by_role("status")).to_contain_text("Der Termin ist verschoben.")
    check(page)

    page.get_by_role("link", name="Termin absagen").click()
    heading(page, "Termin absagen?")
    check(page)
    page.get_by_role("button", name="Ja, Termin absagen").click()
    expect(page.get_by_role("status")).to_contain_text("Der Termin ist abgesagt.")
    check(page)

    with UnitOfWork(get_engine(server[1])) as uow:
        row = uow.repo(AppointmentRepository).by_code(code)
        assert row is not None
        assert row.status == "cancelled" and row.name == "Erika Mustermann"
        assert from_epoch_minutes(row.start_minute).strftime("%Y-%m-%d %H:%M") == f"{day} {time}"


def test_a_wedding_date_is_reserved_provisionally(citizen: Page) -> None:
    page = citizen
    page.goto("/leistungen/trauung-trauort")
    page.get_by_role("link", name="Termin buchen").click()
    choose_first_time(page, "Trauzimmer im Rathaus")
    page.get_by_label("Name", exact=True).fill("Paula und Paul Beispiel")
    page.get_by_label("E-Mail-Adresse").fill("paar@example.org")
    page.get_by_role("button", name="Termin verbindlich buchen").click()
    heading(page, "Ihr Termin ist vorläufig reserviert")
    expect(page.locator(".notice")).to_contain_text("bis die Eheschließung beim Standesamt")
    check(page)


def test_a_citizen_waits_and_accepts_the_offered_time(
    waiting_citizen: Page, full_server: Server
) -> None:
    page = waiting_citizen
    _, url, policy = full_server
    booked = fill(url, policy)
    page.goto(f"/termin/buchen/personalausweis-beantragen?standort={NIESTETAL}")
    heading(page, "Keine freien Termine", 2)
    check(page)
    page.get_by_label("Name", exact=True).fill("Walter Warte")
    page.get_by_label("E-Mail-Adresse").fill("walter@example.org")
    page.get_by_role("button", name="In die Warteliste eintragen").click()
    heading(page, "Ihr Platz auf der Warteliste")
    expect(page.locator(".notice")).to_contain_text("Sie sind auf Platz 1.")
    check(page)

    with UnitOfWork(get_engine(url)) as uow:
        last = booked[-1]
        code, token = last.appointment.code, last.manage_token
        booking.cancel(uow, policy, code=code, token=token, now=datetime.now(UTC))
        uow.commit()
    page.reload()
    page.get_by_role("link", name="Angebot ansehen und annehmen").click()
    heading(page, "Ein Termin von der Warteliste", 2)
    check(page)
    page.get_by_role("button", name="Termin annehmen").click()
    expect(page.get_by_role("status")).to_contain_text("Sie haben den angebotenen Termin")
    check(page)
