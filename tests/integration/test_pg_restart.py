"""A PostgreSQL restart in the middle of bookings and concerns (issue 13, part 8).

The test starts its own PostgreSQL server (tests/pg_server.py: initdb and pg_ctl in a
temporary folder), creates the schema with `auskunft db init`, serves the app with
`auskunft serve` and keeps clients booking appointments, posting concerns and opening a
booking page. In the middle it stops the server (pg_ctl stop -m fast), leaves it down for
a moment and starts it again; the app is not restarted. Then:

- during the outage every request is answered 503 (a JSON error on the API, an HTML page
  for a page), never 500, and the server process lives on;
- after the database is back the app answers again by itself, within seconds, and every
  request sent after its first success succeeds (the pool drops the dead connections:
  pool_pre_ping, core/db/engine.py);
- every booking and concern answered 201 is stored as answered, with its one confirmation
  e-mail job; nothing is stored twice; only requests in flight at the shutdown may be
  stored without their 201.

`bench/pg_restart.py` runs the same restart three times and reports the figures
(docs/benchmarks.md, "PostgreSQL restart").
"""

from __future__ import annotations

import itertools
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from auskunft.access.service import create_api_token, create_user
from auskunft.appointments import tables as appointments
from auskunft.appointments.repository import AppointmentRepository
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs.tables import Job
from auskunft.forwarding.model import tracking
from auskunft.forwarding.service.concerns import MAIL_RECEIVED
from auskunft.forwarding.tables import Concern
from tests.integration.test_concern_faults import environment, healthy, process, wait_for
from tests.pg_server import PgServer, free_port, pg_server
from tests.web.test_cli import cli

LOCATION = "kassel-buergerbuero-rathaus"
SERVICE = "personalausweis-beantragen"
AGENT = "restart-agent"
PASSWORD = "Restart-Test-Passwort-2026!"
BOOKERS = 3  # threads booking appointments
POSTERS = 2  # threads posting concerns
READERS = 1  # threads opening the booking page (HTML)
PAUSE = 0.02  # seconds between one client's requests
WARM = 30  # successful answers before the database goes down
DOWN = 2.0  # seconds the database stays down
AFTER = 3.0  # seconds of requests after the first success once it is back
RECOVERY_LIMIT = 10.0  # seconds the app may take to answer again after the database is back


@dataclass
class Answer:
    kind: str  # booking, concern, page
    sent: float  # time.monotonic() when sent
    done: float  # ... when answered
    status: int
    content_type: str = ""
    error_code: str = ""  # the JSON error's code
    retry_after: str = ""
    ident: str = ""  # the booking's code, the concern's id
    detail: str = ""  # the booking's start, the concern's tracking code; the text of a failure


@dataclass
class Outcome:
    """What the clients saw around one outage (times are time.monotonic())."""

    answers: list[Answer]
    down_at: float  # pg_ctl stop was called
    back_at: float  # pg_ctl start returned: the database takes connections again
    server_pid: int
    server_alive: bool
    emails: dict[str, str] = field(default_factory=dict)  # booking code -> e-mail
    questions: dict[int, str] = field(default_factory=dict)  # concern id -> question

    @property
    def first_success(self) -> Answer | None:
        """The first answer with a 2xx after the database was back."""
        after = [a for a in self.answers if a.done >= self.back_at and 200 <= a.status < 300]
        return min(after, key=lambda a: a.done, default=None)

    @property
    def recovery_seconds(self) -> float | None:
        """From the database being back to the first success."""
        first = self.first_success
        return None if first is None else first.done - self.back_at

    @property
    def failures(self) -> list[Answer]:
        # A 409 is a booking that came second for a counter: an answer, not a failure.
        return [a for a in self.answers if not (200 <= a.status < 300 or a.status == 409)]

    def errors_by_status(self) -> Counter[int]:
        return Counter(a.status for a in self.failures)

    def failed_after_recovery(self) -> list[Answer]:
        first = self.first_success
        return [a for a in self.failures if first is not None and a.sent >= first.done]


# --- the clients ------------------------------------------------------------------------


