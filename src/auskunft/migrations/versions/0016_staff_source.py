"""Directory login: whether a staff account is local (its password hash decides) or
managed by the directory (LDAP/Active Directory, no usable local password).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One statement both stores understand: SQLite cannot add a table constraint without
    # rebuilding the table (whose dropping would cascade to sessions and offices), but it
    # takes a column constraint in ADD COLUMN.
    op.execute(
        "ALTER TABLE staff_users ADD COLUMN source VARCHAR(10) DEFAULT 'local' NOT NULL "
        "CONSTRAINT ck_staff_source CHECK (source in ('local', 'ldap'))"
    )


def downgrade() -> None:
    op.drop_column("staff_users", "source")
