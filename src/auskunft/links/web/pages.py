"""The editors' page of the link checker, `/redaktion/links`: dead and refused links with
the services that carry them, and "Jetzt prüfen". The same use cases as the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from auskunft.core.errors import InvalidInput
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import SettingsDep, Uow, check_csrf, require
from auskunft.core.web.render import render
from auskunft.links.service import listing, rounds

router = APIRouter(include_in_schema=False)

PAGE = "/redaktion/links"
EDITORS = (Role.EDITOR, Role.SUPERVISOR)  # as the editorial pages
Editor = Annotated[
    Login,
    Depends(
        require(
            *EDITORS,
            refusal=(
                "Die Redaktion ist Redakteurinnen, Redakteuren und der Leitung vorbehalten.",
                "The editorial pages are for editors and supervisors.",
            ),
        )
    ),
]
# The filter words of the page's address (German) and the states they select.
STATE_FILTERS = {
    "": "problems",
    "tot": "dead",
    "abgewiesen": "refused",
    "auffaellig": "failing",
    "neu": "unchecked",
    "ok": "ok",
    "alle": "all",
}


@router.get(PAGE, response_class=HTMLResponse)
def links_page(
    request: Request,
    uow: Uow,
    login: Editor,
    settings: SettingsDep,
    status: str = "",
    erledigt: str = "",
) -> HTMLResponse:
    """The links that do not work, with the services that carry them."""
    state = STATE_FILTERS.get(status)
    if state is None:
        raise InvalidInput(f"Unbekannter Status „{status[:20]}“.", message_en="Unknown state.")
    found = listing.listing(uow, login, state=state)
    return render(
        request,
        "links_report.html",
        login=login,
        csrf=login.csrf_token,
        listed=found,
        status=status,
        state_filters=STATE_FILTERS,
        requested=erledigt == "1",
        interval_hours=settings.link_check_interval_hours,
    )


@router.post(PAGE + "/pruefen", response_class=HTMLResponse)
def check_now(uow: Uow, login: Editor, csrf: Annotated[str, Form()] = "") -> Response:
    """Ask the worker to check every link now."""
    check_csrf(login, csrf)
    rounds.request_round(uow, now=datetime.now(UTC))
    uow.commit()
    return RedirectResponse(PAGE + "?erledigt=1", status_code=303)
