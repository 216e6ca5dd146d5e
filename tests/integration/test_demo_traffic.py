"""The demo year (issue 14): consistent with the service center's published figures, in
service hours only, the same for the same seed, and imported as calls with their
contacts (on both stores)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from auskunft.cli import main
from auskunft.core.config import get_settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.core.servicetime import ServiceCalendar
from auskunft.desk.tables import Contact
from auskunft.statistics.model.traffic import MONTHLY_ANSWERED, TrafficYear
from auskunft.statistics.service import demo
from auskunft.telephony.tables import Call

KINDS = {"personalausweis-beantragen": "buergerbuero", "fahrzeug-zulassen": "zulassung"} | {
    f"andere-{n}": "ordnungsamt" for n in range(4)
}


@pytest.fixture(scope="module")
def year() -> TrafficYear:
    return demo.make_year(2019, KINDS, seed=7)


def test_the_year_matches_the_published_figures(year: TrafficYear) -> None:
    facts = demo.summary(year)
    assert 240_000 <= facts["answered"] <= 260_000  # about 250,000
    assert facts["share_115"] > 0.5  # more than half through 115
    answered = [c for c in year.calls if c.result == "answered"]
    months = Counter(datetime.fromtimestamp(c.entered, BERLIN).month for c in answered)
    for month, target in enumerate(MONTHLY_ANSWERED, start=1):
        assert abs(months[month] - target) / target < 0.05, (month, months[month], target)
    assert months[1] < months[6] < months[12]  # rising through the year
    outcomes = Counter(c.outcome for c in answered)
    settled = (outcomes["answered"] + outcomes["appointment"]) / len(answered)
    assert 0.78 <= settled <= 0.83  # more than 80 % settled in the first contact
    assert 38_000 <= outcomes["appointment"] <= 48_000  # about 43,000 booked by phone
    talks = sorted(c.talk_s for c in answered if c.talk_s is not None)
    mean = sum(talks) / len(talks)
    assert 170 <= mean <= 200 and talks[len(talks) // 2] < mean  # lognormal: median < mean
    offices = sum(
        1 for c in answered if c.service in ("personalausweis-beantragen", "fahrzeug-zulassen")
    )
    assert 0.62 <= offices / len(answered) <= 0.71  # two thirds about the Bürgeramt


def test_calls_come_in_service_hours_only_with_monday_mornings_busiest(year: TrafficYear) -> None:
    calendar = ServiceCalendar.default()
    per_hour: Counter[tuple[int, int]] = Counter()
    for call in year.calls[::50]:
        moment = datetime.fromtimestamp(call.entered, UTC)
        assert calendar.is_service_time(moment), moment
        local = moment.astimezone(BERLIN)
        per_hour[(local.weekday(), local.hour)] += 1
    assert per_hour[(0, 9)] > per_hour[(2, 9)] > per_hour[(2, 17)]
    assert not any(weekday == 6 for weekday, _ in per_hour)  # no Sundays


def test_the_same_seed_gives_the_same_year() -> None:
    first = demo.make_year(2019, KINDS, seed=7, months=1)
    again = demo.make_year(2019, KINDS, seed=7, months=1)
    assert [(c.call_id, c.caller, c.talk_s, c.service) for c in again.calls] == [
        (c.call_id, c.caller, c.talk_s, c.service) for c in first.calls
    ]
    other = demo.make_year(2019, KINDS, seed=8, months=1)
    assert [c.entered for c in other.calls[:50]] != [c.entered for c in first.calls[:50]]


def test_a_part_of_the_year_imports_as_calls_with_their_contacts(
    year: TrafficYear, module_url: str, tmp_path: Path
) -> None:
    part = TrafficYear(calls=year.calls[:400])
    queue_log = tmp_path / "queue_log"
    lines = demo.write_queue_log(part, queue_log)
    assert lines >= 400 * 3
    for _ in range(2):  # a second import changes nothing
        with UnitOfWork(get_engine(module_url)) as uow:
            report = demo.import_year(uow, part, queue_log, channels="115=115,0561115=local")
            uow.commit()
    assert report["calls_new"] == 0 and report["contacts"] == 0
    with UnitOfWork(get_engine(module_url)) as uow:
        calls = uow.session.scalar(
            select(func.count()).select_from(Call).where(Call.call_id.like("15%"))
        )
        linked = uow.session.execute(
            select(func.count()).select_from(Contact).join(Call, Call.call_id == Contact.call_id)
        ).scalar()
    answered = sum(1 for c in part.calls if c.result == "answered")
    assert calls == 400 and linked == answered


def test_the_command_writes_the_queue_log(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    catalog_url: str,
) -> None:
    monkeypatch.setenv("AUSKUNFT_DATABASE_URL", catalog_url)
    get_settings.cache_clear()
    request.addfinalizer(get_settings.cache_clear)
    out = tmp_path / "year.log"
    command = ["demo", "traffic", "--year", "2019", "--months", "1", "--json", "--out", str(out)]
    done = CliRunner().invoke(main, command)
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output.strip().splitlines()[-1])
    assert summary["lines"] == sum(1 for _ in out.open()) > 60_000
    assert abs(summary["answered"] - MONTHLY_ANSWERED[0]) < 1000
    assert summary["calls_new"] == summary["offered"]
    assert summary["contacts"] == summary["answered"]
