"""What the search slice plugs into the core: the dense vectors of changed services,
computed by the background worker (`search.embed`), so the first search after a
publication finds them cached instead of computing them itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.registry import Registry
from auskunft.search.model import dense
from auskunft.search.service.embeddings import (
    EMBED_JOB,
    embed_missing,
    ensure_vectors,
    service_texts,
)


def embed(engine: Engine, settings: Any, kind: str, payload: dict[str, Any], now: datetime) -> None:
    """Compute the vectors of the published service (or, without one named, of every
    service that lacks them)."""
    if not dense.enabled():
        return
    with UnitOfWork(engine) as uow:
        service = payload.get("service")
        if isinstance(service, str):
            rows = catalog_reads.services_by_id(uow, [service])
            ensure_vectors(uow, service_texts(rows.values()))
            uow.commit()
        else:
            embed_missing(uow)


def setup(registry: Registry) -> None:
    registry.job(EMBED_JOB, embed)
