"""The editable record of a service: the fields an editor changes, each checked, so that a
draft never holds what could not be published.

The JSON API and the pages exchange this record whole (`GET/PUT
/api/v1/services/{id}/draft`); `version` says which state it was based on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from auskunft.core.errors import InvalidInput
from auskunft.core.markdown import strip_markup

# Sizes: a service page is read on the phone while a caller waits; nothing legitimate
# comes near these, and a megabyte of text is refused, not stored.
MAX_NAME = 300
MAX_SHORT = 2_000
MAX_TEXT = 50_000
MAX_ITEM = 1_000
MAX_ITEMS = 200
MAX_RECORD_BYTES = 400_000
LEIKA_KEY = re.compile(r"^\d{14}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,118}[a-z0-9]$")
REVIEW_MONTHS_DEFAULT = 12

TEXTS = ("name", "name_en", "summary", "summary_en", "description", "description_en",
         "processing_time", "deadlines")  # fmt: skip
LISTS = ("prerequisites", "documents", "legal_basis", "keywords", "questions")
# The fields of the record, in the order the edit page shows them.
FIELDS = (
    "name", "name_en", "summary", "summary_en", "description", "description_en", "topic",
    "kind", "participant", "appointment", "duration_minutes", "prerequisites", "documents",
    "fees", "processing_time", "deadlines", "legal_basis", "online_service", "leika",
    "keywords", "questions", "forms", "links", "jurisdiction", "editor", "review_months",
)  # fmt: skip
# What GET adds to the record and PUT ignores: the draft's state, never set by a client.
READ_ONLY = frozenset(
    {"id", "state", "base_version", "editors", "submitted_by", "submitted_at", "publish_at",
     "published", "updated_at", "note", "new", "reviewed_by", "last_reviewed",
     "last_reviewed_by"}
)  # fmt: skip
_AMOUNT = re.compile(r"(\d{1,3}(?:\.\d{3})*|\d+)(?:,(\d{1,2}))?\s*(?:€|Euro\b|EUR\b)", re.I)


@dataclass(frozen=True)
class Known:
    """What the catalog knows, to check references against."""

    topics: Container[str]
    participants: Container[str]
    areas: Container[str]
    authorities: Mapping[str, str]  # id -> participant
    kinds: AbstractSet[str]


def _fail(field: str, de: str, en: str) -> InvalidInput:
    return InvalidInput(f"{field}: {de}", message_en=f"{field}: {en}")


def _text(data: Mapping[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _fail(name, "muss ein Text sein.", "must be a string.")
    if len(value) > limit:
        raise _fail(
            name,
            f"ist zu lang ({len(value):,} Zeichen, höchstens {limit:,}).".replace(",", "."),
            f"is too long ({len(value):,} characters, at most {limit:,}).",
        )
    value = strip_markup(value.replace("\r\n", "\n")).strip()
    if required and not value:
        raise _fail(name, "darf nicht leer sein.", "must not be empty.")
    return value


def _items(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name) or []
    if not isinstance(value, list):
        raise _fail(name, "muss eine Liste sein.", "must be a list.")
    if len(value) > MAX_ITEMS:
        raise _fail(
            name, f"hat mehr als {MAX_ITEMS} Einträge.", f"has more than {MAX_ITEMS} items."
        )
    return value


def _strings(data: Mapping[str, Any], name: str) -> list[str]:
    out: list[str] = []
    for number, item in enumerate(_items(data, name), 1):
        if not isinstance(item, str):
            raise _fail(f"{name}[{number}]", "muss ein Text sein.", "must be a string.")
        if len(item) > MAX_ITEM:
            raise _fail(
                f"{name}[{number}]",
                f"ist zu lang (höchstens {MAX_ITEM} Zeichen).",
                f"is too long (at most {MAX_ITEM} characters).",
            )
        cleaned = " ".join(strip_markup(item).split())
        if cleaned and cleaned not in out:
            out.append(cleaned)
    return out


def check_url(value: Any, field: str) -> str:
    """An address of the web (http or https, with a host)."""
    if not isinstance(value, str) or len(value) > 1000:
        raise _fail(field, "muss eine Webadresse sein.", "must be a web address.")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(
            field,
            "muss eine Webadresse mit http:// oder https:// sein.",
            "must be a web address starting with http:// or https://.",
        )
    return value.strip()


def amount_of(text: str) -> Decimal | None:
    """The euro amount a fee's text names ("46,00 €"), or None."""
    found = _AMOUNT.search(text)
    if not found:
        return None
    return Decimal(found.group(1).replace(".", "") + "." + (found.group(2) or "0"))


