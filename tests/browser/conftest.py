"""Browser tests: one live server and one Chromium per session, a fresh context per test.

The tests drive Debian's Chromium (/usr/bin/chromium; playwright's own browser
download is not used). Without it, or without the npm assets, they skip with the
reason; with AUSKUNFT_TEST_BROWSER=required (CI) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.browser.server import CHROMIUM, live_server, missing_front_end

REQUIRED = os.environ.get("AUSKUNFT_TEST_BROWSER") == "required"
TIMEOUT_MS = 10_000


def _check_front_end() -> None:
    reasons = missing_front_end()
    if not reasons:
        return
    message = "browser tests cannot run: " + "; ".join(reasons)
    if REQUIRED:
        pytest.fail(message + " (AUSKUNFT_TEST_BROWSER=required)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The portal on a fresh seeded SQLite database, served on a free local port."""
    _check_front_end()
    with live_server(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    _check_front_end()
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield chromium
    chromium.close()


def _context(browser: Browser, base_url: str, javascript: bool) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        java_script_enabled=javascript,
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture()
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh page (own cookies) in a German browser in Berlin."""
    yield from _page(_context(browser, base_url, javascript=True))


@pytest.fixture()
def page_without_js(browser: Browser, base_url: str) -> Iterator[Page]:
    """The same, with JavaScript switched off."""
    yield from _page(_context(browser, base_url, javascript=False))
