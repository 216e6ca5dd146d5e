"""The login throttle (issue 13): per address, never a lockout by a stranger, bounded
Argon2 work, and X-Forwarded-For believed only from a trusted proxy."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from auskunft.access import service as accounts
from auskunft.access import web as access_web
from auskunft.app import create_app
from auskunft.audit.tables import AuditEntry
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import LimitReached, NotAuthenticated, Unavailable
from auskunft.core.proxies import parse_proxies, resolve
from tests.web.test_staff_login import PASSWORD, add_user, login


@pytest.fixture(scope="module")
def app(module_url: str) -> FastAPI:
    return create_app(
        Settings(database_url=module_url, login_max_failures=3, login_client_max_failures=6)
    )


@pytest.fixture()
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, client=("10.7.0.1", 4000)) as c:
        yield c


def test_an_address_with_too_many_failures_waits_but_the_accounts_do_not(
    app: FastAPI, client: TestClient, module_url: str
) -> None:
    add_user(module_url, "helga")
    # Guesses spread over many names from one address: six failures, then it waits.
    for n in range(6):
        assert login(client, f"ratespiel-{n}", "a guess, not it").status_code == 401
    refused = login(client, "helga")
    assert refused.status_code == 429 and "von Ihrem Anschluss" in refused.text
    # Further attempts are refused from memory: no database trip, one audit entry.
    for _ in range(3):
        assert login(client, "helga", proof=False).status_code == 429
    with UnitOfWork(get_engine(module_url)) as uow:
        details = uow.session.scalars(
            select(AuditEntry.detail).where(
                AuditEntry.action == "login.refused", AuditEntry.object_id == "10.7.0.1"
            )
        ).all()
    assert details == ["address"]
    # Helga, at her own desk, is not affected: the account was never locked.
    with TestClient(app, raise_server_exceptions=False, client=("10.7.0.2", 4000)) as own:
        assert login(own, "helga").status_code == 303


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(app: FastAPI, module_url: str) -> None:
    # A new forged address per request does not escape the count of the real peer.
    with TestClient(app, raise_server_exceptions=False, client=("10.7.0.3", 4000)) as c:
        for n in range(6):
            c.headers["X-Forwarded-For"] = f"198.51.100.{n}"
            assert login(c, f"falsch-{n}", "a guess, not it").status_code == 401
        c.headers["X-Forwarded-For"] = "198.51.100.99"
        assert login(c, "wer-auch-immer", "a guess").status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(module_url: str) -> None:
    app = create_app(
        Settings(
            database_url=module_url,
            login_max_failures=3,
            login_client_max_failures=3,
            trusted_proxies="10.8.0.0/24",
        )
    )
    with TestClient(app, raise_server_exceptions=False, client=("10.8.0.5", 4000)) as proxy:
        proxy.headers["X-Forwarded-For"] = "203.0.113.7"
        for n in range(3):
            assert login(proxy, f"proxy-{n}", "a guess, not it").status_code == 401
        assert login(proxy, "proxy-x", "a guess").status_code == 429
        # Another citizen behind the same proxy is another address.
        proxy.headers["X-Forwarded-For"] = "203.0.113.8"
        assert login(proxy, "proxy-y", "a guess").status_code == 401


def test_the_client_address_rule() -> None:
    proxies = parse_proxies("10.0.0.0/8, 2001:db8::1")
    assert resolve("192.0.2.1", "203.0.113.1", proxies) == "192.0.2.1"  # not a proxy
    assert resolve("10.1.1.1", "203.0.113.1", proxies) == "203.0.113.1"
    # Left of the last untrusted hop is what the caller claims: not believed.
    assert resolve("10.1.1.1", "1.2.3.4, 203.0.113.1, 10.2.2.2", proxies) == "203.0.113.1"
    assert resolve("2001:db8::1", "203.0.113.9", proxies) == "203.0.113.9"
    assert resolve("10.1.1.1", "not-an-address", proxies) == "10.1.1.1"
    assert resolve("10.1.1.1", None, proxies) == "10.1.1.1"
    assert resolve("10.1.1.1", "203.0.113.1", ()) == "10.1.1.1"
    with pytest.raises(ValueError):
        parse_proxies("10.0.0.0/8, kein-netz")
    with pytest.raises(ValueError):
        Settings(trusted_proxies="300.1.1.1")


def test_password_checks_run_at_most_slots_at_once_and_refuse_beyond_the_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def slow_check(stored: str, password: str) -> bool:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1
        return password == "right"

    monkeypatch.setattr(accounts, "check_password_hash", slow_check)
    checks = access_web.PasswordChecks(slots=2, queue=6)

    async def flood() -> list[object]:
        calls = [checks.check("hash", "right" if n % 2 else "wrong") for n in range(10)]
        return await asyncio.gather(*calls, return_exceptions=True)

    # In a thread of its own: another test's browser may have left a loop in this one.
    results: list[object] = []
    runner = threading.Thread(target=lambda: results.extend(asyncio.run(flood())))
    runner.start()
    runner.join()
    assert most == 2
    answered = [r for r in results if isinstance(r, bool)]
    refused = [r for r in results if isinstance(r, Unavailable)]
    assert len(answered) == 6 and len(refused) == 4
    assert refused[0].status == 503


@pytest.mark.skipif(not hasattr(os, "setpriority"), reason="per-thread priority is POSIX")
def test_password_checks_run_at_a_lower_priority_than_the_desk() -> None:
    checks = access_web.PasswordChecks(slots=1, queue=4)

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    ours = niceness()
    theirs: list[int] = []
    runner = threading.Thread(target=lambda: theirs.append(asyncio.run(checks.run(niceness))))
    runner.start()
    runner.join()
    # The thread that runs Argon2 yields; the one asking (the desk's) keeps its priority.
    assert theirs == [min(19, ours + access_web.LOGIN_THREAD_NICENESS)]
    assert niceness() == ours


def test_the_service_login_counts_names_it_does_not_know_like_names_it_knows(
    module_url: str,
) -> None:
    add_user(module_url, "ilse")
    policy = accounts.LoginPolicy(max_failures=2, client_limit=100)
    now = datetime.now(UTC)
    engine = get_engine(module_url)
    outcomes: dict[str, list[str]] = {}
    for name in ("ilse", "ilsa-gibt-es-nicht"):
        seen = outcomes.setdefault(name, [])
        for _ in range(3):
            with UnitOfWork(engine) as uow:
                try:
                    accounts.authenticate(uow, name, "wrong, wrong", policy, now, client=name)
                except (NotAuthenticated, LimitReached) as exc:
                    seen.append(exc.message)
                uow.commit()
    assert outcomes["ilse"] == outcomes["ilsa-gibt-es-nicht"]
    assert "Rechenaufgabe" in outcomes["ilse"][-1]
    # After the window the name starts afresh.
    with UnitOfWork(engine) as uow:
        user = accounts.authenticate(
            uow, "ilse", PASSWORD, policy, now + timedelta(minutes=16), client="ilse"
        )
        uow.commit()
    assert user.username == "ilse"
