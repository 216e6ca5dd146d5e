"""The editors' pages: `/redaktion` (the services by state, topic, participant; stale
ones), the edit page of a service with review and publication, its versions with a
word-level difference, and a new service. The same use cases as the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.errors import AuskunftError, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.markdown import render_markdown
from auskunft.core.principal import Login, Role
from auskunft.core.web.deps import Uow, check_csrf, component, require
from auskunft.core.web.render import english, render
from auskunft.editorial.model.gaps import CHANNELS
from auskunft.editorial.model.texts import shown_value, word_diff
from auskunft.editorial.service import drafts, gaps, offices, overview
from auskunft.editorial.web.forms import form_of, office_form_of, office_record_of, record_of
from auskunft.search.service.engine import SearchEngine

router = APIRouter(include_in_schema=False)
Search = Annotated[SearchEngine, Depends(component(SearchEngine))]

HOME = "/redaktion"
EDITORS = (Role.EDITOR, Role.SUPERVISOR)
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
ServiceId = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._-]+$")]
ACTIONS = ("submit", "approve", "return", "discard", "unpublish", "republish", "reviewed")
DONE_TEXTS = {
    "saved": ("Entwurf gespeichert.", "Draft saved."),
    "submit": ("Zur Prüfung gegeben.", "Handed over for review."),
    "approve": ("Freigegeben.", "Approved."),
    "return": ("Zurückgegeben.", "Sent back."),
    "discard": ("Entwurf verworfen.", "Draft discarded."),
    "unpublish": ("Veröffentlichung zurückgenommen.", "Unpublished."),
    "republish": ("Wieder veröffentlicht.", "Published again."),
    "reviewed": ("Als geprüft vermerkt (unverändert).", "Marked as reviewed (unchanged)."),
    "restored": ("Alte Fassung als Entwurf geöffnet.", "Earlier version opened as a draft."),
    "created": ("Neue Leistung als Entwurf angelegt.", "New service created as a draft."),
}


def _page(
    request: Request, login: Login, template: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A staff page: with the staff bar's login and the forms' token."""
    return render(
        request, template, status_code=status_code, login=login, csrf=login.csrf_token, **context
    )


def _today() -> Any:
    return datetime.now(UTC).astimezone(BERLIN).date()


def _choices(uow: Uow, login: Login) -> dict[str, Any]:
    participants = catalog_reads.participants(uow)
    offices = catalog_reads.authorities(uow)
    return {
        "topics": [(x.id, x.name) for x in catalog_reads.topics(uow)],
        "participants": sorted(
            ((pid, name) for pid, (name, _) in participants.items() if drafts.may_edit(login, pid)),
            key=lambda p: p[1],
        ),
        "kinds": sorted({k for a in offices for k in a.kinds}),
        "areas": [(a.id, a.name) for a in catalog_reads.areas(uow)],
        "authorities": sorted(((a.id, a.name) for a in offices), key=lambda p: p[1]),
    }


@router.get(HOME, response_class=HTMLResponse)
def home(
    request: Request,
    uow: Uow,
    login: Editor,
    status: str = "",
    thema: str = "",
    teilnehmer: str = "",
    suche: str = "",
) -> HTMLResponse:
    """The services the editor may change, filtered."""
    state = overview.STATE_FILTERS.get(status, "") if status else ""
    if status and not state:
        raise InvalidInput(f"Unbekannter Status „{status[:20]}“.", message_en="Unknown state.")
    found = overview.entries(
        uow,
        login,
        today=_today(),
        state=state,
        topic=thema[:80],
        participant=teilnehmer[:80],
        text=suche[:200],
    )
    return _page(
        request,
        login,
        "editorial_home.html",
        entries=found,
        filters={"status": status, "thema": thema, "teilnehmer": teilnehmer, "suche": suche},
        state_filters=overview.STATE_FILTERS,
        **_choices(uow, login),
    )


