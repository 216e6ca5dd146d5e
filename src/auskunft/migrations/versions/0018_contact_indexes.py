"""Indexes on the contact columns of concerns and waitlist entries, for the search of a
person's data (DSGVO Art. 15 and 17, issue 13): it reads the rows that still hold an
address or a phone number, a range of these indexes, instead of the whole table.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 11:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_INDEXES = (
    ("ix_concerns_citizen_email", "concerns", "citizen_email"),
    ("ix_concerns_citizen_phone", "concerns", "citizen_phone"),
    ("ix_waitlist_email", "waitlist", "email"),
    ("ix_waitlist_phone", "waitlist", "phone"),
)


def upgrade() -> None:
    for name, table, column in _INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
