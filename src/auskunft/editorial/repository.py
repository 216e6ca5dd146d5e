"""The only place that queries the editorial tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auskunft.editorial import tables as t


class EditorialRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def draft(self, service_id: str, *, lock: bool = False) -> t.Draft | None:
        query = select(t.Draft).where(t.Draft.service_id == service_id)
        if lock:
            query = query.with_for_update()
        return self.session.scalar(query)

    def drafts(self) -> Sequence[t.Draft]:
        return self.session.scalars(select(t.Draft).order_by(t.Draft.updated_at.desc())).all()

    def due(self, now: datetime) -> Sequence[t.Draft]:
        """Approved drafts whose publication time has come."""
        query = select(t.Draft).where(t.Draft.state == "scheduled", t.Draft.publish_at <= now)
        return self.session.scalars(query.order_by(t.Draft.publish_at)).all()

    def add(self, row: object) -> None:
        self.session.add(row)

    def delete(self, row: object) -> None:
        self.session.delete(row)

    def flush(self) -> None:
        self.session.flush()
