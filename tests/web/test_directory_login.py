"""Directory login (issue 13, part 4): staff bound against a real OpenLDAP server that the
tests start with their own people and groups (tests/ldap_server.py), the groups mapped to
roles and offices; local accounts stay."""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from auskunft.access import directory as ldap
from auskunft.access import service as accounts
from auskunft.access import tables as t
from auskunft.access.repository import Offices, StaffRepository
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from tests.ldap_server import (
    GROUPS,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    LdapServer,
    running_slapd,
)
from tests.web.test_staff_login import add_user, form_token, login

KASSEL = "kassel-buergerbuero-rathaus"
HERBORN = "herborn-buergerbuero-rathaus"
WRONG = "Benutzername oder Passwort ist falsch."
DOWN = "Der Verzeichnisdienst ist nicht erreichbar"
# uid -> the groups they start in (each person's password: password(uid))
PEOPLE_GROUPS = {
    "anna.agent": ["servicecenter"],
    "carl.clerk": ["sachbearbeitung", "buergerbuero-kassel"],
    "kim.clerk": ["sachbearbeitung", "buergerbuero-kassel"],
    "max.wechsel": ["servicecenter"],
    "paul.partner": ["redaktion", "stadtreiniger"],
    "nora.nogroup": ["kantine"],
    "olaf.lokal": ["servicecenter"],
    "tom.throttle": ["servicecenter"],
    "gina.geht": ["redaktion"],
}
SERVICE_CENTER = ["anna.agent", "max.wechsel", "olaf.lokal", "tom.throttle"]
# A group of unique names (uniqueMember), found only by the group search.
UNIQUE = {"it-admins": ["ines.admin"]}


def password(uid: str) -> str:
    return f"{uid}-Passwort-2026"


def group(name: str) -> str:
    return f"cn={name},{GROUPS}"


def person(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


# The first group of the mapping a person is in decides the role.
ROLE_GROUPS = {
    group("it-admins"): "admin",
    group("leitung"): "supervisor",
    group("sachbearbeitung"): "clerk",
    group("redaktion"): "editor",
    group("servicecenter"): "agent",
}
OFFICE_GROUPS: dict[str, Any] = {
    # Written as a directory tool writes it: upper case, spaces after the commas.
    "CN=buergerbuero-kassel, OU=groups, DC=kassel, DC=example": [
        "kassel-buergerbuero",
        "gibt-es-im-katalog-nicht",
    ],
    group("buergerbuero-herborn"): "herborn-buergerbuero",
    group("stadtreiniger"): {"participants": ["stadtreiniger-kassel"]},
}


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LdapServer]:
    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        for uid in [*PEOPLE_GROUPS, *(u for members in UNIQUE.values() for u in members)]:
            server.add_person(uid, password(uid))
        names = {g for groups in PEOPLE_GROUPS.values() for g in groups}
        names |= {"leitung", "buergerbuero-herborn"}
        for name in sorted(names):
            members = [person(u) for u, groups in PEOPLE_GROUPS.items() if name in groups]
            server.add_group(name, members)
        for name, members in UNIQUE.items():
            server.add_group(name, [person(u) for u in members], unique=True)
        yield server


def settings(url: str, server: LdapServer, mode: str = "search", **extra: Any) -> Settings:
    """The app's settings: the group search with the service account ("search"), or
    memberOf read anonymously ("memberof")."""
    search = mode == "search"
    fields: dict[str, Any] = {
        "database_url": url,
        "login_max_failures": 3,
        "ldap_url": server.url,
        "ldap_user_base": PEOPLE,
        "ldap_user_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "ldap_bind_dn": SERVICE_DN if search else "",
        "ldap_bind_password": SERVICE_PASSWORD if search else "",
        "ldap_group_base": GROUPS if search else "",
        "ldap_timeout": 3,
        "ldap_role_groups": ROLE_GROUPS,
        "ldap_authority_groups": OFFICE_GROUPS,
        **extra,
    }
    return Settings(**fields)


_apps: dict[tuple[str, str], FastAPI] = {}


def app_for(url: str, server: LdapServer, mode: str = "search") -> FastAPI:
    """One app per database and mode (made once: each app has its own login threads)."""
    if (url, mode) not in _apps:
        _apps[(url, mode)] = create_app(settings(url, server, mode))
    return _apps[(url, mode)]


ADDRESSES = itertools.count(1)


