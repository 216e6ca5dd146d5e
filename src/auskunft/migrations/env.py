"""Alembic environment: uses the connection handed over by auskunft.core.db.engine.upgrade."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from auskunft.bootstrap import load_tables
from auskunft.core.db.base import Base

load_tables()
config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
