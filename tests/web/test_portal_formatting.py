"""Dates and hours on the citizen portal as Germans write them ("Dienstag, 1. Dezember 2026",
"8:00–16:00 Uhr"; English pages "Tuesday, 1 December 2026", "8:00–16:00"), no ISO date in
the text a reader sees, and a day's many free times grouped by hour (plain <details>)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from auskunft.core.hours import BERLIN, TimeRange
from auskunft.core.web.render import ENVIRONMENTS, clock, hour_range, long_date
from tests.web.test_booking_pages import (
    KASSEL,
    NIESTETAL,
    SERVICE,
    START,
    alert,
    book,
    fill,
    form_token,
    join,
    links,
    make_app,
)

GERMAN_DAY = r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)"
GERMAN_MONTH = (
    r"(Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
)
ENGLISH_DAY = r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
ENGLISH_MONTH = (
    r"(January|February|March|April|May|June|July|August|September|October|November|December)"
)
GERMAN_DATE = GERMAN_DAY + r", \d{1,2}\. " + GERMAN_MONTH + r" \d{4}"
ENGLISH_DATE = ENGLISH_DAY + r", \d{1,2} " + ENGLISH_MONTH + r" \d{4}"

# What a reader must not see: ISO dates, hours with a hyphen and a leading zero ("08:00-16:00"),
# and day numbers without the month's name ("05.12.").
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
HYPHEN_HOURS = re.compile(r"\b\d{1,2}:\d{2}\s?-\s?\d{1,2}:\d{2}\b")
NUMERIC_DAY = re.compile(r"\b\d{2}\.\d{2}\.")


@pytest.fixture(scope="module")
def app(module_url: str, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(module_url, tmp_path_factory.mktemp("formatting"))


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def visible(page: str) -> str:
    """The text a reader sees: no head, scripts, styles, tags or attributes."""
    body = re.sub(r"(?s)<(head|script|style)\b.*?</\1>", " ", page)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


def assert_reads_well(page: str, where: str) -> None:
    text = visible(page)
    for pattern in (ISO_DATE, HYPHEN_HOURS, NUMERIC_DAY):
        found = pattern.search(text)
        assert found is None, (
            f"{where}: {found.group(0)!r} in {text[max(0, found.start() - 80) :][:200]!r}"
        )


def busiest_day(client: TestClient, lang: str = "de") -> tuple[str, int]:
    """The link to the day with the most free times at Kassel, and how many there are."""
    days = client.get(START, params={"standort": KASSEL, "lang": lang})
    assert days.status_code == 200
    found = re.findall(
        r'<a href="([^"]+&amp;tag=[0-9-]+)"[^>]*>.*?<span class="free">(\d+)', days.text
    )
    assert found, "no day with free times"
    href, count = max(found, key=lambda f: int(f[1]))
    return html.unescape(href), int(count)


def hour_groups(page: str) -> list[tuple[str, str]]:
    """Each <details class="hour"> of a page: its summary's text and its content."""
    return [
        (visible(summary).strip(), body)
        for summary, body in re.findall(
            r'<details class="hour">\s*<summary>(.*?)</summary>(.*?)</details>', page, re.S
        )
    ]


# -- the filters -------------------------------------------------------------------


def test_the_filters_write_dates_and_hours_as_people_do() -> None:
    assert long_date(date(2026, 12, 1), "de") == "Dienstag, 1. Dezember 2026"
    assert long_date(date(2026, 12, 1), "en") == "Tuesday, 1 December 2026"
    assert long_date("2026-11-24", "de", weekday=False) == "24. November 2026"
    assert long_date("2026-11-24", "en", weekday=False) == "24 November 2026"
    # A moment counts by its day in Berlin: 23:30 UTC on 31 December is New Year's Day there.
    assert long_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), "de") == "Freitag, 1. Januar 2027"
    assert long_date(None, "de") == "" and long_date("", "en") == ""
    assert hour_range("08:00-16:00", "de") == "8:00–16:00 Uhr"
    assert hour_range("08:00-16:00", "en") == "8:00–16:00"
    assert hour_range("09:00-09:30", "de") == "9:00–9:30 Uhr"
    assert hour_range("10:00-24:00", "de") == "10:00–24:00 Uhr"
    assert hour_range(TimeRange(time(7), time(12, 30)), "en") == "7:00–12:30"
    assert clock(time(8, 5), "de") == "8:05" and clock("18:00", "en") == "18:00"
    assert clock(datetime(2026, 12, 1, 8, 0, tzinfo=BERLIN), "de") == "8:00"


