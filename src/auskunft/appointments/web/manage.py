"""The citizen's own appointment, reached by the link in the confirmation:
see it, cancel it, move it, or answer an offer from the waitlist.

The code and the manage token in the link are the only key; every change is a
form post that comes back to the manage page (or its form with the problem).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.appointments.service import booking, waitlist
from auskunft.appointments.web.views import (
    Visit,
    VisitDep,
    appointment_view,
    check_form,
    clock_of_start,
    count_post,
    day_label,
    message,
    month_groups,
    now,
    page,
    parse_day,
    parse_start,
    time_choices,
    time_gone,
    time_label,
    today,
)
from auskunft.core.errors import AuskunftError, NotFound
from auskunft.core.web.render import language_of

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Path(max_length=12)]
Token = Annotated[str, Query(max_length=100)]
Param = Annotated[str, Query(max_length=120)]
Field = Annotated[str, Form()]
# What the manage page confirms after a change (?erledigt=).
DONE = ("abgesagt", "verschoben", "angenommen", "abgelehnt")


def _view(visit: Visit, code: str, token: str) -> dict[str, Any]:
    """The appointment behind a manage link; NotFound when code and token do not match."""
    uow = visit.uow
    row = booking.find(uow, visit.policy, code, token[:100])
    return appointment_view(
        uow, row, language_of(visit.request), token, str(visit.request.base_url)
    )


def _manage_link(code: str, token: str, done: str = "") -> str:
    params = {"token": token, "erledigt": done} if done else {"token": token}
    return f"/termin/{code}?" + urlencode(params)


def _move_link(code: str, token: str, **params: str) -> str:
    return f"/termin/{code}/verschieben?" + urlencode({"token": token, **params})


@router.get("/termin/{code}/bestaetigung", response_class=HTMLResponse)
def confirmed(visit: VisitDep, code: Code, token: Token = "") -> HTMLResponse:
    """Right after booking: code, time, place, what to bring and the manage link."""
    return page(visit.request, "booking_confirmed.html", appointment=_view(visit, code, token))


@router.get("/termin/{code}", response_class=HTMLResponse)
def manage(visit: VisitDep, code: Code, token: Token = "", erledigt: Param = "") -> HTMLResponse:
    """The appointment with its status and what can still be done with it."""
    view = _view(visit, code, token)
    return page(
        visit.request,
        "booking_manage.html",
        appointment=view,
        done=erledigt if erledigt in DONE else "",
    )


def _manage_again(
    visit: Visit, code: str, token: str, exc: AuskunftError, template: str
) -> HTMLResponse:
    """The page of a failed change again, with the problem; an unknown link stays a 404."""
    if isinstance(exc, NotFound):
        raise exc
    view = _view(visit, code, token)
    return page(
        visit.request, template, exc.status, appointment=view, error=message(visit.request, exc)
    )


@router.get("/termin/{code}/absagen", response_class=HTMLResponse)
def cancel_page(visit: VisitDep, code: Code, token: Token = "") -> HTMLResponse:
    """Ask once more before cancelling."""
    return page(visit.request, "booking_cancel.html", appointment=_view(visit, code, token))


def _act(
    visit: Visit,
    code: str,
    csrf: str,
    token: str,
    act: Callable[..., object],
    template: str,
    done: str,
) -> Response:
    """Run one manage action (cancel, accept, decline) from a form; redirect or show why not."""
    check_form(visit.request, csrf)
    token = token[:100]
    try:
        count_post(visit.request)
        uow = visit.uow
        act(uow, visit.policy, code=code, token=token, now=now())
        uow.commit()
    except AuskunftError as exc:
        visit.uow.rollback()  # what the failed step wrote goes; the page reads afresh
        return _manage_again(visit, code, token, exc, template)
    return RedirectResponse(_manage_link(code, token, done), status_code=303)


@router.post("/termin/{code}/absagen")
def cancel(visit: VisitDep, code: Code, csrf: Field = "", token: Field = "") -> Response:
    """Cancel the appointment."""
    return _act(visit, code, csrf, token, booking.cancel, "booking_cancel.html", "abgesagt")


@router.post("/termin/{code}/annehmen")
def accept(visit: VisitDep, code: Code, csrf: Field = "", token: Field = "") -> Response:
    """Take the time the waitlist offered."""
    return _act(visit, code, csrf, token, waitlist.accept, "booking_manage.html", "angenommen")


@router.post("/termin/{code}/ablehnen")
def decline(visit: VisitDep, code: Code, csrf: Field = "", token: Field = "") -> Response:
    """Give the offered time back; the next in line gets it."""
    return _act(visit, code, csrf, token, booking.cancel, "booking_manage.html", "abgelehnt")


def _free(visit: Visit, view: dict[str, Any], first: date, last: date) -> Any:
    uow = visit.uow
    return booking.find_slots(
        uow,
        visit.policy,
        service_ids=view["service_ids"],
        location_id=view["location_id"],
        first=first,
        last=last,
        now=now(),
    )


def _move_times(
    visit: Visit, view: dict[str, Any], day: date, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    """The free times of a day to move to."""
    lang = language_of(visit.request)
    code, token = view["code"], view["token"]
    times = time_choices(_free(visit, view, day, day), lang)
    for choice in times:
        choice["href"] = _move_link(code, token, tag=day.isoformat(), zeit=choice["value"])
    return page(
        visit.request,
        "booking_move.html",
        status_code,
        stage="times",
        appointment=view,
        day=day_label(day, lang),
        day_value=day.isoformat(),
        times=times,
        days_link=_move_link(code, token),
        **extra,
    )


@router.get("/termin/{code}/verschieben", response_class=HTMLResponse)
def move_page(
    visit: VisitDep, code: Code, token: Token = "", tag: Param = "", zeit: Param = ""
) -> HTMLResponse:
    """Move in steps: a day, a time of it, then confirm."""
    view = _view(visit, code, token)
    lang = language_of(visit.request)
    if not view["movable"]:
        return page(visit.request, "booking_move.html", stage="closed", appointment=view)
    if not tag:
        first = today()
        months = month_groups(
            _free(visit, view, first, first + timedelta(days=365)),
            lang,
            lambda day: _move_link(code, token, tag=day.isoformat()),
        )
        return page(
            visit.request, "booking_move.html", stage="days", appointment=view, months=months
        )
    day = parse_day(tag)
    if not zeit:
        return _move_times(visit, view, day)
    start = parse_start(day, zeit)
    free = {c["value"] for c in time_choices(_free(visit, view, day, day), lang)}
    if clock_of_start(start) not in free:
        gone = time_gone()
        return _move_times(visit, view, day, gone.status, error=message(visit.request, gone))
    return page(
        visit.request,
        "booking_move.html",
        stage="confirm",
        appointment=view,
        day=day_label(day, lang),
        day_value=day.isoformat(),
        time=time_label(start, lang),
        zeit=clock_of_start(start),
        times_link=_move_link(code, token, tag=day.isoformat()),
    )


@router.post("/termin/{code}/verschieben")
def move(
    visit: VisitDep,
    code: Code,
    csrf: Field = "",
    token: Field = "",
    tag: Field = "",
    zeit: Field = "",
) -> Response:
    """Move to the chosen time; when it is gone, the day's times as they are now."""
    check_form(visit.request, csrf)
    token = token[:100]
    day = parse_day(tag)
    try:
        start = parse_start(day, zeit)
        count_post(visit.request)
        uow = visit.uow
        booking.reschedule(uow, visit.policy, code=code, token=token, start=start, now=now())
        uow.commit()
    except AuskunftError as exc:
        visit.uow.rollback()  # what the failed step wrote goes; the page reads afresh
        if isinstance(exc, NotFound):
            raise
        view = _view(visit, code, token)
        return _move_times(visit, view, day, exc.status, error=message(visit.request, exc))
    return RedirectResponse(_manage_link(code, token, "verschoben"), status_code=303)