def euro(amount: Decimal) -> str:
    """An amount as Germans write it: "1.234,50 €"."""
    whole, cents = f"{amount:.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{grouped},{cents}\u00a0€"


def fee_items(stored: list[Any]) -> list[dict[str, Any]]:
    """The stored fee lines as the record shows them: the amount apart; a line without
    an amount is a note (e.g. "Die Verlustanzeige ist gebührenfrei")."""
    items = []
    for line in stored:
        text = str(line)
        amount = amount_of(text)
        items.append(
            {"text": text, "amount_eur": float(amount) if amount is not None else None,
             "note": amount is None}
        )  # fmt: skip
    return items


def _fees(data: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for number, item in enumerate(_items(data, "fees"), 1):
        where = f"fees[{number}]"
        if isinstance(item, str):
            item = {"text": item, "note": amount_of(item) is None}
        if not isinstance(item, dict):
            raise _fail(where, "muss ein Eintrag mit Betrag sein.", "must be an entry with amount.")
        text = _text(item, "text", MAX_ITEM)
        note = item.get("note", False) is True
        raw = item.get("amount_eur")
        if raw is None or raw == "":
            amount = amount_of(text)
            if amount is None and not note:
                raise _fail(
                    where,
                    "Eine Gebühr braucht einen Betrag (oder ist als Hinweis ohne Betrag markiert).",
                    "A fee needs an amount (or is marked as a note without amount).",
                )
        else:
            try:
                amount = Decimal(str(raw).replace(",", "."))
            except InvalidOperation:
                raise _fail(where, "Betrag ist keine Zahl.", "amount is not a number.") from None
            if isinstance(raw, bool) or not amount.is_finite() or not 0 <= amount <= 100_000:
                raise _fail(
                    where,
                    "Betrag muss zwischen 0 und 100.000 € liegen.",
                    "amount must be between 0 and 100,000 €.",
                )
            named = amount_of(text)
            if named is None:
                text = f"{euro(amount)} {text}".strip()
            elif named != amount:
                raise _fail(
                    where,
                    f"Der Text nennt {euro(named)}, der Betrag ist {euro(amount)}.",
                    f"The text names {euro(named)}, the amount is {euro(amount)}.",
                )
        if not text:
            raise _fail(where, "Text fehlt.", "text is missing.")
        lines.append(text)
    return lines


def _pairs(data: Mapping[str, Any], name: str, keys: tuple[str, str]) -> list[dict[str, str]]:
    out = []
    for number, item in enumerate(_items(data, name), 1):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in keys):
            raise _fail(
                f"{name}[{number}]",
                f"braucht {keys[0]} und {keys[1]}.",
                f"needs {keys[0]} and {keys[1]}.",
            )
        out.append({k: item[k].strip() for k in keys})
    return out


