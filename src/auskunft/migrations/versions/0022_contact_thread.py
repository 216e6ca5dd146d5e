"""Contacts carry their caller's series of calls and whether the caller called again about
the same service within 7 days (issue 14: first-contact resolution, measured).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("caller_thread", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("called_again", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_contacts_caller_thread", "contacts", ["caller_thread"])


def downgrade() -> None:
    op.drop_index("ix_contacts_caller_thread", table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("called_again")
        batch.drop_column("caller_thread")
