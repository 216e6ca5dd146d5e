"""Commands of the link checker: auskunft links check."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from auskunft.core.cli import engine, progress
from auskunft.core.config import get_settings
from auskunft.links.service import rounds


@click.group("links")
def links_group() -> None:
    """The link checker of online-service and form links."""


@links_group.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def check(as_json: bool) -> None:
    """Check every link of the published services now (not only the due ones)."""
    settings = rounds.CheckSettings.from_settings(get_settings())
    with progress("Links werden geprüft") as step:
        done = rounds.run(
            engine(),
            settings,
            now=datetime.now(UTC),
            limit=None,
            seconds=None,
            everything=True,
            progress=step,
        )
    if done.skipped:
        raise click.ClickException(
            "Eine andere Prüfung läuft gerade (Worker oder Befehl); bitte später noch einmal."
        )
    summary = {
        "checked": done.checked,
        "ok": done.ok,
        "failed": done.failed,
        "refused": done.refused,
        "seconds": round(done.seconds, 2),
    }
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(
        f"{done.checked} Links geprüft in {done.seconds:.1f} s: {done.ok} in Ordnung, "
        f"{done.failed} fehlgeschlagen, {done.refused} abgewiesen."
    )
    click.echo("Tote Links (zweimal im Abstand von einer Stunde fehlgeschlagen): /redaktion/links")
