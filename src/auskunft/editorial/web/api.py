"""The editorial JSON API: drafts, review, publication, history (personal API tokens or
the session; the same roles and partner rules as the pages)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from auskunft.catalog.service import queries as catalog_queries
from auskunft.core.errors import NotFound
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, component, optional_api_caller, require_api
from auskunft.core.web.openapi import errors
from auskunft.editorial.service import drafts, gaps, offices, overview
from auskunft.search.service.engine import SearchEngine

router = APIRouter(prefix="/api/v1", tags=["editorial"])

EDITORS = (Role.EDITOR, Role.SUPERVISOR)
api_editor = require_api(
    *EDITORS,
    refusal=(
        "Der Katalog wird von der Redaktion gepflegt, mit einem persönlichen API-Token.",
        "The catalog is kept by editors, with a personal API token.",
    ),
)
Editor = Annotated[Login, Depends(api_editor)]
Search = Annotated[SearchEngine, Depends(component(SearchEngine))]
ServiceId = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._-]+$")]


class Fee(BaseModel):
    text: str = Field(description='the fee as the page shows it, e.g. "46,00 € ab 24 Jahren"')
    amount_eur: float | None = Field(default=None, description="the amount; needed unless note")
    note: bool = Field(default=False, description="a hint without amount (e.g. gebührenfrei)")


class Link(BaseModel):
    title: str
    url: str


class Responsibility(BaseModel):
    area: str = Field(description="area id (catalog)")
    authority: str = Field(description="authority id responsible for this service there")


class Record(BaseModel):
    """The editable record of a service (what GET gives back, with `version`)."""

    model_config = ConfigDict(extra="allow")

    version: int = Field(description="the version this record was based on (from GET)")
    name: str = ""
    name_en: str = ""
    summary: str = ""
    summary_en: str = ""
    description: str = Field(default="", description="Markdown; HTML is removed")
    description_en: str = ""
    topic: str = ""
    kind: str = ""
    participant: str = ""
    appointment: bool = False
    duration_minutes: int | None = None
    prerequisites: list[str] = []
    documents: list[str] = []
    fees: list[Fee | str] = []
    processing_time: str = ""
    deadlines: str = ""
    legal_basis: list[str] = []
    online_service: str | None = None
    leika: str | None = Field(default=None, description="LeiKa key(s), 14 digits each")
    keywords: list[str] = []
    questions: list[str] = Field(default=[], description="typical questions of callers")
    forms: list[Link] = []
    links: list[Link] = []
    jurisdiction: list[Responsibility] = Field(
        default=[], description="per area, the responsible authority where it differs from the rule"
    )
    editor: str | None = Field(default=None, description="the responsible editor")
    review_months: int | None = Field(default=None, description="review interval (default 12)")


class NewRecord(Record):
    version: int = 0
    id: str | None = Field(default=None, description="slug; made from the name when left out")


class DraftAnswer(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    version: int
    state: Literal["draft", "review", "scheduled", "published", "unpublished"]
    base_version: int | None
    new: bool
    editors: list[str]
    published: bool


class Approval(BaseModel):
    publish_at: datetime | None = Field(
        default=None, description="publish then (with time zone); left out: at once"
    )


class Return(BaseModel):
    note: str = Field(default="", max_length=2000)


class Version(BaseModel):
    version: int
    changed_at: str = Field(description="ISO 8601 with its UTC offset")
    changed_by: str
    reviewed_by: str | None = None
    changes: dict[str, Any]
    restorable: bool = False


def _body(record: BaseModel) -> dict[str, Any]:
    return record.model_dump(mode="json")


def _conflict(exc: drafts.EditConflict) -> JSONResponse:
    body = {
        "error": {
            "code": exc.code,
            "message": exc.message,
            "message_en": exc.message_en,
            "details": jsonable_encoder(exc.details),
        }
    }
    return JSONResponse(body, status_code=409)


@router.get(
    "/services/{service_id}/draft",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 503),
)
def get_draft(service_id: ServiceId, uow: Uow, login: Editor) -> Any:
    """The open draft, or the published record as the start of one, with its `version`."""
    return jsonable_encoder(drafts.open_draft(uow, login, service_id))


@router.put(
    "/services/{service_id}/draft",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
)
def put_draft(
    service_id: ServiceId, uow: Uow, login: Editor, record: Annotated[Record, Body()]
) -> Any:
    """Save the whole record as the draft; a `version` that is not the current one: 409
    with both sides in `error.details.fields`."""
    try:
        shown = drafts.save_draft(uow, login, service_id, _body(record))
    except drafts.EditConflict as exc:
        return _conflict(exc)
    uow.commit()
    return jsonable_encoder(shown)


@router.post(
    "/services",
    status_code=201,
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 409, 422, 503),
)
def post_service(uow: Uow, login: Editor, record: Annotated[NewRecord, Body()]) -> Any:
    """A new service, as a draft."""
    body = _body(record)
    if body.get("id") is None:
        body.pop("id", None)
    shown = drafts.create_service(uow, login, body)
    uow.commit()
    return jsonable_encoder(shown)


@router.post(
    "/services/{service_id}/draft/submit",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 409, 503),
)
def submit_draft(service_id: ServiceId, uow: Uow, login: Editor) -> Any:
    """Give the draft to a second person for review."""
    shown = drafts.submit(uow, login, service_id)
    uow.commit()
    return jsonable_encoder(shown)


@router.post(
    "/services/{service_id}/draft/approve",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
)
def approve_draft(
    service_id: ServiceId,
    uow: Uow,
    login: Editor,
    search: Search,
    approval: Annotated[Approval | None, Body()] = None,
) -> Any:
    """Approve and publish (now or at `publish_at`); 403 for anyone who edited the draft."""
    shown = drafts.approve(
        uow, login, service_id, publish_at=approval.publish_at if approval else None
    )
    uow.commit()
    search.invalidate()  # this process at once; the others at their next revision check
    return jsonable_encoder(shown)


@router.post(
    "/services/{service_id}/draft/return",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
)
def return_draft(
    service_id: ServiceId, uow: Uow, login: Editor, body: Annotated[Return | None, Body()] = None
) -> Any:
    """Send the draft back to its editors with a note (an approval is withdrawn)."""
    shown = drafts.send_back(uow, login, service_id, body.note if body else "")
    uow.commit()
    return jsonable_encoder(shown)


@router.delete(
    "/services/{service_id}/draft", status_code=204, responses=errors(400, 401, 403, 404, 503)
)
def delete_draft(service_id: ServiceId, uow: Uow, login: Editor) -> None:
    """Discard the open draft."""
    drafts.discard(uow, login, service_id)
    uow.commit()


@router.post(
    "/services/{service_id}/unpublish",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 503),
)
def unpublish(service_id: ServiceId, uow: Uow, login: Editor, search: Search) -> Any:
    """Take the service off the portal, the desk and the search."""
    shown = drafts.set_published(uow, login, service_id, False)
    uow.commit()
    search.invalidate()
    return jsonable_encoder(shown)


@router.post(
    "/services/{service_id}/republish",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 503),
)
def republish(service_id: ServiceId, uow: Uow, login: Editor, search: Search) -> Any:
    """Put an unpublished service back."""
    shown = drafts.set_published(uow, login, service_id, True)
    uow.commit()
    search.invalidate()
    return jsonable_encoder(shown)


@router.get(
    "/services/{service_id}/history",
    response_model=list[Version],
    responses=errors(400, 401, 404, 422, 503),
)
def get_history(
    service_id: ServiceId,
    uow: Uow,
    caller: Annotated[Login | None, Depends(optional_api_caller)],
) -> Any:
    """Every version, oldest first, with the time and the changed fields. Editors (and
    supervisors) with their token see the names of author and reviewer, and the versions
    of services not (or no longer) published; anyone else a published service's history."""
    if caller is not None and caller.has(*EDITORS):
        try:
            return jsonable_encoder(drafts.history(uow, caller, service_id))
        except NotFound:
            pass  # another partner's service: as anyone sees it
    public = catalog_queries.service_history(uow, service_id=service_id)
    for version in public:  # an editor's name is staff data: importers only by name
        if not version["changed_by"].startswith("import:"):
            version["changed_by"] = "Redaktion"
        if version["reviewed_by"] is not None:
            version["reviewed_by"] = "Redaktion"
    return public