def _leika(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _fail("leika", "muss ein Text sein.", "must be a string.")
    keys = [k for k in re.split(r"[\s,;]+", value.strip()) if k]
    for key in keys:
        if not LEIKA_KEY.match(key):
            raise _fail(
                "leika",
                f"„{key[:40]}“ ist kein LeiKa-Schlüssel (14 Ziffern).",
                f"'{key[:40]}' is not a LeiKa key (14 digits).",
            )
    return " ".join(keys) or None


def _whole(data: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(
            name,
            f"muss eine ganze Zahl von {low} bis {high} sein.",
            f"must be a whole number from {low} to {high}.",
        )
    return value


def _flag(data: Mapping[str, Any], name: str) -> bool:
    value = data.get(name, False)
    if value in ("true", "on", "1"):
        return True
    if value in ("false", "", "0", None):
        return False
    if not isinstance(value, bool):
        raise _fail(name, "muss wahr oder falsch sein.", "must be true or false.")
    return value


def check_record(
    data: Any, known: Known, *, may_edit: Callable[[str], bool] = lambda _p: True
) -> dict[str, Any]:
    """The record cleaned: texts without HTML, lists without empty or repeated items, fees
    with their amounts, references that exist. Raises InvalidInput naming the field."""
    if not isinstance(data, dict):
        raise InvalidInput(
            "Der Eintrag muss ein JSON-Objekt sein.", message_en="The record must be an object."
        )
    unknown = sorted(set(data) - set(FIELDS) - READ_ONLY - {"version"})
    if unknown:
        shown = ", ".join(unknown[:5])
        raise InvalidInput(f"Unbekannte Felder: {shown}.", message_en=f"Unknown fields: {shown}.")
    record: dict[str, Any] = {}
    for name in TEXTS:
        limit = MAX_NAME if name.startswith("name") else MAX_TEXT
        if name.startswith("summary") or name in ("processing_time", "deadlines"):
            limit = MAX_SHORT
        record[name] = _text(data, name, limit, required=name == "name")
    for name in LISTS:
        record[name] = _strings(data, name)
    record["fees"] = _fees(data)
    topic = data.get("topic") or ""
    if topic and (not isinstance(topic, str) or topic not in known.topics):
        raise _fail("topic", f"unbekanntes Thema „{str(topic)[:80]}“.", "unknown topic.")
    record["topic"] = topic
    kind = data.get("kind")
    if not isinstance(kind, str) or not SLUG.match(kind):
        raise _fail("kind", "fehlt oder ist keine Kennung.", "is missing or not an identifier.")
    record["kind"] = kind
    participant = data.get("participant")
    if not isinstance(participant, str) or participant not in known.participants:
        raise _fail("participant", "unbekannter Teilnehmer.", "unknown participant of the network.")
    if not may_edit(participant):
        raise _fail(
            "participant",
            "Sie bearbeiten nur Leistungen Ihres eigenen Teilnehmers.",
            "You edit only your own participant's services.",
        )
    record["participant"] = participant
    record["appointment"] = _flag(data, "appointment")
    record["duration_minutes"] = _whole(data, "duration_minutes", 1, 480)
    online = data.get("online_service")
    record["online_service"] = check_url(online, "online_service") if online else None
    record["leika"] = _leika(data.get("leika"))
    record["forms"] = [
        {"title": strip_markup(p["title"]), "url": check_url(p["url"], f"forms[{i}]")}
        for i, p in enumerate(_pairs(data, "forms", ("title", "url")), 1)
    ]
    record["links"] = [
        {"title": strip_markup(p["title"]), "url": check_url(p["url"], f"links[{i}]")}
        for i, p in enumerate(_pairs(data, "links", ("title", "url")), 1)
    ]
    jurisdiction = []
    for number, pair in enumerate(_pairs(data, "jurisdiction", ("area", "authority")), 1):
        where = f"jurisdiction[{number}]"
        if pair["area"] not in known.areas:
            raise _fail(where, f"unbekanntes Gebiet „{pair['area'][:80]}“.", "unknown area.")
        if pair["authority"] not in known.authorities:
            raise _fail(
                where, f"unbekannte Behörde „{pair['authority'][:80]}“.", "unknown authority."
            )
        if pair not in jurisdiction:
            jurisdiction.append(pair)
    record["jurisdiction"] = jurisdiction
    editor = data.get("editor") or None
    if editor is not None and (not isinstance(editor, str) or len(editor) > 120):
        raise _fail("editor", "muss ein Benutzername sein.", "must be a user name.")
    record["editor"] = editor
    record["review_months"] = _whole(data, "review_months", 1, 60) or REVIEW_MONTHS_DEFAULT
    return record
