"""Calls from the telephone system: a queue_log file imported whole or not at all, live
events one batch at a time, the channel of each call, and callers recognised for a week.

Callers. The caller's number (ENTERQUEUE's caller id) is never stored. It is hashed with
the secret of the call's day (HMAC-SHA256, a random 32-byte key per Europe/Berlin day,
`caller_keys`); a later call within 7 days is recognised by hashing its number with the
keys of the week before, and joins the first call's series (`caller_thread`). After 7
days the key is deleted and the hashes made with it are blanked (`purge_keys`, run by
the worker): what is left cannot be linked to a number by anybody, the city included.
Calls imported from days whose key would already be gone get a key in memory only, for
the length of the import.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from auskunft.core.config import parse_channel_map
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict, ImportFailed, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.phone import national_digits
from auskunft.core.progress import Progress
from auskunft.telephony.model.calls import ENDED, Call, CallsStored, OutOfOrder
from auskunft.telephony.model.figures import slot_of
from auskunft.telephony.model.queue_log import (
    AGENT_EVENTS,
    Event,
    Malformed,
    parse_any,
    parse_line,
)
from auskunft.telephony.repository import CallRepository, Earlier
from auskunft.telephony.service import live
from auskunft.telephony.service.areas import area_codes
from auskunft.telephony.tables import Call as StoredCall

KEY_DAYS = 7  # a caller is recognised for this many days
REPEAT_WINDOW = timedelta(days=KEY_DAYS)
SHOWN_PROBLEMS = 50


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based: the line of a file, or the position of an event in a live batch
    german: str
    english: str


@dataclass
class ImportReport:
    lines: int = 0
    events: int = 0
    other_lines: int = 0  # valid lines that concern no call's figures
    new: int = 0
    updated: int = 0
    unchanged: int = 0  # calls already stored complete (a second import of the file)
    without_queue: int = 0  # calls that never entered a queue (only a DID)
    skipped_calls: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "events": self.events,
            "other_lines": self.other_lines,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "without_queue": self.without_queue,
            "skipped_calls": self.skipped_calls,
            "problems": [
                {"line": p.line, "message": p.german, "message_en": p.english}
                for p in self.problems[:SHOWN_PROBLEMS]
            ],
            "problem_count": len(self.problems),
        }


class QueueLogRefused(ImportFailed):
    """A queue_log with malformed lines or events out of order: nothing was stored."""

    def __init__(self, report: ImportReport, message: str, *, message_en: str) -> None:
        super().__init__(message, message_en=message_en)
        self.report = report


class Channels:
    """Which channel a call came by: its dialled number first, else its queue."""

    def __init__(self, setting: str) -> None:
        self.mapping = parse_channel_map(setting)
        self._by_digits = {
            national_digits(key): channel
            for key, channel in self.mapping.items()
            if national_digits(key)
        }

    def of(self, did: str | None, queue: str) -> str | None:
        if did:
            found = self.mapping.get(did) or self._by_digits.get(national_digits(did))
            if found:
                return found
        return self.mapping.get(queue)


def berlin_day(moment: datetime) -> date:
    return moment.astimezone(BERLIN).date()


def caller_hash(secret: bytes, number: str) -> str:
    return hmac.new(secret, national_digits(number).encode(), hashlib.sha256).hexdigest()


class Callers:
    """The day keys of an import or a batch, and the series of calls by one caller."""

    def __init__(self, repo: CallRepository, now: datetime) -> None:
        self.repo = repo
        self.now = now
        self.oldest_kept = berlin_day(now) - timedelta(days=KEY_DAYS)
        self._keys: dict[date, bytes] = {}
        self._memory_only: set[date] = set()
        self._recent: dict[str, Earlier] = {}  # number -> latest call of this run
        self._stored: dict[tuple[date, str], Earlier] = {}

    def prepare(self, calls: Iterable[Call]) -> None:
        """Load the day keys the new calls need (their days and the week before them) and
        the stored calls of their callers: each number hashed with each stored key of its
        week, looked up by the hash index, so a live call costs a few index lookups, not a
        read of the week."""
        numbers: dict[date, set[str]] = {}
        for call in calls:
            if call.caller and call.entered_at is not None:
                number = national_digits(call.caller)
                if number:
                    numbers.setdefault(berlin_day(call.entered_at), set()).add(number)
        wanted = {d - timedelta(days=back) for d in numbers for back in range(KEY_DAYS + 1)}
        self._keys.update(self.repo.keys(wanted))
        hashes = {
            caller_hash(secret, number)
            for day, day_numbers in numbers.items()
            for back in range(KEY_DAYS + 1)
            if (secret := self._keys.get(day - timedelta(days=back))) is not None
            for number in day_numbers
        }
        if hashes:
            self._stored = self.repo.callers_matching(self._keys, hashes)

    def key(self, day: date) -> bytes:
        """The key of a day: stored (made when first needed) while it is within the week
        kept, in memory only for older days."""
        found = self._keys.get(day)
        if found is not None:
            return found
        secret = secrets.token_bytes(32)
        self._keys[day] = secret
        if day < self.oldest_kept:
            self._memory_only.add(day)
        else:
            self.repo.add_key(day, secret, self.now)
        return secret

    def place(self, call: Call) -> dict[str, Any]:
        """The caller columns of a new call: its hash, its day, its series."""
        if not call.caller or call.entered_at is None:
            return {"caller_key": None, "key_day": None, "caller_thread": call.call_id}
        number = national_digits(call.caller)
        if not number:
            return {"caller_key": None, "key_day": None, "caller_thread": call.call_id}
        day = berlin_day(call.entered_at)
        digest = caller_hash(self.key(day), number)
        earlier = self._recent.get(number)
        if earlier is None or call.entered_at - earlier.entered_at > REPEAT_WINDOW:
            earlier = self._stored_earlier(number, call.entered_at)
        thread = call.call_id
        if earlier is not None and call.entered_at - earlier.entered_at <= REPEAT_WINDOW:
            thread = earlier.thread
        self._recent[number] = Earlier(call.call_id, thread, call.entered_at)
        stored = day not in self._memory_only
        return {
            "caller_key": digest if stored else None,
            "key_day": day if stored else None,
            "caller_thread": thread,
        }

    def _stored_earlier(self, number: str, at: datetime) -> Earlier | None:
        if not self._stored:
            return None
        best: Earlier | None = None
        day = berlin_day(at)
        for back in range(KEY_DAYS + 1):
            key_day = day - timedelta(days=back)
            secret = self._keys.get(key_day)
            if secret is None or key_day in self._memory_only:
                continue
            found = self._stored.get((key_day, caller_hash(secret, number)))
            if (
                found
                and found.entered_at <= at
                and (best is None or found.entered_at > best.entered_at)
            ):
                best = found
        return best


def _row(call: Call, channels: Channels, source: str) -> dict[str, Any]:
    assert call.entered_at is not None and call.state is not None
    day, slot = slot_of(call.entered_at)
    return {
        "local_day": day,
        "local_slot": slot,
        "call_id": call.call_id,
        "queue": call.queue[:80],
        "did": call.did[:32] if call.did else None,
        "channel": channels.of(call.did, call.queue),
        "state": call.state,
        "result": call.result,
        "entered_at": call.entered_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "last_at": call.last_at or call.entered_at,
        "agent": call.agent[:80] if call.agent else None,
        "wait_s": call.wait_s,
        "talk_s": call.talk_s,
        "rang_unanswered": call.rang_unanswered,
        "queues_entered": max(1, call.queues_entered),
        "source": source,
        "area_code": _area_code(call.caller),
    }


def _area_code(caller: str | None) -> str | None:
    """The caller's network (area code), never the number."""
    if not caller:
        return None
    area = area_codes().area_of(national_digits(caller))
    return area.code if area else None


