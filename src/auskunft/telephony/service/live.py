"""The live side of the telephone system: the agents' presence from the live events, the
wallboard's figures of this moment, the call just connected to an agent (the desk's
screen pop), and which staff account answers as which agent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from auskunft.access.service import get_user, username_of
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.telephony.model.figures import CallCounts, Definition
from auskunft.telephony.model.queue_log import Event
from auskunft.telephony.repository import CallRepository, LiveRepository
from auskunft.telephony.service.areas import area_codes
from auskunft.telephony.tables import Call as StoredCall

# A call still "waiting" or "talking" after this long lost its end in the feed: the
# wallboard does not count it.
LIVE_WINDOW = timedelta(hours=12)
# The desk offers a call connected this long ago at most.
POP_WINDOW = timedelta(minutes=15)
_AGENT = re.compile(r"^[\w./@:+-]{1,80}$")


def record_presence(uow: UnitOfWork, events: Sequence[Event]) -> int:
    """Apply the agents' logins, logouts and pauses in their order; returns how many."""
    repo = uow.repo(LiveRepository)
    for event in sorted(events, key=lambda e: e.time):
        queue = event.queue or ""
        verb = event.verb
        if verb in ("ADDMEMBER", "AGENTLOGIN"):
            repo.join(event.agent, queue if verb == "ADDMEMBER" else "", event.time)
        elif verb == "REMOVEMEMBER":
            repo.leave(event.agent, queue)
        elif verb == "AGENTLOGOFF":
            repo.leave(event.agent, None)
        else:  # PAUSE, UNPAUSE, PAUSEALL, UNPAUSEALL
            paused = verb in ("PAUSE", "PAUSEALL")
            which = queue if verb in ("PAUSE", "UNPAUSE") and queue else None
            if repo.pause(event.agent, which, paused, event.time) == 0:
                # a pause of an agent whose login came before the feed did: logged in now
                repo.join(event.agent, which or "", event.time, paused=paused)
    return len(events)


def board(uow: UnitOfWork, now: datetime, definition: Definition) -> dict[str, Any]:
    """The wallboard: calls waiting and the longest wait now, agents talking, free and
    paused, and today's figures so far."""
    live = uow.repo(LiveRepository)
    since = now - LIVE_WINDOW
    waiting = live.waiting_since(since)
    talking = live.talking_agents(since)
    present: dict[str, list[bool]] = {}
    for agent, _queue, paused in live.presence():
        present.setdefault(agent, []).append(paused)
    paused_agents = {a for a, flags in present.items() if all(flags)} - talking
    free = set(present) - paused_agents - talking
    today = now.astimezone(BERLIN).date()
    total = CallCounts()
    for _day, _slot, counts in uow.repo(CallRepository).counts(
        today,
        today,
        by_slot=False,
        channel=None,
        within_s=definition.within_s,
        short_s=definition.short_abandon_s,
    ):
        total.add(counts)
    longest = max((now - entered for entered in waiting), default=None)
    return {
        "at": now.astimezone(BERLIN).isoformat(timespec="seconds"),
        "calls_waiting": len(waiting),
        "longest_wait_s": int(longest.total_seconds()) if longest is not None else 0,
        "agents_talking": len(talking),
        "agents_free": len(free),
        "agents_paused": len(paused_agents),
        "agents_logged_in": len(set(present) | talking),
        "today": total.row(today.isoformat(), definition),
        "definition": definition.as_dict(),
    }


def agent_names(uow: UnitOfWork, user_id: int) -> list[str]:
    """The agent names a staff account answers as: its link, else its own name as the
    telephone system writes members ("anna", "Agent/anna", "SIP/anna", "PJSIP/anna")."""
    linked = uow.repo(LiveRepository).linked_agent(user_id)
    if linked:
        return [linked]
    username = username_of(uow, user_id)
    if not username:
        return []
    return [username, *(f"{kind}/{username}" for kind in ("Agent", "SIP", "PJSIP", "Local"))]


def connected_call(uow: UnitOfWork, user_id: int, now: datetime) -> dict[str, Any] | None:
    """The call the telephone system just connected to this account's agent (a live
    CONNECT), with its channel and the caller's area: what the desk's screen pop shows."""
    row = uow.repo(LiveRepository).connected(agent_names(uow, user_id), now - POP_WINDOW)
    return _described(row)


def call_of(uow: UnitOfWork, user_id: int, call_id: str, now: datetime) -> dict[str, Any] | None:
    """A call this account's agent answered within the last 12 hours (the desk's contact
    of it), None when it is no such call."""
    row = uow.repo(CallRepository).stored([call_id[:64]]).get(call_id[:64])
    if row is None or row.agent not in agent_names(uow, user_id):
        return None
    if row.answered_at is None or row.answered_at < now - LIVE_WINDOW:
        return None
    return _described(row)


def _described(row: StoredCall | None) -> dict[str, Any] | None:
    if row is None or row.answered_at is None:
        return None
    area = area_codes().area(row.area_code) if row.area_code else None
    return {
        "call_id": row.call_id,
        "channel": row.channel,
        "agent": row.agent,
        "answered_at": row.answered_at.astimezone(BERLIN).isoformat(timespec="seconds"),
        "wait_s": row.wait_s,
        "area_code": f"0{area.code}" if area else None,
        "area_label": area.label if area else None,
        "municipalities": list(area.municipalities) if area else [],
        "suggested_municipality": area.suggestion if area else None,
    }


def check_agent(agent: str) -> str:
    text = agent.strip()
    if not _AGENT.match(text):
        raise InvalidInput(
            "Ein Agent der Telefonanlage: 1 bis 80 Zeichen aus Buchstaben, Ziffern und ./@:+-_",
            message_en="An agent of the telephone system: 1 to 80 letters, digits or ./@:+-_",
        )
    return text


def link_agent(uow: UnitOfWork, agent: str, username: str) -> dict[str, str]:
    """Let this staff account answer as this agent (a link it had before is replaced)."""
    name = check_agent(agent)
    user = get_user(uow, username)
    uow.repo(LiveRepository).link(name, user.id)
    return {"agent": name, "username": user.username}


def unlink_agent(uow: UnitOfWork, agent: str) -> int:
    return uow.repo(LiveRepository).unlink(check_agent(agent))


def agent_links(uow: UnitOfWork) -> list[dict[str, str]]:
    found = []
    for agent, user_id in sorted(uow.repo(LiveRepository).links()):
        found.append({"agent": agent, "username": username_of(uow, user_id) or ""})
    return found
