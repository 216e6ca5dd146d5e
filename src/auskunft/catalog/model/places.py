"""Recognising the caller's town in their words: "ich wohne in Baunatal", "34225".

A town counts when its name (without "Stadt", "Gemeinde" ...) stands as a word in the
text, or one of its postcodes does. Only one town may be found: two are not a hint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_PREFIXES = ("Landeshauptstadt ", "Stadt ", "Gemeinde ", "Markt ")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")


def short_name(name: str) -> str:
    """ "Stadt Baunatal" -> "Baunatal"."""
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def _fold(text: str) -> str:
    return text.lower().translate(_UMLAUTS)


def mentioned_town(text: str, names: Mapping[str, str], postcodes: Mapping[str, str]) -> str | None:
    """The one municipality (id) named or postcoded in the text; None for none or several."""
    found: set[str] = set()
    for code in _POSTCODE.findall(text):
        if code in postcodes:
            found.add(postcodes[code])
    folded = _fold(text)
    for area_id, name in names.items():
        word = _fold(short_name(name))
        if word and re.search(rf"(?<![\w-]){re.escape(word)}(?!\w)", folded):
            found.add(area_id)
    return found.pop() if len(found) == 1 else None
