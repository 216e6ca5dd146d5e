"""JSON API v1 of concerns: everything the desk, the inbox and the supervisor's list do, for
the telephony system, partners and checks; authorised by a staff member's personal API
token (or session) with the same role and tenant rules as their pages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from auskunft.core.errors import AuskunftError
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import SettingsDep, Uow, api_caller, component
from auskunft.core.web.openapi import errors
from auskunft.core.web.params import RowId
from auskunft.core.web.ratelimit import limit
from auskunft.forwarding.model.concern import Citizen
from auskunft.forwarding.service import concerns
from auskunft.search.service.engine import SearchEngine

router = APIRouter(prefix="/api/v1/concerns", tags=["concerns"])

# Who works with concerns: everybody but the catalog's editors.
WORK_ROLES = (Role.AGENT, Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
# A generous cap before the service's own, clearer limits (5,000 characters).
BODY_TEXT = 20_000


class Forbidden(AuskunftError):
    status = 403
    code = "forbidden"


def staff(caller: Annotated[Login | None, Depends(api_caller)]) -> Login:
    """A person with a role that works on concerns (a machine token is nobody's)."""
    if caller is None:
        raise Forbidden(
            "Anliegen bearbeiten nur Personen: bitte ein persönliches API-Token verwenden "
            "(auskunft token create NAME --user USERNAME).",
            message_en="Only people work on concerns: please use a personal API token "
            "(auskunft token create NAME --user USERNAME).",
        )
    if not caller.has(*WORK_ROLES):
        raise Forbidden(
            "Ihre Rolle bearbeitet keine Anliegen.",
            message_en="Your role does not work on concerns.",
        )
    return caller


Staff = Annotated[Login, Depends(staff)]
# A step on a concern with a body (400: a body that is no JSON at all).
WITH_BODY = errors(400, 401, 403, 404, 409, 422, 503)
Search = Annotated[SearchEngine, Depends(component(SearchEngine))]


class CitizenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=BODY_TEXT)
    email: str | None = Field(default=None, max_length=BODY_TEXT)
    phone: str | None = Field(default=None, max_length=BODY_TEXT)
    preferred: str = Field(default="email", max_length=20, description="email | phone")
    callback: str | None = Field(default=None, max_length=BODY_TEXT)


class ConcernIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=BODY_TEXT)
    service: str | None = Field(default=None, max_length=200)
    municipality: str | None = Field(default=None, max_length=200)
    authority: str | None = Field(default=None, max_length=200)
    channel: str = Field(max_length=20, description="115 | local | email | web | counter | letter")
    received_at: datetime | None = Field(
        default=None, description="for letters and e-mails: not in the future, ≤ 30 days back"
    )
    citizen: CitizenIn
    consent: bool = False
    language: Literal["de", "en"] = "de"


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=BODY_TEXT)
    via: str = Field(max_length=20, description="email | phone | public")


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=BODY_TEXT)


class ForwardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority: str = Field(max_length=200)


class TextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=BODY_TEXT)


class OptionalTextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(default="", max_length=BODY_TEXT)


def _now() -> datetime:
    return datetime.now(UTC)


def _shown(uow: Any, login: Login, concern_id: int, now: datetime) -> dict[str, Any]:
    row = concerns.open_concern(uow, login, concern_id, via="api", now=now)
    return concerns.full(uow, row, now)


@router.post("", status_code=201, responses=errors(400, 401, 403, 404, 422, 503))
def create(
    body: ConcernIn, uow: Uow, settings: SettingsDep, search: Search, login: Staff
) -> dict[str, Any]:
    """Take a concern in and forward it; without an authority the jurisdiction decides."""
    now = _now()
    citizen = body.citizen
    row = concerns.create(
        uow,
        search.snapshot().jurisdiction,
        concerns.Policy.from_settings(settings),
        concerns.NewConcern(
            question=body.question,
            channel=body.channel,
            citizen=Citizen(
                name=citizen.name,
                email=citizen.email or "",
                phone=citizen.phone or "",
                preferred=citizen.preferred,
                callback=citizen.callback or "",
            ),
            consent=body.consent,
            service_id=body.service,
            municipality=body.municipality,
            authority_id=body.authority,
            received_at=body.received_at,
            source="api",
            language=body.language,
        ),
        login=login,
        now=now,
    )
    uow.commit()
    return concerns.full(uow, row, now)


@router.get("", responses=errors(401, 403, 422, 503))
def listing(
    uow: Uow,
    login: Staff,
    status: str | None = None,
    overdue: bool | None = None,
    authority: str | None = None,
) -> dict[str, Any]:
    """Concerns most urgent first: a clerk's own authorities', everybody's for the center."""
    now = _now()
    found = concerns.listing(
        uow,
        login,
        statuses=concerns.parse_status(status),
        overdue=overdue,
        now=now,
        authority=authority,
    )
    return {"concerns": found, "count": len(found)}


