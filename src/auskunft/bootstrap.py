"""Create, migrate and seed the database on first use."""

from __future__ import annotations

from sqlalchemy import Engine

from auskunft.appointments.service.booking import list_locations
from auskunft.appointments.service.demo import seed_demo_calendars
from auskunft.catalog.service import reads as catalog_reads
from auskunft.catalog.service.demo import import_demo_catalog
from auskunft.core.db.engine import get_engine, needs_schema, upgrade
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.progress import Progress


def load_tables() -> None:
    """Import every slice's tables, so the shared metadata knows them all (foreign keys
    between slices are named by string and resolved against it)."""
    import auskunft.access.tables
    import auskunft.appointments.tables
    import auskunft.audit.tables
    import auskunft.catalog.tables
    import auskunft.core.jobs.tables
    import auskunft.core.mail.tables
    import auskunft.core.proof.tables
    import auskunft.desk.tables
    import auskunft.editorial.tables
    import auskunft.forwarding.tables
    import auskunft.links.tables
    import auskunft.search.tables
    import auskunft.statistics.tables
    import auskunft.telephony.tables  # noqa: F401


load_tables()


def is_current(engine: Engine) -> bool:
    """Tell whether the schema is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from auskunft.core.db.engine import alembic_config

    script = ScriptDirectory.from_config(alembic_config(str(engine.url)))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return set(current) == set(script.get_heads())


def prepare_empty(url: str) -> None:
    """A new database with the schema and no catalog, marked so that opening it does not
    seed the demo catalog (`auskunft db init --empty`, before importing an export)."""
    engine = get_engine(url)
    if needs_schema(engine) or not is_current(engine):
        upgrade(engine)
    with UnitOfWork(engine) as uow:
        if catalog_reads.revision(uow) == 0 and catalog_reads.count_services(uow) == 0:
            catalog_reads.mark_changed(uow)
            uow.commit()


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
        if catalog_reads.revision(uow) == 0 and catalog_reads.count_services(uow) == 0:
            import_demo_catalog(uow, progress=progress)
            uow.commit()
            seeded = True
        if not list_locations(uow) and catalog_reads.authority(uow, "kassel-buergerbuero"):
            seed_demo_calendars(uow)
            uow.commit()
    return engine, seeded
