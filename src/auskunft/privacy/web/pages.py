"""The supervisors' page of the citizen's rights, `/admin/datenschutz`: find a person's data
by e-mail address or phone number, export it (a printable page, JSON, a text letter), and
erase it after a confirmation.

Every step is a POST with the session's form token, so an address never lands in a URL,
a browser history or a log.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.config import Settings
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import SettingsDep, Uow, check_csrf, component, require
from auskunft.core.web.render import english, render
from auskunft.privacy.model.subject import Subject, subject
from auskunft.privacy.model.wording import Retention
from auskunft.privacy.service import document, rights

router = APIRouter(include_in_schema=False)

PAGE = "/admin/datenschutz"
LEADS = (Role.SUPERVISOR, Role.ADMIN, Role.DPO)  # and the data-protection officer
Lead = Annotated[
    Login,
    Depends(
        require(
            *LEADS,
            refusal=(
                "Auskunft und Löschung nach der DSGVO sind der Leitung und der Administration "
                "vorbehalten.",
                "Access and erasure under the GDPR are for supervisors and administrators.",
            ),
        )
    ),
]
Policy = Annotated[BookingPolicy, Depends(component(BookingPolicy))]
Csrf = Annotated[str, Form(max_length=200)]
Email = Annotated[str, Form(max_length=254)]
Phone = Annotated[str, Form(max_length=40)]


def retention_of(settings: Settings) -> Retention:
    """The retention periods the document names, from the settings in force."""
    return Retention(
        appointment_days=settings.appointment_retention_days,
        concern_days=settings.concern_retention_days,
    )


def _now() -> datetime:
    return datetime.now(UTC)


def _form(
    request: Request,
    login: Login,
    *,
    email: str = "",
    telefon: str = "",
    error: str | None = None,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    return render(
        request,
        "privacy.html",
        status_code=status_code,
        login=login,
        csrf=login.csrf_token,
        email=email,
        telefon=telefon,
        error=error,
        **context,
    )


def _person(
    request: Request, uow: UnitOfWork, login: Login, email: str, telefon: str
) -> Subject | HTMLResponse:
    """The person asked about, or the form again with what is wrong."""
    try:
        return subject(email, telefon)
    except InvalidInput as exc:
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        return _form(
            request,
            login,
            email=email,
            telefon=telefon,
            error=message,
            status_code=exc.status,
        )


@router.get(PAGE, response_class=HTMLResponse)
def privacy_page(request: Request, login: Lead) -> HTMLResponse:
    """The form: an e-mail address, a phone number, or both."""
    return _form(request, login)


@router.post(PAGE, response_class=HTMLResponse)
def privacy_search(
    request: Request,
    uow: Uow,
    settings: SettingsDep,
    login: Lead,
    csrf: Csrf = "",
    email: Email = "",
    telefon: Phone = "",
) -> HTMLResponse:
    """Everything stored about the person, with the ways to export and erase it."""
    check_csrf(login, csrf)
    who = _person(request, uow, login, email, telefon)
    if isinstance(who, HTMLResponse):
        return who
    found = rights.find(uow, who, login=login, now=_now())
    uow.commit()
    doc = document.letter(found, retention_of(settings))
    return _form(
        request,
        login,
        email=who.email,
        telefon=who.phone,
        found=found,
        records=[s for s in doc.sections if s.records],
    )


@router.post(PAGE + "/auskunft")
def privacy_export(
    request: Request,
    uow: Uow,
    settings: SettingsDep,
    login: Lead,
    csrf: Csrf = "",
    email: Email = "",
    telefon: Phone = "",
    fmt: Annotated[str, Form(alias="format", max_length=10)] = "html",
) -> Response:
    """The Art. 15 document: a printable page, or a download as JSON or as a text letter."""
    check_csrf(login, csrf)
    who = _person(request, uow, login, email, telefon)
    if isinstance(who, HTMLResponse):
        return who
    found = rights.export(uow, who, fmt=fmt, login=login, now=_now())
    uow.commit()
    retention = retention_of(settings)
    stamp = found.found_at.astimezone(BERLIN).strftime("%Y-%m-%d")
    if fmt == "json":
        body = json.dumps(document.as_json(found, retention), ensure_ascii=False, indent=2)
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="auskunft-{stamp}.json"'},
        )
    doc = document.letter(found, retention)
    if fmt == "text":
        return Response(
            document.as_text(doc),
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="auskunft-{stamp}.txt"'},
        )
    return render(request, "privacy_document.html", login=login, csrf=login.csrf_token, doc=doc)


@router.post(PAGE + "/loeschen", response_class=HTMLResponse)
def privacy_erase(
    request: Request,
    uow: Uow,
    policy: Policy,
    login: Lead,
    csrf: Csrf = "",
    email: Email = "",
    telefon: Phone = "",
    bestaetigt: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    """First what would be erased and a confirmation; confirmed, the erasure and its counts."""
    check_csrf(login, csrf)
    who = _person(request, uow, login, email, telefon)
    if isinstance(who, HTMLResponse):
        return who
    if bestaetigt != "ja":
        found = rights.gather(uow, who, now=_now())
        return render(
            request,
            "privacy_erase.html",
            login=login,
            csrf=login.csrf_token,
            email=who.email,
            telefon=who.phone,
            counts=found.counts,
            done=None,
        )
    done = rights.erase(uow, policy, who, login=login, now=_now())
    uow.commit()
    return render(
        request,
        "privacy_erase.html",
        login=login,
        csrf=login.csrf_token,
        email=who.email,
        telefon=who.phone,
        counts=None,
        done=done,
    )
