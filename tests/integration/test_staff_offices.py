"""Staff accounts belong to authorities (Behörden) and network participants, on both stores:
creating them, refusing unknown offices, the login that knows its offices, the demo clerk,
and `auskunft user create --authority/--participant`."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from auskunft.access import tables as t
from auskunft.access.service import (
    LoginPolicy,
    Offices,
    authenticate,
    create_user,
    ensure_demo_accounts,
    list_users,
    offices_of,
    resolve_session,
    start_session,
)
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from tests.web.test_cli import cli

PASSWORD = "correct horse battery staple"
KASSEL = "kassel-buergerbuero"
LICENCE = "kassel-fahrerlaubnis"
PARTNER = "stadtreiniger-kassel"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def uow_factory(module_url: str) -> Any:
    return lambda: UnitOfWork(get_engine(module_url))


def add_user(uow_factory: Any, username: str, role: str = "clerk", **offices: Any) -> int:
    with uow_factory() as uow:
        user = create_user(uow, username, role, PASSWORD, NOW, offices=catalog_reads, **offices)
        uow.commit()
        return user.id


def count(uow: UnitOfWork, table: Any) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def test_it_puts_a_new_account_into_its_offices(uow_factory: Any) -> None:
    add_user(uow_factory, "sb-kassel", authorities=[KASSEL, LICENCE, KASSEL])
    add_user(uow_factory, "partnerin", "editor", participants=[PARTNER])
    add_user(uow_factory, "beides", authorities=[LICENCE], participants=[PARTNER])
    with uow_factory() as uow:
        assert offices_of(uow, "sb-kassel") == Offices(frozenset({KASSEL, LICENCE}), frozenset())
        assert offices_of(uow, "partnerin") == Offices(frozenset(), frozenset({PARTNER}))
        assert offices_of(uow, "beides") == Offices(frozenset({LICENCE}), frozenset({PARTNER}))


def test_an_account_without_offices_has_none(uow_factory: Any) -> None:
    add_user(uow_factory, "ohne-amt", "agent")
    with uow_factory() as uow:
        assert offices_of(uow, "ohne-amt") == Offices()


def test_it_refuses_an_unknown_authority(uow_factory: Any) -> None:
    with uow_factory() as uow:
        before = count(uow, t.StaffAuthority)
        with pytest.raises(InvalidInput) as refused:
            create_user(
                uow,
                "falsches-amt",
                "clerk",
                PASSWORD,
                NOW,
                authorities=[KASSEL, "atlantis-amt"],
                offices=catalog_reads,
            )
        assert refused.value.message == "Die Behörde „atlantis-amt“ gibt es im Katalog nicht."
        assert refused.value.message_en == "There is no authority 'atlantis-amt' in the catalog."
        uow.commit()  # even a caller that commits anyway stores nothing
    with uow_factory() as uow:
        assert (
            uow.session.scalars(
                select(t.StaffUser).where(t.StaffUser.username == "falsches-amt")
            ).all()
            == []
        )
        assert count(uow, t.StaffAuthority) == before


def test_it_names_every_unknown_authority_at_once(uow_factory: Any) -> None:
    with uow_factory() as uow, pytest.raises(InvalidInput) as refused:
        create_user(
            uow,
            "zwei-fehler",
            "clerk",
            PASSWORD,
            NOW,
            authorities=["nix", "nada"],
            offices=catalog_reads,
        )
    assert refused.value.message == "Diese Behörden gibt es im Katalog nicht: „nix“, „nada“."


def test_it_refuses_an_unknown_participant(uow_factory: Any) -> None:
    with uow_factory() as uow:
        before = count(uow, t.StaffParticipant)
        with pytest.raises(InvalidInput) as refused:
            create_user(
                uow,
                "falscher-partner",
                "editor",
                PASSWORD,
                NOW,
                participants=["atlantis"],
                offices=catalog_reads,
            )
        assert "Verbundteilnehmer „atlantis“" in refused.value.message
        assert refused.value.message_en == (
            "There is no network participant 'atlantis' in the catalog."
        )
        uow.commit()
    with uow_factory() as uow:
        assert (
            uow.session.scalars(
                select(t.StaffUser).where(t.StaffUser.username == "falscher-partner")
            ).all()
            == []
        )
        assert count(uow, t.StaffParticipant) == before


def test_it_needs_the_catalog_to_check_offices(uow_factory: Any) -> None:
    with uow_factory() as uow, pytest.raises(TypeError):
        create_user(uow, "ohne-katalog", "clerk", PASSWORD, NOW, authorities=[KASSEL])


def test_the_login_knows_its_offices(uow_factory: Any) -> None:
    add_user(uow_factory, "sb-login", authorities=[KASSEL], participants=[PARTNER])
    policy = LoginPolicy()
    now = datetime.now(UTC)
    with uow_factory() as uow:
        user = authenticate(uow, "sb-login", PASSWORD, policy, now)
        token, started = start_session(uow, user, policy, now)
        uow.commit()
    with uow_factory() as uow:
        resolved = resolve_session(uow, token, policy, now)
        uow.commit()
    for login in (started, resolved):
        assert login is not None
        assert login.username == "sb-login" and login.role == "clerk"
        assert login.authorities == frozenset({KASSEL})
        assert login.participants == frozenset({PARTNER})
        assert login.sees(authority=KASSEL) and login.sees(participant=PARTNER)
        assert not login.sees(authority=LICENCE)


def test_a_login_without_offices_sees_no_office(uow_factory: Any) -> None:
    add_user(uow_factory, "sb-nirgends")
    policy = LoginPolicy()
    now = datetime.now(UTC)
    with uow_factory() as uow:
        user = authenticate(uow, "sb-nirgends", PASSWORD, policy, now)
        _, login = start_session(uow, user, policy, now)
        uow.commit()
    assert login.authorities == frozenset() and login.participants == frozenset()
    assert not login.sees(authority=KASSEL)


def test_the_users_list_shows_the_offices(uow_factory: Any) -> None:
    add_user(uow_factory, "sb-liste", authorities=[LICENCE])
    with uow_factory() as uow:
        accounts = {a.username: a for a in list_users(uow, NOW)}
    assert accounts["sb-liste"].authorities == frozenset({LICENCE})
    assert accounts["sb-liste"].participants == frozenset()
    assert accounts["sb-liste"].role == "clerk" and not accounts["sb-liste"].locked
    assert list(accounts) == sorted(accounts)


def test_a_deleted_account_takes_its_memberships_along(uow_factory: Any) -> None:
    user_id = add_user(uow_factory, "sb-weg", authorities=[KASSEL], participants=[PARTNER])
    with uow_factory() as uow:
        uow.session.execute(delete(t.StaffUser).where(t.StaffUser.id == user_id))
        uow.commit()
    with uow_factory() as uow:
        for table in (t.StaffAuthority, t.StaffParticipant):
            rows = uow.session.scalars(select(table).where(table.user_id == user_id)).all()
            assert rows == []


def test_the_demo_clerk_works_at_the_kassel_buergerbuero(fresh_url: str) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        created = ensure_demo_accounts(uow, NOW, offices=catalog_reads)
        uow.commit()
    assert [role for _, role, _ in created] == [
        "agent",
        "clerk",
        "editor",
        "supervisor",
        "admin",
        "dpo",
    ]
    with UnitOfWork(get_engine(fresh_url)) as uow:
        offices = {a.username: a.authorities for a in list_users(uow, NOW)}
    assert offices["demo-clerk"] == frozenset({KASSEL})
    assert all(not found for name, found in offices.items() if name != "demo-clerk")


def test_an_older_demo_clerk_is_put_into_the_buergerbuero(fresh_url: str) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        ensure_demo_accounts(uow, NOW)  # as before accounts had offices
        uow.commit()
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert offices_of(uow, "demo-clerk") == Offices()
        assert ensure_demo_accounts(uow, NOW, offices=catalog_reads) == []
        uow.commit()
    with UnitOfWork(get_engine(fresh_url)) as uow:
        assert offices_of(uow, "demo-clerk") == Offices(frozenset({KASSEL}), frozenset())
        assert ensure_demo_accounts(uow, NOW, offices=catalog_reads) == []  # and only once
        uow.commit()
        assert offices_of(uow, "demo-clerk") == Offices(frozenset({KASSEL}), frozenset())


def test_the_cli_creates_a_clerk_of_an_authority(module_url: str) -> None:
    made = cli(
        module_url,
        "user",
        "create",
        "sb-cli",
        "--role",
        "clerk",
        "--authority",
        KASSEL,
        "--authority",
        LICENCE,
        "--participant",
        PARTNER,
        "--generate",
    )
    assert made.returncode == 0, made.stderr
    assert "Benutzer sb-cli (clerk) angelegt." in made.stdout
    assert f"Dienststellen: Behörden: {KASSEL}, {LICENCE}; Verbundteilnehmer: {PARTNER}" in (
        made.stdout
    )
    assert re.search(r"^Passwort \(wird nur jetzt angezeigt\): \S{16}$", made.stdout, re.M)
    listed = cli(module_url, "user", "list")
    assert re.search(rf"^sb-cli\s+clerk\s+Behörden: {KASSEL}, {LICENCE};", listed.stdout, re.M)
    with UnitOfWork(get_engine(module_url)) as uow:
        assert offices_of(uow, "sb-cli") == Offices(
            frozenset({KASSEL, LICENCE}), frozenset({PARTNER})
        )


def test_the_cli_asks_for_the_password_of_a_clerk_of_an_authority(module_url: str) -> None:
    typed = cli(
        module_url,
        "user",
        "create",
        "sb-tippt",
        "--role",
        "clerk",
        "--authority",
        KASSEL,
        stdin="long enough secret\nlong enough secret\n",
    )
    assert typed.returncode == 0, typed.stderr
    assert "Benutzer sb-tippt (clerk) angelegt." in typed.stdout
    assert "Passwort (wird nur jetzt angezeigt)" not in typed.stdout


def test_the_cli_refuses_an_unknown_authority_before_asking_for_a_password(
    module_url: str,
) -> None:
    refused = cli(
        module_url,
        "user",
        "create",
        "sb-atlantis",
        "--role",
        "clerk",
        "--authority",
        "atlantis-amt",
    )
    assert refused.returncode == 2
    assert "Fehler: Die Behörde „atlantis-amt“ gibt es im Katalog nicht." in refused.stderr
    assert "Passwort" not in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
    assert "sb-atlantis" not in cli(module_url, "user", "list").stdout


def test_the_cli_warns_about_a_clerk_without_an_office(module_url: str) -> None:
    made = cli(module_url, "user", "create", "sb-allein", "--role", "clerk", "--generate")
    assert made.returncode == 0, made.stderr
    assert "keiner Behörde" in made.stderr
