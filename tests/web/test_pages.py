"""The citizen portal, as a browser without JavaScript sees it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from auskunft.app import create_app
from auskunft.core.config import Settings


@pytest.fixture(scope="module")
def app(catalog_url: str) -> FastAPI:
    return create_app(Settings(database_url=catalog_url))


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    # A fresh client per test: cookies (language, municipality) do not leak.
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found is not None
    return found.group(1).strip()


def test_the_home_page_is_german_and_searchable_without_javascript(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert '<html lang="de">' in r.text
    assert '<form role="search" action="/suche" method="get"' in r.text
    assert '<label for="q">Worum geht es?</label>' in r.text
    # The one script only enhances (deferred, same origin); nothing inline.
    assert re.findall(r"<script[^>]*>", r.text) == [
        '<script src="/static/vendor/htmx.min.js" defer>'
    ]
    assert 'href="/lebenslagen/ausweise"' in r.text


def test_a_search_lists_services_with_the_responsible_office(client: TestClient) -> None:
    r = client.get("/suche", params={"q": "Perso verloren"})
    assert r.status_code == 200
    assert title(r.text).startswith("Suchergebnisse für „Perso verloren“")
    first = re.search(r'<ol class="results">\s*<li>\s*<a href="/leistungen/([^"]+)"', r.text)
    assert first is not None and first.group(1) == "ausweis-verlust-melden"
    assert "Zuständig: Stadt Kassel" in r.text


def test_a_bad_question_is_answered_in_the_form(client: TestClient) -> None:
    r = client.get("/suche", params={"q": "x" * 1001})
    assert r.status_code == 422
    assert 'role="alert"' in r.text and "zu lang" in r.text
    assert client.get("/suche", params={"q": "   "}).status_code == 200


LIVE = {"HX-Request": "true"}


def test_a_live_search_gets_the_results_alone(client: TestClient) -> None:
    r = client.get("/suche", params={"q": "Perso verloren"}, headers=LIVE)
    assert r.status_code == 200
    assert "<html" not in r.text and "<form" not in r.text
    assert r.text.startswith("<title>Suchergebnisse für „Perso verloren“ – ")
    first = re.search(r'<ol class="results">\s*<li>\s*<a href="/leistungen/([^"]+)"', r.text)
    assert first is not None and first.group(1) == "ausweis-verlust-melden"
    # The count for screen readers and the language switch are updated out of band.
    count = re.search(r'<p id="result-count" hx-swap-oob="innerHTML">(\d+) Ergebnisse</p>', r.text)
    assert count is not None and int(count.group(1)) == r.text.count("<li>\n    <a href=")
    assert 'href="/suche?q=Perso+verloren&amp;lang=en"' in r.text
    assert r.headers["vary"] == "HX-Request"


def test_a_live_search_answers_a_bad_or_empty_question(client: TestClient) -> None:
    r = client.get("/suche", params={"q": "x" * 1001}, headers=LIVE)
    assert r.status_code == 422 and "<html" not in r.text
    assert '<p class="error" role="alert">' in r.text and "zu lang" in r.text
    r = client.get("/suche", params={"q": "  "}, headers=LIVE)
    assert r.status_code == 200 and "<html" not in r.text
    assert "<section" not in r.text and "<li>" not in r.text.split('id="languages"')[0]
    assert client.get("/suche", headers=LIVE).status_code == 200


def test_the_search_page_is_whole_for_plain_and_history_requests(client: TestClient) -> None:
    r = client.get("/suche", params={"q": "Reisepass"})
    assert '<html lang="de">' in r.text and '<div id="results"' in r.text
    assert r.headers["vary"] == "HX-Request"
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    r = client.get("/suche", params={"q": "Reisepass"}, headers=restore)
    assert '<html lang="de">' in r.text and '<ol class="results">' in r.text


def test_the_office_follows_the_chosen_municipality(client: TestClient) -> None:
    page = client.get("/leistungen/fahrzeug-zulassen")
    assert "<h3>Stadt Kassel" in page.text
    chosen = client.get(
        "/gemeinde",
        params={"wahl": "baunatal", "next": "/leistungen/fahrzeug-zulassen"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    assert chosen.headers["location"] == "/leistungen/fahrzeug-zulassen"
    assert "gemeinde=baunatal" in chosen.headers["set-cookie"]
    page = client.get("/leistungen/fahrzeug-zulassen")
    assert "<h3>Landkreis Kassel – Kfz-Zulassungsstelle</h3>" in page.text
    assert '<option value="baunatal" selected>' in page.text


def test_a_service_page_has_what_a_citizen_needs(client: TestClient) -> None:
    r = client.get("/leistungen/personalausweis-beantragen")
    assert title(r.text) == "Personalausweis beantragen – Servicecenter der Stadt Kassel"
    assert '<meta name="description" content="Deutsche ab 16 Jahren' in r.text
    headings = ("Zuständige Stelle", "Erforderliche Unterlagen", "Gebühren", "Rechtsgrundlagen")
    assert all(h in r.text for h in headings)
    assert "Jetzt geöffnet" in r.text or "Jetzt geschlossen" in r.text
    assert '<th scope="row">Montag</th>' in r.text


def test_english_is_one_click_away_and_remembered(client: TestClient) -> None:
    r = client.get("/leistungen/personalausweis-beantragen", params={"lang": "en"})
    assert '<html lang="en">' in r.text
    assert title(r.text).startswith("Apply for a German ID card")
    assert "lang=en" in r.headers["set-cookie"]
    again = client.get("/leistungen")
    assert '<html lang="en">' in again.text and "Services A–Z" in again.text
    # The switch back keeps the page and its question.
    r = client.get("/suche", params={"q": "passport"})
    assert 'href="/suche?q=passport&amp;lang=de"' in r.text


def test_a_to_z_and_life_situations_list_every_service(client: TestClient) -> None:
    a_to_z = client.get("/leistungen").text
    assert len(re.findall(r'<li><a href="/leistungen/', a_to_z)) == 140
    assert 'id="letter-A"' in a_to_z
    topics = client.get("/lebenslagen").text
    assert len(re.findall(r'<li><a href="/leistungen/', topics)) == 140
    assert client.get("/lebenslagen/standesamt").status_code == 200


@pytest.mark.parametrize("path", ["/leistungen/gibt-es-nicht", "/lebenslagen/nichts", "/irgendwo"])
def test_unknown_pages_get_a_friendly_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Seite nicht gefunden" in r.text and 'href="/"' in r.text


def test_the_api_still_answers_json_for_unknown_ids(client: TestClient) -> None:
    r = client.get("/api/v1/services/gibt-es-nicht")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "params",
    [{"wahl": "atlantis"}, {"wahl": "x" * 5000}, {}],
)
def test_a_bad_municipality_choice_is_a_clear_422(
    client: TestClient, params: dict[str, str]
) -> None:
    r = client.get("/gemeinde", params=params, follow_redirects=False)
    assert r.status_code == 422 and "Unbekannte Gemeinde" in r.text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_choosing_a_municipality_never_redirects_off_site(client: TestClient, target: str) -> None:
    r = client.get("/gemeinde", params={"wahl": "kassel", "next": target}, follow_redirects=False)
    assert r.headers["location"] == "/"


def test_contact_page_knows_both_hours(client: TestClient) -> None:
    r = client.get("/kontakt")
    assert "Servicecenter der Stadt Kassel" in r.text and "Behördennummer 115" in r.text
    assert r.text.count('<table class="hours">') == 2
    assert '<th scope="row">Samstag</th><td>9:00–13:00 Uhr</td>' in r.text


def test_sitemap_and_robots(client: TestClient) -> None:
    sitemap = client.get("/sitemap.xml")
    assert sitemap.headers["content-type"].startswith("application/xml")
    assert sitemap.text.count("<loc>") == 4 + 140 + len(re.findall("/lebenslagen/", sitemap.text))
    assert "/leistungen/personalausweis-beantragen</loc>" in sitemap.text
    robots = client.get("/robots.txt").text
    assert "Sitemap: http://testserver/sitemap.xml" in robots
    assert "Disallow: /termin" in robots and "Disallow: /warteliste" in robots


def test_the_home_page_is_light(client: TestClient) -> None:
    html = client.get("/").content
    css = client.get("/static/site.css").content
    assert len(html) + len(css) < 100_000
    # htmx (make assets) comes deferred, after the first render.
    htmx = client.get("/static/vendor/htmx.min.js")
    assert htmx.status_code == 200, "run make assets"
    assert len(html) + len(css) + len(htmx.content) < 150_000


def test_the_portal_says_when_it_has_no_reliable_answer(client: TestClient) -> None:
    unsure = client.get("/suche", params={"q": "Fahrrad codieren lassen gegen Diebstahl"})
    assert "Dazu haben wir keine gesicherte Auskunft." in unsure.text
    assert 'href="/kontakt"' in unsure.text
    sure = client.get("/suche", params={"q": "Personalausweis beantragen"})
    assert "keine gesicherte Auskunft" not in sure.text


def test_an_empty_search_page_shows_how_to_search(client: TestClient) -> None:
    r = client.get("/suche")
    assert r.status_code == 200
    assert "So suchen Sie" in r.text and "Fragen Sie in Ihren eigenen Worten" in r.text
    assert 'href="/suche?q=Personalausweis+beantragen"' in r.text
    assert '<a href="/leistungen">Leistungen von A bis Z</a>' in r.text
    english = client.get("/suche", params={"lang": "en"})
    assert "How to search" in english.text
    assert "So suchen Sie" not in client.get("/suche", params={"q": "Reisepass"}).text
