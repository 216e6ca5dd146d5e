"""Reading values that staff pages take from forms and addresses."""

from __future__ import annotations

from datetime import date

from auskunft.core.errors import InvalidInput


def parse_day(value: str) -> date | None:
    """A day from a form ("YYYY-MM-DD"); None when empty."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise InvalidInput(
            "Bitte einen Tag im Format JJJJ-MM-TT angeben.",
            message_en="Please give a day as YYYY-MM-DD.",
        ) from exc
