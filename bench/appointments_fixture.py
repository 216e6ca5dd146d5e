"""A bench location for the appointment benchmarks: 20 counters, mixed durations, 30 % booked.

    with scratch_database(None) as url:             # SQLite in a temporary folder
        engine, _ = open_catalog(url)
        place = build_location(engine, now=datetime.now(UTC), share=0.30)
        ...
        assert verify(engine, place.location_id)["double_bookings"] == 0

`scratch_database("postgresql://...")` creates a database of its own next to
the given one (which only serves as the administrative connection) and drops
it afterwards.

The location is added through the tables the demo calendars use (location,
calendar, counters, weekly rules, service links). The existing bookings are
inserted in bulk, but as the booking engine itself would leave them: on the
grid, never overlapping on a counter (the buffer included), within the
counter's opening hours, with one capacity cell per grid step and the
services of the visit. `verify` checks exactly that afterwards with SQL.
"""

from __future__ import annotations

import random
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import HOLDING, ceil_to, new_code, span_of
from auskunft.appointments.model.calendar import Calendar, from_epoch_minutes, subtract
from auskunft.appointments.service.booking import local_day
from auskunft.appointments.service.calendars import BookingPolicy, load_calendar
from auskunft.catalog import tables as catalog_tables
from auskunft.catalog.repository import CatalogRepository
from auskunft.core.db.uow import UnitOfWork

LOCATION = "bench-buergerbuero"
AUTHORITY = "kassel-buergerbuero"
COUNTERS = 20
GRID = 5
BUFFER = 5
HORIZON_DAYS = 60
# Services of the demo catalog that are done by appointment, with a bench duration each.
SERVICES = {
    "lebensbescheinigung": 10,
    "wohnsitz-anmelden": 15,
    "personalausweis-beantragen": 20,
    "reisepass-beantragen": 30,
    "reisepass-kinder": 45,
}
# Visits asked for in the slot search: single services and combinations (durations add up).
COMBOS: tuple[tuple[str, ...], ...] = (
    *((s,) for s in SERVICES),
    ("wohnsitz-anmelden", "personalausweis-beantragen"),
    ("personalausweis-beantragen", "reisepass-beantragen"),
    ("lebensbescheinigung", "reisepass-kinder"),
)


def clock(hours: int, minutes: int = 0) -> int:
    return hours * 60 + minutes


# Weekly hours: (weekday, opens, closes). Counters 1-10 work through, 11-20 have a
# lunch gap; counters 1-6 open on Saturday mornings; Thursday runs late.
THROUGH = [(d, clock(7, 30), clock(16)) for d in range(4)] + [(4, clock(7, 30), clock(13))]
THROUGH[3] = (3, clock(7, 30), clock(18))
LUNCH = [(d, clock(7, 30), clock(12)) for d in range(5)] + [
    (d, clock(13), clock(16)) for d in range(4)
]
SATURDAY = [(5, clock(9), clock(12))]


@dataclass
class BenchLocation:
    """What `build_location` made, with the share of open time it booked."""

    location_id: str
    services: dict[str, int]
    counters: list[int]
    first_day: date
    last_day: date
    appointments: int
    cells: int
    open_minutes: int
    booked_minutes: int
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def booked_share(self) -> float:
        return self.booked_minutes / self.open_minutes if self.open_minutes else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "location": self.location_id,
            "counters": len(self.counters),
            "services": self.services,
            "grid_minutes": GRID,
            "buffer_minutes": BUFFER,
            "days": [self.first_day.isoformat(), self.last_day.isoformat()],
            "appointments": self.appointments,
            "cells": self.cells,
            "open_minutes": self.open_minutes,
            "booked_minutes": self.booked_minutes,
            "booked_share": round(self.booked_share, 4),
            "build_s": round(self.seconds, 2),
        }


