"""JSON API of the figures: calls, contacts (first-contact resolution), partners,
appointments and concerns, for supervisors and administrators."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from auskunft.core.config import Settings
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, require_api, settings_of
from auskunft.core.web.openapi import errors
from auskunft.statistics.service import reports
from auskunft.telephony.model.figures import Definition, Formula
from auskunft.telephony.service import figures, live

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
    found = reports.call_report(
        uow, from_, to, group=group, channel=channel, definition=definition_of(settings)
    )
    uow.commit()  # the months summed for the first time are kept
    return found


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


class ContactRow(BaseModel):
    period: str
    contacts: int = Field(description="contacts logged (every contact has an outcome)")
    answered: int
    appointment: int
    forwarded: int
    other: int
    linked: int = Field(description="contacts joined to a telephone call's caller series")
    called_again: int = Field(
        description="followed by a call of the same caller about the same service within 7 days"
    )
    resolved: int = Field(description="answered or appointment, and not called again")
    resolved_self_reported: int = Field(description="answered or appointment")
    fcr: float | None = Field(description="first-contact resolution, measured")
    fcr_self_reported: float | None
    linked_share: float | None


class ContactReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    group: str
    channel: str | None
    definition: dict[str, Any]
    rows: list[ContactRow]
    total: ContactRow


class PartnerRow(BaseModel):
    period: str
    participant: str = Field(description="catalog participant id; '-' for contacts without service")
    name: str
    partner: bool = Field(description="a cooperation partner of the service center")
    contacts: int


class PartnerReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    group: str
    rows: list[PartnerRow]
    total: list[PartnerRow]


class AppointmentRow(BaseModel):
    period: str
    booked: int
    phone: int = Field(description="booked by an agent on the phone")
    online: int = Field(description="booked by the citizen on the web")
    cancelled: int = Field(description="of those booked, cancelled since")
    phone_share: float | None


class AppointmentReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    group: str
    rows: list[AppointmentRow]
    total: AppointmentRow


class ConcernRow(BaseModel):
    authority: str
    name: str
    forwarded: int
    answered_in_time: int
    answered_late: int
    overdue: int = Field(description="not answered, past its feedback time")
    open: int = Field(description="not answered, within its feedback time")
    in_time_rate: float | None


class ConcernTotal(BaseModel):
    forwarded: int
    answered_in_time: int
    answered_late: int
    overdue: int
    open: int
    in_time_rate: float | None


class ConcernReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    rows: list[ConcernRow]
    total: ConcernTotal


Group = Literal["day", "week", "month", "year"]


@router.get(
    "/contacts",
    response_model=ContactReport,
    response_model_by_alias=True,
    responses=errors(401, 403, 422),
    summary="Contacts per day, week, month, year: outcomes and first-contact resolution",
)
def contacts(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    group: Annotated[Group, Query()] = "day",
    channel: Annotated[Literal["115", "local", "counter", "email"] | None, Query()] = None,
) -> Any:
    found = reports.contact_report(uow, from_, to, group=group, channel=channel)
    uow.commit()
    return found


@router.get(
    "/partners",
    response_model=PartnerReport,
    response_model_by_alias=True,
    responses=errors(401, 403, 422),
    summary="Contacts per participant (partner) and period, for the billing between partners",
)
def partners(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    group: Annotated[Group, Query()] = "month",
) -> Any:
    found = reports.partner_report(uow, from_, to, group=group)
    uow.commit()
    return found


@router.get(
    "/appointments",
    response_model=AppointmentReport,
    response_model_by_alias=True,
    responses=errors(401, 403, 422),
    summary="Visits booked per period, by phone and online",
)
def appointments(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
    group: Annotated[Group, Query()] = "month",
) -> Any:
    return reports.appointment_report(uow, from_, to, group=group)


@router.get(
    "/concerns",
    response_model=ConcernReport,
    response_model_by_alias=True,
    responses=errors(401, 403, 422),
    summary="Concerns received per responsible authority: answered in time, late, overdue",
)
def concerns(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
) -> Any:
    return reports.concern_report(uow, from_, to, now=datetime.now(UTC))


class LiveBoard(BaseModel):
    at: str = Field(description="the moment (Europe/Berlin)")
    calls_waiting: int
    longest_wait_s: int = Field(description="how long the call waiting longest has waited")
    agents_talking: int
    agents_free: int = Field(description="logged in, not paused, not talking")
    agents_paused: int
    agents_logged_in: int
    today: CallRow
    definition: CallDefinition


@router.get(
    "/live",
    response_model=LiveBoard,
    responses=errors(401, 403),
    summary="The wallboard: calls waiting, longest wait, agents talking and free, today so far",
)
def live_board(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    settings: Annotated[Settings, Depends(settings_of)],
) -> Any:
    return live.board(uow, datetime.now(UTC), definition_of(settings))


class ServiceRow(BaseModel):
    service: str
    name: str
    topic: str
    topic_name: str
    contacts: int
    share: float | None


class TopicRow(BaseModel):
    topic: str
    name: str
    contacts: int
    share: float | None


class ServiceReport(BaseModel):
    from_: str = Field(alias="from")
    to: str
    services: list[ServiceRow]
    topics: list[TopicRow]
    without_service: int
    contacts: int


@router.get(
    "/services",
    response_model=ServiceReport,
    response_model_by_alias=True,
    responses=errors(401, 403, 422),
    summary="Contacts per service and per topic (life situation), most asked first",
)
def services(
    uow: Uow,
    _reader: Annotated[Login, Depends(api_reader)],
    from_: Annotated[date, Query(alias="from")],
    to: Annotated[date, Query()],
) -> Any:
    found = reports.service_report(uow, from_, to)
    uow.commit()
    return found
