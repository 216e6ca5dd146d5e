"""Pages in the visitor's language: one Jinja environment per language over every slice's
templates, the language switch, safe redirects and the error page."""

from __future__ import annotations

from collections.abc import Container
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, select_autoescape

from auskunft.core.errors import AuskunftError
from auskunft.core.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    pick_language,
    template_loader,
    translations,
)
from auskunft.core.principal import Role

LANGUAGE_COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


def _environment(language: str) -> Environment:
    env = Environment(
        loader=template_loader(),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    # Pages show staff links by role; the role names exist once, in core.principal.
    env.globals["Role"] = Role
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


def safe_next(target: str | None, default: str = "/") -> str:
    """Only local paths: a redirect never leads off the site."""
    if not target or "\\" in target or len(target) > 2000:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


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


MUNICIPALITY_COOKIE = "gemeinde"


def visitor_municipality(request: Request, known: Container[str], default: str) -> str:
    """The municipality the visitor chose (a cookie), if it is still a known one."""
    chosen = request.cookies.get(MUNICIPALITY_COOKIE) or default
    return chosen if chosen in known else default


def english(request: Request) -> bool:
    """Whether the visitor reads English."""
    return language_of(request) == "en"