@contextmanager
def scratch_database(url: str | None, *, keep: bool = False) -> Iterator[str]:
    """A new empty database: a SQLite file (url None) or one next to a PostgreSQL URL."""
    if url is None or make_url(url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="auskunft-bench-") as tmp:
            yield url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    admin_url = make_url(url)
    if admin_url.drivername == "postgresql":
        admin_url = admin_url.set(drivername="postgresql+psycopg")
    name = f"auskunft_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            if not keep:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _add_location(uow: UnitOfWork, horizon_days: int) -> list[int]:
    """Location, calendar, counters, weekly rules and service links; the counters' ids."""
    authority = uow.repo(CatalogRepository).authority(AUTHORITY)
    if authority is None:
        raise RuntimeError(f"the catalog lacks the authority {AUTHORITY}")
    uow.session.add(
        catalog_tables.Location(
            id=LOCATION,
            authority_id=authority.id,
            name="Bürgerbüro (Benchmark)",
            city=authority.city,
            note="Benchmark-Standort",
            slot_minutes=GRID,
        )
    )
    uow.session.flush()
    # phone_share 0: online searches look at all 20 counters (the heaviest case).
    uow.session.add(
        t.Calendar(
            location_id=LOCATION,
            kind="office",
            grid_minutes=GRID,
            buffer_minutes=BUFFER,
            horizon_days=horizon_days,
            lead_minutes=120,
            phone_share=0,
            version=1,
        )
    )
    ids = []
    for n in range(COUNTERS):
        counter = t.Counter(location_id=LOCATION, name=f"Schalter {n + 1}", position=n)
        uow.session.add(counter)
        uow.session.flush()
        ids.append(counter.id)
        hours = (THROUGH if n < COUNTERS // 2 else LUNCH) + (SATURDAY if n < 6 else [])
        for weekday, opens, closes in hours:
            uow.session.add(
                t.OpeningRule(counter_id=counter.id, weekday=weekday, opens=opens, closes=closes)
            )
    for service_id, minutes in SERVICES.items():
        if uow.repo(CatalogRepository).service(service_id) is None:
            raise RuntimeError(f"the catalog lacks the service {service_id}")
        uow.session.add(
            catalog_tables.ServiceLocation(
                service_id=service_id,
                location_id=LOCATION,
                duration_minutes=minutes,
                appointment=True,
            )
        )
    uow.session.flush()
    return ids


def _visits(
    calendar: Calendar, day: date, share: float, rng: random.Random, carry: float = 0.0
) -> tuple[list[tuple[int, int, int, str]], int, int, float]:
    """Random visits (counter, start, busy until, service) filling `share` of a day.

    Visits land on random free grid positions, so the free time is fragmented
    as a real booking day's is, not one solid block. What a counter's day falls
    short of (or over) its share is carried to the next one (`carry`, returned).
    """
    visits = []
    open_total = booked_total = 0
    for counter, spans in calendar.open_intervals(day).items():
        opened = sum(b - a for a, b in spans)
        open_total += opened
        target = share * opened + carry
        taken: list[tuple[int, int]] = []
        booked = 0
        misses = 0
        while booked < target and misses < 20:
            service = rng.choice(list(SERVICES))
            duration = SERVICES[service]
            starts = [
                s
                for a, b in subtract(spans, taken)
                for s in range(ceil_to(a, GRID), b - duration + 1, GRID)
                if span_of(calendar, s, duration)[1] <= b
            ]
            if not starts:
                misses += 1
                continue
            start = rng.choice(starts)
            _, busy_until = span_of(calendar, start, duration)
            # Only a visit that brings the day closer to the target: overshooting by
            # whole visits would skew the share upwards.
            if booked + (busy_until - start) - target > target - booked:
                misses += 1
                continue
            taken.append((start, busy_until))
            taken.sort()
            booked += busy_until - start
            visits.append((counter, start, busy_until, service))
        booked_total += booked
        carry = target - booked
    return visits, open_total, booked_total, carry


def build_location(
    engine: Engine,
    *,
    now: datetime,
    share: float = 0.30,
    days: int = HORIZON_DAYS,
    horizon_days: int | None = None,
    seed: int = 4,
    batch: int = 2000,
) -> BenchLocation:
    """Add the bench location and book `share` of its open time from today on for `days`."""
    import time

    started = time.perf_counter()
    rng = random.Random(seed)
    with UnitOfWork(engine) as uow:
        counters = _add_location(uow, horizon_days or days)
        uow.commit()
    with UnitOfWork(engine) as uow:
        calendar, _ = load_calendar(uow, BookingPolicy(), LOCATION)
    today = local_day(now)
    first, last = today, today + timedelta(days=days)
    visits: list[tuple[int, int, int, str]] = []
    open_minutes = booked_minutes = 0
    carry = 0.0
    day = first
    while day <= last:
        found, opened, booked, carry = _visits(calendar, day, share, rng, carry)
        visits += found
        open_minutes += opened
        booked_minutes += booked
        day += timedelta(days=1)
    codes: set[str] = set()
    while len(codes) < len(visits):
        codes.add(new_code())
    cell_count = 0
    with engine.begin() as conn:
        for offset in range(0, len(visits), batch):
            chunk = visits[offset : offset + batch]
            rows = []
            for n, ((counter, start, busy_until, service), code) in enumerate(
                zip(chunk, [codes.pop() for _ in chunk], strict=True)
            ):
                begin = from_epoch_minutes(start).astimezone(UTC)
                number = offset + n
                rows.append(
                    {
                        "code": code,
                        "location_id": LOCATION,
                        "counter_id": counter,
                        "start_at": begin,
                        "end_at": begin + timedelta(minutes=SERVICES[service]),
                        "start_minute": start,
                        "busy_until": busy_until,
                        "status": "booked",
                        "channel": "online",
                        "name": f"Bench {number}",
                        "email": f"bench-{number}@example.org",
                        "phone": "",
                        "language": "de",
                        "created_at": now,
                        "changed_at": now,
                        "purged": False,
                    }
                )
            statement = insert(t.Appointment).returning(
                t.Appointment.id, sort_by_parameter_order=True
            )
            ids = list(conn.execute(statement, rows).scalars())
            conn.execute(
                insert(t.AppointmentService),
                [
                    {"appointment_id": i, "position": 0, "service_id": v[3]}
                    for i, v in zip(ids, chunk, strict=True)
                ],
            )
            cells = [
                {"counter_id": v[0], "cell": c, "appointment_id": i}
                for i, v in zip(ids, chunk, strict=True)
                for c in range(v[1], v[2], GRID)
            ]
            conn.execute(insert(t.CounterCell), cells)
            cell_count += len(cells)
    if engine.dialect.name == "postgresql":
        # What autovacuum would do soon after a bulk load, done now so it does not
        # run on the other core while the benchmark times (statistics, visibility map).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    return BenchLocation(
        location_id=LOCATION,
        services=dict(SERVICES),
        counters=counters,
        first_day=first,
        last_day=last,
        appointments=len(visits),
        cells=cell_count,
        open_minutes=open_minutes,
        booked_minutes=booked_minutes,
        seconds=time.perf_counter() - started,
    )


