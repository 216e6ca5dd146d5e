"""Unit of work: one session, one transaction, committed explicitly."""

from __future__ import annotations

from functools import lru_cache
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from auskunft.db.appointments import AppointmentRepository
from auskunft.db.repositories import CatalogRepository
from auskunft.db.staff import ContactRepository, StaffRepository


@lru_cache(maxsize=64)
def _factory(engine: Engine) -> sessionmaker[Session]:
    """One session factory per engine (building one costs more than the query it serves)."""
    return sessionmaker(engine, expire_on_commit=False)


class UnitOfWork:
    """Open a session for one use case; roll back unless commit() was called."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = _factory(engine)

    def __enter__(self) -> UnitOfWork:
        self.session: Session = self._factory()
        self.catalog = CatalogRepository(self.session)
        self.staff = StaffRepository(self.session)
        self.contacts = ContactRepository(self.session)
        self.appointments = AppointmentRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        """Make the work durable."""
        self.session.commit()

    def rollback(self) -> None:
        """Throw the work away."""
        self.session.rollback()
