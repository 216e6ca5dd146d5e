"""Repositories of staff accounts, their sessions, API tokens and the contact log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from auskunft.db import tables as t


class StaffRepository:
    """Accounts, logins and machine tokens within a unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def user(self, user_id: int) -> t.StaffUser | None:
        return self.session.get(t.StaffUser, user_id)

    def user_by_name(self, username: str, *, for_update: bool = False) -> t.StaffUser | None:
        query = select(t.StaffUser).where(t.StaffUser.username == username)
        if for_update:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def users(self) -> Sequence[t.StaffUser]:
        return self.session.scalars(select(t.StaffUser).order_by(t.StaffUser.username)).all()

    def demo_users(self) -> Sequence[t.StaffUser]:
        query = select(t.StaffUser).where(t.StaffUser.demo.is_(True))
        return self.session.scalars(query.order_by(t.StaffUser.username)).all()

    def session_and_user(self, token_hash: str) -> tuple[t.StaffSession, t.StaffUser] | None:
        """A session row with its account, in one query."""
        query = (
            select(t.StaffSession, t.StaffUser)
            .join(t.StaffUser, t.StaffUser.id == t.StaffSession.user_id)
            .where(t.StaffSession.token_hash == token_hash)
        )
        found = self.session.execute(query).first()
        return (found[0], found[1]) if found is not None else None

    def delete_session(self, token_hash: str) -> None:
        self.session.execute(delete(t.StaffSession).where(t.StaffSession.token_hash == token_hash))

    def delete_sessions_of(self, user_id: int) -> None:
        self.session.execute(delete(t.StaffSession).where(t.StaffSession.user_id == user_id))

    def purge_sessions(self, now: datetime) -> int:
        """Delete every session past its end; return how many."""
        result = self.session.execute(delete(t.StaffSession).where(t.StaffSession.expires_at < now))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def token_by_hash(self, token_hash: str) -> t.ApiToken | None:
        query = select(t.ApiToken).where(t.ApiToken.token_hash == token_hash)
        return self.session.scalars(query).first()

    def token_by_name(self, name: str) -> t.ApiToken | None:
        return self.session.scalars(select(t.ApiToken).where(t.ApiToken.name == name)).first()

    def add(self, row: object) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()


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
