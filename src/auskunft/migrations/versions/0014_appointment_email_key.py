"""The mailbox an appointment's address reaches, which the per-address limit counts.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BATCH = 1000


def _key(address: str) -> str:
    """core.email.limit_key as it was when this ran: lower case, without a "+tag"."""
    local, _, domain = address.rpartition("@")
    base = local.split("+", 1)[0] or local
    return f"{base.lower()}@{domain.lower()}"


def upgrade() -> None:
    op.add_column(
        "appointments",
        sa.Column("email_key", sa.String(254), nullable=False, server_default=""),
    )
    op.create_index("ix_appointments_email_key", "appointments", ["email_key"])
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, email FROM appointments WHERE email <> '' ORDER BY id")
    ).all()
    update = sa.text("UPDATE appointments SET email_key = :key WHERE id = :id")
    for start in range(0, len(rows), _BATCH):
        batch = rows[start : start + _BATCH]
        connection.execute(update, [{"id": row[0], "key": _key(row[1])} for row in batch])


def downgrade() -> None:
    op.drop_index("ix_appointments_email_key", table_name="appointments")
    op.drop_column("appointments", "email_key")
