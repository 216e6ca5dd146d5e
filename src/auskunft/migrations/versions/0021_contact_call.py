"""Contacts carry the telephone system's call id and their local day (issue 14).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 14:00:00
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("call_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("local_day", sa.Date(), nullable=True))
    op.create_index("ix_contacts_call_id", "contacts", ["call_id"])
    op.create_index("ix_contacts_local_day", "contacts", ["local_day"])
    # The local day of the contacts logged so far.
    berlin = ZoneInfo("Europe/Berlin")
    conn = op.get_bind()
    contacts = sa.table(
        "contacts",
        sa.column("id", sa.Integer()),
        sa.column("started_at", sa.DateTime(timezone=True)),
        sa.column("local_day", sa.Date()),
    )
    rows = conn.execute(sa.select(contacts.c.id, contacts.c.started_at)).all()
    for contact_id, started in rows:
        if started.tzinfo is None:  # SQLite hands back naive UTC
            started = started.replace(tzinfo=UTC)
        conn.execute(
            contacts.update()
            .where(contacts.c.id == contact_id)
            .values(local_day=started.astimezone(berlin).date())
        )


def downgrade() -> None:
    op.drop_index("ix_contacts_local_day", table_name="contacts")
    op.drop_index("ix_contacts_call_id", table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("local_day")
        batch.drop_column("call_id")
