"""The audit log (issue 13): every staff view of personal data and every change is an
entry, the entries form a hash chain that `auskunft audit verify` checks, concurrent
appends keep one chain, retention cuts the chain checkably, and supervisors read and
export it. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from auskunft.access.service import create_api_token, create_user
from auskunft.access.tables import StaffSession
from auskunft.app import create_app
from auskunft.audit import service as audit
from auskunft.audit.tables import AuditEntry
from auskunft.catalog.service import reads as catalog
from auskunft.core.audit import StaffActed, staff_acted
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.principal import Login
from tests.web.test_cli import cli
from tests.web.test_concern_pages import forward_from_desk
from tests.web.test_staff_login import PASSWORD, form_token, login

NOW = datetime.now(UTC)


def act(url: str, n: int, who: str = "tester", action: str = "concern.viewed") -> None:
    with UnitOfWork(get_engine(url)) as uow:
        staff_acted(uow, Login(1, who, "supervisor", "x"), action, "concern", n, f"entry {n}")
        uow.commit()


def count(url: str) -> int:
    with UnitOfWork(get_engine(url)) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def verified(url: str) -> audit.Verification:
    with UnitOfWork(get_engine(url)) as uow:
        return audit.verify(uow)


def test_the_chain_holds_and_shows_where_it_was_tampered_with(fresh_url: str) -> None:
    for n in range(6):
        act(fresh_url, n)
    good = verified(fresh_url)
    assert good.ok and good.checked == 6 and len(good.head) == 64
    assert cli(fresh_url, "audit", "verify").returncode == 0
    with UnitOfWork(get_engine(fresh_url)) as uow:
        ids = uow.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
        # A changed detail ...
        uow.session.execute(
            update(AuditEntry).where(AuditEntry.id == ids[2]).values(detail="nothing happened")
        )
        uow.commit()
    broken = verified(fresh_url)
    assert not broken.ok and broken.first_broken == ids[2] and broken.checked == 2
    out = cli(fresh_url, "audit", "verify")
    assert out.returncode == 1 and f"Eintrag {ids[2]}" in out.stderr


def test_a_removed_entry_breaks_the_chain_after_it(fresh_url: str) -> None:
    for n in range(4):
        act(fresh_url, n)
    with UnitOfWork(get_engine(fresh_url)) as uow:
        ids = uow.session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
        uow.session.query(AuditEntry).filter(AuditEntry.id == ids[1]).delete()
        uow.commit()
    result = verified(fresh_url)
    assert not result.ok and result.first_broken == ids[2] and result.reason == "prev_hash"


def test_concurrent_appends_keep_one_chain(fresh_url: str) -> None:
    errors: list[BaseException] = []

    def many(worker: int) -> None:
        try:
            for n in range(15):
                act(fresh_url, worker * 100 + n, who=f"w{worker}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=many, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors[:2]
    assert count(fresh_url) == 120
    result = verified(fresh_url)
    assert result.ok and result.checked == 120


def test_retention_cuts_the_chain_checkably(fresh_url: str) -> None:
    engine = get_engine(fresh_url)
    for n, days_ago in enumerate((800, 760, 731, 10, 1)):
        with UnitOfWork(engine) as uow:
            audit.append(
                uow,
                StaffActed("concern.viewed", "concern", str(n), 1, "old", f"n{n}"),
                NOW - timedelta(days=days_ago),
            )
            uow.commit()
    with UnitOfWork(engine) as uow:
        assert audit.prune(uow, 730, NOW) == 3
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert audit.prune(uow, 730, NOW) == 0  # nothing more is due
        actions = uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["concern.viewed", "concern.viewed", "audit.pruned"]
    assert verified(fresh_url).ok
    # Without the record of the cut, the start of the chain is unexplained.
    with UnitOfWork(engine) as uow:
        uow.session.query(AuditEntry).filter(AuditEntry.action == "audit.pruned").delete()
        uow.commit()
    assert verified(fresh_url).reason == "start"


@pytest.fixture(scope="module")
def app_settings(module_url: str) -> Settings:
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "a-agent", "agent", PASSWORD, NOW)
        create_user(uow, "a-super", "supervisor", PASSWORD, NOW)
        create_user(
            uow,
            "a-zul",
            "clerk",
            PASSWORD,
            NOW,
            authorities=["lk-kassel-zulassung"],
            offices=catalog,
        )
        uow.commit()
    return Settings(database_url=module_url, worker="off", rate_limits="off", secret_key="s" * 40)


@pytest.fixture()
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), client=("10.20.30.40", 5000)) as c:
        yield c


def entries(url: str, **where: Any) -> list[audit.Entry]:
    with UnitOfWork(get_engine(url)) as uow:
        query = select(AuditEntry).order_by(AuditEntry.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEntry, key) == value)
        return [audit._entry(row) for row in uow.session.scalars(query)]


def test_staff_views_and_changes_are_recorded_with_who_and_where(
    client: TestClient, module_url: str
) -> None:
    login(client, "a-agent")
    concern_id, _ = forward_from_desk(client)
    client.cookies.clear()
    login(client, "a-zul")
    assert client.get(f"/dienststelle/anliegen/{concern_id}").status_code == 200
    page = client.get(f"/dienststelle/anliegen/{concern_id}")
    client.post(f"/dienststelle/anliegen/{concern_id}/take", data={"csrf": form_token(page.text)})
    found = entries(module_url, object_type="concern", object_id=str(concern_id))
    kinds = [(e.actor, e.action) for e in found]
    assert ("a-agent", "concern.forwarded") in kinds
    assert ("a-zul", "concern.viewed") in kinds
    viewed = next(e for e in found if e.action == "concern.viewed")
    assert viewed.client == "10.20.30.40"
    # No name, telephone or question of the citizen in the log.
    for entry in found:
        assert "Max Muster" not in entry.detail and "0561" not in entry.detail
    assert verified(module_url).ok


def test_supervisors_read_filter_and_export_the_log_and_others_do_not(
    client: TestClient, module_url: str
) -> None:
    act(module_url, 4711, who="=HYPERLINK(evil)")
    login(client, "a-agent")
    assert client.get("/admin/protokoll", follow_redirects=False).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401  # the API wants a token or CSRF
    client.cookies.clear()
    login(client, "a-super")
    page = client.get("/admin/protokoll", params={"objekt": "concern:4711"})
    assert page.status_code == 200 and "Protokoll" in page.text
    assert "4711" in page.text and page.text.count("<tr>") == 2  # the head and one entry
    bad = client.get("/admin/protokoll", params={"von": "9999-12-31"})
    assert bad.status_code == 422
    export = client.get("/admin/protokoll.csv", params={"objekt": "concern:4711"})
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.text.lstrip("\ufeff").splitlines()
    assert lines[0].split(";")[:3] == ["id", "at", "actor"]
    assert "'=HYPERLINK(evil)" in lines[1]  # no formula for the spreadsheet
    exported = entries(module_url, action="audit.exported")
    assert exported and exported[-1].actor == "a-super"
    checked = client.post("/admin/protokoll/pruefen", data={"csrf": form_token(page.text)})
    assert checked.status_code == 200 and "unversehrt" in checked.text


def test_the_api_gives_the_same_with_a_personal_token(client: TestClient, module_url: str) -> None:
    with UnitOfWork(get_engine(module_url)) as uow:
        token = create_api_token(uow, "audit-api", NOW, username="a-super")
        uow.commit()
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.get("/api/v1/audit", params={"limit": 5}, headers=headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] >= 1 and len(body["entries"]) <= 5
    assert set(body["entries"][0]) >= {"id", "at", "actor", "action", "object_type", "hash"}
    result = client.post("/api/v1/audit/verify", headers=headers)
    assert result.status_code == 200 and result.json()["ok"] is True
    assert client.get("/api/v1/audit", params={"limit": 0}, headers=headers).status_code == 422


def test_logins_are_recorded_and_typed_names_nobody_has_only_by_hash(
    client: TestClient, module_url: str
) -> None:
    login(client, "a-agent", "not the password at all")
    login(client, "mein-geheimes-passwort", "whatever it is")
    login(client, "a-agent")
    failed = entries(module_url, action="login.failed")
    assert any(e.object_id == "a-agent" for e in failed)
    assert not any("geheim" in e.object_id or "geheim" in e.actor for e in failed)
    assert any(e.object_id.startswith("name:") for e in failed)
    succeeded = entries(module_url, action="login.succeeded", object_id="a-agent")
    assert succeeded and succeeded[-1].client == "10.20.30.40"


def test_the_data_protection_officer_reads_the_log_and_nothing_of_the_desk(
    module_url: str, app_settings: Settings
) -> None:
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "a-dsb", "dpo", PASSWORD, NOW)
        uow.commit()
    with TestClient(create_app(app_settings)) as c:
        assert login(c, "a-dsb").status_code == 303
        assert c.get("/admin/protokoll").status_code == 200
        assert c.get("/admin/datenschutz").status_code == 200
        assert c.get("/desk", follow_redirects=False).status_code == 403
        assert c.get("/dienststelle/anliegen", follow_redirects=False).status_code == 403


def test_the_role_migration_keeps_every_session_and_office(fresh_url: str) -> None:
    """0019 widens the role check in place: no table is rebuilt, so nothing cascades."""
    from alembic import command

    from auskunft.access.repository import StaffRepository
    from auskunft.access.service import LoginPolicy, authenticate, start_session
    from auskunft.core.db.engine import alembic_config

    engine = get_engine(fresh_url)
    with UnitOfWork(engine) as uow:
        create_user(
            uow, "m-zul", "clerk", PASSWORD, NOW, authorities=["lk-kassel-zulassung"],
            offices=catalog,
        )  # fmt: skip
        create_user(uow, "m-dsb", "dpo", PASSWORD, NOW)
        uow.commit()
    with UnitOfWork(engine) as uow:
        user = authenticate(uow, "m-zul", PASSWORD, LoginPolicy(), NOW)
        start_session(uow, user, LoginPolicy(), NOW)
        uow.commit()
    config = alembic_config(fresh_url)
    command.downgrade(config, "0018")  # the dpo account goes, nothing else
    command.upgrade(config, "head")
    engine.dispose()
    with UnitOfWork(engine) as uow:
        repo = uow.repo(StaffRepository)
        assert repo.user_by_name("m-dsb") is None
        clerk = repo.user_by_name("m-zul")
        assert clerk is not None
        assert repo.offices(clerk.id).authorities == frozenset({"lk-kassel-zulassung"})
        sessions = uow.session.execute(select(func.count()).select_from(StaffSession)).scalar_one()
        assert sessions == 1
        create_user(uow, "m-dsb2", "dpo", PASSWORD, NOW)
        uow.commit()
