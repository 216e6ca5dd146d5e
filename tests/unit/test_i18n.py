"""Every text of the pages has its German version."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from babel.messages.extract import extract_from_dir

from auskunft.core.i18n import messages as catalog_messages
from auskunft.core.i18n import pick_language, translations

# Every slice keeps its templates in a templates/ folder of its own.
WEB = Path(str(resources.files("auskunft")))


def template_messages() -> set[str]:
    found = extract_from_dir(
        str(WEB),
        method_map=[
            ("**/templates/**.html", "jinja2"),
            ("**/templates/**.txt", "jinja2"),
            ("**.py", "python"),
        ],
        options_map={
            "**/templates/**.html": {"extensions": "jinja2.ext.i18n"},
            "**/templates/**.txt": {"extensions": "jinja2.ext.i18n"},
        },
    )
    return {m[0] if isinstance(m, tuple) else m for _, _, m, _, _ in found}


def test_every_message_has_a_german_text() -> None:
    german = {
        (m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in catalog_messages("de")
    }
    messages = template_messages()
    assert len(messages) > 50
    missing = sorted(m for m in messages if not german.get(m))
    assert missing == []
    unused = sorted(set(german) - messages)
    assert unused == []


def test_plurals_follow_german_rules() -> None:
    de = translations("de")
    assert de.ngettext("%(num)d result", "%(num)d results", 1) == "%(num)d Ergebnis"
    assert de.ngettext("%(num)d result", "%(num)d results", 2) == "%(num)d Ergebnisse"


def test_unknown_languages_fall_back_to_german() -> None:
    assert pick_language("fr") == "de" and pick_language(None) == "de"
    assert pick_language("en") == "en"
