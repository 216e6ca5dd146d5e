"""A year of realistic traffic for the demo, the pages and the benchmarks.

Consistent with what the Servicecenter Kassel publishes: about 250,000 answered calls
a year, rising from about 18,000 to about 23,000 a month, more than half through 115,
calls in service hours only (Monday to Friday 7-18, Saturday 9-13, not on Hessen's
holidays), Monday mornings busiest, handling times lognormal around three minutes,
callers who hang up when their patience ends, and contacts of which about 80 % are
settled at once and about 43,000 a year end with an appointment.

How it is made, interval by interval (30 minutes): the expected calls follow a weekday
and time-of-day profile scaled to the month's target; arrivals are Poisson; the agents
on duty are what Erlang A asks for the 115 target, now and then one fewer (sickness, a
meeting), so some intervals miss it as real ones do; then every caller goes through
the queue in arrival order — served by the first agent free within their patience, or
hanging up. The queue carries over from one interval to the next. Some callers call
again within a week about the same matter (they were not helped for good), which is
what makes the measured first-contact resolution lower than the agents' own record.

Everything is drawn from generators seeded by one number: the same seed gives the same
year.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from auskunft.core.hours import BERLIN
from auskunft.core.servicetime import ServiceCalendar
from auskunft.staffing.model.erlang import Goal, Load, agents_needed

# Answered calls per month: January about 18,000, December about 23,000 (250,000 a year).
MONTHLY_ANSWERED = (
    18_000, 18_500, 19_400, 19_600, 20_200, 20_400, 20_900, 21_300, 21_700, 22_200, 22_700, 23_000,
)  # fmt: skip
WEEKDAY_WEIGHT = (1.35, 1.1, 1.0, 1.05, 0.85, 0.75)  # Monday .. Saturday, per open hour
SHARE_115 = 0.56
AHT_S = 185.0
AHT_SIGMA = 0.55  # of the lognormal
PATIENCE_S = 150.0
QUEUE_TIMEOUT_S = 600  # the queue ends a wait this long (EXITWITHTIMEOUT)
REPEAT_SHARE = 0.09  # calls by somebody who called within the week before, about the same
OUTCOMES = (("answered", 0.635), ("appointment", 0.17), ("forwarded", 0.145), ("other", 0.05))
MUNICIPALITIES = (
    ("kassel", 0.82),
    ("baunatal", 0.06),
    ("niestetal", 0.03),
    ("herborn", 0.03),
    (None, 0.06),
)
QUEUE = "servicecenter"
AGENT_POOL = 45


def _time_of_day(hour: float, monday: bool) -> float:
    """Relative load of a half hour starting at `hour` (local time)."""
    if hour < 8:
        base = 0.55
    elif hour < 11:
        base = 1.45 if not monday else 1.8
    elif hour < 12.5:
        base = 1.2
    elif hour < 13.5:
        base = 0.85
    elif hour < 15.5:
        base = 1.05
    elif hour < 17:
        base = 0.8
    else:
        base = 0.55
    return base


@dataclass(frozen=True)
class Service:
    id: str
    weight: float  # share of the contacts about it


@dataclass
class TrafficCall:
    """One generated call, with the contact the agent logged for it (if answered)."""

    call_id: str
    did: str
    channel: str
    caller: str
    entered: float  # epoch seconds
    answered: float | None
    ended: float
    agent: str | None
    wait_s: int
    talk_s: int | None
    result: str  # answered | abandoned | timeout
    service: str | None = None
    municipality: str | None = None
    outcome: str | None = None
    rings: int = 0


@dataclass
class Interval:
    start: float
    end: float
    expected: float
    agents: int = 0


@dataclass
class TrafficYear:
    calls: list[TrafficCall] = field(default_factory=list)

    def queue_log(self) -> Iterator[str]:
        """The year as Asterisk writes it, in time order."""
        lines: list[tuple[float, int, str]] = []
        for n, call in enumerate(self.calls):
            lines.extend((t, n, line) for t, line in _lines(call))
        lines.sort(key=lambda item: (item[0], item[1]))
        for _, _, line in lines:
            yield line


def _lines(call: TrafficCall) -> list[tuple[float, str]]:
    def line(t: float, agent: str | None, verb: str, *data: object) -> tuple[float, str]:
        fields = [str(int(t)), call.call_id, QUEUE if verb != "DID" else "NONE"]
        fields += [agent or "NONE", verb, *(str(d) for d in data)]
        return t, "|".join(fields)

    out = [
        line(call.entered, None, "DID", call.did),
        line(call.entered, None, "ENTERQUEUE", "", call.caller, 1),
    ]
    if call.result == "answered":
        assert call.answered is not None and call.talk_s is not None
        # Now and then an agent's phone rings unanswered first (15 s each).
        serial = int(call.call_id.split(".")[1])
        for ring in range(call.rings):
            at = min(call.answered, call.entered + 15 * (ring + 1))
            agent = f"Agent/{1001 + (serial + ring) % AGENT_POOL}"
            out.append(line(at, agent, "RINGNOANSWER", 15000))
        out.append(line(call.answered, call.agent, "CONNECT", call.wait_s, call.call_id, 2))
        verb = "COMPLETECALLER" if int(call.entered) % 3 else "COMPLETEAGENT"
        out.append(line(call.ended, call.agent, verb, call.wait_s, call.talk_s, 1))
    elif call.result == "timeout":
        out.append(line(call.ended, None, "EXITWITHTIMEOUT", 1, 1, call.wait_s))
    else:
        out.append(line(call.ended, None, "ABANDON", 1, 1, call.wait_s))
    return out


def _pick(rng: random.Random, choices: Sequence[tuple[Any, float]]) -> Any:
    """One of the values, drawn by their weights."""
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def plan_intervals(year: int, calendar: ServiceCalendar, months: int = 12) -> list[Interval]:
    """The open half hours of the year's first `months` with their expected calls."""
    intervals: list[Interval] = []
    by_month: dict[int, list[Interval]] = {}
    day = date(year, 1, 1)
    while day.year == year and day.month <= months:
        for opens, closes in calendar.day(day):
            local = opens.astimezone(BERLIN)
            t = opens
            while t < closes:
                hour = local.hour + local.minute / 60 + (t - opens).total_seconds() / 3600
                weight = WEEKDAY_WEIGHT[min(day.weekday(), 5)] * _time_of_day(
                    hour, day.weekday() == 0
                )
                end = min(t + timedelta(minutes=30), closes)
                found = Interval(t.timestamp(), end.timestamp(), weight)
                intervals.append(found)
                by_month.setdefault(day.month, []).append(found)
                t = end
        day += timedelta(days=1)
    for month, members in by_month.items():
        # Offered = answered / the share answered (about 93.5 % with this staffing).
        offered = MONTHLY_ANSWERED[month - 1] / 0.935
        total = sum(i.expected for i in members)
        for i in members:
            i.expected = offered * i.expected / total
    return intervals


