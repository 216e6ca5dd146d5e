"""JSON API v1 of the desk: the contact log, fed by the telephony system or the desk page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, api_caller, component, require_api
from auskunft.core.web.openapi import errors
from auskunft.desk import service as contacts
from auskunft.search.service.engine import SearchEngine
from auskunft.telephony.service import live

router = APIRouter(prefix="/api/v1")

desk_person = require_api(
    *(role for role in Role if role is not Role.DPO),
    refusal=(
        "Den verbundenen Anruf sieht die Person am Platz, mit ihrem eigenen API-Token.",
        "The connected call is for the person at the desk, with their own API token.",
    ),
)


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


class ConnectedCall(BaseModel):
    call_id: str
    channel: str | None = Field(description="115 | local, from the number dialled or the queue")
    agent: str | None
    answered_at: str
    wait_s: int | None
    area_code: str | None = Field(description="the caller's area code (e.g. 0561), not the number")
    area_label: str | None
    municipalities: list[str] = Field(description="catalog municipalities the code serves")
    suggested_municipality: str | None = Field(
        description="set only where the area code serves exactly one municipality"
    )


@router.get(
    "/desk/call",
    response_model=ConnectedCall | None,
    responses=errors(401, 403),
    summary="The call just connected to the caller's own agent (the desk's screen pop)",
)
def connected_call(caller: Annotated[Login, Depends(desk_person)], uow: Uow) -> Any:
    """null when the telephone system connected no call to this person's agent in the last
    15 minutes that is still being talked."""
    return live.connected_call(uow, caller.user_id, datetime.now(UTC))
