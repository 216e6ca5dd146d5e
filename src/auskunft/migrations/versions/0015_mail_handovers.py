"""The outbox's memory: e-mails a job handed to the mail server, so a job taken up again
after its worker died does not send them twice.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_handovers",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("message_id", sa.String(250), nullable=False),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_mail_handovers_handed_at", "mail_handovers", ["handed_at"])


def downgrade() -> None:
    op.drop_index("ix_mail_handovers_handed_at", table_name="mail_handovers")
    op.drop_table("mail_handovers")
