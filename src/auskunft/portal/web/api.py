"""JSON API v1 of the catalog: search, services, authorities."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from auskunft.catalog.model.jurisdiction import DEFAULT_MUNICIPALITY
from auskunft.catalog.service import queries as catalog
from auskunft.core.web.deps import Uow, component
from auskunft.core.web.openapi import errors
from auskunft.search.service.engine import SearchEngine, answer_question

router = APIRouter(prefix="/api/v1")

Search = Annotated[SearchEngine, Depends(component(SearchEngine))]


@router.get("/search", responses=errors(422, 503))
def search(
    engine: Search,
    q: Annotated[str | None, Query(description="Die Frage des Anrufenden")] = None,
    municipality: Annotated[str | None, Query()] = None,
    participant: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Rank services for a question, with the responsible authority."""
    return answer_question(
        engine,
        q="" if q is None else q,
        municipality=municipality or None,
        participant=participant or None,
        limit=limit,
    )


@router.get("/services/{service_id}", responses=errors(404, 422, 503))
def service(
    uow: Uow, engine: Search, service_id: str, municipality: str | None = None
) -> dict[str, Any]:
    """Return a service's full record and the office responsible for the municipality."""
    return catalog.get_service(
        uow,
        engine.snapshot().jurisdiction,
        service_id=service_id,
        municipality=municipality or DEFAULT_MUNICIPALITY,
    )


@router.get("/authorities/{authority_id}", responses=errors(404, 422, 503))
def authority(uow: Uow, authority_id: str) -> dict[str, Any]:
    """Return an authority's contact data and opening hours."""
    return catalog.get_authority(uow, authority_id=authority_id)
