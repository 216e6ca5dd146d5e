"""The citizen portal: server-rendered pages that work without JavaScript."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Engine

from auskunft.catalog.model.jurisdiction import DEFAULT_MUNICIPALITY
from auskunft.catalog.service import listing, queries
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import HOTLINE_115_HOURS, SERVICE_CENTER_HOURS, opening_view
from auskunft.core.web.client import client_address
from auskunft.core.web.deps import Uow, component
from auskunft.core.web.render import (
    COOKIE_MAX_AGE,
    ENVIRONMENTS,
    MUNICIPALITY_COOKIE,
    english,
    render,
    safe_next,
    visitor_municipality,
)
from auskunft.forwarding.service import concerns
from auskunft.portal.model.events import ResultOpened, SearchAsked
from auskunft.portal.model.structured import as_script, government_service
from auskunft.search.service.engine import (
    SearchEngine,
    answer_question,
    check_municipality,
    weigh_question,
)

router = APIRouter(include_in_schema=False)

Search = Annotated[SearchEngine, Depends(component(SearchEngine))]


def visitor_session(request: Request, now: datetime) -> str:
    """Who is searching, only to tell sessions apart for the content-gap loop: a hash of
    address and browser keyed with the server secret and the day (not reversible, and
    not linkable from one day to the next)."""
    secret: bytes = request.app.state.settings.secret()
    key = hashlib.blake2b(secret + now.date().isoformat().encode(), digest_size=32).digest()
    seen = f"{client_address(request)}|{request.headers.get('user-agent', '')}".encode()
    return hashlib.blake2b(seen, key=key, digest_size=16).hexdigest()


def tell_searched(request: Request, later: BackgroundTasks, query: str, results: int) -> None:
    """A settled question of a visitor, for the editors' gap list: written after the
    answer is sent (bench/portal_gap_write.py: the write costs 2 to 4 ms), so the
    visitor never waits for it."""
    now = datetime.now(UTC)
    event = SearchAsked(query[:200], results, visitor_session(request, now), now)
    later.add_task(_record, request.app.state.engine, event)


def _record(engine: Engine, event: SearchAsked) -> None:
    with UnitOfWork(engine) as uow:
        uow.publish(event)
        uow.commit()


def _municipality(request: Request, search: SearchEngine) -> str:
    """The municipality a page is for: ?gemeinde= (a link from an e-mail of the desk), the
    visitor's choice, or Kassel."""
    areas = search.snapshot().jurisdiction.areas
    named = request.query_params.get("gemeinde", "")
    if named in areas:
        return named
    return visitor_municipality(request, areas, DEFAULT_MUNICIPALITY)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, uow: Uow) -> HTMLResponse:
    return render(request, "home.html", topics=listing.topics(uow, english(request)))


