"""The agent desk: answer a caller from the keyboard, send the answer by e-mail, log the contact.

Every part works as plain HTML forms; htmx swaps only the results and the service
card while the agent types. All routes require a staff login.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.access import service as accounts
from auskunft.appointments.model.calendar import from_epoch_minutes
from auskunft.appointments.service import agenda
from auskunft.appointments.service.booking import iso
from auskunft.appointments.service.booking import local_day as booking_day
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.catalog.model.jurisdiction import DEFAULT_MUNICIPALITY, MUNICIPAL_TYPES
from auskunft.catalog.model.places import mentioned_town, short_name
from auskunft.catalog.service import listing, queries
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import AuskunftError, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.i18n import translations
from auskunft.core.mail import smtp as mailer
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import SettingsDep, Uow, check_csrf, component, require
from auskunft.core.web.render import ENVIRONMENTS, english, language_of, render
from auskunft.desk import service as contacts
from auskunft.desk.service import CHANNELS, OUTCOMES, NewContact
from auskunft.forwarding.service import concerns
from auskunft.search.service.engine import (
    SearchEngine,
    answer_question,
    check_municipality,
    judge_question,
)
from auskunft.telephony.service import live

router = APIRouter(include_in_schema=False)

# The desk is every staff member's start page (the search, the card, the links to the
# other staff pages); booking for a caller has its own, narrower roles (desk/web/booking.py).
# Every role that answers or reads at the service center; the data-protection officer
# works on the audit log and citizens' requests, not on calls.
DESK_ROLES = tuple(role for role in Role if role is not Role.DPO)
StaffLogin = Annotated[Login, Depends(require(*DESK_ROLES))]
Search = Annotated[SearchEngine, Depends(component(SearchEngine))]
Policy = Annotated[BookingPolicy, Depends(component(BookingPolicy))]
RESULTS = 8
# Row ids in the address (the contact just logged, the concern just forwarded) are integer
# columns: a larger number is no row, and SQLite cannot even compare it (an overflow, 500).
ROW_ID_MAX = 2**31 - 1


def caller_place(search: SearchEngine, wanted: str | None) -> str:
    """The caller's municipality: the one chosen, Kassel when none is."""
    if not wanted:
        return DEFAULT_MUNICIPALITY
    return check_municipality(search.snapshot().jurisdiction.areas, wanted)


def service_card(
    request: Request, uow: UnitOfWork, search: SearchEngine, service_id: str, place: str
) -> dict[str, Any]:
    """The service card: the service, its office for the caller's town, open now or not."""
    return queries.service_card(
        uow,
        search.snapshot().jurisdiction,
        service_id=service_id,
        municipality=place,
        english=english(request),
    )


def _results(
    request: Request, search: SearchEngine, q: str, place: str, *, judge: bool = True
) -> tuple[list[dict[str, Any]], str | None, bool | None]:
    """Hits for the agent's question, or the message why the question cannot be searched,
    and whether the search has a reliable answer (the desk says so when it has none; None:
    not judged yet while the agent types, the page asks /desk/bekannt when typing pauses)."""
    if not q.strip():
        return [], None, True
    try:
        answer = answer_question(search, q=q, municipality=place, limit=RESULTS, judge=judge)
    except InvalidInput as exc:
        return [], exc.message_en if language_of(request) == "en" else exc.message, True
    services = search.snapshot().services
    hits = [
        {**hit, "appointment": hit["id"] in services and services[hit["id"]].appointment}
        for hit in answer["results"]
    ]
    known = answer["known"]
    return hits, None, None if known is None else bool(known)


def town_hint(search: SearchEngine, q: str, place: str) -> dict[str, str] | None:
    """A town or postcode in the caller's words that is not the municipality chosen: the
    desk offers it with one key (Alt+W)."""
    if not q:
        return None
    areas = search.snapshot().jurisdiction.areas
    names = {a.id: a.name for a in areas.values() if a.type in MUNICIPAL_TYPES}
    found = mentioned_town(q, names, catalog_reads.postcodes())
    if found is None or found == place:
        return None
    return {"id": found, "name": short_name(names[found])}


