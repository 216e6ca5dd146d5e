"""The offices' inbox of concerns and the service center's list of overdue and returned ones.

A clerk sees the concerns of their own authorities only (another office's concern is
"not found"); agents, supervisors and admins see all. Opening a concern shows personal
data and is recorded. Every action here is also in the JSON API (web/concerns_api.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.errors import AuskunftError, InvalidInput
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import SettingsDep, Uow, check_csrf, require
from auskunft.core.web.params import RowId
from auskunft.core.web.render import english, render
from auskunft.forwarding.model.concern import COUNTING
from auskunft.forwarding.service import concerns
from auskunft.forwarding.web import formatting  # noqa: F401  (the long_moment filter)

router = APIRouter(include_in_schema=False)

INBOX_ROLES = (Role.CLERK, Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
LEAD_ROLES = (Role.SUPERVISOR, Role.ADMIN)
Worker = Annotated[Login, Depends(require(*INBOX_ROLES))]
Lead = Annotated[Login, Depends(require(*LEAD_ROLES))]
INBOX = "/dienststelle/anliegen"
# The inbox's views: open (the default), overdue, waiting, answered and closed.
VIEWS: dict[str, tuple[list[str], bool | None]] = {
    "offen": ([s.value for s in COUNTING], None),
    "ueberfaellig": ([s.value for s in COUNTING], True),
    "wartend": (["waiting_for_citizen"], None),
    "beantwortet": (["answered"], None),
    "abgeschlossen": (["closed"], None),
}


# The supervisors' two lists: overdue (the default) and returned.
SUPERVISOR_VIEWS = {"ueberfaellig": "overdue", "zurueckgegeben": "returned"}


def _now() -> datetime:
    return datetime.now(UTC)


@router.get(INBOX, response_class=HTMLResponse)
def inbox(
    request: Request, uow: Uow, login: Worker, ansicht: str = "offen", stelle: str = ""
) -> HTMLResponse:
    """The concerns of the login's offices, most urgent first, with the time left."""
    view = ansicht if ansicht in VIEWS else "offen"
    statuses, overdue = VIEWS[view]
    rows = concerns.listing(
        uow,
        login,
        statuses=statuses,
        overdue=overdue,
        now=_now(),
        authority=stelle or None,
    )
    return render(
        request,
        "inbox.html",
        login=login,
        csrf=login.csrf_token,
        rows=rows,
        view=view,
        views=list(VIEWS),
        office=stelle,
    )


def _detail(
    request: Request,
    uow: Uow,
    login: Login,
    concern_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
    done: str = "",
) -> HTMLResponse:
    now = _now()
    row = concerns.open_concern(uow, login, concern_id, via="page", now=now)
    shown = concerns.full(uow, row, now)
    uow.commit()  # the access record
    forwards = login.has(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    return render(
        request,
        "inbox_concern.html",
        status_code=status_code,
        login=login,
        csrf=login.csrf_token,
        c=shown,
        error=error,
        done=done,
        authorities=(
            sorted(catalog_reads.authorities(uow), key=lambda a: a.name) if forwards else []
        ),
    )


@router.get(INBOX + "/{concern_id}", response_class=HTMLResponse)
def concern_page(
    request: Request, uow: Uow, login: Worker, concern_id: RowId, erledigt: str = ""
) -> HTMLResponse:
    """One concern: the question, who asked and how to reach them, the history, the actions."""
    return _detail(request, uow, login, concern_id, done=erledigt[:20])


ACTIONS = ("take", "answer", "note", "return", "forward", "ask", "resume")


@router.post(INBOX + "/{concern_id}/{action}")
def act(
    request: Request,
    uow: Uow,
    settings: SettingsDep,
    login: Worker,
    concern_id: RowId,
    action: str,
    csrf: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    via: Annotated[str, Form()] = "email",
    authority: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    """One step on a concern from the page (the same use cases as the JSON API)."""
    check_csrf(login, csrf)
    now = _now()
    policy = concerns.Policy.from_settings(settings)
    try:
        if action == "take":
            concerns.take(uow, login, concern_id, now=now)
        elif action == "answer":
            concerns.answer(uow, login, concern_id, text=text, via=via, now=now)
        elif action == "note":
            concerns.note(uow, login, concern_id, text=text, now=now)
        elif action == "return":
            concerns.give_back(uow, login, concern_id, reason=text, now=now)
        elif action == "forward":
            concerns.forward(uow, login, policy, concern_id, authority_id=authority, now=now)
        elif action == "ask":
            concerns.ask_citizen(uow, login, policy, concern_id, text=text, now=now)
        elif action == "resume":
            concerns.citizen_replied(uow, login, policy, concern_id, text=text, now=now)
        else:
            raise InvalidInput(
                f"Unbekannte Aktion „{action[:20]}“.", message_en=f"Unknown action '{action[:20]}'."
            )
    except AuskunftError as exc:
        uow.rollback()
        if back == "leitung":
            raise
        message = exc.message_en if english(request) else exc.message
        return _detail(request, uow, login, concern_id, error=message, status_code=exc.status)
    uow.commit()
    if back == "leitung":
        return RedirectResponse(
            "/admin/anliegen?" + urlencode({"erledigt": concern_id}), status_code=303
        )
    target = f"{INBOX}/{concern_id}?" + urlencode({"erledigt": action})
    return RedirectResponse(target, status_code=303)


@router.post("/admin/anliegen/weiterleiten")
def forward_again(
    request: Request,
    uow: Uow,
    settings: SettingsDep,
    login: Lead,
    csrf: Annotated[str, Form()] = "",
    concern: Annotated[str, Form()] = "",
    authority: Annotated[str, Form()] = "",
    ansicht: Annotated[str, Form()] = "",
) -> Response:
    """The supervisors' list: the chosen concern to the chosen office (one form per page)."""
    check_csrf(login, csrf)
    if not concern.strip().isdigit() or len(concern.strip()) > 12:
        raise InvalidInput(
            "Bitte wählen Sie ein Anliegen aus der Liste.",
            message_en="Please choose a concern from the list.",
        )
    concern_id = int(concern)
    policy = concerns.Policy.from_settings(settings)
    concerns.forward(uow, login, policy, concern_id, authority_id=authority, now=_now())
    uow.commit()
    return RedirectResponse(
        "/admin/anliegen?" + urlencode({"erledigt": concern_id, "ansicht": ansicht}),
        status_code=303,
    )


@router.get("/admin/anliegen", response_class=HTMLResponse)
def supervisor_list(
    request: Request, uow: Uow, login: Lead, erledigt: str = "", ansicht: str = ""
) -> HTMLResponse:
    """The overdue concerns (or the returned ones), each one choice away from being
    forwarded again."""
    now = _now()
    view = SUPERVISOR_VIEWS.get(ansicht, "overdue")
    return render(
        request,
        "supervisor_concerns.html",
        login=login,
        csrf=login.csrf_token,
        view=view,
        counts=concerns.supervisor_counts(uow, now=now),
        rows=concerns.supervisor_list(uow, now=now, view=view),
        authorities=sorted(catalog_reads.authorities(uow), key=lambda a: a.name),
        accesses=concerns.access_log(uow, now=now)[:50],
        done=erledigt[:20],
    )
