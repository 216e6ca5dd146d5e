"""The worker: runs due jobs, retries failures with a pause, and does the housekeeping.

It runs as `auskunft worker` (production, any number of processes) or as a
thread of the web app (`AUSKUNFT_WORKER=inline`, the embedded default). A job
is claimed with a conditional UPDATE (see `jobs.queue.claim`), so running
several workers is safe. Nothing a job does may stop the loop: a failure is
recorded on the job, and the job is tried again later.

The worker names no feature: the job kinds and the periodic tasks are what
the slices registered (`core.registry`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.jobs import queue
from auskunft.core.jobs.heartbeat import Heartbeat
from auskunft.core.mail import outbox
from auskunft.core.registry import registry

log = logging.getLogger("auskunft.worker")

LEASE = timedelta(minutes=5)  # longer than any SMTP conversation (smtp_timeout <= 120 s)
HOUSEKEEPING_SECONDS = 60.0
BATCH = 20


def _now() -> datetime:
    return datetime.now(UTC)


def _describe(exc: BaseException) -> str:
    """The error for the job row: the exception and what caused it (e.g. the SMTP refusal)."""
    text = f"{type(exc).__name__}: {exc}"
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        text += f" ({type(cause).__name__}: {cause})"
    return text


def _run_one(engine: Engine, settings: Any, job: queue.ClaimedJob, now: datetime) -> None:
    """Run a claimed job and record the outcome; never raises for the job's own failure."""
    handler = registry().jobs.get(job.kind)
    error = ""
    if handler is None:
        error = f"unknown job kind {job.kind!r}"
    else:
        try:
            with outbox.job_mails(engine, job.id):  # its mails are sent once, also on a retry
                handler(engine, settings, job.kind, job.payload, now)
        except Exception as exc:  # any failure belongs on the job, not in the loop
            error = _describe(exc)
    with UnitOfWork(engine) as uow:
        if not error:
            queue.finish(uow.session, job, now=now)
        elif handler is None:
            # No handler will appear by waiting: fail at once, keeping the reason.
            queue.fail(uow.session, job, error, now=now, final=True)
        elif queue.fail(uow.session, job, error, now=now):
            log.warning("job %s (%s) failed, will retry: %s", job.id, job.kind, error)
        else:
            log.error("job %s (%s) failed for good: %s", job.id, job.kind, error)
        uow.commit()


def run_due(
    engine: Engine,
    settings: Any,
    *,
    now: datetime | None = None,
    limit: int = 1000,
    beat: Callable[[], None] | None = None,
) -> int:
    """Claim and run the jobs due now, one at a time; return how many ran.

    With `now` given (tests, replays) every job runs at that moment;
    otherwise each job is claimed at the current time. `beat` is called after each
    job (the worker's heartbeat, so a long backlog does not look like a stuck loop).
    """
    ran = 0
    while ran < limit:
        moment = now or _now()
        with UnitOfWork(engine) as uow:
            ids = queue.due_ids(uow.session, moment, min(BATCH, limit - ran))
        if not ids:
            break
        progressed = False
        for job_id in ids:
            moment = now or _now()
            with UnitOfWork(engine) as uow:
                if not queue.claim(uow.session, job_id, now=moment, lease=LEASE):
                    continue  # another worker was first
                job = queue.claimed(uow.session, job_id)
                uow.commit()
            progressed = True
            _run_one(engine, settings, job, moment)
            ran += 1
            if beat is not None:
                beat()
        if not progressed:
            break
    return ran


class Housekept(dict[str, int]):
    """What one round of housekeeping did: counts by name (`done.expired`, `done["expired"]`)."""

    def __getattr__(self, name: str) -> int:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def housekeeping(engine: Engine, settings: Any, *, now: datetime | None = None) -> Housekept:
    """Run every slice's periodic tasks (in the order they registered), then drop old
    finished jobs."""
    now = now or _now()
    done = Housekept()
    for task in registry().periodic.values():
        done.update(task(engine, settings, now))
    with UnitOfWork(engine) as uow:
        before = now - timedelta(days=settings.job_retention_days)
        done["deleted_jobs"] = queue.delete_finished(uow.session, before=before)
        outbox.forget_before(uow, before)
        uow.commit()
    return done


def run_forever(
    engine: Engine,
    settings: Any,
    *,
    stop: threading.Event,
    interval: float | None = None,
) -> None:
    """Run due jobs every `interval` seconds and the housekeeping every minute, until `stop`.

    The loop keeps a heartbeat (core.jobs.heartbeat) that `/readyz` reads.
    """
    interval = interval or settings.worker_interval_seconds
    heart = Heartbeat(engine)
    next_housekeeping = 0.0
    while not stop.is_set():
        heart.beat()
        try:
            if time.monotonic() >= next_housekeeping:
                next_housekeeping = time.monotonic() + HOUSEKEEPING_SECONDS
                housekeeping(engine, settings)
            run_due(engine, settings, beat=heart.beat)
        except Exception:  # the database may be away for a moment; try again next round
            log.exception("worker round failed")
        stop.wait(interval)
    heart.stop()


class InlineWorker:
    """The worker as a daemon thread of the web process (the embedded default)."""

    def __init__(self, engine: Engine, settings: Any) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=run_forever,
            args=(self.engine, self.settings),
            kwargs={"stop": self._stop},
            name="auskunft-worker",
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the loop to end and wait for the job in hand (an SMTP conversation at most)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
