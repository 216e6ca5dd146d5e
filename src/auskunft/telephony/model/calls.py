"""A call folded from its queue_log events: when it came, which channel, how long it
waited, whether and by whom it was answered, how long it was talked, how it ended.

Events must come in the order a call lives them: it enters a queue, then is connected
to an agent or leaves unanswered; a connected call is completed or transferred. An event
that does not fit (a CONNECT before the call entered a queue, a COMPLETECALLER of a call
that was never connected, an event older than one already applied) raises `OutOfOrder`.
A call that leaves a queue unanswered and enters another one (an overflow queue) stays
one call: its wait goes on from its first entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from auskunft.core.events import Event as CoreEvent
from auskunft.telephony.model.queue_log import Event, Malformed

WAITING = "waiting"
TALKING = "talking"
ENDED = "ended"
# How a call ended.
ANSWERED = "answered"  # completed after talking (by the caller or the agent)
TRANSFERRED = "transferred"  # talked, then handed on
ABANDONED = "abandoned"  # the caller hung up while waiting
TIMEOUT = "timeout"  # the queue's time limit ended the wait
EMPTY = "empty"  # no agent logged in
KEY = "key"  # the caller left the queue by pressing a key

_EXITS = {"ABANDON": ABANDONED, "EXITWITHTIMEOUT": TIMEOUT, "EXITEMPTY": EMPTY, "EXITWITHKEY": KEY}
_TRANSFERS = ("TRANSFER", "BLINDTRANSFER", "ATTENDEDTRANSFER")
# queue_log writes whole seconds; events of one second may come in any order of writing.
TOLERANCE = timedelta(seconds=1)


class OutOfOrder(Malformed):
    """An event that does not fit the call's state."""


@dataclass(frozen=True)
class CallsStored(CoreEvent):
    """New calls were stored (an import, a live batch): each with the series of calls by
    its caller (`caller_thread`), so that contacts logged before the call can be linked."""

    threads: tuple[tuple[str, str], ...]  # (call id, caller thread)
    days: tuple[date, ...] = ()  # the local days of the calls stored or changed


@dataclass(slots=True)
class Call:
    call_id: str
    queue: str = ""
    did: str | None = None
    caller: str | None = None  # the caller's number: in memory only, never stored
    state: str | None = None  # None: only a DID seen so far
    entered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    last_at: datetime | None = None
    agent: str | None = None
    wait_s: int | None = None
    talk_s: int | None = None
    result: str | None = None
    rang_unanswered: int = 0
    queues_entered: int = 0

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    def apply(self, event: Event) -> None:
        """Fold one event into the call (raises OutOfOrder when it does not fit)."""
        if event.call_id != self.call_id:
            raise ValueError("event of another call")
        if self._repeats(event):
            return
        if self.last_at is not None and event.time < self.last_at - TOLERANCE:
            raise OutOfOrder(
                f"{event.verb} um {event.time:%H:%M:%S} liegt vor einem früheren Ereignis "
                f"des Anrufs ({self.last_at:%H:%M:%S})",
                f"{event.verb} at {event.time:%H:%M:%S} comes before an earlier event of the "
                f"call ({self.last_at:%H:%M:%S})",
            )
        handler = _HANDLERS.get(event.verb)
        if handler is None:
            return
        handler(self, event)
        if self.last_at is None or event.time > self.last_at:
            self.last_at = event.time

    def _repeats(self, event: Event) -> bool:
        """The event the call's state came from, sent again (a retry of a live feed)."""
        if self.last_at is None or event.time > self.last_at:
            return False
        if event.verb == "ENTERQUEUE":
            return self.state == WAITING
        if event.verb == "CONNECT":
            return self.state == TALKING and self.answered_at == event.time
        if event.verb == "DID":
            return bool(event.data) and self.did == event.data[0].strip()
        return False

    def _refuse(self, event: Event) -> None:
        state = self.state or "nicht in einer Warteschlange"
        state_en = self.state or "not in a queue"
        raise OutOfOrder(
            f"{event.verb} passt nicht zum Anruf im Zustand {state}",
            f"{event.verb} does not fit the call in state {state_en}",
        )

    def _did(self, event: Event) -> None:
        if self.state == ENDED:
            self._refuse(event)
        self.did = event.data[0].strip()

    def _enter(self, event: Event) -> None:
        if self.state in (WAITING, TALKING):
            self._refuse(event)
        if self.state == ENDED:
            if self.answered:
                self._refuse(event)
            # Left a queue unanswered and entered another: one call, still waiting.
            self.result = None
            self.ended_at = None
        else:
            self.entered_at = event.time
            if len(event.data) >= 2 and event.data[1].strip():
                self.caller = event.data[1].strip()
        self.state = WAITING
        self.queue = event.queue
        self.queues_entered += 1

    def _connect(self, event: Event) -> None:
        if self.state != WAITING:
            self._refuse(event)
        self.state = TALKING
        self.answered_at = event.time
        self.agent = event.agent or None
        self.queue = event.queue or self.queue
        self.wait_s = self._total_wait(event.seconds(1, "Wartezeit"), event)

    def _complete(self, event: Event) -> None:
        if self.state != TALKING:
            self._refuse(event)
        self.state = ENDED
        self.ended_at = event.time
        self.talk_s = event.seconds(2, "Gesprächszeit")
        self.result = ANSWERED

    def _transfer(self, event: Event) -> None:
        if self.state != TALKING:
            self._refuse(event)
        self.state = ENDED
        self.ended_at = event.time
        if event.verb == "TRANSFER":
            self.talk_s = event.seconds(4, "Gesprächszeit")
        elif self.answered_at is not None:
            self.talk_s = max(0, int((event.time - self.answered_at).total_seconds()))
        self.result = TRANSFERRED

    def _exit(self, event: Event) -> None:
        if self.state != WAITING:
            self._refuse(event)
        index = 4 if event.verb == "EXITWITHKEY" else 3
        self.state = ENDED
        self.ended_at = event.time
        self.wait_s = self._total_wait(event.seconds(index, "Wartezeit"), event)
        self.result = _EXITS[event.verb]

    def _ring(self, event: Event) -> None:
        if self.state != WAITING:
            self._refuse(event)
        self.rang_unanswered += 1

    def _total_wait(self, in_this_queue: int, event: Event) -> int:
        """The wait as the queue counted it; after an overflow, since the first entry."""
        if self.entered_at is None or self.queues_entered <= 1:
            return in_this_queue
        since_entry = int((event.time - self.entered_at).total_seconds())
        return max(in_this_queue, since_entry)


_HANDLERS = {
    "DID": Call._did,
    "ENTERQUEUE": Call._enter,
    "CONNECT": Call._connect,
    "COMPLETECALLER": Call._complete,
    "COMPLETEAGENT": Call._complete,
    **{verb: Call._transfer for verb in _TRANSFERS},
    **{verb: Call._exit for verb in _EXITS},
    "RINGNOANSWER": Call._ring,
}
