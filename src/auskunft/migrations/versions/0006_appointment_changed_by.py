"""Appointments remember which staff member changed them last.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, never a batch rebuild: rebuilding the table on SQLite
    # drops it, and with foreign keys on that would empty its cascading children
    # (the visits' services and counter cells). No ON DELETE action: staff users
    # are locked, never deleted, and a recorded change should keep its author.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE appointments ADD COLUMN changed_by INTEGER REFERENCES staff_users (id)"
        )
        return
    op.add_column("appointments", sa.Column("changed_by", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "appointments_changed_by_fkey",
        "appointments",
        "staff_users",
        ["changed_by"],
        ["id"],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE appointments DROP COLUMN changed_by")
        return
    op.drop_constraint("appointments_changed_by_fkey", "appointments", type_="foreignkey")
    op.drop_column("appointments", "changed_by")
