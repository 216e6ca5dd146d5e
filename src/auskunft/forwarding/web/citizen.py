"""The citizen's pages of concerns: send one (/kontakt), follow it (/anliegen/{code}) and
say whether the answer settled it; and the answer page of an office without an account,
opened by the signed single-use link in its e-mail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from auskunft.catalog.model.jurisdiction import DEFAULT_MUNICIPALITY
from auskunft.core import proof
from auskunft.core.errors import AuskunftError
from auskunft.core.web.deps import SettingsDep, Uow, component
from auskunft.core.web.params import RowId
from auskunft.core.web.ratelimit import limit
from auskunft.core.web.render import english, language_of, render, visitor_municipality
from auskunft.forwarding.model.concern import Citizen
from auskunft.forwarding.service import concerns
from auskunft.forwarding.web import formatting  # noqa: F401  (the long_moment filter)
from auskunft.search.service.engine import SearchEngine

router = APIRouter(include_in_schema=False)
Search = Annotated[SearchEngine, Depends(component(SearchEngine))]


def _now() -> datetime:
    return datetime.now(UTC)


def form_context(request: Request, uow: Uow, areas: Any, values: dict[str, str]) -> dict[str, Any]:
    """What the concern form shows: the values so far, the service it is about, the towns."""
    place = values.get("gemeinde") or visitor_municipality(request, areas, DEFAULT_MUNICIPALITY)
    return concerns.form_options(
        uow,
        values=values,
        service_id=values.get("leistung") or None,
        municipality=place if place in areas else DEFAULT_MUNICIPALITY,
        english=english(request),
    )


def _contact_page(
    request: Request,
    uow: Uow,
    search: SearchEngine,
    values: dict[str, str],
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form again, with what was typed and why it was refused (GET /kontakt is the
    portal's contact page, which includes the same form)."""
    areas = search.snapshot().jurisdiction.areas
    return render(
        request,
        "concern_form.html",
        status_code=status_code,
        concern=form_context(request, uow, areas, values),
        error=error,
    )


@router.get("/kontakt/pruefung")
def contact_challenge(settings: SettingsDep) -> JSONResponse:
    """A fresh proof-of-work challenge for the form (ALTCHA format)."""
    found = proof.challenge(settings.secret(), settings.altcha_max_number, _now())
    return JSONResponse(found, headers={"Cache-Control": "no-store"})


@router.post("/kontakt", response_class=HTMLResponse, dependencies=[Depends(limit)])
def contact_send(
    request: Request,
    uow: Uow,
    search: Search,
    settings: SettingsDep,
    question: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    preferred: Annotated[str, Form()] = "email",
    consent: Annotated[str, Form()] = "",
    leistung: Annotated[str, Form()] = "",
    gemeinde: Annotated[str, Form()] = "",
    altcha: Annotated[str, Form()] = "",
) -> Response:
    """Take the concern in; the confirmation page and e-mail carry the tracking code."""
    now = _now()
    values = {
        "question": question[:6000],
        "name": name[:300],
        "email": email[:300],
        "phone": phone[:60],
        "preferred": preferred[:10],
        "consent": consent[:5],
        "leistung": leistung[:120],
        "gemeinde": gemeinde[:80],
    }
    try:
        proof.check(uow, settings.secret(), altcha, now)
        row = concerns.create(
            uow,
            search.snapshot().jurisdiction,
            concerns.Policy.from_settings(settings),
            concerns.NewConcern(
                question=question,
                channel="web",
                citizen=Citizen(name=name, email=email, phone=phone, preferred=preferred),
                consent=consent == "ja",
                service_id=leistung or None,
                municipality=gemeinde or None,
                source="portal",
                language=language_of(request),
            ),
            login=None,
            now=now,
        )
    except AuskunftError as exc:
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        return _contact_page(request, uow, search, values, error=message, status_code=exc.status)
    uow.commit()
    code = concerns.track(uow, row.tracking_code, now=now)["tracking_code"]
    return RedirectResponse(f"/anliegen/{quote(code)}?neu=1", status_code=303)


@router.get("/anliegen", response_class=HTMLResponse)
def tracking_form(request: Request, nummer: str = "") -> Response:
    """Enter a tracking code."""
    if nummer.strip():
        return RedirectResponse(f"/anliegen/{quote(nummer.strip()[:64])}", status_code=303)
    return render(request, "tracking_form.html")


@router.get("/anliegen/{code}", response_class=HTMLResponse, dependencies=[Depends(limit)])
def tracking_page(request: Request, uow: Uow, code: str, neu: str = "") -> HTMLResponse:
    """Status, received, due and the dated steps; no personal data, not the question."""
    try:
        shown = concerns.track(uow, code[:64], now=_now())
    except AuskunftError as exc:
        message = exc.message_en if english(request) else exc.message
        return render(
            request, "tracking_form.html", status_code=exc.status, error=message, code=code[:64]
        )
    return render(request, "tracking.html", c=shown, new=neu == "1")


@router.post("/anliegen/{code}/bewertung", dependencies=[Depends(limit)])
def settle(
    request: Request,
    uow: Uow,
    settings: SettingsDep,
    code: str,
    verdict: Annotated[str, Form()] = "",
) -> Response:
    """The citizen's word on the answer: ja / teilweise closes it, nein reopens it."""
    now = _now()
    concerns.settle(
        uow, concerns.Policy.from_settings(settings), code[:64], verdict=verdict, now=now
    )
    uow.commit()
    return RedirectResponse(
        f"/anliegen/{quote(code[:64])}?" + urlencode({"bewertet": verdict}), status_code=303
    )


# --- the office without an account ---------------------------------------------------------


def _answer_page(
    request: Request,
    uow: Uow,
    settings: Any,
    concern_id: int,
    token: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = concerns.by_link(uow, concerns.Policy.from_settings(settings), concern_id, token)
    return render(
        request,
        "office_answer.html",
        status_code=status_code,
        c=concerns.full(uow, row, _now()),
        token=token,
        error=error,
    )


@router.get("/anliegen/antwort/{concern_id}", response_class=HTMLResponse)
def office_answer_form(
    request: Request, uow: Uow, settings: SettingsDep, concern_id: RowId, token: str = ""
) -> HTMLResponse:
    """The concern and an answer form, for an office that works without an account."""
    return _answer_page(request, uow, settings, concern_id, token[:100])


@router.post("/anliegen/antwort/{concern_id}", response_class=HTMLResponse)
def office_answer(
    request: Request,
    uow: Uow,
    settings: SettingsDep,
    concern_id: RowId,
    token: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    via: Annotated[str, Form()] = "email",
    name: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "answer",
) -> HTMLResponse:
    """The office's answer (or its word that it is not responsible); the link is used up."""
    now = _now()
    policy = concerns.Policy.from_settings(settings)
    try:
        if action == "return":
            concerns.return_by_link(
                uow, policy, concern_id, token[:100], reason=text, name=name, now=now
            )
        else:
            concerns.answer_by_link(
                uow, policy, concern_id, token[:100], text=text, via=via, name=name, now=now
            )
    except AuskunftError as exc:
        if exc.status == 404:
            raise
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        return _answer_page(
            request, uow, settings, concern_id, token[:100], error=message, status_code=exc.status
        )
    uow.commit()
    return render(request, "office_answer_done.html", returned=action == "return")
