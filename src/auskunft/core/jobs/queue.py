"""The job table: putting work on it, and claiming, finishing and retrying it.

A job is claimed with one conditional UPDATE whose row count says whether this
worker won it, so two workers (threads, processes or hosts) never run the same
job; a worker that died mid-job leaves a lease that runs out, and the job is
claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from auskunft.core.jobs import tables as t

# Minutes to wait after the first, second ... failed attempt; the fifth failure is final.
RETRY_MINUTES = (1, 5, 30, 120)
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds until `locked_until`."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int  # including this one


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None = None,
) -> None:
    """Add a job in the caller's transaction, so it exists exactly when the change does."""
    enqueue_all(session, [(kind, payload, run_at)], now=now)


# Built once; the rows are bound per call (one statement for all of a change's jobs).
_INSERT = insert(cast(Table, t.Job.__table__))


def enqueue_all(
    session: Session,
    jobs: Sequence[tuple[str, dict[str, Any], datetime | None]],
    *,
    now: datetime,
) -> None:
    """Add several jobs (kind, payload, run at or None for now) in one statement."""
    if not jobs:
        return
    rows = [
        {
            "kind": kind,
            "payload": payload,
            "status": "queued",
            "run_at": run_at or now,
            "attempts": 0,
            "last_error": "",
            "created_at": now,
        }
        for kind, payload, run_at in jobs
    ]
    session.connection().execute(_INSERT, rows)


def _claimable(now: datetime) -> Any:
    """Due queued jobs, and running ones whose worker's lease ran out."""
    return or_(
        and_(t.Job.status == "queued", t.Job.run_at <= now),
        and_(t.Job.status == "running", t.Job.locked_until < now),
    )


def due_ids(session: Session, now: datetime, limit: int) -> list[int]:
    """Ids of jobs that could be claimed now, oldest due first."""
    query = select(t.Job.id).where(_claimable(now)).order_by(t.Job.run_at, t.Job.id).limit(limit)
    return list(session.scalars(query))


def claim(session: Session, job_id: int, *, now: datetime, lease: timedelta) -> bool:
    """Take a job for this worker; False when another worker was first.

    The WHERE clause repeats the claimable condition: on PostgreSQL a second
    UPDATE waits for the first and then re-checks it against the new row, on
    SQLite writers queue; either way only one UPDATE counts a row.
    """
    statement = (
        update(t.Job)
        .where(t.Job.id == job_id, _claimable(now))
        .values(status="running", locked_until=now + lease, attempts=t.Job.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return int(session.execute(statement).rowcount) == 1  # type: ignore[attr-defined]


def claimed(session: Session, job_id: int) -> ClaimedJob:
    """The claimed job's kind, payload and attempt number."""
    kind, payload, attempts = session.execute(
        select(t.Job.kind, t.Job.payload, t.Job.attempts).where(t.Job.id == job_id)
    ).one()
    return ClaimedJob(job_id, kind, dict(payload or {}), attempts)


def _mine(job: ClaimedJob) -> Any:
    # Still ours: a worker whose lease ran out must not overwrite the next one's result.
    return and_(t.Job.id == job.id, t.Job.status == "running", t.Job.attempts == job.attempts)


def finish(session: Session, job: ClaimedJob, *, now: datetime) -> None:
    """Mark a job done."""
    session.execute(
        update(t.Job)
        .where(_mine(job))
        .values(status="done", finished_at=now, locked_until=None)
        .execution_options(synchronize_session=False)
    )


def fail(
    session: Session, job: ClaimedJob, error: str, *, now: datetime, final: bool = False
) -> bool:
    """Record a failed attempt; queue the job again after a pause or give up. True: retried."""
    retry = not final and job.attempts < MAX_ATTEMPTS
    values: dict[str, Any] = {"last_error": error[:2000], "locked_until": None}
    if retry:
        values |= {
            "status": "queued",
            "run_at": now + timedelta(minutes=RETRY_MINUTES[job.attempts - 1]),
        }
    else:
        values |= {"status": "failed", "finished_at": now}
    session.execute(
        update(t.Job)
        .where(_mine(job))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return retry


def delete_finished(session: Session, *, before: datetime) -> int:
    """Remove done and failed jobs that finished before a moment; return how many."""
    statement = delete(t.Job).where(
        t.Job.status.in_(("done", "failed")), t.Job.finished_at < before
    )
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]
