"""The statistics pages (issue 14): a month of demo traffic shown against its targets,
drilled down to a day, every table exported as CSV and Excel with the same numbers as
the JSON API, charts as images with a text alternative, only for supervisors."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.desk import service as desk
from auskunft.desk.service import NewContact
from auskunft.statistics.model.traffic import TrafficYear
from auskunft.statistics.service import demo
from auskunft.statistics.tables import FigureMonth
from auskunft.telephony.model.queue_log import format_line
from auskunft.telephony.service import calls
from tests.web.test_staff_login import PASSWORD, login

CHANNELS = "115=115,0561115=local"
KINDS = {"personalausweis-beantragen": "buergerbuero", "sperrmuell": "abfall"}
TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def app_url(module_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    made = demo.make_year(2019, KINDS, seed=3, months=1)
    part = TrafficYear(calls=[c for c in made.calls if c.entered < 1547078400])  # 1-9 Jan
    queue_log = tmp_path_factory.mktemp("traffic") / "queue_log"
    demo.write_queue_log(part, queue_log)
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        demo.import_year(uow, part, queue_log, channels=CHANNELS)
        create_user(uow, "st-super", "supervisor", PASSWORD, now)
        create_user(uow, "st-agent", "agent", PASSWORD, now)
        TOKENS["st-super"] = create_api_token(uow, "st-super-t", now, username="st-super")
        uow.commit()
    return module_url


@pytest.fixture(scope="module")
def supervisor(app_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=app_url, telephony_channels=CHANNELS, partner_rate_eur=2.5)
    with TestClient(create_app(settings)) as c:
        assert login(c, "st-super", next_page="/statistik").status_code == 303
        yield c


def api(client: TestClient, path: str, **params: str) -> dict:
    r = client.get(
        f"/api/v1/statistics/{path}",
        params=params,
        headers={"Authorization": f"Bearer {TOKENS['st-super']}"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_the_month_shows_its_figures_against_the_targets(supervisor: TestClient) -> None:
    page = supervisor.get("/statistik", params={"monat": "2019-01"})
    assert page.status_code == 200
    text = page.text
    assert "Statistik: Januar 2019" in text
    calls = api(supervisor, "calls", **{"from": "2019-01-01", "to": "2019-01-31"})["total"]
    offered = f"{calls['offered']:,}".replace(",", ".")
    assert offered in text  # German thousands separator
    level = f"{calls['service_level'] * 100:.1f}".replace(".", ",") + "\xa0%"
    assert level in text
    assert "Erstlösungsquote, gemessen" in text and "Erstlösungsquote, selbst erfasst" in text
    # charts are images with a text alternative, drawn on the server, no script on the page
    assert text.count('<img src="data:image/svg+xml;base64,') == 2
    assert 'alt="Balkendiagramm: der Servicelevel' in text
    assert "<script>" not in text
    # a day links to its drill-down
    assert 'href="/statistik/tag?datum=2019-01-07"' in text


def test_the_year_shows_its_months_and_what_each_partner_owes(supervisor: TestClient) -> None:
    page = supervisor.get("/statistik", params={"jahr": "2019"})
    assert page.status_code == 200
    assert "Statistik: 2019" in page.text and "Das Jahr auf einen Blick" in page.text
    assert 'href="/statistik?monat=2019-01"' in page.text
    partners = api(supervisor, "partners", **{"from": "2019-01-01", "to": "2019-12-31"})
    owed = {row["participant"]: row["contacts"] for row in partners["total"] if row["partner"]}
    got = supervisor.get("/statistik/export/partner.csv", params={"jahr": "2019"})
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Beteiligte Stelle",
        "Kennung",
        "Partner",
        "Kontakte",
        "2019-01",
        "Betrag (€)",
    ]
    amounts = {row[1]: float(row[5]) for row in rows[1:] if row[5]}
    assert amounts == {who: round(n * 2.5, 2) for who, n in owed.items()}
    assert "Verrechnungssatz je Kontakt: 2,50 €" in page.text


def test_a_day_shows_its_half_hours_and_abandoned_calls(supervisor: TestClient) -> None:
    page = supervisor.get("/statistik/tag", params={"datum": "2019-01-07"})
    assert page.status_code == 200
    assert "Montag, 7. Januar 2019" in page.text
    assert "Anrufe je halbe Stunde" in page.text and "Nicht angenommene Anrufe" in page.text
    english = supervisor.get("/statistik/tag", params={"datum": "2019-01-07", "lang": "en"})
    assert "Calls per half hour" in english.text and "Monday, 7 January 2019" in english.text
    supervisor.get("/statistik/tag", params={"datum": "2019-01-07", "lang": "de"})  # back


def test_the_exports_hold_the_numbers_of_the_api(supervisor: TestClient) -> None:
    calls = api(supervisor, "calls", **{"from": "2019-01-01", "to": "2019-01-31"})
    got = supervisor.get("/statistik/export/anrufe.csv", params={"monat": "2019-01"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    assert 'filename="anrufe-2019-01.csv"' in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Zeitraum", "Angeboten", "Angenommen"]
    assert [r[0] for r in rows[1:-1]] == [row["period"] for row in calls["rows"]]
    assert rows[-1][0] == "Summe" and int(rows[-1][1]) == calls["total"]["offered"]
    book = supervisor.get("/statistik/export/kontakte.xlsx", params={"monat": "2019-01"})
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).active
    contacts = api(supervisor, "contacts", **{"from": "2019-01-01", "to": "2019-01-31"})
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Zeitraum" and values[-1][1] == contacts["total"]["contacts"]
    assert values[-1][7] == contacts["total"]["fcr"]
    for name in ("termine", "partner", "anliegen"):
        got = supervisor.get(f"/statistik/export/{name}.xlsx", params={"monat": "2019-01"})
        assert got.status_code == 200, name
    day = supervisor.get("/statistik/export/abbrueche.csv", params={"datum": "2019-01-07"})
    gone = api(supervisor, "calls/abandoned", day="2019-01-07")
    assert len(day.content.decode("utf-8-sig").strip().splitlines()) == len(gone) + 1


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/statistik", {"monat": "2019-13"}, 422),
        ("/statistik", {"monat": "nonsense"}, 422),
        ("/statistik", {"jahr": "0"}, 422),
        ("/statistik", {"jahr": "20x9"}, 422),
        ("/statistik/tag", {"datum": "2019-02-30"}, 422),
        ("/statistik/export/anrufe.pdf", {"monat": "2019-01"}, 422),
        ("/statistik/export/nichts.csv", {"monat": "2019-01"}, 404),
    ],
)
def test_bad_input_gets_a_clear_4xx(
    supervisor: TestClient, path: str, params: dict[str, str], status: int
) -> None:
    got = supervisor.get(path, params=params)
    assert got.status_code == status, got.text


def test_only_supervisors_see_the_statistics(app_url: str, tmp_path: Path) -> None:
    app = create_app(Settings(database_url=app_url, telephony_channels=CHANNELS))
    with TestClient(app) as c:
        assert c.get("/statistik", follow_redirects=False).status_code in (303, 401)
        login(c, "st-agent")
        assert c.get("/statistik").status_code == 403
        assert c.get("/statistik/export/anrufe.csv").status_code == 403


def test_kept_months_follow_late_records(supervisor: TestClient, app_url: str) -> None:
    """A past month's sums are kept once read, and dropped when its records change."""
    window = {"from": "2019-01-01", "to": "2019-01-31"}
    before = api(supervisor, "calls", **window)["total"]
    contacts = api(supervisor, "contacts", **window)["total"]["contacts"]
    partners = api(supervisor, "partners", **window)["total"]
    with UnitOfWork(get_engine(app_url)) as uow:
        assert uow.session.scalar(select(func.count()).select_from(FigureMonth)) >= 3
    start = int(datetime(2019, 1, 20, 9, 0, tzinfo=BERLIN).timestamp())
    lines = [
        format_line(start, "late-1", "NONE", "", "DID", "115"),
        format_line(start, "late-1", "sc", "", "ENTERQUEUE", "", "0561 999", 1),
        format_line(start + 10, "late-1", "sc", "Agent/1", "CONNECT", 10, "x", 1),
        format_line(start + 100, "late-1", "sc", "Agent/1", "COMPLETECALLER", 10, 90, 1),
    ]
    with UnitOfWork(get_engine(app_url)) as uow:
        calls.import_queue_log(uow, lines, channels=CHANNELS)
        uow.commit()
    after = api(supervisor, "calls", **window)["total"]
    assert (after["offered"], after["answered"]) == (before["offered"] + 1, before["answered"] + 1)
    at = datetime.fromtimestamp(start + 10, UTC)
    late = NewContact("115", "answered", at, at, "sperrmuell", "kassel", "late-1")
    with UnitOfWork(get_engine(app_url)) as uow:
        assert desk.import_history(uow, [late], source="demo") == 1
        uow.commit()
    assert api(supervisor, "contacts", **window)["total"]["contacts"] == contacts + 1
    now_partners = api(supervisor, "partners", **window)["total"]
    count = {row["participant"]: row["contacts"] for row in partners}
    now = {row["participant"]: row["contacts"] for row in now_partners}
    assert now["stadtreiniger-kassel"] == count.get("stadtreiniger-kassel", 0) + 1
