"""How the concern pages write moments: "Dienstag, 8. Dezember 2026, 13:30 Uhr" in German,
"Tuesday, 8 December 2026, 13:30" in English (a Jinja filter `long_moment` per language)."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_datetime

from auskunft.core.hours import BERLIN
from auskunft.core.web.render import ENVIRONMENTS


def long_moment(value: datetime | str | None, language: str = "de") -> str:
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(BERLIN)
    if language == "en":
        return format_datetime(local, "EEEE, d MMMM y, HH:mm", locale="en_GB")
    return format_datetime(local, "EEEE, d. MMMM y, HH:mm", locale="de") + " Uhr"


def install() -> None:
    """Give every page environment the filter in its language."""
    for language, env in ENVIRONMENTS.items():
        if "long_moment" not in env.filters:
            env.filters["long_moment"] = lambda v, _lang=language: long_moment(v, _lang)


install()
