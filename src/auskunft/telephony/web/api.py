"""`POST /api/v1/telephony/events`: the telephone system's queue events, live."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from auskunft.core.config import Settings
from auskunft.core.errors import Forbidden
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, api_caller, settings_of
from auskunft.core.web.openapi import errors
from auskunft.telephony.service import calls

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
