"""Commands of telephony: auskunft telephony import | purge-keys | agent link/unlink/list."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from auskunft.core.cli import fail, progress, work
from auskunft.core.config import get_settings
from auskunft.core.errors import AuskunftError
from auskunft.telephony.service import calls, live


@click.group("telephony")
def telephony_group() -> None:
    """Calls of the telephone system (Asterisk queue_log)."""


@telephony_group.command("import")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["queue_log"]),
    default="queue_log",
    show_default=True,
    help="The file's format.",
)
@click.option(
    "--skip-malformed",
    is_flag=True,
    help="Import the rest of a file with malformed lines (listed) instead of refusing it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_file(file_format: str, skip_malformed: bool, as_json: bool, file: Path) -> None:
    """Import the calls of FILE, idempotent by call id.

    A malformed line or an event out of order refuses the whole file (nothing is stored,
    the lines are listed): figures from a file read in part would look right and be
    wrong. Run again with --skip-malformed to import the rest knowingly."""
    settings = get_settings()
    total = _count_lines(file)
    try:
        with (
            work() as uow,
            progress(f"{file.name}") as step,
            file.open(encoding="utf-8", errors="replace", newline="") as lines,
        ):
            report = calls.import_queue_log(
                uow,
                lines,
                channels=settings.telephony_channels,
                skip_malformed=skip_malformed,
                progress=step,
                total_lines=total,
            )
            uow.commit()
    except calls.QueueLogRefused as refused:
        for problem in refused.report.problems[: calls.SHOWN_PROBLEMS]:
            click.echo(f"Zeile {problem.line}: {problem.german}", err=True)
        fail(refused)
    except AuskunftError as error:
        fail(error)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    for problem in report.problems[: calls.SHOWN_PROBLEMS]:
        click.echo(f"Übersprungen, Zeile {problem.line}: {problem.german}", err=True)
    click.echo(
        f"{report.lines} Zeilen, {report.events} Ereignisse: {report.new} Anrufe neu, "
        f"{report.updated} ergänzt, {report.unchanged} schon vorhanden"
        + (f", {report.skipped_calls} übersprungen" if report.skipped_calls else "")
        + (f", {len(report.problems)} fehlerhafte Zeilen" if report.problems else "")
        + "."
    )


@telephony_group.command("purge-keys")
def purge_keys() -> None:
    """Destroy the callers' day keys older than 7 days (the worker does it every minute)."""
    with work() as uow:
        counts = calls.purge_keys(uow, datetime.now(UTC))
        uow.commit()
    click.echo(
        f"{counts['keys_destroyed']} Schlüssel gelöscht, "
        f"{counts['hashes_blanked']} Anrufer-Kennungen geleert."
    )


@telephony_group.group("agent")
def agent_group() -> None:
    """Which staff account answers as which agent of the telephone system (screen pop)."""


@agent_group.command("link")
@click.argument("agent")
@click.argument("username")
def agent_link(agent: str, username: str) -> None:
    """Let USERNAME answer as AGENT (e.g. Agent/1001): calls connected to it pop up on
    that person's desk."""
    try:
        with work() as uow:
            done = live.link_agent(uow, agent, username)
            uow.commit()
    except AuskunftError as error:
        fail(error)
    click.echo(f"{done['agent']} → {done['username']}")


@agent_group.command("unlink")
@click.argument("agent")
def agent_unlink(agent: str) -> None:
    """Remove AGENT's link."""
    try:
        with work() as uow:
            removed = live.unlink_agent(uow, agent)
            uow.commit()
    except AuskunftError as error:
        fail(error)
    click.echo(f"{removed} Verknüpfung(en) entfernt.")


@agent_group.command("list")
def agent_list() -> None:
    """The links, one per line."""
    with work() as uow:
        for link in live.agent_links(uow):
            click.echo(f"{link['agent']}\t{link['username']}")


def _count_lines(file: Path) -> int:
    with file.open("rb") as raw:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b""))
