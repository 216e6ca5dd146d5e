"""Putting work on the job table; the worker claims and runs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from auskunft.db import tables as t


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    run_at: datetime | None = None,
) -> None:
    """Add a job in the caller's transaction, so it exists exactly when the change does."""
    session.add(
        t.Job(
            kind=kind,
            payload=payload,
            status="queued",
            run_at=run_at or now,
            attempts=0,
            last_error="",
            created_at=now,
        )
    )
