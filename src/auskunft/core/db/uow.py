"""Unit of work: one session, one transaction, committed explicitly.

The core knows no feature: a slice's repository is any class built from a
session, asked for with `uow.repo(AppointmentRepository)` and made once per
unit of work. Events published on it reach their listeners in the same
transaction or after the commit (see `core.events`).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from types import TracebackType
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from auskunft.core.events import Event, Phase
from auskunft.core.registry import registry

log = logging.getLogger("auskunft.events")
store_log = logging.getLogger(__name__)


class _Repository(Protocol):
    def __init__(self, session: Session) -> None: ...


R = TypeVar("R", bound=_Repository)


@lru_cache(maxsize=64)
def _factory(engine: Engine) -> sessionmaker[Session]:
    """One session factory per engine (building one costs more than the query it serves)."""
    return sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """Open a session for one use case; roll back unless commit() was called."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = _factory(engine)
        self._repositories: dict[type[Any], Any] = {}
        self._published: list[Event] = []

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._factory()
        self._repositories = {}
        self._published = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        except (OperationalError, InterfaceError) as error:
            # The connection died under the unit of work (the database restarted): nothing
            # uncommitted survives that, so there is nothing left to roll back. Raising here
            # would replace the request's answer, which may already be on its way (a page
            # whose session closes after it is sent), with a dropped connection.
            store_log.warning("rollback on a lost connection: %s", error.orig)
        finally:
            self.session.close()

    def repo(self, kind: type[R]) -> R:
        """The slice's repository of this unit of work (one per kind)."""
        found = self._repositories.get(kind)
        if found is None:
            found = self._repositories[kind] = kind(self.session)
        return found

    def publish(self, event: Event) -> None:
        """Tell the listeners: in-transaction ones now, after-commit ones after the commit."""
        for listener in registry().listeners_of(event, Phase.IN_TRANSACTION):
            listener(self, event)
        self._published.append(event)

    def commit(self) -> None:
        """Make the work durable, then run the after-commit listeners of its events."""
        self.session.commit()
        published, self._published = self._published, []
        for event in published:
            for listener in registry().listeners_of(event, Phase.AFTER_COMMIT):
                try:
                    with UnitOfWork(self.engine) as other:
                        listener(other, event)
                except Exception:  # the change is durable; a listener must not undo it
                    log.exception("listener %s failed for %r", listener, event)

    def rollback(self) -> None:
        """Throw the work away, and the events it published."""
        self.session.rollback()
        self._published = []