def import_queue_log(
    uow: UnitOfWork,
    lines: Iterable[str],
    *,
    channels: str,
    now: datetime | None = None,
    skip_malformed: bool = False,
    progress: Progress | None = None,
    total_lines: int = 0,
) -> ImportReport:
    """Import a queue_log. With a malformed line or an event out of order, nothing is
    stored (ImportFailed lists the lines) unless `skip_malformed`: then the malformed
    lines and the calls with an event out of order are left out and reported.

    The file is read once, line by line, and each event folded into its call at once, so
    memory holds the calls, not the events (a year: about 270,000 calls, 1.1 million
    lines). Calls left open by an earlier import or the live feed continue from their
    stored state; a call already stored complete is left alone, and a part of it in this
    file (a log rotated mid-call) is no error."""
    now = now or datetime.now(UTC)
    report = ImportReport()
    repo = uow.repo(CallRepository)
    resumed = repo.open_calls()
    folded: dict[str, Call] = {}
    broken: dict[str, Problem] = {}
    for number, line in enumerate(lines, start=1):
        report.lines = number
        if progress and number % 50_000 == 0:
            progress(number, max(total_lines, number))
        if not line.strip():
            continue
        try:
            event = parse_line(line)
        except Malformed as bad:
            report.problems.append(Problem(number, bad.german, bad.english))
            continue
        if event is None:
            report.other_lines += 1
            continue
        report.events += 1
        call_id = event.call_id
        if call_id in broken:
            continue
        call = folded.get(call_id)
        if call is None:
            call = resumed.pop(call_id) if call_id in resumed else Call(call_id=call_id)
            folded[call_id] = call
        try:
            call.apply(event)
        except OutOfOrder as bad:
            broken[call_id] = Problem(number, bad.german, bad.english)
            del folded[call_id]
    if progress:
        progress(report.lines, max(total_lines, report.lines))
    stored = repo.stored(list(folded) + list(broken))
    for call_id, problem in broken.items():
        row = stored.get(call_id)
        if row is not None and row.state == ENDED:
            report.unchanged += 1  # complete already: its tail in this file changes nothing
        else:
            report.problems.append(problem)
            report.skipped_calls += 1
    report.problems.sort(key=lambda p: p.line)
    if report.problems and not skip_malformed:
        raise QueueLogRefused(
            report,
            f"Die Datei wurde nicht importiert: {len(report.problems)} fehlerhafte Zeile(n), "
            + _first(report, german=True),
            message_en=f"The file was not imported: {len(report.problems)} malformed "
            "line(s), " + _first(report, german=False),
        )
    _write(uow, folded, stored, report, Channels(channels), now, source="import")
    return report


