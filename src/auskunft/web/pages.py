"""The citizen portal: server-rendered pages that work without JavaScript."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from auskunft.db.uow import UnitOfWork
from auskunft.domain.catalog import WeeklyHours
from auskunft.domain.errors import AuskunftError, InvalidInput
from auskunft.domain.opening import BERLIN, opening_status, public_holidays
from auskunft.services import catalog, portal
from auskunft.services.search import (
    DEFAULT_MUNICIPALITY,
    SearchEngine,
    answer_question,
    check_municipality,
)
from auskunft.web.i18n import LANGUAGE_NAMES, LANGUAGES, pick_language, translations

router = APIRouter(include_in_schema=False)

LANGUAGE_COOKIE = "lang"
MUNICIPALITY_COOKIE = "gemeinde"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Hours of the service center and of the 115 line (Kassel's published hours).
SERVICE_CENTER_HOURS = WeeklyHours.from_mapping(
    {d: ["07:00-18:00"] for d in ("mo", "tu", "we", "th", "fr")} | {"sa": ["09:00-13:00"]}
)
HOTLINE_115_HOURS = WeeklyHours.from_mapping(
    {d: ["08:00-18:00"] for d in ("mo", "tu", "we", "th", "fr")}
)


def _environment(language: str) -> Environment:
    env = Environment(
        loader=PackageLoader("auskunft.web", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


ENVIRONMENTS = {language: _environment(language) for language in LANGUAGES}


def language_of(request: Request) -> str:
    """The visitor's language: ?lang= wins over the cookie; German by default."""
    return pick_language(request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the visitor's language."""
    language = language_of(request)
    env = ENVIRONMENTS[language]
    # The language switch keeps the page and its query (a search stays a search).
    switch = {
        code: request.url.path + "?" + urlencode({**request.query_params, "lang": code})
        for code in LANGUAGES
    }
    page = env.get_template(template).render(
        request=request,
        lang=language,
        languages=LANGUAGE_NAMES,
        language_links=switch,
        english=language == "en",
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(page, status_code=status_code)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=COOKIE_MAX_AGE, samesite="lax")
    return response


def search_engine(request: Request) -> SearchEngine:
    engine: SearchEngine = request.app.state.search
    return engine


def _municipality(request: Request) -> str:
    chosen = request.cookies.get(MUNICIPALITY_COOKIE) or DEFAULT_MUNICIPALITY
    areas = search_engine(request).snapshot().jurisdiction.areas
    return chosen if chosen in areas else DEFAULT_MUNICIPALITY


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: a redirect never leads off the site."""
    if not target or "\\" in target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def opening_info(weekly: WeeklyHours, english: bool) -> dict[str, Any]:
    status = opening_status(
        weekly, datetime.now(BERLIN), public_holidays(language="en" if english else "de")
    )
    return {"status": status, "weekly": weekly.to_mapping()}


def service_for(request: Request, service_id: str, place: str) -> dict[str, Any]:
    """A service, its responsible office for the municipality, and whether that is open now
    (what the service page and the desk's service card show)."""
    engine = search_engine(request)
    with UnitOfWork(engine.engine) as uow:
        record = catalog.get_service(
            uow, engine.snapshot().jurisdiction, service_id=service_id, municipality=place
        )
    office = record["authority"]
    opening = None
    if office:
        weekly = WeeklyHours.from_mapping(office["opening_hours"])
        opening = opening_info(weekly, language_of(request) == "en")
    return {"service": record, "office": office, "opening": opening}


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    english = language_of(request) == "en"
    with UnitOfWork(search_engine(request).engine) as uow:
        topics = portal.topics(uow, english)
    return render(request, "home.html", topics=topics)


def _live(request: Request) -> bool:
    """An htmx request for the results alone (a history restore wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and "HX-History-Restore-Request" not in request.headers
    )


@router.get("/suche", response_class=HTMLResponse)
def search_page(request: Request, q: str | None = None) -> HTMLResponse:
    template = "search_live.html" if _live(request) else "search.html"
    response = _search(request, template, q)
    # The same address answers a page or a fragment: caches must keep them apart.
    response.headers["Vary"] = "HX-Request"
    return response


def _search(request: Request, template: str, q: str | None) -> HTMLResponse:
    place = _municipality(request)
    english = language_of(request) == "en"
    if q is None or not q.strip():
        return render(request, template, q="", results=[], error=None)
    try:
        answer = answer_question(search_engine(request), q=q, municipality=place, limit=10)
    except InvalidInput as exc:
        message = exc.message_en if english else exc.message
        return render(request, template, status_code=422, q=q[:200], results=[], error=message)
    results = []
    with UnitOfWork(search_engine(request).engine) as uow:
        rows = uow.catalog.services_by_id([hit["id"] for hit in answer["results"]])
        for hit in answer["results"]:
            row = rows.get(hit["id"])
            summary = ((english and row.summary_en) or row.summary) if row else ""
            name = ((english and row.name_en) or hit["name"]) if row else hit["name"]
            results.append({**hit, "name": name, "summary": summary})
    return render(request, template, q=q, results=results, error=None)


@router.get("/leistungen", response_class=HTMLResponse)
def a_to_z(request: Request) -> HTMLResponse:
    with UnitOfWork(search_engine(request).engine) as uow:
        groups = portal.services_a_to_z(uow, language_of(request) == "en")
    return render(request, "a_to_z.html", groups=groups)


@router.get("/lebenslagen", response_class=HTMLResponse)
def life_situations(request: Request) -> HTMLResponse:
    with UnitOfWork(search_engine(request).engine) as uow:
        topics = portal.topics(uow, language_of(request) == "en")
    return render(request, "topics.html", topics=topics)


@router.get("/lebenslagen/{topic_id}", response_class=HTMLResponse)
def life_situation(request: Request, topic_id: str) -> HTMLResponse:
    with UnitOfWork(search_engine(request).engine) as uow:
        topic = portal.topic(uow, topic_id, language_of(request) == "en")
    return render(request, "topic.html", topic=topic)


@router.get("/leistungen/{service_id}", response_class=HTMLResponse)
def service_page(request: Request, service_id: str) -> HTMLResponse:
    place = _municipality(request)
    shown = service_for(request, service_id, place)
    with UnitOfWork(search_engine(request).engine) as uow:
        towns = portal.municipalities(uow)
    return render(request, "service.html", **shown, municipality=place, municipalities=towns)


@router.get("/gemeinde")
def choose_municipality(request: Request, wahl: str = "", next: str = "/") -> Response:
    """Remember the visitor's municipality in a cookie and go back where they were."""
    check_municipality(search_engine(request).snapshot().jurisdiction.areas, wahl)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(MUNICIPALITY_COOKIE, wahl, max_age=COOKIE_MAX_AGE, samesite="lax")
    return response


@router.get("/kontakt", response_class=HTMLResponse)
def contact(request: Request) -> HTMLResponse:
    english = language_of(request) == "en"
    return render(
        request,
        "contact.html",
        center=opening_info(SERVICE_CENTER_HOURS, english),
        hotline=opening_info(HOTLINE_115_HOURS, english),
    )


@router.get("/sitemap.xml")
def sitemap(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    with UnitOfWork(search_engine(request).engine) as uow:
        paths = ["/", "/leistungen", "/lebenslagen", "/kontakt"]
        paths += [f"/lebenslagen/{quote(t.id)}" for t in portal.topics(uow)]
        paths += [f"/leistungen/{quote(s.id)}" for s in uow.catalog.services()]
    body = ENVIRONMENTS["de"].get_template("sitemap.xml").render(urls=[base + p for p in paths])
    return Response(body, media_type="application/xml")


@router.get("/robots.txt")
def robots(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    # Booking and manage pages carry personal data and tokens: never crawled.
    hidden = ("/desk", "/admin", "/dienststelle", "/termin", "/warteliste", "/api/")
    rules = "".join(f"Disallow: {path}\n" for path in hidden)
    text = f"User-agent: *\n{rules}Sitemap: {base}/sitemap.xml\n"
    return Response(text, media_type="text/plain")


def error_page(request: Request, exc: AuskunftError) -> HTMLResponse:
    """A friendly page for a domain error on a portal page."""
    english = language_of(request) == "en"
    return render(
        request,
        "error.html",
        status_code=exc.status,
        status=exc.status,
        code=exc.code,
        message=exc.message_en if english else exc.message,
    )
