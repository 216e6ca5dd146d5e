"""The contact log within a unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, extract, func, insert, select, update
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

    def unlinked(self, call_ids: Sequence[str]) -> list[tuple[str, date | None]]:
        """(call id, local day) of the contacts of these calls that know no caller series."""
        found: list[tuple[str, date | None]] = []
        for start in range(0, len(call_ids), 500):
            chunk = list(call_ids[start : start + 500])
            query = select(t.Contact.call_id, t.Contact.local_day).where(
                t.Contact.call_id.in_(chunk), t.Contact.caller_thread.is_(None)
            )
            found += [(row[0], row[1]) for row in self.session.execute(query) if row[0]]
        return found

    def set_threads(self, threads: Mapping[str, str]) -> None:
        """Give the contacts of these calls their caller series (one statement executed
        for many parameter sets: psycopg pipelines them)."""
        if not threads:
            return
        table = cast(Table, t.Contact.__table__)
        statement = (
            update(table)
            .where(table.c.call_id == bindparam("wanted_call"))
            .values(caller_thread=bindparam("new_thread"))
        )
        params = [{"wanted_call": c, "new_thread": th} for c, th in threads.items()]
        connection = self.session.connection()
        for start in range(0, len(params), 5000):
            connection.execute(statement, params[start : start + 5000])

    def of_threads(self, threads: Iterable[str]) -> list[tuple[int, str, str, datetime, bool]]:
        """(id, thread, service, start, called_again) of the contacts in these series that
        name a service."""
        wanted = sorted(set(threads))
        found: list[tuple[int, str, str, datetime, bool]] = []
        for start in range(0, len(wanted), 500):
            query = select(
                t.Contact.id,
                t.Contact.caller_thread,
                t.Contact.service_id,
                t.Contact.started_at,
                t.Contact.called_again,
            ).where(
                t.Contact.caller_thread.in_(wanted[start : start + 500]),
                t.Contact.service_id.is_not(None),
            )
            found += [tuple(row) for row in self.session.execute(query)]  # type: ignore[misc]
        return found

    def set_called_again(self, contact_ids: Sequence[int], value: bool) -> None:
        for start in range(0, len(contact_ids), 500):
            self.session.execute(
                update(t.Contact)
                .where(t.Contact.id.in_(list(contact_ids[start : start + 500])))
                .values(called_again=value)
            )

    def outcome_counts(
        self, first: date, last: date, *, by_month: bool
    ) -> list[tuple[date, str, str, bool, bool, int]]:
        """Contacts of the local days first..last counted per day (or month: its first
        day), channel, outcome, called again, and linked to a caller series."""
        linked = case((t.Contact.caller_thread.is_not(None), True), else_=False)
        if by_month:
            year = extract("year", t.Contact.local_day)
            month = extract("month", t.Contact.local_day)
            keys: list[Any] = [year, month]
        else:
            keys = [t.Contact.local_day]
        query = (
            select(
                *keys,
                t.Contact.channel,
                t.Contact.outcome,
                t.Contact.called_again,
                linked,
                func.count(),
            )
            .where(t.Contact.local_day >= first, t.Contact.local_day <= last)
            .group_by(*keys, t.Contact.channel, t.Contact.outcome, t.Contact.called_again, linked)
        )
        found = []
        for row in self.session.execute(query):
            if by_month:
                day = date(int(row[0]), int(row[1]), 1)
                rest = row[2:]
            else:
                day, rest = row[0], row[1:]
            found.append((day, rest[0], rest[1], bool(rest[2]), bool(rest[3]), int(rest[4])))
        return found

    def service_area_counts(
        self, first: date, last: date, *, by_month: bool
    ) -> list[tuple[date, str | None, str | None, int]]:
        """Contacts of the local days first..last counted per day (or month: its first
        day), service and municipality."""
        if by_month:
            keys: list[Any] = [
                extract("year", t.Contact.local_day),
                extract("month", t.Contact.local_day),
            ]
        else:
            keys = [t.Contact.local_day]
        query = (
            select(*keys, t.Contact.service_id, t.Contact.municipality, func.count())
            .where(t.Contact.local_day >= first, t.Contact.local_day <= last)
            .group_by(*keys, t.Contact.service_id, t.Contact.municipality)
        )
        found = []
        for row in self.session.execute(query):
            if by_month:
                day, rest = date(int(row[0]), int(row[1]), 1), row[2:]
            else:
                day, rest = row[0], row[1:]
            found.append((day, rest[0], rest[1], int(rest[2])))
        return found