def times_view(choice: agenda.Choice) -> dict[str, Any]:
    """The free days and times of a choice as the booking templates show them."""
    return {
        "today": booking_day(datetime.now(UTC)),
        "locations": choice.locations,
        "location_id": choice.location_id,
        "days": choice.days,
        "day": choice.day,
        "times": [
            {"value": iso(slot.start), "label": from_epoch_minutes(slot.start).strftime("%H:%M")}
            for slot in choice.times
        ],
    }


def booking_for(
    uow: UnitOfWork,
    policy: BookingPolicy,
    card: dict[str, Any] | None,
    *,
    location: str | None = None,
    day: date | None = None,
) -> dict[str, Any] | None:
    """The booking section of a service card, for services done by appointment."""
    if card is None or not card["service"]["appointment"]:
        return None
    office = card["office"]
    choice = agenda.booking_choice(
        uow,
        policy,
        service_ids=[card["service"]["id"]],
        authority_id=office["id"] if office else None,
        location_id=location or None,
        day=day,
        now=datetime.now(UTC),
    )
    return times_view(choice)


def spoken_due(moment: datetime, language: str = "de") -> str:
    """The due time as the agent reads it out: "Dienstag, 8. Dezember, 13:30 Uhr"."""
    local = moment.astimezone(BERLIN)
    if language == "en":
        return format_datetime(local, "EEEE, d MMMM, HH:mm", locale="en_GB")
    return format_datetime(local, "EEEE, d. MMMM, HH:mm", locale="de") + " Uhr"


def forwarded_view(uow: UnitOfWork, login: Login, concern_id: int, language: str) -> dict[str, Any]:
    """What the desk shows after forwarding: the office, the code and the due time to read
    out (no personal data)."""
    shown = concerns.brief(uow, login, concern_id, now=datetime.now(UTC))
    due = datetime.fromisoformat(shown["due_at"]) if shown["due_at"] else None
    return {
        "code": shown["tracking_code"],
        "office": shown["authority"]["name"],
        "due": spoken_due(due, language) if due else "",
    }


def parse_started(value: str | None, now: datetime | None = None) -> datetime:
    """The call's start as the page recorded it; now when it is missing or not believable."""
    now = now or datetime.now(UTC)
    if not value:
        return now
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return now
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BERLIN)
    if moment > now or now - moment > contacts.LONGEST_CONTACT:
        return now
    return moment


def page_context(
    request: Request,
    uow: UnitOfWork,
    search: SearchEngine,
    policy: BookingPolicy,
    login: Login,
    *,
    q: str,
    place: str,
    service_id: str | None,
    channel: str,
    started: datetime,
    location: str | None = None,
    day: date | None = None,
    call: dict[str, Any] | None = None,
) -> dict[str, Any]:
    results, error, known = _results(request, search, q, place)
    card = service_card(request, uow, search, service_id, place) if service_id else None
    booking = booking_for(uow, policy, card, location=location, day=day)
    towns = listing.municipalities(uow)
    return {
        "login": login,
        "csrf": login.csrf_token,
        "q": q,
        "results": results,
        "known": known,
        "search_error": error,
        "town_hint": town_hint(search, q, place),
        "municipality": place,
        "municipalities": towns,
        "card": card,
        "booking": booking,
        "service_id": service_id or "",
        "channel": channel if channel in CHANNELS else CHANNELS[0],
        "channels": CHANNELS,
        "outcomes": OUTCOMES,
        "started": started.astimezone(BERLIN).isoformat(timespec="seconds"),
        "call": call,
        # A call whose area code serves several municipalities (or none of the catalog's):
        # the agent asks, and the select says so instead of suggesting one.
        "ask_municipality": call is not None and not call["suggested_municipality"],
        "municipality_names": dict(towns),
        "call_towns": ", ".join(dict(towns).get(m, m) for m in call["municipalities"])
        if call
        else "",
    }


def call_view(uow: UnitOfWork, login: Login, call_id: str) -> dict[str, Any] | None:
    """The call the desk's contact is about, if it is this agent's call."""
    return live.call_of(uow, login.user_id, call_id, datetime.now(UTC)) if call_id else None


