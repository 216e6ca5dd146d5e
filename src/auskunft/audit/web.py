"""The audit log for supervisors, administrators and the data-protection officer: a page
(`/admin/protokoll`), its CSV export and the same as JSON (`/api/v1/audit`)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from auskunft.audit import service as audit
from auskunft.audit.repository import Filter
from auskunft.core.audit import staff_acted
from auskunft.core.errors import Forbidden, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, api_caller, check_csrf, require
from auskunft.core.web.openapi import errors
from auskunft.core.web.params import parse_plausible_day
from auskunft.core.web.render import language_of, render

router = APIRouter()
pages = APIRouter(include_in_schema=False)

READERS = (Role.SUPERVISOR, Role.ADMIN, Role.DPO)
Reader = Annotated[
    Login,
    Depends(
        require(
            *READERS,
            refusal=(
                "Das Protokoll sehen die Leitung, die Administration und der Datenschutz.",
                "The audit log is open to supervisors, administrators and data protection.",
            ),
        )
    ),
]
Short = Annotated[str, Query(max_length=80)]


def api_reader(caller: Annotated[Login | None, Depends(api_caller)]) -> Login:
    """The JSON API's caller, if a person with a reading role (a machine token is nobody:
    403; a session needs the page's X-CSRF-Token, as everywhere in the API)."""
    if caller is None or caller.role not in READERS:
        raise Forbidden(
            "Das Protokoll sehen die Leitung, die Administration und der Datenschutz, mit "
            "einem persönlichen API-Token.",
            message_en="The audit log is open to supervisors, administrators and data "
            "protection, with a personal API token.",
        )
    return caller


ApiReader = Annotated[Login, Depends(api_reader)]


def _filter(wer: str, was: str, objekt: str, von: str, bis: str) -> tuple[Filter, dict[str, str]]:
    """The filter of the query (German names, as on the page) and the query to keep."""
    object_type, _, object_id = objekt.partition(":")
    today = datetime.now(BERLIN).date()
    since = parse_plausible_day(von, today=today)
    until = parse_plausible_day(bis, today=today)
    if since and until and until < since:
        raise InvalidInput(
            "Der Zeitraum endet vor seinem Anfang.",
            message_en="The period ends before it begins.",
        )
    where = Filter(
        actor=wer.strip() or None,
        action=was.strip() or None,
        object_type=object_type.strip() or None,
        object_id=object_id.strip() or None,
        since=datetime.combine(since, time(0), BERLIN).astimezone(UTC) if since else None,
        until=(
            datetime.combine(until + timedelta(days=1), time(0), BERLIN).astimezone(UTC)
            if until
            else None
        ),
    )
    kept = {
        k: v
        for k, v in {"wer": wer, "was": was, "objekt": objekt, "von": von, "bis": bis}.items()
        if v
    }
    return where, kept


def _when(moment: datetime, language: str) -> str:
    local = moment.astimezone(BERLIN)
    if language == "en":
        return format_datetime(local, "d MMM y, HH:mm:ss", locale="en_GB")
    return format_datetime(local, "dd.MM.y, HH:mm:ss", locale="de") + " Uhr"


@pages.get("/admin/protokoll", response_class=HTMLResponse)
def audit_page(
    request: Request,
    uow: Uow,
    login: Reader,
    wer: Short = "",
    was: Short = "",
    objekt: Short = "",
    von: Short = "",
    bis: Short = "",
    vor: Annotated[int | None, Query(ge=1, le=2**53)] = None,
) -> HTMLResponse:
    """The newest entries first, filtered; a page of PAGE and a link to older ones."""
    where, kept = _filter(wer, was, objekt, von, bis)
    entries, total = audit.listing(uow, where, before_id=vor)
    language = language_of(request)
    older = (
        "/admin/protokoll?" + urlencode({**kept, "vor": entries[-1].id})
        if len(entries) == audit.PAGE
        else None
    )
    return render(
        request,
        "audit.html",
        login=login,
        csrf=login.csrf_token,
        rows=[(e, _when(e.at, language)) for e in entries],
        total=total,
        query=kept,
        export="/admin/protokoll.csv" + ("?" + urlencode(kept) if kept else ""),
        older=older,
    )


def _csv(uow: Any, where: Filter, login: Login, kept: dict[str, str]) -> StreamingResponse:
    # The export itself is recorded (it carries staff names and addresses).
    staff_acted(uow, login, "audit.exported", "audit", "csv", urlencode(kept))
    uow.commit()
    stamp = datetime.now(BERLIN).strftime("%Y-%m-%d")
    return StreamingResponse(
        audit.export_csv(uow, where),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="protokoll-{stamp}.csv"'},
    )


@pages.post("/admin/protokoll/pruefen", response_class=HTMLResponse)
def audit_page_verify(
    request: Request, uow: Uow, login: Reader, csrf: Annotated[str, Form(max_length=200)] = ""
) -> HTMLResponse:
    """Check the chain and show the outcome above the newest entries."""
    check_csrf(login, csrf)
    result = audit.verify(uow)
    staff_acted(uow, login, "audit.verified", "audit", "chain", "ok" if result.ok else "broken")
    uow.commit()
    entries, total = audit.listing(uow, Filter())
    language = language_of(request)
    return render(
        request,
        "audit.html",
        login=login,
        csrf=login.csrf_token,
        rows=[(e, _when(e.at, language)) for e in entries],
        total=total,
        query={},
        export="/admin/protokoll.csv",
        older=None,
        verification=result,
    )


@pages.get("/admin/protokoll.csv")
def audit_csv(
    uow: Uow,
    login: Reader,
    wer: Short = "",
    was: Short = "",
    objekt: Short = "",
    von: Short = "",
    bis: Short = "",
) -> StreamingResponse:
    """Every matching entry, oldest first, for a spreadsheet."""
    where, kept = _filter(wer, was, objekt, von, bis)
    return _csv(uow, where, login, kept)


@router.get("/api/v1/audit", tags=["audit"], responses=errors(401, 403, 422, 503))
def audit_api(
    uow: Uow,
    login: ApiReader,
    actor: Short = "",
    action: Short = "",
    object: Short = "",
    since: Short = "",
    until: Short = "",
    before: Annotated[int | None, Query(ge=1, le=2**53)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = audit.PAGE,
) -> dict[str, Any]:
    """Audit entries, newest first (`before`: older than this id), with the total that
    matches. `since`/`until` are days (YYYY-MM-DD, Berlin)."""
    where, _ = _filter(actor, action, object, since, until)
    entries, total = audit.listing(uow, where, before_id=before, limit=limit)
    return {"total": total, "entries": [e.as_json() for e in entries]}


@router.get(
    "/api/v1/audit/export",
    tags=["audit"],
    responses={
        **errors(401, 403, 422, 503),
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
def audit_api_export(
    uow: Uow,
    login: ApiReader,
    actor: Short = "",
    action: Short = "",
    object: Short = "",
    since: Short = "",
    until: Short = "",
) -> StreamingResponse:
    """The matching entries as CSV (as the page's export)."""
    where, kept = _filter(actor, action, object, since, until)
    return _csv(uow, where, login, kept)


@router.post("/api/v1/audit/verify", tags=["audit"], responses=errors(401, 403, 503))
def audit_api_verify(uow: Uow, login: ApiReader) -> dict[str, Any]:
    """Check the hash chain of the whole log (as `auskunft audit verify`)."""
    result = audit.verify(uow)
    staff_acted(uow, login, "audit.verified", "audit", "chain", "ok" if result.ok else "broken")
    uow.commit()
    return result.as_json()