def test_the_filters_are_in_every_page_language() -> None:
    template = "{{ d|long_date }} · {{ r|hour_range }} · {{ t|clock }}"
    values = {"d": date(2026, 12, 1), "r": "08:00-16:00", "t": time(9)}
    german = ENVIRONMENTS["de"].from_string(template).render(**values)
    english = ENVIRONMENTS["en"].from_string(template).render(**values)
    assert german == "Dienstag, 1. Dezember 2026 · 8:00–16:00 Uhr · 9:00"
    assert english == "Tuesday, 1 December 2026 · 8:00–16:00 · 9:00"


# -- opening hours and service pages ---------------------------------------------------


def test_the_contact_page_writes_hours_as_germans_do(client: TestClient) -> None:
    page = client.get("/kontakt")
    assert page.status_code == 200
    assert '<th scope="row">Samstag</th><td>9:00–13:00 Uhr</td>' in page.text
    assert '<th scope="row">Montag</th><td>7:00–18:00 Uhr</td>' in page.text
    # Open until a time, or opening again on a day named in full; both keep their values.
    status = re.findall(r'<p class="status (?:open|closed)">(.*?)</p>', page.text, re.S)
    assert len(status) == 2
    for line in status:
        text = visible(line)
        assert re.search(r"bis \d{1,2}:\d\d Uhr", text) or re.search(
            "öffnet " + GERMAN_DATE + r" um \d{1,2}:\d\d Uhr", text
        ), text
        assert re.search(r'<time datetime="\d\d:\d\d">\d{1,2}:\d\d</time>', line)
    assert_reads_well(page.text, "/kontakt")


def test_the_contact_page_in_english(client: TestClient) -> None:
    page = client.get("/kontakt", params={"lang": "en"})
    assert '<th scope="row">Saturday</th><td>9:00–13:00</td>' in page.text
    for line in re.findall(r'<p class="status (?:open|closed)">(.*?)</p>', page.text, re.S):
        text = visible(line)
        assert re.search(r"until \d{1,2}:\d\d", text) or re.search(
            "opens " + ENGLISH_DATE + r" at \d{1,2}:\d\d", text
        ), text
    assert_reads_well(page.text, "/kontakt?lang=en")


def test_a_service_page_writes_its_office_hours_and_review_date(client: TestClient) -> None:
    page = client.get(f"/leistungen/{SERVICE}")
    assert re.search(
        r"<td>\d{1,2}:\d\d–\d{1,2}:\d\d Uhr(, \d{1,2}:\d\d–\d{1,2}:\d\d Uhr)*</td>", page.text
    )
    reviewed = re.search(
        r'Zuletzt geprüft: <time datetime="(\d{4}-\d\d-\d\d)">(\d{1,2}\. '
        + GERMAN_MONTH
        + r" \d{4})</time>",
        page.text,
    )
    assert reviewed, "the review date is written out, its value kept in <time>"
    value = date.fromisoformat(reviewed.group(1))
    assert reviewed.group(2) == f"{value.day}. " + reviewed.group(3) + f" {value.year}"
    english = client.get(f"/leistungen/{SERVICE}", params={"lang": "en"})
    assert re.search(
        r"Last reviewed: <time datetime=\"[0-9-]+\">\d{1,2} " + ENGLISH_MONTH, english.text
    )
    assert re.search(r"<td>\d{1,2}:\d\d–\d{1,2}:\d\d</td>", english.text)


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(
    "path", ["/", "/leistungen", "/lebenslagen", "/lebenslagen/ausweise", f"/leistungen/{SERVICE}"]
)
def test_portal_pages_show_no_iso_dates(client: TestClient, path: str, lang: str) -> None:
    page = client.get(path, params={"lang": lang})
    assert page.status_code == 200
    assert_reads_well(page.text, f"{path}?lang={lang}")


