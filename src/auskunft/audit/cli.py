"""`auskunft audit verify`: check the hash chain of the audit log."""

from __future__ import annotations

import sys

import click

from auskunft.audit import service as audit
from auskunft.core.cli import work


@click.group("audit")
def audit_group() -> None:
    """The audit log of staff actions."""


@audit_group.command("verify")
def verify() -> None:
    """Recompute every entry's hash; exit 1 at the first that does not fit."""
    with work() as uow:
        result = audit.verify(uow)
    if result.ok:
        click.echo(f"Protokoll unversehrt: {result.checked} Einträge geprüft; Kopf {result.head}.")
        return
    click.echo(
        f"Protokoll gebrochen bei Eintrag {result.first_broken} ({result.reason}); "
        f"{result.checked} Einträge davor sind unversehrt.",
        err=True,
    )
    sys.exit(1)
