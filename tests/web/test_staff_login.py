"""Staff login: Argon2id hashes, session cookies, CSRF, lockout, demo accounts."""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import altcha
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from auskunft.access import tables as t
from auskunft.access.service import create_user, ensure_demo_accounts
from auskunft.app import create_app
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    return create_app(Settings(database_url=module_url, login_max_failures=3))


ADDRESSES = itertools.count(1)


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    # Each test from an address of its own: failed logins are also counted per address.
    n = next(ADDRESSES)
    address = (f"10.0.{n // 250}.{n % 250 + 1}", 50000)
    with TestClient(app, raise_server_exceptions=False, client=address) as c:
        yield c


def add_user(url: str, username: str, role: str = "agent", *, demo: bool = False) -> None:
    with UnitOfWork(get_engine(url)) as uow:
        create_user(uow, username, role, PASSWORD, datetime.now(UTC), demo=demo)
        uow.commit()


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "no CSRF token in the form"
    return found.group(1)


def solve_login_proof(client: TestClient, username: str, csrf: str) -> str:
    """What the login page's script does before sending: ask whether a proof of work is
    needed, and solve it if so ("" when none is)."""
    task = client.post("/anmelden/pruefung", data={"username": username, "csrf": csrf}).json()
    if not task["required"]:
        return ""
    solution = altcha.solve_challenge_v1(
        task["challenge"], task["salt"], task["algorithm"], task["maxnumber"]
    )
    assert solution is not None
    payload = {key: task[key] for key in ("algorithm", "challenge", "salt", "signature")}
    payload["number"] = solution.number
    return base64.b64encode(json.dumps(payload).encode()).decode()


def login(
    client: TestClient,
    username: str,
    password: str = PASSWORD,
    next_page: str = "/desk",
    *,
    proof: bool = True,
):
    """Log in as the login page does (with the proof of work where one is asked)."""
    page = client.get("/anmelden", params={"next": next_page})
    assert page.status_code == 200
    csrf = form_token(page.text)
    return client.post(
        "/anmelden",
        data={
            "username": username,
            "password": password,
            "csrf": csrf,
            "next": next_page,
            "altcha": solve_login_proof(client, username, csrf) if proof else "",
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


def test_repeated_failures_ask_for_a_proof_of_work_and_never_lock_the_account(
    client: TestClient, module_url: str
) -> None:
    add_user(module_url, "dora")
    for _ in range(3):  # login_max_failures=3 in this module
        assert login(client, "dora", "wrong guess, again").status_code == 401
    # Now the name asks for a proof of work: without one the right password is not checked.
    bare = login(client, "dora", proof=False)
    assert bare.status_code == 401 and "Rechenaufgabe" in bare.text
    assert asked(client, "dora") == 50_000
    # Each further failure makes the proof twice as hard ...
    assert login(client, "dora", "wrong guess, again").status_code == 401
    assert asked(client, "dora") == 100_000
    # ... but the browser brings it and gets in: a stranger's guesses cost the owner a few
    # seconds, never the account.
    assert login(client, "dora").status_code == 303
    # After the success the name starts afresh; the address's failures still ask for the
    # plain proof.
    client.cookies.clear()
    assert asked(client, "dora") == 50_000


def asked(client: TestClient, username: str) -> int | None:
    """How hard a proof of work the login asks for this name now (None: none)."""
    page = client.get("/anmelden")
    task = client.post(
        "/anmelden/pruefung", data={"username": username, "csrf": form_token(page.text)}
    ).json()
    return task["maxnumber"] if task["required"] else None


def test_known_and_unknown_names_are_answered_alike(app: FastAPI, module_url: str) -> None:
    add_user(module_url, "dieter")
    answers = []
    for name, address in (("dieter", "10.9.0.1"), ("niemand-da", "10.9.0.2")):
        client = TestClient(app, raise_server_exceptions=False, client=(address, 5000))
        seen = []
        for _ in range(5):
            r = login(client, name, "not the password", proof=False)
            found = re.search(r'role="alert"[^>]*>([^<]+)<', r.text)
            seen.append((r.status_code, found.group(1) if found else None))
        page = client.get("/anmelden")
        task = client.post(
            "/anmelden/pruefung", data={"username": name, "csrf": form_token(page.text)}
        ).json()
        seen.append((task["required"], task.get("maxnumber")))
        answers.append(seen)
    assert answers[0] == answers[1]
    assert answers[0][0] == (401, "Benutzername oder Passwort ist falsch.")


def test_a_proof_is_bound_to_its_name_and_counts_once(client: TestClient, module_url: str) -> None:
    add_user(module_url, "doris")
    for _ in range(3):
        login(client, "doris", "wrong guess, again")
    page = client.get("/anmelden")
    csrf = form_token(page.text)
    # The address failed three times too: a proof is asked for every name from it.
    foreign = solve_login_proof(client, "someone-else", csrf)
    assert foreign
    fields = {"username": "doris", "password": PASSWORD, "csrf": csrf}
    refused = client.post("/anmelden", data={**fields, "altcha": foreign}, follow_redirects=False)
    assert refused.status_code == 401  # made for another name
    own = solve_login_proof(client, "doris", csrf)
    ok = client.post("/anmelden", data={**fields, "altcha": own}, follow_redirects=False)
    assert ok.status_code == 303
    client.cookies.clear()
    page = client.get("/anmelden")
    again = client.post(
        "/anmelden",
        data={**fields, "csrf": form_token(page.text), "altcha": own},
        follow_redirects=False,
    )
    assert again.status_code == 401  # a proof counts once


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
    assert [role for _, role, _ in first] == [
        "agent",
        "clerk",
        "editor",
        "supervisor",
        "admin",
        "dpo",
    ]
    assert second == []
    assert len({password for _, _, password in first}) == 6


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
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