@router.get("/overview", responses=errors(401, 403, 503))
def supervisor_overview(uow: Uow, login: Staff) -> dict[str, Any]:
    """Every overdue and returned concern (the supervisor's list)."""
    if not login.has(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(
            "Die Übersicht sehen die Leitung und die Administration (wie die Seite "
            "/admin/anliegen).",
            message_en="The overview is for supervisors and administrators (as the page "
            "/admin/anliegen).",
        )
    found = concerns.supervisor_list(uow, now=_now())
    return {"concerns": found, "count": len(found)}


@router.get("/access-log", responses=errors(401, 403, 503))
def access_log(uow: Uow, login: Staff) -> dict[str, Any]:
    """Who opened which concern's personal data in the last 30 days (supervisors)."""
    if not login.has(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden(
            "Das Zugriffsprotokoll sehen die Leitung und die Administration.",
            message_en="The access log is for supervisors and administrators.",
        )
    return {"accesses": concerns.access_log(uow, now=_now())}


@router.get("/track/{code}", dependencies=[Depends(limit)], responses=errors(404, 422, 429, 503))
def track(uow: Uow, code: str) -> dict[str, Any]:
    """The citizen's view by tracking code: no personal data, not the question."""
    return concerns.track(uow, code[:64], now=_now())


@router.get("/{concern_id}", responses=errors(401, 403, 404, 422, 503))
def get(uow: Uow, login: Staff, concern_id: RowId) -> dict[str, Any]:
    now = _now()
    shown = _shown(uow, login, concern_id, now)
    uow.commit()  # the access record
    return shown


@router.post("/{concern_id}/take", responses=errors(401, 403, 404, 409, 422, 503))
def take(uow: Uow, login: Staff, concern_id: RowId) -> dict[str, Any]:
    now = _now()
    concerns.take(uow, login, concern_id, now=now)
    return _done(uow, login, concern_id, now)


@router.post("/{concern_id}/answer", responses=WITH_BODY)
def answer(uow: Uow, login: Staff, concern_id: RowId, body: AnswerIn) -> dict[str, Any]:
    now = _now()
    concerns.answer(uow, login, concern_id, text=body.text, via=body.via, now=now)
    return _done(uow, login, concern_id, now)


@router.post("/{concern_id}/return", responses=WITH_BODY)
def give_back(uow: Uow, login: Staff, concern_id: RowId, body: ReturnIn) -> dict[str, Any]:
    now = _now()
    concerns.give_back(uow, login, concern_id, reason=body.reason, now=now)
    return _done(uow, login, concern_id, now)


@router.post("/{concern_id}/forward", responses=WITH_BODY)
def forward(
    uow: Uow, settings: SettingsDep, login: Staff, concern_id: RowId, body: ForwardIn
) -> dict[str, Any]:
    now = _now()
    concerns.forward(
        uow,
        login,
        concerns.Policy.from_settings(settings),
        concern_id,
        authority_id=body.authority,
        now=now,
    )
    return _done(uow, login, concern_id, now)


@router.post("/{concern_id}/note", responses=WITH_BODY)
def note(uow: Uow, login: Staff, concern_id: RowId, body: TextIn) -> dict[str, Any]:
    now = _now()
    concerns.note(uow, login, concern_id, text=body.text, now=now)
    return _done(uow, login, concern_id, now)


@router.post("/{concern_id}/ask", responses=WITH_BODY)
def ask(
    uow: Uow, settings: SettingsDep, login: Staff, concern_id: RowId, body: TextIn
) -> dict[str, Any]:
    """A question back to the citizen: waiting_for_citizen, the clock stops."""
    now = _now()
    policy = concerns.Policy.from_settings(settings)
    concerns.ask_citizen(uow, login, policy, concern_id, text=body.text, now=now)
    return _done(uow, login, concern_id, now)


@router.post("/{concern_id}/resume", responses=WITH_BODY)
def resume(
    uow: Uow, settings: SettingsDep, login: Staff, concern_id: RowId, body: OptionalTextIn
) -> dict[str, Any]:
    """The citizen replied: in_progress again, the clock runs on."""
    now = _now()
    policy = concerns.Policy.from_settings(settings)
    concerns.citizen_replied(uow, login, policy, concern_id, text=body.text, now=now)
    return _done(uow, login, concern_id, now)


def _done(uow: Any, login: Login, concern_id: int, now: datetime) -> dict[str, Any]:
    """Commit the step, then answer with the concern as GET shows it."""
    uow.commit()
    row = concerns.open_concern(uow, login, concern_id, via="api", now=now)
    shown = concerns.full(uow, row, now)
    uow.commit()
    return shown
