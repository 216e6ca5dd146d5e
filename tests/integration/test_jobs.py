"""The job worker on both stores: claiming, retries, leases, housekeeping and the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from auskunft.appointments import tables as appointments_tables
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import booking
from auskunft.appointments.service.booking import Person
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.appointments.service.housekeeping import purge_personal_data
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs import queue
from auskunft.core.jobs import tables as t
from auskunft.core.jobs.worker import LEASE, housekeeping, run_due
from tests.integration.test_appointment_mail import (
    NOW,
    OFFICE,
    SECRET,
    SERVICE,
    book,
    jobs,
    settings_for,
)
from tests.web.test_desk import Inbox, free_port


class Refusing(Inbox):
    """A mail server that takes the connection and refuses every message."""

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        return "554 5.7.1 Refused for the test"


@pytest.fixture()
def port() -> int:
    return free_port()


def serve(handler: Inbox, port: int) -> Controller:
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


@pytest.fixture()
def inbox(port: int) -> Iterator[Inbox]:
    handler = Inbox()
    controller = serve(handler, port)
    yield handler
    controller.stop()


def add_job(
    url: str,
    kind: str,
    payload: dict[str, Any],
    now: datetime = NOW,
    run_at: datetime | None = None,
) -> int:
    with UnitOfWork(get_engine(url)) as uow:
        queue.enqueue(uow.session, kind, payload, now=now, run_at=run_at)
        uow.commit()
        return int(uow.session.scalars(select(t.Job.id).order_by(t.Job.id.desc())).first() or 0)


def test_two_workers_never_claim_the_same_job(fresh_url: str) -> None:
    job_id = add_job(fresh_url, "mail.confirmation", {"appointment": 1})
    engine = get_engine(fresh_url)
    with UnitOfWork(engine) as first, UnitOfWork(engine) as second:
        # Both saw the job as due ...
        assert job_id in queue.due_ids(first.session, NOW, 10)
        assert job_id in queue.due_ids(second.session, NOW, 10)
        first.rollback()
        second.rollback()
        # ... only one UPDATE counts it.
        assert queue.claim(first.session, job_id, now=NOW, lease=LEASE)
        first.commit()
        assert not queue.claim(second.session, job_id, now=NOW, lease=LEASE)
        second.commit()
    (row,) = jobs(fresh_url)
    assert (row.status, row.attempts) == ("running", 1)
    assert row.locked_until == NOW + LEASE


def test_workers_at_the_same_time_send_every_mail_exactly_once(
    fresh_url: str, port: int, inbox: Inbox
) -> None:
    settings = settings_for(fresh_url, port)
    made = [book(settings, email=f"person{n}@example.de", skip=n) for n in range(12)]
    engine = get_engine(fresh_url)
    start = threading.Barrier(4)
    counts: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            counts.append(run_due(engine, settings, now=NOW))
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sum(counts) == len(made)
    addresses = sorted(str(m["To"]) for m in inbox.messages)
    assert addresses == sorted(f"person{n}@example.de" for n in range(12))
    done = jobs(fresh_url, "mail.confirmation")
    assert {(j.status, j.attempts) for j in done} == {("done", 1)}


def test_a_refused_or_unreachable_mail_server_means_a_retry_later(
    fresh_url: str, port: int
) -> None:
    settings = settings_for(fresh_url, port, smtp_timeout=2)
    engine = get_engine(fresh_url)
    book(settings)
    # Nothing listens on the port.
    assert run_due(engine, settings, now=NOW) == 1
    (job,) = jobs(fresh_url, "mail.confirmation")
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.run_at == NOW + timedelta(minutes=1)
    assert "MailFailed" in job.last_error and "ConnectionRefusedError" in job.last_error
    assert job.locked_until is None
    assert run_due(engine, settings, now=NOW + timedelta(seconds=30)) == 0  # not due yet

    # The server is up but refuses the message.
    refusing = serve(Refusing(), port)
    try:
        assert run_due(engine, settings, now=NOW + timedelta(minutes=1)) == 1
    finally:
        refusing.stop()
    (job,) = jobs(fresh_url, "mail.confirmation")
    assert (job.status, job.attempts) == ("queued", 2)
    assert job.run_at == NOW + timedelta(minutes=6)
    assert "554" in job.last_error

    inbox = Inbox()
    server = serve(inbox, port)
    try:
        assert run_due(engine, settings, now=NOW + timedelta(minutes=6)) == 1
    finally:
        server.stop()
    (job,) = jobs(fresh_url, "mail.confirmation")
    assert (job.status, job.attempts) == ("done", 3)
    assert job.finished_at == NOW + timedelta(minutes=6)
    assert [m["To"] for m in inbox.messages] == ["erika@example.de"]


def test_a_job_gives_up_after_five_attempts(fresh_url: str, port: int) -> None:
    settings = settings_for(fresh_url, port, smtp_timeout=2)
    engine = get_engine(fresh_url)
    book(settings)
    moment = NOW
    for pause in (*queue.RETRY_MINUTES, None):
        assert run_due(engine, settings, now=moment) == 1
        if pause is not None:
            moment += timedelta(minutes=pause)
    (job,) = jobs(fresh_url, "mail.confirmation")
    assert (job.status, job.attempts) == ("failed", queue.MAX_ATTEMPTS) == ("failed", 5)
    assert job.finished_at == moment
    assert "ConnectionRefusedError" in job.last_error
    assert run_due(engine, settings, now=moment + timedelta(days=1)) == 0


def test_a_job_of_a_dead_worker_is_taken_up_when_its_lease_ran_out(
    fresh_url: str, port: int, inbox: Inbox
) -> None:
    settings = settings_for(fresh_url, port)
    engine = get_engine(fresh_url)
    book(settings)
    (job,) = jobs(fresh_url, "mail.confirmation")
    with UnitOfWork(engine) as uow:  # a worker claims it and dies
        assert queue.claim(uow.session, job.id, now=NOW, lease=LEASE)
        uow.commit()
    assert run_due(engine, settings, now=NOW + LEASE - timedelta(seconds=1)) == 0
    assert inbox.messages == []
    assert run_due(engine, settings, now=NOW + LEASE + timedelta(seconds=1)) == 1
    (job,) = jobs(fresh_url, "mail.confirmation")
    assert (job.status, job.attempts) == ("done", 2)
    assert len(inbox.messages) == 1


def test_an_unknown_job_fails_at_once_and_the_rest_still_runs(
    fresh_url: str, port: int, inbox: Inbox
) -> None:
    settings = settings_for(fresh_url, port)
    odd = add_job(fresh_url, "fax.send", {"to": "0561"})
    book(settings)
    assert run_due(get_engine(fresh_url), settings, now=NOW) == 2
    (row,) = [j for j in jobs(fresh_url) if j.id == odd]
    assert (row.status, row.attempts) == ("failed", 1)
    assert "unknown job kind" in row.last_error
    assert len(inbox.messages) == 1


def test_personal_data_is_blanked_after_the_retention_period(fresh_url: str, port: int) -> None:
    settings = settings_for(fresh_url, port, appointment_retention_days=30)
    policy = BookingPolicy.from_settings(settings)
    engine = get_engine(fresh_url)
    old = book(settings).appointment
    later = book(settings, day=date(2027, 4, 7), email="later@example.de").appointment
    with UnitOfWork(engine) as uow:
        for status, days in (("left", 40), ("expired", 40), ("waiting", 40), ("left", 10)):
            uow.repo(AppointmentRepository).add(
                appointments_tables.WaitlistEntry(
                    service_id=SERVICE,
                    location_id=OFFICE,
                    name="Wartende Person",
                    email="warte@example.de",
                    phone="0561 1",
                    status=status,
                    created_at=old.end_at + timedelta(days=31) - timedelta(days=days),
                    offers=0,
                )
            )
        uow.commit()

    with UnitOfWork(engine) as uow:
        assert (
            purge_personal_data(uow, policy, now=old.end_at + timedelta(days=29)).appointments == 0
        )
    with UnitOfWork(engine) as uow:
        purged = purge_personal_data(uow, policy, now=old.end_at + timedelta(days=31))
        uow.commit()
    assert (purged.appointments, purged.waitlist) == (1, 2)
    with UnitOfWork(engine) as uow:
        gone = uow.repo(AppointmentRepository).by_id(old.id)
        kept = uow.repo(AppointmentRepository).by_id(later.id)
        assert gone is not None and kept is not None
        assert (gone.name, gone.email, gone.phone, gone.purged) == ("", "", "", True)
        assert (gone.code, gone.status, gone.start_at) == (old.code, "booked", old.start_at)
        assert [s.service_id for s in gone.services] == [SERVICE]
        assert (kept.name, kept.email, kept.purged) == (
            "Erika Mustermann",
            "later@example.de",
            False,
        )
        entries = uow.session.scalars(
            select(appointments_tables.WaitlistEntry).order_by(appointments_tables.WaitlistEntry.id)
        ).all()
        assert [(e.status, e.name, e.email) for e in entries] == [
            ("left", "", ""),
            ("expired", "", ""),
            ("waiting", "Wartende Person", "warte@example.de"),
            ("left", "Wartende Person", "warte@example.de"),
        ]
    with UnitOfWork(engine) as uow:  # nothing left to do a second time
        again = purge_personal_data(uow, policy, now=old.end_at + timedelta(days=31))
        assert (again.appointments, again.waitlist) == (0, 0)


def test_housekeeping_purges_and_drops_old_finished_jobs(
    fresh_url: str, port: int, inbox: Inbox
) -> None:
    settings = settings_for(fresh_url, port, appointment_retention_days=30)
    engine = get_engine(fresh_url)
    visit = book(settings).appointment
    reminded = datetime(2027, 3, 2, 9, tzinfo=UTC)  # Tuesday, 10:00 in Kassel
    assert run_due(engine, settings, now=NOW) == 1  # the confirmation
    assert run_due(engine, settings, now=reminded) == 1  # the reminder
    waiting = add_job(
        fresh_url, "mail.confirmation", {"appointment": visit.id}, run_at=NOW + timedelta(days=400)
    )

    first = housekeeping(engine, settings, now=NOW + timedelta(days=30, hours=1))
    assert (first.deleted_jobs, first.purged_appointments, first.expired) == (1, 0, 0)
    assert [j.kind for j in jobs(fresh_url)] == ["mail.reminder", "mail.confirmation"]

    second = housekeeping(engine, settings, now=visit.end_at + timedelta(days=31))
    assert (second.deleted_jobs, second.purged_appointments) == (1, 1)
    assert [j.id for j in jobs(fresh_url)] == [waiting]  # still queued: kept
    assert len(inbox.messages) == 2


def test_the_worker_command_runs_what_is_due_once(fresh_url: str, port: int, inbox: Inbox) -> None:
    settings = settings_for(fresh_url, port)
    now = datetime.now(UTC)
    policy = BookingPolicy.from_settings(settings)
    with UnitOfWork(get_engine(fresh_url)) as uow:
        today = booking.local_day(now)
        found = booking.find_slots(
            uow, policy, service_ids=[SERVICE], location_id=OFFICE,
            first=today + timedelta(days=2), last=today + timedelta(days=30), now=now,
        )  # fmt: skip
        booking.book(
            uow, policy, service_ids=[SERVICE], location_id=OFFICE,
            start=booking.from_epoch_minutes(found[0].start),
            person=Person("Kommando Zeile", "cli@example.de"), now=now,
        )  # fmt: skip
        uow.commit()
    env = {
        **os.environ,
        "AUSKUNFT_DATABASE_URL": fresh_url,
        "AUSKUNFT_SMTP_PORT": str(port),
        "AUSKUNFT_SECRET_KEY": SECRET,
        "AUSKUNFT_PUBLIC_URL": "https://termine.kassel.example",
    }
    out = subprocess.run(
        [sys.executable, "-m", "auskunft.cli", "worker", "--once"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("1 Aufträge ausgeführt")
    assert [m["To"] for m in inbox.messages] == ["cli@example.de"]
    assert "https://termine.kassel.example/termin/" in str(inbox.messages[0].get_body(("plain",)))


def test_two_workers_expiring_at_once_end_a_reservation_once(fresh_url: str, port: int) -> None:
    settings = settings_for(fresh_url, port)
    book(
        settings, day=date(2027, 6, 5), location="kassel-trauort-rathaus", service="trauung-trauort"
    )
    engine = get_engine(fresh_url)
    later = NOW + timedelta(days=15)
    start = threading.Barrier(2)
    results: list[int] = []

    def work() -> None:
        start.wait()
        results.append(housekeeping(engine, settings, now=later).expired)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [0, 1]
    assert len(jobs(fresh_url, "mail.expired")) == 1
