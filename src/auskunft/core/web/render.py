"""Pages in the visitor's language: one Jinja environment per language over every slice's
templates, the language switch, safe redirects and the error page."""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import date, datetime, time
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel import Locale
from babel.dates import format_date, format_time
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from auskunft.core.errors import AuskunftError
from auskunft.core.hours import BERLIN, TimeRange
from auskunft.core.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    pick_language,
    template_loader,
    translations,
)
from auskunft.core.markdown import render_markdown
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
    # Dates and hours as people write them, in the page's language (see below).
    for name, show in (("long_date", long_date), ("clock", clock), ("hour_range", hour_range)):
        env.filters[name] = partial(show, language=language)
    # Catalog texts (Markdown, sanitised: core.markdown) as HTML.
    env.filters["markdown"] = lambda text: Markup(render_markdown(text or ""))
    return env


# -- dates and hours as people write them ------------------------------------
# Babel's patterns of the language: "Dienstag, 1. Dezember 2026", "8:00–16:00 Uhr";
# English pages write British English ("Tuesday, 1 December 2026", "8:00–16:00").
FORMAT_LOCALES = {"de": "de", "en": "en_GB"}


def _locale(language: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES.get(language, language))


def _day(value: date | str) -> date:
    """A day from a date, a datetime (its day in Berlin) or an ISO text."""
    if isinstance(value, datetime):
        return (value.astimezone(BERLIN) if value.tzinfo else value).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value).strip()[:10])


def long_date(value: date | str | None, language: str, weekday: bool = True) -> str:
    """Filter `long_date`: "Dienstag, 1. Dezember 2026" (weekday=False: "1. Dezember 2026")."""
    if value is None or value == "":
        return ""
    return format_date(_day(value), "full" if weekday else "long", locale=_locale(language))


def _hour_unpadded(pattern: str) -> str:
    """The locale's pattern with the 24-hour hour unpadded: "8:00", as German writes it."""
    return re.sub(r"(?<!H)HH(?!H)", "H", str(pattern))


def _clock_value(value: time | datetime | str) -> time | datetime:
    if isinstance(value, datetime):
        return value.astimezone(BERLIN) if value.tzinfo else value
    if isinstance(value, time):
        return value
    return time.fromisoformat(str(value).strip())


def clock(value: time | datetime | str | None, language: str) -> str:
    """Filter `clock`: a time of day, "8:00" (the page adds "Uhr" where German needs it)."""
    if value is None or value == "":
        return ""
    locale = _locale(language)
    pattern = _hour_unpadded(locale.datetime_skeletons["Hm"])
    return format_time(_clock_value(value), pattern, locale=locale)


# How core.hours keeps an opening that lasts until midnight ("24:00").
_MIDNIGHT_END = time(23, 59, 59)


def hour_range(value: TimeRange | str | None, language: str) -> str:
    """Filter `hour_range`: "08:00-16:00" (or a TimeRange) as "8:00–16:00 Uhr" (en: "8:00–16:00").

    Babel's interval pattern of the language gives the dash and the "Uhr".
    """
    if value is None or value == "":
        return ""
    span = value if isinstance(value, TimeRange) else TimeRange.parse(str(value))
    locale = _locale(language)
    patterns = locale.interval_formats["Hm"]
    first, second = patterns["H" if span.start.hour != span.end.hour else "m"]
    start = format_time(span.start, _hour_unpadded(first), locale=locale)
    end, second = span.end, _hour_unpadded(second)
    if end == _MIDNIGHT_END:  # "-24:00": Babel's hour 1-24 writes midnight as 24:00
        end, second = time(0), re.sub(r"(?<!H)H(?!H)", "k", second)
    return start + format_time(end, second, locale=locale)


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
