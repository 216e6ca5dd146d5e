"""Editors keep authorities right (issue 15): closure days, the concern inbox and a version
per authority; and the catalog's change log, so a search index updates the services one
publication changed instead of rebuilding itself.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("authorities") as batch:
        batch.add_column(sa.Column("closures", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("concern_email", sa.String(200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "catalog_changes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("revision", sa.Integer(), nullable=False, index=True),
        # "services" (service_id names one), "offices" or "all".
        sa.Column("scope", sa.String(10), nullable=False),
        sa.Column("service_id", sa.String(120), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("catalog_changes")
    with op.batch_alter_table("authorities") as batch:
        batch.drop_column("version")
        batch.drop_column("concern_email")
        batch.drop_column("closures")
