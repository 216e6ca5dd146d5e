"""A person's data in the concerns: found by e-mail address or phone number, and erased on
request (DSGVO Art. 15 and 17; the privacy slice asks, docs/privacy.md).

The person is named as in the appointments: by mailbox (`core.email.limit_key`) and by the
digits of the phone number (`core.phone.national_digits`), computed by the caller.
Erasing does what the retention purge does (`ConcernRepository.purge`: name, contact
details, question, address, answer and every text of the history blanked), now: the
concern keeps its times, states, offices and verdict, which the office's accountability
and the figures need. A concern still open is closed first, with a line in its history
saying who erased it; nobody can answer a person whose contact is gone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.email import limit_key
from auskunft.core.phone import national_digits
from auskunft.core.principal import Login
from auskunft.forwarding import tables as t
from auskunft.forwarding.model import tracking
from auskunft.forwarding.model.concern import Status, Step
from auskunft.forwarding.repository import ConcernRepository


@dataclass(frozen=True)
class Line:
    """One line of a concern's history: when, what, at which office, the text (if any).
    Staff names are left out: they are the staff's data, not the person's."""

    at: datetime
    kind: str
    office: str | None
    text: str


@dataclass(frozen=True)
class ConcernRecord:
    """One concern with the personal data it holds."""

    id: int
    tracking_code: str  # as shown ("ABCD-EFGH-JKLM")
    status: str
    channel: str
    source: str
    service: str | None  # the service's name
    municipality: str | None
    authority_id: str
    authority: str  # the office responsible now
    offices: tuple[str, ...]  # every office the concern went to, first to last
    received_at: datetime
    consent_at: datetime
    answered_at: datetime | None
    answer_via: str | None
    closed_at: datetime | None
    name: str
    email: str
    phone: str
    preferred: str
    callback: str
    question: str
    address: str
    answer: str
    language: str
    history: tuple[Line, ...]


@dataclass(frozen=True)
class Erased:
    anonymised: int
    closed: int  # open concerns among them, closed by the erasure


def _repo(uow: UnitOfWork) -> ConcernRepository:
    return uow.repo(ConcernRepository)


def _matching(found: Iterable[tuple[int, str]], wanted: str, key: Callable[[str], str]) -> set[int]:
    return {i for i, value in found if key(value) == wanted}


def _ids(uow: UnitOfWork, email_key: str, phone: str) -> list[int]:
    ids: set[int] = set()
    if email_key:
        ids |= _matching(_repo(uow).emails(email_key.rpartition("@")[2]), email_key, limit_key)
    if phone:
        ids |= _matching(_repo(uow).phones(), phone, national_digits)
    return sorted(ids)


def personal_data(
    uow: UnitOfWork, *, email_key: str = "", phone: str = ""
) -> tuple[ConcernRecord, ...]:
    """Every concern that holds this mailbox or phone number (empty: not asked for), with
    its history, newest first."""
    repo = _repo(uow)
    rows = repo.by_ids(_ids(uow, email_key, phone))
    steps = {row.id: list(repo.steps(row.id)) for row in rows}
    offices = {row.authority_id for row in rows}
    offices |= {s.authority_id for lines in steps.values() for s in lines if s.authority_id}
    names = catalog_reads.authority_names(uow, sorted(offices))
    services = catalog_reads.services_by_id(
        uow, sorted({row.service_id for row in rows if row.service_id})
    )

    def office(authority_id: str) -> str:
        return names.get(authority_id, authority_id)

    def went_to(row: t.Concern) -> tuple[str, ...]:
        seen: list[str] = []
        for step in steps[row.id]:
            if step.authority_id and office(step.authority_id) not in seen:
                seen.append(office(step.authority_id))
        return tuple(seen) or (office(row.authority_id),)

    return tuple(
        ConcernRecord(
            id=row.id,
            tracking_code=tracking.shown(row.tracking_code),
            status=row.status,
            channel=row.channel,
            source=row.source,
            service=(
                services[row.service_id].name if row.service_id in services else row.service_id
            ),
            municipality=row.municipality,
            authority_id=row.authority_id,
            authority=office(row.authority_id),
            offices=went_to(row),
            received_at=row.received_at,
            consent_at=row.consent_at,
            answered_at=row.answered_at,
            answer_via=row.answer_via,
            closed_at=row.closed_at,
            name=row.citizen_name,
            email=row.citizen_email,
            phone=row.citizen_phone,
            preferred=row.preferred,
            callback=row.callback,
            question=row.question,
            address=row.address,
            answer=row.answer_text,
            language=row.language,
            history=tuple(
                Line(
                    at=s.at,
                    kind=s.kind,
                    office=office(s.authority_id) if s.authority_id else None,
                    text=s.text,
                )
                for s in steps[row.id]
            ),
        )
        for row in sorted(rows, key=lambda r: (r.received_at, r.id), reverse=True)
    )


def erase_personal_data(
    uow: UnitOfWork,
    *,
    email_key: str = "",
    phone: str = "",
    login: Login | None = None,
    now: datetime,
) -> Erased:
    """Erase a person's data from their concerns: close the open ones, note the erasure in
    each history, and blank what the retention purge blanks. Idempotent: a second call
    finds nothing more (the contact details are gone)."""
    repo = _repo(uow)
    rows = repo.by_ids(_ids(uow, email_key, phone), for_update=True)
    closed = 0
    for row in rows:
        if row.status != Status.CLOSED:
            row.status = Status.CLOSED.value
            row.closed_at = now
            closed += 1
        row.updated_at = now
        repo.add_step(
            t.ConcernStep(
                concern_id=row.id,
                at=now,
                kind=Step.PURGED.value,
                actor_id=login.user_id if login is not None else None,
                actor=login.username if login is not None else "system",
                text="",
            )
        )
    repo.purge([row.id for row in rows], now)
    uow.session.flush()
    for row in rows:  # the purge wrote past the loaded rows: read them anew when asked
        uow.session.expire(row)
    return Erased(anonymised=len(rows), closed=closed)
