"""Editors keep the authorities right (issue 15): addresses, opening hours, closure days,
phone, e-mail and the concern inbox, on the page and in the JSON API, with the partner
rule, the audit log, conflicts and bad input; on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.hours import BERLIN
from auskunft.forwarding import mails
from tests.web.test_staff_login import PASSWORD, form_token, login

TOKENS: dict[str, str] = {}
OFFICE = "kassel-buergerbuero"
PARTNER_OFFICE = "baunatal-buergerbuero"


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        for name, role, participants in (
            ("of-anna", "editor", ()),
            ("of-ben", "editor", ()),
            ("of-baunatal", "editor", ("stadt-baunatal",)),
            ("of-agent", "agent", ()),
        ):
            create_user(uow, name, role, PASSWORD, now, participants=participants, offices=catalog)
            TOKENS[name] = create_api_token(uow, f"{name}-t", now, username=name)
        uow.commit()
    with TestClient(create_app(Settings(database_url=module_url))) as c:
        yield c


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def record(client: TestClient, who: str, office: str = OFFICE) -> dict:
    r = client.get(f"/api/v1/authorities/{office}/record", headers=as_(who))
    assert r.status_code == 200, r.text
    return r.json()


def put(client: TestClient, who: str, body: dict, office: str = OFFICE):
    return client.put(f"/api/v1/authorities/{office}/record", json=body, headers=as_(who))


def today() -> datetime:
    return datetime.now(BERLIN)


def test_an_editor_changes_hours_closures_and_the_inbox(
    client: TestClient, module_url: str
) -> None:
    before = record(client, "of-anna")
    assert before["kinds"] and before["participant"] == "stadt-kassel"
    body = copy.deepcopy(before)
    day = today().date()
    body["phone"] = "0561 787-1234"
    body["opening_hours"] = {"mo": ["08:00-12:00", "13:00-16:00"], "sa": ["09:00-12:00"]}
    body["closures"] = [
        {"day": day.isoformat(), "reason": "Betriebsausflug"},
        {"day": (day + timedelta(days=400)).isoformat(), "reason": "Umzug"},
        {"day": (day - timedelta(days=90)).isoformat(), "reason": "längst vorbei"},
    ]
    body["concern_email"] = "anliegen-buergerbuero@kassel.de"
    r = put(client, "of-anna", body)
    assert r.status_code == 200, r.text
    saved = r.json()
    assert saved["version"] == before["version"] + 1
    assert saved["phone"] == "0561 787-1234"
    assert saved["opening_hours"] == {"mo": ["08:00-12:00", "13:00-16:00"], "sa": ["09:00-12:00"]}
    # Days long past drop out; the rest is kept in order.
    assert [c["reason"] for c in saved["closures"]] == ["Betriebsausflug", "Umzug"]
    # Forwarded concerns go to the inbox now.
    with UnitOfWork(get_engine(module_url)) as uow:
        assert mails._office_address(uow, OFFICE) == "anliegen-buergerbuero@kassel.de"
        # Recorded in the audit log: who changed which fields.
        entry = uow.session.execute(
            text(
                "select actor, detail from audit_entries where action = 'office.changed' "
                "and object_id = :id order by id desc"
            ),
            {"id": OFFICE},
        ).first()
    assert entry is not None and entry.actor == "of-anna"
    assert "opening_hours" in entry.detail and "closures" in entry.detail
    # The portal and the desk show it at once: closed today, with the reason.
    page = client.get("/leistungen/personalausweis-beantragen", params={"gemeinde": "kassel"})
    assert page.status_code == 200
    assert "0561 787-1234" in page.text
    assert "Betriebsausflug" in page.text
    listing = client.get("/api/v1/editorial/offices", params={"q": "kassel"}, headers=as_("of-ben"))
    mine = next(o for o in listing.json() if o["id"] == OFFICE)
    assert mine["concern_inbox"] == "anliegen-buergerbuero@kassel.de"
    assert mine["next_closure"]["reason"] == "Betriebsausflug"


def test_the_second_save_on_an_old_version_gets_both_sides(client: TestClient) -> None:
    first = record(client, "of-anna", "kassel-standesamt")
    second = copy.deepcopy(first)
    first["phone"] = "0561 111"
    assert put(client, "of-anna", first, "kassel-standesamt").status_code == 200
    second["phone"] = "0561 222"
    r = put(client, "of-ben", second, "kassel-standesamt")
    assert r.status_code == 409
    details = r.json()["error"]["details"]
    assert details["fields"]["phone"] == {"yours": "0561 222", "current": "0561 111"}
    assert record(client, "of-ben", "kassel-standesamt")["phone"] == "0561 111"


def test_a_partner_editor_keeps_only_their_own_authorities(client: TestClient) -> None:
    listed = client.get("/api/v1/editorial/offices", headers=as_("of-baunatal")).json()
    assert listed and {o["participant"] for o in listed} == {"stadt-baunatal"}
    own = record(client, "of-baunatal", PARTNER_OFFICE)
    own["note"] = "Bitte Wartemarke ziehen."
    assert put(client, "of-baunatal", own, PARTNER_OFFICE).status_code == 200
    assert (
        client.get(f"/api/v1/authorities/{OFFICE}/record", headers=as_("of-baunatal")).status_code
        == 404
    )
    kassel = record(client, "of-anna")
    assert put(client, "of-baunatal", kassel).status_code == 404
    # Agents do not edit the catalog.
    assert client.get("/api/v1/editorial/offices", headers=as_("of-agent")).status_code == 403


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("postcode", "3411", "postcode"),
        ("email", "nicht-eine-adresse", "email"),
        ("concern_email", "a@b", "concern_email"),
        ("web", "javascript:alert(1)", "web"),
        ("phone", "ruf mich an", "phone"),
        ("opening_hours", {"mo": ["18:00-08:00"]}, "opening_hours"),
        ("opening_hours", {"xx": ["08:00-12:00"]}, "opening_hours"),
        ("opening_hours", {"mo": ["08:00-12:00", "11:00-13:00"]}, "opening_hours.mo"),
        ("closures", [{"day": "31.02.2026", "reason": ""}], "closures"),
        ("closures", [{"day": "2099-01-01", "reason": ""}], "closures[1]"),
        ("name", "", "name"),
        ("note", "x" * 1_000_000, "note"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    client: TestClient, field: str, value: object, named: str
) -> None:
    body = record(client, "of-anna", "kassel-zulassung")
    body[field] = value
    r = put(client, "of-anna", body, "kassel-zulassung")
    assert r.status_code == 422, r.text
    assert r.json()["error"]["message"].startswith(named) or named in r.text
    assert record(client, "of-anna", "kassel-zulassung")["version"] == body["version"]


def test_markup_in_the_note_is_removed(client: TestClient) -> None:
    body = record(client, "of-anna", "kassel-wahlamt")
    body["note"] = 'Eingang B <script>alert(1)</script><img src=x onerror="alert(2)">'
    r = put(client, "of-anna", body, "kassel-wahlamt")
    assert r.status_code == 200
    assert "<script" not in r.json()["note"] and "onerror" not in r.json()["note"]
    assert r.json()["note"].startswith("Eingang B")


def test_the_page_lists_edits_and_keeps_input_on_error(client: TestClient) -> None:
    client.cookies.clear()
    login(client, "of-ben")
    listing = client.get("/redaktion/stellen")
    assert listing.status_code == 200 and "Bürgerbüro" in listing.text
    page = client.get("/redaktion/stellen/kassel-ordnungsamt")
    assert page.status_code == 200
    token = form_token(page.text)
    version = record(client, "of-ben", "kassel-ordnungsamt")["version"]
    day = (today().date() + timedelta(days=3)).strftime("%d.%m.%Y")
    form = {
        "csrf": token, "version": str(version), "name": "Ordnungsamt Kassel",
        "street": "Obere Königsstraße 8", "postcode": "34117", "city": "Kassel",
        "phone": "0561 787-0", "email": "ordnungsamt@kassel.de", "concern_email": "",
        "web": "", "note": "", "hours_mo": "08:00-12:00, 13:00-15:30", "hours_fr": "08:00-12:00",
        "closures": f"{day} Personalversammlung",
    }  # fmt: skip
    saved = client.post("/redaktion/stellen/kassel-ordnungsamt", data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    shown = client.get(saved.headers["location"])
    assert "Personalversammlung" in shown.text and "13:00-15:30" in shown.text
    stored = record(client, "of-ben", "kassel-ordnungsamt")
    assert stored["opening_hours"]["mo"] == ["08:00-12:00", "13:00-15:30"]
    # A bad time: 422, the editor's input stays in the form.
    bad = client.post(
        "/redaktion/stellen/kassel-ordnungsamt",
        data={**form, "version": str(stored["version"]), "hours_tu": "acht bis zwölf"},
    )
    assert bad.status_code == 422
    assert "acht bis zwölf" in bad.text and "SS:MM" in bad.text
    client.cookies.clear()
