"""The link checker (issue 15): the links of the published services and what their checks
found, and the checker's own state.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "link_checks",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("uses", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False, index=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", MOMENT, nullable=True),
        sa.Column("last_checked_at", MOMENT, nullable=True),
        sa.Column("last_ok_at", MOMENT, nullable=True),
        sa.Column("next_check_at", MOMENT, nullable=False, index=True),
        sa.Column("created_at", MOMENT, nullable=False),
    )
    state = op.create_table(
        "link_check_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("catalog_revision", sa.Integer(), nullable=False),
        sa.Column("running_until", MOMENT, nullable=True),
        sa.Column("last_round_at", MOMENT, nullable=True),
        sa.Column("last_round_checked", sa.Integer(), nullable=False),
        sa.Column("last_round_seconds", sa.Float(), nullable=False),
    )
    # The one row, there before any worker asks for it (two could otherwise both add it).
    op.bulk_insert(
        state,
        [{"id": 1, "catalog_revision": -1, "last_round_checked": 0, "last_round_seconds": 0.0}],
    )


def downgrade() -> None:
    op.drop_table("link_check_state")
    op.drop_table("link_checks")
