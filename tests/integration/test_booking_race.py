"""Fifty clients race for the last free counter through the HTTP API: exactly one wins."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from auskunft.appointments import tables as t
from auskunft.appointments.model.calendar import epoch_minutes
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from tests.browser.server import live_server

CLIENTS = 50
LOCATION = "kassel-buergerbuero-rathaus"  # 8 counters, 2 held for phone callers
SERVICE = "personalausweis-beantragen"


@pytest.fixture
def server(fresh_url: str, tmp_path: Path) -> Iterator[str]:
    with live_server(tmp_path, database_url=fresh_url, rate_limits="off", worker="off") as base:
        yield base


def _call(method: str, url: str, body: dict[str, object] | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _a_slot_beyond_the_release_days(base: str) -> str:
    first = (datetime.now(UTC) + timedelta(days=7)).date()
    status, body = _call(
        "GET",
        f"{base}/api/v1/slots?service={SERVICE}&location={LOCATION}"
        f"&from={first}&to={first + timedelta(days=14)}",
    )
    assert status == 200 and body["slots"]
    start: str = body["slots"][0]["start"]
    return start


def _booking(start: str, who: str) -> dict[str, object]:
    return {
        "services": [SERVICE],
        "location": LOCATION,
        "start": start,
        "name": f"Person {who}",
        "email": f"{who}@example.de",
    }


def test_fifty_clients_racing_for_the_last_counter_get_one_201_and_49_409(
    server: str, fresh_url: str
) -> None:
    start = _a_slot_beyond_the_release_days(server)
    # Fill every counter online bookings may use at that time, then free one again.
    booked = []
    while True:
        status, body = _call(
            "POST", f"{server}/api/v1/appointments", _booking(start, f"early{len(booked)}")
        )
        if status != 201:
            assert status == 409
            break
        booked.append(body)
    assert len(booked) >= 2
    last = booked.pop()
    status, _ = _call(
        "DELETE", f"{server}/api/v1/appointments/{last['code']}?token={last['manage_token']}"
    )
    assert status == 200

    barrier = threading.Barrier(CLIENTS)
    results: list[tuple[int, dict]] = []  # type: ignore[type-arg]
    lock = threading.Lock()

    def client(number: int) -> None:
        barrier.wait()
        answer = _call("POST", f"{server}/api/v1/appointments", _booking(start, f"racer{number}"))
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = Counter(status for status, _ in results)
    assert statuses == {201: 1, 409: CLIENTS - 1}
    assert all(body["error"]["code"] == "conflict" for status, body in results if status == 409)

    minute = epoch_minutes(datetime.fromisoformat(start))
    with UnitOfWork(get_engine(fresh_url)) as uow:
        rows = uow.session.scalars(
            select(t.Appointment).where(
                t.Appointment.location_id == LOCATION, t.Appointment.start_minute == minute
            )
        ).all()
        active = [r for r in rows if r.status == "booked"]
        online_counters = len(booked) + 1
        assert len(active) == online_counters
        assert len({r.counter_id for r in active}) == online_counters
        held = {c.id for c in uow.repo(AppointmentRepository).counters(LOCATION)[:2]}
        assert not {r.counter_id for r in active} & held
        cells = uow.session.scalar(
            select(func.count())
            .select_from(t.CounterCell)
            .where(t.CounterCell.appointment_id.in_([r.id for r in rows]))
        )
        # A 15-minute visit plus 5 minutes buffer on a 5-minute grid: four cells each;
        # the cancelled visit holds none.
        assert cells == online_counters * 4

    # The counters held for phone callers are still free at that time.
    status, _body = _call("POST", f"{server}/api/v1/appointments", _booking(start, "late"))
    assert status == 409


def test_a_counter_taken_behind_the_busy_read_sends_the_booking_to_the_next(
    fresh_url: str,
) -> None:
    """The cells, not the read before them, decide: when another transaction took the
    first counter's cells after the read, the visit lands on the next counter."""
    policy = BookingPolicy(secret=b"race test secret")
    now = datetime.now(UTC)
    engine = get_engine(fresh_url)

    def book_at(start: datetime, who: str) -> t.Appointment:
        with UnitOfWork(engine) as uow:
            done = booking.book(
                uow,
                policy,
                service_ids=[SERVICE],
                location_id=LOCATION,
                start=start,
                person=booking.Person(who, f"{who}@example.de"),
                now=now,
            )
            uow.commit()
            return done.appointment

    with UnitOfWork(engine) as uow:
        first = (now + timedelta(days=7)).date()
        slot = booking.find_slots(
            uow,
            policy,
            service_ids=[SERVICE],
            location_id=LOCATION,
            first=first,
            last=first + timedelta(days=14),
            now=now,
        )[0]
    start = datetime.fromisoformat(booking.iso(slot.start))
    earlier = book_at(start, "earlier")
    # The earlier visit stops showing in the busy read but keeps its cells, as a
    # booking committed between another one's read and its insert would.
    with UnitOfWork(engine) as uow:
        uow.session.execute(
            update(t.Appointment).where(t.Appointment.id == earlier.id).values(status="cancelled")
        )
        uow.commit()

    later = book_at(start, "later")

    assert later.counter_id != earlier.counter_id
    with UnitOfWork(engine) as uow:
        stored = uow.repo(AppointmentRepository).by_id(later.id)
        assert stored is not None and stored.counter_id == later.counter_id
        held = uow.session.execute(
            select(t.CounterCell.counter_id, t.CounterCell.cell).where(
                t.CounterCell.appointment_id == later.id
            )
        ).all()
        assert {counter for counter, _ in held} == {later.counter_id}
        assert sorted(cell for _, cell in held) == list(range(slot.start, slot.start + 20, 5))
