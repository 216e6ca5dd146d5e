"""Booking at the desk and the department's day list in a real browser: the keyboard path,
axe-core on every state, and the print layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from auskunft.access.service import create_user
from auskunft.catalog.service import reads as catalog
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from tests.browser.axe import assert_accessible
from tests.browser.conftest import TIMEOUT_MS, _check_front_end
from tests.browser.server import live_server

pytestmark = pytest.mark.browser

PASSWORD = "Kassel-115-Testpasswort"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server with an agent and a clerk; e-mails stay queued."""
    _check_front_end()
    data_dir: Path = tmp_path_factory.mktemp("agenda")
    with live_server(data_dir, worker="off") as base:
        url = f"sqlite:///{data_dir / 'auskunft.sqlite3'}"
        with UnitOfWork(get_engine(url)) as uow:
            create_user(uow, "agentin-termin", "agent", PASSWORD, datetime.now(UTC))
            # The clerk works for Kassel's Bürgerbüro (a clerk sees their own offices only).
            create_user(
                uow,
                "sachbearbeitung",
                "clerk",
                PASSWORD,
                datetime.now(UTC),
                authorities=["kassel-buergerbuero"],
                offices=catalog,
            )
            uow.commit()
        yield base


@pytest.fixture()
def page(browser: Browser, server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=server, locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def log_in(page: Page, user: str, target: str) -> None:
    page.goto(target)
    page.get_by_label("Benutzername").fill(user)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(re.compile(re.escape(target.split("?")[0])))


def test_an_agent_books_looks_up_and_a_clerk_prints_the_day(page: Page) -> None:
    log_in(page, "agentin-termin", "/desk")
    page.keyboard.type("Personalausweis beantragen", delay=10)
    page.locator("#results [data-result]").first.click()
    expect(page.locator("#card-title")).to_be_focused()
    page.keyboard.press("Alt+T")
    place = page.get_by_label("Standort")
    expect(place).to_be_focused()
    expect(place).to_have_value("kassel-buergerbuero-rathaus")
    assert_accessible(page)  # the open booking section
    # Another day from the list: only the times are swapped, the day field follows.
    second = page.locator("#booking-times .desk-days a").nth(1)
    day = (second.get_attribute("href") or "").split("tag=")[1]
    second.click()
    expect(page.locator("#booking-times")).to_have_attribute("data-day", day)
    expect(page.get_by_label("Tag", exact=True)).to_have_value(day)
    first_time = page.locator("#booking-times input[type=radio]").first
    expect(first_time).to_be_focused()
    page.keyboard.press("Space")
    page.get_by_label("Name", exact=True).fill("Erika Mustermann")
    page.get_by_label("Telefonnummer").fill("0561 123456")
    page.get_by_role("button", name="Diesen Termin buchen").click()
    heading = page.locator("#booked-heading")
    expect(heading).to_be_focused()
    expect(heading).to_have_text("Termin gebucht")
    code = page.locator(".desk-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert_accessible(page)  # the code to read out
    # The lookup by code opens the booking in the card's place.
    page.keyboard.press("Alt+C")
    expect(page.get_by_label("Buchungsnummer")).to_be_focused()
    page.keyboard.type(code.lower())
    page.keyboard.press("Enter")
    expect(page.locator("#appointment-title")).to_be_focused()
    expect(page.locator("#card")).to_contain_text("Erika Mustermann")
    assert_accessible(page)

    page.context.clear_cookies()
    log_in(
        page, "sachbearbeitung", f"/dienststelle/termine?ort=kassel-buergerbuero-rathaus&tag={day}"
    )
    expect(page.locator("h1")).to_contain_text("Bürgerbüro im Rathaus")
    expect(page.locator("h1")).to_contain_text(date.fromisoformat(day).strftime("%d.%m.%Y"))
    expect(page.locator(".agenda-table").first).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("^Erika Mustermann"))).to_be_visible()
    assert_accessible(page)
    # Printed: the width of an A4 sheet less its margins (190 mm at 96 dpi).
    page.set_viewport_size({"width": round(190 / 25.4 * 96), "height": 1000})
    page.emulate_media(media="print")
    expect(page.locator(".staff-bar")).to_be_hidden()
    expect(page.locator(".agenda-pick")).to_be_hidden()
    cancel = page.locator("button", has_text="Absagen")
    expect(cancel).to_have_count(1)
    expect(cancel).to_be_hidden()
    expect(page.get_by_role("cell", name=re.compile("^Erika Mustermann"))).to_be_visible()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the printed list is wider than the sheet"
