"""Staff login: Argon2id hashes, session cookies, CSRF, lockout, demo accounts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from auskunft.access import tables as t
from auskunft.access.repository import StaffRepository
from auskunft.access.service import create_user, ensure_demo_accounts
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    return create_app(Settings(database_url=module_url, login_max_failures=3))


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def add_user(url: str, username: str, role: str = "agent", *, demo: bool = False) -> None:
    with UnitOfWork(get_engine(url)) as uow:
        create_user(uow, username, role, PASSWORD, datetime.now(UTC), demo=demo)
        uow.commit()


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF token in the form"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD, next_page: str = "/desk"):
    page = client.get("/anmelden", params={"next": next_page})
    assert page.status_code == 200
    return client.post(
        "/anmelden",
        data={
            "username": username,
            "password": password,
            "csrf": form_token(page.text),
            "next": next_page,
        },
        follow_redirects=False,
    )


@pytest.mark.parametrize("path", ["/desk", "/desk/treffer?q=Pass", "/admin", "/desk/karte/x"])
def test_staff_pages_send_strangers_to_the_login(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/anmelden?next=%2F")


def test_htmx_requests_without_login_are_redirected_by_header(client: TestClient) -> None:
    r = client.get("/desk/treffer?q=Pass", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 401
    assert r.headers["HX-Redirect"].startswith("/anmelden?next=")


def test_a_login_sets_a_strict_http_only_cookie_and_returns_to_the_page(
    client: TestClient, module_url: str
) -> None:
    add_user(module_url, "anna")
    r = login(client, "anna", next_page="/admin")
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    cookie = r.headers["set-cookie"]
    assert "auskunft_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Secure" not in cookie  # development over http; production below
    page = client.get("/admin")
    assert page.status_code == 200
    assert "Angemeldet als anna (agent)" in page.text


def test_passwords_are_stored_as_argon2id_and_sessions_as_hashes(
    client: TestClient, module_url: str
) -> None:
    add_user(module_url, "bernd")
    r = login(client, "bernd")
    token = client.cookies["auskunft_session"]
    with get_engine(module_url).connect() as conn:
        stored = conn.execute(
            select(t.StaffUser.password_hash).where(t.StaffUser.username == "bernd")
        ).scalar_one()
        hashes = set(conn.execute(select(t.StaffSession.token_hash)).scalars())
    assert r.status_code == 303
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert token not in hashes  # only the SHA-256 of the cookie is kept
    assert len(hashes) >= 1


def test_a_wrong_password_is_answered_in_the_form(client: TestClient, module_url: str) -> None:
    add_user(module_url, "carla")
    r = login(client, "carla", "wrong password, sorry")
    assert r.status_code == 401
    assert 'role="alert"' in r.text and "Benutzername oder Passwort ist falsch." in r.text
    assert 'value="carla"' in r.text  # the name stays typed
    unknown = login(client, "nobody-here", "whatever it is")
    assert unknown.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in unknown.text


def test_repeated_failures_lock_the_account_even_for_the_right_password(
    client: TestClient, module_url: str
) -> None:
    add_user(module_url, "dora")
    assert login(client, "dora", "wrong 1 wrong 1").status_code == 401
    assert login(client, "dora", "wrong 2 wrong 2").status_code == 401
    third = login(client, "dora", "wrong 3 wrong 3")
    assert third.status_code == 429
    assert "Zu viele Fehlversuche" in third.text
    right = login(client, "dora")
    assert right.status_code == 429, "a locked account refuses the right password too"
    # The lockout runs out.
    with UnitOfWork(get_engine(module_url)) as uow:
        user = uow.repo(StaffRepository).user_by_name("dora")
        assert user is not None
        user.locked_until = datetime.now(UTC) - timedelta(seconds=1)
        uow.commit()
    assert login(client, "dora").status_code == 303


def test_a_login_without_the_form_token_gets_a_clear_page(
    client: TestClient, module_url: str
) -> None:
    add_user(module_url, "emil")
    r = client.post("/anmelden", data={"username": "emil", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403
    assert "Das Formular ist abgelaufen" in r.text
    assert "auskunft_session" not in r.headers.get("set-cookie", "")


def test_empty_and_oversized_fields_are_answered_in_the_form(client: TestClient) -> None:
    page = client.get("/anmelden")
    token = form_token(page.text)
    empty = client.post("/anmelden", data={"username": "", "password": "", "csrf": token})
    assert empty.status_code == 422
    assert "Bitte Benutzername und Passwort angeben." in empty.text
    huge = client.post(
        "/anmelden", data={"username": "x" * 5000, "password": "y" * 50_000, "csrf": token}
    )
    assert huge.status_code == 401


def test_logout_ends_the_session_for_good(client: TestClient, module_url: str) -> None:
    add_user(module_url, "frida")
    login(client, "frida")
    token = client.cookies["auskunft_session"]
    desk = client.get("/desk")
    assert desk.status_code == 200
    out = client.post("/abmelden", data={"csrf": form_token(desk.text)}, follow_redirects=False)
    assert out.status_code == 303
    client.cookies.set("auskunft_session", token)  # a kept copy of the cookie is worthless
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_an_idle_session_expires(client: TestClient, app: FastAPI, module_url: str) -> None:
    add_user(module_url, "gert")
    login(client, "gert")
    assert client.get("/desk").status_code == 200
    with UnitOfWork(get_engine(module_url)) as uow:
        for row in uow.session.scalars(select(t.StaffSession)):
            row.last_seen_at = datetime.now(UTC) - timedelta(hours=3)
        uow.commit()
    app.state.logins.clear()  # what LoginCache.SECONDS of waiting would do
    assert client.get("/desk", follow_redirects=False).status_code == 303


def test_a_resolved_login_is_remembered_briefly(
    client: TestClient, app: FastAPI, module_url: str
) -> None:
    add_user(module_url, "greta")
    login(client, "greta")
    assert client.get("/desk").status_code == 200
    token = client.cookies["auskunft_session"]
    assert app.state.logins.get(token) is not None
    cache = app.state.logins
    saved, cache.SECONDS = cache.SECONDS, 0.0
    try:
        assert cache.get(token) is None  # past its time, the database is asked again
    finally:
        cache.SECONDS = saved


def test_demo_accounts_are_refused_in_production(module_url: str) -> None:
    add_user(module_url, "demo-probe", demo=True)
    secret = "a-production-secret-of-at-least-32-characters"
    production = create_app(Settings(database_url=module_url, env="production", secret_key=secret))
    with TestClient(production, base_url="https://testserver") as c:  # Secure cookies
        r = login(c, "demo-probe")
        assert r.status_code == 403
        assert "Demo-Konten sind im Produktivbetrieb gesperrt." in r.text
        add_user(module_url, "hanna")
        ok = login(c, "hanna")
        assert ok.status_code == 303
        assert "Secure" in ok.headers["set-cookie"]  # production cookies need HTTPS


def test_demo_accounts_are_created_once_per_role(module_url: str) -> None:
    with UnitOfWork(get_engine(module_url)) as uow:
        uow.session.execute(t.StaffUser.__table__.delete().where(t.StaffUser.demo.is_(True)))
        first = ensure_demo_accounts(uow, datetime.now(UTC))
        second = ensure_demo_accounts(uow, datetime.now(UTC))
        uow.commit()
    assert [role for _, role, _ in first] == ["agent", "clerk", "editor", "supervisor", "admin"]
    assert second == []
    assert len({password for _, _, password in first}) == 5


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    username=st.text(max_size=120),
    password=st.text(max_size=120),
    next_page=st.one_of(
        st.text(max_size=200),
        st.sampled_from(["//evil.example", "https://evil.example/", "/\\evil.example", "/desk"]),
    ),
)
def test_no_login_input_gives_a_server_error_or_leaves_the_site(
    client: TestClient, username: str, password: str, next_page: str
) -> None:
    page = client.get("/anmelden", params={"next": next_page})
    assert page.status_code == 200
    r = client.post(
        "/anmelden",
        data={
            "username": username,
            "password": password,
            "csrf": form_token(page.text),
            "next": next_page,
        },
        follow_redirects=False,
    )
    assert r.status_code in (401, 422, 429)
    assert 'name="next" value="/' in r.text  # the form only ever sends back to this site


def test_production_refuses_to_start_without_a_real_secret(module_url: str) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Settings(database_url=module_url, env="production"))
    with pytest.raises(RuntimeError, match="32 characters"):
        create_app(Settings(database_url=module_url, env="production", secret_key="change-me"))
