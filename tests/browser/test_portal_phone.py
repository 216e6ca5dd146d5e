"""The portal on a 390 px phone: the A–Z letters are targets of at least 24 × 24 CSS px
(WCAG 2.2, 2.5.8), a day's free times come by hour instead of a hundred buttons (with and
without JavaScript, by keyboard), and axe-core finds nothing, WCAG 2.2's target size included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.axe import WCAG_TAGS, assert_accessible, describe
from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
BOOKING = "/termin/buchen/personalausweis-beantragen?standort=kassel-buergerbuero-rathaus"
# The most controls a phone shows before the first grouping level of the free times.
MOST_CONTROLS = 12
TARGET = 24

_TARGET_SIZE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def _phone(browser: Browser, base_url: str, javascript: bool) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url,
        locale="de-DE",
        timezone_id="Europe/Berlin",
        viewport=PHONE,
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
        java_script_enabled=javascript,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture()
def phone(browser: Browser, base_url: str) -> Iterator[Page]:
    """A German phone, 390 CSS px wide."""
    yield from _phone(browser, base_url, javascript=True)


@pytest.fixture()
def phone_without_js(browser: Browser, base_url: str) -> Iterator[Page]:
    yield from _phone(browser, base_url, javascript=False)


def assert_accessible_on_a_phone(page: Page) -> None:
    """axe-core's WCAG 2.1 A/AA rules, and WCAG 2.2 AA (2.5.8 target size) on top."""
    assert_accessible(page)
    found: list[dict[str, Any]] = page.evaluate(_TARGET_SIZE, [*WCAG_TAGS, "wcag22aa"])
    assert found == [], "axe-core (WCAG 2.2 AA):\n" + describe(found)


def assert_no_sideways_scrolling(page: Page) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= PHONE["width"], f"{page.url} is {wide} px wide on a {PHONE['width']} px phone"


def shown(locator: Locator) -> list[Locator]:
    return [item for item in locator.all() if item.is_visible()]


def open_busiest_day(page: Page) -> int:
    """From the days of the Kassel office, open the day with the most free times."""
    page.goto(BOOKING)
    days = page.locator("ul.days a")
    counts = [int(re.sub(r"\D", "", t)) for t in days.locator(".free").all_inner_texts()]
    days.nth(counts.index(max(counts))).click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Uhrzeit wählen")
    return max(counts)


def test_the_a_to_z_letters_are_targets_of_24_px(phone: Page) -> None:
    phone.goto("/leistungen")
    letters = phone.get_by_role("navigation", name="Buchstaben").get_by_role("link")
    boxes = [box for box in (link.bounding_box() for link in letters.all()) if box]
    assert len(boxes) > 10 and len(boxes) == letters.count()
    small = [(round(b["width"], 1), round(b["height"], 1)) for b in boxes]
    assert all(b["width"] >= TARGET and b["height"] >= TARGET for b in boxes), small
    # Neighbours do not touch: there is space between any two targets.
    for a, b in pairwise(boxes):
        if abs(a["y"] - b["y"]) < 1:  # on the same row
            assert b["x"] - (a["x"] + a["width"]) >= 4
    assert_no_sideways_scrolling(phone)
    # By keyboard: a letter leads to its section.
    letters.nth(1).focus()
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(re.compile(r"#letter-B$"))
    assert_accessible_on_a_phone(phone)


def test_a_days_free_times_come_by_hour_on_a_phone(phone: Page) -> None:
    free = open_busiest_day(phone)
    assert free > MOST_CONTROLS
    times = phone.locator("main ul.times a")
    hours = phone.locator("main details.hour > summary")
    assert shown(times) == []
    assert 1 < len(shown(hours)) <= MOST_CONTROLS
    assert_no_sideways_scrolling(phone)
    assert_accessible_on_a_phone(phone)
    # A screen reader hears a collapsed disclosure; the keyboard opens it.
    first = hours.first
    expect(first).to_have_text(re.compile(r"^\d{1,2} Uhr · \d+ freie Zeiten?$"))
    first.focus()
    phone.keyboard.press("Enter")
    expect(phone.locator("main details.hour").first).to_have_attribute("open", "")
    opened = shown(times)
    assert 0 < len(opened) <= 12
    hour = int(re.match(r"\d+", first.inner_text()).group())  # type: ignore[union-attr]
    assert {int(t.inner_text().split(":")[0]) for t in opened} == {hour}
    assert_accessible_on_a_phone(phone)
    opened[0].click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Termin buchen")
    expect(phone.get_by_role("group", name="Ihre Angaben")).to_be_visible()


def test_the_hours_open_without_javascript(phone_without_js: Page) -> None:
    page = phone_without_js
    open_busiest_day(page)
    hours = page.locator("main details.hour > summary")
    assert shown(page.locator("main ul.times a")) == []
    hours.nth(1).click()
    opened = shown(page.locator("main ul.times a"))
    assert 0 < len(opened) <= 12
    opened[-1].click()
    expect(page.get_by_role("group", name="Ihre Angaben")).to_be_visible()


def test_dates_and_hours_read_as_germans_write_them(phone: Page) -> None:
    phone.goto("/leistungen/personalausweis-beantragen")
    hours = phone.locator("table.hours td")
    expect(hours.first).to_have_text(re.compile(r"^\d{1,2}:\d\d–\d{1,2}:\d\d Uhr"))
    expect(phone.locator("p.reviewed")).to_have_text(
        re.compile(r"^Zuletzt geprüft: \d{1,2}\. [A-ZÄÖÜ][a-zä]+ \d{4}$")
    )
    assert_no_sideways_scrolling(phone)
    assert_accessible_on_a_phone(phone)
    phone.goto("/kontakt")
    expect(phone.locator("table.hours").first).to_contain_text("7:00–18:00 Uhr")
    assert_accessible_on_a_phone(phone)