@router.post(
    "/services/{service_id}/history/{number}/restore",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
)
def restore(
    service_id: ServiceId,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    uow: Uow,
    login: Editor,
) -> Any:
    """Open a draft with an earlier version's record (published again through review)."""
    shown = drafts.roll_back(uow, login, service_id, number)
    uow.commit()
    return jsonable_encoder(shown)


class GapOut(BaseModel):
    id: int
    query: str
    channel: str
    reason: str
    count: int
    sessions: int
    first_seen: datetime
    last_seen: datetime
    service_id: str | None
    handled_by: str | None
    handled_at: datetime | None
    finds_service: bool | None = Field(description="whether the search now ranks the service top 3")


class GapsAnswer(BaseModel):
    gaps: list[GapOut]
    rare_queries: int = Field(description="questions asked by fewer than 3 sessions (not shown)")
    rare_count: int


class TakeUp(BaseModel):
    service: str = Field(min_length=1, max_length=120)
    as_: Literal["keyword", "question"] = Field(default="keyword", alias="as")


@router.get("/editorial/gaps", response_model=GapsAnswer, responses=errors(400, 401, 403, 422, 503))
def get_gaps(
    uow: Uow,
    login: Editor,
    search: Annotated[SearchEngine, Depends(component(SearchEngine))],
    channel: Annotated[Literal["portal", "desk"] | None, Query()] = None,
) -> Any:
    """The content gaps, most frequent first (questions of fewer than 3 sessions only counted)."""
    listed = gaps.listing(uow, search, channel=channel or "")
    return jsonable_encoder(
        {"gaps": listed.gaps, "rare_queries": listed.rare_queries, "rare_count": listed.rare_count}
    )


