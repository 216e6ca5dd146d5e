"""Random sequences of book, cancel and move never overbook a counter or lose a booking."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select

from auskunft.appointments import tables as t
from auskunft.appointments.model.booking import HOLDING
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict, InvalidInput
from auskunft.core.hours import BERLIN
from auskunft.core.jobs import tables as jobs_tables

LOCATION = "baunatal-buergerbuero-rathaus"  # 3 counters, 10-minute grid, one held for phone
DAY = date(2027, 3, 2)  # a Tuesday
NOW = datetime.combine(DAY - timedelta(days=5), time(6), tzinfo=BERLIN)
STARTS = [
    datetime.combine(DAY, time(8, 0), tzinfo=BERLIN) + timedelta(minutes=10 * i) for i in range(8)
]
COMBOS = [
    ["wohnsitz-anmelden"],  # 10 minutes
    ["personalausweis-beantragen"],  # 20 minutes
    ["wohnsitz-anmelden", "personalausweis-beantragen"],  # 30 minutes
]
POLICY = BookingPolicy(secret=b"property-test-secret-of-32-bytes", phone_share=34)


def _clear(url: str) -> None:
    with UnitOfWork(get_engine(url)) as uow:
        for table in (
            t.CounterCell,
            t.AppointmentService,
            jobs_tables.Job,
            t.Appointment,
            t.WaitlistEntry,
        ):
            uow.session.execute(delete(table))
        uow.commit()


def _machine(url: str) -> type[RuleBasedStateMachine]:
    engine = get_engine(url)

    class Bookings(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            _clear(url)
            self.known: dict[str, tuple[str, str, int]] = {}  # code -> (token, status, start)
            self.people = 0

        def _active(self) -> list[str]:
            # In the order they were booked: booking codes are random, so sorting by code
            # would pick another visit when Hypothesis replays the same steps (a flaky test).
            return [code for code, (_, status, _) in self.known.items() if status == "booked"]

        @rule(start=st.sampled_from(STARTS), combo=st.sampled_from(COMBOS),
              channel=st.sampled_from(["online", "phone"]))  # fmt: skip
        def book(self, start: datetime, combo: list[str], channel: str) -> None:
            self.people += 1
            person = booking.Person(f"Person {self.people}", f"p{self.people}@example.de")
            with UnitOfWork(engine) as uow:
                try:
                    done = booking.book(
                        uow, POLICY, service_ids=combo, location_id=LOCATION, start=start,
                        person=person, now=NOW, channel=channel,
                    )  # fmt: skip
                except Conflict:
                    return
                uow.commit()
                row = done.appointment
                self.known[row.code] = (done.manage_token, "booked", row.start_minute)

        @precondition(lambda self: bool(self._active()))
        @rule(pick=st.integers(min_value=0, max_value=1000))
        def cancel(self, pick: int) -> None:
            code = self._active()[pick % len(self._active())]
            token, _, start = self.known[code]
            with UnitOfWork(engine) as uow:
                booking.cancel(uow, POLICY, code=code, token=token, now=NOW)
                uow.commit()
            self.known[code] = (token, "cancelled", start)

        @precondition(lambda self: bool(self._active()))
        @rule(pick=st.integers(min_value=0, max_value=1000), start=st.sampled_from(STARTS))
        def move(self, pick: int, start: datetime) -> None:
            code = self._active()[pick % len(self._active())]
            token, status, _ = self.known[code]
            with UnitOfWork(engine) as uow:
                try:
                    row = booking.reschedule(
                        uow, POLICY, code=code, token=token, start=start, now=NOW
                    )
                except (Conflict, InvalidInput):
                    return  # the old time stands; the invariants check it
                uow.commit()
                self.known[code] = (token, status, row.start_minute)

        @invariant()
        def no_counter_is_ever_overbooked(self) -> None:
            with UnitOfWork(engine) as uow:
                rows = uow.session.execute(
                    select(
                        t.Appointment.counter_id, t.Appointment.start_minute,
                        t.Appointment.busy_until,
                    ).where(t.Appointment.status.in_(HOLDING))
                ).all()  # fmt: skip
            spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
            for counter, start, until in rows:
                spans[counter].append((start, until))
            for visits in spans.values():
                visits.sort()
                for (_, end), (start, _) in pairwise(visits):
                    assert end <= start

        @invariant()
        def every_visit_holds_exactly_its_cells(self) -> None:
            with UnitOfWork(engine) as uow:
                grid = uow.repo(AppointmentRepository).calendar(LOCATION).grid_minutes  # type: ignore[union-attr]
                held: dict[int, set[tuple[int, int]]] = defaultdict(set)
                for counter, cell, owner in uow.session.execute(
                    select(
                        t.CounterCell.counter_id, t.CounterCell.cell, t.CounterCell.appointment_id
                    )
                ).all():
                    held[owner].add((counter, cell))
                for row in uow.session.scalars(select(t.Appointment)).all():
                    expected = (
                        {(row.counter_id, c) for c in range(row.start_minute, row.busy_until, grid)}
                        if row.status in HOLDING
                        else set()
                    )
                    assert held.pop(row.id, set()) == expected
                assert held == {}

        @invariant()
        def no_booking_is_lost_or_silently_changed(self) -> None:
            with UnitOfWork(engine) as uow:
                for code, (token, status, start) in self.known.items():
                    row = booking.find(uow, POLICY, code, token)
                    assert (row.status, row.start_minute) == (status, start)

    return Bookings


@pytest.mark.parametrize("examples", [20])
def test_random_book_cancel_move_sequences_keep_capacity_and_bookings(
    module_url: str, examples: int
) -> None:
    machine = _machine(module_url)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
