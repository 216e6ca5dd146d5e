"""The figures of past months kept once computed (issue 14: a year's page in time).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 18:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_months",
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("month", sa.Date(), primary_key=True),
        sa.Column("params", sa.String(80), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("figure_months")
