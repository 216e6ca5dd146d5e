"""The figures of calls, defined once (docs/statistics.md says the same in words; every
report names the settings it used).

A call counts in the period (Europe/Berlin) in which it entered the queue, however long it
lasted: a call that starts at 23:59 on 31 January is January's.

- offered: every call that entered a queue.
- answered: connected to an agent (completed or transferred).
- abandoned: not answered and ended (hung up, the queue's time limit, no agent, a key)
  after waiting more than the short cutoff (5 s); abandoned_short: within it. Short
  abandons are counted apart and left out of every rate.
- answered_within: answered after waiting at most the service-level seconds (30 s).
- service_level, by the formula setting:
  answered_and_long_abandons (the 115 default): answered_within / (answered + abandoned);
  offered: answered_within / offered (the strictest: it counts the short abandons too,
  which is why it is not the default);
  answered: answered_within / answered.
- asa_s: mean wait of the answered calls; aht_s: mean talk time of the answered calls
  whose talk time is known; abandonment_rate: abandoned / (answered + abandoned).
- share_115: answered calls via 115 / all answered calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from auskunft.core.hours import BERLIN

GROUPS = ("interval", "day", "week", "month", "year")


class Formula(StrEnum):
    """What the service level divides by (the 115 network's default first)."""

    # answered within t / (answered + abandoned after more than the short cutoff)
    ANSWERED_AND_LONG_ABANDONS = "answered_and_long_abandons"
    # answered within t / offered (every call, short abandons included)
    OFFERED = "offered"
    # answered within t / answered
    ANSWERED = "answered"


def service_level(
    formula: Formula,
    *,
    answered_within: float,
    answered: float,
    long_abandons: float,
    offered: float,
) -> float | None:
    """The service level by `formula`, from counts or probabilities; None without calls.
    The one place the formulas live: the reports, Erlang and the simulation use it."""
    if formula is Formula.OFFERED:
        denominator = offered
    elif formula is Formula.ANSWERED:
        denominator = answered
    else:
        denominator = answered + long_abandons
    return answered_within / denominator if denominator > 0 else None


@dataclass(frozen=True)
class Definition:
    """The settings a report used."""

    within_s: int = 30
    short_abandon_s: int = 5
    formula: Formula = Formula.ANSWERED_AND_LONG_ABANDONS

    def as_dict(self) -> dict[str, Any]:
        return {
            "within_s": self.within_s,
            "short_abandon_s": self.short_abandon_s,
            "formula": self.formula.value,
        }


@dataclass
class CallCounts:
    """Sums over calls; the rates follow from them (so periods add up exactly)."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    answered_within: int = 0
    answered_115: int = 0
    wait_answered_s: int = 0
    talk_s: int = 0
    talked: int = 0  # answered calls with a known talk time
    waiting: int = 0  # still in the queue or talking (not ended)
    wait_unanswered_s: int = 0  # how long the callers who hung up waited, in all

    def add(self, other: CallCounts) -> None:
        self.offered += other.offered
        self.answered += other.answered
        self.abandoned += other.abandoned
        self.abandoned_short += other.abandoned_short
        self.answered_within += other.answered_within
        self.answered_115 += other.answered_115
        self.wait_answered_s += other.wait_answered_s
        self.talk_s += other.talk_s
        self.talked += other.talked
        self.waiting += other.waiting
        self.wait_unanswered_s += other.wait_unanswered_s

    def service_level(self, definition: Definition) -> float | None:
        return service_level(
            definition.formula,
            answered_within=self.answered_within,
            answered=self.answered,
            long_abandons=self.abandoned,
            offered=self.offered,
        )

    def row(self, period: str, definition: Definition) -> dict[str, Any]:
        level = self.service_level(definition)
        return {
            "period": period,
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "abandoned_short": self.abandoned_short,
            "answered_within_30s": self.answered_within,
            "service_level": None if level is None else round(level, 4),
            "asa_s": _mean(self.wait_answered_s, self.answered),
            "aht_s": _mean(self.talk_s, self.talked),
            "abandonment_rate": _ratio(self.abandoned, self.answered + self.abandoned),
            "share_115": _ratio(self.answered_115, self.answered),
        }


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 1) if count else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def period_of(day: date, slot: int | None, group: str) -> str:
    """The label of the period a day (and half hour of local time) falls in."""
    if group == "interval":
        assert slot is not None
        start = datetime.combine(day, time(slot // 2, 30 * (slot % 2)), BERLIN)
        return start.isoformat(timespec="minutes")
    if group == "day":
        return day.isoformat()
    if group == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if group == "month":
        return f"{day.year}-{day.month:02d}"
    if group == "year":
        return str(day.year)
    raise ValueError(f"unknown group {group!r}")


def slot_of(moment: datetime) -> tuple[date, int]:
    """The local day and half hour (0-47, wall-clock time in Europe/Berlin) of a moment."""
    local = moment.astimezone(BERLIN)
    return local.date(), local.hour * 2 + local.minute // 30


def grouped(
    rows: Iterable[tuple[date, int | None, CallCounts]], group: str
) -> list[tuple[str, CallCounts]]:
    """Sums of the rows per period, in time order."""
    sums: dict[str, CallCounts] = {}
    for day, slot, counts in sorted(rows, key=lambda r: (r[0], -1 if r[1] is None else r[1])):
        key = period_of(day, slot, group)
        found = sums.get(key)
        if found is None:
            found = sums[key] = CallCounts()
        found.add(counts)
    return list(sums.items())