def _edit_page(
    request: Request,
    uow: Uow,
    login: Login,
    service_id: str,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    conflict: dict[str, Any] | None = None,
    done: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    shown = drafts.open_draft(uow, login, service_id)
    en = english(request)
    message = DONE_TEXTS.get(done, ("", ""))[1 if en else 0]
    return _page(
        request,
        login,
        "editorial_edit.html",
        status_code=status_code,
        service=shown,
        form=form or form_of(shown),
        error=error,
        conflict=conflict,
        done=message,
        preview=render_markdown(shown.get("description", "")),
        may_approve=login.username not in shown["editors"],
        **_choices(uow, login),
    )


@router.get(HOME + "/leistungen/{service_id}", response_class=HTMLResponse)
def edit_page(
    request: Request, uow: Uow, login: Editor, service_id: ServiceId, erledigt: str = ""
) -> HTMLResponse:
    return _edit_page(request, uow, login, service_id, done=erledigt[:20])


def _fields(data: FormData) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _version(form: dict[str, str]) -> int | None:
    """The version the form was based on (None: missing or not a number, refused later)."""
    try:
        return int(form.get("version", ""))
    except ValueError:
        return None


@router.post(HOME + "/leistungen/{service_id}", response_class=HTMLResponse)
async def save(request: Request, uow: Uow, login: Editor, service_id: ServiceId) -> Response:
    """Save the form as the draft; a stale version shows both sides, the form kept."""
    form = _fields(await request.form())
    check_csrf(login, form.get("csrf", ""))
    body = record_of(form)
    body["version"] = _version(form)
    try:
        drafts.save_draft(uow, login, service_id, body)
    except drafts.EditConflict as exc:
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        return _edit_page(
            request, uow, login, service_id, form=form, error=message,
            conflict=exc.details, status_code=409,
        )  # fmt: skip
    except AuskunftError as exc:
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        return _edit_page(
            request, uow, login, service_id, form=form, error=message, status_code=exc.status
        )
    uow.commit()
    target = f"{HOME}/leistungen/{service_id}?" + urlencode({"erledigt": "saved"})
    return RedirectResponse(target, status_code=303)


def _publish_at(text: str) -> datetime | None:
    """The form's local date and time (Berlin) of the publication, or None: now."""
    if not text.strip():
        return None
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "Zeitpunkt der Veröffentlichung unverständlich.",
            message_en="Publication time not understood.",
        ) from None
    return local.replace(tzinfo=BERLIN) if local.tzinfo is None else local