@router.get("/desk", response_class=HTMLResponse)
def desk(
    request: Request,
    uow: Uow,
    search: Search,
    policy: Policy,
    login: StaffLogin,
    q: str = "",
    gemeinde: str = "",
    leistung: str = "",
    kanal: str = "",
    beginn: str = "",
    erfasst: Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)] = None,
    anliegen: Annotated[int | None, Query(ge=1, le=ROW_ID_MAX)] = None,
    anruf: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    call = call_view(uow, login, anruf)
    if call is not None:
        # The screen pop: a new contact with the call's channel, start and call id, and
        # the municipality its area code suggests (none where the network serves several).
        kanal = kanal or call["channel"] or ""
        beginn = beginn or call["answered_at"]
        gemeinde = gemeinde or call["suggested_municipality"] or ""
    place = caller_place(search, gemeinde or None)
    context = page_context(
        request,
        uow,
        search,
        policy,
        login,
        q=q,
        place=place,
        service_id=leistung or None,
        channel=kanal,
        started=parse_started(beginn),
        call=call,
    )
    if call is not None and not gemeinde:
        context["municipality"] = ""
    if erfasst is not None:
        context["logged"] = contacts.logged(uow, erfasst)
    if anliegen is not None:
        context["forwarded"] = forwarded_view(uow, login, anliegen, language_of(request))
    return render(request, "desk.html", **context)


@router.get("/desk/treffer", response_class=HTMLResponse)
def desk_results(
    request: Request,
    uow: Uow,
    search: Search,
    policy: Policy,
    login: StaffLogin,
    q: str = "",
    gemeinde: str = "",
    leistung: str = "",
    beginn: str = "",
) -> HTMLResponse:
    """The result list (and the open card, for a new municipality) as an htmx fragment."""
    place = caller_place(search, gemeinde or None)
    results, error, known = _results(request, search, q, place, judge=False)
    card = service_card(request, uow, search, leistung, place) if leistung else None
    return render(
        request,
        "_desk_results.html",
        status_code=200,
        q=q,
        results=results,
        known=known,
        search_error=error,
        town_hint=town_hint(search, q, place),
        municipality=place,
        card=card,
        booking=booking_for(uow, policy, card),
        service_id=leistung,
        csrf=login.csrf_token,
        started=parse_started(beginn).astimezone(BERLIN).isoformat(timespec="seconds"),
        fragment=True,
    )


@router.get("/desk/bekannt", response_class=HTMLResponse)
def desk_known(
    request: Request, search: Search, login: StaffLogin, q: str = "", gemeinde: str = ""
) -> HTMLResponse:
    """Once the agent pauses: whether the search has a reliable answer to the question."""
    known = True
    if q.strip():
        try:
            known = judge_question(search, q=q)
        except InvalidInput:
            known = True  # the results already say what is wrong with the question
    return render(
        request,
        "_desk_known.html",
        known=known,
        q=q,
        municipality=caller_place(search, gemeinde or None),
        started="",
    )


@router.get("/desk/karte/{service_id}", response_class=HTMLResponse)
def desk_card(
    request: Request,
    uow: Uow,
    search: Search,
    policy: Policy,
    login: StaffLogin,
    service_id: str,
    gemeinde: str = "",
) -> HTMLResponse:
    """The service card as an htmx fragment."""
    place = caller_place(search, gemeinde or None)
    card = service_card(request, uow, search, service_id, place)
    return render(
        request,
        "_desk_card.html",
        card=card,
        booking=booking_for(uow, policy, card),
        municipality=place,
        service_id=service_id,
        csrf=login.csrf_token,
        card_oob=True,
    )


@router.get("/desk/anruf")
def desk_call(
    request: Request,
    uow: Uow,
    login: StaffLogin,
    call_id: Annotated[str, Query(max_length=64)] = "",
    q: Annotated[str, Query(max_length=1000)] = "",
    leistung: Annotated[str, Query(max_length=120)] = "",
) -> Response:
    """Polled by the desk every 2 seconds: a call the telephone system just connected to
    this agent. An idle desk opens it at once (a new contact); a desk in the middle of a
    contact shows a notice to take it over, so nothing typed is lost. 204: nothing new."""
    call = live.connected_call(uow, login.user_id, datetime.now(UTC))
    if call is None or call["call_id"] == call_id:
        return Response(status_code=204)
    target = "/desk?" + urlencode({"anruf": call["call_id"]})
    if not q.strip() and not leistung:
        return Response(status_code=200, headers={"HX-Redirect": target})
    return render(request, "_desk_call.html", call=call, target=target)


