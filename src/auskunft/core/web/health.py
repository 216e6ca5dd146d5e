"""`/healthz` (the process answers) and `/readyz` (it can do its work: the database
answers and a worker goes round), for load balancers, orchestrators and monitoring.

`/healthz` touches nothing: it is alive as long as the event loop answers. `/readyz`
asks the database for `SELECT 1` and the newest worker heartbeat (core.jobs.heartbeat)
within `READY_TIMEOUT` seconds, and answers 200 `{"status": "ok", ...}` or 503
`{"status": "unavailable", "database": "ok|down", "worker": "ok|stale|absent|unknown"}`
(`unknown`: the database that keeps the heartbeats is down). See docs/operations.md.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from auskunft.core.jobs.heartbeat import WorkerState, last_beat, worker_state

router = APIRouter(include_in_schema=False)

READY_TIMEOUT = 2.0  # seconds for the whole database probe, connecting included
NO_STORE = {"Cache-Control": "no-store"}

# Probes run here, not in the request thread pool: a database that hangs ties up these
# two threads at most, and later probes wait their turn and time out as "down".
_PROBES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="auskunft-readyz")

DatabaseState = Literal["ok", "down"]


def _probe(engine: Engine) -> datetime | None:
    """SELECT 1 and the newest worker heartbeat; raises when the database does not answer."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # The transaction's own limit, so a blocked server cannot hold the probe.
            timeout_ms = int(READY_TIMEOUT * 1000)
            connection.execute(text(f"SET LOCAL statement_timeout = {timeout_ms}"))
        connection.execute(text("SELECT 1"))
        return last_beat(connection)


async def readiness(engine: Engine, stale_after: timedelta) -> tuple[DatabaseState, str]:
    """The database's state and the worker's (`unknown` while the database is down)."""
    loop = asyncio.get_running_loop()
    try:
        beat = await asyncio.wait_for(
            loop.run_in_executor(_PROBES, _probe, engine), timeout=READY_TIMEOUT
        )
    except (SQLAlchemyError, TimeoutError):
        return "down", "unknown"
    worker: WorkerState = worker_state(beat, now=datetime.now(UTC), stale_after=stale_after)
    return "ok", worker


@router.get("/healthz")
def healthz() -> JSONResponse:
    """Alive: the process answers (no database)."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready: the database answers and a worker's heartbeat is fresh; else 503 naming what."""
    settings = request.app.state.settings
    stale_after = timedelta(seconds=settings.worker_stale_seconds)
    database, worker = await readiness(request.app.state.engine, stale_after)
    ready = database == "ok" and worker == "ok"
    body = {"status": "ok" if ready else "unavailable", "database": database, "worker": worker}
    return JSONResponse(body, status_code=200 if ready else 503, headers=NO_STORE)
