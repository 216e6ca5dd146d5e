"""The service center's closure days and the concerns, within a unit of work."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from auskunft.forwarding import tables as t


def _escaped(text: str) -> str:
    """A text for LIKE, its wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


class ConcernRepository:
    """Concerns, their history and who opened them, within a unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: t.Concern) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, concern_id: int) -> t.Concern | None:
        return self.session.get(t.Concern, concern_id)

    def by_code(self, code: str) -> t.Concern | None:
        return self.session.scalars(
            select(t.Concern).where(t.Concern.tracking_code == code)
        ).first()

    def add_step(self, step: t.ConcernStep) -> None:
        self.session.add(step)

    def add_steps(self, rows: Sequence[dict[str, Any]]) -> None:
        """Many history lines at once, as plain rows (the escalation pass writes thousands)."""
        if rows:
            self.session.execute(insert(t.ConcernStep), list(rows))

    def steps(self, concern_id: int) -> Sequence[t.ConcernStep]:
        query = select(t.ConcernStep).where(t.ConcernStep.concern_id == concern_id)
        return self.session.scalars(query.order_by(t.ConcernStep.at, t.ConcernStep.id)).all()

    def record_access(self, access: t.ConcernAccess) -> None:
        self.session.add(access)

    def accesses(self, *, since: datetime, limit: int) -> Sequence[t.ConcernAccess]:
        query = (
            select(t.ConcernAccess)
            .where(t.ConcernAccess.at >= since)
            .order_by(t.ConcernAccess.at.desc(), t.ConcernAccess.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def accesses_of(self, concern_id: int) -> Sequence[t.ConcernAccess]:
        query = select(t.ConcernAccess).where(t.ConcernAccess.concern_id == concern_id)
        return self.session.scalars(query.order_by(t.ConcernAccess.at)).all()

    def per_authority(
        self, start: datetime, end: datetime, now: datetime
    ) -> list[tuple[str, int, int, int, int, int]]:
        """Concerns received in [start, end) per authority: (authority, forwarded,
        answered in time, answered late, open overdue, open in time)."""
        concern = t.Concern
        answered = concern.answered_at.is_not(None)

        def count_if(condition: Any) -> Any:
            return func.sum(case((condition, 1), else_=0))

        query = (
            select(
                concern.authority_id,
                func.count(),
                count_if(
                    answered
                    & ((concern.due_at.is_(None)) | (concern.answered_at <= concern.due_at))
                ),
                count_if(answered & (concern.answered_at > concern.due_at)),
                count_if(~answered & (concern.due_at < now)),
                count_if(~answered & ((concern.due_at.is_(None)) | (concern.due_at >= now))),
            )
            .where(concern.received_at >= start, concern.received_at < end)
            .group_by(concern.authority_id)
            .order_by(concern.authority_id)
        )
        return [
            (
                row[0],
                int(row[1]),
                int(row[2] or 0),
                int(row[3] or 0),
                int(row[4] or 0),
                int(row[5] or 0),
            )
            for row in self.session.execute(query)
        ]

    def count_open(self, *, statuses: Sequence[str], overdue_before: datetime | None) -> int:
        """How many concerns are in these states (and due before `overdue_before`)."""
        query = select(func.count()).select_from(t.Concern).where(t.Concern.status.in_(statuses))
        if overdue_before is not None:
            query = query.where(t.Concern.due_at <= overdue_before)
        return int(self.session.scalar(query) or 0)

    def listing(
        self,
        *,
        authorities: Iterable[str] | None,
        statuses: Sequence[str],
        overdue_before: datetime | None,
        limit: int,
        source: str | None = None,
        service_id: str | None = None,
        received_from: datetime | None = None,
        received_to: datetime | None = None,
        concern_id: int | None = None,
    ) -> Sequence[t.Concern]:
        """Concerns in these states, most urgent first (waiting ones, without a due time,
        last); only those of `authorities` unless it is None; with `overdue_before`, only
        those due before it."""
        query = select(t.Concern).where(t.Concern.status.in_(statuses))
        if authorities is not None:
            query = query.where(t.Concern.authority_id.in_(list(authorities)))
        if overdue_before is not None:
            query = query.where(t.Concern.due_at <= overdue_before)
        if source is not None:
            query = query.where(t.Concern.source == source)
        if service_id is not None:
            query = query.where(t.Concern.service_id == service_id)
        if received_from is not None:
            query = query.where(t.Concern.received_at >= received_from)
        if received_to is not None:
            query = query.where(t.Concern.received_at <= received_to)
        if concern_id is not None:
            query = query.where(t.Concern.id == concern_id)
        query = query.order_by(t.Concern.due_at.is_(None), t.Concern.due_at, t.Concern.id)
        return self.session.scalars(query.limit(limit)).all()

    def office_hours(self, authority_id: str) -> int | None:
        row = self.session.get(t.ConcernOffice, authority_id)
        return row.feedback_hours if row is not None else None

    def set_office_hours(self, authority_id: str, hours: int | None) -> None:
        row = self.session.get(t.ConcernOffice, authority_id)
        if hours is None:
            if row is not None:
                self.session.delete(row)
        elif row is None:
            self.session.add(t.ConcernOffice(authority_id=authority_id, feedback_hours=hours))
        else:
            row.feedback_hours = hours

    def claim_reminders(self, now: datetime, counting: Sequence[str]) -> list[int]:
        """Mark every concern whose reminder time has come as reminded; return their ids.

        One UPDATE per state decides, so a pass that runs twice (or in two workers at once)
        reminds each concern once."""
        return self._claim(t.Concern.remind_at, t.Concern.reminded_at, now, counting, "reminded_at")

    def claim_overdue(self, now: datetime, counting: Sequence[str]) -> list[int]:
        """Mark every concern past its due time as escalated; return their ids."""
        return self._claim(t.Concern.due_at, t.Concern.escalated_at, now, counting, "escalated_at")

    def _claim(
        self, when: Any, done: Any, now: datetime, counting: Sequence[str], field: str
    ) -> list[int]:
        ids = list(
            self.session.scalars(
                select(t.Concern.id).where(
                    t.Concern.status.in_(counting), when <= now, done.is_(None)
                )
            )
        )
        claimed: list[int] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            result = self.session.execute(
                update(t.Concern)
                .where(t.Concern.id.in_(chunk), done.is_(None))
                .values({field: now})
                .returning(t.Concern.id)
                .execution_options(synchronize_session=False)
            )
            claimed += [row[0] for row in result]
        return claimed

    def closed_before(self, before: datetime, limit: int) -> list[int]:
        query = (
            select(t.Concern.id)
            .where(
                t.Concern.status == "closed",
                t.Concern.closed_at < before,
                t.Concern.purged_at.is_(None),
            )
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def purge(self, ids: Sequence[int], now: datetime) -> int:
        if not ids:
            return 0
        self.session.execute(
            update(t.Concern)
            .where(t.Concern.id.in_(ids))
            .values(
                question="",
                citizen_name="",
                citizen_email="",
                citizen_phone="",
                callback="",
                answer_text="",
                address="",
                link_nonce=None,
                purged_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        self.session.execute(
            update(t.ConcernStep)
            .where(t.ConcernStep.concern_id.in_(ids))
            .values(text="")
            .execution_options(synchronize_session=False)
        )
        return len(ids)

    # -- a person's data (DSGVO Art. 15 and 17) ---------------------------------------
    # Addresses compare by mailbox and phone numbers by digits, which no index holds: these
    # read the contact column of the concerns that still have one, a range of its index
    # ("> ''" skips the blanked values of purged concerns, on every collation; addresses
    # only at the mailbox's domain), so the cost grows with the open and recently closed
    # concerns, not with the years of history.
    def emails(self, domain: str) -> list[tuple[int, str]]:
        """(id, e-mail address) of every concern that still holds one at this domain (in any
        case); the caller compares the mailboxes."""
        query = select(t.Concern.id, t.Concern.citizen_email).where(
            t.Concern.citizen_email > "",
            func.lower(t.Concern.citizen_email).like("%@" + _escaped(domain.lower()), escape="\\"),
        )
        return [(int(i), str(e)) for i, e in self.session.execute(query).all()]

    def phones(self) -> list[tuple[int, str]]:
        """(id, phone) of every concern that still holds one."""
        query = select(t.Concern.id, t.Concern.citizen_phone).where(t.Concern.citizen_phone > "")
        return [(int(i), str(p)) for i, p in self.session.execute(query).all()]

    def by_ids(self, ids: Sequence[int], *, for_update: bool = False) -> list[t.Concern]:
        found: list[t.Concern] = []
        wanted = sorted(set(ids))
        for start in range(0, len(wanted), 500):
            query = select(t.Concern).where(t.Concern.id.in_(wanted[start : start + 500]))
            if for_update:
                # Locked, and read anew: a row loaded before may have changed meanwhile.
                query = query.with_for_update().execution_options(populate_existing=True)
            found += self.session.scalars(query.order_by(t.Concern.id)).all()
        return found
