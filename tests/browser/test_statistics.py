"""Statistics and the screen pop in a real browser (issue 14), on SQLite and PostgreSQL:
a supervisor reads a month, drills down to a day, opens the year, the wallboard and the
staffing week, every page clean under axe-core; an agent's idle desk opens the call the
telephone system connects to them, asks for the municipality the area code leaves open,
and logs the contact with the call id."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from auskunft.access.service import create_api_token, create_user
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk.tables import Contact
from auskunft.statistics.model.traffic import TrafficYear
from auskunft.statistics.service import demo
from tests.browser.axe import assert_accessible
from tests.browser.conftest import TIMEOUT_MS, _check_front_end
from tests.browser.server import live_server

pytestmark = pytest.mark.browser

PASSWORD = "Kassel-115-Statistik"
CHANNELS = "115=115,0561115=local"
KINDS = {"personalausweis-beantragen": "buergerbuero", "sperrmuell": "abfall"}
TOKEN: dict[str, str] = {}


@pytest.fixture(scope="module")
def server(module_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    _check_front_end()
    data_dir: Path = tmp_path_factory.mktemp("statistik")
    made = demo.make_year(2019, KINDS, seed=5, months=1)
    part = TrafficYear(calls=[c for c in made.calls if c.entered < 1547683200])  # 1-16 Jan
    queue_log = data_dir / "queue_log"
    demo.write_queue_log(part, queue_log)
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        demo.import_year(uow, part, queue_log, channels=CHANNELS)
        create_user(uow, "leitung", "supervisor", PASSWORD, now)
        create_user(uow, "anna", "agent", PASSWORD, now)
        TOKEN["machine"] = create_api_token(uow, "anlage", now)
        uow.commit()
    with live_server(data_dir, database_url=module_url, telephony_channels=CHANNELS) as base:
        yield base, module_url


@pytest.fixture()
def page(browser: Browser, server: tuple[str, str]) -> Iterator[Page]:
    context = browser.new_context(base_url=server[0], locale="de-DE", timezone_id="Europe/Berlin")
    context.set_default_timeout(TIMEOUT_MS)
    found = context.new_page()
    errors: list[str] = []
    found.on("pageerror", lambda error: errors.append(str(error)))
    yield found
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def log_in(page: Page, username: str, target: str) -> None:
    page.goto(target)
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(target.split("?")[0])))


def test_a_supervisor_reads_the_figures(page: Page) -> None:
    log_in(page, "leitung", "/statistik?monat=2019-01")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistik: Januar 2019")
    glance = page.locator("table.glance")
    expect(glance).to_contain_text("Servicelevel (30 s)")
    expect(glance).to_contain_text("Erstlösungsquote, gemessen")
    expect(page.get_by_role("img", name=re.compile("Servicelevel jedes Tages"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="2019-01-07").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Statistik: Montag, 7. Januar 2019")
    expect(page.get_by_role("heading", name="Anrufe je halbe Stunde")).to_be_visible()
    assert_accessible(page)
    page.goto("/statistik?jahr=2019")
    expect(page.get_by_role("heading", name="Das Jahr auf einen Blick")).to_be_visible()
    expect(page.get_by_role("heading", name="Kontakte je Partner")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.locator('a[href^="/statistik/export/partner.xlsx"]').click()
    assert download.value.suggested_filename == "partner-2019.xlsx"
    page.goto("/statistik/live")
    expect(page.get_by_role("heading", name="Live-Anzeige")).to_be_visible()
    assert_accessible(page)
    page.goto("/statistik/personal?woche=2019-01-21")
    expect(page.get_by_role("heading", level=1)).to_contain_text("21. Januar 2019")
    expect(page.locator("table.figures").last).to_contain_text("Mo 21.01. 08:00")
    assert_accessible(page)


def post_events(base: str, lines: list[str]) -> None:
    answer = httpx.post(
        f"{base}/api/v1/telephony/events",
        json={"events": lines},
        headers={"Authorization": f"Bearer {TOKEN['machine']}"},
    )
    assert answer.status_code == 200, answer.text


def test_the_screen_pop_opens_the_call_on_an_idle_desk(page: Page, server: tuple[str, str]) -> None:
    base, url = server
    log_in(page, "anna", "/desk")
    t = int(time.time()) - 20
    post_events(
        base,
        [
            f"{t}|pop-b1|NONE|NONE|DID|115",
            f"{t}|pop-b1|sc|NONE|ENTERQUEUE||0561 7654321|1",
            f"{t + 9}|pop-b1|sc|Agent/anna|CONNECT|9|x|1",
        ],
    )
    expect(page).to_have_url(re.compile(r"/desk\?anruf=pop-b1$"), timeout=10_000)
    expect(page.locator("#call-info")).to_contain_text("Bitte die Gemeinde erfragen:")
    expect(page.locator("#call-info")).to_contain_text(
        "Stadt Kassel, Stadt Baunatal, Gemeinde Niestetal"
    )
    municipality = page.get_by_label("Wohnort des Anrufenden")
    expect(municipality).to_have_value("")
    expect(page.get_by_label("Kanal")).to_have_value("115")
    assert_accessible(page)
    municipality.select_option("baunatal")
    page.get_by_label("Anliegen des Anrufenden").fill("Personalausweis beantragen")
    page.keyboard.press("Alt+1")
    expect(page.locator("#logged")).to_be_visible()
    with UnitOfWork(get_engine(url)) as uow:
        row = uow.session.scalar(select(Contact).where(Contact.call_id == "pop-b1"))
        assert row is not None and row.channel == "115" and row.municipality == "baunatal"
