"""The editable record of an authority (Behörde, Stelle): addresses, opening hours, closure
days, phone, e-mail and the concern inbox, checked whole before anything is stored.

Kinds and areas (which office answers for what, where) are the jurisdiction: they come
from the catalog import and the services' per-area exceptions, not from this record.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from auskunft.core.email import normalize
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import WEEKDAYS, WeeklyHours
from auskunft.core.phone import digits
from auskunft.editorial.model.record import MAX_NAME, _fail, _text, check_url

FIELDS = ("name", "street", "postcode", "city", "phone", "email", "concern_email", "web",
          "note", "opening_hours", "closures")  # fmt: skip
MAX_NOTE = 5_000
MAX_CLOSURES = 400
# Closure days further back than this are history, not information: they are dropped.
CLOSURES_KEPT_DAYS = 31
# ... and none may lie further ahead than this (a typo in the year).
CLOSURES_AHEAD_DAYS = 3 * 366
POSTCODE = re.compile(r"^\d{5}$")
PHONE = re.compile(r"^[+\d][\d /()-]{2,40}$")


def _email(data: Mapping[str, Any], name: str) -> str:
    value = _text(data, name, 200)
    if not value:
        return ""
    try:
        return normalize(value).address
    except InvalidInput:
        raise _fail(
            name, "ist keine gültige E-Mail-Adresse.", "is not a valid e-mail address."
        ) from None


def _phone(data: Mapping[str, Any]) -> str:
    value = " ".join(_text(data, "phone", 80).split())
    if value and (not PHONE.fullmatch(value) or len(digits(value)) < 3):
        raise _fail(
            "phone",
            "ist keine Telefonnummer (Ziffern, Leerzeichen, + / ( ) -).",
            "is not a phone number (digits, spaces, + / ( ) -).",
        )
    return value


def _hours(data: Mapping[str, Any]) -> dict[str, list[str]]:
    raw = data.get("opening_hours") or {}
    if not isinstance(raw, Mapping) or not all(
        isinstance(v, list) and all(isinstance(r, str) for r in v) for v in raw.values()
    ):
        raise _fail(
            "opening_hours",
            'muss je Wochentag eine Liste von Zeiten sein, z. B. {"mo": ["08:00-12:00"]}.',
            'must map weekdays to lists of times, e.g. {"mo": ["08:00-12:00"]}.',
        )
    for day, ranges in raw.items():
        if day not in WEEKDAYS:
            raise _fail(
                "opening_hours",
                f"„{day}“ ist kein Wochentag ({', '.join(WEEKDAYS)}).",
                f"{day!r} is not a weekday ({', '.join(WEEKDAYS)}).",
            )
        if len(ranges) > 6:
            raise _fail(f"opening_hours.{day}", "hat zu viele Zeiten.", "has too many ranges.")
    try:
        weekly = WeeklyHours.from_mapping(dict(raw))
    except ValueError:
        raise _fail(
            "opening_hours",
            "Zeiten bitte als SS:MM-SS:MM, das Ende nach dem Beginn (z. B. 08:00-12:00).",
            "times as HH:MM-HH:MM, ending after they begin (e.g. 08:00-12:00).",
        ) from None
    for day, ranges in weekly.days.items():
        for before, after in pairwise(ranges):
            if after.start < before.end:
                raise _fail(
                    f"opening_hours.{day}",
                    "Zeiten überschneiden sich.",
                    "ranges overlap.",
                )
    return weekly.to_mapping()


def _closures(data: Mapping[str, Any], today: date) -> list[dict[str, str]]:
    raw = data.get("closures") or []
    if not isinstance(raw, list) or len(raw) > MAX_CLOSURES:
        raise _fail(
            "closures",
            f"muss eine Liste von höchstens {MAX_CLOSURES} Tagen sein.",
            f"must be a list of at most {MAX_CLOSURES} days.",
        )
    out: dict[str, dict[str, str]] = {}
    for number, item in enumerate(raw, 1):
        field = f"closures[{number}]"
        if not isinstance(item, Mapping):
            raise _fail(field, 'muss {"day": …, "reason": …} sein.', 'must be {"day", "reason"}.')
        day_text = item.get("day")
        try:
            day = date.fromisoformat(day_text) if isinstance(day_text, str) else None
        except ValueError:
            day = None
        if day is None:
            raise _fail(field, "Tag bitte als JJJJ-MM-TT angeben.", "give the day as YYYY-MM-DD.")
        if day > today + timedelta(days=CLOSURES_AHEAD_DAYS):
            raise _fail(
                field,
                "liegt mehr als drei Jahre in der Zukunft.",
                "is more than three years ahead.",
            )
        reason = _text(item, "reason", 200)
        if day < today - timedelta(days=CLOSURES_KEPT_DAYS):
            continue
        out[day.isoformat()] = {"day": day.isoformat(), "reason": reason}
    return [out[k] for k in sorted(out)]


def check_office(data: Any, today: date) -> dict[str, Any]:
    """The record as stored, or InvalidInput naming the first field that is wrong."""
    if not isinstance(data, Mapping):
        raise InvalidInput("Erwartet wird ein Objekt.", message_en="An object is expected.")
    postcode = _text(data, "postcode", 10)
    if postcode and not POSTCODE.fullmatch(postcode):
        raise _fail("postcode", "muss fünf Ziffern haben.", "must be five digits.")
    web = _text(data, "web", 500)
    return {
        "name": " ".join(_text(data, "name", MAX_NAME, required=True).split()),
        "street": " ".join(_text(data, "street", 200).split()),
        "postcode": postcode,
        "city": " ".join(_text(data, "city", 120).split()),
        "phone": _phone(data),
        "email": _email(data, "email"),
        "concern_email": _email(data, "concern_email"),
        "web": check_url(web, "web") if web else "",
        "note": _text(data, "note", MAX_NOTE),
        "opening_hours": _hours(data),
        "closures": _closures(data, today),
    }


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names of the fields that differ, in record order."""
    return [name for name in FIELDS if before.get(name) != after.get(name)]
