"""The citizen's rights in the JSON API, for supervisors and administrators with a personal
API token (or a session with X-CSRF-Token): the same use cases as the page.

All three are POSTs with the address or number in the body, so it never lands in a URL or
an access log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.errors import Forbidden, InvalidInput
from auskunft.core.principal import Login
from auskunft.core.web.deps import SettingsDep, Uow, api_caller, component
from auskunft.core.web.openapi import errors
from auskunft.privacy.model.subject import subject
from auskunft.privacy.service import document, rights
from auskunft.privacy.web.pages import LEADS, retention_of

router = APIRouter(prefix="/api/v1/privacy", tags=["privacy"])
ANSWERS = errors(400, 401, 403, 422, 503)


def lead(caller: Annotated[Login | None, Depends(api_caller)]) -> Login:
    """A supervisor or an administrator (a machine token is nobody's)."""
    if caller is None:
        raise Forbidden(
            "Auskunft und Löschung nur mit einem persönlichen API-Token "
            "(auskunft token create NAME --user USERNAME).",
            message_en="Access and erasure need a personal API token "
            "(auskunft token create NAME --user USERNAME).",
        )
    if not caller.has(*LEADS):
        raise Forbidden(
            "Auskunft und Löschung nach der DSGVO sind der Leitung und der Administration "
            "vorbehalten.",
            message_en="Access and erasure under the GDPR are for supervisors and administrators.",
        )
    return caller


Lead = Annotated[Login, Depends(lead)]
Policy = Annotated[BookingPolicy, Depends(component(BookingPolicy))]


class PersonIn(BaseModel):
    """Whom the request is about: an e-mail address, a phone number, or both."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=254, examples=["anna@example.de"])
    phone: str | None = Field(default=None, max_length=40, examples=["+49 561 123456"])


class EraseIn(PersonIn):
    confirm: bool = Field(
        default=False, strict=True, description="must be true (JSON true): the erasure is final"
    )


class Erased(BaseModel):
    cancelled: int = Field(description="coming appointments cancelled, their time freed")
    appointments: int = Field(description="appointments anonymised (the cancelled among them)")
    waitlist: int = Field(description="waitlist entries deleted")
    concerns: int = Field(description="concerns anonymised")
    closed_concerns: int = Field(description="open concerns among them, closed")


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/search", responses=ANSWERS)
def privacy_search_api(body: PersonIn, uow: Uow, login: Lead) -> dict[str, Any]:
    """Everything stored about an e-mail address (by mailbox: case and "+tag" aside) or a
    phone number (by its digits): appointments, waitlist entries, concerns. Recorded."""
    who = subject(body.email, body.phone)
    found = rights.find(uow, who, login=login, now=_now())
    uow.commit()
    return document.records_json(found)


@router.post("/export", responses=ANSWERS)
def privacy_export_api(
    body: PersonIn, uow: Uow, settings: SettingsDep, login: Lead
) -> dict[str, Any]:
    """The Art. 15 document: the records, purposes, legal bases, retention, recipients, the
    person's rights, and the same as a letter in German (`letter`). Recorded."""
    who = subject(body.email, body.phone)
    found = rights.export(uow, who, fmt="json", login=login, now=_now())
    uow.commit()
    return document.as_json(found, retention_of(settings))


@router.post("/erase", responses=ANSWERS)
def privacy_erase_api(body: EraseIn, uow: Uow, policy: Policy, login: Lead) -> Erased:
    """Erase the person's data (with `"confirm": true`): coming appointments cancelled and
    their time freed, waitlist entries deleted, appointments and concerns anonymised. In
    one transaction; a second call finds nothing more. Recorded."""
    who = subject(body.email, body.phone)
    if body.confirm is not True:
        raise InvalidInput(
            'Die Löschung ist endgültig: bitte mit "confirm": true bestätigen.',
            message_en='The erasure is final: please confirm with "confirm": true.',
        )
    done = rights.erase(uow, policy, who, login=login, now=_now())
    uow.commit()
    return Erased(**done.as_json())
