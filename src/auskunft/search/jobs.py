"""What the search slice plugs into the core: the dense vectors of changed services,
computed by the background worker (`search.embed`), so the first search after a
publication finds them cached instead of computing them itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.registry import Registry
from auskunft.search.model import dense
from auskunft.search.service.embeddings import EMBED_JOB, embed_missing


def embed(engine: Engine, settings: Any, kind: str, payload: dict[str, Any], now: datetime) -> None:
    """Compute the vectors every service lacks (a publication's few texts)."""
    if not dense.enabled():
        return
    with UnitOfWork(engine) as uow:
        embed_missing(uow)


def setup(registry: Registry) -> None:
    registry.job(EMBED_JOB, embed)
