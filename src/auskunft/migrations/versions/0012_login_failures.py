"""Failed logins per user name and per client address (the login throttle), instead of
locking an account: a stranger can slow a name down but never lock it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_failures_last_at", "login_failures", ["last_at"])
    # Accounts locked by the old rule are unlocked: the throttle takes over.
    op.execute("UPDATE staff_users SET locked_until = NULL, failed_logins = 0")


def downgrade() -> None:
    op.drop_index("ix_login_failures_last_at", table_name="login_failures")
    op.drop_table("login_failures")