# -- booking: the free times of a day, by hour -------------------------------------------


def test_many_free_times_are_grouped_by_hour(client: TestClient) -> None:
    href, count = busiest_day(client)
    assert count > 12, "the demo's busiest day has many free times"
    page = client.get(href)
    assert page.status_code == 200
    groups = hour_groups(page.text)
    assert 1 < len(groups) <= 14
    assert "Öffnen Sie eine Stunde, um ihre Zeiten zu sehen." in page.text
    total = 0
    for summary, body in groups:
        found = re.fullmatch(r"(\d{1,2}) Uhr · (\d+) freie Zeiten?", summary)
        assert found, summary
        times = re.findall(r'<a href="[^"]+&amp;zeit=[0-9%A]+">(\d\d):(\d\d)</a>', body)
        assert len(times) == int(found.group(2)) and 0 < len(times) <= 12
        assert {int(hour) for hour, _ in times} == {int(found.group(1))}
        total += len(times)
    assert total == count
    # Every time link is inside its hour: nothing is shown before the first grouping level.
    outside = re.sub(r"(?s)<details class=\"hour\">.*?</details>", "", page.text)
    assert "zeit=" not in outside
    assert "<details open" not in page.text
    assert_reads_well(page.text, "times")
    day = re.search(r"<dt>Tag</dt><dd>(.*?)</dd>", page.text)
    assert day and re.fullmatch(GERMAN_DATE, day.group(1))


def test_the_hours_in_english(client: TestClient) -> None:
    href, _count = busiest_day(client, "en")
    page = client.get(href)
    groups = hour_groups(page.text)
    assert groups and all(re.fullmatch(r"\d{1,2} [AP]M · \d+ times? free", s) for s, _ in groups)
    assert "Open an hour to see its times." in page.text
    day = re.search(r"<dt>Day</dt><dd>(.*?)</dd>", page.text)
    assert day and re.fullmatch(ENGLISH_DATE, day.group(1))
    assert_reads_well(page.text, "times?lang=en")


def _choices(count: int) -> list[dict[str, object]]:
    return [
        {
            "value": f"{8 + i // 12:02d}:{i % 12 * 5:02d}",
            "label": f"{8 + i // 12:02d}:{i % 12 * 5:02d}",
            "hour": 8 + i // 12,
            "hour_label": f"{8 + i // 12} Uhr",
            "href": f"/x?zeit={i}",
        }
        for i in range(count)
    ]


def test_a_dozen_times_stay_one_list() -> None:
    parts = ENVIRONMENTS["de"].get_template("_booking_parts.html").module
    few = str(parts.time_list(_choices(12)))  # type: ignore[attr-defined]
    assert "<details" not in few and few.count("<li><a ") == 12
    many = str(parts.time_list(_choices(13)))  # type: ignore[attr-defined]
    assert many.count('<details class="hour">') == 2
    assert '<summary><span class="hour-label">9 Uhr</span> · 1 freie Zeit</summary>' in many
    radios = str(parts.time_radios(_choices(30)))  # type: ignore[attr-defined]
    ids = re.findall(r'type="radio" name="zeit" id="(zeit-\d+)"', radios)
    assert len(ids) == 30 == len(set(ids)) and " required" not in radios
    assert radios.count('<details class="hour">') == 3
    assert " required" in str(parts.time_radios(_choices(5)))  # type: ignore[attr-defined]


