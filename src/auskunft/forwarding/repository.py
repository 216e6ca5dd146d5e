"""The service center's closure days within a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from auskunft.forwarding import tables as t


class ClosureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def days(self) -> list[date]:
        return list(self.session.scalars(select(t.ServiceClosure.day)))

    def between(self, first: date, last: date) -> Sequence[t.ServiceClosure]:
        query = select(t.ServiceClosure).where(
            t.ServiceClosure.day >= first, t.ServiceClosure.day <= last
        )
        return self.session.scalars(query.order_by(t.ServiceClosure.day)).all()

    def get(self, day: date) -> t.ServiceClosure | None:
        return self.session.get(t.ServiceClosure, day)

    def add(self, row: t.ServiceClosure) -> None:
        self.session.add(row)

    def remove(self, day: date) -> int:
        result = self.session.execute(delete(t.ServiceClosure).where(t.ServiceClosure.day == day))
        return int(result.rowcount)  # type: ignore[attr-defined]
