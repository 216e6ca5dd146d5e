"""The working calendar of a location: when each counter is open on a given day.

All moments inside the booking engine are whole minutes since the Unix epoch
in UTC ("epoch minutes"). Opening hours are wall-clock times in Europe/Berlin;
converting each local time on its own day keeps an 08:00 opening at 08:00 on
both sides of a daylight-saving change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from auskunft.core.hours import BERLIN, HolidayName

# Grid sizes that divide an hour, so slots line up with the local clock in any
# zone with whole-hour offsets (Germany's are +01:00 and +02:00).
GRIDS = (5, 10, 15, 20, 30, 60)
DAY_MINUTES = 24 * 60

Interval = tuple[int, int]  # [start, end) in epoch minutes


def epoch_minutes(moment: datetime) -> int:
    """Whole minutes since the epoch of an aware moment."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return int(moment.timestamp()) // 60


def from_epoch_minutes(value: int, zone: ZoneInfo = BERLIN) -> datetime:
    """The aware local moment of an epoch minute."""
    return datetime.fromtimestamp(value * 60, tz=zone)


def local_minute(day: date, minute_of_day: int, zone: ZoneInfo = BERLIN) -> int:
    """Epoch minute of a wall-clock time (minutes after midnight) on a local day."""
    if minute_of_day >= DAY_MINUTES:
        day, minute_of_day = day + timedelta(days=1), minute_of_day - DAY_MINUTES
    wall = datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), tzinfo=zone)
    # A wall time inside the spring-forward gap does not exist; zoneinfo reads it
    # with the old offset, which lands one hour later after the round trip.
    return epoch_minutes(wall.astimezone(UTC))


def parse_clock(text: str) -> int:
    """Minutes after midnight of "HH:MM" (24:00 allowed as the end of a day)."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"not a time of day: {text!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > DAY_MINUTES:
        raise ValueError(f"not a time of day: {text!r}")
    return value


def clock(minute_of_day: int) -> str:
    """ "HH:MM" of minutes after midnight."""
    return f"{minute_of_day // 60:02d}:{minute_of_day % 60:02d}"


@dataclass(frozen=True)
class WeeklyRule:
    """A counter is open on a weekday from `opens` to `closes` while the rule is valid."""

    counter_id: int
    weekday: int  # 0 = Monday
    opens: int  # minutes after local midnight
    closes: int
    valid_from: date | None = None
    valid_to: date | None = None  # inclusive

    def applies(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_to is None or day <= self.valid_to)
        )


@dataclass(frozen=True)
class DayException:
    """A closure (no hours) or special hours on one day, for a counter or the whole location.

    Several rows for the same day and scope add up to that day's special hours;
    one row without hours closes it.
    """

    day: date
    counter_id: int | None = None  # None: the whole location
    opens: int | None = None
    closes: int | None = None
    reason: str = ""

    @property
    def closed(self) -> bool:
        return self.opens is None or self.closes is None


@dataclass(frozen=True)
class Calendar:
    """Counters of one location with their rules; the pure input of the slot search."""

    location_id: str
    counters: tuple[int, ...]  # in order; the first `held` ones serve phone callers first
    rules: tuple[WeeklyRule, ...]
    exceptions: tuple[DayException, ...] = ()
    grid: int = 10
    buffer: int = 0
    horizon_days: int = 60
    lead_minutes: int = 120
    phone_share: float = 0.0
    phone_release_days: int = 2
    holiday: HolidayName | None = None
    zone: ZoneInfo = BERLIN
    _by_day: dict[date, list[DayException]] = field(default_factory=dict, compare=False)
    _rules_by: dict[tuple[int, int], list[WeeklyRule]] = field(default_factory=dict, compare=False)
    # The calendar is immutable and cached per version, so each day's hours are worked
    # out once, not on every search (the Berlin time conversions dominate otherwise).
    _opened: dict[date, dict[int, list[Interval]]] = field(default_factory=dict, compare=False)
    # How many starts a day offers with nothing booked, for the slot search (booking.py).
    _starts: dict[tuple[object, ...], int] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.grid not in GRIDS:
            raise ValueError(f"grid {self.grid} does not divide an hour")
        for exc in self.exceptions:
            self._by_day.setdefault(exc.day, []).append(exc)
        for rule in self.rules:
            self._rules_by.setdefault((rule.counter_id, rule.weekday), []).append(rule)

    @property
    def held_counters(self) -> tuple[int, ...]:
        """Counters kept for phone bookings (a share of all, rounded half up)."""
        count = int(len(self.counters) * self.phone_share + 0.5)
        return self.counters[:count]

    def counters_for(self, channel: str, day: date, today: date) -> tuple[int, ...]:
        """Counters a channel may book on a day; phone bookings try held counters first.

        Held counters open to online booking `phone_release_days` ahead, so a
        slot the phone did not need is not wasted.
        """
        held = self.held_counters
        if channel == "phone" or (day - today).days <= self.phone_release_days:
            return self.counters
        return tuple(c for c in self.counters if c not in held)

    def open_intervals(self, day: date) -> dict[int, list[Interval]]:
        """Each counter's opening intervals on a local day, in epoch minutes (do not modify)."""
        known = self._opened.get(day)
        if known is None:
            known = self._open_intervals(day)
            if len(self._opened) >= 4096:
                self._opened.clear()
            self._opened[day] = known
        return known

    def _open_intervals(self, day: date) -> dict[int, list[Interval]]:
        found = self._by_day.get(day, [])
        whole = [e for e in found if e.counter_id is None]
        holiday = self.holiday(day) if self.holiday is not None else None
        result: dict[int, list[Interval]] = {}
        for counter in self.counters:
            own = [e for e in found if e.counter_id == counter]
            special = own or whole
            if special:
                spans = [(e.opens, e.closes) for e in special if not e.closed]
                if any(e.closed for e in special):
                    spans = []
            elif holiday:
                spans = []
            else:
                spans = [
                    (r.opens, r.closes)
                    for r in self._rules_by.get((counter, day.weekday()), ())
                    if r.applies(day)
                ]
            intervals = sorted(
                (local_minute(day, o, self.zone), local_minute(day, c, self.zone))
                for o, c in spans
                if o is not None and c is not None and o < c
            )
            if intervals:
                result[counter] = _merge(intervals)
        return result


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(open_spans: list[Interval], busy: list[Interval]) -> list[Interval]:
    """The parts of sorted open spans not covered by sorted busy spans."""
    free: list[Interval] = []
    index = 0
    for start, end in open_spans:
        cursor = start
        while index < len(busy) and busy[index][1] <= cursor:
            index += 1
        probe = index
        while probe < len(busy) and busy[probe][0] < end:
            b_start, b_end = busy[probe]
            if b_start > cursor:
                free.append((cursor, b_start))
            cursor = max(cursor, b_end)
            probe += 1
        if cursor < end:
            free.append((cursor, end))
    return free


def busy_by_counter(rows: Iterable[tuple[int, int, int]]) -> Mapping[int, list[Interval]]:
    """Group (counter, start, end) rows into sorted busy spans per counter."""
    grouped: dict[int, list[Interval]] = {}
    for counter, start, end in rows:
        grouped.setdefault(counter, []).append((start, end))
    for spans in grouped.values():
        spans.sort()
    return grouped
