"""The docs name every setting and every command."""

from __future__ import annotations

from pathlib import Path

import click

from auskunft.cli import main
from auskunft.core.config import Settings

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"AUSKUNFT_{name.upper()}" in text, name


def _commands(group: click.Group, prefix: str = "auskunft") -> list[str]:
    out = []
    for name, cmd in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            out.extend(_commands(cmd, full))
        else:
            out.append(full)
    return out


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    for command in _commands(main):
        assert f"`{command}" in text, command
