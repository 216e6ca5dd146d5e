"""Concerns through the JSON API: routing, the clock, the states, the tenancy rule, the
citizen's view and bad input, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from auskunft.access.service import create_api_token, create_user
from auskunft.app import create_app
from auskunft.catalog.service import reads as catalog
from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs.tables import Job
from auskunft.forwarding.model import tracking
from auskunft.forwarding.tables import Concern, ConcernAccess
from tests.web.test_staff_login import PASSWORD

TOKENS: dict[str, str] = {}
URL: dict[str, str] = {}


@pytest.fixture(scope="module")
def client(module_url: str) -> Iterator[TestClient]:
    now = datetime.now(UTC)
    URL["db"] = module_url
    with UnitOfWork(get_engine(module_url)) as uow:
        create_user(uow, "c-agent", "agent", PASSWORD, now)
        create_user(uow, "c-super", "supervisor", PASSWORD, now)
        create_user(uow, "c-editor", "editor", PASSWORD, now)
        create_user(
            uow,
            "c-zulassung",
            "clerk",
            PASSWORD,
            now,
            authorities=["lk-kassel-zulassung"],
            offices=catalog,
        )
        create_user(
            uow,
            "c-standesamt",
            "clerk",
            PASSWORD,
            now,
            authorities=["kassel-standesamt"],
            offices=catalog,
        )
        for name in ("c-agent", "c-super", "c-editor", "c-zulassung", "c-standesamt"):
            TOKENS[name] = create_api_token(uow, f"{name}-t", now, username=name)
        TOKENS["machine"] = create_api_token(uow, "c-machine", now)
        uow.commit()
    with TestClient(
        create_app(Settings(database_url=module_url, worker="off", rate_limits="off"))
    ) as c:
        yield c


def as_(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def concern(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "question": "Wie lange dauert die Zulassung meines Anhängers?",
        "service": "fahrzeug-zulassen",
        "municipality": "baunatal",
        "channel": "115",
        "citizen": {"name": "Erika Mustermann", "email": "erika@example.org", "preferred": "email"},
        "consent": True,
    }
    body.update(overrides)
    return body


def test_a_concern_goes_to_the_responsible_office_with_its_due_time(client: TestClient) -> None:
    answer = client.post("/api/v1/concerns", json=concern(), headers=as_("c-agent"))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["authority"]["id"] == "lk-kassel-zulassung"
    assert body["authority"]["name"]
    assert body["status"] == "forwarded" and body["overdue"] is False
    assert tracking.normalize(body["tracking_code"]) is not None
    received = datetime.fromisoformat(body["received_at"])
    due = datetime.fromisoformat(body["due_at"])
    assert due > received and due.utcoffset() is not None
    clock = client.get(
        "/api/v1/service-calendar/due", params={"from": body["received_at"], "hours": 24}
    ).json()
    assert datetime.fromisoformat(clock["due"]) == due
    assert [step["step"] for step in body["history"]] == ["received", "forwarded"]
    for key in ("id", "tracking_code", "status", "authority", "received_at", "due_at", "overdue"):
        assert key in body


def test_without_a_known_office_the_concern_goes_to_the_service_center(
    client: TestClient,
) -> None:
    body = client.post(
        "/api/v1/concerns",
        json=concern(
            service="abfuhrtermine", municipality="baunatal", question="Wann kommt die Biotonne?"
        ),
        headers=as_("c-agent"),
    ).json()
    assert body["authority"]["id"] == "kassel-servicecenter"
    body = client.post(
        "/api/v1/concerns",
        json=concern(service=None, municipality=None, question="Wann hat der Tierpark geöffnet?"),
        headers=as_("c-agent"),
    ).json()
    assert body["authority"]["id"] == "kassel-servicecenter"


def test_a_clerk_sees_and_works_only_their_own_offices_concerns(client: TestClient) -> None:
    created = client.post("/api/v1/concerns", json=concern(), headers=as_("c-agent")).json()
    cid = created["id"]
    own = client.get("/api/v1/concerns", headers=as_("c-zulassung")).json()["concerns"]
    assert cid in [c["id"] for c in own]
    assert all(c["authority"]["id"] == "lk-kassel-zulassung" for c in own)
    other = client.get("/api/v1/concerns", headers=as_("c-standesamt")).json()["concerns"]
    assert cid not in [c["id"] for c in other]
    for path, body in (
        ("", None),
        ("/take", {}),
        ("/answer", {"text": "x", "via": "email"}),
        ("/note", {"text": "x"}),
        ("/return", {"reason": "x"}),
    ):
        if body is None:
            answer = client.get(f"/api/v1/concerns/{cid}", headers=as_("c-standesamt"))
        else:
            answer = client.post(
                f"/api/v1/concerns/{cid}{path}", json=body, headers=as_("c-standesamt")
            )
        assert answer.status_code == 404, (path, answer.text)
    taken = client.post(f"/api/v1/concerns/{cid}/take", headers=as_("c-zulassung"))
    assert taken.status_code == 200 and taken.json()["status"] == "in_progress"
    noted = client.post(
        f"/api/v1/concerns/{cid}/note",
        json={"text": "Rückfrage beim Halter"},
        headers=as_("c-zulassung"),
    ).json()
    assert noted["history"][-1]["step"] == "note"
    answered = client.post(
        f"/api/v1/concerns/{cid}/answer",
        json={"text": "Etwa zwei Wochen.", "via": "email"},
        headers=as_("c-zulassung"),
    )
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    again = client.post(
        f"/api/v1/concerns/{cid}/answer",
        json={"text": "Noch einmal.", "via": "email"},
        headers=as_("c-zulassung"),
    )
    assert again.status_code == 409
    assert again.json()["error"]["message"] and again.json()["error"]["message_en"]
    with UnitOfWork(get_engine(URL["db"])) as uow:
        kinds = set(
            uow.session.scalars(select(Job.kind).where(Job.payload["concern"].as_integer() == cid))
        )
        opened = uow.session.scalar(
            select(func.count()).select_from(ConcernAccess).where(ConcernAccess.concern_id == cid)
        )
    assert {"concern.received", "concern.answer"} <= kinds
    assert opened and opened >= 3


def test_returned_concerns_go_to_the_supervisor_and_are_forwarded_again(
    client: TestClient,
) -> None:
    cid = client.post("/api/v1/concerns", json=concern(), headers=as_("c-agent")).json()["id"]
    returned = client.post(
        f"/api/v1/concerns/{cid}/return",
        json={"reason": "Anhänger meldet das Straßenverkehrsamt an."},
        headers=as_("c-zulassung"),
    ).json()
    assert returned["status"] == "returned"
    overview = client.get("/api/v1/concerns/overview", headers=as_("c-super")).json()
    assert cid in [c["id"] for c in overview["concerns"]]
    assert (
        client.post(
            f"/api/v1/concerns/{cid}/forward",
            json={"authority": "nirgendwo"},
            headers=as_("c-super"),
        ).status_code
        == 422
    )
    forwarded = client.post(
        f"/api/v1/concerns/{cid}/forward",
        json={"authority": "kassel-strassenverkehr"},
        headers=as_("c-super"),
    ).json()
    assert forwarded["status"] == "forwarded"
    assert forwarded["authority"]["id"] == "kassel-strassenverkehr"
    # The clock keeps running: the due time is the first one.
    assert forwarded["due_at"] == returned["due_at"]
    assert client.get(f"/api/v1/concerns/{cid}", headers=as_("c-zulassung")).status_code == 404


def test_the_citizen_tracks_without_personal_data_and_settles(client: TestClient) -> None:
    created = client.post("/api/v1/concerns", json=concern(), headers=as_("c-agent")).json()
    code = created["tracking_code"]
    seen = client.get(f"/api/v1/concerns/track/{code}")
    assert seen.status_code == 200
    text = seen.text
    assert "Erika" not in text and "erika@" not in text and "Anhängers" not in text
    assert seen.json()["status"] == "forwarded" and seen.json()["due_at"] == created["due_at"]
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    assert client.get(f"/api/v1/concerns/track/{typo}").status_code == 404
    assert client.get("/api/v1/concerns/track/UNSINN").status_code == 404
    # Lower case and without hyphens is the same code.
    assert client.get(f"/api/v1/concerns/track/{code.replace('-', '').lower()}").status_code == 200


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"consent": False}, 422),
        ({"citizen": {"name": "A", "preferred": "email"}}, 422),
        ({"citizen": {"name": "A", "email": "kein-at", "preferred": "email"}}, 422),
        ({"citizen": {"name": "A", "phone": "0561 123", "preferred": "email"}}, 422),
        ({"service": "gibt-es-nicht"}, 422),
        ({"authority": "gibt-es-nicht"}, 422),
        ({"municipality": "atlantis"}, 422),
        ({"channel": "brieftaube"}, 422),
        ({"received_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, 422),
        ({"received_at": (datetime.now(UTC) - timedelta(days=31)).isoformat()}, 422),
        ({"received_at": "2026-12-01T10:00:00"}, 422),
        ({"question": "x" * 100_000}, 422),
        ({"question": "   "}, 422),
        ({"unknown": 1}, 422),
    ],
)
def test_bad_input_is_refused_whole(
    client: TestClient, change: dict[str, Any], status: int
) -> None:
    with UnitOfWork(get_engine(URL["db"])) as uow:
        before = uow.session.scalar(select(func.count()).select_from(Concern))
    answer = client.post("/api/v1/concerns", json=concern(**change), headers=as_("c-agent"))
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["message"] and error["message_en"]
    with UnitOfWork(get_engine(URL["db"])) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Concern)) == before


def test_who_may_call(client: TestClient) -> None:
    assert client.post("/api/v1/concerns", json=concern()).status_code == 401
    assert (
        client.post("/api/v1/concerns", json=concern(), headers=as_("machine")).status_code == 403
    )
    assert client.get("/api/v1/concerns", headers=as_("c-editor")).status_code == 403
    assert client.get("/api/v1/concerns/access-log", headers=as_("c-agent")).status_code == 403
    log = client.get("/api/v1/concerns/access-log", headers=as_("c-super"))
    assert log.status_code == 200 and log.json()["accesses"]
    assert client.get("/api/v1/concerns/99999999", headers=as_("c-super")).status_code == 404
    assert client.get("/api/v1/concerns?status=erledigt", headers=as_("c-super")).status_code == 422


def test_a_letter_is_dated_when_it_came_and_a_question_back_stops_the_clock(
    client: TestClient,
) -> None:
    received = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    created = client.post(
        "/api/v1/concerns",
        json=concern(channel="letter", received_at=received.isoformat()),
        headers=as_("c-agent"),
    ).json()
    assert datetime.fromisoformat(created["received_at"]) == received
    cid = created["id"]
    asked = client.post(
        f"/api/v1/concerns/{cid}/ask",
        json={"text": "Welches Kennzeichen?"},
        headers=as_("c-zulassung"),
    ).json()
    assert asked["status"] == "waiting_for_citizen" and asked["due_at"] is None
    assert asked["overdue"] is False
    resumed = client.post(
        f"/api/v1/concerns/{cid}/resume", json={"text": "KS-AB 123"}, headers=as_("c-zulassung")
    ).json()
    assert resumed["status"] == "in_progress" and resumed["due_at"] is not None