@router.post("/desk/kontakt")
def log_contact(
    uow: Uow,
    search: Search,
    login: StaffLogin,
    csrf: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    outcome: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    municipality: Annotated[str, Form()] = "",
    started: Annotated[str, Form()] = "",
    call_id: Annotated[str, Form(max_length=64)] = "",
    query: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Log the contact that just ended and open the desk for the next one."""
    check_csrf(login, csrf)
    now = datetime.now(UTC)
    place = caller_place(search, municipality or None)
    if call_id and call_view(uow, login, call_id) is None:
        raise InvalidInput(
            "Dieser Anruf wurde nicht mit Ihnen verbunden; der Kontakt wurde nicht erfasst.",
            message_en="This call was not connected to you; the contact was not logged.",
        )
    contact = NewContact(
        channel=channel,
        outcome=outcome,
        started_at=parse_started(started, now),
        ended_at=now,
        service_id=service or None,
        municipality=place,
        call_id=call_id or None,
    )
    areas = set(search.snapshot().jurisdiction.areas)
    row = contacts.log_contact(
        uow, contact, areas=areas, now=now, agent_id=login.user_id, source="desk", query=query
    )
    uow.commit()
    contact_id = row.id
    # The next call starts clean: the caller's municipality goes back to the default.
    target = "/desk?" + urlencode({"kanal": channel, "erfasst": contact_id})
    return RedirectResponse(target, status_code=303)


@router.post("/desk/email", response_class=HTMLResponse)
def email_caller(
    request: Request,
    uow: Uow,
    search: Search,
    settings: SettingsDep,
    login: StaffLogin,
    csrf: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    municipality: Annotated[str, Form()] = "",
    to: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "de",
) -> Response:
    """Send the service card to the caller's e-mail address; the address is not stored."""
    check_csrf(login, csrf)
    place = caller_place(search, municipality or None)
    mail_language = language if language in ENVIRONMENTS else "de"
    fragment = bool(request.headers.get("HX-Request"))
    try:
        if not service:
            raise InvalidInput(
                "Bitte zuerst eine Leistung öffnen.", message_en="Please open a service first."
            )
        address = mailer.check_address(to)
        card = service_card(request, uow, search, service, place)
        body = (
            ENVIRONMENTS[mail_language]
            .get_template("mail_service.txt")
            .render(**card, lang=mail_language, portal_url=settings.public_url.rstrip("/"))
        )
        name = (mail_language == "en" and card["service"]["name_en"]) or card["service"]["name"]
        subject = translations(mail_language).gettext("Your enquiry: %(name)s") % {"name": name}
        smtp = mailer.SmtpSettings.from_settings(settings)
        mailer.send(smtp, mailer.message(smtp, address, subject, body, mail_language))
    except AuskunftError as exc:
        message = exc.message_en if english(request) else exc.message
        if fragment:
            return render(
                request, "_desk_mail_status.html", status_code=exc.status, ok=False, message=message
            )
        raise
    if fragment:
        return render(request, "_desk_mail_status.html", ok=True, address=address)
    target = "/desk?" + urlencode({"gemeinde": place, "leistung": service, "gesendet": "1"})
    return RedirectResponse(target, status_code=303)


# The overview is the service center's: today's contacts for its agents, and the staff
# accounts (names, roles, lockouts) only for those who lead the center or run it.
OVERVIEW_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
ACCOUNT_ROLES = (Role.SUPERVISOR, Role.ADMIN)


@router.get("/admin", response_class=HTMLResponse)
def admin(
    request: Request, uow: Uow, login: Annotated[Login, Depends(require(*OVERVIEW_ROLES))]
) -> HTMLResponse:
    """The staff overview: today's contacts, and the accounts for supervisors and admins."""
    now = datetime.now(UTC)
    today = now.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    summary = contacts.summarize(uow, today, today + timedelta(days=1))
    users = None
    if login.has(*ACCOUNT_ROLES):
        users = [
            {"username": u.username, "role": u.role, "demo": u.demo, "locked": u.locked}
            for u in accounts.list_users(uow, now)
        ]
    return render(
        request,
        "admin.html",
        login=login,
        csrf=login.csrf_token,
        summary=summary,
        users=users,
        day=today.date(),
    )