def _first(report: ImportReport, *, german: bool) -> str:
    shown = report.problems[:5]
    word = "Zeile" if german else "line"
    return "; ".join(f"{word} {p.line}: {p.german if german else p.english}" for p in shown)


def _write(
    uow: UnitOfWork,
    folded: dict[str, Call],
    stored: dict[str, StoredCall],
    report: ImportReport,
    channels: Channels,
    now: datetime,
    *,
    source: str,
) -> None:
    """Insert the new calls and update the open ones (a call stored complete stays)."""
    repo = uow.repo(CallRepository)
    fresh: list[Call] = []
    changed_days: set[date] = set()
    for call_id, call in folded.items():
        row = stored.get(call_id)
        if row is not None and row.state == ENDED:
            report.unchanged += 1
        elif call.entered_at is None or call.state is None:
            report.without_queue += 1
        elif row is None:
            fresh.append(call)
        else:
            repo.update(row, call, {"channel": channels.of(call.did, call.queue)})
            report.updated += 1
            changed_days.add(row.local_day)
    if not fresh:
        if changed_days:
            uow.publish(CallsStored((), tuple(sorted(changed_days))))
        return
    fresh.sort(key=lambda call: call.entered_at or now)
    callers = Callers(repo, now)
    callers.prepare(fresh)
    threads: list[tuple[str, str]] = []

    def placed(call: Call) -> dict[str, Any]:
        columns = {**_row(call, channels, source), **callers.place(call)}
        threads.append((call.call_id, columns["caller_thread"]))
        changed_days.add(columns["local_day"])
        return columns

    repo.insert(placed(call) for call in fresh)
    report.new += len(fresh)
    uow.publish(CallsStored(tuple(threads), tuple(sorted(changed_days))))


def threads_of(uow: UnitOfWork, call_ids: Sequence[str]) -> dict[str, str]:
    """The caller series (`caller_thread`) of the stored calls among these ids."""
    return uow.repo(CallRepository).threads(call_ids)


def record_events(
    uow: UnitOfWork, events: list[Event], *, channels: str, now: datetime | None = None
) -> ImportReport:
    """Live events from the telephone system, applied in one transaction: an event out of
    order refuses the whole batch (409); an event repeated (a retry) changes nothing."""
    now = now or datetime.now(UTC)
    report = ImportReport(lines=len(events), events=len(events))
    live.record_presence(uow, [event for event in events if event.verb in AGENT_EVENTS])
    events = [event for event in events if event.verb not in AGENT_EVENTS]
    repo = uow.repo(CallRepository)
    stored = repo.stored(sorted({event.call_id for event in events}))
    folded: dict[str, Call] = {}
    for position, event in enumerate(events, start=1):
        row = stored.get(event.call_id)
        if row is not None and row.state == ENDED:
            continue  # complete already: a retry of its last events
        call = folded.get(event.call_id)
        if call is None:
            call = folded[event.call_id] = (
                repo.as_call(row) if row is not None else Call(call_id=event.call_id)
            )
        try:
            call.apply(event)
        except OutOfOrder as bad:
            raise Conflict(
                f"Ereignis {position} passt nicht zum Anruf: {bad.german}; nichts übernommen.",
                message_en=f"Event {position} does not fit its call: {bad.english}; "
                "nothing was taken.",
            ) from None
    _write(uow, folded, stored, report, Channels(channels), now, source="live")
    return report


def purge_keys(uow: UnitOfWork, now: datetime) -> dict[str, int]:
    """Delete the day keys older than a week and blank the hashes made with them."""
    oldest_kept = berlin_day(now) - timedelta(days=KEY_DAYS)
    keys, hashes = uow.repo(CallRepository).destroy_keys_before(oldest_kept)
    return {"keys_destroyed": keys, "hashes_blanked": hashes}


def parse_events(raw: list[Any]) -> list[Event]:
    """Live events as queue_log lines or as objects; InvalidInput names the bad one."""
    events: list[Event] = []
    for position, item in enumerate(raw, start=1):
        line = item if isinstance(item, str) else _line_of(item)
        try:
            event = parse_any(line)
        except Malformed as bad:
            raise InvalidInput(
                f"Ereignis {position}: {bad.german}", message_en=f"Event {position}: {bad.english}"
            ) from None
        if event is not None:
            events.append(event)
    return events


def _line_of(item: dict[str, Any]) -> str:
    data = item.get("data") or []
    return "|".join(
        [
            str(item.get("time", "")),
            str(item.get("call_id", "")),
            str(item.get("queue", "")),
            str(item.get("agent") or "NONE"),
            str(item.get("event", "")),
            *[str(value) for value in data],
        ]
    )
