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

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.domain.errors import AuskunftError, NotFound
from auskunft.services import appointments as booking
from auskunft.services import waitlist
from auskunft.web.booking_views import (
    appointment_view,
    check_form,
    clock_of_start,
    count_post,
    day_label,
    message,
    month_groups,
    now,
    open_uow,
    page,
    parse_day,
    parse_start,
    policy,
    time_choices,
    time_gone,
    time_label,
    today,
)
from auskunft.web.pages import language_of

router = APIRouter(include_in_schema=False)

Code = Annotated[str, Path(max_length=12)]
Token = Annotated[str, Query(max_length=100)]
Param = Annotated[str, Query(max_length=120)]
Field = Annotated[str, Form()]
# What the manage page confirms after a change (?erledigt=).
DONE = ("abgesagt", "verschoben", "angenommen", "abgelehnt")


def _view(request: Request, code: str, token: str) -> dict[str, Any]:
    """The appointment behind a manage link; NotFound when code and token do not match."""
    with open_uow(request) as uow:
        row = booking.find(uow, policy(request), code, token[:100])
        return appointment_view(uow, row, language_of(request), token, str(request.base_url))


def _manage_link(code: str, token: str, done: str = "") -> str:
    params = {"token": token, "erledigt": done} if done else {"token": token}
    return f"/termin/{code}?" + urlencode(params)


def _move_link(code: str, token: str, **params: str) -> str:
    return f"/termin/{code}/verschieben?" + urlencode({"token": token, **params})


@router.get("/termin/{code}/bestaetigung", response_class=HTMLResponse)
def confirmed(request: Request, code: Code, token: Token = "") -> HTMLResponse:
    """Right after booking: code, time, place, what to bring and the manage link."""
    return page(request, "booking_confirmed.html", appointment=_view(request, code, token))


@router.get("/termin/{code}", response_class=HTMLResponse)
def manage(request: Request, code: Code, token: Token = "", erledigt: Param = "") -> HTMLResponse:
    """The appointment with its status and what can still be done with it."""
    view = _view(request, code, token)
    return page(
        request, "booking_manage.html", appointment=view, done=erledigt if erledigt in DONE else ""
    )


def _manage_again(
    request: Request, code: str, token: str, exc: AuskunftError, template: str
) -> HTMLResponse:
    """The page of a failed change again, with the problem; an unknown link stays a 404."""
    if isinstance(exc, NotFound):
        raise exc
    view = _view(request, code, token)
    return page(request, template, exc.status, appointment=view, error=message(request, exc))


@router.get("/termin/{code}/absagen", response_class=HTMLResponse)
def cancel_page(request: Request, code: Code, token: Token = "") -> HTMLResponse:
    """Ask once more before cancelling."""
    return page(request, "booking_cancel.html", appointment=_view(request, code, token))


def _act(
    request: Request,
    code: str,
    csrf: str,
    token: str,
    act: Callable[..., object],
    template: str,
    done: str,
) -> Response:
    """Run one manage action (cancel, accept, decline) from a form; redirect or show why not."""
    check_form(request, csrf)
    token = token[:100]
    try:
        count_post(request)
        with open_uow(request) as uow:
            act(uow, policy(request), code=code, token=token, now=now())
            uow.commit()
    except AuskunftError as exc:
        return _manage_again(request, code, token, exc, template)
    return RedirectResponse(_manage_link(code, token, done), status_code=303)


@router.post("/termin/{code}/absagen")
def cancel(request: Request, code: Code, csrf: Field = "", token: Field = "") -> Response:
    """Cancel the appointment."""
    return _act(request, code, csrf, token, booking.cancel, "booking_cancel.html", "abgesagt")


@router.post("/termin/{code}/annehmen")
def accept(request: Request, code: Code, csrf: Field = "", token: Field = "") -> Response:
    """Take the time the waitlist offered."""
    return _act(request, code, csrf, token, waitlist.accept, "booking_manage.html", "angenommen")


@router.post("/termin/{code}/ablehnen")
def decline(request: Request, code: Code, csrf: Field = "", token: Field = "") -> Response:
    """Give the offered time back; the next in line gets it."""
    return _act(request, code, csrf, token, booking.cancel, "booking_manage.html", "abgelehnt")


def _free(request: Request, view: dict[str, Any], first: date, last: date) -> Any:
    with open_uow(request) as uow:
        return booking.find_slots(
            uow,
            policy(request),
            service_ids=view["service_ids"],
            location_id=view["location_id"],
            first=first,
            last=last,
            now=now(),
        )


def _move_times(
    request: Request, view: dict[str, Any], day: date, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    """The free times of a day to move to."""
    lang = language_of(request)
    code, token = view["code"], view["token"]
    times = time_choices(_free(request, view, day, day), lang)
    for choice in times:
        choice["href"] = _move_link(code, token, tag=day.isoformat(), zeit=choice["value"])
    return page(
        request,
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
    request: Request, code: Code, token: Token = "", tag: Param = "", zeit: Param = ""
) -> HTMLResponse:
    """Move in steps: a day, a time of it, then confirm."""
    view = _view(request, code, token)
    lang = language_of(request)
    if not view["movable"]:
        return page(request, "booking_move.html", stage="closed", appointment=view)
    if not tag:
        first = today()
        months = month_groups(
            _free(request, view, first, first + timedelta(days=365)),
            lang,
            lambda day: _move_link(code, token, tag=day.isoformat()),
        )
        return page(request, "booking_move.html", stage="days", appointment=view, months=months)
    day = parse_day(tag)
    if not zeit:
        return _move_times(request, view, day)
    start = parse_start(day, zeit)
    free = {c["value"] for c in time_choices(_free(request, view, day, day), lang)}
    if clock_of_start(start) not in free:
        gone = time_gone()
        return _move_times(request, view, day, gone.status, error=message(request, gone))
    return page(
        request,
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
    request: Request,
    code: Code,
    csrf: Field = "",
    token: Field = "",
    tag: Field = "",
    zeit: Field = "",
) -> Response:
    """Move to the chosen time; when it is gone, the day's times as they are now."""
    check_form(request, csrf)
    token = token[:100]
    day = parse_day(tag)
    try:
        start = parse_start(day, zeit)
        count_post(request)
        with open_uow(request) as uow:
            booking.reschedule(uow, policy(request), code=code, token=token, start=start, now=now())
            uow.commit()
    except AuskunftError as exc:
        if isinstance(exc, NotFound):
            raise
        view = _view(request, code, token)
        return _move_times(request, view, day, exc.status, error=message(request, exc))
    return RedirectResponse(_manage_link(code, token, "verschoben"), status_code=303)
