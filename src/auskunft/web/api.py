"""JSON API v1: search, services, authorities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from auskunft.db.uow import UnitOfWork
from auskunft.services import catalog
from auskunft.services.search import DEFAULT_MUNICIPALITY, SearchEngine, answer_question

router = APIRouter(prefix="/api/v1")


def _engine(request: Request) -> SearchEngine:
    engine: SearchEngine = request.app.state.search
    return engine


@router.get("/search")
def search(
    request: Request,
    q: Annotated[str | None, Query(description="Die Frage des Anrufenden")] = None,
    municipality: Annotated[str | None, Query()] = None,
    participant: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Rank services for a question, with the responsible authority."""
    return answer_question(
        _engine(request),
        q="" if q is None else q,
        municipality=municipality or None,
        participant=participant or None,
        limit=limit,
    )


@router.get("/services/{service_id}")
def service(request: Request, service_id: str, municipality: str | None = None) -> dict[str, Any]:
    """Return a service's full record and the office responsible for the municipality."""
    engine = _engine(request)
    snap = engine.snapshot()
    with UnitOfWork(engine.engine) as uow:
        return catalog.get_service(
            uow,
            snap.jurisdiction,
            service_id=service_id,
            municipality=municipality or DEFAULT_MUNICIPALITY,
        )


@router.get("/services/{service_id}/history")
def service_history(request: Request, service_id: str) -> list[dict[str, Any]]:
    """Return who changed a service when, and what."""
    with UnitOfWork(_engine(request).engine) as uow:
        return catalog.service_history(uow, service_id=service_id)


@router.get("/authorities/{authority_id}")
def authority(request: Request, authority_id: str) -> dict[str, Any]:
    """Return an authority's contact data and opening hours."""
    with UnitOfWork(_engine(request).engine) as uow:
        return catalog.get_authority(uow, authority_id=authority_id)
