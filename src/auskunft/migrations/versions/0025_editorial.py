"""The digital Rathaus (issue 15): drafts under review, published flag, freshness, full
records of versions, per-service responsibilities, and the content gaps.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("description_en", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("editor", sa.String(120), nullable=True))
        batch.add_column(
            sa.Column("review_months", sa.Integer(), nullable=False, server_default="12")
        )
        batch.add_column(sa.Column("reviewed_by", sa.String(120), nullable=True))
    with op.batch_alter_table("service_versions") as batch:
        batch.add_column(sa.Column("reviewed_by", sa.String(120), nullable=True))
        batch.add_column(sa.Column("record", sa.JSON(), nullable=True))
    op.create_table(
        "service_responsibilities",
        sa.Column(
            "service_id",
            sa.String(120),
            sa.ForeignKey("services.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("area_id", sa.String(80), sa.ForeignKey("areas.id"), primary_key=True),
        sa.Column(
            "authority_id",
            sa.String(120),
            sa.ForeignKey("authorities.id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_table(
        "service_drafts",
        sa.Column("service_id", sa.String(120), primary_key=True),
        sa.Column("new", sa.Boolean(), nullable=False),
        sa.Column("participant_id", sa.String(80), nullable=False, index=True),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("editors", sa.JSON(), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("updated_at", MOMENT, nullable=False),
        sa.Column("submitted_by", sa.String(120), nullable=True),
        sa.Column("submitted_at", MOMENT, nullable=True),
        sa.Column("reviewed_by", sa.String(120), nullable=True),
        sa.Column("publish_at", MOMENT, nullable=True, index=True),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_table(
        "content_gaps",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("first_seen", MOMENT, nullable=False),
        sa.Column("last_seen", MOMENT, nullable=False, index=True),
        sa.Column("service_id", sa.String(120), nullable=True),
        sa.Column("handled_by", sa.String(120), nullable=True),
        sa.Column("handled_at", MOMENT, nullable=True),
        sa.UniqueConstraint("query", "channel"),
    )
    op.create_table(
        "content_gap_sessions",
        sa.Column(
            "gap_id",
            sa.Integer(),
            sa.ForeignKey("content_gaps.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("session", sa.String(32), primary_key=True),
        sa.Column("seen", MOMENT, nullable=False),
    )
    op.create_table(
        "pending_searches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("session", sa.String(32), nullable=False, index=True),
        sa.Column("query", sa.String(200), nullable=False),
        sa.Column("asked_at", MOMENT, nullable=False, index=True),
        sa.Column("opened", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "pending_searches", "content_gap_sessions", "content_gaps", "service_drafts",
        "service_responsibilities",
    ):  # fmt: skip
        op.drop_table(table)
    with op.batch_alter_table("service_versions") as batch:
        batch.drop_column("record")
        batch.drop_column("reviewed_by")
    with op.batch_alter_table("services") as batch:
        for column in ("reviewed_by", "review_months", "editor", "published", "description_en"):
            batch.drop_column(column)
