"""The contact log: what a contact was about and how it ended, without personal data."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.desk import tables as t
from auskunft.desk.model.events import ContactsChanged, QuestionLogged
from auskunft.desk.repository import ContactRepository
from auskunft.search.service.engine import check_municipality
from auskunft.telephony.service import calls as telephony_calls

CHANNELS = ("115", "local", "counter", "email")
OUTCOMES = ("answered", "appointment", "forwarded", "other")
# Telephony clocks drift a little; a contact may end this far "in the future".
CLOCK_SKEW = timedelta(minutes=5)
LONGEST_CONTACT = timedelta(hours=12)
# A contact is reported when it ends, or by a telephony system that was down a while; a
# contact older than this is no report of the service center's day (and times near the
# years 1 and 9999 overflow in time-zone arithmetic).
OLDEST_CONTACT = timedelta(days=30)
# First-contact resolution: a contact settled at once ("answered", "appointment") counts
# as resolved unless the same caller calls again about the same service within this time.
RESOLVED = ("answered", "appointment")
REPEAT_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class NewContact:
    """A contact as the desk or a telephony system reports it."""

    channel: str
    outcome: str
    started_at: datetime
    ended_at: datetime
    service_id: str | None = None
    municipality: str | None = None
    call_id: str | None = None  # the telephone system's call (issue 14)


def _invalid(message: str, message_en: str) -> InvalidInput:
    return InvalidInput(message, message_en=message_en)


def validate(uow: UnitOfWork, contact: NewContact, areas: set[str], now: datetime) -> None:
    """Raise InvalidInput naming the first thing wrong with a reported contact."""
    check_shape(contact, now=now)
    if contact.service_id is not None and catalog_reads.service(uow, contact.service_id) is None:
        raise _invalid(
            f"Die Leistung „{contact.service_id[:120]}“ gibt es im Katalog nicht.",
            f"There is no service '{contact.service_id[:120]}' in the catalog.",
        )
    if contact.municipality is not None:
        check_municipality(areas, contact.municipality)


def check_shape(contact: NewContact, *, now: datetime | None) -> None:
    """What every contact must be: a known channel and outcome, times with a zone, an end
    after the start, at most 12 hours; with `now`, also reported in time (not in the
    future, not older than 30 days). A contact of the past (`now` None) skips those."""
    if contact.channel not in CHANNELS:
        raise _invalid(
            f"Unbekannter Kanal „{contact.channel[:20]}“; möglich: {', '.join(CHANNELS)}.",
            f"Unknown channel '{contact.channel[:20]}'; possible: {', '.join(CHANNELS)}.",
        )
    if contact.outcome not in OUTCOMES:
        raise _invalid(
            f"Unbekanntes Ergebnis „{contact.outcome[:20]}“; möglich: {', '.join(OUTCOMES)}.",
            f"Unknown outcome '{contact.outcome[:20]}'; possible: {', '.join(OUTCOMES)}.",
        )
    for moment in (contact.started_at, contact.ended_at):
        if moment.tzinfo is None:
            raise _invalid(
                "Zeitpunkte brauchen eine Zeitzone (z. B. 2026-11-24T09:15:00+01:00).",
                "Times need a time zone (e.g. 2026-11-24T09:15:00+01:00).",
            )
    if contact.ended_at < contact.started_at:
        raise _invalid(
            "Das Ende des Kontakts liegt vor seinem Beginn.",
            "The contact ends before it starts.",
        )
    if now is not None and contact.ended_at > now + CLOCK_SKEW:
        raise _invalid("Der Kontakt endet in der Zukunft.", "The contact ends in the future.")
    if now is not None and contact.started_at < now - OLDEST_CONTACT:
        raise _invalid(
            "Der Kontakt begann vor mehr als 30 Tagen; so alte Kontakte werden nicht erfasst.",
            "The contact started more than 30 days ago; contacts this old are not logged.",
        )
    if contact.ended_at - contact.started_at > LONGEST_CONTACT:
        raise _invalid(
            "Ein Kontakt dauert höchstens 12 Stunden.", "A contact lasts at most 12 hours."
        )


def _columns(
    contact: NewContact, *, source: str, agent_id: int | None, concern_id: int | None
) -> dict[str, Any]:
    """The stored columns of a contact."""
    return {
        "channel": contact.channel,
        "outcome": contact.outcome,
        "service_id": contact.service_id,
        "municipality": contact.municipality,
        "started_at": contact.started_at.astimezone(UTC),
        "ended_at": contact.ended_at.astimezone(UTC),
        "agent_id": agent_id,
        "source": source,
        "concern_id": concern_id,
        "call_id": contact.call_id,
        "local_day": contact.started_at.astimezone(BERLIN).date(),
    }


def log_contact(
    uow: UnitOfWork,
    contact: NewContact,
    *,
    areas: set[str],
    now: datetime,
    agent_id: int | None,
    source: str,
    concern_id: int | None = None,
    query: str = "",
) -> t.Contact:
    """Store a contact after validating it; the caller commits. `query`: the agent's search
    words, told to the content-gap loop (`QuestionLogged`), never stored with the contact."""
    validate(uow, contact, areas, now)
    row = t.Contact(**_columns(contact, source=source, agent_id=agent_id, concern_id=concern_id))
    uow.repo(ContactRepository).add(row)
    if row.local_day is not None:
        uow.publish(ContactsChanged((row.local_day,)))
    if contact.call_id:
        link_calls(uow, telephony_calls.threads_of(uow, [contact.call_id]))
    if query.strip():
        uow.publish(QuestionLogged(query.strip()[:200], row.service_id, row.outcome, row.id, now))
    return row


def import_history(uow: UnitOfWork, contacts: Sequence[NewContact], *, source: str) -> int:
    """Store contacts of the past in bulk (the demo year, a migration from another system):
    checked in their shape like a reported contact (not for their age), and idempotent by
    call id (a call that already has a contact gets no second one). Returns how many were
    stored."""
    for contact in contacts:
        check_shape(contact, now=None)
    repo = uow.repo(ContactRepository)
    known = repo.call_ids_with_contacts([c.call_id for c in contacts if c.call_id])
    rows = [
        _columns(c, source=source, agent_id=None, concern_id=None)
        for c in contacts
        if not c.call_id or c.call_id not in known
    ]
    # The calls' series go in with the rows (the calls are stored already, as a rule).
    threads = telephony_calls.threads_of(uow, [row["call_id"] for row in rows if row["call_id"]])
    for row in rows:
        row["caller_thread"] = threads.get(row["call_id"]) if row["call_id"] else None
    repo.insert_many(rows)
    if rows:
        days = {row["local_day"] for row in rows} | mark_repeats(uow, set(threads.values()))
        uow.publish(ContactsChanged(tuple(sorted(days))))
    return len(rows)


def link_calls(uow: UnitOfWork, threads: Mapping[str, str]) -> int:
    """Give the contacts of these calls (call id -> caller series) their series, and mark
    in the series touched which contacts were followed by a call about the same service
    within 7 days. Runs when a contact with a call id is logged and when calls are stored
    after their contacts (telephony's CallsStored). Returns how many contacts were linked."""
    repo = uow.repo(ContactRepository)
    unlinked = repo.unlinked(list(threads))
    if not unlinked:
        return 0
    wanted = {call_id: threads[call_id] for call_id, _ in unlinked}
    repo.set_threads(wanted)
    days = {day for _, day in unlinked if day is not None}
    days |= mark_repeats(uow, wanted.values())
    uow.publish(ContactsChanged(tuple(sorted(days))))
    return len(wanted)


def mark_repeats(uow: UnitOfWork, threads: Iterable[str]) -> set[date]:
    """Set `called_again` on the contacts of these caller series: true where the next
    contact of the series about the same service started within 7 days. Returns the
    local days of the contacts whose mark changed."""
    repo = uow.repo(ContactRepository)
    by_matter: dict[tuple[str, str], list[tuple[datetime, int, bool]]] = {}
    for contact_id, thread, service, started, flagged in repo.of_threads(threads):
        by_matter.setdefault((thread, service), []).append((started, contact_id, flagged))
    now_true: list[int] = []
    now_false: list[int] = []
    changed: set[date] = set()
    for contacts in by_matter.values():
        contacts.sort()
        for position, (started, contact_id, flagged) in enumerate(contacts):
            following = contacts[position + 1][0] if position + 1 < len(contacts) else None
            again = following is not None and following - started <= REPEAT_WINDOW
            if again != flagged:
                (now_true if again else now_false).append(contact_id)
                changed.add(started.astimezone(BERLIN).date())
    repo.set_called_again(now_true, True)
    repo.set_called_again(now_false, False)
    return changed


def public(row: t.Contact) -> dict[str, Any]:
    """A stored contact as the API returns it."""
    start, end = row.started_at, row.ended_at
    return {
        "id": row.id,
        "channel": row.channel,
        "outcome": row.outcome,
        "service": row.service_id,
        "municipality": row.municipality,
        "started_at": start.isoformat(),
        "ended_at": end.isoformat(),
        "duration_seconds": int((end - start).total_seconds()),
        "source": row.source,
        "concern": row.concern_id,
        "call_id": row.call_id,
    }


@dataclass(frozen=True)
class DaySummary:
    """Counts of one day's contacts, for the supervisor's overview."""

    total: int
    by_channel: dict[str, int]
    by_outcome: dict[str, int]
    median_seconds: int | None


def summarize(uow: UnitOfWork, start: datetime, end: datetime) -> DaySummary:
    """Count the contacts that started in [start, end)."""
    rows = uow.repo(ContactRepository).between(start.astimezone(UTC), end.astimezone(UTC))
    channels = Counter(r.channel for r in rows)
    outcomes = Counter(r.outcome for r in rows)
    durations = sorted(int((r.ended_at - r.started_at).total_seconds()) for r in rows)
    return DaySummary(
        total=len(rows),
        by_channel={c: channels.get(c, 0) for c in CHANNELS},
        by_outcome={o: outcomes.get(o, 0) for o in OUTCOMES},
        median_seconds=durations[len(durations) // 2] if durations else None,
    )


def outcome_counts(
    uow: UnitOfWork, first: date, last: date, *, by_month: bool
) -> list[tuple[date, str, str, bool, bool, int]]:
    """(day or month, channel, outcome, called again, linked to a call, count) of the
    contacts of the local days first..last."""
    return uow.repo(ContactRepository).outcome_counts(first, last, by_month=by_month)


def service_area_counts(
    uow: UnitOfWork, first: date, last: date, *, by_month: bool
) -> list[tuple[date, str | None, str | None, int]]:
    """(day or month, service, municipality, count) of the contacts of first..last."""
    return uow.repo(ContactRepository).service_area_counts(first, last, by_month=by_month)


def logged(uow: UnitOfWork, contact_id: int) -> dict[str, Any] | None:
    """A contact just logged, as the desk confirms it (None when there is no such contact)."""
    row = uow.repo(ContactRepository).get(contact_id)
    return public(row) if row is not None else None
