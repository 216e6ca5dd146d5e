"""Staff accounts, their sessions and API tokens within a unit of work."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from auskunft.access import tables as t


@dataclass(frozen=True)
class Offices:
    """The authorities (Behörden) and network participants a staff account belongs to."""

    authorities: frozenset[str] = frozenset()
    participants: frozenset[str] = frozenset()


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

    def add_offices(
        self, user_id: int, authorities: Collection[str], participants: Collection[str]
    ) -> None:
        """Put an account into these offices (ids known to exist, each once)."""
        self.session.add_all(t.StaffAuthority(user_id=user_id, authority_id=a) for a in authorities)
        self.session.add_all(
            t.StaffParticipant(user_id=user_id, participant_id=p) for p in participants
        )

    def set_offices(
        self, user_id: int, authorities: Collection[str], participants: Collection[str]
    ) -> None:
        """Make these the account's offices (ids known to exist): the others are left."""
        own = self.offices(user_id)
        gone_a = own.authorities - set(authorities)
        gone_p = own.participants - set(participants)
        if gone_a:
            self.session.execute(
                delete(t.StaffAuthority).where(
                    t.StaffAuthority.user_id == user_id,
                    t.StaffAuthority.authority_id.in_(list(gone_a)),
                )
            )
        if gone_p:
            self.session.execute(
                delete(t.StaffParticipant).where(
                    t.StaffParticipant.user_id == user_id,
                    t.StaffParticipant.participant_id.in_(list(gone_p)),
                )
            )
        self.add_offices(
            user_id, set(authorities) - own.authorities, set(participants) - own.participants
        )

    def directory_user(
        self, username: str, password_hash: str, role: str, now: datetime
    ) -> t.StaffUser:
        """The account row of this name, made for a directory user if there is none; one
        statement, so two first logins at once make one row (the second waits)."""
        insert = sqlite_insert if self.session.get_bind().dialect.name == "sqlite" else pg_insert
        stmt = insert(t.StaffUser).values(
            username=username,
            password_hash=password_hash,
            role=role,
            demo=False,
            failed_logins=0,
            created_at=now,
            source="ldap",
        )
        self.session.execute(stmt.on_conflict_do_nothing(index_elements=[t.StaffUser.username]))
        found = self.user_by_name(username, for_update=True)
        assert found is not None  # just inserted, or there before
        return found

    def staffed(self, authority_id: str) -> bool:
        """Whether some account belongs to this authority."""
        query = select(t.StaffAuthority.user_id).where(
            t.StaffAuthority.authority_id == authority_id
        )
        return self.session.scalars(query.limit(1)).first() is not None

    def username(self, user_id: int) -> str | None:
        return self.session.scalars(
            select(t.StaffUser.username).where(t.StaffUser.id == user_id)
        ).first()

    def offices(self, user_id: int) -> Offices:
        """The offices of one account, in one query."""
        return self.offices_of([user_id]).get(user_id, Offices())

    def offices_of(self, user_ids: Collection[int]) -> dict[int, Offices]:
        """The offices of these accounts, in one query; accounts without any are left out."""
        if not user_ids:
            return {}
        ids = list(user_ids)
        authorities = select(
            t.StaffAuthority.user_id,
            literal("a").label("kind"),
            t.StaffAuthority.authority_id.label("office"),
        ).where(t.StaffAuthority.user_id.in_(ids))
        participants = select(
            t.StaffParticipant.user_id,
            literal("p").label("kind"),
            t.StaffParticipant.participant_id.label("office"),
        ).where(t.StaffParticipant.user_id.in_(ids))
        found: dict[int, tuple[set[str], set[str]]] = {}
        for user_id, kind, office in self.session.execute(union_all(authorities, participants)):
            own = found.setdefault(user_id, (set(), set()))
            own[0 if kind == "a" else 1].add(office)
        return {user_id: Offices(frozenset(a), frozenset(p)) for user_id, (a, p) in found.items()}

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


class LoginFailureRepository:
    """Failed-login counts per name or client address (the login throttle)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def counts(self, keys: Collection[str], since: datetime) -> dict[str, tuple[int, datetime]]:
        """The failures and the last failure of each key that failed since `since`."""
        query = select(t.LoginFailure).where(
            t.LoginFailure.key.in_(list(keys)), t.LoginFailure.last_at >= since
        )
        return {row.key: (row.failures, row.last_at) for row in self.session.scalars(query)}

    def count(self, keys: Collection[str], now: datetime, since: datetime) -> None:
        """One more failure for each key; a count whose last failure is before `since`
        starts again. One statement per key, safe against concurrent failures."""
        insert = sqlite_insert if self.session.get_bind().dialect.name == "sqlite" else pg_insert
        for key in keys:
            stmt = insert(t.LoginFailure).values(key=key, failures=1, last_at=now)
            stmt = stmt.on_conflict_do_update(
                index_elements=[t.LoginFailure.key],
                set_={
                    "failures": case(
                        (t.LoginFailure.last_at < since, 1),
                        else_=t.LoginFailure.failures + 1,
                    ),
                    "last_at": now,
                },
            )
            self.session.execute(stmt)
        self.session.execute(delete(t.LoginFailure).where(t.LoginFailure.last_at < since))

    def clear(self, key: str) -> None:
        self.session.execute(delete(t.LoginFailure).where(t.LoginFailure.key == key))
