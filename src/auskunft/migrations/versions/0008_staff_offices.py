"""The offices a staff account belongs to: authorities (Behörden) and network participants.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A clerk sees the calendars and visitors of their own authorities only, a partner's
    # staff those of their participant. An office that leaves the catalog takes its
    # memberships along (ON DELETE CASCADE), as does a deleted account.
    op.create_table(
        "staff_authorities",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "authority_id",
            sa.String(120),
            sa.ForeignKey("authorities.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )
    op.create_table(
        "staff_participants",
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "participant_id",
            sa.String(80),
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )


def downgrade() -> None:
    op.drop_table("staff_participants")
    op.drop_table("staff_authorities")
