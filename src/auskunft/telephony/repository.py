"""The calls and the callers' day keys within a unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from auskunft.telephony import tables as t
from auskunft.telephony.model.calls import Call
from auskunft.telephony.model.figures import CallCounts

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

    def threads(self, call_ids: Sequence[str]) -> dict[str, str]:
        """call id -> caller thread of the stored calls among these ids."""
        found: dict[str, str] = {}
        for start in range(0, len(call_ids), 500):
            chunk = list(call_ids[start : start + 500])
            query = select(t.Call.call_id, t.Call.caller_thread).where(
                t.Call.call_id.in_(chunk), t.Call.caller_thread.is_not(None)
            )
            for call_id, thread in self.session.execute(query):
                if thread is not None:
                    found[call_id] = thread
        return found

    def open_calls(self) -> dict[str, Call]:
        """The calls still waiting or being talked, to continue with the next events."""
        rows = self.session.scalars(select(t.Call).where(t.Call.state != "ended"))
        return {row.call_id: self.as_call(row) for row in rows}

    @staticmethod
    def as_call(row: t.Call) -> Call:
        """A stored call, to fold further events into."""
        call = Call(call_id=row.call_id)
        for name in _FOLDED:
            setattr(call, name, getattr(row, name))
        return call

    def insert(self, rows: Iterable[dict[str, Any]]) -> None:
        """Insert in chunks of 5,000, made as they are needed."""
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == 5000:
                self.session.execute(insert(t.Call), chunk)
                chunk = []
        if chunk:
            self.session.execute(insert(t.Call), chunk)

    def update(self, row: t.Call, call: Call, extra: dict[str, Any]) -> None:
        for name in _FOLDED:
            setattr(row, name, getattr(call, name))
        for name, value in extra.items():
            setattr(row, name, value)

    def callers_matching(
        self, days: Iterable[date], hashes: Iterable[str]
    ) -> dict[tuple[date, str], Earlier]:
        """The stored calls of these key days whose caller hash is one of these, by (day,
        hash): the latest of each. Both columns lead the index `ix_calls_caller`."""
        key_days = sorted(set(days))
        wanted = sorted(set(hashes))
        found: dict[tuple[date, str], Earlier] = {}
        for start in range(0, len(wanted), 500):
            rows = self.session.execute(
                select(
                    t.Call.key_day,
                    t.Call.caller_key,
                    t.Call.call_id,
                    t.Call.caller_thread,
                    t.Call.entered_at,
                )
                .where(
                    t.Call.key_day.in_(key_days),
                    t.Call.caller_key.in_(wanted[start : start + 500]),
                )
                .order_by(t.Call.entered_at)
            )
            for day, key, call_id, thread, entered in rows:
                if day is not None and key is not None:
                    found[(day, key)] = Earlier(call_id, thread or call_id, entered)
        return found

    # -- figures --------------------------------------------------------------------------

    def counts(
        self,
        first: date,
        last: date,
        *,
        by_slot: bool,
        channel: str | None,
        within_s: int,
        short_s: int,
    ) -> list[tuple[date, int | None, CallCounts]]:
        """The sums of the calls entered on the local days first..last, per day (and half
        hour), in one aggregate query; channel "unknown" is the calls without one."""
        c = t.Call
        answered = c.answered_at.is_not(None)
        unanswered_ended = and_(c.answered_at.is_(None), c.state == "ended")
        talked = and_(answered, c.talk_s.is_not(None))

        def count_if(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        def sum_if(condition: Any, value: Any) -> Any:
            return func.sum(case((condition, value), else_=0))

        columns = [
            func.count(),
            count_if(answered),
            count_if(and_(unanswered_ended, c.wait_s > short_s)),
            count_if(and_(unanswered_ended, c.wait_s <= short_s)),
            count_if(and_(answered, c.wait_s <= within_s)),
            count_if(and_(answered, c.channel == "115")),
            sum_if(answered, c.wait_s),
            sum_if(talked, c.talk_s),
            count_if(talked),
            count_if(c.state != "ended"),
            sum_if(unanswered_ended, c.wait_s),
        ]
        keys: list[Any] = [c.local_day, c.local_slot] if by_slot else [c.local_day]
        query = select(*keys, *columns).where(c.local_day >= first, c.local_day <= last)
        if channel == "unknown":
            query = query.where(c.channel.is_(None))
        elif channel is not None:
            query = query.where(c.channel == channel)
        query = query.group_by(*keys)
        rows: list[tuple[date, int | None, CallCounts]] = []
        for row in self.session.execute(query):
            values = [int(v or 0) for v in row[len(keys) :]]
            slot = int(row[1]) if by_slot else None
            rows.append((row[0], slot, CallCounts(*values)))
        return rows

    def last_day(self) -> date | None:
        return self.session.scalar(select(func.max(t.Call.local_day)))

    def abandoned_on(self, day: date) -> list[t.Call]:
        """The calls of a local day that were not answered, in time order."""
        return list(
            self.session.scalars(
                select(t.Call)
                .where(
                    t.Call.local_day == day,
                    t.Call.answered_at.is_(None),
                    t.Call.state == "ended",
                )
                .order_by(t.Call.entered_at)
            )
        )

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


class LiveRepository:
    """The live side: calls waiting and talking now, agents' presence, agent links."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def waiting_since(self, since: datetime) -> list[datetime]:
        """When each call still waiting entered (those that entered after `since`)."""
        query = select(t.Call.entered_at).where(
            t.Call.state == "waiting", t.Call.entered_at >= since
        )
        return list(self.session.scalars(query))

    def talking_agents(self, since: datetime) -> set[str]:
        query = select(t.Call.agent).where(
            t.Call.state == "talking", t.Call.entered_at >= since, t.Call.agent.is_not(None)
        )
        return {agent for agent in self.session.scalars(query) if agent}

    def presence(self) -> list[tuple[str, str, bool]]:
        rows = self.session.execute(
            select(t.AgentPresence.agent, t.AgentPresence.queue, t.AgentPresence.paused)
        )
        return [(row[0], row[1], bool(row[2])) for row in rows]

    def join(self, agent: str, queue: str, at: datetime, *, paused: bool = False) -> None:
        row = self.session.get(t.AgentPresence, (agent, queue))
        if row is None:
            self.session.add(t.AgentPresence(agent=agent, queue=queue, paused=paused, since=at))
        else:
            row.paused, row.since = paused, at
        self.session.flush()

    def leave(self, agent: str, queue: str | None) -> None:
        query = delete(t.AgentPresence).where(t.AgentPresence.agent == agent)
        if queue is not None:
            query = query.where(t.AgentPresence.queue == queue)
        self.session.execute(query)

    def pause(self, agent: str, queue: str | None, paused: bool, at: datetime) -> int:
        query = update(t.AgentPresence).where(t.AgentPresence.agent == agent)
        if queue is not None:
            query = query.where(t.AgentPresence.queue == queue)
        done = self.session.execute(query.values(paused=paused, since=at))
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    def connected(self, agents: Sequence[str], since: datetime) -> t.Call | None:
        """The newest call now talking with one of these agents, answered after `since`."""
        if not agents:
            return None
        query = (
            select(t.Call)
            .where(
                t.Call.state == "talking",
                t.Call.agent.in_(list(agents)),
                t.Call.answered_at >= since,
            )
            .order_by(t.Call.answered_at.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def linked_agent(self, user_id: int) -> str | None:
        query = select(t.AgentLink.agent).where(t.AgentLink.user_id == user_id)
        return self.session.scalars(query).first()

    def link(self, agent: str, user_id: int) -> None:
        self.session.execute(
            delete(t.AgentLink).where(
                (t.AgentLink.agent == agent) | (t.AgentLink.user_id == user_id)
            )
        )
        self.session.add(t.AgentLink(agent=agent, user_id=user_id))
        self.session.flush()

    def unlink(self, agent: str) -> int:
        done = self.session.execute(delete(t.AgentLink).where(t.AgentLink.agent == agent))
        return int(done.rowcount or 0)  # type: ignore[attr-defined]

    def links(self) -> list[tuple[str, int]]:
        rows = self.session.execute(select(t.AgentLink.agent, t.AgentLink.user_id))
        return [(row[0], row[1]) for row in rows]
