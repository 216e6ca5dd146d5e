"""The service-time clock: when feedback is due, counting only the service center's hours.

The 115 promise is feedback within 24 hours *of service time*: the hours in
which the service center works (Monday to Friday 7-18, Saturday 9-13 in
Kassel), not counting Hessen's public holidays or the days a supervisor
closes. The due time of a concern received at `start` is the earliest moment
at which `hours` of service time have passed since then; one received outside
service time starts counting when service time next begins.

Service hours are wall-clock times in Europe/Berlin, so an interval is turned
into two real moments per day: across the changes to and from summer time the
clock counts the hours that really pass (none fall inside service time, where
both changes happen at night). Everything is computed on aware datetimes, and
the open intervals of a day are cached per calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from auskunft.core.hours import BERLIN, WEEKDAYS, WeeklyHours, public_holidays

# Kassel's service center (the 115 hours of the network are 8-18 on workdays).
SERVICE_HOURS = {d: ["07:00-18:00"] for d in ("mo", "tu", "we", "th", "fr")} | {
    "sa": ["09:00-13:00"]
}
# A calendar open on no day in this many days never makes anything due.
LONGEST_CLOSURE_DAYS = 400

Interval = tuple[datetime, datetime]


class ServiceCalendar:
    """The service center's working time: weekly hours, minus holidays and closure days."""

    def __init__(
        self,
        weekly: WeeklyHours,
        *,
        closures: Iterable[date] = (),
        subdivision: str = "HE",
    ) -> None:
        self.weekly = weekly
        self.closures = frozenset(closures)
        self._holiday = public_holidays(subdivision)
        self._days: dict[date, tuple[Interval, ...]] = {}

    @classmethod
    def default(cls, closures: Iterable[date] = ()) -> ServiceCalendar:
        return cls(WeeklyHours.from_mapping(SERVICE_HOURS), closures=closures)

    def closed_because(self, day: date) -> str | None:
        """Why a day has no service time though its weekday has hours (None: it is open)."""
        if day in self.closures:
            return "closure"
        return self._holiday(day)

    def day(self, day: date) -> tuple[Interval, ...]:
        """The open intervals of one day, as aware moments in UTC, earliest first."""
        found = self._days.get(day)
        if found is None:
            found = self._days[day] = self._compute(day)
        return found

    def _compute(self, day: date) -> tuple[Interval, ...]:
        if self.closed_because(day) is not None:
            return ()
        spans = []
        for hours in self.weekly.days.get(WEEKDAYS[day.weekday()], ()):
            opens = datetime.combine(day, hours.start, tzinfo=BERLIN)
            if hours.end == time(23, 59, 59):  # "24:00": up to the next midnight
                closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BERLIN)
            else:
                closes = datetime.combine(day, hours.end, tzinfo=BERLIN)
            spans.append((opens.astimezone(UTC), closes.astimezone(UTC)))
        return tuple(spans)

    def intervals(self, first: date, last: date) -> list[Interval]:
        """Every open interval from the first to the last day (both included)."""
        found: list[Interval] = []
        day = first
        while day <= last:
            found += self.day(day)
            day += timedelta(days=1)
        return found

    def due(self, start: datetime, hours: int) -> datetime:
        """The earliest moment at which `hours` hours of service time have passed since
        `start` (aware), in Europe/Berlin."""
        if hours < 1:
            raise ValueError("hours must be at least 1")
        return self.after(start, timedelta(hours=hours))

    def after(self, start: datetime, span: timedelta) -> datetime:
        """The earliest moment at which `span` of service time has passed since `start`
        (aware), in Europe/Berlin; a span of zero is the next moment of service time."""
        if start.tzinfo is None:
            raise ValueError("start must carry its time zone")
        if span < timedelta(0):
            raise ValueError("the span must not be negative")
        remaining = span
        moment = start.astimezone(UTC)
        day = moment.astimezone(BERLIN).date()
        closed_in_a_row = 0
        while closed_in_a_row <= LONGEST_CLOSURE_DAYS:
            spans = self.day(day)
            closed_in_a_row = 0 if spans else closed_in_a_row + 1
            for opens, closes in spans:
                if closes <= moment:
                    continue
                begin = opens if opens > moment else moment
                length = closes - begin
                if length >= remaining:
                    return (begin + remaining).astimezone(BERLIN)
                remaining -= length
            day += timedelta(days=1)
        raise ValueError("the service calendar has no service time ahead")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """How much service time lies between two (aware) moments; zero when end <= start."""
        first, last = start.astimezone(UTC), end.astimezone(UTC)
        if last <= first:
            return timedelta(0)
        total = timedelta(0)
        day = first.astimezone(BERLIN).date()
        while day <= last.astimezone(BERLIN).date():
            for opens, closes in self.day(day):
                begin, finish = max(opens, first), min(closes, last)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total

    def is_service_time(self, moment: datetime) -> bool:
        """Whether the service center works at an (aware) moment."""
        instant = moment.astimezone(UTC)
        day = instant.astimezone(BERLIN).date()
        return any(opens <= instant < closes for opens, closes in self.day(day))
