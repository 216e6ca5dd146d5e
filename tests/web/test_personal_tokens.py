"""A staff member's own API token acts with their role and offices, like their login, and
never stands in for a browser session's form token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from auskunft.access.service import create_api_token, create_user, revoke_api_token
from auskunft.app import create_app
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.desk.tables import Contact
from tests.web.test_cli import cli
from tests.web.test_staff_login import PASSWORD

TOKENS: dict[str, str] = {}
AGENDA = "/dienststelle/termine"


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "agent-token", "agent", PASSWORD, now)
        create_user(
            uow,
            "clerk-token",
            "clerk",
            PASSWORD,
            now,
            authorities=["herborn-buergerbuero"],
            offices=catalog,
        )
        TOKENS["agent"] = create_api_token(uow, "agent-own", now, username="agent-token")
        TOKENS["clerk"] = create_api_token(uow, "clerk-own", now, username="clerk-token")
        TOKENS["machine"] = create_api_token(uow, "telefonanlage-token", now)
        uow.commit()
    with TestClient(create_app(Settings(database_url=module_url, worker="off"))) as c:
        yield c


def bearer(kind: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[kind]}"}


def contact(when: datetime) -> dict[str, str]:
    return {
        "channel": "115",
        "outcome": "answered",
        "started_at": (when - timedelta(minutes=3)).isoformat(),
        "ended_at": when.isoformat(),
    }


def test_a_personal_token_logs_the_contact_as_that_agent(
    client: TestClient, module_url: str
) -> None:
    r = client.post("/api/v1/contacts", json=contact(datetime.now(UTC)), headers=bearer("agent"))
    assert r.status_code == 201
    with UnitOfWork(get_engine(module_url)) as uow:
        agent = uow.session.scalars(
            select(Contact.agent_id).where(Contact.id == r.json()["id"])
        ).one()
    assert agent is not None
    machine = client.post(
        "/api/v1/contacts", json=contact(datetime.now(UTC)), headers=bearer("machine")
    )
    assert machine.status_code == 201 and machine.json()["source"] == "api"


def test_a_personal_token_has_its_owners_role_and_offices(client: TestClient) -> None:
    assert client.get(AGENDA, headers=bearer("clerk")).status_code == 200
    refused = client.get(AGENDA, headers=bearer("agent"))
    assert refused.status_code == 403  # agents do not see the day list, token or not
    other = client.get(
        AGENDA, params={"ort": "kassel-buergerbuero-rathaus"}, headers=bearer("clerk")
    )
    assert other.status_code == 404  # another office's calendar


def test_a_machine_token_is_nobody_on_staff_pages(client: TestClient) -> None:
    r = client.get(AGENDA, headers=bearer("machine"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/anmelden")


def test_a_token_never_passes_for_a_form(client: TestClient) -> None:
    r = client.post(
        "/desk/kontakt",
        data={"csrf": "", "channel": "115", "outcome": "answered"},
        headers=bearer("agent"),
        follow_redirects=False,
    )
    assert r.status_code == 403


def test_a_revoked_personal_token_is_refused(client: TestClient, module_url: str) -> None:
    now = datetime.now(UTC)
    with UnitOfWork(get_engine(module_url)) as uow:
        token = create_api_token(uow, "short-lived", now, username="agent-token")
        uow.commit()
        revoke_api_token(uow, "short-lived")
        uow.commit()
    r = client.post(
        "/api/v1/contacts", json=contact(now), headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 401


def test_the_cli_prints_a_personal_token_alone_on_its_last_line(fresh_url: str) -> None:
    made_user = cli(fresh_url, "user", "create", "meier", "--role", "agent", "--generate")
    assert made_user.returncode == 0, made_user.stderr
    made = cli(fresh_url, "token", "create", "meier-api", "--user", "meier")
    assert made.returncode == 0, made.stderr
    last = made.stdout.strip().splitlines()[-1]
    assert last.startswith("ak_") and " " not in last and len(last) > 40
    unknown = cli(fresh_url, "token", "create", "x-api", "--user", "niemand")
    assert unknown.returncode == 2 and "niemand" in unknown.stderr
