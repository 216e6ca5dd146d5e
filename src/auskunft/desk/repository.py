"""The contact log within a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auskunft.desk import tables as t


class ContactRepository:
    """The contact log: written by the desk and by telephony, read by statistics."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: t.Contact) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, contact_id: int) -> t.Contact | None:
        return self.session.get(t.Contact, contact_id)

    def between(self, start: datetime, end: datetime) -> Sequence[t.Contact]:
        query = (
            select(t.Contact)
            .where(t.Contact.started_at >= start, t.Contact.started_at < end)
            .order_by(t.Contact.started_at)
        )
        return self.session.scalars(query).all()

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(t.Contact)) or 0)
