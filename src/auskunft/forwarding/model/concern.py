"""The concern (Anliegen): what a caller asked that the service center could not answer at
once, the states it goes through, and what the citizen is promised.

    forwarded -> in_progress -> answered -> closed
        |             |   \\
        |             |    waiting_for_citizen (pauses the clock) -> in_progress
        +-------------+--> returned (not our office: back to the service center,
                                     the clock keeps running) -> forwarded

The citizen settles an answered concern with ja / teilweise (closed) or nein
(back to the office, in_progress). Every step is a line in the concern's
history that is never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from auskunft.core.errors import Conflict, InvalidInput


class Status(StrEnum):
    FORWARDED = "forwarded"
    IN_PROGRESS = "in_progress"
    WAITING_FOR_CITIZEN = "waiting_for_citizen"
    RETURNED = "returned"
    ANSWERED = "answered"
    CLOSED = "closed"


STATUSES = tuple(s.value for s in Status)
# States in which the feedback clock runs and the concern can become overdue.
COUNTING = (Status.FORWARDED, Status.IN_PROGRESS, Status.RETURNED)
# States in which the concern is still open for the citizen (Open311 "open").
OPEN = (*COUNTING, Status.WAITING_FOR_CITIZEN)
CHANNELS = ("115", "local", "email", "web", "counter", "letter")
PREFERRED = ("email", "phone")
# How an answer reached the citizen: sent as e-mail by the product, given on the phone (a
# note of the call), or published with the tracking code (a report without any contact).
VIA = ("email", "phone", "public")
VERDICTS = ("ja", "teilweise", "nein")


class Step(StrEnum):
    """What a line of the history records."""

    RECEIVED = "received"
    FORWARDED = "forwarded"
    SENT_BY_MAIL = "sent_by_mail"
    TAKEN = "taken"
    ASKED_CITIZEN = "asked_citizen"
    CITIZEN_REPLIED = "citizen_replied"
    NOTE = "note"
    RETURNED = "returned"
    ANSWERED = "answered"
    REMINDED = "reminded"
    OVERDUE = "overdue"
    SETTLED = "settled"
    REOPENED = "reopened"
    PURGED = "purged"


# Steps the citizen's tracking page shows (internal notes and reminders stay inside).
PUBLIC_STEPS = frozenset(
    {
        Step.RECEIVED,
        Step.FORWARDED,
        Step.TAKEN,
        Step.ASKED_CITIZEN,
        Step.CITIZEN_REPLIED,
        Step.RETURNED,
        Step.ANSWERED,
        Step.SETTLED,
        Step.REOPENED,
    }
)

MAX_QUESTION = 5000
MAX_TEXT = 5000
MAX_NAME = 200
MAX_PHONE = 40
MAX_CALLBACK = 200
_PHONE = re.compile(r"^\+?[0-9 ()/.\-]{5,40}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def invalid(message: str, message_en: str) -> InvalidInput:
    return InvalidInput(message, message_en=message_en)


def clean_text(value: str, *, limit: int, what: tuple[str, str], required: bool = True) -> str:
    """Text as stored: trimmed, no control characters, not longer than `limit`."""
    text = _CONTROL.sub("", value or "").strip()
    if required and not text:
        raise invalid(f"{what[0]} fehlt.", f"{what[1]} is missing.")
    if len(text) > limit:
        raise invalid(
            f"{what[0]} darf höchstens {limit} Zeichen haben ({len(text)} eingegeben).",
            f"{what[1]} may have at most {limit} characters ({len(text)} given).",
        )
    return text


def check_phone(value: str) -> str:
    phone = " ".join((value or "").split())
    if phone and not _PHONE.match(phone):
        raise invalid(
            "Die Telefonnummer enthält Zeichen, die keine Telefonnummer hat.",
            "The phone number contains characters no phone number has.",
        )
    if phone and sum(c.isdigit() for c in phone) < 5:
        raise invalid("Die Telefonnummer ist zu kurz.", "The phone number is too short.")
    return phone


@dataclass(frozen=True)
class Citizen:
    """Who asked, and how they want to hear back. Deleted on schedule after closing."""

    name: str
    email: str = ""
    phone: str = ""
    preferred: str = "email"
    callback: str = ""  # when a call back suits ("vormittags", "ab 16 Uhr")

    def checked(self, *, anonymous: bool = False) -> Citizen:
        """The same details, validated; the e-mail address is checked by the caller.

        `anonymous`: a report from the street (Open311) may come without any contact
        details; nobody hears back then, the answer is only published with the report."""
        name = clean_text(self.name, limit=MAX_NAME, what=("Der Name", "The name"))
        phone = check_phone(self.phone)
        callback = clean_text(
            self.callback,
            limit=MAX_CALLBACK,
            what=("Die Rückrufzeit", "The callback time"),
            required=False,
        )
        if anonymous and not self.email and not phone:
            return Citizen(name, "", "", "email", callback)
        if not self.email and not phone:
            raise invalid(
                "Bitte eine E-Mail-Adresse oder eine Telefonnummer für die Rückmeldung angeben.",
                "Please give an e-mail address or a phone number for the feedback.",
            )
        if self.preferred not in PREFERRED:
            raise invalid(
                "Rückmeldung bitte per „email“ oder „phone“.",
                "Feedback by 'email' or 'phone', please.",
            )
        if self.preferred == "email" and not self.email:
            raise invalid(
                "Für eine Rückmeldung per E-Mail fehlt die E-Mail-Adresse.",
                "Feedback by e-mail needs an e-mail address.",
            )
        if self.preferred == "phone" and not phone:
            raise invalid(
                "Für einen Rückruf fehlt die Telefonnummer.",
                "A call back needs a phone number.",
            )
        return Citizen(name, self.email, phone, self.preferred, callback)


# Which step leads from which states to which state.
_MOVES: dict[str, tuple[tuple[Status, ...], Status]] = {
    "take": ((Status.FORWARDED, Status.IN_PROGRESS), Status.IN_PROGRESS),
    "ask": ((Status.FORWARDED, Status.IN_PROGRESS), Status.WAITING_FOR_CITIZEN),
    "resume": ((Status.WAITING_FOR_CITIZEN,), Status.IN_PROGRESS),
    "answer": (
        (Status.FORWARDED, Status.IN_PROGRESS, Status.WAITING_FOR_CITIZEN),
        Status.ANSWERED,
    ),
    "return": ((Status.FORWARDED, Status.IN_PROGRESS), Status.RETURNED),
    "forward": (
        (Status.FORWARDED, Status.IN_PROGRESS, Status.RETURNED, Status.WAITING_FOR_CITIZEN),
        Status.FORWARDED,
    ),
    "settle": ((Status.ANSWERED,), Status.CLOSED),
    "reopen": ((Status.ANSWERED,), Status.IN_PROGRESS),
}

_WHY_NOT = {
    Status.ANSWERED: ("Das Anliegen ist schon beantwortet.", "The concern is already answered."),
    Status.CLOSED: ("Das Anliegen ist abgeschlossen.", "The concern is closed."),
    Status.RETURNED: (
        "Das Anliegen ist an das Servicecenter zurückgegeben und muss erst neu weitergeleitet "
        "werden.",
        "The concern was returned to the service center and must be forwarded again first.",
    ),
    Status.WAITING_FOR_CITIZEN: (
        "Das Anliegen wartet auf eine Antwort des Bürgers.",
        "The concern waits for the citizen's reply.",
    ),
    Status.FORWARDED: ("Das Anliegen ist noch nicht beantwortet.", "The concern is not answered."),
    Status.IN_PROGRESS: ("Das Anliegen ist in Bearbeitung.", "The concern is in progress."),
}


def move(action: str, current: str) -> Status:
    """The state after `action` from `current`; Conflict (409) when it is not possible."""
    allowed, target = _MOVES[action]
    if Status(current) not in allowed:
        message, message_en = _WHY_NOT[Status(current)]
        raise Conflict(message, message_en=message_en)
    return target


def open311_status(status: str) -> str:
    """Open311's two states."""
    return "open" if Status(status) in OPEN else "closed"