@router.post(HOME + "/leistungen/{service_id}/{action}", response_class=HTMLResponse)
def act(
    request: Request,
    uow: Uow,
    login: Editor,
    search: Search,
    service_id: ServiceId,
    action: str,
    csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    publish_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """One step of the review from the edit page."""
    check_csrf(login, csrf)
    try:
        if action == "submit":
            drafts.submit(uow, login, service_id)
        elif action == "approve":
            drafts.approve(uow, login, service_id, publish_at=_publish_at(publish_at))
        elif action == "return":
            drafts.send_back(uow, login, service_id, note)
        elif action == "discard":
            drafts.discard(uow, login, service_id)
        elif action == "reviewed":
            drafts.reviewed_unchanged(uow, login, service_id, today=_today())
        elif action in ("unpublish", "republish"):
            drafts.set_published(uow, login, service_id, action == "republish")
        else:
            raise InvalidInput(
                f"Unbekannte Aktion „{action[:20]}“.", message_en=f"Unknown action '{action[:20]}'."
            )
    except AuskunftError as exc:
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        try:
            return _edit_page(
                request, uow, login, service_id, error=message, status_code=exc.status
            )
        except AuskunftError:
            raise exc from None
    uow.commit()
    search.invalidate()  # this process at once; the others at their next revision check
    if action == "discard" and catalog_reads.service(uow, service_id) is None:
        return RedirectResponse(HOME + "?" + urlencode({"erledigt": action}), status_code=303)
    target = f"{HOME}/leistungen/{service_id}?" + urlencode({"erledigt": action})
    return RedirectResponse(target, status_code=303)


@router.get(HOME + "/leistungen/{service_id}/versionen", response_class=HTMLResponse)
def versions_page(request: Request, uow: Uow, login: Editor, service_id: ServiceId) -> HTMLResponse:
    """Every version with author, reviewer, time and what changed, word by word."""
    shown = drafts.open_draft(uow, login, service_id)
    versions = []
    for v in reversed(drafts.history(uow, login, service_id)):
        changes = []
        for name, pair in (v["changes"] or {}).items():
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            changes.append((name, word_diff(shown_value(pair[0]), shown_value(pair[1]))))
        when = datetime.fromisoformat(v["changed_at"]).astimezone(BERLIN)
        versions.append({**v, "diffs": changes, "when": when})
    return _page(request, login, "editorial_versions.html", service=shown, versions=versions)


@router.post(HOME + "/leistungen/{service_id}/versionen/{number}", response_class=HTMLResponse)
def restore(
    uow: Uow,
    login: Editor,
    service_id: ServiceId,
    number: Annotated[int, Path(ge=1, le=1_000_000)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Open an earlier version as a draft (it goes through review again)."""
    check_csrf(login, csrf)
    drafts.roll_back(uow, login, service_id, number)
    uow.commit()
    target = f"{HOME}/leistungen/{service_id}?" + urlencode({"erledigt": "restored"})
    return RedirectResponse(target, status_code=303)


@router.get(HOME + "/neu", response_class=HTMLResponse)
def new_page(request: Request, uow: Uow, login: Editor, frage: str = "") -> HTMLResponse:
    """A new service; from the gap list, with the question as its first typical question."""
    form = {"questions": frage[:200], "review_months": "12"}
    return _page(request, login, "editorial_new.html", form=form, error="", **_choices(uow, login))


@router.post(HOME + "/neu", response_class=HTMLResponse)
async def create(request: Request, uow: Uow, login: Editor) -> Response:
    form = _fields(await request.form())
    check_csrf(login, form.get("csrf", ""))
    body = record_of(form)
    if form.get("id", "").strip():
        body["id"] = form["id"].strip()
    try:
        shown = drafts.create_service(uow, login, body)
    except AuskunftError as exc:
        uow.rollback()
        return _page(
            request,
            login,
            "editorial_new.html",
            status_code=exc.status,
            form=form,
            error=exc.message_en if english(request) else exc.message,
            **_choices(uow, login),
        )
    uow.commit()
    target = f"{HOME}/leistungen/{shown['id']}?" + urlencode({"erledigt": "created"})
    return RedirectResponse(target, status_code=303)


@router.get(HOME + "/luecken", response_class=HTMLResponse)
def gaps_page(
    request: Request, uow: Uow, login: Editor, search: Search, kanal: str = "", erledigt: str = ""
) -> HTMLResponse:
    """What callers and visitors could not find, most frequent first."""
    if kanal not in ("", *CHANNELS):
        raise InvalidInput("Unbekannter Kanal.", message_en="Unknown channel.")
    listed = gaps.listing(uow, search, channel=kanal)
    services = [
        (s.id, s.name)
        for s in catalog_reads.services(uow)
        if drafts.may_edit(login, s.participant_id)
    ]
    return _page(
        request,
        login,
        "editorial_gaps.html",
        listed=listed,
        channel=kanal,
        services=sorted(services, key=lambda p: p[1]),
        done=erledigt == "1",
    )


@router.post(HOME + "/luecken/{gap_id}", response_class=HTMLResponse)
def take_up_gap(
    uow: Uow,
    login: Editor,
    gap_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    csrf: Annotated[str, Form()] = "",
    service: Annotated[str, Form(max_length=120)] = "",
    als: Annotated[str, Form(max_length=20)] = "keyword",
) -> Response:
    """Add the question to a service's draft (keyword or typical question) and open it."""
    check_csrf(login, csrf)
    if not service:
        raise InvalidInput("Bitte eine Leistung wählen.", message_en="Please choose a service.")
    gaps.take_up(uow, login, gap_id, service_id=service, as_=als)
    uow.commit()
    target = f"{HOME}/leistungen/{service}?" + urlencode({"erledigt": "saved"})
    return RedirectResponse(target, status_code=303)


# -- authorities ----------------------------------------------------------------------
AuthorityId = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._-]+$")]
WEEKDAY_NAMES = (
    ("mo", "Monday"), ("tu", "Tuesday"), ("we", "Wednesday"), ("th", "Thursday"),
    ("fr", "Friday"), ("sa", "Saturday"), ("su", "Sunday"),
)  # fmt: skip


@router.get(HOME + "/stellen", response_class=HTMLResponse)
def offices_page(request: Request, uow: Uow, login: Editor, suche: str = "") -> HTMLResponse:
    """The authorities the editor may change: addresses, hours, closures, the inbox."""
    return _page(
        request,
        login,
        "editorial_offices.html",
        entries=offices.listing(uow, login, suche[:200]),
        suche=suche[:200],
    )


def _office_page(
    request: Request,
    uow: Uow,
    login: Login,
    authority_id: str,
    *,
    form: dict[str, str] | None = None,
    error: str = "",
    conflict: dict[str, Any] | None = None,
    done: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    shown = offices.open_office(uow, login, authority_id)
    return _page(
        request,
        login,
        "editorial_office.html",
        status_code=status_code,
        office=shown,
        form=form or office_form_of(shown),
        error=error,
        conflict=conflict,
        done=done,
        weekdays=WEEKDAY_NAMES,
    )


@router.get(HOME + "/stellen/{authority_id}", response_class=HTMLResponse)
def office_page(
    request: Request, uow: Uow, login: Editor, authority_id: AuthorityId, erledigt: str = ""
) -> HTMLResponse:
    return _office_page(request, uow, login, authority_id, done=erledigt == "saved")


@router.post(HOME + "/stellen/{authority_id}", response_class=HTMLResponse)
async def save_office(
    request: Request, uow: Uow, login: Editor, authority_id: AuthorityId
) -> Response:
    """Save the authority's form at once; a stale version shows both sides, the form kept."""
    form = _fields(await request.form())
    check_csrf(login, form.get("csrf", ""))
    body = office_record_of(form)
    body["version"] = _version(form)
    try:
        offices.save_office(uow, login, authority_id, body)
    except drafts.EditConflict as exc:
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        return _office_page(
            request, uow, login, authority_id, form=form, error=message,
            conflict=exc.details, status_code=409,
        )  # fmt: skip
    except AuskunftError as exc:
        uow.rollback()
        message = exc.message_en if english(request) else exc.message
        return _office_page(
            request, uow, login, authority_id, form=form, error=message, status_code=exc.status
        )
    uow.commit()
    target = f"{HOME}/stellen/{authority_id}?" + urlencode({"erledigt": "saved"})
    return RedirectResponse(target, status_code=303)