def client_of(app: FastAPI) -> TestClient:
    """A client from an address of its own (failed logins count per address too)."""
    n = next(ADDRESSES)
    return TestClient(
        app, raise_server_exceptions=False, client=(f"10.13.{n // 250}.{n % 250 + 1}", 4000)
    )


@pytest.fixture()
def app(module_url: str, slapd: LdapServer) -> FastAPI:
    return app_for(module_url, slapd)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with client_of(app) as c:
        yield c


def alert(html: str) -> str | None:
    found = re.search(r'role="alert"[^>]*>\s*([^<]+?)\s*<', html)
    return found.group(1) if found else None


def account(url: str, username: str) -> tuple[t.StaffUser, Offices] | None:
    with UnitOfWork(get_engine(url)) as uow:
        user = uow.session.scalars(
            select(t.StaffUser).where(t.StaffUser.username == username)
        ).first()
        if user is None:
            return None
        uow.session.expunge(user)  # read after the unit of work, which rolls back
        return user, uow.repo(StaffRepository).offices(user.id)


@pytest.mark.parametrize("mode", ["search", "memberof"])
def test_a_directory_agent_logs_in_through_the_form_and_gets_the_desk(
    module_url: str, slapd: LdapServer, mode: str
) -> None:
    with client_of(app_for(module_url, slapd, mode)) as client:
        r = login(client, "anna.agent", password("anna.agent"))
        assert r.status_code == 303 and r.headers["location"] == "/desk"
        desk = client.get("/desk")
        assert desk.status_code == 200 and "anna.agent (agent)" in desk.text
    found = account(module_url, "anna.agent")
    assert found is not None
    user, _ = found
    # Kept as a row of its own (sessions, tokens, the audit), without a usable password.
    assert user.source == "ldap" and user.role == "agent"
    assert user.password_hash == accounts.DIRECTORY_PASSWORD
    assert not accounts.check_password_hash(user.password_hash, password("anna.agent"))


@pytest.mark.parametrize("mode", ["search", "memberof"])
def test_a_directory_clerk_gets_the_authority_of_their_group(
    module_url: str, slapd: LdapServer, mode: str
) -> None:
    with client_of(app_for(module_url, slapd, mode)) as clerk:
        assert login(clerk, "carl.clerk", password("carl.clerk")).status_code == 303
        own = clerk.get("/dienststelle/termine", params={"ort": KASSEL})
        assert own.status_code == 200
        assert clerk.get("/dienststelle/termine", params={"ort": HERBORN}).status_code == 404
    found = account(module_url, "carl.clerk")
    assert found is not None
    user, offices = found
    assert user.role == "clerk"
    # The id the catalog does not know is left out (and the login still works).
    assert offices == Offices(frozenset({"kassel-buergerbuero"}))


def test_a_partner_editor_gets_the_participant_of_their_group(
    client: TestClient, module_url: str
) -> None:
    assert login(client, "paul.partner", password("paul.partner")).status_code == 303
    found = account(module_url, "paul.partner")
    assert found is not None
    user, offices = found
    assert user.role == "editor"
    assert offices == Offices(participants=frozenset({"stadtreiniger-kassel"}))


def test_a_group_of_unique_names_is_found_by_the_group_search(
    client: TestClient, module_url: str
) -> None:
    assert login(client, "ines.admin", password("ines.admin")).status_code == 303
    found = account(module_url, "ines.admin")
    assert found is not None and found[0].role == "admin"


