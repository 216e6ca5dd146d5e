"""Gather what callers and visitors could not find, and turn it into editors' work: the
gap list (most frequent first), a query added to a service as keyword or typical question
(through the same review), and whether the query finds the service once published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput, NotFound
from auskunft.core.principal import Login
from auskunft.editorial import tables as t
from auskunft.editorial.model.gaps import KEPT, OPEN_WINDOW, SHOWN_FROM_SESSIONS, normalised
from auskunft.editorial.service import drafts
from auskunft.search.service.engine import SearchEngine, answer_question


def note_gap(
    uow: UnitOfWork, query: str, *, channel: str, reason: str, session: str, at: datetime
) -> None:
    """Count one more asking of a question that found nothing."""
    text = normalised(query)
    if not text:
        return
    session_ = uow.session
    gap = session_.scalar(select(t.Gap).where(t.Gap.query == text, t.Gap.channel == channel))
    if gap is None:
        try:
            with session_.begin_nested():
                gap = t.Gap(
                    query=text, channel=channel, reason=reason, count=0, sessions=0,
                    first_seen=at, last_seen=at,
                )  # fmt: skip
                session_.add(gap)
        except IntegrityError:  # another process counted the same question first
            gap = session_.scalar(
                select(t.Gap).where(t.Gap.query == text, t.Gap.channel == channel)
            )
            if gap is None:
                return
    gap.count += 1
    gap.reason = reason
    gap.last_seen = max(gap.last_seen, at)
    seen = session_.get(t.GapSession, (gap.id, session))
    if seen is None:
        try:
            with session_.begin_nested():
                session_.add(t.GapSession(gap_id=gap.id, session=session, seen=at))
            gap.sessions += 1
        except IntegrityError:
            pass


def searched(uow: UnitOfWork, query: str, results: int, session: str, at: datetime) -> None:
    """A portal visitor's settled question: no result is a gap at once; with results, it
    waits to see whether one is opened."""
    if results == 0:
        note_gap(uow, query, channel="portal", reason="no_result", session=session, at=at)
        return
    text = normalised(query)
    if text:
        pending = uow.session.scalar(
            select(t.PendingSearch).where(
                t.PendingSearch.session == session, t.PendingSearch.query == text
            )
        )
        if pending is None:
            uow.session.add(t.PendingSearch(session=session, query=text, asked_at=at))


def opened(uow: UnitOfWork, query: str, session: str) -> None:
    """The visitor opened a result of the question: it found something."""
    text = normalised(query)
    for pending in uow.session.scalars(
        select(t.PendingSearch).where(
            t.PendingSearch.session == session, t.PendingSearch.query == text
        )
    ):
        pending.opened = True


def contact_logged(
    uow: UnitOfWork, query: str, *, service_id: str | None, outcome: str, key: str, at: datetime
) -> None:
    """A desk contact logged without a service, or forwarded: the agent's question was not
    answered by the catalog (each contact is a session of its own)."""
    if query.strip() and (not service_id or outcome == "forwarded"):
        note_gap(uow, query, channel="desk", reason="unanswered", session=f"desk-{key}", at=at)


def fold(uow: UnitOfWork, now: datetime) -> int:
    """Pending searches older than the open window: not opened ones become gaps; all go."""
    limit = now - OPEN_WINDOW
    folded = 0
    for pending in uow.session.scalars(
        select(t.PendingSearch).where(t.PendingSearch.asked_at < limit)
    ).all():
        if not pending.opened:
            note_gap(
                uow, pending.query, channel="portal", reason="not_opened",
                session=pending.session, at=pending.asked_at,
            )  # fmt: skip
            folded += 1
        uow.session.delete(pending)
    return folded


def forget(uow: UnitOfWork, now: datetime) -> int:
    """Everything older than 90 days goes: gaps not asked since, and the session marks."""
    limit = now - KEPT
    uow.session.execute(delete(t.GapSession).where(t.GapSession.seen < limit))
    gone = uow.session.execute(delete(t.Gap).where(t.Gap.last_seen < limit))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Listed:
    gaps: list[dict[str, Any]]
    rare_queries: int
    rare_count: int


def listing(
    uow: UnitOfWork, engine: SearchEngine | None = None, *, channel: str = "", limit: int = 200
) -> Listed:
    """The gaps, most frequent first; a question asked by fewer than 3 sessions only counts.
    With the search engine: whether a handled question now finds its service."""
    query = select(t.Gap).order_by(t.Gap.count.desc(), t.Gap.last_seen.desc())
    if channel:
        query = query.where(t.Gap.channel == channel)
    rare = select(func.count(), func.coalesce(func.sum(t.Gap.count), 0)).where(
        t.Gap.sessions < SHOWN_FROM_SESSIONS
    )
    if channel:
        rare = rare.where(t.Gap.channel == channel)
    rare_queries, rare_count = uow.session.execute(rare).one()
    shown = []
    for gap in uow.session.scalars(query.where(t.Gap.sessions >= SHOWN_FROM_SESSIONS).limit(limit)):
        found = None
        if gap.service_id and engine is not None:
            found = finds(engine, gap.query, gap.service_id)
        shown.append(
            {
                "id": gap.id,
                "query": gap.query,
                "channel": gap.channel,
                "reason": gap.reason,
                "count": gap.count,
                "sessions": gap.sessions,
                "first_seen": gap.first_seen,
                "last_seen": gap.last_seen,
                "service_id": gap.service_id,
                "handled_by": gap.handled_by,
                "handled_at": gap.handled_at,
                "finds_service": found,
            }
        )
    return Listed(shown, int(rare_queries), int(rare_count))


def finds(engine: SearchEngine, query: str, service_id: str, within: int = 3) -> bool:
    """Whether the search ranks the service among its first `within` for the question."""
    try:
        answer = answer_question(engine, q=query, limit=within, judge=False)
    except InvalidInput:
        return False
    return any(r["id"] == service_id for r in answer["results"])


def take_up(
    uow: UnitOfWork, login: Login, gap_id: int, *, service_id: str, as_: str
) -> dict[str, Any]:
    """Add a shown gap's question to a service's draft as keyword or typical question."""
    if as_ not in ("keyword", "question"):
        raise InvalidInput(
            "Als Stichwort (keyword) oder typische Frage (question)?",
            message_en="As keyword or as question?",
        )
    gap = uow.session.get(t.Gap, gap_id)
    if gap is None or gap.sessions < SHOWN_FROM_SESSIONS:
        raise NotFound("Diese Lücke gibt es nicht.", message_en="There is no such gap.")
    current = drafts.open_draft(uow, login, service_id)
    body = dict(current)
    field = "keywords" if as_ == "keyword" else "questions"
    if gap.query not in body[field]:
        body[field] = [*body[field], gap.query]
    shown = drafts.save_draft(uow, login, service_id, body)
    gap.service_id = service_id
    gap.handled_by = login.username
    gap.handled_at = datetime.now(UTC)
    staff_acted(uow, login, "gap.take_up", "service", service_id, f"gap {gap_id} as {as_}")
    return shown
