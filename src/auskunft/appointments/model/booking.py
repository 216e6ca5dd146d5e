"""Slots and capacity: which start times are free, and which counter takes a booking.

Pure functions over a `Calendar` and the busy spans already booked. The
database is the final judge (one row per counter and grid cell, unique), so
these rules decide what to offer and which counter to try, never alone whether
a booking stands.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from auskunft.appointments.model.calendar import Calendar, Interval, from_epoch_minutes, subtract

CHANNELS = ("online", "phone")
# Statuses whose time is taken on a counter.
HOLDING = ("booked", "provisional", "offered", "arrived", "no_show")
# Statuses a citizen can still cancel or move.
CHANGEABLE = ("booked", "provisional", "offered")
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def ceil_to(value: int, step: int) -> int:
    return -(-value // step) * step


@dataclass(frozen=True)
class Window:
    """The days and earliest moment a channel may book, as of `now`."""

    first_day: date
    last_day: date
    earliest: int  # epoch minute

    @classmethod
    def of(cls, calendar: Calendar, now: int, today: date, first: date, last: date) -> Window:
        horizon = today + timedelta(days=calendar.horizon_days)
        earliest = ceil_to(now + calendar.lead_minutes, calendar.grid)
        return cls(max(first, today), min(last, horizon), earliest)


class Slot(NamedTuple):
    """A free start time; a tuple, since a search over weeks makes thousands."""

    start: int
    end: int


def span_of(calendar: Calendar, start: int, duration: int) -> tuple[int, int]:
    """End of the visit and end of the time it takes on the counter (with buffer)."""
    return start + duration, ceil_to(start + duration + calendar.buffer, calendar.grid)


def cells(calendar: Calendar, start: int, busy_until: int) -> list[int]:
    """Grid cells a visit occupies; one database row each, unique per counter."""
    return list(range(start, busy_until, calendar.grid))


def _fits(free: Interval, closes: set[int], start: int, duration: int, buffer: int) -> bool:
    # The buffer is cleanup before the next visit; it may run past closing time.
    a, b = free
    need = duration if b in closes else duration + buffer
    return a <= start and start + need <= b


def free_slots(
    calendar: Calendar,
    *,
    duration: int,
    busy: Mapping[int, list[Interval]],
    now: int,
    today: date,
    first: date,
    last: date,
    channel: str = "online",
) -> list[Slot]:
    """Every start time on the grid at which some counter the channel may use is free."""
    window = Window.of(calendar, now, today, first, last)
    grid, buffer, earliest = calendar.grid, calendar.buffer, window.earliest
    slots: list[Slot] = []
    # Days come in order, so busy spans that ended before a day's first opening
    # are passed over once per counter instead of once per day.
    passed: dict[int, int] = {}
    day = window.first_day
    while day <= window.last_day:
        opened = calendar.open_intervals(day)
        counters = calendar.counters_for(channel, day, today)
        # Once every start the open hours allow is offered, the other counters
        # cannot add one: at a location with many counters that comes early.
        most = _most_starts(calendar, day, counters, duration, earliest)
        starts: set[int] = set()
        for counter in counters:
            spans = opened.get(counter)
            if not spans:
                continue
            own = busy.get(counter, ())
            skip = passed.get(counter, 0)
            while skip < len(own) and own[skip][1] <= spans[0][0]:
                skip += 1
            passed[counter] = skip
            # `subtract`, inlined (it runs for every counter and day): a gap that ends
            # where a visit starts needs the buffer, one that ends at closing does not.
            for opens, closes in spans:
                cursor = opens
                while skip < len(own) and own[skip][1] <= cursor:
                    skip += 1
                probe = skip
                while probe < len(own) and own[probe][0] < closes:
                    b_start, b_end = own[probe]
                    if b_start > cursor:
                        start = ceil_to(max(cursor, earliest), grid)
                        starts.update(range(start, b_start - duration - buffer + 1, grid))
                    if b_end > cursor:
                        cursor = b_end
                    probe += 1
                if cursor < closes:
                    start = ceil_to(max(cursor, earliest), grid)
                    starts.update(range(start, closes - duration + 1, grid))
            if len(starts) == most:
                break
        slots.extend(Slot(s, s + duration) for s in sorted(starts))
        day += timedelta(days=1)
    return slots


def _most_starts(
    calendar: Calendar, day: date, counters: tuple[int, ...], duration: int, earliest: int
) -> int:
    """How many starts a day offers with nothing booked (remembered per calendar)."""
    opened = calendar.open_intervals(day)
    first = min((spans[0][0] for spans in opened.values()), default=earliest)
    key = (day, counters, duration, earliest if earliest > first else None)
    known = calendar._starts.get(key)
    if known is None:
        starts: set[int] = set()
        for counter in counters:
            for opens, closes in opened.get(counter, ()):
                begin = ceil_to(max(opens, earliest), calendar.grid)
                starts.update(range(begin, closes - duration + 1, calendar.grid))
        known = len(starts)
        if len(calendar._starts) >= 4096:
            calendar._starts.clear()
        calendar._starts[key] = known
    return known


def candidate_counters(
    calendar: Calendar,
    *,
    start: int,
    duration: int,
    busy: Mapping[int, list[Interval]],
    now: int,
    today: date,
    channel: str,
) -> list[int]:
    """Counters on which a visit at `start` fits, in the order to try them.

    Phone bookings take the held counters first, online bookings the others
    first, so each channel leaves the other's share alone as long as it can.
    """
    day = from_epoch_minutes(start, calendar.zone).date()
    window = Window.of(calendar, now, today, day, day)
    if start % calendar.grid or start < window.earliest or day > window.last_day:
        return []
    opened = calendar.open_intervals(day)
    held = set(calendar.held_counters)
    fitting = []
    for counter in calendar.counters_for(channel, day, today):
        spans = opened.get(counter)
        if not spans:
            continue
        closes = {end for _, end in spans}
        free = subtract(spans, busy.get(counter, []))
        if any(_fits(f, closes, start, duration, calendar.buffer) for f in free):
            fitting.append(counter)
    first_choice = held if channel == "phone" else set(calendar.counters) - held
    return sorted(fitting, key=lambda c: (c not in first_choice, calendar.counters.index(c)))


def new_code() -> str:
    """A booking code to read out on the phone: 8 characters, no look-alikes."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"