@pytest.mark.parametrize("mode", ["search", "memberof"])
def test_a_group_change_in_the_directory_changes_role_and_offices_at_the_next_login(
    module_url: str, slapd: LdapServer, mode: str
) -> None:
    app = app_for(module_url, slapd, mode)
    with client_of(app) as first:
        assert login(first, "max.wechsel", password("max.wechsel")).status_code == 303
        assert "max.wechsel (agent)" in first.get("/desk").text
    with client_of(app) as kim:
        assert login(kim, "kim.clerk", password("kim.clerk")).status_code == 303
    assert role_and_offices(module_url, "max.wechsel") == ("agent", set())
    assert role_and_offices(module_url, "kim.clerk") == ("clerk", {"kassel-buergerbuero"})
    # The directory's administrators move Max to the management, Kim to Herborn.
    slapd.set_members(group("servicecenter"), [person(u) for u in SERVICE_CENTER[:1]])
    slapd.set_members(group("leitung"), [person("max.wechsel")])
    slapd.set_members(group("buergerbuero-kassel"), [person("carl.clerk")])
    slapd.set_members(group("buergerbuero-herborn"), [person("kim.clerk")])
    try:
        with client_of(app) as second:
            assert login(second, "max.wechsel", password("max.wechsel")).status_code == 303
            assert "max.wechsel (supervisor)" in second.get("/desk").text
        with client_of(app) as kim:
            assert login(kim, "kim.clerk", password("kim.clerk")).status_code == 303
            assert kim.get("/dienststelle/termine", params={"ort": HERBORN}).status_code == 200
            assert kim.get("/dienststelle/termine", params={"ort": KASSEL}).status_code == 404
        assert role_and_offices(module_url, "max.wechsel") == ("supervisor", set())
        assert role_and_offices(module_url, "kim.clerk") == ("clerk", {"herborn-buergerbuero"})
    finally:
        slapd.set_members(group("servicecenter"), [person(u) for u in SERVICE_CENTER])
        slapd.set_members(group("leitung"), [])
        slapd.set_members(group("buergerbuero-kassel"), [person("carl.clerk"), person("kim.clerk")])
        slapd.set_members(group("buergerbuero-herborn"), [])


def role_and_offices(url: str, username: str) -> tuple[str, set[str]]:
    found = account(url, username)
    assert found is not None
    return found[0].role, set(found[1].authorities)


def test_a_wrong_password_is_answered_as_an_unknown_name(app: FastAPI) -> None:
    answers = []
    for name in ("anna.agent", "niemand.im-verzeichnis"):
        with client_of(app) as client:
            seen = []
            for _ in range(4):
                r = login(client, name, "not the password at all", proof=False)
                seen.append((r.status_code, alert(r.text), "auskunft_session" in r.cookies))
            page = client.get("/anmelden")
            task = client.post(
                "/anmelden/pruefung", data={"username": name, "csrf": form_token(page.text)}
            ).json()
            seen.append((task["required"], task.get("maxnumber"), None))
            answers.append(seen)
    assert answers[0] == answers[1]
    assert answers[0][0] == (401, WRONG, False)


def test_a_directory_user_in_no_mapped_group_is_refused_like_a_wrong_password(
    client: TestClient, module_url: str
) -> None:
    r = login(client, "nora.nogroup", password("nora.nogroup"))
    assert r.status_code == 401 and alert(r.text) == WRONG
    assert "auskunft_session" not in r.cookies
    assert account(module_url, "nora.nogroup") is None


def test_a_user_taken_out_of_every_mapped_group_is_refused_and_their_sessions_end(
    module_url: str, slapd: LdapServer
) -> None:
    app = app_for(module_url, slapd)
    uid = "gina.geht"
    editors = group("redaktion")
    slapd.set_members(editors, [person("paul.partner"), person(uid)])
    try:
        with client_of(app) as before:
            assert login(before, uid, password(uid)).status_code == 303
            slapd.set_members(editors, [person("paul.partner")])
            with client_of(app) as again:
                r = login(again, uid, password(uid))
                assert r.status_code == 401 and alert(r.text) == WRONG
            app.state.logins.clear()  # the moment's cache of resolved logins
            assert before.get("/desk", follow_redirects=False).status_code == 303  # to the login
    finally:
        slapd.set_members(editors, [person("paul.partner"), person(uid)])


def test_ldap_injection_in_the_name_is_refused(client: TestClient, app: FastAPI) -> None:
    for name in ("*)(uid=*", "*", "anna.agent)(|(uid=*", "anna.agent*"):
        r = login(client, name, password("anna.agent"), proof=False)
        assert r.status_code == 401, name
        assert "auskunft_session" not in r.cookies
    # Below the form's own name rule, the directory escapes what it puts into the filter.
    directory = app.state.directory
    assert isinstance(directory, ldap.Directory)
    for name in ("*)(uid=*", "*", "anna.agent)(|(uid=*", "anna*", "*)(objectClass=*"):
        assert directory.authenticate(name, password("anna.agent")) is None, name
    assert directory.authenticate("anna.agent", password("anna.agent")) is not None
    assert directory.authenticate("anna.agent", "") is None  # never an anonymous bind
    # A password with characters no password may have (RFC 4013) is wrong, not an outage.
    with client_of(app) as fresh:
        r = login(fresh, "anna.agent", "bell\x07and\u200bsoft hyphen")
        assert r.status_code == 401 and alert(r.text) == WRONG