def _live(request: Request) -> bool:
    """An htmx request for the results alone (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and "HX-History-Restore-Request" not in request.headers
    )


@router.get("/suche", response_class=HTMLResponse)
def search_page(
    request: Request, uow: Uow, search: Search, later: BackgroundTasks, q: str | None = None
) -> HTMLResponse:
    live = _live(request)
    template = "search_live.html" if live else "search.html"
    response = _search(request, uow, search, later, template, q, judge=not live)
    # The same address answers a page or a fragment: caches must keep them apart.
    response.headers["Vary"] = "HX-Request"
    return response


def _search(
    request: Request,
    uow: Uow,
    search: SearchEngine,
    later: BackgroundTasks,
    template: str,
    q: str | None,
    *,
    judge: bool = True,
) -> HTMLResponse:
    place = _municipality(request, search)
    if q is None or not q.strip():
        return render(request, template, q="", results=[], error=None)
    try:
        answer = answer_question(search, q=q, municipality=place, limit=10, judge=judge)
    except InvalidInput as exc:
        message = exc.message_en if english(request) else exc.message
        return render(request, template, status_code=422, q=q[:200], results=[], error=message)
    results = listing.with_summaries(uow, answer["results"], english(request))
    if judge:
        tell_searched(request, later, q, len(results))
    return render(request, template, q=q, results=results, known=answer["known"], error=None)


@router.get("/suche/bekannt", response_class=HTMLResponse)
def search_known(
    request: Request, search: Search, later: BackgroundTasks, q: str = ""
) -> HTMLResponse:
    """Once the visitor pauses typing: whether the search has a reliable answer (and the
    settled question goes to the gap loop)."""
    known = True
    if q.strip():
        try:
            known, found = weigh_question(search, q=q)
            tell_searched(request, later, q, int(found))
        except InvalidInput:
            known = True  # the results already say what is wrong with the question
    return render(request, "_known.html", known=known, q=q)


@router.get("/leistungen", response_class=HTMLResponse)
def a_to_z(request: Request, uow: Uow) -> HTMLResponse:
    groups = listing.services_a_to_z(uow, english(request))
    return render(request, "a_to_z.html", groups=groups)


@router.get("/lebenslagen", response_class=HTMLResponse)
def life_situations(request: Request, uow: Uow) -> HTMLResponse:
    return render(request, "topics.html", topics=listing.topics(uow, english(request)))


@router.get("/lebenslagen/{topic_id}", response_class=HTMLResponse)
def life_situation(request: Request, uow: Uow, topic_id: str) -> HTMLResponse:
    topic = listing.topic(uow, topic_id, english(request))
    return render(request, "topic.html", topic=topic)


def _opened_from_results(uow: UnitOfWork, request: Request, service_id: str) -> None:
    """A service page opened from the results of a question (the same-origin referrer):
    that question found something."""
    referrer = urlsplit(request.headers.get("referer", ""))
    if referrer.path != "/suche" or len(service_id) > 120:
        return
    asked = parse_qs(referrer.query).get("q", [""])[0].strip()
    if asked:
        now = datetime.now(UTC)
        session = visitor_session(request, now)
        uow.publish(ResultOpened(asked[:200], session, service_id, now))
        uow.commit()


@router.get("/leistungen/{service_id}", response_class=HTMLResponse)
def service_page(request: Request, uow: Uow, search: Search, service_id: str) -> HTMLResponse:
    place = _municipality(request, search)
    _opened_from_results(uow, request, service_id)
    shown = queries.service_card(
        uow,
        search.snapshot().jurisdiction,
        service_id=service_id,
        municipality=place,
        english=english(request),
    )
    towns = listing.municipalities(uow)
    area = search.snapshot().jurisdiction.areas[place]
    structured = government_service(
        shown["service"],
        shown["office"],
        url=str(request.url.replace(query="")),
        area_name=area.name,
        english=english(request),
    )
    return render(
        request,
        "service.html",
        **shown,
        municipality=place,
        municipalities=towns,
        structured_data=as_script(structured),
    )


@router.get("/gemeinde")
def choose_municipality(search: Search, wahl: str = "", next: str = "/") -> Response:
    """Remember the visitor's municipality in a cookie and go back where they were."""
    check_municipality(search.snapshot().jurisdiction.areas, wahl)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(MUNICIPALITY_COOKIE, wahl, max_age=COOKIE_MAX_AGE, samesite="lax")
    return response


@router.get("/kontakt", response_class=HTMLResponse)
def contact(
    request: Request,
    uow: Uow,
    search: Search,
    leistung: str = "",
    gemeinde: str = "",
    frage: str = "",
) -> HTMLResponse:
    """How to reach the service center, and the form to send it a question or concern."""
    areas = search.snapshot().jurisdiction.areas
    place = (
        gemeinde
        if gemeinde in areas
        else visitor_municipality(request, areas, DEFAULT_MUNICIPALITY)
    )
    return render(
        request,
        "contact.html",
        center=opening_view(SERVICE_CENTER_HOURS, english(request)),
        hotline=opening_view(HOTLINE_115_HOURS, english(request)),
        concern=concerns.form_options(
            uow,
            values={"leistung": leistung[:120], "gemeinde": place, "question": frage[:5000]},
            service_id=leistung[:120] or None,
            municipality=place,
            english=english(request),
        ),
    )


@router.get("/sitemap.xml")
def sitemap(request: Request, uow: Uow) -> Response:
    base = str(request.base_url).rstrip("/")
    urls = [base + path for path in listing.page_paths(uow)]
    body = ENVIRONMENTS["de"].get_template("sitemap.xml").render(urls=urls)
    return Response(body, media_type="application/xml")


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    # Booking and manage pages carry personal data and tokens: never crawled.
    hidden = ("/desk", "/admin", "/dienststelle", "/termin", "/warteliste", "/api/")
    rules = "".join(f"Disallow: {path}\n" for path in hidden)
    text = f"User-agent: *\n{rules}Sitemap: {base}/sitemap.xml\n"
    return Response(text, media_type="text/plain")
