"""Languages of the pages: German first, English second (gettext catalogs via Babel).

Message ids are English; `locale/de.po` holds the German texts. The catalogs
are read and compiled in memory when the process starts, so there is no build
step; a test checks that every message of the templates and the web code has
a German translation.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from importlib import resources
from io import BytesIO

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """Return the compiled translations of a language (English: the message ids)."""
    if language == "en":
        return gettext.NullTranslations()
    path = resources.files("auskunft.web") / "locale" / f"{language}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def pick_language(requested: str | None) -> str:
    """Return a supported language for a cookie or query value, German by default."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE
