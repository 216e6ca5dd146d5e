"""The department's day: a location's appointments per counter, to work through and print.

Clerks, supervisors and administrators see it. Agents do not: the list names
every visitor of the day, and the desk needs no more than one booking at a
time, which it finds by its code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.appointments.service import agenda
from auskunft.appointments.service.booking import local_day
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import AuskunftError, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, check_csrf, component, require
from auskunft.core.web.params import parse_plausible_day
from auskunft.core.web.render import language_of, render

router = APIRouter(include_in_schema=False)

AGENDA_ROLES = (Role.CLERK, Role.SUPERVISOR, Role.ADMIN)
ACTIONS = ("arrived", "no_show", "confirm", "cancel")
Text = Annotated[str, Form(max_length=200)]

# A clerk sees the calendars of their own offices only (agenda.day_agenda's viewer).
Department = Annotated[
    Login,
    Depends(
        require(
            *AGENDA_ROLES,
            refusal=(
                "Die Terminliste ist Sachbearbeitung, Leitung und Administration vorbehalten. "
                "Einzelne Termine finden Sie am Arbeitsplatz über die Buchungsnummer.",
                "The appointment list is for clerks, supervisors and administrators. "
                "Single appointments can be found at the desk by their booking code.",
            ),
        )
    ),
]
Policy = Annotated[BookingPolicy, Depends(component(BookingPolicy))]


def _page(
    request: Request,
    uow: UnitOfWork,
    login: Login,
    *,
    location: str | None,
    day: date | None,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    now = datetime.now(UTC)
    day = day or local_day(now)
    view = agenda.day_agenda(uow, location_id=location, day=day, now=now, viewer=login)
    uow.commit()  # the view of the visitors' names is recorded in the audit log
    return render(
        request,
        "agenda.html",
        status_code=status_code,
        login=login,
        csrf=login.csrf_token,
        view=view,
        today=local_day(now),
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        printed=now.astimezone(BERLIN),
        **extra,
    )


def _day(tag: str) -> date | None:
    """The day asked for (?tag=); None for today. Days years away are refused (422)."""
    return parse_plausible_day(tag, today=local_day(datetime.now(UTC)))


@router.get("/dienststelle/termine", response_class=HTMLResponse)
def day_list(
    request: Request,
    uow: Uow,
    login: Department,
    ort: str = "",
    tag: str = "",
    erledigt: str = "",
    code: str = "",
) -> HTMLResponse:
    """A location's appointments of one day, per counter."""
    done = erledigt if erledigt in ACTIONS else ""
    return _page(
        request,
        uow,
        login,
        location=ort[:120] or None,
        day=_day(tag),
        done=done,
        code=code[:20],
    )


@router.post("/dienststelle/termine/aktion", response_class=HTMLResponse)
def act(
    request: Request,
    uow: Uow,
    policy: Policy,
    login: Department,
    csrf: Text = "",
    code: Text = "",
    action: Text = "",
    ort: Text = "",
    tag: Text = "",
) -> Response:
    """Mark a visitor arrived or not come, confirm a wedding reservation, or cancel."""
    check_csrf(login, csrf)
    day = _day(tag)
    now = datetime.now(UTC)
    try:
        by = login.user_id
        if action in ("arrived", "no_show"):
            agenda.mark_attendance(
                uow, code=code, status=action, now=now, staff_id=by, viewer=login
            )
        elif action == "confirm":
            agenda.confirm_reservation(uow, code=code, now=now, staff_id=by, viewer=login)
        elif action == "cancel":
            agenda.cancel_by_staff(uow, policy, code=code, now=now, staff_id=by, viewer=login)
        else:
            raise InvalidInput(f"Unbekannte Aktion „{action[:20]}“.", message_en="Unknown action.")
        uow.commit()
    except AuskunftError as exc:
        uow.rollback()
        message = exc.message_en if language_of(request) == "en" else exc.message
        return _page(
            request,
            uow,
            login,
            location=ort or None,
            day=day,
            status_code=exc.status,
            error=message,
        )
    query = {"ort": ort, "tag": day.isoformat() if day else "", "erledigt": action, "code": code}
    return RedirectResponse("/dienststelle/termine?" + urlencode(query), status_code=303)
