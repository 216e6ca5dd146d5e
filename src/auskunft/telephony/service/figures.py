"""The figures of the calls for a range of days: per half hour, day, week, month or year,
for one channel or all, by the definitions of `telephony/model/figures.py`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.telephony.model.figures import GROUPS, CallCounts, Definition, grouped
from auskunft.telephony.repository import CallRepository

CHANNELS = ("115", "local", "unknown")
LONGEST_RANGE = timedelta(days=3 * 366)


def check_range(first: date, last: date) -> None:
    """A report's days: forwards, and at most three years."""
    if last < first:
        raise InvalidInput(
            "Der Zeitraum endet vor seinem Anfang.", message_en="The range ends before it begins."
        )
    if last - first > LONGEST_RANGE:
        raise InvalidInput(
            "Ein Bericht umfasst höchstens drei Jahre.",
            message_en="A report covers at most three years.",
        )


def check_choice(value: str | None, allowed: tuple[str, ...], what: str, what_en: str) -> None:
    if value is not None and value not in allowed:
        raise InvalidInput(
            f"Unbekannte {what} „{value[:20]}“; möglich: {', '.join(allowed)}.",
            message_en=f"Unknown {what_en} '{value[:20]}'; possible: {', '.join(allowed)}.",
        )


def call_report(
    uow: UnitOfWork,
    first: date,
    last: date,
    *,
    group: str,
    channel: str | None,
    definition: Definition,
) -> dict[str, Any]:
    """The call figures of the days first..last (local time), grouped, with their total."""
    check_range(first, last)
    check_choice(group, GROUPS, "Gruppierung", "grouping")
    check_choice(channel, CHANNELS, "Kanal", "channel")
    rows = uow.repo(CallRepository).counts(
        first,
        last,
        by_slot=group == "interval",
        channel=channel,
        within_s=definition.within_s,
        short_s=definition.short_abandon_s,
    )
    periods = grouped(rows, group)
    total = CallCounts()
    for _, counts in periods:
        total.add(counts)
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group": group,
        "channel": channel,
        "definition": definition.as_dict(),
        "rows": [counts.row(period, definition) for period, counts in periods],
        "total": total.row("total", definition),
    }


def abandoned_calls(uow: UnitOfWork, day: date, definition: Definition) -> list[dict[str, Any]]:
    """The calls of a day that were not answered: when, how long they waited, why."""
    found = []
    for row in uow.repo(CallRepository).abandoned_on(day):
        wait = row.wait_s or 0
        found.append(
            {
                "entered_at": row.entered_at.astimezone(BERLIN).isoformat(timespec="seconds"),
                "wait_s": wait,
                "short": wait <= definition.short_abandon_s,
                "result": row.result,
                "channel": row.channel,
                "queue": row.queue,
            }
        )
    return found


def slot_counts(
    uow: UnitOfWork, first: date, last: date, definition: Definition
) -> list[tuple[date, int, CallCounts]]:
    """The sums of the calls per local day and half hour (for the forecast)."""
    rows = uow.repo(CallRepository).counts(
        first,
        last,
        by_slot=True,
        channel=None,
        within_s=definition.within_s,
        short_s=definition.short_abandon_s,
    )
    return [(day, slot or 0, counts) for day, slot, counts in rows]


def last_day_with_calls(uow: UnitOfWork) -> date | None:
    return uow.repo(CallRepository).last_day()


def day_counts(
    uow: UnitOfWork, first: date, last: date, definition: Definition
) -> list[tuple[date, CallCounts]]:
    """The sums of the calls per local day."""
    rows = uow.repo(CallRepository).counts(
        first,
        last,
        by_slot=False,
        channel=None,
        within_s=definition.within_s,
        short_s=definition.short_abandon_s,
    )
    return [(day, counts) for day, _slot, counts in rows]
