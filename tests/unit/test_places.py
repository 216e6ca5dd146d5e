"""The caller's town in their words: named or given by postcode, never guessed."""

from __future__ import annotations

import pytest

from auskunft.catalog.model.places import mentioned_town, short_name
from auskunft.catalog.service.reads import postcodes

NAMES = {
    "kassel": "Stadt Kassel",
    "baunatal": "Stadt Baunatal",
    "niestetal": "Gemeinde Niestetal",
    "muenchen": "Landeshauptstadt München",
}


@pytest.mark.parametrize(
    ("text", "town"),
    [
        ("ich wohne in Baunatal", "baunatal"),
        ("34225 Personalausweis beantragen", "baunatal"),
        ("Ausweis in München", "muenchen"),
        ("muenchen ummelden", "muenchen"),
        ("Kassel-Wilhelmshöhe Sperrmüll", "kassel"),
        ("wohne in 34266", "niestetal"),
        ("Baunatal oder Kassel", None),  # two towns are no hint
        ("Kasseler Straße", None),  # part of a word
        ("PLZ 34127", None),  # a postcode Kassel shares with Vellmar
        ("Telefon 0561 342250", None),  # digits inside a longer number
        ("Personalausweis", None),
    ],
)
def test_towns_are_recognised(text: str, town: str | None) -> None:
    assert mentioned_town(text, NAMES, postcodes()) == town


def test_short_names() -> None:
    assert short_name("Landeshauptstadt München") == "München"
    assert short_name("Stadt Kassel") == "Kassel"
    assert short_name("Lahn-Dill-Kreis") == "Lahn-Dill-Kreis"
