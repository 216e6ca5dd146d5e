"""The busy read of the slot search reads its columns from one index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OLD = "ix_appointments_location_start"
NEW = "ix_appointments_busy"
COLUMNS = ["location_id", "start_minute", "busy_until", "status", "counter_id"]


def upgrade() -> None:
    # Every slot search reads (counter, start, busy until) of thousands of visits
    # by location and start; with status and the other columns in the index the
    # store answers from the index alone. Its first two columns are the old
    # index's, which it replaces.
    op.create_index(NEW, "appointments", COLUMNS)
    op.drop_index(OLD, table_name="appointments")


def downgrade() -> None:
    op.create_index(OLD, "appointments", ["location_id", "start_minute"])
    op.drop_index(NEW, table_name="appointments")
