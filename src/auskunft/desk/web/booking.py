"""Appointments at the agent desk: book for a caller, look a booking up by its code, cancel
or move it.

Every step is a plain form that reloads the desk; htmx swaps only the booking
section or the card. Bookings made here are phone bookings: they may use the
counters held for callers, and they record the agent who made them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.appointments.service import agenda, booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import AuskunftError, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, check_csrf, require
from auskunft.core.web.params import parse_plausible_day, plausible_day
from auskunft.core.web.render import language_of, render
from auskunft.desk.web.desk import (
    Policy,
    Search,
    booking_for,
    caller_place,
    page_context,
    parse_started,
    service_card,
    times_view,
)
from auskunft.search.service.engine import SearchEngine

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=300)]
# Booking, moving and cancelling for a caller: the service center's roles (an editor
# or an office's clerk does not change citizens' appointments from the desk).
BOOKING_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


@dataclass(frozen=True)
class Call:
    """One request at the desk: the page, its unit of work, the search, the rules, the agent."""

    request: Request
    uow: UnitOfWork
    search: SearchEngine
    policy: BookingPolicy
    login: Login


def _call(
    request: Request,
    uow: Uow,
    search: Search,
    policy: Policy,
    login: Annotated[Login, Depends(require(*BOOKING_ROLES))],
) -> Call:
    return Call(request, uow, search, policy, login)


DeskCall = Annotated[Call, Depends(_call)]


def _fragment(request: Request) -> bool:
    return bool(request.headers.get("HX-Request")) and (
        "HX-History-Restore-Request" not in request.headers
    )


def _message(request: Request, exc: AuskunftError) -> str:
    return exc.message_en if language_of(request) == "en" else exc.message


def _day(tag: str) -> date | None:
    """The day asked for (?tag=); None for the first free one. Days years away are refused
    (422): nothing is bookable there, and the date arithmetic near the year 9999 overflows."""
    return parse_plausible_day(tag, today=booking.local_day(datetime.now(UTC)))


def _start(value: str) -> datetime:
    """The chosen start time of a form (an offered slot, ISO 8601 with offset)."""
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise InvalidInput(
            "Bitte eine der freien Uhrzeiten wählen.", message_en="Please choose one of the times."
        ) from exc


def _day_of(start: str) -> date | None:
    """The day of a chosen start, to show that day's times again; None for a start that is
    no time or lies years away (the refusal's form opens at the first free day instead)."""
    try:
        day = _start(start).astimezone(BERLIN).date()
        return plausible_day(day, today=booking.local_day(datetime.now(UTC)))
    except (InvalidInput, OverflowError):  # near the years 1 and 9999 the zone overflows
        return None


def _desk_page(
    call: Call,
    *,
    place: str,
    service_id: str | None,
    started: str = "",
    status_code: int = 200,
    location: str | None = None,
    day: date | None = None,
    **extra: Any,
) -> HTMLResponse:
    """The whole desk with the booking open or a booking looked up (the pages without JS)."""
    context = page_context(
        call.request,
        call.uow,
        call.search,
        call.policy,
        call.login,
        q="",
        place=place,
        service_id=service_id,
        channel="",
        started=parse_started(started),
        location=location,
        day=day,
    )
    context.update(extra)
    return render(call.request, "desk.html", status_code=status_code, **context)


def _booked_view(uow: UnitOfWork, code: str) -> dict[str, Any]:
    row = agenda.lookup(uow, code=code)
    entry = agenda.describe(uow, row, datetime.now(UTC))
    return {"entry": entry, "email": row.email}


@router.get("/desk/termin", response_class=HTMLResponse)
def booking_times(
    call: DeskCall,
    leistung: str = "",
    gemeinde: str = "",
    ort: str = "",
    tag: str = "",
    beginn: str = "",
    gebucht: str = "",
) -> Response:
    """Free times of a day at a location: a fragment for htmx, else the desk with them."""
    request, uow = call.request, call.uow
    place = caller_place(call.search, gemeinde or None)
    if not leistung:
        raise InvalidInput(
            "Bitte zuerst eine Leistung öffnen.", message_en="Please open a service first."
        )
    day = _day(tag)
    if _fragment(request):
        card = service_card(request, uow, call.search, leistung, place)
        response = render(
            request,
            "_desk_booking_times.html",
            booking=booking_for(uow, call.policy, card, location=ort[:120] or None, day=day),
            service_id=leistung,
            municipality=place,
        )
        response.headers["Vary"] = "HX-Request"
        return response
    booked = _booked_view(uow, gebucht) if gebucht else None
    return _desk_page(
        call,
        place=place,
        service_id=leistung,
        started=beginn,
        location=ort[:120] or None,
        day=day,
        booking_open=True,
        booked=booked,
    )


@router.post("/desk/termin", response_class=HTMLResponse)
def book_for_caller(
    call: DeskCall,
    csrf: Text = "",
    service: Text = "",
    municipality: Text = "",
    location: Text = "",
    start: Text = "",
    name: Text = "",
    email: Text = "",
    phone: Text = "",
    language: Text = "de",
    started: Text = "",
) -> Response:
    """Book the chosen time for the caller (a phone booking by this agent)."""
    request, uow, login = call.request, call.uow, call.login
    check_csrf(login, csrf)
    place = caller_place(call.search, municipality or None)
    person = booking.Person(name, email, phone, language if language in ("de", "en") else "de")
    try:
        if not service:
            raise InvalidInput(
                "Bitte zuerst eine Leistung öffnen.", message_en="Please open a service first."
            )
        done = booking.book(
            uow,
            call.policy,
            service_ids=[service],
            location_id=location,
            start=_start(start),
            person=person,
            now=datetime.now(UTC),
            channel="phone",
            booked_by=login.user_id,
        )
        uow.commit()
        code = done.appointment.code
    except AuskunftError as exc:
        uow.rollback()
        return _booking_refused(call, exc, service, place, location, start, person)
    if _fragment(request):
        return render(request, "_desk_booking_done.html", booked=_booked_view(uow, code))
    target = "/desk/termin?" + urlencode(
        {"leistung": service, "gemeinde": place, "gebucht": code, "beginn": started}
    )
    return RedirectResponse(target, status_code=303)


def _booking_refused(
    call: Call,
    exc: AuskunftError,
    service: str,
    place: str,
    location: str,
    start: str,
    person: booking.Person,
) -> Response:
    """The booking form again, with what was typed and why it did not work."""
    if not service:
        raise exc
    day = _day_of(start)
    request = call.request
    card = service_card(request, call.uow, call.search, service, place)
    kept: dict[str, Any] = {
        "booking_error": _message(request, exc),
        "person": person,
        "chosen": start,
    }
    if _fragment(request):
        return render(
            request,
            "_desk_booking.html",
            status_code=exc.status,
            booking=booking_for(call.uow, call.policy, card, location=location or None, day=day),
            card=card,
            csrf=call.login.csrf_token,
            municipality=place,
            service_id=service,
            **kept,
        )
    return _desk_page(
        call,
        place=place,
        service_id=service,
        status_code=exc.status,
        location=location or None,
        day=day,
        booking_open=True,
        **kept,
    )


# -- looking a booking up by its code ---------------------------------------------


def _appointment_view(call: Call, code: str, day: date | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    row = agenda.lookup(call.uow, code=code, viewer=call.login)
    # The booking shows its person: a view of personal data, recorded for the audit log.
    staff_acted(call.uow, call.login, "appointment.viewed", "appointment", row.code)
    call.uow.commit()
    entry = agenda.describe(call.uow, row, now)
    movable = entry.may_cancel and row.status != "offered"
    move = (
        times_view(agenda.move_choice(call.uow, call.policy, row=row, day=day, now=now))
        if movable
        else None
    )
    return {"entry": entry, "move": move}


def _show_appointment(
    call: Call,
    code: str,
    *,
    day: date | None = None,
    done: str = "",
    error: AuskunftError | None = None,
) -> Response:
    """The looked-up booking in the card place: a fragment for htmx, else the whole desk."""
    request = call.request
    status = 200
    context: dict[str, Any] = {"lookup_code": code[:20], "done": done}
    try:
        context["appointment"] = _appointment_view(call, code, day)
    except AuskunftError as exc:
        error, context["appointment"] = error or exc, None
    if error is not None:
        status = error.status
        context["lookup_error"] = _message(request, error)
    if _fragment(request):
        response = render(
            request,
            "_desk_appointment.html",
            status_code=status,
            csrf=call.login.csrf_token,
            **context,
        )
        response.headers["Vary"] = "HX-Request"
        return response
    return _desk_page(
        call,
        place=caller_place(call.search, None),
        service_id=None,
        status_code=status,
        **context,
    )


@router.get("/desk/termin/suche", response_class=HTMLResponse)
def find_booking(call: DeskCall, code: str = "", tag: str = "", erledigt: str = "") -> Response:
    """A booking by its code (no manage token: staff are logged in)."""
    return _show_appointment(
        call,
        code,
        day=_day(tag),
        done=erledigt if erledigt in ("abgesagt", "verschoben") else "",
    )


@router.post("/desk/termin/absagen", response_class=HTMLResponse)
def cancel_booking(call: DeskCall, csrf: Text = "", code: Text = "") -> Response:
    """Cancel a booking for the caller; the citizen gets the cancellation by e-mail."""
    check_csrf(call.login, csrf)
    try:
        row = agenda.cancel_by_staff(
            call.uow,
            call.policy,
            code=code,
            staff_id=call.login.user_id,
            now=datetime.now(UTC),
            viewer=call.login,
        )
        call.uow.commit()
        code = row.code
    except AuskunftError as exc:
        call.uow.rollback()
        return _show_appointment(call, code, error=exc)
    return _after_change(call, code, "abgesagt")


@router.post("/desk/termin/verschieben", response_class=HTMLResponse)
def move_booking(call: DeskCall, csrf: Text = "", code: Text = "", start: Text = "") -> Response:
    """Move a booking to another free time at the same location."""
    check_csrf(call.login, csrf)
    try:
        row = agenda.reschedule_by_staff(
            call.uow,
            call.policy,
            code=code,
            start=_start(start),
            staff_id=call.login.user_id,
            now=datetime.now(UTC),
            viewer=call.login,
        )
        call.uow.commit()
        code = row.code
    except AuskunftError as exc:
        call.uow.rollback()
        return _show_appointment(call, code, error=exc)
    return _after_change(call, code, "verschoben")


def _after_change(call: Call, code: str, done: str) -> Response:
    if _fragment(call.request):
        return _show_appointment(call, code, done=done)
    target = "/desk/termin/suche?" + urlencode({"code": code, "erledigt": done})
    return RedirectResponse(target, status_code=303)
