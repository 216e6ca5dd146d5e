"""JSON API v1 of appointments: locations, slots, booking, managing, the waitlist."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from auskunft.appointments.service import booking, waitlist
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.web.deps import Uow, component
from auskunft.core.web.openapi import errors
from auskunft.core.web.ratelimit import limit

router = APIRouter(prefix="/api/v1", tags=["appointments"])
Limited = Annotated[None, Depends(limit)]
Token = Annotated[str, Query(max_length=100, description="The manage token from the booking")]
EntryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Code = Annotated[str, Path(max_length=12)]


Policy = Annotated[BookingPolicy, Depends(component(BookingPolicy))]


class AppointmentIn(BaseModel):
    """A booking request."""

    model_config = ConfigDict(extra="forbid")

    services: list[Annotated[str, Field(max_length=120)]] = Field(min_length=1, max_length=5)
    location: str = Field(max_length=120)
    start: datetime = Field(description="ISO 8601 with offset, one of the offered slots")
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    language: str = Field(default="de", pattern="^(de|en)$")


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: datetime = Field(description="ISO 8601 with offset, one of the offered slots")


class WaitlistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(max_length=120)
    location: str = Field(max_length=120)
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    language: str = Field(default="de", pattern="^(de|en)$")


@router.get("/locations", responses=errors(503))
def locations(uow: Uow) -> list[dict[str, Any]]:
    """Every location that takes bookings, with the services bookable there."""
    return booking.list_locations(uow)


@router.get("/slots", responses=errors(404, 422, 429, 503))
def slots(
    uow: Uow,
    policy: Policy,
    _limited: Limited,
    service: Annotated[list[Annotated[str, Field(max_length=120)]], Query(max_length=5)],
    location: Annotated[str, Query(max_length=120)],
    from_: Annotated[date, Query(alias="from")],
    to: date,
) -> dict[str, Any]:
    """Free start times for the services (durations add up) at a location, day by day."""
    found = booking.find_slots(
        uow,
        policy,
        service_ids=service,
        location_id=location,
        first=from_,
        last=to,
        now=datetime.now(UTC),
    )
    return {"slots": [{"start": booking.iso(s.start), "end": booking.iso(s.end)} for s in found]}


def _booked(record: dict[str, Any], token: str) -> dict[str, Any]:
    keys = ("code", "start", "end", "location", "services", "status")
    answer = {key: record[key] for key in keys}
    answer["manage_token"] = token
    if "expires_at" in record:
        answer["expires_at"] = record["expires_at"]
    return answer


# response_model=None: FastAPI would otherwise validate the answer against
# dict[str, Any] in a second trip through the thread pool, on every booking.
@router.post(
    "/appointments",
    status_code=201,
    response_model=None,
    responses=errors(400, 404, 409, 422, 429, 503),
)
def create(uow: Uow, policy: Policy, body: AppointmentIn, _limited: Limited) -> dict[str, Any]:
    """Book; 409 when the slot was taken meanwhile, 429 over a limit."""
    done = booking.book(
        uow,
        policy,
        service_ids=body.services,
        location_id=body.location,
        start=body.start,
        person=booking.Person(body.name, body.email, body.phone or "", body.language),
        now=datetime.now(UTC),
    )
    uow.commit()
    return _booked(booking.public(done.appointment), done.manage_token)


@router.get("/appointments/{code}", responses=errors(404, 422, 429, 503))
def read(uow: Uow, policy: Policy, code: Code, token: Token, _limited: Limited) -> dict[str, Any]:
    """An appointment, for whoever holds its manage token."""
    return booking.public(booking.find(uow, policy, code, token))


@router.delete("/appointments/{code}", responses=errors(404, 409, 422, 429, 503))
def cancel(uow: Uow, policy: Policy, code: Code, token: Token, _limited: Limited) -> dict[str, Any]:
    """Cancel (or decline a waitlist offer); the time goes to the waitlist first."""
    row = booking.cancel(uow, policy, code=code, token=token, now=datetime.now(UTC))
    uow.commit()
    return booking.public(row)


@router.post("/appointments/{code}/reschedule", responses=errors(400, 404, 409, 422, 429, 503))
def reschedule(
    uow: Uow, policy: Policy, code: Code, token: Token, body: RescheduleIn, _limited: Limited
) -> dict[str, Any]:
    """Move to another free start at the same location; 409 leaves the old time as it was."""
    row = booking.reschedule(
        uow, policy, code=code, token=token, start=body.start, now=datetime.now(UTC)
    )
    uow.commit()
    return booking.public(row)


@router.post("/appointments/{code}/accept", responses=errors(404, 409, 422, 429, 503))
def accept(uow: Uow, policy: Policy, code: Code, token: Token, _limited: Limited) -> dict[str, Any]:
    """Accept a slot offered from the waitlist while the offer is held."""
    row = waitlist.accept(uow, policy, code=code, token=token, now=datetime.now(UTC))
    uow.commit()
    return booking.public(row)


@router.post("/waitlist", status_code=201, responses=errors(400, 404, 409, 422, 429, 503))
def join_waitlist(uow: Uow, policy: Policy, body: WaitlistIn, _limited: Limited) -> dict[str, Any]:
    """Wait for a slot when none is free in the horizon; offers come by e-mail, in order."""
    entry, token = waitlist.join(
        uow,
        policy,
        service_id=body.service,
        location_id=body.location,
        person=booking.Person(body.name, body.email, body.phone or "", body.language),
        now=datetime.now(UTC),
    )
    uow.commit()
    return {**waitlist.public_entry(uow, entry), "token": token}


@router.get("/waitlist/{entry_id}", responses=errors(404, 422, 429, 503))
def read_waitlist(
    uow: Uow, policy: Policy, entry_id: EntryId, token: Token, _limited: Limited
) -> dict[str, Any]:
    """A waitlist entry with its place in line."""
    return waitlist.public_entry(uow, waitlist.find_entry(uow, policy, entry_id, token))


@router.delete("/waitlist/{entry_id}", responses=errors(404, 409, 422, 429, 503))
def leave_waitlist(
    uow: Uow, policy: Policy, entry_id: EntryId, token: Token, _limited: Limited
) -> dict[str, Any]:
    """Leave the waitlist."""
    waitlist.leave(uow, policy, entry_id=entry_id, token=token)
    uow.commit()
    return waitlist.public_entry(uow, waitlist.find_entry(uow, policy, entry_id, token))
