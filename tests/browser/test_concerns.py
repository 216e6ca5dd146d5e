"""Concerns in a real browser: the agent forwards from the keyboard, the office answers in
its inbox, the citizen gets the e-mail and settles the concern on the tracking page; and a
citizen sends one from the portal (proof of work in the browser). axe-core on every page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from auskunft.access.service import create_user
from auskunft.catalog.service import reads as catalog
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk.tables import Contact
from auskunft.forwarding.tables import Concern
from tests.browser.axe import assert_accessible
from tests.browser.conftest import TIMEOUT_MS, _check_front_end
from tests.browser.server import live_server
from tests.web.test_desk import Inbox, free_port

pytestmark = pytest.mark.browser

PASSWORD = "Kassel-115-Testpasswort"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Inbox]]:
    """A live server with an agent and a clerk of the Landkreis' registration office, its
    worker sending to a local SMTP server; yields (base URL, database URL, mailbox)."""
    _check_front_end()
    inbox = Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    data_dir: Path = tmp_path_factory.mktemp("concerns")
    try:
        with live_server(
            data_dir,
            smtp_port=port,
            smtp_timeout=5,
            worker="inline",
            worker_interval_seconds=0.3,
            rate_limits="off",
            altcha_max_number=2000,
            secret_key="browser-concerns-secret-0123456789abcdef",
        ) as base:
            url = f"sqlite:///{data_dir / 'auskunft.sqlite3'}"
            now = datetime.now(UTC)
            with UnitOfWork(get_engine(url)) as uow:
                create_user(uow, "b-agent", "agent", PASSWORD, now)
                create_user(
                    uow,
                    "b-clerk",
                    "clerk",
                    PASSWORD,
                    now,
                    authorities=["lk-kassel-zulassung"],
                    offices=catalog,
                )
                uow.commit()
            yield base, url, inbox
    finally:
        smtp.stop()


@pytest.fixture()
def page(browser: Browser, server: tuple[str, str, Inbox]) -> Iterator[Page]:
    context = browser.new_context(base_url=server[0], locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    found = context.new_page()
    errors: list[str] = []
    found.on("pageerror", lambda error: errors.append(str(error)))
    yield found
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def log_in(page: Page, user: str, next_page: str) -> None:
    page.goto(f"/anmelden?next={next_page}")
    page.get_by_label("Benutzername").fill(user)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    # The path itself, not the login page's ?next= (the login script asks whether a proof
    # of work is due before it sends the form, so the click returns before the navigation).
    expect(page).to_have_url(re.compile(r"^https?://[^/]+" + re.escape(next_page) + "$"))


def mail_to(inbox: Inbox, address: str, subject_part: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in list(inbox.messages):
            if mail["To"] == address and subject_part in mail["Subject"]:
                return str(mail.get_content())
        time.sleep(0.1)
    raise AssertionError(f"no mail to {address} about {subject_part!r}")


def test_desk_to_inbox_to_answer_to_the_citizen(page: Page, server: tuple[str, str, Inbox]) -> None:
    base, url, inbox = server
    log_in(page, "b-agent", "/desk")
    search = page.get_by_label("Anliegen des Anrufenden")
    search.focus()
    page.keyboard.type("Anhänger zulassen, ich wohne in 34225", delay=10)
    expect(page.locator("#town-hint")).to_contain_text("Baunatal")
    page.keyboard.press("Alt+w")  # the town from the caller's words
    expect(page.get_by_label("Wohnort des Anrufenden")).to_have_value("baunatal")
    first = page.locator("#results [data-result]").first
    expect(first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#card-title")).to_be_focused()
    service = page.locator("#log-service").input_value()
    assert service
    # Forwarding: Alt+3, Space (consent), the callback details, Enter. Three keys beyond
    # typing the details (Tab moves between the fields being typed).
    page.keyboard.press("Alt+3")
    expect(page).to_have_url(re.compile(r"/desk/weiterleiten\?"))
    expect(page.locator("#forward-consent")).to_be_focused()
    expect(page.locator("#forward-question")).to_have_value(re.compile("Anhänger zulassen"))
    expect(page.locator("#forward-municipality")).to_have_value("baunatal")
    assert_accessible(page)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.type("Max Muster")
    page.keyboard.press("Tab")
    page.keyboard.type("0561 123456")
    page.keyboard.press("Tab")
    page.keyboard.type("max@example.org")
    page.keyboard.press("Enter")
    forwarded = page.locator("#forwarded")
    expect(forwarded).to_contain_text("Vorgangsnummer")
    expect(forwarded).to_contain_text(re.compile(r"Sie bekommen bis \w+, \d+\. \w+, \d\d:\d\d Uhr"))
    expect(page.get_by_label("Wohnort des Anrufenden")).to_have_value("kassel")
    assert_accessible(page)
    code = forwarded.locator(".code").inner_text().strip()
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.session.scalars(select(Concern).order_by(Concern.id.desc())).first()
        assert row is not None and row.municipality == "baunatal"
        concern_id, authority = row.id, row.authority_id
        contact = uow.session.scalars(select(Contact).where(Contact.concern_id == concern_id)).one()
        assert contact.outcome == "forwarded"
    assert authority == "lk-kassel-zulassung"
    confirmation = mail_to(inbox, "max@example.org", "weitergeleitet")
    assert code in confirmation

    # The office answers in its inbox.
    page.context.clear_cookies()
    log_in(page, "b-clerk", "/dienststelle/anliegen")
    assert_accessible(page)
    page.get_by_role("link", name=code).click()
    expect(page.locator("#concern-question")).to_contain_text("Anhänger zulassen")
    assert_accessible(page)
    page.get_by_role("button", name="Übernehmen").click()
    expect(page.locator("#concern-status")).to_contain_text("in Bearbeitung")
    page.get_by_label("Antwort (eine E-Mail").fill("Bringen Sie die Zulassungsbescheinigung mit.")
    page.get_by_role("button", name="Antworten", exact=True).click()
    expect(page.locator("#concern-status")).to_contain_text("beantwortet")
    answer = mail_to(inbox, "max@example.org", "Antwort")
    assert "Bringen Sie die Zulassungsbescheinigung mit." in answer
    link = re.search(r"https?://[^/\s]+(/anliegen/\S+)", answer)
    assert link is not None

    # The citizen follows the link, sees no personal data, and settles the concern.
    page.context.clear_cookies()
    page.goto(link.group(1))
    expect(page.locator("#tracking-status")).to_contain_text("beantwortet")
    expect(page.locator("main")).not_to_contain_text("Max Muster")
    assert_accessible(page)
    page.get_by_role("button", name="Ja").click()
    expect(page.locator("#concern-rated")).to_contain_text("Vielen Dank")
    expect(page.locator("#tracking-status")).to_contain_text("abgeschlossen")
    assert base


def test_a_citizen_sends_a_concern_from_the_portal(
    page: Page, server: tuple[str, str, Inbox]
) -> None:
    page.goto("/kontakt?leistung=sperrmuell")
    assert_accessible(page)
    page.get_by_label("Ihre Frage oder Ihr Anliegen").fill("Der Sperrmüll wurde nicht abgeholt.")
    page.get_by_label("Ihr Name").fill("Erika Muster")
    page.get_by_label("E-Mail", exact=True).fill("erika@example.org")
    page.get_by_label("Ich bin einverstanden").check()
    page.get_by_role("button", name="Senden").click()
    expect(page).to_have_url(re.compile(r"/anliegen/[0-9A-Z-]+\?neu=1$"))
    expect(page.locator("#concern-sent")).to_be_visible()
    expect(page.locator("#tracking-status")).to_contain_text("weitergeleitet")
    assert_accessible(page)
    mail = mail_to(server[2], "erika@example.org", "weitergeleitet")
    assert "Vorgangsnummer" in mail
