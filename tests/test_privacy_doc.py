"""docs/privacy.md names every table of the code, and only those, and the settings it names
exist: a new table cannot ship without saying whether it holds personal data."""

from __future__ import annotations

import re
from pathlib import Path

from auskunft.bootstrap import load_tables
from auskunft.core.config import Settings
from auskunft.core.db.base import Base
from auskunft.core.registry import registry

DOC = Path(__file__).resolve().parent.parent / "docs" / "privacy.md"


def _overview() -> set[str]:
    """The tables of the section "Every table"."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Every table", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


def test_every_table_is_in_the_privacy_overview_and_no_other() -> None:
    load_tables()
    tables = set(Base.metadata.tables)
    listed = _overview()
    assert sorted(tables - listed) == [], "tables missing from docs/privacy.md"
    assert sorted(listed - tables) == [], "docs/privacy.md names tables the code lacks"


def test_the_personal_columns_are_named_where_they_live() -> None:
    load_tables()
    text = DOC.read_text(encoding="utf-8")
    # `table.column`; the worker's tasks and the audit's actions look alike
    # (`appointments.purge`, `privacy.erased`) and name no table.
    tasks = {tuple(name.split(".", 1)) for name in (*registry().periodic, *registry().jobs)}
    named = {
        (table, column)
        for table, column in re.findall(r"`([a-z_]+)\.([a-z_]+)`", text)
        if table in Base.metadata.tables and (table, column) not in tasks
    }
    for table, column in named:
        assert column in Base.metadata.tables[table].columns, f"{table}.{column}"
    for personal in (
        ("appointments", "name"),
        ("appointments", "email"),
        ("appointments", "phone"),
        ("waitlist", "name"),
        ("waitlist", "email"),
        ("waitlist", "phone"),
        ("concerns", "citizen_name"),
        ("concerns", "citizen_email"),
        ("concerns", "citizen_phone"),
        ("concerns", "question"),
        ("concern_steps", "text"),
        ("login_failures", "key"),
        ("audit_entries", "client"),
    ):
        assert personal in named, ".".join(personal)


def test_the_settings_it_names_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    known = {f"AUSKUNFT_{name.upper()}" for name in Settings.model_fields}
    named = set(re.findall(r"AUSKUNFT_[A-Z_]+[A-Z]", text))
    assert named and sorted(named - known) == []
