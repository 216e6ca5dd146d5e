"""`POST /api/v1/telephony/events`: the telephone system's queue events, live; which staff
account answers as which agent (`/api/v1/telephony/agents`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from auskunft.core.config import Settings
from auskunft.core.errors import Forbidden, NotFound
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, api_caller, require_api, settings_of
from auskunft.core.web.openapi import errors
from auskunft.telephony.service import calls, live

router = APIRouter(prefix="/api/v1/telephony", tags=["telephony"])

FEEDERS = (Role.SUPERVISOR, Role.ADMIN)


def api_feeder(caller: Annotated[Login | None, Depends(api_caller)]) -> Login | None:
    """The telephone system's machine token, or a supervisor's or administrator's."""
    if caller is not None and caller.role not in FEEDERS:
        raise Forbidden(
            "Anrufereignisse liefert die Telefonanlage (API-Token der Integration) oder die "
            "Leitung.",
            message_en="Call events come from the telephone system (an integration's API "
            "token) or from supervisors.",
        )
    return caller


class QueueEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    time: float = Field(description="Unix time of the event (seconds)")
    call_id: str = Field(min_length=1, max_length=64)
    queue: str = Field(default="NONE", max_length=80)
    agent: str = Field(default="NONE", max_length=80)
    event: str = Field(min_length=1, max_length=40, examples=["ENTERQUEUE"])
    data: list[str | int] = Field(default_factory=list, max_length=10)


class EventBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[QueueEvent | str] = Field(
        min_length=1,
        max_length=1000,
        description="objects, or queue_log lines `epoch|callid|queue|agent|event|data...`",
    )


class EventsTaken(BaseModel):
    events: int
    new: int
    updated: int
    unchanged: int


@router.post(
    "/events",
    response_model=EventsTaken,
    responses=errors(400, 401, 403, 409, 422),
    summary="Queue events of the telephone system (queue_log), applied in one transaction",
)
def post_events(
    batch: EventBatch,
    uow: Uow,
    _feeder: Annotated[Login | None, Depends(api_feeder)],
    settings: Annotated[Settings, Depends(settings_of)],
) -> EventsTaken:
    raw: list[Any] = [item if isinstance(item, str) else item.model_dump() for item in batch.events]
    events = calls.parse_events(raw)
    report = calls.record_events(
        uow, events, channels=settings.telephony_channels, now=datetime.now(UTC)
    )
    uow.commit()
    return EventsTaken(
        events=report.events, new=report.new, updated=report.updated, unchanged=report.unchanged
    )


LINKERS = (Role.SUPERVISOR, Role.ADMIN)
api_linker = require_api(
    *LINKERS,
    refusal=(
        "Welche Person als welcher Agent telefoniert, legt die Leitung fest.",
        "Supervisors decide which person answers as which agent.",
    ),
)


class AgentLinkBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)


class AgentLinkOut(BaseModel):
    agent: str
    username: str


@router.get(
    "/agents",
    response_model=list[AgentLinkOut],
    responses=errors(401, 403),
    summary="Which staff account answers as which agent of the telephone system",
)
def agents(uow: Uow, _who: Annotated[Login, Depends(api_linker)]) -> Any:
    return live.agent_links(uow)


@router.put(
    "/agents/{agent:path}",
    response_model=AgentLinkOut,
    responses=errors(401, 403, 404, 422),
    summary="Let a staff account answer as this agent (for the desk's screen pop)",
)
def link_agent(
    agent: Annotated[str, Path(max_length=80)],
    body: AgentLinkBody,
    uow: Uow,
    _who: Annotated[Login, Depends(api_linker)],
) -> Any:
    linked = live.link_agent(uow, agent, body.username)
    uow.commit()
    return linked


@router.delete(
    "/agents/{agent:path}",
    status_code=204,
    responses=errors(401, 403, 404, 422),
    summary="Remove an agent's link to a staff account",
)
def unlink_agent(
    agent: Annotated[str, Path(max_length=80)],
    uow: Uow,
    _who: Annotated[Login, Depends(api_linker)],
) -> Response:
    if live.unlink_agent(uow, agent) == 0:
        raise NotFound(
            f"Der Agent „{agent[:80]}“ ist mit niemandem verknüpft.",
            message_en=f"The agent '{agent[:80]}' is linked to nobody.",
        )
    uow.commit()
    return Response(status_code=204)
