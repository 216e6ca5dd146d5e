"""The data-protection officer's role (`dpo`): reads the audit log and answers citizens'
requests about their data (issue 13).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 11:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

OLD = "role in ('agent', 'clerk', 'editor', 'supervisor', 'admin')"
NEW = "role in ('agent', 'clerk', 'editor', 'supervisor', 'admin', 'dpo')"


def _sqlite_check(old: str, new: str) -> None:
    """Loosen (or tighten) the CHECK of staff_users in place.

    Rebuilding the table, Alembic's way, drops the old one, and with foreign keys on that
    deletes every session and office of every account (ON DELETE CASCADE). A CHECK that
    admits one more value changes no stored row, so the table's definition is edited in
    the schema itself, as SQLite documents for such changes ("Making Other Kinds Of Table
    Schema Changes"), and the schema version is raised so every connection reloads it.
    """
    bind = op.get_bind()
    sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'staff_users'"
    ).scalar_one()
    if old not in sql:
        raise RuntimeError("staff_users has not the role constraint this migration expects")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'staff_users'",
        (sql.replace(old, new),),
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = bind.exec_driver_sql("PRAGMA integrity_check").scalar_one()
    if problems != "ok":
        raise RuntimeError(f"staff_users after the change: {problems}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_check(OLD, NEW)
        return
    op.drop_constraint("ck_staff_role", "staff_users", type_="check")
    op.create_check_constraint("ck_staff_role", "staff_users", NEW)


def downgrade() -> None:
    op.execute("DELETE FROM staff_users WHERE role = 'dpo'")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_check(NEW, OLD)
        return
    op.drop_constraint("ck_staff_role", "staff_users", type_="check")
    op.create_check_constraint("ck_staff_role", "staff_users", OLD)
