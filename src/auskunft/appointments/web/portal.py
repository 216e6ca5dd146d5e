"""The citizen books an appointment in the portal: location, day, time, contact, done.

One step per page with plain links and forms, so the flow works without
JavaScript; every post answers with a redirect to a page that can be reloaded,
or with its form again (input kept, the problem said, a 4xx status). When no
time is free in the whole booking horizon, the waitlist is offered instead.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.appointments.model.booking import Slot
from auskunft.appointments.service import booking, waitlist
from auskunft.appointments.web import manage as booking_manage
from auskunft.appointments.web.views import (
    Visit,
    VisitDep,
    check_form,
    clean,
    clock_of_start,
    count_post,
    day_label,
    location_view,
    message,
    month_groups,
    now,
    page,
    parse_day,
    parse_start,
    service_shown,
    services_view,
    shown,
    time_choices,
    time_gone,
    time_label,
    today,
    visitor_place,
)
from auskunft.catalog.service import listing as portal
from auskunft.core.errors import AuskunftError, Conflict, NotFound
from auskunft.core.web.render import language_of

router = APIRouter(include_in_schema=False)

ServiceId = Annotated[str, Path(max_length=120)]
Param = Annotated[str, Query(max_length=120)]
Field = Annotated[str, Form()]
EntryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Token = Annotated[str, Query(max_length=100)]


def _flow(visit: Visit, service_id: str) -> dict[str, Any]:
    """The service and the locations that take online bookings for it, responsible first."""
    place = visitor_place(visit)
    shown = service_shown(visit, service_id, place)
    service, office = shown["service"], shown["office"]
    uow = visit.uow
    offering = {
        loc["id"]: loc["authority_id"]
        for loc in booking.list_locations(uow)
        if service_id in loc["services"]
    }
    towns = dict(portal.municipalities(uow))
    locations = [
        {**loc, "responsible": office is not None and offering[loc["id"]] == office["id"]}
        for loc in service["locations"]
        if loc["appointment"] and loc["id"] in offering
    ]
    locations.sort(key=lambda loc: not loc["responsible"])
    if not service["appointment"] or not locations:
        raise NotFound(
            "Für diese Leistung gibt es keine Online-Terminbuchung. Unter 115 hilft das "
            "Servicecenter weiter.",
            message_en="This service cannot be booked online. The service center on 115 helps.",
        )
    english = language_of(visit.request) == "en"
    return {
        "service": {
            "id": service["id"],
            "name": (english and service["name_en"]) or service["name"],
            "documents": service["documents"],
        },
        "locations": locations,
        "municipality": towns.get(place, place),
    }


def _location(flow: dict[str, Any], location_id: str) -> dict[str, Any]:
    for loc in flow["locations"]:
        if loc["id"] == location_id:
            found: dict[str, Any] = loc
            return found
    raise NotFound(
        "An diesem Standort kann diese Leistung nicht online gebucht werden.",
        message_en="This service cannot be booked online at this location.",
    )


def _link(service_id: str, **params: str) -> str:
    return f"/termin/buchen/{quote(service_id)}?" + urlencode(params)


def _slots(visit: Visit, service_id: str, location_id: str, first: date, last: date) -> list[Slot]:
    uow = visit.uow
    return booking.find_slots(
        uow,
        visit.policy,
        service_ids=[service_id],
        location_id=location_id,
        first=first,
        last=last,
        now=now(),
    )


def _days(
    visit: Visit,
    flow: dict[str, Any],
    location: dict[str, Any],
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """Step 2: the days with free times, or the waitlist when there are none."""
    service_id, location_id = flow["service"]["id"], location["id"]
    first = today()
    slots = _slots(visit, service_id, location_id, first, first + timedelta(days=365))
    months = month_groups(
        slots,
        language_of(visit.request),
        lambda day: _link(service_id, standort=location_id, tag=day.isoformat()),
    )
    extra.setdefault("person", {})
    return page(
        visit.request,
        "booking_days.html",
        status_code,
        location=location,
        months=months,
        **flow,
        **extra,
    )


def _times(
    visit: Visit,
    flow: dict[str, Any],
    location: dict[str, Any],
    day: date,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """Step 3: the free times of a day."""
    service_id, location_id = flow["service"]["id"], location["id"]
    choices = _free_times(visit, service_id, location_id, day)
    for choice in choices:
        choice["href"] = _link(
            service_id, standort=location_id, tag=day.isoformat(), zeit=choice["value"]
        )
    return page(
        visit.request,
        "booking_times.html",
        status_code,
        location=location,
        day=day_label(day, language_of(visit.request)),
        day_value=day.isoformat(),
        times=choices,
        days_link=_link(service_id, standort=location_id),
        **flow,
        **extra,
    )


def _details(
    visit: Visit,
    flow: dict[str, Any],
    location: dict[str, Any],
    day: date,
    start: datetime | None,
    status_code: int = 200,
    *,
    times: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> HTMLResponse:
    """Step 4: name and e-mail for the chosen time (or another time, when it was taken)."""
    lang = language_of(visit.request)
    extra.setdefault("person", {})
    return page(
        visit.request,
        "booking_details.html",
        status_code,
        location=location,
        day=day_label(day, lang),
        day_value=day.isoformat(),
        time=time_label(start, lang) if start else "",
        zeit=clock_of_start(start),
        times=times,
        days_link=_link(flow["service"]["id"], standort=location["id"]),
        retention=visit.policy.retention_days,
        **flow,
        **extra,
    )


def _free_times(visit: Visit, service_id: str, location_id: str, day: date) -> list[dict[str, Any]]:
    return time_choices(
        _slots(visit, service_id, location_id, day, day), language_of(visit.request)
    )


@router.get("/termin/buchen/{service_id}", response_class=HTMLResponse)
def choose(
    visit: VisitDep,
    service_id: ServiceId,
    standort: Param = "",
    tag: Param = "",
    zeit: Param = "",
) -> HTMLResponse:
    """The booking flow; each query parameter chosen is one step further."""
    flow = _flow(visit, service_id)
    if not standort:
        return page(visit.request, "booking_locations.html", **flow)
    location = _location(flow, standort)
    if not tag:
        return _days(visit, flow, location)
    day = parse_day(tag)
    if not zeit:
        return _times(visit, flow, location, day)
    start = parse_start(day, zeit)
    free = {c["value"] for c in _free_times(visit, service_id, location["id"], day)}
    if clock_of_start(start) not in free:
        gone = time_gone()
        return _times(visit, flow, location, day, gone.status, error=message(visit.request, gone))
    return _details(visit, flow, location, day, start)


@router.post("/termin/buchen/{service_id}")
def book(
    visit: VisitDep,
    service_id: ServiceId,
    csrf: Field = "",
    standort: Field = "",
    tag: Field = "",
    zeit: Field = "",
    name: Field = "",
    email: Field = "",
    phone: Field = "",
) -> Response:
    """Book the chosen time; the confirmation page follows."""
    check_form(visit.request, csrf)
    flow = _flow(visit, service_id)
    location = _location(flow, standort)
    day = parse_day(tag)
    person = {"name": name, "email": email, "phone": phone}
    start = None
    try:
        person = {key: clean(value) for key, value in person.items()}
        start = parse_start(day, zeit)
        count_post(visit.request)
        uow = visit.uow
        done = booking.book(
            uow,
            visit.policy,
            service_ids=[service_id],
            location_id=location["id"],
            start=start,
            person=booking.Person(name, email, phone, language_of(visit.request)),
            now=now(),
        )
        uow.commit()
        code, token = done.appointment.code, done.manage_token
    except AuskunftError as exc:
        visit.uow.rollback()  # what the failed step wrote goes; the page reads afresh
        person = {key: shown(value) for key, value in person.items()}
        times = None
        if isinstance(exc, Conflict) or start is None:
            times = _free_times(visit, service_id, location["id"], day)
            start = None
        return _details(
            visit,
            flow,
            location,
            day,
            start,
            exc.status,
            times=times,
            error=message(visit.request, exc),
            person=person,
        )
    return RedirectResponse(f"/termin/{code}/bestaetigung?token={quote(token)}", status_code=303)


@router.post("/warteliste")
def join_waitlist(
    visit: VisitDep,
    csrf: Field = "",
    leistung: Field = "",
    standort: Field = "",
    name: Field = "",
    email: Field = "",
    phone: Field = "",
) -> Response:
    """Wait for a time at a location that has none free; offers come by e-mail."""
    check_form(visit.request, csrf)
    flow = _flow(visit, leistung[:120])
    location = _location(flow, standort)
    person = {"name": name, "email": email, "phone": phone}
    try:
        person = {key: clean(value) for key, value in person.items()}
        count_post(visit.request)
        uow = visit.uow
        entry, token = waitlist.join(
            uow,
            visit.policy,
            service_id=flow["service"]["id"],
            location_id=location["id"],
            person=booking.Person(name, email, phone, language_of(visit.request)),
            now=now(),
        )
        uow.commit()
        entry_id = entry.id
    except AuskunftError as exc:
        visit.uow.rollback()  # what the failed step wrote goes; the page reads afresh
        person = {key: shown(value) for key, value in person.items()}
        return _days(
            visit, flow, location, exc.status, error=message(visit.request, exc), person=person
        )
    return RedirectResponse(f"/warteliste/{entry_id}?token={quote(token)}", status_code=303)


@router.get("/warteliste/{entry_id}", response_class=HTMLResponse)
def waitlist_page(
    visit: VisitDep, entry_id: EntryId, token: Token = "", erledigt: Param = ""
) -> HTMLResponse:
    """A waitlist entry: its place in line, a held offer, and the way out."""
    lang = language_of(visit.request)
    uow = visit.uow
    entry = waitlist.find_entry(uow, visit.policy, entry_id, token)
    record = waitlist.public_entry(uow, entry)
    service = services_view(uow, [entry.service_id], lang)
    location = location_view(uow, entry.service_id, entry.location_id)
    offer = None
    row = waitlist.offered_appointment(uow, entry)
    if row is not None:
        offered = booking.manage_token(visit.policy.secret, "appointment", row.code)
        offer = f"/termin/{row.code}?" + urlencode({"token": offered})
    return page(
        visit.request,
        "booking_waitlist.html",
        entry=record,
        token=token,
        service=service[0] if service else {"id": entry.service_id, "name": entry.service_id},
        location=location,
        offer=offer,
        left=erledigt == "verlassen",
    )


@router.post("/warteliste/{entry_id}/verlassen")
def leave_waitlist(
    visit: VisitDep, entry_id: EntryId, csrf: Field = "", token: Field = ""
) -> Response:
    """Take oneself off the waitlist."""
    check_form(visit.request, csrf)
    count_post(visit.request)
    uow = visit.uow
    waitlist.leave(uow, visit.policy, entry_id=entry_id, token=token[:100])
    uow.commit()
    query = urlencode({"token": token[:100], "erledigt": "verlassen"})
    return RedirectResponse(f"/warteliste/{entry_id}?{query}", status_code=303)


router.include_router(booking_manage.router)
