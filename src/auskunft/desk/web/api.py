"""JSON API v1 of the desk: the contact log, fed by the telephony system or the desk page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from auskunft.core.principal import Login
from auskunft.core.web.deps import Uow, api_caller, component
from auskunft.core.web.openapi import errors
from auskunft.desk import service as contacts
from auskunft.search.service.engine import SearchEngine

router = APIRouter(prefix="/api/v1")


class ContactIn(BaseModel):
    """A finished contact, as a telephony system reports it."""

    model_config = ConfigDict(extra="forbid")

    channel: str = Field(max_length=20, description="115 | local | counter | email")
    outcome: str = Field(max_length=20, description="answered | appointment | forwarded | other")
    started_at: datetime = Field(description="ISO 8601 with offset")
    ended_at: datetime = Field(description="ISO 8601 with offset")
    service: str | None = Field(default=None, max_length=120)
    municipality: str | None = Field(default=None, max_length=80)
    call_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="the telephone system's call id (queue_log), joining call and contact",
    )


@router.post("/contacts", status_code=201, responses=errors(400, 401, 422, 503))
def create_contact(
    body: ContactIn,
    uow: Uow,
    search: Annotated[SearchEngine, Depends(component(SearchEngine))],
    # A dependency, so it answers 401 before the body is even looked at.
    caller: Annotated[Login | None, Depends(api_caller)],
) -> dict[str, Any]:
    """Log a contact (for statistics); no personal data is accepted."""
    agent = caller.user_id if caller is not None else None
    row = contacts.log_contact(
        uow,
        contacts.NewContact(
            channel=body.channel,
            outcome=body.outcome,
            started_at=body.started_at,
            ended_at=body.ended_at,
            service_id=body.service,
            municipality=body.municipality,
            call_id=body.call_id,
        ),
        areas=set(search.snapshot().jurisdiction.areas),
        now=datetime.now(UTC),
        agent_id=agent,
        source="api" if agent is None else "desk",
    )
    uow.commit()
    return contacts.public(row)