def test_the_directory_down_gives_a_503_page_and_local_accounts_still_work(
    module_url: str, slapd: LdapServer
) -> None:
    add_user(module_url, "notfall-admin", "admin")
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    down = create_app(settings(module_url, slapd, ldap_url=f"ldap://127.0.0.1:{port}"))
    with client_of(down) as client:
        r = login(client, "anna.agent", password("anna.agent"))
        assert r.status_code == 503 and DOWN in r.text
        assert "auskunft_session" not in r.cookies
        # The emergency account is local: it does not need the directory.
        assert login(client, "notfall-admin").status_code == 303


def test_a_directory_that_does_not_answer_gives_a_503_after_the_timeout(
    module_url: str, slapd: LdapServer
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    port = silent.getsockname()[1]
    try:
        app = create_app(
            settings(module_url, slapd, ldap_url=f"ldap://127.0.0.1:{port}", ldap_timeout=0.5)
        )
        with client_of(app) as client:
            started = time.monotonic()
            r = login(client, "anna.agent", password("anna.agent"))
            assert r.status_code == 503 and DOWN in r.text
            assert time.monotonic() - started < 10
    finally:
        silent.close()


def test_a_local_account_goes_first_and_never_asks_the_directory(
    client: TestClient, module_url: str
) -> None:
    # Olaf has a local account (an emergency admin) and is in the directory too.
    add_user(module_url, "olaf.lokal", "admin")
    refused = login(client, "olaf.lokal", password("olaf.lokal"))
    assert refused.status_code == 401 and alert(refused.text) == WRONG
    assert login(client, "olaf.lokal").status_code == 303
    found = account(module_url, "olaf.lokal")
    assert found is not None and found[0].source == "local" and found[0].role == "admin"


def test_the_throttle_counts_directory_failures(client: TestClient, module_url: str) -> None:
    for _ in range(3):  # login_max_failures=3 here
        assert login(client, "tom.throttle", "wrong guess, again").status_code == 401
    bare = login(client, "tom.throttle", password("tom.throttle"), proof=False)
    assert bare.status_code == 401 and "Rechenaufgabe" in bare.text
    page = client.get("/anmelden")
    task = client.post(
        "/anmelden/pruefung", data={"username": "tom.throttle", "csrf": form_token(page.text)}
    ).json()
    assert task["required"] and task["maxnumber"] == 50_000
    # With the proof the right password gets in, and the name starts afresh.
    assert login(client, "tom.throttle", password("tom.throttle")).status_code == 303


def test_the_directory_bind_runs_on_the_bounded_login_threads(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = ldap.Directory.authenticate

    def spy(self: ldap.Directory, username: str, secret: str) -> ldap.DirectoryUser | None:
        threads.append(threading.current_thread().name)
        return real(self, username, secret)

    monkeypatch.setattr(ldap.Directory, "authenticate", spy)
    assert login(client, "anna.agent", password("anna.agent")).status_code == 303
    assert threads and threads[0].startswith("login")


def test_a_directory_account_has_no_local_password_to_set(
    client: TestClient, module_url: str
) -> None:
    assert login(client, "anna.agent", password("anna.agent")).status_code == 303
    with UnitOfWork(get_engine(module_url)) as uow:
        with pytest.raises(InvalidInput, match="Verzeichnisdienst"):
            accounts.set_password(uow, "anna.agent", "a new local password")
        listed = {a.username: a for a in accounts.list_users(uow, datetime.now(UTC))}
    assert listed["anna.agent"].directory


def test_the_settings_refuse_a_directory_set_up_wrongly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ldap://"):
        Settings(ldap_url="https://ad.kassel.example", ldap_user_base=PEOPLE)
    with pytest.raises(ValueError, match="USER_BASE"):
        Settings(ldap_url="ldap://ad.kassel.example")
    with pytest.raises(ValueError, match="unknown role"):
        Settings(ldap_role_groups={group("x"): "chef"})
    with pytest.raises(ValueError, match="clear text"):
        Settings(env="production", ldap_url="ldap://ad.kassel.example", ldap_user_base=PEOPLE)
    ok = Settings(
        env="production",
        ldap_url="ldap://ad.kassel.example",
        ldap_start_tls=True,
        ldap_user_base=PEOPLE,
    )
    assert ok.ldap_start_tls
    secret = tmp_path / "bind.txt"
    secret.write_text("aus-der-datei\n", encoding="utf-8")
    assert Settings(ldap_bind_password_file=secret).ldap_password() == "aus-der-datei"
