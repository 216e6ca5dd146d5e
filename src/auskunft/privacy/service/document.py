"""The Art. 15 document ("Auskunft nach Art. 15 DSGVO"), in German, from what was found:
as a `Letter` (sections of entries of facts) that the printable page shows and the text
download writes, and as JSON with the same content and the records' raw values.

Moments are written as Germans read them: "Dienstag, 1. Dezember 2026, 15:30 Uhr".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from babel.dates import format_datetime

from auskunft.appointments.service.personal import Visit, WaitingPlace
from auskunft.core.hours import BERLIN
from auskunft.forwarding.service.personal import ConcernRecord
from auskunft.privacy.model import wording as w
from auskunft.privacy.model.wording import Retention
from auskunft.privacy.service.rights import Findings

TITLE = "Auskunft nach Art. 15 DSGVO"


def moment(value: datetime | None) -> str:
    """ "Dienstag, 1. Dezember 2026, 15:30 Uhr" (Berlin time)."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(BERLIN), "EEEE, d. MMMM y, H:mm", locale="de") + " Uhr"


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(BERLIN).isoformat() if value is not None else None


@dataclass(frozen=True)
class Entry:
    """One record: a heading, its facts (label, value; empty values left out) and, for a
    concern, the lines of its history."""

    heading: str
    facts: tuple[tuple[str, str], ...]
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()
    items: tuple[str, ...] = ()
    records: bool = False  # a section of the person's records (not of the explanations)


@dataclass(frozen=True)
class Letter:
    title: str
    about: str
    created: str
    sections: tuple[Section, ...]


def _facts(*pairs: tuple[str, str | None]) -> tuple[tuple[str, str], ...]:
    return tuple((label, value) for label, value in pairs if value)


def _visit(v: Visit) -> Entry:
    place = ", ".join(p for p in (v.place.location, v.place.address) if p)
    return Entry(
        f"Termin {v.code}: {moment(v.start)}",
        _facts(
            ("Status", w.named(w.APPOINTMENT_STATUS, v.status)),
            ("Ort", place),
            ("Zuständige Stelle", v.place.authority),
            ("Leistungen", ", ".join(v.services)),
            ("Gebucht", f"{moment(v.booked_at)}, {w.named(w.BOOKED_VIA, v.channel)}"),
            ("Name", v.name),
            ("E-Mail-Adresse", v.email),
            ("Telefonnummer", v.phone),
            ("Sprache", w.named(w.LANGUAGE, v.language)),
        ),
    )


def _waiting(e: WaitingPlace) -> Entry:
    return Entry(
        f"Wartelisten-Eintrag {e.id}: {e.service}",
        _facts(
            ("Status", w.named(w.WAITLIST_STATUS, e.status)),
            ("Ort", ", ".join(p for p in (e.place.location, e.place.address) if p)),
            ("Zuständige Stelle", e.place.authority),
            ("Angemeldet", moment(e.joined_at)),
            ("Name", e.name),
            ("E-Mail-Adresse", e.email),
            ("Telefonnummer", e.phone),
            ("Sprache", w.named(w.LANGUAGE, e.language)),
        ),
    )


def _concern(c: ConcernRecord) -> Entry:
    lines = []
    for line in c.history:
        text = f"{moment(line.at)}: {w.named(w.STEP, line.kind)}"
        if line.office:
            text += f" ({line.office})"
        if line.text:
            text += f" – {line.text}"
        lines.append(text)
    answer = c.answer
    if c.answered_at is not None:
        answer = f"{moment(c.answered_at)}, {w.named(w.ANSWER_VIA, c.answer_via)}" + (
            f": {c.answer}" if c.answer else ""
        )
    return Entry(
        f"Anliegen {c.tracking_code}: {moment(c.received_at)}",
        _facts(
            ("Status", w.named(w.CONCERN_STATUS, c.status)),
            ("Eingang über", w.named(w.CONCERN_CHANNEL, c.channel)),
            ("Leistung", c.service),
            ("Zuständige Stellen", ", ".join(c.offices)),
            ("Einwilligung in die Weitergabe", moment(c.consent_at)),
            ("Name", c.name),
            ("E-Mail-Adresse", c.email),
            ("Telefonnummer", c.phone),
            ("Rückmeldung", w.named(w.PREFERRED, c.preferred)),
            ("Rückruf", c.callback),
            ("Ihr Anliegen", c.question),
            ("Ort", c.address),
            ("Antwort", answer),
            ("Abgeschlossen", moment(c.closed_at)),
        ),
        tuple(lines),
    )


def _about(found: Findings) -> str:
    parts = []
    if found.subject.email:
        parts.append(f"der E-Mail-Adresse {found.subject.email}")
    if found.subject.phone:
        parts.append(f"der Telefonnummer {found.subject.phone}")
    return " und ".join(parts)


