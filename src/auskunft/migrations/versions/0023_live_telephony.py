"""The live side of telephony (issue 14): the caller's area code on a call, the agents'
presence in the queues, and which staff account answers as which agent.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("area_code", sa.String(5), nullable=True))
    op.create_index("ix_calls_state", "calls", ["state"])
    op.create_table(
        "agent_presence",
        sa.Column("agent", sa.String(80), primary_key=True),
        sa.Column("queue", sa.String(80), primary_key=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "agent_links",
        sa.Column("agent", sa.String(80), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("agent_links")
    op.drop_table("agent_presence")
    op.drop_index("ix_calls_state", table_name="calls")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("area_code")
