"""Appointments: calendars, counters, hours, exceptions, bookings, cells, waitlist, jobs.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _location_fk() -> sa.ForeignKey:
    return sa.ForeignKey("locations.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "calendars",
        sa.Column("location_id", sa.String(120), _location_fk(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False, server_default="office"),
        sa.Column("grid_minutes", sa.Integer(), nullable=False, server_default="10"),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("horizon_days", sa.Integer(), nullable=True),
        sa.Column("lead_minutes", sa.Integer(), nullable=True),
        sa.Column("phone_share", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.CheckConstraint("kind in ('office', 'venue')", name="ck_calendar_kind"),
        sa.CheckConstraint("grid_minutes in (5, 10, 15, 20, 30, 60)", name="ck_calendar_grid"),
        sa.CheckConstraint("buffer_minutes >= 0", name="ck_calendar_buffer"),
    )
    op.create_table(
        "counters",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("location_id", sa.String(120), _location_fk(), nullable=False, index=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("location_id", "name"),
    )
    op.create_table(
        "opening_rules",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "counter_id",
            sa.Integer(),
            sa.ForeignKey("counters.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("closes", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("weekday between 0 and 6", name="ck_rule_weekday"),
        sa.CheckConstraint(
            "opens >= 0 and closes <= 1440 and opens < closes", name="ck_rule_times"
        ),
        sa.CheckConstraint(
            "valid_to is null or valid_from is null or valid_from <= valid_to",
            name="ck_rule_validity",
        ),
    )
    op.create_table(
        "calendar_exceptions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("location_id", sa.String(120), _location_fk(), nullable=False, index=True),
        sa.Column(
            "counter_id",
            sa.Integer(),
            sa.ForeignKey("counters.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=True),
        sa.Column("closes", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(200), nullable=False, server_default=""),
        sa.CheckConstraint("(opens is null) = (closes is null)", name="ck_exception_pair"),
        sa.CheckConstraint(
            "opens is null or (opens >= 0 and closes <= 1440 and opens < closes)",
            name="ck_exception_times",
        ),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("location_id", sa.String(120), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("counter_id", sa.Integer(), sa.ForeignKey("counters.id"), nullable=False),
        sa.Column("start_at", _TS, nullable=False),
        sa.Column("end_at", _TS, nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("busy_until", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default="booked"),
        sa.Column("channel", sa.String(10), nullable=False, server_default="online"),
        sa.Column(
            "booked_by",
            sa.Integer(),
            sa.ForeignKey("staff_users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=False, server_default="", index=True),
        sa.Column("phone", sa.String(40), nullable=False, server_default="", index=True),
        sa.Column("language", sa.String(2), nullable=False, server_default="de"),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True, index=True),
        sa.Column("waitlist_id", sa.Integer(), nullable=True),
        sa.Column("purged", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.CheckConstraint(
            "status in ('booked', 'provisional', 'offered', 'cancelled', 'expired', "
            "'arrived', 'no_show')",
            name="ck_appointment_status",
        ),
        sa.CheckConstraint("channel in ('online', 'phone')", name="ck_appointment_channel"),
        sa.CheckConstraint("end_at > start_at", name="ck_appointment_times"),
        sa.CheckConstraint("busy_until > start_minute", name="ck_appointment_busy"),
    )
    op.create_index(
        "ix_appointments_location_start", "appointments", ["location_id", "start_minute"]
    )
    op.create_table(
        "appointment_services",
        sa.Column(
            "appointment_id",
            sa.Integer(),
            sa.ForeignKey("appointments.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column(
            "service_id", sa.String(120), sa.ForeignKey("services.id"), nullable=False, index=True
        ),
    )
    op.create_table(
        "counter_cells",
        sa.Column(
            "counter_id",
            sa.Integer(),
            sa.ForeignKey("counters.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("cell", sa.Integer(), primary_key=True),
        sa.Column(
            "appointment_id",
            sa.Integer(),
            sa.ForeignKey("appointments.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
    )
    op.create_table(
        "waitlist",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("service_id", sa.String(120), sa.ForeignKey("services.id"), nullable=False),
        sa.Column(
            "location_id", sa.String(120), sa.ForeignKey("locations.id"), nullable=False, index=True
        ),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("email", sa.String(254), nullable=False, server_default=""),
        sa.Column("phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("language", sa.String(2), nullable=False, server_default="de"),
        sa.Column("status", sa.String(10), nullable=False, server_default="waiting"),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("offers", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("appointment_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status in ('waiting', 'offered', 'booked', 'left', 'expired')",
            name="ck_waitlist_status",
        ),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False, server_default="queued"),
        sa.Column("run_at", _TS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", _TS, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.CheckConstraint(
            "status in ('queued', 'running', 'done', 'failed')", name="ck_job_status"
        ),
    )
    op.create_index("ix_jobs_due", "jobs", ["status", "run_at"])


def downgrade() -> None:
    op.drop_index("ix_jobs_due", table_name="jobs")
    for table in (
        "jobs",
        "waitlist",
        "counter_cells",
        "appointment_services",
        "appointments",
        "calendar_exceptions",
        "opening_rules",
        "counters",
        "calendars",
    ):
        op.drop_table(table)
