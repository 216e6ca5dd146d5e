"""The edit form and the record: lists as one item per line, fees as lines (a line
without an amount starts with "Hinweis:"), links as "Titel | https://…", responsibilities
as "gebiet = behörde"."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

NOTE_PREFIX = "Hinweis:"
LINE_LISTS = ("prerequisites", "documents", "legal_basis", "keywords", "questions")
PLAIN = ("name", "name_en", "summary", "summary_en", "description", "description_en",
         "topic", "kind", "participant", "processing_time", "deadlines", "online_service",
         "leika", "editor", "duration_minutes", "review_months")  # fmt: skip


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def form_of(record: dict[str, Any]) -> dict[str, str]:
    """The record as the form's fields (texts)."""
    form: dict[str, str] = {}
    for name in PLAIN:
        value = record.get(name)
        form[name] = "" if value is None else str(value)
    for name in LINE_LISTS:
        form[name] = "\n".join(record.get(name) or [])
    fees = []
    for fee in record.get("fees") or []:
        if isinstance(fee, dict):
            fees.append(f"{NOTE_PREFIX} {fee['text']}" if fee.get("note") else fee["text"])
        else:
            fees.append(str(fee))
    form["fees"] = "\n".join(fees)
    for name in ("forms", "links"):
        form[name] = "\n".join(f"{x['title']} | {x['url']}" for x in record.get(name) or [])
    form["jurisdiction"] = "\n".join(
        f"{x['area']} = {x['authority']}" for x in record.get("jurisdiction") or []
    )
    form["appointment"] = "on" if record.get("appointment") else ""
    return form


def record_of(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a record for `check_record` (which judges them)."""
    record: dict[str, Any] = {name: form.get(name, "") for name in PLAIN}
    for name in ("duration_minutes", "review_months", "online_service", "leika", "editor"):
        record[name] = record[name].strip() or None
    for name in LINE_LISTS:
        record[name] = _lines(form.get(name, ""))
    fees: list[dict[str, Any]] = []
    for line in _lines(form.get("fees", "")):
        if line.startswith(NOTE_PREFIX):
            fees.append({"text": line[len(NOTE_PREFIX) :].strip(), "note": True})
        else:
            fees.append({"text": line, "note": False})
    record["fees"] = fees
    for name in ("forms", "links"):
        items = []
        for line in _lines(form.get(name, "")):
            title, _, url = line.rpartition("|")
            items.append({"title": title.strip() or url.strip(), "url": url.strip()})
        record[name] = items
    pairs = []
    for line in _lines(form.get("jurisdiction", "")):
        area, _, authority = line.partition("=")
        pairs.append({"area": area.strip(), "authority": authority.strip()})
    record["jurisdiction"] = pairs
    record["appointment"] = form.get("appointment") in ("on", "true", "1")
    return record


# -- authorities: hours as "08:00-12:00, 14:00-18:00" per weekday, closures one per line
# as "24.12.2026 Heiligabend" (or "2026-12-24 …") -------------------------------------
OFFICE_PLAIN = ("name", "street", "postcode", "city", "phone", "email", "concern_email",
                "web", "note")  # fmt: skip
WEEKDAY_CODES = ("mo", "tu", "we", "th", "fr", "sa", "su")
_GERMAN_DAY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def office_form_of(record: dict[str, Any]) -> dict[str, str]:
    """An authority's record as the form's fields."""
    form = {name: str(record.get(name) or "") for name in OFFICE_PLAIN}
    hours = record.get("opening_hours") or {}
    for day in WEEKDAY_CODES:
        form[f"hours_{day}"] = ", ".join(hours.get(day, []))
    lines = []
    for closure in record.get("closures") or []:
        when = date.fromisoformat(closure["day"])
        lines.append(f"{when:%d.%m.%Y} {closure.get('reason', '')}".strip())
    form["closures"] = "\n".join(lines)
    return form


def _iso_day(text: str) -> str:
    found = _GERMAN_DAY.match(text)
    if found:
        d, m, y = found.groups()
        return f"{y}-{int(m):02d}-{int(d):02d}"
    return text


def office_record_of(form: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a record for `check_office` (which judges them)."""
    record: dict[str, Any] = {name: form.get(name, "") for name in OFFICE_PLAIN}
    hours: dict[str, list[str]] = {}
    for day in WEEKDAY_CODES:
        ranges = [r.strip() for r in form.get(f"hours_{day}", "").split(",") if r.strip()]
        if ranges:
            hours[day] = ranges
    record["opening_hours"] = hours
    closures = []
    for line in _lines(form.get("closures", "")):
        day, _, reason = line.partition(" ")
        closures.append({"day": _iso_day(day.strip()), "reason": reason.strip()})
    record["closures"] = closures
    return record
