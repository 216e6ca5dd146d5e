"""Shared parts of the citizen's booking pages: dates in the reader's language, the
form token of anonymous visitors, and what an appointment page shows."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from babel import Locale
from babel.dates import format_skeleton, format_time
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import CHANGEABLE, Slot
from auskunft.appointments.model.calendar import from_epoch_minutes, local_minute, parse_clock
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.catalog.model.jurisdiction import DEFAULT_MUNICIPALITY
from auskunft.catalog.service import queries
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import AuskunftError, Conflict, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.web.client import client_address
from auskunft.core.web.deps import Uow, component, csrf_failure, tokens_match
from auskunft.core.web.render import (
    english,
    language_of,
    long_date,
    render,
    visitor_municipality,
)
from auskunft.search.service.engine import SearchEngine

# Double-submit cookie: anonymous visitors have no session to hold a form token.
CSRF_COOKIE = "auskunft_booking_csrf"
# Longest text kept from a form field when the form is shown again.
KEEP = 300


@dataclass(frozen=True)
class Visit:
    """One request to the citizen's booking pages: the page, its unit of work, the booking
    rules and the search (for the visitor's municipality and the responsible office)."""

    request: Request
    uow: UnitOfWork
    policy: BookingPolicy
    search: SearchEngine


async def _visit(
    request: Request,
    uow: Uow,
    policy: Annotated[BookingPolicy, Depends(component(BookingPolicy))],
    search: Annotated[SearchEngine, Depends(component(SearchEngine))],
) -> Visit:
    return Visit(request, uow, policy, search)


VisitDep = Annotated[Visit, Depends(_visit)]


def visitor_place(visit: Visit) -> str:
    """The municipality the visitor chose on the portal (Kassel when none or an unknown one)."""
    areas = visit.search.snapshot().jurisdiction.areas
    return visitor_municipality(visit.request, areas, DEFAULT_MUNICIPALITY)


def service_shown(visit: Visit, service_id: str, place: str) -> dict[str, Any]:
    """The service with its responsible office for the place, as the service page has it."""
    return queries.service_card(
        visit.uow,
        visit.search.snapshot().jurisdiction,
        service_id=service_id,
        municipality=place,
        english=english(visit.request),
    )


def now() -> datetime:
    return datetime.now(UTC)


def message(request: Request, exc: AuskunftError) -> str:
    """The error's text in the visitor's language."""
    return exc.message_en if language_of(request) == "en" else exc.message


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a booking page with the form token; the cookie carries the same token."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(request, template, status_code=status_code, csrf=token, **context)
    # The pages show personal data and carry the manage token in their address.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.cookies.get(CSRF_COOKIE) != token:
        settings = request.app.state.settings
        response.set_cookie(
            CSRF_COOKIE,
            token,
            max_age=24 * 3600,
            httponly=True,
            samesite="strict",
            secure=settings.secure_cookies,
            path="/",
        )
    return response


def check_form(request: Request, token: str) -> None:
    """A post must carry the token of the cookie its page set; then it counts for the limit."""
    if not tokens_match(request.cookies.get(CSRF_COOKIE, ""), token):
        raise csrf_failure()


def count_post(request: Request) -> None:
    """Count a change against the client's rate limit (LimitReached when over it)."""
    request.app.state.rate_limiter.hit(client_address(request))


def clean(value: str) -> str:
    """Form text kept for showing the form again; control characters refused."""
    if any(ord(c) < 32 and c not in "\t" for c in value):
        raise InvalidInput(
            "Die Eingabe enthält Zeichen, die nicht verarbeitet werden können.",
            message_en="The input contains characters that cannot be processed.",
        )
    return value[:KEEP]


def shown(value: str) -> str:
    """Form text without control characters, for showing the form again."""
    return "".join(c for c in value if ord(c) >= 32)[:KEEP]


# -- dates and times -------------------------------------------------------
def today() -> date:
    return booking.local_day(now())


def parse_day(text: str) -> date:
    """A day of the booking horizon from ?tag=YYYY-MM-DD."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        day = None
    first = today() - timedelta(days=1)
    if day is None or not first <= day <= first + timedelta(days=booking.MAX_RANGE_DAYS):
        raise InvalidInput(
            "Bitte einen Tag aus der Liste wählen.", message_en="Please choose a day from the list."
        )
    return day


def parse_start(day: date, text: str) -> datetime:
    """The start of ?zeit=HH:MM on a day, as an aware moment."""
    try:
        minute_of_day = parse_clock(text)
    except ValueError:
        minute_of_day = 24 * 60
    if minute_of_day >= 24 * 60:
        raise InvalidInput(
            "Bitte eine Uhrzeit aus der Liste wählen.",
            message_en="Please choose a time from the list.",
        )
    return from_epoch_minutes(local_minute(day, minute_of_day))


def time_gone() -> Conflict:
    """The answer when a time chosen from a list is no longer free."""
    return Conflict(
        "Diese Uhrzeit ist nicht (mehr) frei. Bitte eine andere wählen.",
        message_en="This time is not free (any more). Please choose another one.",
    )


def clock_of(minute: int) -> str:
    """ "HH:MM" in Berlin of an epoch minute (the value of ?zeit=)."""
    return from_epoch_minutes(minute).strftime("%H:%M")


def clock_of_start(start: datetime | None) -> str:
    return start.astimezone(BERLIN).strftime("%H:%M") if start else ""


def day_label(day: date, lang: str) -> str:
    """ "Dienstag, 1. Dezember 2026"; English pages: "Tuesday, 1 December 2026"."""
    return long_date(day, lang)


def time_label(moment: datetime, lang: str) -> str:
    return format_time(moment, "short", tzinfo=BERLIN, locale=lang)


def moment_label(moment: datetime, lang: str) -> dict[str, str]:
    local = moment.astimezone(BERLIN)
    return {"day": day_label(local.date(), lang), "time": time_label(local, lang)}


def month_groups(
    slots: Sequence[Slot], lang: str, link: Callable[[date], str]
) -> list[dict[str, Any]]:
    """Days with free times, by month: each with its label, count and link."""
    counts: dict[date, int] = {}
    for slot in slots:
        day = from_epoch_minutes(slot.start).date()
        counts[day] = counts.get(day, 0) + 1
    months: list[dict[str, Any]] = []
    for day, count in sorted(counts.items()):
        month = format_skeleton("yMMMM", day, locale=lang)
        if not months or months[-1]["label"] != month:
            months.append({"label": month, "days": []})
        months[-1]["days"].append(
            {
                "value": day.isoformat(),
                "label": format_skeleton("MMMEd", day, locale=lang),
                "full": day_label(day, lang),
                "count": count,
                "href": link(day),
            }
        )
    return months


def hour_label(hour: int, lang: str) -> str:
    """An hour of the day as the language says it: "8 Uhr" ("8 AM" where times read so)."""
    locale = Locale.parse(lang)
    twelve = "h" in str(locale.time_formats["short"])
    pattern = str(locale.datetime_skeletons["h" if twelve else "H"])
    unpadded = pattern.replace("HH", "H").replace("hh", "h")
    return format_time(datetime(2000, 1, 1, hour), unpadded, locale=locale)


def time_choices(slots: Sequence[Slot], lang: str) -> list[dict[str, Any]]:
    """Free start times of one day: the value for ?zeit=, the label and the hour it is in
    (pages with many free times show them by hour)."""
    choices: list[dict[str, Any]] = []
    for s in slots:
        value = clock_of(s.start)
        hour = int(value[:2])
        choices.append(
            {
                "value": value,
                "label": time_label(from_epoch_minutes(s.start), lang),
                "hour": hour,
                "hour_label": hour_label(hour, lang),
            }
        )
    return choices


# -- what a page shows of an appointment -----------------------------------
def services_view(uow: UnitOfWork, service_ids: Sequence[str], lang: str) -> list[dict[str, Any]]:
    """Name and what to bring of each service, in the given order."""
    rows = catalog_reads.services_by_id(uow, list(service_ids))
    shown = []
    for service_id in service_ids:
        row = rows.get(service_id)
        if row is None:
            continue
        name = (lang == "en" and row.name_en) or row.name
        shown.append({"id": row.id, "name": name, "documents": list(row.documents or [])})
    return shown


def location_view(uow: UnitOfWork, service_id: str, location_id: str) -> dict[str, Any]:
    """Name and address of a location where a service is offered."""
    for loc in catalog_reads.locations_of_service(uow, service_id):
        if loc.id == location_id:
            return {
                "id": loc.id,
                "name": loc.name,
                "street": loc.street,
                "postcode": loc.postcode,
                "city": loc.city,
                "phone": loc.phone,
            }
    return {"id": location_id, "name": location_id, "street": "", "postcode": "", "city": ""}


def appointment_view(
    uow: UnitOfWork, row: t.Appointment, lang: str, token: str, base_url: str
) -> dict[str, Any]:
    """Everything the confirmation and manage pages show of an appointment."""
    service_ids = [s.service_id for s in row.services]
    moment = row.start_at.astimezone(BERLIN)
    started = row.start_at <= now()
    path = f"/termin/{row.code}?token={token}"
    view: dict[str, Any] = {
        "code": row.code,
        "token": token,
        "status": row.status,
        "day": day_label(moment.date(), lang),
        "time": time_label(moment, lang),
        "end": time_label(row.end_at, lang),
        "location": location_view(uow, service_ids[0], row.location_id) if service_ids else {},
        "services": services_view(uow, service_ids, lang),
        "service_ids": service_ids,
        "location_id": row.location_id,
        "email": row.email,
        "path": path,
        "manage_url": base_url.rstrip("/") + path,
        "changeable": row.status in CHANGEABLE and not started,
        "movable": row.status in ("booked", "provisional") and not started,
        "expires": moment_label(row.expires_at, lang) if row.expires_at else None,
    }
    return view
