"""Create, migrate and seed the database on first use."""

from __future__ import annotations

from sqlalchemy import Engine

from auskunft.db.engine import get_engine, needs_schema, upgrade
from auskunft.db.uow import UnitOfWork
from auskunft.services import Progress
from auskunft.services.demo_calendars import seed_demo_calendars
from auskunft.services.demo_catalog import import_demo_catalog


def is_current(engine: Engine) -> bool:
    """Tell whether the schema is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from auskunft.db.engine import alembic_config

    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())


def open_catalog(url: str, progress: Progress | None = None) -> tuple[Engine, bool]:
    """Return an engine whose schema is current; seed the demo catalog into a new database.

    The second value tells whether the demo catalog was seeded just now.
    """
    engine = get_engine(url)
    fresh = needs_schema(engine)
    if fresh or not is_current(engine):
        upgrade(engine)
    seeded = False
    with UnitOfWork(engine) as uow:
        if uow.catalog.revision() == 0 and uow.catalog.count_services() == 0:
            import_demo_catalog(uow, progress=progress)
            uow.commit()
            seeded = True
        if not uow.appointments.calendars() and uow.catalog.authority("kassel-buergerbuero"):
            seed_demo_calendars(uow)
            uow.commit()
    return engine, seeded
