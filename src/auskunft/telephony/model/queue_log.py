"""Asterisk's queue_log: one event of a queue per line, `epoch|callid|queue|agent|event|data...`.

The format is the de-facto open one of contact-center reporting (Asterisk writes it,
so do FreeSWITCH's and others' queue modules). Events this product reads, with their
data fields:

    DID              data1 = the number dialled (the call's channel: 115 or local)
    ENTERQUEUE       data1 = url, data2 = caller id (the caller's number), data3 = position
    CONNECT          data1 = seconds waited, data2 = bridged channel, data3 = ring seconds
    COMPLETECALLER   data1 = seconds waited, data2 = seconds talked, data3 = position
    COMPLETEAGENT    (the same; the agent hung up)
    TRANSFER         data1 = extension, data2 = context, data3 = waited, data4 = talked
    ABANDON          data1 = position, data2 = position on entry, data3 = seconds waited
    EXITWITHTIMEOUT  (the same: the queue's time limit ended the wait)
    EXITEMPTY        (the same: no agent was logged in)
    EXITWITHKEY      data1 = key, data2 = position, data3 = position on entry, data4 = waited
    RINGNOANSWER     data1 = milliseconds rung (an agent did not pick up; the call waits on)

The agents' presence (ADDMEMBER, REMOVEMEMBER, AGENTLOGIN, AGENTLOGOFF, PAUSE, UNPAUSE,
PAUSEALL, UNPAUSEALL: queue and agent fields) feeds the live wallboard from the live events;
an imported file's are skipped, as are other verbs (reloads, attended transfers'
bookkeeping...): valid lines that say nothing about a call's figures. A line that does not have this
shape, or a field these events need that is missing, negative or not a number, is
malformed: `parse_line` raises `Malformed` with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

CALL_EVENTS = frozenset(
    {
        "DID",
        "ENTERQUEUE",
        "CONNECT",
        "COMPLETECALLER",
        "COMPLETEAGENT",
        "TRANSFER",
        "BLINDTRANSFER",
        "ATTENDEDTRANSFER",
        "ABANDON",
        "EXITWITHTIMEOUT",
        "EXITEMPTY",
        "EXITWITHKEY",
        "RINGNOANSWER",
    }
)
# The agents' presence: logged in to a queue (or all), paused. Read from the live feed only.
AGENT_EVENTS = frozenset(
    {
        "ADDMEMBER",
        "REMOVEMEMBER",
        "AGENTLOGIN",
        "AGENTLOGOFF",
        "PAUSE",
        "UNPAUSE",
        "PAUSEALL",
        "UNPAUSEALL",
    }
)
_VERB = re.compile(r"^[A-Z][A-Z_]{1,40}$")
# Times before 2000 or after 2100 are no queue_log of this product's life.
EARLIEST = 946_684_800  # 2000-01-01
LATEST = 4_102_444_800  # 2100-01-01
MAX_FIELD = 200
MAX_SECONDS = 7 * 24 * 3600


class Malformed(ValueError):
    """A line that is not a queue_log event; the message says why (German, English)."""

    def __init__(self, german: str, english: str) -> None:
        super().__init__(english)
        self.german = german
        self.english = english


@dataclass(frozen=True, slots=True)
class Event:
    time: datetime  # UTC
    call_id: str
    queue: str
    agent: str
    verb: str
    data: tuple[str, ...]

    def seconds(self, index: int, name: str) -> int:
        """Data field `index` (1-based) as whole seconds of at least 0."""
        return seconds_field(self.data, index, name)


def seconds_field(data: tuple[str, ...], index: int, name: str) -> int:
    raw = data[index - 1].strip() if len(data) >= index else ""
    if not raw:
        raise Malformed(f"{name} (Feld data{index}) fehlt", f"{name} (field data{index}) missing")
    try:
        value = int(raw)
    except ValueError:
        raise Malformed(
            f"{name} (data{index}) ist keine ganze Zahl: {raw[:20]!r}",
            f"{name} (data{index}) is not a whole number: {raw[:20]!r}",
        ) from None
    if value < 0:
        raise Malformed(
            f"{name} (data{index}) ist negativ: {value}",
            f"{name} (data{index}) is negative: {value}",
        )
    if value > MAX_SECONDS:
        raise Malformed(
            f"{name} (data{index}) ist länger als eine Woche: {value}",
            f"{name} (data{index}) is longer than a week: {value}",
        )
    return value


def parse_line(line: str) -> Event | None:
    """One line as an event of a call; None for a valid line that concerns no call's figures
    (another verb, or an event of no call, like a queue's start)."""
    event = parse_any(line)
    return event if event is not None and event.verb in CALL_EVENTS else None


def parse_agent_line(line: str) -> Event | None:
    """One line as an event of an agent's presence (ADDMEMBER, PAUSE ...); None otherwise."""
    event = parse_any(line)
    return event if event is not None and event.verb in AGENT_EVENTS else None


def parse_any(line: str) -> Event | None:
    """A line as an event of a call or of an agent's presence; None for other verbs."""
    text = line.rstrip("\r\n")
    fields = text.split("|")
    if len(fields) < 5:
        raise Malformed(
            f"{len(fields)} Felder statt mindestens 5 (Zeit|Anruf|Warteschlange|Agent|Ereignis)",
            f"{len(fields)} fields instead of at least 5 (time|call|queue|agent|event)",
        )
    raw_time, call_id, queue, agent, verb = (f.strip() for f in fields[:5])
    try:
        epoch = float(raw_time)
    except ValueError:
        raise Malformed(
            f"die Zeit ist keine Unix-Zeit: {raw_time[:20]!r}",
            f"the time is no Unix time: {raw_time[:20]!r}",
        ) from None
    if not EARLIEST <= epoch < LATEST:
        raise Malformed(
            f"die Zeit liegt nicht zwischen 2000 und 2100: {raw_time[:20]}",
            f"the time is not between 2000 and 2100: {raw_time[:20]}",
        )
    if not _VERB.match(verb):
        raise Malformed(f"kein Ereignis: {verb[:40]!r}", f"no event: {verb[:40]!r}")
    if any(len(f) > MAX_FIELD for f in fields):
        raise Malformed(
            f"ein Feld ist länger als {MAX_FIELD} Zeichen",
            f"a field is longer than {MAX_FIELD} characters",
        )
    if verb in AGENT_EVENTS:
        if agent in ("", "NONE"):
            return None  # a presence of nobody: nothing to show
        return Event(
            time=datetime.fromtimestamp(epoch, UTC),
            call_id="",
            queue="" if queue == "NONE" else queue,
            agent=agent,
            verb=verb,
            data=tuple(fields[5:]),
        )
    if verb not in CALL_EVENTS or call_id in ("", "NONE"):
        return None
    event = Event(
        time=datetime.fromtimestamp(epoch, UTC),
        call_id=call_id,
        queue=queue,
        agent="" if agent == "NONE" else agent,
        verb=verb,
        data=tuple(fields[5:]),
    )
    _check_fields(event)
    return event


def _check_fields(event: Event) -> None:
    """The fields each event needs, checked when the line is read."""
    verb = event.verb
    if verb == "CONNECT":
        event.seconds(1, "Wartezeit")
    elif verb in ("COMPLETECALLER", "COMPLETEAGENT"):
        event.seconds(1, "Wartezeit")
        event.seconds(2, "Gesprächszeit")
    elif verb in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY"):
        event.seconds(3, "Wartezeit")
    elif verb == "EXITWITHKEY":
        event.seconds(4, "Wartezeit")
    elif verb == "TRANSFER":
        event.seconds(3, "Wartezeit")
        event.seconds(4, "Gesprächszeit")
    elif verb == "DID" and not (event.data and event.data[0].strip()):
        raise Malformed("DID ohne gewählte Nummer", "DID without the number dialled")


def format_line(epoch: int, call_id: str, queue: str, agent: str, verb: str, *data: object) -> str:
    """A queue_log line, as Asterisk writes it (for the demo traffic and the tests)."""
    return "|".join([str(epoch), call_id, queue, agent or "NONE", verb, *map(str, data)])
