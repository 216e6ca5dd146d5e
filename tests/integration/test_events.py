"""Events: in-transaction listeners share the publisher's fate, after-commit listeners run only
once the change is durable, and a failing after-commit listener never undoes it. The slices'
job kinds, periodic tasks and listeners reach the core through the registry."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from auskunft.appointments.model.events import OfferEnded, SlotFreed
from auskunft.core.db.engine import get_engine
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.events import Event, Phase
from auskunft.core.jobs.tables import Job
from auskunft.core.registry import Registry, registry

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Noted(Event):
    """A test event: something worth a job row happened."""

    what: str


def _write_job(uow: UnitOfWork, kind: str) -> None:
    uow.session.add(
        Job(kind=kind, payload={}, status="done", run_at=NOW, created_at=NOW, last_error="")
    )


def _kinds(url: str) -> list[str]:
    with UnitOfWork(get_engine(url)) as uow:
        return sorted(uow.session.scalars(select(Job.kind).where(Job.kind.like("test.%"))))


@pytest.fixture()
def heard() -> Iterator[list[tuple[str, str]]]:
    """Listeners of `Noted` for the test; taken off the process's registry afterwards."""
    calls: list[tuple[str, str]] = []

    def during(uow: UnitOfWork, event: Noted) -> None:
        calls.append(("in_transaction", event.what))
        _write_job(uow, f"test.during.{event.what}")

    def after(uow: UnitOfWork, event: Noted) -> None:
        calls.append(("after_commit", event.what))
        if event.what == "broken":
            raise RuntimeError("a listener that fails")
        _write_job(uow, f"test.after.{event.what}")
        uow.commit()

    registered = registry()
    registered.listen(Noted, during, Phase.IN_TRANSACTION)
    registered.listen(Noted, after, Phase.AFTER_COMMIT)
    yield calls
    registered.listeners.pop((Noted, Phase.IN_TRANSACTION))
    registered.listeners.pop((Noted, Phase.AFTER_COMMIT))


def test_in_transaction_listeners_run_at_once_and_commit_with_the_change(
    fresh_url: str, heard: list[tuple[str, str]]
) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        uow.publish(Noted("kept"))
        assert heard == [("in_transaction", "kept")]  # at once, before the commit
        _write_job(uow, "test.change.kept")
        uow.commit()
    assert heard == [("in_transaction", "kept"), ("after_commit", "kept")]
    assert _kinds(fresh_url) == ["test.after.kept", "test.change.kept", "test.during.kept"]


def test_a_rolled_back_change_takes_its_events_with_it(
    fresh_url: str, heard: list[tuple[str, str]]
) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        uow.publish(Noted("dropped"))
        _write_job(uow, "test.change.dropped")
        uow.rollback()
        uow.commit()  # nothing left to commit, and no event to tell
    with UnitOfWork(get_engine(fresh_url)) as uow:
        uow.publish(Noted("abandoned"))  # never committed: the unit of work just ends
    assert ("after_commit", "dropped") not in heard
    assert ("after_commit", "abandoned") not in heard
    assert _kinds(fresh_url) == []


def test_a_failing_after_commit_listener_leaves_the_change_in_place(
    fresh_url: str, heard: list[tuple[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    with UnitOfWork(get_engine(fresh_url)) as uow:
        uow.publish(Noted("broken"))
        _write_job(uow, "test.change.broken")
        uow.commit()
    assert ("after_commit", "broken") in heard
    assert "listener" in caplog.text and "failed" in caplog.text
    assert _kinds(fresh_url) == ["test.change.broken", "test.during.broken"]


def test_listeners_of_a_base_event_hear_its_subtypes() -> None:
    found = Registry()
    seen: list[Any] = []
    found.listen(Event, lambda _uow, event: seen.append(event), Phase.IN_TRANSACTION)
    assert len(found.listeners_of(Noted("x"), Phase.IN_TRANSACTION)) == 1
    assert found.listeners_of(Noted("x"), Phase.AFTER_COMMIT) == []


def test_a_kind_or_task_registered_twice_is_refused() -> None:
    found = Registry()
    found.job("mail.x", lambda *_: None)
    found.every_minute("tidy", lambda *_: {})
    with pytest.raises(ValueError, match="twice"):
        found.job("mail.x", lambda *_: None)
    with pytest.raises(ValueError, match="twice"):
        found.every_minute("tidy", lambda *_: {})


def test_the_slices_plug_their_jobs_tasks_and_listeners_into_the_core() -> None:
    registered = registry()
    assert {"mail.confirmation", "mail.reminder", "mail.waitlist_offer"} <= set(registered.jobs)
    assert list(registered.periodic) == [
        "appointments.expire_holds",
        "appointments.purge",
        "audit.prune",
        "editorial.publish_due",
        "editorial.gaps",
        "concerns.escalate",
        "concerns.housekeeping",
        "links.check",
        "telephony.purge_keys",
    ]
    freed = SlotFreed("kassel-buergerbuero-rathaus", NOW, policy=None)
    assert len(registered.listeners_of(freed, Phase.IN_TRANSACTION)) == 1
    assert len(registered.listeners_of(OfferEnded(1, True), Phase.IN_TRANSACTION)) == 1
