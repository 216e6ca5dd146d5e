"""The link checker's JSON API: the links and their state, and a round on request
(personal API tokens or the session; the roles and partner rule of the editorial pages)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, Field

from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, require_api
from auskunft.core.web.openapi import errors
from auskunft.links.service import listing, rounds

router = APIRouter(prefix="/api/v1", tags=["editorial"])

EDITORS = (Role.EDITOR, Role.SUPERVISOR)
Editor = Annotated[
    Login,
    Depends(
        require_api(
            *EDITORS,
            refusal=(
                "Die Linkprüfung sieht die Redaktion, mit einem persönlichen API-Token.",
                "The link check is for editors, with a personal API token.",
            ),
        )
    ),
]
State = Literal["dead", "refused", "failing", "unchecked", "ok", "problems", "all"]


class Use(BaseModel):
    service: str = Field(description="service id (/redaktion/leistungen/{id})")
    name: str
    participant: str
    where: Literal["online_service", "form"]
    title: str = Field(description="the form's title ('' for the online service)")


class CheckedLink(BaseModel):
    url: str
    state: Literal["dead", "refused", "failing", "unchecked", "ok"] = Field(
        description="dead: failed on two checks at least an hour apart; failing: failed "
        "once; refused: the checker may not ask it (scheme, user name, not a public address)"
    )
    status_code: int | None = Field(description="the HTTP status of the last check, if any")
    reason: str = Field(
        description="why it failed or was refused: http, dns, connect, timeout, tls, "
        "protocol, redirects, loop, scheme, userinfo, malformed, private"
    )
    detail: str
    since: datetime | None = Field(description="first failure (or refusal) of this run")
    last_checked_at: datetime | None
    last_ok_at: datetime | None
    next_check_at: datetime
    uses: list[Use]


class LinksAnswer(BaseModel):
    links: list[CheckedLink]
    counts: dict[str, int] = Field(description="the links the caller sees, by state")
    last_round_at: datetime | None
    last_round_checked: int
    last_round_seconds: float


class Queued(BaseModel):
    queued: bool = True


@router.get(
    "/editorial/links", response_model=LinksAnswer, responses=errors(400, 401, 403, 422, 503)
)
def get_links(
    uow: Uow,
    login: Editor,
    state: Annotated[
        State, Query(description="problems: dead and refused; all: every link")
    ] = "all",
) -> Any:
    """The links of online services and forms of the services the caller may edit."""
    found = listing.listing(uow, login, state=state)
    return jsonable_encoder(asdict(found))


@router.post(
    "/editorial/links/check",
    status_code=202,
    response_model=Queued,
    responses=errors(401, 403, 503),
)
def check_links(uow: Uow, login: Editor) -> Any:
    """Check every link now: a job for the worker (the answer comes before the checks)."""
    rounds.request_round(uow, now=datetime.now(UTC))
    uow.commit()
    return {"queued": True}
