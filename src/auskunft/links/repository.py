"""The only place that queries the link checker's tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from auskunft.links import tables as t


class LinkRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self) -> Sequence[t.LinkCheck]:
        return self.session.scalars(select(t.LinkCheck).order_by(t.LinkCheck.url)).all()

    def in_states(self, states: Sequence[str]) -> Sequence[t.LinkCheck]:
        query = select(t.LinkCheck).where(t.LinkCheck.state.in_(states))
        return self.session.scalars(query.order_by(t.LinkCheck.url)).all()

    def by_ids(self, ids: Sequence[str]) -> dict[str, t.LinkCheck]:
        if not ids:
            return {}
        rows = self.session.scalars(select(t.LinkCheck).where(t.LinkCheck.id.in_(ids)))
        return {row.id: row for row in rows}

    def due(self, now: datetime, limit: int | None) -> list[tuple[str, str]]:
        """(id, url) of the links whose next check has come, the longest waiting first."""
        query = (
            select(t.LinkCheck.id, t.LinkCheck.url)
            .where(t.LinkCheck.next_check_at <= now)
            .order_by(t.LinkCheck.next_check_at, t.LinkCheck.id)
        )
        if limit is not None:
            query = query.limit(limit)
        return [(row.id, row.url) for row in self.session.execute(query)]

    def all_due(self, now: datetime) -> int:
        """Make every link due now (a round asked for by an editor); return how many."""
        statement = (
            update(t.LinkCheck)
            .where(t.LinkCheck.next_check_at > now)
            .values(next_check_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def state(self) -> t.LinkCheckState:
        """The checker's row, made on first use."""
        found = self.session.get(t.LinkCheckState, 1)
        if found is None:
            found = t.LinkCheckState(
                id=1, catalog_revision=-1, last_round_checked=0, last_round_seconds=0.0
            )
            self.session.add(found)
            self.session.flush()
        return found

    def take_lease(self, now: datetime, until: datetime) -> bool:
        """Hold the round's lease until `until`; False when another round holds it.

        One conditional UPDATE whose row count says who won, as the job queue claims jobs.
        """
        self.state()
        statement = (
            update(t.LinkCheckState)
            .where(
                t.LinkCheckState.id == 1,
                or_(t.LinkCheckState.running_until.is_(None), t.LinkCheckState.running_until < now),
            )
            .values(running_until=until)
            .execution_options(synchronize_session=False)
        )
        return int(self.session.execute(statement).rowcount) == 1  # type: ignore[attr-defined]

    def add(self, row: object) -> None:
        self.session.add(row)

    def delete(self, row: object) -> None:
        self.session.delete(row)
