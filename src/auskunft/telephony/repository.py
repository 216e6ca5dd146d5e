"""The calls and the callers' day keys within a unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from auskunft.telephony import tables as t
from auskunft.telephony.model.calls import Call

# The columns a folded call writes (caller hashes and threads are added by the service).
_FOLDED = (
    "queue",
    "did",
    "state",
    "result",
    "entered_at",
    "answered_at",
    "ended_at",
    "last_at",
    "agent",
    "wait_s",
    "talk_s",
    "rang_unanswered",
    "queues_entered",
)


@dataclass(frozen=True)
class Earlier:
    """A stored call of a caller, to recognise the next one within the week."""

    call_id: str
    thread: str
    entered_at: datetime


class CallRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def stored(self, call_ids: Sequence[str]) -> dict[str, t.Call]:
        """The stored calls among these ids."""
        found: dict[str, t.Call] = {}
        for start in range(0, len(call_ids), 500):
            chunk = call_ids[start : start + 500]
            for row in self.session.scalars(select(t.Call).where(t.Call.call_id.in_(chunk))):
                found[row.call_id] = row
        return found

    @staticmethod
    def as_call(row: t.Call) -> Call:
        """A stored call, to fold further events into."""
        call = Call(call_id=row.call_id)
        for name in _FOLDED:
            setattr(call, name, getattr(row, name))
        return call

    def insert(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(t.Call), rows[start : start + 5000])

    def update(self, row: t.Call, call: Call, extra: dict[str, Any]) -> None:
        for name in _FOLDED:
            setattr(row, name, getattr(call, name))
        for name, value in extra.items():
            setattr(row, name, value)

    def callers_between(self, since: datetime, until: datetime) -> dict[tuple[date, str], Earlier]:
        """Stored calls with a caller hash entered in [since, until], by (day, hash): the
        latest of each."""
        found: dict[tuple[date, str], Earlier] = {}
        rows = self.session.execute(
            select(
                t.Call.key_day,
                t.Call.caller_key,
                t.Call.call_id,
                t.Call.caller_thread,
                t.Call.entered_at,
            )
            .where(
                t.Call.entered_at >= since,
                t.Call.entered_at <= until,
                t.Call.caller_key.is_not(None),
            )
            .order_by(t.Call.entered_at)
        )
        for day, key, call_id, thread, entered in rows:
            if day is not None and key is not None:
                found[(day, key)] = Earlier(call_id, thread or call_id, entered)
        return found

    # -- keys -----------------------------------------------------------------------------

    def keys(self, days: Iterable[date]) -> dict[date, bytes]:
        wanted = sorted(set(days))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(t.CallerKey.day, t.CallerKey.secret).where(t.CallerKey.day.in_(wanted))
        )
        return {day: bytes(secret) for day, secret in rows}

    def add_key(self, day: date, secret: bytes, now: datetime) -> None:
        self.session.add(t.CallerKey(day=day, secret=secret, created_at=now))
        self.session.flush()

    def destroy_keys_before(self, day: date) -> tuple[int, int]:
        """Delete the keys of days before `day` and the hashes made with them."""
        hashes = self.session.execute(
            update(t.Call)
            .where(and_(t.Call.key_day < day, t.Call.key_day.is_not(None)))
            .values(caller_key=None, key_day=None)
        )
        keys = self.session.execute(delete(t.CallerKey).where(t.CallerKey.day < day))
        return int(keys.rowcount or 0), int(hashes.rowcount or 0)  # type: ignore[attr-defined]
