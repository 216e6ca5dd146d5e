"""JSON API of the figures: `GET /api/v1/statistics/calls` (and, as they are built, the
contacts and the partners), for supervisors and administrators."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from auskunft.core.config import Settings
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, require_api, settings_of
from auskunft.core.web.openapi import errors
from auskunft.telephony.model.figures import Definition, Formula
from auskunft.telephony.service import figures

router = APIRouter(prefix="/api/v1/statistics", tags=["statistics"])

READERS = (Role.SUPERVISOR, Role.ADMIN)


api_reader = require_api(
    *READERS,
    refusal=(
        "Die Statistik sieht die Leitung, mit einem persönlichen API-Token.",
        "The statistics are for supervisors, with a personal API token.",
    ),
)


def definition_of(settings: Settings) -> Definition:
    return Definition(
        within_s=settings.service_level_seconds,
        short_abandon_s=settings.short_abandon_seconds,
        formula=Formula(settings.service_level_formula),
    )


class CallRow(BaseModel):
    period: str = Field(description="interval (ISO start), day, ISO week, month or year")
    offered: int
    answered: int
    abandoned: int = Field(description="not answered, after more than the short cutoff")
    abandoned_short: int
    answered_within_30s: int = Field(description="within the service-level seconds")
    service_level: float | None
    asa_s: float | None
    aht_s: float | None
    abandonment_rate: float | None
    share_115: float | None


class CallDefinition(BaseModel):
    within_s: int
    short_abandon_s: int
    formula: str


class CallReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    group: str
    channel: str | None
    definition: CallDefinition
    rows: list[CallRow]
    total: CallRow


class AbandonedCall(BaseModel):
    entered_at: str
    wait_s: int
    short: bool
    result: str | None
    channel: str | None
    queue: str


@router.get(
    "/calls",
    response_model=CallReport,
    response_model_by_alias=True,
    responses=errors(401, 403, 422),
    summary="Call figures per interval, day, month (offered, answered, service level, ...)",
)
def calls(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    settings: Annotated[Settings, Depends(settings_of)],
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    group: Annotated[Literal["interval", "day", "week", "month", "year"], Query()] = "day",
    channel: Annotated[Literal["115", "local", "unknown"] | None, Query()] = None,
) -> Any:
    return figures.call_report(
        uow, from_, to, group=group, channel=channel, definition=definition_of(settings)
    )


@router.get(
    "/calls/abandoned",
    response_model=list[AbandonedCall],
    responses=errors(401, 403, 422),
    summary="The calls of a day that were not answered, by time and wait",
)
def abandoned(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    settings: Annotated[Settings, Depends(settings_of)],
    day: Annotated[date, Query()],
) -> Any:
    return figures.abandoned_calls(uow, day, definition_of(settings))
