"""Languages of the pages: German first, English second (gettext catalogs via Babel).

Message ids are English; every slice keeps its German texts in its own
`locale/` folder (`de.po`, or `de-<part>.po`), found by that convention so the
core names no feature. The catalogs
are read and compiled in memory when the process starts, so there is no build
step; a test checks that every message of the templates and the web code has
a German translation.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from importlib import resources
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import FileSystemLoader

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English"}


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """Return the compiled translations of a language (English: the message ids)."""
    if language == "en":
        return gettext.NullTranslations()
    catalog = Catalog(locale=language)
    for message in messages(language):
        catalog[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def package_root() -> Path:
    """The folder of the `auskunft` package, whose slices keep templates and texts."""
    return Path(str(resources.files("auskunft")))


def slice_folders(name: str) -> list[Path]:
    """Every `<slice>/<name>` and `<slice>/web/<name>` folder (e.g. templates), core's first."""
    root = package_root()
    found = [p for p in (*root.glob(f"*/{name}"), *root.glob(f"*/web/{name}")) if p.is_dir()]
    return sorted(found, key=lambda p: (p.relative_to(root).parts[0] != "core", str(p)))


def messages(language: str) -> list[Message]:
    """Every message of a language's catalogs: each slice's `de.po` and `de-*.po` files."""
    found: list[Message] = []
    for folder in slice_folders("locale"):
        for path in sorted(folder.iterdir(), key=lambda p: p.name):
            name = path.name
            if name == f"{language}.po" or (
                name.startswith(f"{language}-") and name.endswith(".po")
            ):
                with path.open("rb") as handle:
                    found.extend(m for m in read_po(handle, locale=language) if m.id)
    return found


def pick_language(requested: str | None) -> str:
    """Return a supported language for a cookie or query value, German by default."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def template_loader() -> FileSystemLoader:
    """One loader over every slice's `templates/` folder (template names are unique)."""
    return FileSystemLoader([str(p) for p in slice_folders("templates")])
