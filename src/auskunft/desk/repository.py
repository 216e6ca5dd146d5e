"""The contact log within a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
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

    def call_ids_with_contacts(self, call_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(call_ids), 500):
            chunk = list(call_ids[start : start + 500])
            found.update(
                self.session.scalars(
                    select(t.Contact.call_id).where(t.Contact.call_id.in_(chunk))
                ).all()  # type: ignore[arg-type]
            )
        return found

    def insert_many(self, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(t.Contact), rows[start : start + 5000])

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(t.Contact)) or 0)
