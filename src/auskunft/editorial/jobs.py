"""What the editorial slice plugs into the core: the gap loop's listeners (portal searches,
desk contacts), scheduled publications, folding and forgetting of gaps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.events import Phase
from auskunft.core.registry import Registry
from auskunft.desk.model.events import QuestionLogged
from auskunft.editorial.service import drafts, gaps
from auskunft.portal.model.events import ResultOpened, SearchAsked


def search_asked(uow: UnitOfWork, event: SearchAsked) -> None:
    gaps.searched(uow, event.query, event.results, event.session, event.at)


def result_opened(uow: UnitOfWork, event: ResultOpened) -> None:
    gaps.opened(uow, event.query, event.session)


def question_logged(uow: UnitOfWork, event: QuestionLogged) -> None:
    gaps.contact_logged(
        uow,
        event.query,
        service_id=event.service_id,
        outcome=event.outcome,
        key=str(event.contact_id),
        at=event.at,
    )


def publish_due(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """Publish the approved changes whose time has come."""
    with UnitOfWork(engine) as uow:
        done = drafts.publish_due(uow, now)
        uow.commit()
    return {"published": len(done)}


def gap_housekeeping(engine: Engine, settings: Any, now: datetime) -> Mapping[str, int]:
    """Searches nobody opened a result of become gaps; gaps older than 90 days go."""
    with UnitOfWork(engine) as uow:
        folded = gaps.fold(uow, now)
        forgotten = gaps.forget(uow, now)
        uow.commit()
    return {"folded": folded, "forgotten": forgotten}


def setup(registry: Registry) -> None:
    registry.listen(SearchAsked, search_asked, Phase.IN_TRANSACTION)
    registry.listen(ResultOpened, result_opened, Phase.IN_TRANSACTION)
    registry.listen(QuestionLogged, question_logged, Phase.IN_TRANSACTION)
    registry.every_minute("editorial.publish_due", publish_due)
    registry.every_minute("editorial.gaps", gap_housekeeping)
