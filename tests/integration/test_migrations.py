"""The Alembic migrations create exactly the schema the code's tables describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from auskunft.core.db.base import Base
from auskunft.core.db.engine import get_engine


def test_migrations_match_the_tables(catalog_url: str) -> None:
    with get_engine(catalog_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
