"""A job's e-mails are sent once (issue 13): a job taken up again after its worker died
does not send what the mail server already accepted, every try uses the same
Message-ID, and the envelope goes to the address exactly as it was stored. Against a
real SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from auskunft.core.config import Settings
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.jobs import queue
from auskunft.core.jobs.tables import Job
from auskunft.core.jobs.worker import LEASE, housekeeping, run_due
from auskunft.core.mail import outbox
from auskunft.core.mail import smtp as mailer
from auskunft.core.mail.tables import MailHandover
from auskunft.core.registry import registry
from tests.web.test_desk import Inbox, free_port

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
KIND = "test.outbox_two_mails"


@pytest.fixture()
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def settings_for(url: str, port: int) -> Settings:
    return Settings(database_url=url, smtp_port=port, mail_from="Stadt <post@kassel.example>")


def two_mails_then(fail: dict[str, bool]) -> Any:
    """A job handler that sends two mails and then, while `fail["after"]`, dies the way a
    killed worker's job does: the mails are out, the job is not finished."""

    def handler(engine: Any, settings: Any, kind: str, payload: dict[str, Any], now: datetime):
        smtp = mailer.SmtpSettings.from_settings(settings)
        for n in (1, 2):
            mail = mailer.message(smtp, payload["to"], f"Ihr Termin ({n})", "Text", "de")
            mailer.send(smtp, mail)
        if fail["after"]:
            raise RuntimeError("the worker died after sending")

    return handler


def test_a_job_run_again_sends_only_what_was_not_handed_over(
    fresh_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    settings = settings_for(fresh_url, port)
    engine = get_engine(fresh_url)
    fail = {"after": True}
    registry().jobs[KIND] = two_mails_then(fail)
    try:
        with UnitOfWork(engine) as uow:
            queue.enqueue(uow.session, KIND, {"to": "anna@example.de"}, now=NOW)
            uow.commit()
        assert run_due(engine, settings, now=NOW) == 1  # sends both, then "dies"
        assert len(inbox.messages) == 2
        first_ids = [m["Message-ID"] for m in inbox.messages]
        fail["after"] = False
        # The retry (here after the pause of a failed job; after a kill -9 after the lease).
        later = NOW + LEASE + timedelta(minutes=30)
        assert run_due(engine, settings, now=later) == 1
        assert len(inbox.messages) == 2, "nothing is sent twice"
        with UnitOfWork(engine) as uow:
            job = uow.session.scalars(select(Job).where(Job.kind == KIND)).one()
            assert job.status == "done"
            recorded = uow.session.scalars(select(MailHandover.message_id)).all()
        assert sorted(recorded) == sorted(first_ids)
        assert len(set(first_ids)) == 2  # two mails, two ids
        # Old hand-overs go with the finished jobs.
        housekeeping(engine, settings, now=later + timedelta(days=settings.job_retention_days + 1))
        with UnitOfWork(engine) as uow:
            assert uow.session.scalar(select(func.count()).select_from(MailHandover)) == 0
    finally:
        registry().jobs.pop(KIND, None)


def test_every_try_of_a_mail_has_the_same_message_id_and_outside_a_job_nothing_is_kept(
    fresh_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    engine = get_engine(fresh_url)
    smtp_settings = mailer.SmtpSettings.from_settings(settings_for(fresh_url, port))

    def mail(subject: str) -> Any:
        return mailer.message(smtp_settings, "bert@example.de", subject, "Text", "de")

    with outbox.job_mails(engine, 7):
        a = outbox.slot_for(mail("Erinnerung"), "kassel.example")
        b = outbox.slot_for(mail("Erinnerung"), "kassel.example")  # a second one alike
    with outbox.job_mails(engine, 7):
        again = outbox.slot_for(mail("Erinnerung"), "kassel.example")
    assert a is not None and b is not None and again is not None
    assert a.message_id == again.message_id != b.message_id
    assert a.message_id.endswith("@kassel.example>")
    # Outside a job (the desk's mail to a caller) a mail is simply sent.
    mailer.send(smtp_settings, mail("Direkt"))
    mailer.send(smtp_settings, mail("Direkt"))
    assert len(inbox.messages) == 2
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(MailHandover)) == 0


def test_the_envelope_goes_to_the_address_as_stored(
    fresh_url: str, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    smtp_settings = mailer.SmtpSettings.from_settings(settings_for(fresh_url, port))
    mail = mailer.message(smtp_settings, "Anna.Schmidt+termin@example.de", "Test", "Text", "de")
    mailer.send(smtp_settings, mail)
    assert inbox.envelopes[-1].rcpt_tos == ["Anna.Schmidt+termin@example.de"]
    # What a header would read as another address is refused before anything is stored.
    for read_otherwise in ("x@[127.0.0.1].de", "x(comment)@example.de", "=?utf-8?q?x?=@a.de"):
        with pytest.raises(InvalidInput):
            mailer.check_address(read_otherwise)
