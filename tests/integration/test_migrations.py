"""The Alembic migrations create exactly the schema the code's tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from auskunft.db.engine import get_engine
from auskunft.db.tables import Base


def test_migrations_match_the_tables(catalog_url: str) -> None:
    with get_engine(catalog_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
