"""JSON API v1 of the feedback clock: when is feedback due, and when does the service
center work (a resource the telephony system, partners and the product's own pages ask)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from auskunft.core.web.deps import SettingsDep, Uow
from auskunft.core.web.openapi import errors
from auskunft.forwarding.service import calendar

router = APIRouter(prefix="/api/v1/service-calendar", tags=["service calendar"])


@router.get("/due", responses=errors(422, 503))
def due(
    uow: Uow,
    settings: SettingsDep,
    from_: Annotated[
        datetime, Query(alias="from", description="ISO 8601 with offset: when it was received")
    ],
    hours: Annotated[int | None, Query(ge=1, le=1000, description="default: the promise")] = None,
) -> dict[str, Any]:
    """The earliest moment at which `hours` of service time have passed since `from`."""
    return calendar.due(
        uow,
        settings.service_week(),
        start=from_,
        hours=hours if hours is not None else settings.feedback_hours,
    )


@router.get("", responses=errors(422, 503))
def open_intervals(
    uow: Uow,
    settings: SettingsDep,
    from_: Annotated[date, Query(alias="from")],
    to: date,
) -> dict[str, Any]:
    """The service center's open intervals from one day to another (at most a year)."""
    return calendar.open_intervals(uow, settings.service_week(), first=from_, last=to)
