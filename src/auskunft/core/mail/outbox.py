"""Send each e-mail of a background job once, also when its worker dies mid-job.

The worker runs every job inside `job_mails(engine, job_id)`. Within it, every mail the
job hands to `smtp.send` gets a key (the job, a digest of recipient and subject, and a
running number for mails alike) and a Message-ID derived from that key, the same on
every try. Before sending, the key is looked up: a mail handed over by an earlier try is
not sent again. Right after the mail server accepted it, the hand-over is recorded and
committed in a transaction of its own, before the job goes on: long before the job's
lease (five minutes) could run out and another worker take it up.

What remains is the moment between the server's "250 OK" and that commit (a few
milliseconds): a worker killed exactly then sends the mail again when the job is taken
up, with the same Message-ID, which mail programs show as one message.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.mail.tables import MailHandover


@dataclass
class _Scope:
    engine: Engine
    job: str
    seen: Counter[str] = field(default_factory=Counter)


_scope: ContextVar[_Scope | None] = ContextVar("auskunft_job_mails", default=None)


@contextmanager
def job_mails(engine: Engine, job_id: int | str) -> Iterator[None]:
    """Mails sent within this block belong to the job and are sent once."""
    token = _scope.set(_Scope(engine, f"job-{job_id}"))
    try:
        yield
    finally:
        _scope.reset(token)


@dataclass(frozen=True)
class Slot:
    """A mail's place in its job: its key, and whether an earlier try handed it over."""

    key: str
    message_id: str
    done: bool


def slot_for(mail: EmailMessage, domain: str) -> Slot | None:
    """The mail's slot in the running job (None outside a job); gives it its Message-ID."""
    scope = _scope.get()
    if scope is None:
        return None
    what = f"{mail.get('To', '')}\n{mail.get('Subject', '')}".encode("utf-8", "replace")
    digest = hashlib.sha256(what).hexdigest()[:16]
    scope.seen[digest] += 1
    key = f"{scope.job}:{digest}:{scope.seen[digest]}"
    message_id = f"<{key.replace(':', '.')}.{_install_tag(scope.engine)}@{domain or 'localhost'}>"
    with UnitOfWork(scope.engine) as uow:
        done = uow.session.get(MailHandover, key) is not None
    return Slot(key, message_id, done)


def handed_over(slot: Slot) -> None:
    """Record, at once and on its own, that the mail server accepted the slot's mail."""
    scope = _scope.get()
    if scope is None:
        return
    with UnitOfWork(scope.engine) as uow:
        uow.session.add(
            MailHandover(key=slot.key, message_id=slot.message_id, handed_at=datetime.now(UTC))
        )
        try:
            uow.commit()
        except IntegrityError:  # recorded by a try that overlapped: the same mail
            uow.rollback()


def forget_before(uow: UnitOfWork, before: datetime) -> int:
    """Drop the hand-overs older than `before` (with the finished jobs). The caller commits."""
    result = uow.session.execute(delete(MailHandover).where(MailHandover.handed_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _install_tag(engine: Engine) -> str:
    """A short tag of the database, so that job ids of two installations do not give the
    same Message-ID."""
    return hashlib.sha256(str(engine.url).encode()).hexdigest()[:8]
