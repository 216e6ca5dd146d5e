"""Concerns through the pages: forwarding from the desk, the office's inbox, the supervisor's
list, the citizen's form and tracking page, the answer link of an office without an account,
escalation and the e-mails the worker sends, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import altcha
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from auskunft.access.service import create_user
from auskunft.app import create_app
from auskunft.catalog.model.jurisdiction import Jurisdiction
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.core.jobs.tables import Job
from auskunft.core.jobs.worker import run_due
from auskunft.desk.tables import Contact
from auskunft.forwarding.model.concern import Citizen
from auskunft.forwarding.service import concerns
from auskunft.forwarding.tables import Concern, ConcernAccess, ConcernStep
from tests.web.test_cli import cli
from tests.web.test_desk import Inbox, free_port
from tests.web.test_staff_login import PASSWORD, form_token, login

SECRET = "concern-pages-test-secret-0123456789abcdef"
STATE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def settings(module_url: str, smtp: tuple[Inbox, int]) -> Settings:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "p-agent", "agent", PASSWORD, now)
        create_user(uow, "p-super", "supervisor", PASSWORD, now)
        create_user(
            uow,
            "p-zul",
            "clerk",
            PASSWORD,
            now,
            authorities=["lk-kassel-zulassung"],
            offices=catalog,
        )
        create_user(
            uow, "p-std", "clerk", PASSWORD, now, authorities=["kassel-standesamt"], offices=catalog
        )
        uow.commit()
    return Settings(
        database_url=module_url,
        worker="off",
        rate_limits="off",
        secret_key=SECRET,
        smtp_port=smtp[1],
        smtp_timeout=5,
        public_url="https://auskunft.kassel.example",
        altcha_max_number=2000,
    )


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def uow_of(settings: Settings) -> UnitOfWork:
    return UnitOfWork(get_engine(settings.database_url))


def logged_in(client: TestClient, who: str) -> TestClient:
    assert login(client, who).status_code in (200, 303)
    return client


def forward_from_desk(client: TestClient, **changes: str) -> tuple[int, str]:
    page = client.get(
        "/desk/weiterleiten",
        params={
            "q": "Wie lange dauert die Zulassung?",
            "gemeinde": "baunatal",
            "leistung": "fahrzeug-zulassen",
        },
    )
    assert page.status_code == 200
    data = {
        "csrf": form_token(page.text),
        "question": "Wie lange dauert die Zulassung?",
        "service": "fahrzeug-zulassen",
        "municipality": "baunatal",
        "authority": "lk-kassel-zulassung",
        "channel": "115",
        "consent": "ja",
        "name": "Max Muster",
        "phone": "0561 123456",
        "preferred": "phone",
        "callback": "vormittags",
    } | changes
    answer = client.post("/desk/weiterleiten", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    target = answer.headers["location"]
    concern_id = int(re.search(r"anliegen=(\d+)", target).group(1))  # type: ignore[union-attr]
    return concern_id, target


def test_the_desk_forwards_prefilled_and_starts_the_next_call_clean(
    client: TestClient, settings: Settings
) -> None:
    logged_in(client, "p-agent")
    page = client.get(
        "/desk/weiterleiten",
        params={
            "q": "Wie lange dauert die Zulassung?",
            "gemeinde": "baunatal",
            "leistung": "fahrzeug-zulassen",
        },
    )
    assert "Wie lange dauert die Zulassung?" in page.text
    assert re.search(r'<option value="lk-kassel-zulassung" selected', page.text)
    assert re.search(r'<option value="baunatal" selected', page.text)
    assert 'id="forward-consent"' in page.text and "autofocus" in page.text
    concern_id, target = forward_from_desk(client)
    assert "gemeinde" not in target
    desk = client.get(target)
    assert desk.status_code == 200
    assert "Vorgangsnummer" in desk.text and "Sie bekommen bis" in desk.text and "Uhr" in desk.text
    assert re.search(r'<option value="kassel" selected', desk.text), (
        "the next call starts in Kassel"
    )
    with uow_of(settings) as uow:
        contact = uow.session.scalars(select(Contact).where(Contact.concern_id == concern_id)).one()
        assert contact.outcome == "forwarded" and contact.municipality == "baunatal"
        row = uow.session.get(Concern, concern_id)
        assert row is not None
        code = row.tracking_code
    assert code[:5] in desk.text
    STATE["desk_concern"] = concern_id


def test_the_desk_form_refuses_without_consent_and_keeps_what_was_typed(
    client: TestClient, settings: Settings
) -> None:
    logged_in(client, "p-agent")
    with uow_of(settings) as uow:
        before = uow.session.scalar(select(func.count()).select_from(Concern))
    page = client.get("/desk/weiterleiten", params={"q": "Frage"})
    answer = client.post(
        "/desk/weiterleiten",
        data={
            "csrf": form_token(page.text),
            "question": "Frage",
            "name": "Max",
            "phone": "0561 1234",
        },
    )
    assert answer.status_code == 422
    assert "Einverständnis" in answer.text and 'value="Max"' in answer.text
    with uow_of(settings) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Concern)) == before


def test_the_inbox_shows_a_clerk_their_offices_concerns_only(
    client: TestClient, settings: Settings
) -> None:
    logged_in(client, "p-agent")
    concern_id, _ = forward_from_desk(client)
    client.cookies.clear()
    logged_in(client, "p-std")
    assert f'/dienststelle/anliegen/{concern_id}"' not in client.get("/dienststelle/anliegen").text
    assert client.get(f"/dienststelle/anliegen/{concern_id}").status_code == 404
    client.cookies.clear()
    logged_in(client, "p-zul")
    inbox = client.get("/dienststelle/anliegen")
    assert f"/dienststelle/anliegen/{concern_id}" in inbox.text
    with uow_of(settings) as uow:
        before = uow.session.scalar(
            select(func.count())
            .select_from(ConcernAccess)
            .where(ConcernAccess.concern_id == concern_id)
        )
    detail = client.get(f"/dienststelle/anliegen/{concern_id}")
    assert (
        detail.status_code == 200 and "Max Muster" in detail.text and "0561 123456" in detail.text
    )
    with uow_of(settings) as uow:
        after = uow.session.scalar(
            select(func.count())
            .select_from(ConcernAccess)
            .where(ConcernAccess.concern_id == concern_id)
        )
    assert after == (before or 0) + 1
    csrf = form_token(detail.text)
    took = client.post(f"/dienststelle/anliegen/{concern_id}/take", data={"csrf": csrf})
    assert took.status_code == 200 and "in Bearbeitung" in took.text
    answered = client.post(
        f"/dienststelle/anliegen/{concern_id}/answer",
        data={"csrf": csrf, "text": "Ich habe angerufen: etwa zwei Wochen.", "via": "phone"},
    )
    assert answered.status_code == 200 and "beantwortet" in answered.text
    again = client.post(
        f"/dienststelle/anliegen/{concern_id}/answer",
        data={"csrf": csrf, "text": "Noch einmal", "via": "phone"},
    )
    assert again.status_code == 409 and "schon beantwortet" in again.text


def test_returned_concerns_reach_the_supervisor_who_forwards_them_again(
    client: TestClient, settings: Settings
) -> None:
    logged_in(client, "p-agent")
    concern_id, _ = forward_from_desk(client)
    client.cookies.clear()
    logged_in(client, "p-zul")
    csrf = form_token(client.get(f"/dienststelle/anliegen/{concern_id}").text)
    client.post(
        f"/dienststelle/anliegen/{concern_id}/return",
        data={"csrf": csrf, "text": "Das macht die Stadt Kassel."},
    )
    client.cookies.clear()
    logged_in(client, "p-super")
    # Overdue concerns first; the returned ones are the other list.
    row_pick = f'name="concern" value="{concern_id}"'
    assert row_pick not in client.get("/admin/anliegen").text
    overview = client.get("/admin/anliegen", params={"ansicht": "zurueckgegeben"})
    assert overview.status_code == 200 and row_pick in overview.text
    assert "Zurückgegeben (1)" in overview.text
    # One office list for the page (not one per row), the row chosen by a radio button.
    assert overview.text.count('id="reforward-to"') == 1
    assert f'name="concern" value="{concern_id}"' in overview.text
    csrf = form_token(overview.text)
    for bad in ("", "abc", "9" * 30):
        refused = client.post(
            "/admin/anliegen/weiterleiten",
            data={"csrf": csrf, "concern": bad, "authority": "kassel-zulassung"},
        )
        assert refused.status_code == 422 and "Anliegen aus der Liste" in refused.text
    moved = client.post(
        "/admin/anliegen/weiterleiten",
        data={"csrf": csrf, "concern": str(concern_id), "authority": "kassel-zulassung"},
    )
    assert moved.status_code == 200 and "Erneut weitergeleitet" in moved.text
    with uow_of(settings) as uow:
        row = uow.session.get(Concern, concern_id)
        assert row is not None and row.authority_id == "kassel-zulassung"
        assert row.status == "forwarded"
    client.cookies.clear()
    logged_in(client, "p-zul")
    assert client.get(f"/dienststelle/anliegen/{concern_id}").status_code == 404


def test_the_agent_sees_no_supervisor_list(client: TestClient) -> None:
    logged_in(client, "p-agent")
    assert client.get("/admin/anliegen").status_code == 403


def solve(client: TestClient) -> str:
    task = client.get("/kontakt/pruefung").json()
    solution = altcha.solve_challenge_v1(
        task["challenge"], task["salt"], task["algorithm"], task["maxnumber"]
    )
    assert solution is not None
    payload = {
        "algorithm": task["algorithm"],
        "challenge": task["challenge"],
        "number": solution.number,
        "salt": task["salt"],
        "signature": task["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def portal_form(**changes: str) -> dict[str, str]:
    return {
        "question": "Wann wird der Sperrmüll in der Holländischen Straße abgeholt?",
        "name": "Erika Muster",
        "email": "erika@example.org",
        "preferred": "email",
        "consent": "ja",
        "leistung": "",
        "gemeinde": "kassel",
    } | changes


def test_a_citizen_sends_a_concern_with_proof_of_work_and_follows_it(
    client: TestClient, settings: Settings
) -> None:
    page = client.get("/kontakt", params={"leistung": "sperrmuell", "gemeinde": "baunatal"})
    assert page.status_code == 200 and page.text.count('id="concern-form"') == 1
    assert "<title>Kontakt –" in page.text
    asked = client.get("/kontakt", params={"frage": "Wann hat der Tierpark geöffnet?"})
    assert ">Wann hat der Tierpark geöffnet?</textarea>" in asked.text
    service_page = client.get("/leistungen/abfuhrtermine", params={"gemeinde": "baunatal"})
    assert "/kontakt?leistung=abfuhrtermine&amp;gemeinde=baunatal#anliegen" in service_page.text
    unknown = client.get("/suche", params={"q": "Quxblorf Zwiebelturm"})
    assert "/kontakt?frage=" in unknown.text
    assert "Sperrmüll" in page.text and re.search(r'<option value="baunatal" selected', page.text)
    proof = solve(client)
    sent = client.post("/kontakt", data=portal_form(altcha=proof), follow_redirects=False)
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    assert location.startswith("/anliegen/") and location.endswith("?neu=1")
    tracking = client.get(location)
    assert tracking.status_code == 200
    assert "Erika" not in tracking.text and "Holländischen" not in tracking.text
    assert "Uhr" in tracking.text and "weitergeleitet" in tracking.text
    # The same proof counts once; none at all counts not.
    again = client.post("/kontakt", data=portal_form(altcha=proof))
    assert again.status_code == 422 and "Sicherheitsprüfung" in again.text
    assert client.post("/kontakt", data=portal_form(altcha="")).status_code == 422
    forged = base64.b64encode(b'{"number": 1, "signature": "x"}').decode()
    assert client.post("/kontakt", data=portal_form(altcha=forged)).status_code == 422
    refused = client.post("/kontakt", data=portal_form(altcha=solve(client), consent=""))
    assert refused.status_code == 422 and 'value="Erika Muster"' in refused.text
    assert client.get("/anliegen/ABCDE-FGHJK-MNPQ").status_code == 404


def test_the_citizen_settles_or_reopens_an_answer(client: TestClient, settings: Settings) -> None:
    policy = concerns.Policy.from_settings(settings)
    now = datetime.now(UTC)
    codes = []
    for _ in range(2):
        with uow_of(settings) as uow:
            row = concerns.create(
                uow,
                _jurisdiction(uow),
                policy,
                concerns.NewConcern(
                    question="Frage",
                    channel="web",
                    citizen=Citizen(name="A", email="a@example.org"),
                    consent=True,
                    authority_id="lk-kassel-zulassung",
                ),
                login=None,
                now=now,
            )
            row.status = "answered"
            row.answered_at = now
            uow.commit()
            codes.append(concerns.track(uow, row.tracking_code, now=now)["tracking_code"])
    page = client.get(f"/anliegen/{codes[0]}")
    assert "erledigt" in page.text
    client.post(f"/anliegen/{codes[0]}/bewertung", data={"verdict": "ja"})
    client.post(f"/anliegen/{codes[1]}/bewertung", data={"verdict": "nein"})
    with uow_of(settings) as uow:
        first = concerns.find_by_code(uow, codes[0])
        second = concerns.find_by_code(uow, codes[1])
        assert first.status == "closed" and first.verdict == "ja"
        assert second.status == "in_progress" and second.reopened == 1 and second.due_at
    assert client.post(f"/anliegen/{codes[0]}/bewertung", data={"verdict": "ja"}).status_code == 409
    assert (
        client.post(f"/anliegen/{codes[1]}/bewertung", data={"verdict": "vielleicht"}).status_code
        == 422
    )


def test_an_office_without_an_account_answers_by_its_single_use_link(
    client: TestClient, settings: Settings, smtp: tuple[Inbox, int]
) -> None:
    smtp[0].messages.clear()
    logged_in(client, "p-agent")
    concern_id, _ = forward_from_desk(
        client, authority="kassel-ordnungsamt", email="max@example.org", preferred="email"
    )
    engine = get_engine(settings.database_url)
    # The worker sends the citizen's confirmation and the office's mail with its link.
    run_due(engine, settings, now=datetime.now(UTC) + timedelta(seconds=1))
    office_mails = [m for m in smtp[0].messages if m["To"] == "ordnungsamt@kassel.de"]
    assert len(office_mails) == 1
    office_mail = office_mails[0].get_content()
    assert "Max Muster" in office_mail and "Uhr" in office_mail
    link = re.search(
        r"https://auskunft\.kassel\.example(/anliegen/antwort/\d+\?token=\S+)", office_mail
    )
    assert link is not None
    path = link.group(1)
    token = path.split("token=")[1]
    confirmation = next(m for m in smtp[0].messages if m["To"] == "max@example.org")
    assert "weitergeleitet" in confirmation["Subject"]
    assert "Uhr" in confirmation.get_content() and "/anliegen/" in confirmation.get_content()
    client.cookies.clear()
    forged = path[:-2] + ("xx" if not path.endswith("xx") else "yy")
    assert client.get(forged).status_code == 404
    page = client.get(path)
    assert page.status_code == 200 and "Max Muster" in page.text
    done = client.post(
        f"/anliegen/antwort/{concern_id}",
        data={
            "token": token,
            "text": "Der Antrag ist eingegangen.",
            "via": "email",
            "name": "Frau Ordnung",
        },
    )
    assert done.status_code == 200 and 'id="office-done"' in done.text
    reused = client.post(
        f"/anliegen/antwort/{concern_id}",
        data={"token": token, "text": "Noch einmal", "via": "email"},
    )
    assert reused.status_code == 404
    assert client.get(path).status_code == 404
    smtp[0].messages.clear()
    run_due(engine, settings, now=datetime.now(UTC) + timedelta(seconds=2))
    answer = next(m for m in smtp[0].messages if m["To"] == "max@example.org")
    assert "Antwort" in answer["Subject"] and "Der Antrag ist eingegangen." in answer.get_content()
    with uow_of(settings) as uow:
        row = uow.session.get(Concern, concern_id)
        assert row is not None and row.status == "answered" and row.link_nonce is None


def test_escalation_reminds_once_in_service_time_only(settings: Settings) -> None:
    policy = concerns.Policy.from_settings(settings)
    received = datetime(2027, 3, 1, 8, 0, tzinfo=BERLIN)  # Monday
    engine_url = settings.database_url
    with UnitOfWork(get_engine(engine_url)) as uow:
        jurisdiction = _jurisdiction(uow)
        row = concerns.create(
            uow,
            jurisdiction,
            policy,
            concerns.NewConcern(
                question="Frage",
                channel="115",
                citizen=Citizen(name="A", phone="0561 12345", preferred="phone"),
                consent=True,
                authority_id="kassel-standesamt",
            ),
            login=None,
            now=received,
        )
        uow.commit()
        concern_id = row.id
        assert row.remind_at is not None and row.due_at is not None
        remind_at, due_at = row.remind_at, row.due_at
    # 24 h of service time from Monday 8:00: Monday 10 h, Tuesday 11 h, Wednesday 3 h.
    assert due_at.astimezone(BERLIN) == datetime(2027, 3, 3, 10, 0, tzinfo=BERLIN)
    # The reminder at 75 %: 18 h of service time, Monday 10 h and Tuesday 7:00-15:00.
    assert remind_at.astimezone(BERLIN) == datetime(2027, 3, 2, 15, 0, tzinfo=BERLIN)

    def steps(kind: str) -> int:
        with UnitOfWork(get_engine(engine_url)) as uow:
            return int(
                uow.session.scalar(
                    select(func.count())
                    .select_from(ConcernStep)
                    .where(ConcernStep.concern_id == concern_id, ConcernStep.kind == kind)
                )
                or 0
            )

    night = datetime(2027, 3, 2, 23, 0, tzinfo=BERLIN)
    out = cli(engine_url, "concerns", "escalate", "--now", night.isoformat())
    assert out.returncode == 0 and "Außerhalb der Servicezeit" in out.stdout
    assert steps("reminded") == 0
    morning = datetime(2027, 3, 3, 7, 0, tzinfo=BERLIN)
    for _ in range(2):
        out = cli(engine_url, "concerns", "escalate", "--now", morning.isoformat())
        assert out.returncode == 0, out.stderr
    assert steps("reminded") == 1 and steps("overdue") == 0
    sunday_after_due = datetime(2027, 3, 7, 12, 0, tzinfo=BERLIN)
    cli(engine_url, "concerns", "escalate", "--now", sunday_after_due.isoformat())
    assert steps("overdue") == 0
    later = datetime(2027, 3, 3, 10, 1, tzinfo=BERLIN)
    for _ in range(3):
        cli(engine_url, "concerns", "escalate", "--now", later.isoformat())
    assert steps("overdue") == 1
    with UnitOfWork(get_engine(engine_url)) as uow:
        kinds = list(
            uow.session.scalars(
                select(Job.kind).where(Job.kind.in_(["concern.reminder", "concern.overdue"]))
            )
        )
    assert kinds.count("concern.overdue") >= 1
    bad = cli(engine_url, "concerns", "escalate", "--now", "gestern")
    assert bad.returncode != 0 and "ISO" in bad.stderr


def _jurisdiction(uow: UnitOfWork) -> Jurisdiction:
    return Jurisdiction.build(catalog.areas(uow), catalog.authorities(uow))


def test_personal_data_is_deleted_after_the_retention(settings: Settings) -> None:
    policy = concerns.Policy.from_settings(settings)
    long_ago = datetime.now(UTC) - timedelta(days=120)
    with uow_of(settings) as uow:
        row = concerns.create(
            uow,
            _jurisdiction(uow),
            policy,
            concerns.NewConcern(
                question="Meine Frage mit Details",
                channel="115",
                citizen=Citizen(name="Zu Löschen", phone="0561 99999", preferred="phone"),
                consent=True,
            ),
            login=None,
            now=datetime.now(UTC),
        )
        row.status = "closed"
        row.closed_at = long_ago
        uow.commit()
        concern_id = row.id
    out = cli(settings.database_url, "concerns", "purge")
    assert out.returncode == 0, out.stderr
    with uow_of(settings) as uow:
        row = uow.session.get(Concern, concern_id)
        assert row is not None
        assert row.citizen_name == "" and row.question == "" and row.citizen_phone == ""
        assert row.purged_at is not None and row.authority_id and row.received_at
        texts = list(
            uow.session.scalars(
                select(ConcernStep.text).where(ConcernStep.concern_id == concern_id)
            )
        )
        assert all(t == "" for t in texts)