# --- Open311 reports: where and the photo, kept in the concern's own columns ---------------

_GEO = re.compile(r"(?:^|\s)geo:(-?\d{1,3}(?:\.\d+)?),(-?\d{1,3}(?:\.\d+)?)$")
_PHOTO = re.compile(r"\n\nFoto: (https?://\S+)$")


def report_place(address: str, lat: float | None, long: float | None) -> str:
    """Where a report is, as the concern's `address` keeps it: the address given, then the
    coordinates as a geo URI (RFC 5870), e.g. "Holländische Straße 5 geo:51.32127,9.49731"."""
    text = " ".join(address.split())
    if lat is None or long is None:
        return text
    geo = f"geo:{round(lat, 6)},{round(long, 6)}"
    return f"{text} {geo}" if text else geo


def split_place(text: str) -> tuple[str, float | None, float | None]:
    """The address and the coordinates `report_place` joined (None where there are none)."""
    found = _GEO.search(text)
    if found is None:
        return text, None, None
    return text[: found.start()].strip(), float(found.group(1)), float(found.group(2))


def report_question(description: str, media_url: str) -> str:
    """A report's text as the concern's question: the description, then the photo's address
    on a line of its own, for the office to open."""
    text = description.strip()
    return f"{text}\n\nFoto: {media_url}" if media_url else text


def split_question(text: str) -> tuple[str, str | None]:
    """The description and the photo's address `report_question` joined."""
    found = _PHOTO.search(text)
    if found is None:
        return text, None
    return text[: found.start()], found.group(1)