@router.post(
    "/editorial/gaps/{gap_id}/take-up",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
)
def take_up_gap(
    gap_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    uow: Uow,
    login: Editor,
    body: Annotated[TakeUp, Body()],
) -> Any:
    """Add the gap's question to the service's draft as keyword or typical question."""
    shown = gaps.take_up(uow, login, gap_id, service_id=body.service, as_=body.as_)
    uow.commit()
    return jsonable_encoder(shown)


@router.post(
    "/services/{service_id}/reviewed",
    response_model=DraftAnswer,
    responses=errors(400, 401, 403, 404, 503),
)
def reviewed(service_id: ServiceId, uow: Uow, login: Editor) -> Any:
    """ "Reviewed, unchanged": the next review is due one review interval from today."""
    today = datetime.now(UTC).astimezone(BERLIN).date()
    shown = drafts.reviewed_unchanged(uow, login, service_id, today=today)
    uow.commit()
    return jsonable_encoder(shown)


class Entry(BaseModel):
    id: str
    name: str
    participant: str
    topic: str
    state: str
    version: int
    last_reviewed: date | None
    review_due: date | None
    stale: bool
    editor: str | None
    new: bool


@router.get(
    "/editorial/services", response_model=list[Entry], responses=errors(400, 401, 403, 422, 503)
)
def list_services(
    uow: Uow,
    login: Editor,
    state: Annotated[
        Literal["draft", "review", "scheduled", "published", "unpublished", "stale"] | None,
        Query(description="stale: due for review (the review interval has passed)"),
    ] = None,
    topic: Annotated[str, Query(max_length=80)] = "",
    participant: Annotated[str, Query(max_length=80)] = "",
    q: Annotated[str, Query(max_length=200, description="part of the name or id")] = "",
) -> Any:
    """The services the caller may edit, filtered (the list of `/redaktion`)."""
    today = datetime.now(UTC).astimezone(BERLIN).date()
    found = overview.entries(
        uow, login, today=today, state=state or "", topic=topic, participant=participant, text=q
    )
    return jsonable_encoder([asdict(e) for e in found])


# -- authorities --------------------------------------------------------------------
AuthorityId = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._-]+$")]


class Closure(BaseModel):
    day: date = Field(description="a day the office is closed besides public holidays")
    reason: str = Field(default="", max_length=200)


class OfficeRecord(BaseModel):
    """The editable record of an authority (what GET gives back, with `version`)."""

    model_config = ConfigDict(extra="allow")

    version: int = Field(description="the version this record was based on (from GET)")
    name: str = ""
    street: str = ""
    postcode: str = Field(default="", description="five digits, or empty")
    city: str = ""
    phone: str = ""
    email: str = Field(default="", description="the public address")
    concern_email: str = Field(
        default="",
        description="where forwarded concerns are mailed when the office has no accounts "
        "(empty: the public address)",
    )
    web: str = ""
    note: str = ""
    opening_hours: dict[str, list[str]] = Field(
        default={}, description='per weekday (mo..su) "HH:MM-HH:MM" ranges'
    )
    closures: list[Closure] = Field(default=[], description="closure days, past ones drop out")


class OfficeAnswer(OfficeRecord):
    id: str
    participant: str
    kinds: list[str]
    areas: list[str]


class OfficeEntry(BaseModel):
    id: str
    name: str
    participant: str
    city: str
    phone: str
    email: str
    concern_inbox: str
    next_closure: Closure | None
    has_hours: bool
    version: int


@router.get(
    "/editorial/offices",
    response_model=list[OfficeEntry],
    responses=errors(400, 401, 403, 422, 503),
)
def list_offices(
    uow: Uow,
    login: Editor,
    q: Annotated[str, Query(max_length=200, description="part of the name, id or city")] = "",
) -> Any:
    """The authorities the caller may edit (a partner's editor: their participants')."""
    return jsonable_encoder(offices.listing(uow, login, q))


@router.get(
    "/authorities/{authority_id}/record",
    response_model=OfficeAnswer,
    responses=errors(400, 401, 403, 404, 503),
)
def get_office(authority_id: AuthorityId, uow: Uow, login: Editor) -> Any:
    """The editable record of an authority, with its `version`."""
    return jsonable_encoder(offices.open_office(uow, login, authority_id))


@router.put(
    "/authorities/{authority_id}/record",
    response_model=OfficeAnswer,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
)
def put_office(
    authority_id: AuthorityId, uow: Uow, login: Editor, record: Annotated[OfficeRecord, Body()]
) -> Any:
    """Save the whole record at once (no review: the office's own facts); a `version` that
    is not the current one: 409 with both sides in `error.details.fields`."""
    try:
        shown = offices.save_office(uow, login, authority_id, record.model_dump(mode="json"))
    except drafts.EditConflict as exc:
        return _conflict(exc)
    uow.commit()
    return jsonable_encoder(shown)
