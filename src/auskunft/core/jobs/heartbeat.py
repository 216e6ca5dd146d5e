"""The workers' heartbeats: is some worker going round, or has none for a while?

Each worker loop (`auskunft worker`, or the web process's inline thread) keeps a row
in `worker_heartbeats` under a name of its own and touches it as it goes round: at the
start of every round and after the jobs it runs, at most every `EVERY` seconds, so a
quiet worker writes a few times a minute and a busy one no more. A stuck worker (a
mail server that does not answer) stops touching it. `/readyz` reads the newest beat
of any worker; a worker that stops cleanly removes its row, and rows of workers that
died are dropped after `FORGET`.

The beats use each host's clock (kept by NTP, as the job leases already assume).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal, cast

from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from auskunft.core.jobs.tables import WorkerHeartbeat

log = logging.getLogger("auskunft.worker")

EVERY = 10.0  # seconds between two writes of one worker's beat
FORGET = timedelta(days=1)

WorkerState = Literal["ok", "stale", "absent"]

_TABLE = cast(Table, WorkerHeartbeat.__table__)


def _now() -> datetime:
    return datetime.now(UTC)


def worker_name(*, once: bool = False) -> str:
    """A name no other worker has: host, process and a random part (several apps, tests);
    `once`: the host's one row for `auskunft worker --once` (cron), kept across runs."""
    host = socket.gethostname()[:80]
    return f"{host}:once" if once else f"{host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Heartbeat:
    """One worker's beat; `beat()` is cheap to call often (it writes at most every `every`
    seconds) and never raises: a database that is away is the loop's business."""

    def __init__(self, engine: Engine, *, name: str | None = None, every: float = EVERY) -> None:
        self.engine = engine
        self.name = name or worker_name()
        self.every = every
        self.started_at = _now()
        self._written = float("-inf")  # monotonic time of the last write

    def beat(self) -> None:
        """Say that this worker is going round (written if the last write is `every` old)."""
        if time.monotonic() - self._written < self.every:
            return
        now = _now()
        try:
            with self.engine.begin() as connection:
                touched = connection.execute(
                    update(_TABLE).where(_TABLE.c.worker == self.name).values(beat_at=now)
                ).rowcount
                if not touched:
                    connection.execute(
                        insert(_TABLE).values(
                            worker=self.name, started_at=self.started_at, beat_at=now
                        )
                    )
                    # Once per start is enough to drop what workers that died left.
                    connection.execute(delete(_TABLE).where(_TABLE.c.beat_at < now - FORGET))
        except SQLAlchemyError as exc:
            log.debug("heartbeat not written: %s", exc)
            return
        self._written = time.monotonic()

    def stop(self) -> None:
        """Remove this worker's row (it ends cleanly, so nobody waits for its next beat)."""
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(_TABLE).where(_TABLE.c.worker == self.name))
        except SQLAlchemyError as exc:
            log.debug("heartbeat not removed: %s", exc)


def last_beat(connection: Connection) -> datetime | None:
    """The newest beat of any worker, or None when no worker has a row."""
    found: datetime | None = connection.execute(select(func.max(_TABLE.c.beat_at))).scalar()
    if found is not None and found.tzinfo is None:
        # max() hands back the stored value without the column's type on SQLite.
        found = found.replace(tzinfo=UTC)
    return found


def worker_state(beat: datetime | None, *, now: datetime, stale_after: timedelta) -> WorkerState:
    """ok: some worker beat within `stale_after`; stale: only longer ago; absent: never."""
    if beat is None:
        return "absent"
    return "ok" if now - beat <= stale_after else "stale"