def generate(
    year: int,
    services: Sequence[Service],
    *,
    seed: int = 115,
    calendar: ServiceCalendar | None = None,
    months: int = 12,
) -> TrafficYear:
    """The year's calls and contacts (of its first `months`)."""
    if not 1 <= months <= 12:
        raise ValueError("months must lie between 1 and 12")
    rng = random.Random(seed)
    counts = np.random.default_rng(seed)  # the calls per interval (Poisson)
    calendar = calendar or ServiceCalendar.default()
    intervals = plan_intervals(year, calendar, months)
    goal = Goal(service_level=0.8)
    for interval in intervals:
        hours = (interval.end - interval.start) / 3600
        load = Load(interval.expected / hours, AHT_S, PATIENCE_S)
        needed = agents_needed(load, goal).agents
        short = 1 if rng.random() < 0.25 else 0
        interval.agents = max(1, min(AGENT_POOL, needed - short))
    service_choices = [(s.id, s.weight) for s in services]
    log_mu = math.log(AHT_S) - AHT_SIGMA**2 / 2
    result = TrafficYear()
    # Callers of the last week (time, number, service, municipality), oldest first; the
    # ones older than a week are behind `first`.
    recent: list[tuple[float, str, str | None, str | None]] = []
    first = 0
    serial = 0
    # Agents on duty: (the moment they are free, their number); the queue of a day carries
    # over from one interval to the next.
    free: list[tuple[float, int]] = []
    day_of: date | None = None
    for interval in intervals:
        today = datetime.fromtimestamp(interval.start, UTC).date()
        if today != day_of:
            day_of = today
            free = []
        # Staff the interval: agents coming on duty are free at its start; when fewer are
        # on duty, those free soonest stay.
        on_duty = {agent for _, agent in free}
        spare = (a for a in range(AGENT_POOL) if a not in on_duty)
        while len(free) < interval.agents:
            heapq.heappush(free, (interval.start, next(spare)))
        if len(free) > interval.agents:
            free = sorted(free)[: interval.agents]
            heapq.heapify(free)
        count = int(counts.poisson(interval.expected))
        arrivals = sorted(rng.uniform(interval.start, interval.end) for _ in range(count))
        for arrived in arrivals:
            serial += 1
            call_id = f"{int(arrived)}.{serial}"
            channel = "115" if rng.random() < SHARE_115 else "local"
            did = "115" if channel == "115" else "0561115"
            while first < len(recent) and arrived - recent[first][0] > 7 * 86400:
                first += 1
            if first < len(recent) and rng.random() < REPEAT_SHARE:
                _, number, service, town = recent[rng.randrange(first, len(recent))]
            else:
                number = f"0561 {rng.randrange(100000, 9999999)}"
                service = _pick(rng, service_choices) if service_choices else None
                town = _pick(rng, MUNICIPALITIES)
            patience = rng.expovariate(1 / PATIENCE_S)
            start = max(arrived, free[0][0])
            wait = start - arrived
            if wait > min(patience, QUEUE_TIMEOUT_S):
                gave_up = min(patience, QUEUE_TIMEOUT_S)
                result.calls.append(
                    TrafficCall(
                        call_id, did, channel, number, arrived, None, arrived + gave_up,
                        None, int(gave_up), None,
                        "timeout" if patience >= QUEUE_TIMEOUT_S else "abandoned",
                    )
                )  # fmt: skip
                continue
            _, agent_no = heapq.heappop(free)
            talk = max(10, int(rng.lognormvariate(log_mu, AHT_SIGMA)))
            heapq.heappush(free, (start + talk, agent_no))
            outcome = _pick(rng, OUTCOMES)
            rings = min(int(wait // 15), 2) if rng.random() < 0.35 else 0
            result.calls.append(
                TrafficCall(
                    call_id, did, channel, number, arrived, start, start + talk,
                    f"Agent/{1001 + agent_no}", int(wait), talk, "answered", service, town,
                    outcome, rings,
                )
            )  # fmt: skip
            recent.append((arrived, number, service, town))
    return result
