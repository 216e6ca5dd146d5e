"""iCalendar (RFC 5545) invitations: one VEVENT per appointment, updated and cancelled by UID."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import icalendar

from auskunft.core.hours import BERLIN

PRODID = "-//auskunft//Terminvereinbarung//DE"


@dataclass(frozen=True)
class Event:
    """What a calendar shows of an appointment."""

    uid: str
    start: datetime  # zone-aware
    end: datetime
    summary: str
    location: str
    description: str
    sequence: int  # higher with every change the citizen is told of
    organizer: str  # e-mail address of the sender
    organizer_name: str
    attendee: str
    attendee_name: str


def sequence(created_at: datetime, changed_at: datetime, *, cancelled: bool = False) -> int:
    """SEQUENCE of an appointment's event, derived from its change time (nothing to store).

    0 until the appointment changes, then larger with every change; a
    cancellation counts one more, so it always supersedes the last update.
    """
    seconds = int((changed_at - created_at).total_seconds())
    value = seconds + 1 if seconds > 0 else 0
    return value + 1 if cancelled else value


def calendar(event: Event, *, method: str, stamp: datetime) -> bytes:
    """An iCalendar object with METHOD REQUEST (new or changed) or CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported method {method}")
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    vevent = icalendar.Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("dtstart", event.start.astimezone(BERLIN))
    vevent.add("dtend", event.end.astimezone(BERLIN))
    vevent.add("summary", event.summary)
    vevent.add("location", event.location)
    vevent.add("description", event.description)
    vevent.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    organizer = {"CN": event.organizer_name} if event.organizer_name else {}
    vevent.add("organizer", f"mailto:{event.organizer}", parameters=organizer)
    attendee = {"CN": event.attendee_name} if event.attendee_name else {}
    attendee |= {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"}
    vevent.add("attendee", f"mailto:{event.attendee}", parameters=attendee)
    cal.add_component(vevent)
    # The VTIMEZONE that the TZID needs, for the years around the appointment only.
    day = event.start.astimezone(BERLIN).date()
    cal.add_missing_timezones(
        first_date=day - timedelta(days=366), last_date=day + timedelta(days=366)
    )
    return bytes(cal.to_ical())