def free_starts(base_url: str, window: int = 0) -> list[str]:
    """Free start times in two weeks from a week ahead (beyond the days held for phone
    callers); `window` moves them on by two weeks each (for several runs on one database)."""
    first = datetime.now(UTC).date() + timedelta(days=7 + 14 * window)
    answer = httpx.get(
        f"{base_url}/api/v1/slots",
        params={
            "service": SERVICE,
            "location": LOCATION,
            "from": first.isoformat(),
            "to": (first + timedelta(days=14)).isoformat(),
        },
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    starts = [slot["start"] for slot in answer.json()["slots"]]
    assert len(starts) > 100, len(starts)
    return starts


def concern(number: int, run: str) -> dict[str, Any]:
    return {
        "question": f"Anliegen {run}-{number}: Wann ist mein Ausweis fertig?",
        "channel": "115",
        "citizen": {"name": f"Erika Mustermann {number}", "email": f"c{number}-{run}@example.org"},
        "consent": True,
    }


def booking(number: int, run: str, start: str) -> dict[str, Any]:
    return {
        "services": [SERVICE],
        "location": LOCATION,
        "start": start,
        "name": f"Max Mustermann {number}",
        "email": f"b{number}-{run}@example.org",
    }


def _answer(kind: str, sent: float, response: httpx.Response) -> Answer:
    found = Answer(
        kind=kind,
        sent=sent,
        done=time.monotonic(),
        status=response.status_code,
        content_type=response.headers.get("content-type", ""),
        retry_after=response.headers.get("retry-after", ""),
    )
    if found.content_type.startswith("application/json"):
        body = response.json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            found.error_code = str(body["error"].get("code", ""))
    return found


class Clients:
    """Threads that book, post concerns and open a page until told to stop."""

    def __init__(self, base_url: str, token: str, starts: list[str], run: str) -> None:
        self.base_url = base_url
        self.token = token
        self.run = run
        self.answers: list[Answer] = []
        self.emails: dict[str, str] = {}
        self.questions: dict[int, str] = {}
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.numbers = itertools.count()
        self.starts = itertools.cycle(starts)
        self.day = starts[0][:10]
        self.threads = [
            threading.Thread(target=self._loop, args=(kind,), daemon=True)
            for kind in ["booking"] * BOOKERS + ["concern"] * POSTERS + ["page"] * READERS
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def successes(self) -> int:
        with self.lock:
            return sum(1 for a in self.answers if 200 <= a.status < 300)

    def _one(self, client: httpx.Client, kind: str) -> Answer:
        with self.lock:
            number = next(self.numbers)
            start = next(self.starts)
        sent = time.monotonic()
        if kind == "booking":
            payload = booking(number, self.run, start)
            response = client.post("/api/v1/appointments", json=payload)
            found = _answer(kind, sent, response)
            if response.status_code == 201:
                data = response.json()
                found.ident, found.detail = data["code"], data["start"]
                with self.lock:
                    self.emails[data["code"]] = str(payload["email"])
        elif kind == "concern":
            payload = concern(number, self.run)
            response = client.post(
                "/api/v1/concerns",
                json=payload,
                headers={"Authorization": f"Bearer {self.token}"},
            )
            found = _answer(kind, sent, response)
            if response.status_code == 201:
                data = response.json()
                found.ident = str(data["id"])
                found.detail = str(tracking.normalize(data["tracking_code"]))
                with self.lock:
                    self.questions[int(data["id"])] = str(payload["question"])
        else:
            response = client.get(
                f"/termin/buchen/{SERVICE}",
                params={"standort": LOCATION, "tag": self.day},
                headers={"Accept": "text/html"},
            )
            found = _answer(kind, sent, response)
        if not (200 <= found.status < 300 or found.status == 409):
            found.detail = response.text[:300]
        return found

    def _loop(self, kind: str) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30.0) as client:
            while not self.stopping.is_set():
                try:
                    found = self._one(client, kind)
                except httpx.TransportError as exc:  # the app itself did not answer
                    found = Answer(kind, time.monotonic(), time.monotonic(), 0, detail=repr(exc))
                with self.lock:
                    self.answers.append(found)
                time.sleep(PAUSE)


# --- the scenario (shared with bench/pg_restart.py) ---------------------------------------


def init_schema(server: PgServer) -> None:
    """The schema and the demo catalog, as an operator makes them: `auskunft db init`."""
    made = cli(server.url, "db", "init")
    assert made.returncode == 0, made.stderr


@contextmanager
def serving(server: PgServer, data_dir: Path) -> Iterator[tuple[str, str, Any]]:
    """A staff token and `auskunft serve` on the database (with its schema): yields the
    app's address, the token and the server process."""
    now = datetime.now(UTC)
    engine = get_engine(server.url)
    with UnitOfWork(engine) as uow:
        create_user(uow, AGENT, "agent", PASSWORD, now)
        token = create_api_token(uow, "restart-token", now, username=AGENT)
        uow.commit()
    engine.dispose()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    # A year to book in: bench/pg_restart.py books two more weeks full in each run.
    env = environment(server.url, data_dir, AUSKUNFT_BOOKING_HORIZON_DAYS="365")
    with process(serve, env, log) as app:
        wait_for("/healthz", lambda: healthy(base_url, app), 90, log)
        yield base_url, token, app


def restart_under_load(
    server: PgServer,
    base_url: str,
    token: str,
    app: Any,
    *,
    run: str,
    down: float = DOWN,
    window: int = 0,
) -> Outcome:
    """Clients at work; the database stops (fast), stays down `down` seconds and starts
    again; the clients go on until the app answered again and AFTER seconds more."""
    clients = Clients(base_url, token, free_starts(base_url, window), run)
    clients.start()
    try:
        wait_for(f"{WARM} successes", lambda: clients.successes() >= WARM, 60)
        down_at = time.monotonic()
        if down > 0:
            server.stop("fast")
            time.sleep(down)
            server.start()
        else:
            server.restart()
        back_at = time.monotonic()

        def answered_again() -> bool:
            with clients.lock:
                return any(a.done >= back_at and 200 <= a.status < 300 for a in clients.answers)

        wait_for("a success after the restart", answered_again, RECOVERY_LIMIT * 3)
        time.sleep(AFTER)
    finally:
        clients.stop()
    return Outcome(
        answers=sorted(clients.answers, key=lambda a: a.sent),
        down_at=down_at,
        back_at=back_at,
        server_pid=app.pid,
        server_alive=app.poll() is None,
        emails=clients.emails,
        questions=clients.questions,
    )


@dataclass
class Stored:
    """What the database holds of one run's bookings and concerns."""

    bookings: dict[str, tuple[str, str]]  # code -> (start, e-mail)
    bookings_per_email: Counter[str]
    confirmations: Counter[str]  # booking code -> its mail.confirmation jobs
    concerns: dict[int, str]  # id -> tracking code
    concerns_per_question: Counter[str]
    received_mails: Counter[int]  # concern id -> its concern.received jobs
    mails_without_concern: int


def stored(url: str, run: str) -> Stored:
    engine = get_engine(url)
    with UnitOfWork(engine) as uow:
        booked = uow.session.execute(
            select(
                appointments.Appointment.id,
                appointments.Appointment.code,
                appointments.Appointment.start_at,
                appointments.Appointment.email,
            ).where(appointments.Appointment.email.like(f"%-{run}@example.org"))
        ).all()
        posted = uow.session.execute(
            select(Concern.id, Concern.tracking_code, Concern.question).where(
                Concern.question.like(f"Anliegen {run}-%")
            )
        ).all()
        jobs = uow.session.execute(
            select(Job.kind, Job.payload).where(Job.kind.in_(["mail.confirmation", MAIL_RECEIVED]))
        ).all()
        all_concerns = set(uow.session.scalars(select(Concern.id)))
    engine.dispose()
    code_of = {row_id: code for row_id, code, _, _ in booked}
    ours = {row_id for row_id, _, _ in posted}
    confirmations: Counter[str] = Counter()
    received: Counter[int] = Counter()
    for kind, payload in jobs:
        if kind == "mail.confirmation" and int(payload["appointment"]) in code_of:
            confirmations[code_of[int(payload["appointment"])]] += 1
        elif kind == MAIL_RECEIVED and int(payload["concern"]) in ours:
            received[int(payload["concern"])] += 1
    orphans = sum(
        1
        for kind, payload in jobs
        if kind == MAIL_RECEIVED and int(payload["concern"]) not in all_concerns
    )
    return Stored(
        bookings={
            code: (start.astimezone(UTC).isoformat(), email) for _, code, start, email in booked
        },
        bookings_per_email=Counter(email for *_, email in booked),
        confirmations=confirmations,
        concerns={row_id: code for row_id, code, _ in posted},
        concerns_per_question=Counter(question for *_, question in posted),
        received_mails=received,
        mails_without_concern=orphans,
    )


def check_stored(outcome: Outcome, found: Stored) -> None:
    """Nothing answered 201 is lost, nothing is stored twice, each has its one e-mail job;
    stored without a 201 is only what was in flight when the database went away."""
    answers = outcome.answers
    booked = {a.ident: a.detail for a in answers if a.kind == "booking" and a.status == 201}
    assert booked, "no booking succeeded"
    for code, start in booked.items():
        assert code in found.bookings, f"booking {code} answered 201 but not stored"
        assert datetime.fromisoformat(found.bookings[code][0]) == datetime.fromisoformat(start)
        assert found.bookings[code][1] == outcome.emails[code]
    assert all(n == 1 for n in found.bookings_per_email.values()), found.bookings_per_email
    assert all(found.confirmations[code] == 1 for code in found.bookings), found.confirmations
    posted = {int(a.ident): a.detail for a in answers if a.kind == "concern" and a.status == 201}
    assert posted, "no concern succeeded"
    for concern_id, code in posted.items():
        assert found.concerns.get(concern_id) == code, f"concern {concern_id} lost"
    assert all(n == 1 for n in found.concerns_per_question.values())
    assert all(found.received_mails[i] == 1 for i in found.concerns), found.received_mails
    assert found.mails_without_concern == 0
    in_flight = Counter(a.kind for a in outcome.failures if a.sent <= outcome.down_at)
    unanswered_bookings = set(found.bookings) - set(booked)
    unanswered_concerns = set(found.concerns) - set(posted)
    assert len(unanswered_bookings) <= in_flight["booking"], unanswered_bookings
    assert len(unanswered_concerns) <= in_flight["concern"], unanswered_concerns


def report(line: str) -> None:
    print(f"\n[pg restart] {line}", file=sys.stderr)


def summary(outcome: Outcome) -> str:
    recovery = outcome.recovery_seconds
    errors = ", ".join(f"{n} × {s}" for s, n in sorted(outcome.errors_by_status().items()))
    return (
        f"{len(outcome.answers)} requests, errors: {errors or 'none'}; first success "
        f"{recovery:.2f} s after the database was back"
        if recovery is not None
        else "no success"
    )


# --- the test -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[PgServer]:
    with pg_server() as server:
        init_schema(server)
        yield server


def _terminate(server: PgServer, pid: int) -> None:
    """End one server process (a session), as a restart ends all of them."""
    admin = create_engine(server.admin_url.replace("postgresql://", "postgresql+psycopg://"))
    with admin.connect() as conn:
        assert conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()


def test_a_unit_of_work_whose_connection_died_ends_without_an_error(database: PgServer) -> None:
    # A page whose unit of work ends after the answer was sent: an error while rolling
    # back on the dead connection dropped the connection to the browser instead.
    engine = get_engine(database.url)
    with UnitOfWork(engine) as uow:
        _terminate(database, uow.session.execute(text("select pg_backend_pid()")).scalar_one())
    engine.dispose()


def test_a_lost_connection_in_the_slot_search_is_a_database_error_not_a_driver_error(
    database: PgServer,
) -> None:
    # The slot search reads on the driver's own cursor; its error was psycopg's, which
    # the web answered with 500 instead of 503.
    engine = get_engine(database.url)
    with UnitOfWork(engine) as uow:
        repository = uow.repo(AppointmentRepository)
        _terminate(database, uow.session.execute(text("select pg_backend_pid()")).scalar_one())
        with pytest.raises(OperationalError):
            repository.busy(LOCATION, 0, 60)
    engine.dispose()


def test_a_postgresql_restart_answers_503_loses_nothing_and_recovers_without_a_restart(
    database: PgServer, tmp_path: Path
) -> None:
    with serving(database, tmp_path) as (base_url, token, app):
        outcome = restart_under_load(database, base_url, token, app, run="t")
    report(summary(outcome))
    answers = outcome.answers

    # The app answered every request (no dropped connection) and never with a 500.
    assert [a for a in answers if a.status == 0] == []
    assert outcome.errors_by_status().keys() <= {503}, outcome.errors_by_status()
    assert outcome.server_alive, "the app died with its database"
    # The outage was seen, and each failure is the documented 503: JSON on the API, an
    # HTML page for a page, both with Retry-After.
    failed = outcome.failures
    assert {a.kind for a in failed} == {"booking", "concern", "page"}, Counter(
        a.kind for a in failed
    )
    for a in failed:
        assert a.sent <= outcome.back_at and a.done >= outcome.down_at, a
        assert a.retry_after, a
        if a.kind == "page":
            assert a.content_type.startswith("text/html"), a
        else:
            assert a.content_type.startswith("application/json"), a
            assert a.error_code == "unavailable", a
    # Back by itself, soon, and for good.
    recovery = outcome.recovery_seconds
    assert recovery is not None and recovery < RECOVERY_LIMIT, summary(outcome)
    assert outcome.failed_after_recovery() == []

    check_stored(outcome, stored(database.url, "t"))