def letter(found: Findings, retention: Retention) -> Letter:
    """The document: what is stored, why, how long, who received it, and the rights."""
    about = _about(found)
    sections: list[Section] = [
        Section(
            "Ihre Anfrage",
            (
                f"Sie haben Auskunft über die Daten verlangt, die zu {about} gespeichert sind. "
                "Gesucht wurde nach dem Postfach der Adresse (ohne Unterschied von Groß- und "
                "Kleinschreibung und ohne „+Zusatz“) und nach den Ziffern der Telefonnummer.",
                (
                    "Dazu sind keine personenbezogenen Daten gespeichert."
                    if found.empty
                    else "Dazu ist Folgendes gespeichert."
                ),
            ),
        )
    ]
    if found.visits:
        sections.append(
            Section("Termine", entries=tuple(_visit(v) for v in found.visits), records=True)
        )
    if found.waiting:
        sections.append(
            Section(
                "Wartelisten-Einträge",
                entries=tuple(_waiting(e) for e in found.waiting),
                records=True,
            )
        )
    if found.concerns:
        sections.append(
            Section("Anliegen", entries=tuple(_concern(c) for c in found.concerns), records=True)
        )
    kinds = {
        "appointments": bool(found.visits),
        "waitlist": bool(found.waiting),
        "concerns": bool(found.concerns),
    }
    shown = [p for p in w.purposes(retention) if kinds[p.category]]
    if shown:
        sections.append(
            Section(
                "Zwecke, Rechtsgrundlagen und Speicherdauer",
                entries=tuple(
                    Entry(
                        p.title,
                        (
                            ("Zweck", p.purpose),
                            ("Rechtsgrundlage", p.legal_basis),
                            ("Speicherdauer", p.retention),
                        ),
                    )
                    for p in shown
                ),
            )
        )
        sections.append(Section("Empfänger", (w.RECIPIENTS,), items=found.offices))
        sections.append(Section("Herkunft der Daten", (w.SOURCE,)))
    sections.append(Section("Ihre Rechte", w.RIGHTS))
    return Letter(TITLE, about, moment(found.found_at), tuple(sections))


def as_text(doc: Letter) -> str:
    """The letter as plain text with Markdown headings, for a mail or a print."""
    out = [f"# {doc.title}", "", f"Stand: {doc.created}", ""]
    for section in doc.sections:
        out += [f"## {section.heading}", ""]
        for paragraph in section.paragraphs:
            out += [paragraph, ""]
        for item in section.items:
            out.append(f"- {item}")
        if section.items:
            out.append("")
        for entry in section.entries:
            out += [f"### {entry.heading}", ""]
            out += [f"- {label}: {' '.join(value.split())}" for label, value in entry.facts]
            if entry.lines:
                out += ["- Verlauf:"] + [f"  - {' '.join(line.split())}" for line in entry.lines]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _visit_json(v: Visit) -> dict[str, Any]:
    return {
        "code": v.code,
        "status": v.status,
        "start": _iso(v.start),
        "end": _iso(v.end),
        "when": moment(v.start),
        "location": {
            "id": v.place.location_id,
            "name": v.place.location,
            "address": v.place.address,
        },
        "office": {"id": v.place.authority_id, "name": v.place.authority},
        "services": list(v.services),
        "channel": v.channel,
        "booked_by_staff": v.booked_by_staff,
        "booked_at": _iso(v.booked_at),
        "changed_at": _iso(v.changed_at),
        "name": v.name,
        "email": v.email,
        "phone": v.phone,
        "language": v.language,
    }


def _waiting_json(e: WaitingPlace) -> dict[str, Any]:
    return {
        "id": e.id,
        "status": e.status,
        "service": e.service,
        "location": {
            "id": e.place.location_id,
            "name": e.place.location,
            "address": e.place.address,
        },
        "office": {"id": e.place.authority_id, "name": e.place.authority},
        "joined_at": _iso(e.joined_at),
        "name": e.name,
        "email": e.email,
        "phone": e.phone,
        "language": e.language,
    }


def _concern_json(c: ConcernRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "tracking_code": c.tracking_code,
        "status": c.status,
        "channel": c.channel,
        "service": c.service,
        "municipality": c.municipality,
        "office": {"id": c.authority_id, "name": c.authority},
        "offices": list(c.offices),
        "received_at": _iso(c.received_at),
        "consent_at": _iso(c.consent_at),
        "answered_at": _iso(c.answered_at),
        "answer_via": c.answer_via,
        "closed_at": _iso(c.closed_at),
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "preferred": c.preferred,
        "callback": c.callback,
        "question": c.question,
        "address": c.address,
        "answer": c.answer,
        "language": c.language,
        "history": [
            {"at": _iso(line.at), "step": line.kind, "office": line.office, "text": line.text}
            for line in c.history
        ],
    }


def records_json(found: Findings) -> dict[str, Any]:
    """The records found, with their raw values (the search's answer)."""
    return {
        "counts": found.counts,
        "appointments": [_visit_json(v) for v in found.visits],
        "waitlist": [_waiting_json(e) for e in found.waiting],
        "concerns": [_concern_json(c) for c in found.concerns],
    }


def as_json(found: Findings, retention: Retention) -> dict[str, Any]:
    """The whole document: the records, purposes, recipients, rights, and the letter."""
    doc = letter(found, retention)
    kinds = {k for k, n in found.counts.items() if n}
    return {
        "title": TITLE,
        "created_at": _iso(found.found_at),
        "subject": {"email": found.subject.email or None, "phone": found.subject.phone or None},
        **records_json(found),
        "purposes": [
            {
                "category": p.category,
                "title": p.title,
                "purpose": p.purpose,
                "legal_basis": p.legal_basis,
                "retention": p.retention,
            }
            for p in w.purposes(retention)
            if p.category in kinds
        ],
        "recipients": list(found.offices),
        "source": w.SOURCE if kinds else None,
        "rights": list(w.RIGHTS),
        "letter": as_text(doc),
    }
