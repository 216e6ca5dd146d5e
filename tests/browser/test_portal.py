"""The portal in a real browser: live search, the office for a municipality, languages,
the same without JavaScript, and axe-core's WCAG 2.1 A/AA checks on every kind of page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import assert_accessible

pytestmark = pytest.mark.browser

QUESTION = "Personalausweis beantragen"
KASSEL_OFFICE = "Stadt Kassel – Bürgeramt (Bürgerbüro)"
BAUNATAL_OFFICE = "Stadt Baunatal – Bürgerbüro"


def _choose_municipality_and_see_the_office(page: Page) -> None:
    office = page.locator("section.office h3")
    expect(office).to_have_text(KASSEL_OFFICE)
    page.get_by_label("Wo wohnen Sie?").select_option("baunatal")
    page.get_by_role("button", name="Übernehmen").click()
    expect(office).to_have_text(BAUNATAL_OFFICE)
    expect(page).to_have_url(re.compile(r"/leistungen/personalausweis-beantragen$"))
    expect(page.get_by_label("Wo wohnen Sie?")).to_have_value("baunatal")


def test_results_appear_while_typing_and_the_office_follows_the_municipality(
    page: Page,
) -> None:
    page.goto("/")
    page.get_by_label("Worum geht es?").press_sequentially(QUESTION, delay=15)
    # No Enter: the results come in place, the page stays the start page.
    first = page.locator("#results ol.results > li > a").first
    expect(first).to_have_text(QUESTION)
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie können wir helfen?")
    expect(page).to_have_url(re.compile(r"/suche\?q=Personalausweis(\+|%20)beantragen$"))
    expect(page).to_have_title(re.compile("^Suchergebnisse für „Personalausweis beantragen“"))
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^\d+ Ergebnisse?$"))
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    _choose_municipality_and_see_the_office(page)


def test_the_same_without_javascript(page_without_js: Page) -> None:
    page = page_without_js
    page.goto("/")
    page.get_by_label("Worum geht es?").fill(QUESTION)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/suche\?q=Personalausweis\+beantragen$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Suchen")
    page.locator("ol.results > li > a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    _choose_municipality_and_see_the_office(page)


def test_back_after_a_live_search_shows_the_whole_results_page(page: Page) -> None:
    page.goto("/")
    page.get_by_label("Worum geht es?").fill("Reisepass")
    page.locator("#results ol.results > li > a").first.click()
    expect(page.locator("main h1")).not_to_have_text("Wie können wir helfen?")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/suche\?q=Reisepass$"))
    # A whole page (header, form, results), never the fragment alone.
    expect(page.get_by_role("navigation", name="Hauptmenü")).to_be_visible()
    expect(page.get_by_label("Worum geht es?")).to_have_value("Reisepass")
    expect(page.locator("#results ol.results > li").first).to_be_visible()


def test_a_too_long_question_is_answered_in_place(page: Page) -> None:
    page.goto("/suche")
    # The input stops typing at 1000 characters; a script is not stopped.
    page.get_by_label("Worum geht es?").evaluate(
        "(input) => { input.removeAttribute('maxlength'); input.value = 'x'.repeat(1001);"
        " input.dispatchEvent(new Event('input', {bubbles: true})); }"
    )
    expect(page.get_by_role("alert")).to_contain_text("zu lang")
    expect(page.locator("#results section")).to_have_count(0)
    assert_accessible(page)


def test_the_language_switch_keeps_the_page(page: Page) -> None:
    page.goto("/leistungen/personalausweis-beantragen")
    page.get_by_role("navigation", name="Sprache").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for a German ID card")
    page.get_by_role("link", name="Services A–Z").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Services A–Z")
    # Live results in English, and the switch back keeps the question.
    page.get_by_role("link", name="City of Kassel service center").click()
    page.get_by_label("What is your concern?").fill("passport")
    expect(page.locator("#results h2")).to_have_text(re.compile(r"^\d+ results?$"))
    page.get_by_role("link", name="Deutsch").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_label("Worum geht es?")).to_have_value("passport")


PAGES = {
    "home": "/",
    "search": "/suche?q=Personalausweis+beantragen",
    "no results": "/suche?q=Quaxelbrummer",
    "empty search": "/suche",
    "no reliable answer": "/suche?q=Fahrrad+codieren+lassen+gegen+Diebstahl",
    "service": "/leistungen/personalausweis-beantragen",
    "a-z": "/leistungen",
    "life situations": "/lebenslagen",
    "life situation": "/lebenslagen/ausweise",
    "contact": "/kontakt",
    "not found": "/gibt-es-nicht",
}


@pytest.mark.parametrize("path", PAGES.values(), ids=PAGES.keys())
def test_no_wcag_violations(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == (404 if "gibt-es" in path else 200)
    assert_accessible(page)


def test_no_wcag_violations_in_english_with_live_results(page: Page) -> None:
    page.goto("/?lang=en")
    page.get_by_label("What is your concern?").fill("register a car")
    expect(page.locator("#results ol.results > li").first).to_be_visible()
    assert_accessible(page)
