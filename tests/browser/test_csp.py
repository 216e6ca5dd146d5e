"""The Content-Security-Policy in a real browser: the desk, the portal search and the API
docs work under it (htmx included), and the browser reports no violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from auskunft.access.service import create_user
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from tests.browser.conftest import TIMEOUT_MS, _check_front_end
from tests.browser.server import live_server

pytestmark = pytest.mark.browser

USER = "agent-csp"
PASSWORD = "Kassel-115-Testpasswort"

# Recorded from the page's first moment (an init script runs before the page's own and is
# not subject to its policy): every violation the browser reports as an event.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.effectiveDirective} ${e.blockedURI} ${where}`);
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server with one agent account."""
    _check_front_end()
    data_dir: Path = tmp_path_factory.mktemp("csp")
    with live_server(data_dir) as base:
        with UnitOfWork(get_engine(f"sqlite:///{data_dir / 'auskunft.sqlite3'}")) as uow:
            create_user(uow, USER, "agent", PASSWORD, datetime.now(UTC))
            uow.commit()
        yield base


class Watched:
    """A page and what the browser said about the policy on it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: object) -> None:
        text = getattr(message, "text", "")
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            self.console.append(text)

    def assert_no_violation(self) -> None:
        violations = self.page.evaluate("() => window.__violations || []")
        assert violations == [], f"CSP violations on {self.page.url}: {violations}"
        assert self.console == [], f"CSP messages in the console: {self.console}"
        assert self.errors == [], f"JavaScript errors: {self.errors}"


@pytest.fixture()
def watched(browser: Browser, server: str) -> Iterator[Watched]:
    context = browser.new_context(base_url=server, locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    yield Watched(context.new_page())
    context.close()


def test_the_portal_search_updates_as_the_citizen_types_under_the_policy(
    watched: Watched,
) -> None:
    page = watched.page
    response = page.goto("/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    page.get_by_label("Worum geht es?").press_sequentially("Personalausweis", delay=15)
    # htmx swaps the results in while typing: no Enter, the start page stays.
    first = page.locator("#results ol.results > li > a").first
    expect(first).to_contain_text("Personalausweis")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie können wir helfen?")
    page.get_by_label("Worum geht es?").fill("Reisepass verloren")
    expect(first).to_contain_text("Reise")
    # htmx put no style element of its own into the page.
    assert page.locator("head style").count() == 0
    watched.assert_no_violation()


def test_the_desk_answers_as_the_agent_types_under_the_policy(watched: Watched) -> None:
    page = watched.page
    page.goto("/desk")
    expect(page).to_have_url(re.compile(r"/anmelden\?next=%2Fdesk$"))
    page.get_by_label("Benutzername").fill(USER)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/desk$"))
    page.get_by_label("Anliegen des Anrufenden").press_sequentially("Reisepass verloren", delay=15)
    first = page.locator("#results [data-result]").first
    expect(first).to_contain_text("Reisepass")
    # The service card comes in by htmx too (the desk's script, under the policy).
    first.click()
    expect(page.locator("#card-title")).to_be_focused()
    expect(page.locator("#card")).to_contain_text("Zuständige Stelle")
    assert page.locator("head style").count() == 0
    watched.assert_no_violation()


def test_the_api_docs_run_from_our_own_files_under_the_policy(watched: Watched) -> None:
    page = watched.page
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(("http://127.0.0.1", "data:"))
            else None
        ),
    )
    page.goto("/api/docs")
    # Swagger UI read /openapi.json and lists the operations.
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/search").first).to_be_visible()
    assert outside == []
    watched.assert_no_violation()
