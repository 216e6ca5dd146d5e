"""Concerns forwarded to the responsible office, their history, who opened them, the
offices' own feedback hours, and the link from a logged contact to its concern.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 19:10:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STAFF = "staff_users.id"


def _staff(name: str) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(STAFF, ondelete="SET NULL"), nullable=True)


def _moment(name: str, nullable: bool = True) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "concerns",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("tracking_code", sa.String(20), nullable=False, unique=True),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("service_id", sa.String(120), nullable=True),
        sa.Column("municipality", sa.String(80), nullable=True),
        sa.Column("authority_id", sa.String(120), nullable=False),
        _staff("taken_by"),
        _staff("created_by"),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("citizen_name", sa.String(200), nullable=False),
        sa.Column("citizen_email", sa.String(254), nullable=False),
        sa.Column("citizen_phone", sa.String(40), nullable=False),
        sa.Column("callback", sa.String(200), nullable=False),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("preferred", sa.String(10), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        _moment("consent_at", False),
        _moment("received_at", False),
        sa.Column("feedback_hours", sa.Integer(), nullable=False),
        _moment("due_at"),
        _moment("remind_at"),
        sa.Column("paused_seconds_left", sa.Integer(), nullable=True),
        _moment("reminded_at"),
        _moment("escalated_at"),
        _moment("answered_at"),
        sa.Column("answer_via", sa.String(10), nullable=True),
        _moment("closed_at"),
        sa.Column("verdict", sa.String(10), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        _moment("purged_at"),
        sa.Column("link_nonce", sa.String(40), nullable=True),
        _moment("updated_at", False),
        sa.CheckConstraint(
            "status in ('forwarded', 'in_progress', 'waiting_for_citizen', 'returned', "
            "'answered', 'closed')",
            name="ck_concern_status",
        ),
        sa.CheckConstraint(
            "channel in ('115', 'local', 'email', 'web', 'counter', 'letter')",
            name="ck_concern_channel",
        ),
    )
    op.create_index("ix_concerns_authority_due", "concerns", ["authority_id", "status", "due_at"])
    op.create_index("ix_concerns_status_due", "concerns", ["status", "due_at"])
    # The escalation pass claims by state, "not yet claimed" and time: the claim column
    # before the time, so already reminded or escalated rows are never read past.
    op.create_index("ix_concerns_remind_claim", "concerns", ["status", "reminded_at", "remind_at"])
    op.create_index("ix_concerns_due_claim", "concerns", ["status", "escalated_at", "due_at"])
    op.create_index("ix_concerns_closed", "concerns", ["closed_at"])
    op.create_table(
        "concern_steps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "concern_id",
            sa.Integer(),
            sa.ForeignKey("concerns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _moment("at", False),
        sa.Column("kind", sa.String(24), nullable=False),
        _staff("actor_id"),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("authority_id", sa.String(120), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_index("ix_concern_steps_concern_id", "concern_steps", ["concern_id"])
    op.create_table(
        "concern_access",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "concern_id",
            sa.Integer(),
            sa.ForeignKey("concerns.id", ondelete="CASCADE"),
            nullable=False,
        ),
        _staff("staff_id"),
        sa.Column("username", sa.String(64), nullable=False),
        _moment("at", False),
        sa.Column("via", sa.String(10), nullable=False),
    )
    op.create_index("ix_concern_access_concern_id", "concern_access", ["concern_id"])
    op.create_index("ix_concern_access_at", "concern_access", ["at"])
    op.create_table(
        "concern_offices",
        sa.Column("authority_id", sa.String(120), primary_key=True),
        sa.Column("feedback_hours", sa.Integer(), nullable=False),
    )
    # The portal form's proofs of work, each accepted once.
    op.create_table(
        "spent_challenges",
        sa.Column("signature", sa.String(128), primary_key=True),
        _moment("expires_at", False),
    )
    op.create_index("ix_spent_challenges_expires_at", "spent_challenges", ["expires_at"])
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("concern_id", sa.Integer(), nullable=True))
        batch.create_index("ix_contacts_concern_id", ["concern_id"])


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_index("ix_contacts_concern_id")
        batch.drop_column("concern_id")
    op.drop_table("spent_challenges")
    op.drop_table("concern_offices")
    op.drop_table("concern_access")
    op.drop_table("concern_steps")
    op.drop_table("concerns")
