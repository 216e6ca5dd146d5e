"""The agent desk in a real browser: log in, answer a call from the keyboard alone, log it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from auskunft.access.service import create_user
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk import tables as t
from tests.browser.axe import assert_accessible
from tests.browser.conftest import TIMEOUT_MS, _check_front_end
from tests.browser.server import live_server

pytestmark = pytest.mark.browser

USER = "agentin"
PASSWORD = "Kassel-115-Testpasswort"


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A live server with one agent account; yields (base URL, database URL)."""
    _check_front_end()
    data_dir: Path = tmp_path_factory.mktemp("desk")
    with live_server(data_dir) as base:
        url = f"sqlite:///{data_dir / 'auskunft.sqlite3'}"
        with UnitOfWork(get_engine(url)) as uow:
            create_user(uow, USER, "agent", PASSWORD, datetime.now(UTC))
            uow.commit()
        yield base, url


@pytest.fixture()
def desk_page(browser: Browser, desk_server: tuple[str, str]) -> Iterator[Page]:
    context = browser.new_context(
        base_url=desk_server[0], locale="de-DE", timezone_id="Europe/Berlin"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def log_in_from_the_keyboard(page: Page) -> None:
    page.goto("/desk")
    expect(page).to_have_url(re.compile(r"/anmelden\?next=%2Fdesk$"))
    expect(page.get_by_label("Benutzername")).to_be_focused()
    page.keyboard.type(USER)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/desk$"))
    expect(page.get_by_label("Anliegen des Anrufenden")).to_be_focused()


def test_an_agent_answers_a_call_from_the_keyboard_alone(
    desk_page: Page, desk_server: tuple[str, str]
) -> None:
    page = desk_page
    log_in_from_the_keyboard(page)
    page.keyboard.type("Reisepass verloren", delay=20)
    first = page.locator("#results [data-result]").first
    expect(first).to_contain_text("Reisepass")
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    second = page.locator("#results [data-result]").nth(1)
    expect(second).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first).to_be_focused()
    service = (first.get_attribute("hx-get") or "").split("/")[-1].split("?")[0]
    page.keyboard.press("Enter")
    title = page.locator("#card-title")
    expect(title).to_be_focused()
    expect(page.locator("#card")).to_contain_text("Zuständige Stelle")
    expect(page.locator("#card")).to_contain_text("Stadt Kassel")
    expect(page.locator("#log-service-name")).not_to_have_text("keines gewählt")
    # One chord logs the outcome and opens the desk for the next call.
    page.keyboard.press("Alt+2")
    expect(page.get_by_role("status").first).to_contain_text("Kontakt erfasst: Termin gebucht")
    expect(page.get_by_label("Anliegen des Anrufenden")).to_be_focused()
    with UnitOfWork(get_engine(desk_server[1])) as uow:
        row = uow.session.scalars(select(t.Contact).order_by(t.Contact.id.desc())).first()
        assert row is not None
        assert (row.channel, row.outcome, row.service_id, row.source) == (
            "115",
            "appointment",
            service,
            "desk",
        )
        assert row.agent_id is not None and row.ended_at >= row.started_at


def test_the_callers_municipality_changes_the_office_on_the_card(desk_page: Page) -> None:
    page = desk_page
    log_in_from_the_keyboard(page)
    page.keyboard.type("Personalausweis beantragen", delay=10)
    page.locator("#results [data-result]").first.click()
    office = page.locator("#card section").first
    expect(office).to_contain_text("Stadt Kassel – Bürgeramt")
    page.get_by_label("Wohnort des Anrufenden").select_option("baunatal")
    expect(office).to_contain_text("Stadt Baunatal")
    expect(page.locator("#log-municipality")).to_have_value("baunatal")


def test_login_and_desk_pass_axe(desk_page: Page) -> None:
    page = desk_page
    page.goto("/anmelden")
    assert_accessible(page)
    page.get_by_label("Benutzername").fill("jemand")
    page.get_by_label("Passwort").fill("falsches passwort")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Benutzername oder Passwort ist falsch.")
    assert_accessible(page)  # the form with its error message
    log_in_from_the_keyboard(page)
    assert_accessible(page)  # the empty desk
    page.keyboard.type("Hund anmelden", delay=10)
    page.locator("#results [data-result]").first.click()
    expect(page.locator("#card-title")).to_be_focused()
    assert_accessible(page)  # results and an open card
    page.goto("/admin")
    assert_accessible(page)
