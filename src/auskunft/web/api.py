"""JSON API v1: search, services, authorities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from auskunft.db.uow import UnitOfWork
from auskunft.domain.errors import NotAuthenticated
from auskunft.services import accounts, catalog, contacts
from auskunft.services.search import DEFAULT_MUNICIPALITY, SearchEngine, answer_question

router = APIRouter(prefix="/api/v1")


def _engine(request: Request) -> SearchEngine:
    engine: SearchEngine = request.app.state.search
    return engine


@router.get("/search")
def search(
    request: Request,
    q: Annotated[str | None, Query(description="Die Frage des Anrufenden")] = None,
    municipality: Annotated[str | None, Query()] = None,
    participant: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Rank services for a question, with the responsible authority."""
    return answer_question(
        _engine(request),
        q="" if q is None else q,
        municipality=municipality or None,
        participant=participant or None,
        limit=limit,
    )


@router.get("/services/{service_id}")
def service(request: Request, service_id: str, municipality: str | None = None) -> dict[str, Any]:
    """Return a service's full record and the office responsible for the municipality."""
    engine = _engine(request)
    snap = engine.snapshot()
    with UnitOfWork(engine.engine) as uow:
        return catalog.get_service(
            uow,
            snap.jurisdiction,
            service_id=service_id,
            municipality=municipality or DEFAULT_MUNICIPALITY,
        )


@router.get("/services/{service_id}/history")
def service_history(request: Request, service_id: str) -> list[dict[str, Any]]:
    """Return who changed a service when, and what."""
    with UnitOfWork(_engine(request).engine) as uow:
        return catalog.service_history(uow, service_id=service_id)


@router.get("/authorities/{authority_id}")
def authority(request: Request, authority_id: str) -> dict[str, Any]:
    """Return an authority's contact data and opening hours."""
    with UnitOfWork(_engine(request).engine) as uow:
        return catalog.get_authority(uow, authority_id=authority_id)


class ContactIn(BaseModel):
    """A finished contact, as a telephony system reports it."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(max_length=20, description="115 | local | counter | email")
    outcome: str = Field(max_length=20, description="answered | appointment | forwarded | other")
    started_at: datetime = Field(description="ISO 8601 with offset")
    ended_at: datetime = Field(description="ISO 8601 with offset")
    service: str | None = Field(default=None, max_length=120)
    municipality: str | None = Field(default=None, max_length=80)


def contact_reporter(request: Request) -> int | None:
    """Who reports: an API token (None: no agent) or a logged-in agent with the CSRF header.

    A dependency, so it answers 401 before the body is even looked at.
    """
    from auskunft.web.auth import current_login, tokens_match

    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        with UnitOfWork(_engine(request).engine) as uow:
            valid = accounts.check_api_token(uow, header[7:].strip(), datetime.now(UTC))
            uow.commit()
        if valid is not None:
            return None
        raise NotAuthenticated(
            "Das API-Token ist ungültig oder zurückgezogen.",
            message_en="The API token is invalid or revoked.",
        )
    login = current_login(request)
    sent = request.headers.get("X-CSRF-Token", "")
    if login is not None and tokens_match(login.csrf_token, sent):
        return login.user_id
    raise NotAuthenticated(
        "Anmeldung nötig: ein API-Token (Authorization: Bearer …) oder eine Sitzung mit "
        "X-CSRF-Token.",
        message_en="Authentication needed: an API token (Authorization: Bearer …) or a "
        "session with X-CSRF-Token.",
    )


@router.post("/contacts", status_code=201)
def create_contact(
    request: Request,
    body: ContactIn,
    agent: Annotated[int | None, Depends(contact_reporter)],
) -> dict[str, Any]:
    """Log a contact (for statistics); no personal data is accepted."""
    engine = _engine(request)
    now = datetime.now(UTC)
    areas = set(engine.snapshot().jurisdiction.areas)
    with UnitOfWork(engine.engine) as uow:
        row = contacts.log_contact(
            uow,
            contacts.NewContact(
                channel=body.channel,
                outcome=body.outcome,
                started_at=body.started_at,
                ended_at=body.ended_at,
                service_id=body.service,
                municipality=body.municipality,
            ),
            areas=areas,
            now=now,
            agent_id=agent,
            source="api" if agent is None else "desk",
        )
        uow.commit()
        return contacts.public(row)