def verify(engine: Engine, location_id: str = LOCATION) -> dict[str, int]:
    """Count what must never happen: overlapping visits on a counter, cells out of step.

    - double_bookings: visits holding time that start before an earlier visit on
      the same counter has left it (a running maximum over the counter's visits
      in start order, so every overlap is caught, not only neighbours');
    - wrong_cell_count: holding visits without exactly one cell per grid step;
    - stray_cells: cells off their visit's counter, span or grid, or of a visit
      that no longer holds time.
    """
    holding = ", ".join(f"'{s}'" for s in HOLDING)
    overlap = text(
        f"""
        select count(*) from (
            select start_minute, max(busy_until) over (
                partition by counter_id order by start_minute, id
                rows between unbounded preceding and 1 preceding) as before_ends
            from appointments
            where location_id = :loc and status in ({holding})
        ) ordered where before_ends > start_minute
        """
    )
    wrong_count = text(
        f"""
        select count(*) from appointments a
        join calendars k on k.location_id = a.location_id
        where a.location_id = :loc and a.status in ({holding})
          and (select count(*) from counter_cells c where c.appointment_id = a.id)
              <> (a.busy_until - a.start_minute + k.grid_minutes - 1) / k.grid_minutes
        """
    )
    stray = text(
        f"""
        select count(*) from counter_cells c
        join appointments a on a.id = c.appointment_id
        join calendars k on k.location_id = a.location_id
        where a.location_id = :loc and (
            c.counter_id <> a.counter_id or c.cell < a.start_minute
            or c.cell >= a.busy_until or (c.cell - a.start_minute) % k.grid_minutes <> 0
            or a.status not in ({holding}))
        """
    )
    counts = text(
        f"""
        select (select count(*) from appointments
                where location_id = :loc and status in ({holding})),
               (select count(*) from counter_cells c join counters n on n.id = c.counter_id
                where n.location_id = :loc)
        """
    )
    with engine.connect() as conn:
        found = {
            "double_bookings": int(conn.execute(overlap, {"loc": location_id}).scalar_one()),
            "wrong_cell_count": int(conn.execute(wrong_count, {"loc": location_id}).scalar_one()),
            "stray_cells": int(conn.execute(stray, {"loc": location_id}).scalar_one()),
        }
        active, cells = conn.execute(counts, {"loc": location_id}).one()
    found["active_appointments"] = int(active)
    found["cells"] = int(cells)
    return found
