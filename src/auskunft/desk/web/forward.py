"""Forwarding from the desk: what the agent cannot answer becomes a concern for the office
responsible, prefilled from the call (Alt+3), and the contact is logged as forwarded.

Keys: Alt+3 opens the form with the consent box in focus; Space ticks it, the callback
details are typed, Enter forwards. The agent reads out the tracking code and the due time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.catalog.service import listing
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.errors import AuskunftError
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login
from auskunft.core.web.deps import SettingsDep, Uow, check_csrf, component, require
from auskunft.core.web.render import english, render
from auskunft.desk import service as contacts
from auskunft.desk.service import CHANNELS, NewContact
from auskunft.desk.web.booking import BOOKING_ROLES
from auskunft.desk.web.desk import caller_place, parse_started
from auskunft.forwarding.model.concern import Citizen
from auskunft.forwarding.service import concerns
from auskunft.search.service.engine import SearchEngine

router = APIRouter(include_in_schema=False)

# Those who take calls forward: the agents, and the supervisors and admins who stand in.
FORWARD_ROLES = BOOKING_ROLES
Agent = Annotated[Login, Depends(require(*FORWARD_ROLES))]
Search = Annotated[SearchEngine, Depends(component(SearchEngine))]


def _form(
    request: Request,
    uow: Uow,
    search: SearchEngine,
    settings: Any,
    login: Login,
    values: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    place = caller_place(search, values.get("gemeinde") or None)
    service_id = values.get("leistung") or ""
    service = catalog_reads.service(uow, service_id) if service_id else None
    policy = concerns.Policy.from_settings(settings)
    routed = concerns.route(
        uow,
        search.snapshot().jurisdiction,
        policy,
        service_id=service.id if service else None,
        municipality=place,
    )
    authorities = sorted(catalog_reads.authorities(uow), key=lambda a: a.name)
    channel = values.get("kanal") or CHANNELS[0]
    return render(
        request,
        "desk_forward.html",
        status_code=status_code,
        login=login,
        csrf=login.csrf_token,
        values=values,
        error=error,
        municipality=place,
        municipalities=listing.municipalities(uow),
        service=service,
        service_name=(
            ((english(request) and service.name_en) or service.name) if service else None
        ),
        authorities=authorities,
        authority=values.get("authority") or routed,
        routed=routed,
        service_center=policy.service_center,
        channel=channel if channel in CHANNELS else CHANNELS[0],
        channels=CHANNELS,
        started=parse_started(values.get("beginn"))
        .astimezone(BERLIN)
        .isoformat(timespec="seconds"),
    )


@router.get("/desk/weiterleiten", response_class=HTMLResponse)
def forward_form(
    request: Request,
    uow: Uow,
    search: Search,
    settings: SettingsDep,
    login: Agent,
    q: str = "",
    gemeinde: str = "",
    leistung: str = "",
    kanal: str = "",
    beginn: str = "",
) -> HTMLResponse:
    """The forward form, prefilled from the call."""
    values = {"q": q[:5000], "gemeinde": gemeinde, "leistung": leistung, "kanal": kanal}
    values["beginn"] = beginn
    return _form(request, uow, search, settings, login, values)


@router.post("/desk/weiterleiten", response_class=HTMLResponse)
def forward(
    request: Request,
    uow: Uow,
    search: Search,
    settings: SettingsDep,
    login: Agent,
    csrf: Annotated[str, Form()] = "",
    question: Annotated[str, Form()] = "",
    service: Annotated[str, Form()] = "",
    municipality: Annotated[str, Form()] = "",
    authority: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "115",
    started: Annotated[str, Form()] = "",
    consent: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    preferred: Annotated[str, Form()] = "phone",
    callback: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "de",
) -> Response:
    """Forward the concern, log the contact as forwarded, and show the code to read out."""
    check_csrf(login, csrf)
    now = datetime.now(UTC)
    values = {
        "q": question,
        "gemeinde": municipality,
        "leistung": service,
        "kanal": channel,
        "beginn": started,
        "authority": authority,
        "consent": consent,
        "name": name,
        "phone": phone,
        "email": email,
        "preferred": preferred,
        "callback": callback,
        "language": language,
    }
    try:
        place = caller_place(search, municipality or None)
        row = concerns.create(
            uow,
            search.snapshot().jurisdiction,
            concerns.Policy.from_settings(settings),
            concerns.NewConcern(
                question=question,
                channel=channel if channel in CHANNELS else "115",
                citizen=Citizen(
                    name=name, email=email, phone=phone, preferred=preferred, callback=callback
                ),
                consent=consent == "ja",
                service_id=service or None,
                municipality=place,
                authority_id=authority or None,
                source="desk",
                language=language if language in ("de", "en") else "de",
            ),
            login=login,
            now=now,
        )
        contact = contacts.log_contact(
            uow,
            NewContact(
                channel=channel if channel in CHANNELS else "115",
                outcome="forwarded",
                started_at=parse_started(started, now),
                ended_at=now,
                service_id=service or None,
                municipality=place,
            ),
            areas=set(search.snapshot().jurisdiction.areas),
            now=now,
            agent_id=login.user_id,
            source="desk",
            concern_id=row.id,
        )
    except AuskunftError as exc:
        message = exc.message_en if english(request) else exc.message
        return _form(
            request, uow, search, settings, login, values, error=message, status_code=exc.status
        )
    uow.commit()
    # The next call starts clean: the default municipality, no service, no question.
    target = "/desk?" + urlencode({"kanal": channel, "erfasst": contact.id, "anliegen": row.id})
    return RedirectResponse(target, status_code=303)
