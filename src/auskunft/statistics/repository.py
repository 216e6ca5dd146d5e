"""The kept figures of past months within a unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from auskunft.statistics import tables as t


class FigureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def kept(self, kind: str, months: Sequence[date], params: str) -> dict[date, str]:
        if not months:
            return {}
        query = select(t.FigureMonth.month, t.FigureMonth.payload).where(
            t.FigureMonth.kind == kind,
            t.FigureMonth.params == params,
            t.FigureMonth.month.in_(list(months)),
        )
        return {row[0]: row[1] for row in self.session.execute(query)}

    def keep(self, kind: str, month: date, params: str, payload: str, now: datetime) -> None:
        self.session.execute(
            delete(t.FigureMonth).where(
                t.FigureMonth.kind == kind,
                t.FigureMonth.month == month,
                t.FigureMonth.params == params,
            )
        )
        self.session.add(
            t.FigureMonth(kind=kind, month=month, params=params, payload=payload, computed_at=now)
        )
        self.session.flush()

    def drop(self, kinds: Sequence[str], months: Iterable[date]) -> None:
        wanted = sorted(set(months))
        if wanted:
            self.session.execute(
                delete(t.FigureMonth).where(
                    t.FigureMonth.kind.in_(list(kinds)), t.FigureMonth.month.in_(wanted)
                )
            )
