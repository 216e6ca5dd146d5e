"""Telephony: the calls of the queue_log and the callers' day keys (issue 14).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(64), nullable=False, unique=True),
        sa.Column("queue", sa.String(80), nullable=False),
        sa.Column("did", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(10), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("result", sa.String(12), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agent", sa.String(80), nullable=True),
        sa.Column("wait_s", sa.Integer(), nullable=True),
        sa.Column("talk_s", sa.Integer(), nullable=True),
        sa.Column("rang_unanswered", sa.Integer(), nullable=False),
        sa.Column("queues_entered", sa.Integer(), nullable=False),
        sa.Column("caller_key", sa.String(64), nullable=True),
        sa.Column("key_day", sa.Date(), nullable=True),
        sa.Column("caller_thread", sa.String(64), nullable=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("local_day", sa.Date(), nullable=False),
        sa.Column("local_slot", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "channel is null or channel in ('115', 'local')", name="ck_call_channel"
        ),
        sa.CheckConstraint("state in ('waiting', 'talking', 'ended')", name="ck_call_state"),
        sa.CheckConstraint(
            "result is null or result in "
            "('answered', 'transferred', 'abandoned', 'timeout', 'empty', 'key')",
            name="ck_call_result",
        ),
        sa.CheckConstraint("wait_s is null or wait_s >= 0", name="ck_call_wait"),
        sa.CheckConstraint("talk_s is null or talk_s >= 0", name="ck_call_talk"),
    )
    op.create_index("ix_calls_entered", "calls", ["entered_at", "channel"])
    op.create_index("ix_calls_local_day", "calls", ["local_day", "channel"])
    op.create_index("ix_calls_agent", "calls", ["agent"])
    op.create_index("ix_calls_caller_thread", "calls", ["caller_thread"])
    op.create_index("ix_calls_caller", "calls", ["key_day", "caller_key"])
    op.create_table(
        "caller_keys",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("secret", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("caller_keys")
    op.drop_index("ix_calls_caller", table_name="calls")
    op.drop_index("ix_calls_caller_thread", table_name="calls")
    op.drop_index("ix_calls_agent", table_name="calls")
    op.drop_index("ix_calls_local_day", table_name="calls")
    op.drop_index("ix_calls_entered", table_name="calls")
    op.drop_table("calls")