def test_a_taken_time_offers_the_free_ones_by_hour(client: TestClient) -> None:
    href, _count = busiest_day(client)
    times = links(client.get(href).text, r"/termin/buchen/[^\"]+&amp;zeit=[0-9%A]+")
    details = client.get(times[0])
    query = dict(p.split("=", 1) for p in times[0].split("?", 1)[1].split("&"))
    data = {
        "csrf": form_token(details.text),
        "standort": query["standort"],
        "tag": query["tag"],
        "zeit": query["zeit"].replace("%3A", ":"),
    }
    # Kassel has more than one counter: the time is gone when each of them is booked.
    for n in range(10):
        person = {"name": f"Person {n}", "email": f"stunde{n}@example.org"}
        taken = client.post(START, data={**data, **person}, follow_redirects=False)
        if taken.status_code != 303:
            break
    assert taken.status_code == 409 and "vergeben" in alert(taken.text)
    groups = hour_groups(taken.text)
    assert groups and all(re.fullmatch(r"\d{1,2} Uhr · \d+ freie Zeiten?", s) for s, _ in groups)
    assert 'type="radio" name="zeit"' in taken.text and " required>" not in taken.text
    assert_reads_well(taken.text, "details after a conflict")
    # No time chosen: the server says so in the form (the browser cannot, in a closed hour).
    missing = client.post(
        START, data={**data, "zeit": "", "name": "Dritte", "email": "dritte@example.org"}
    )
    assert missing.status_code == 422 and "Uhrzeit aus der Liste" in alert(missing.text)
    assert 'value="Dritte"' in missing.text and hour_groups(missing.text)


def test_booking_manage_move_and_cancel_pages_read_well(client: TestClient) -> None:
    for lang in ("de", "en"):
        client.cookies.set("lang", lang)
        pages = {"start": client.get(START), "days": client.get(START, params={"standort": KASSEL})}
        code, token = book(client, f"lesbar-{lang}@example.org")
        pages["confirmed"] = client.get(f"/termin/{code}/bestaetigung", params={"token": token})
        pages["manage"] = client.get(f"/termin/{code}", params={"token": token})
        move = client.get(f"/termin/{code}/verschieben", params={"token": token})
        pages["move days"] = move
        day = links(move.text, r"/termin/[^\"]+/verschieben\?[^\"]+&amp;tag=[0-9-]+")
        # The busiest day to move to has its times by hour too.
        counts = [int(n) for n in re.findall(r'<span class="free">(\d+)', move.text)]
        pages["move times"] = client.get(day[counts.index(max(counts))])
        assert hour_groups(pages["move times"].text)
        time_links = links(pages["move times"].text, r"/termin/[^\"]+&amp;zeit=[0-9%A]+")
        pages["move confirm"] = client.get(time_links[0])
        pages["cancel"] = client.get(f"/termin/{code}/absagen", params={"token": token})
        date_pattern = GERMAN_DATE if lang == "de" else ENGLISH_DATE
        for name, page in pages.items():
            assert page.status_code == 200, name
            assert_reads_well(page.text, f"{name} ({lang})")
        for name in ("confirmed", "manage", "cancel"):
            assert re.search(r"<dd>" + date_pattern + "</dd>", pages[name].text), name
        assert re.search(date_pattern, visible(pages["move confirm"].text))
    client.cookies.delete("lang")


def test_the_waitlist_page_reads_well(tmp_path: Path, fresh_url: str) -> None:
    app = make_app(fresh_url, tmp_path, booking_horizon_days=7)
    with TestClient(app, raise_server_exceptions=False) as c:
        fill(fresh_url, app.state.policy)
        full = c.get(START, params={"standort": NIESTETAL})
        assert_reads_well(full.text, "days without free times")
        entry, token = join(c, "Wartende", "wartende@example.org")
        for lang in ("de", "en"):
            page = c.get(f"/warteliste/{entry}", params={"token": token, "lang": lang})
            assert page.status_code == 200
            assert_reads_well(page.text, f"waitlist ({lang})")
