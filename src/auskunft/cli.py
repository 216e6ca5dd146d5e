"""Command line: the composition of every slice's commands.

auskunft db init | serve | worker | import   (here: they span slices)
auskunft user ... | token ...                (access/cli.py)
auskunft calendar ...                        (appointments/cli.py)
auskunft search | eval-search | embed        (search/cli.py)
auskunft links check                         (links/cli.py)
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine

from auskunft.access import cli as access_cli
from auskunft.appointments import cli as appointments_cli
from auskunft.audit import cli as audit_cli
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.cli import CliContext, context, engine, fail, progress, work
from auskunft.core.config import get_settings
from auskunft.core.errors import AuskunftError
from auskunft.core.progress import Progress
from auskunft.forwarding import cli as forwarding_cli
from auskunft.links import cli as links_cli
from auskunft.search import cli as search_cli
from auskunft.statistics import cli as statistics_cli
from auskunft.telephony import cli as telephony_cli


class _Main(click.Group):
    """The command group, with a last word for failures that no command expected."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except AuskunftError as exc:
            fail(exc)
        except Exception as exc:
            from sqlalchemy.exc import OperationalError

            if isinstance(exc, OperationalError):
                url = _without_password(get_settings().resolved_database_url())
                click.echo(f"Fehler: Die Datenbank ist nicht erreichbar ({url}).", err=True)
            else:
                log = _log_traceback()
                click.echo(
                    f"Fehler: unerwarteter Fehler ({type(exc).__name__}). Einzelheiten stehen "
                    f"in {log}; bitte melden Sie ihn mit dem Befehl, der ihn auslöste.",
                    err=True,
                )
            sys.exit(1)


def _log_traceback() -> Path:
    """Append the current exception to the error log in the data directory."""
    import traceback
    from datetime import UTC

    path = get_settings().data_dir / "errors.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n")
        traceback.print_exc(file=handle)
    return path


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # a URL we cannot parse is not shown
        return "?"


def _open_catalog(progress: Progress | None) -> tuple[Engine, bool]:
    from auskunft.bootstrap import open_catalog

    return open_catalog(get_settings().resolved_database_url(), progress=progress)


@click.group(cls=_Main)
@click.version_option(package_name="auskunft")
@click.pass_context
def main(ctx: click.Context) -> None:
    """auskunft – Wissensdatenbank und Suche für das Servicecenter (115)."""
    ctx.obj = CliContext(_open_catalog, components={"offices": catalog_reads})


main.add_command(access_cli.user)
main.add_command(access_cli.token)
main.add_command(audit_cli.audit_group)
main.add_command(appointments_cli.calendar)
main.add_command(forwarding_cli.service_calendar)
main.add_command(forwarding_cli.concerns_group)
main.add_command(search_cli.search)
main.add_command(search_cli.eval_search)
main.add_command(search_cli.embed)
main.add_command(telephony_cli.telephony_group)
main.add_command(statistics_cli.demo_group)
main.add_command(links_cli.links_group)


@main.group()
def db() -> None:
    """Database: create, migrate, seed."""


@db.command("init")
@click.option(
    "--empty",
    is_flag=True,
    help="A new database without the demo catalog (e.g. for `import` of an export).",
)
def db_init(empty: bool) -> None:
    """Create and migrate the database; seed the demo catalog into a new one."""
    from datetime import UTC

    from auskunft.access.service import ensure_demo_accounts
    from auskunft.bootstrap import prepare_empty

    if empty:
        prepare_empty(get_settings().resolved_database_url())
    with progress("Demo-Katalog wird angelegt") as step:
        _, seeded = context().open(step)
    settings = get_settings()
    url = _without_password(settings.resolved_database_url())
    click.echo(f"Datenbank bereit: {url}" + (" (Demo-Katalog angelegt)" if seeded else ""))
    if settings.env == "production":
        return
    with work() as uow:
        created = ensure_demo_accounts(uow, datetime.now(UTC), offices=catalog_reads)
        uow.commit()
    if created:
        click.echo("")
        click.echo("Demo-Konten (Passwörter werden nur dieses eine Mal angezeigt;")
        click.echo("bei AUSKUNFT_ENV=production werden Demo-Konten abgewiesen):")
        for username, role, password in created:
            click.echo(f"  {username:<18} {role:<11} {password}")
        click.echo(f"Anmelden: {settings.public_url.rstrip('/')}/anmelden")
        click.echo("")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Back up the embedded SQLite database into FILE, while the app keeps serving."""
    from auskunft.core.db import backup as backups

    settings = get_settings()
    try:
        with progress("Sicherung") as step:
            done = backups.backup(settings.resolved_database_url(), file, step)
    except AuskunftError as exc:
        fail(exc)
    click.echo(
        f"Gesichert: {done.path} ({done.bytes / 2**20:.1f} MiB in {done.seconds:.1f} s, "
        f"Schema {done.revision})."
    )


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore(file: Path, yes: bool) -> None:
    """Replace the embedded SQLite database by the backup FILE (then migrate it)."""
    from auskunft.core.db import backup as backups

    settings = get_settings()
    url = settings.resolved_database_url()
    try:
        revision = backups.verify(file)
        target = backups.sqlite_path(url)
    except AuskunftError as exc:
        fail(exc)
    if target.exists() and not yes:
        click.confirm(
            f"Alle Daten in {target} werden durch die Sicherung {file} (Schema {revision}) "
            "ersetzt. Weiter?",
            abort=True,
        )
    try:
        with progress("Wiederherstellung") as step:
            done = backups.restore(file, url, step)
    except AuskunftError as exc:
        fail(exc)
    context().open()  # migrates a backup of an older version to the current schema
    click.echo(f"Wiederhergestellt: {done.path} aus {file} ({done.seconds:.1f} s).")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and the JSON API."""
    import uvicorn

    engine()
    # No access log: its lines would carry the callers' questions (the desk's and the
    # portal's search URLs), which are not to be kept; errors are still logged.
    uvicorn.run(
        "auskunft.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        # X-Forwarded-For is judged by the app against AUSKUNFT_TRUSTED_PROXIES
        # (core/web/client.py), not by uvicorn, which would believe it from 127.0.0.1.
        proxy_headers=False,
    )


@main.command()
@click.option("--once", is_flag=True, help="Run the housekeeping and the due jobs, then exit.")
def worker(once: bool) -> None:
    """Send the e-mails and reminders, end expired holds, delete old personal data."""
    import contextlib
    import signal
    import threading

    from auskunft.core.jobs.heartbeat import Heartbeat, worker_name
    from auskunft.core.jobs.worker import housekeeping, run_due, run_forever

    settings = get_settings()
    database = engine()
    if once:
        done = housekeeping(database, settings)
        ran = run_due(database, settings)
        # One row per host for cron runs: /readyz sees when the last one went round.
        Heartbeat(database, name=worker_name(once=True)).beat()
        click.echo(
            f"{ran} Aufträge ausgeführt; {done.expired} abgelaufene Reservierungen und Angebote "
            f"beendet, "
            f"{done.purged_appointments} Termine und {done.purged_waitlist} Wartelisten-Einträge "
            f"anonymisiert, {done.deleted_jobs} alte Aufträge gelöscht."
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Worker läuft (alle {settings.worker_interval_seconds:g} s); Ende mit Strg+C.")
    with contextlib.suppress(KeyboardInterrupt):
        run_forever(database, settings, stop=stop)


@main.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["demo", "dldb"]), default=None,
    help="demo: the built-in demo catalog (no FILE); dldb: a DLDB/ZMS JSON export.",
)  # fmt: skip
@click.option("--participant", default=None, help="Participant id for imported services.")
@click.option("--locations", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option(
    "--area", default=None, help="Area the imported offices serve (default: participant)."
)
def import_(
    file: Path | None, fmt: str | None, participant: str | None, locations: Path | None,
    area: str | None,
) -> None:  # fmt: skip
    """Import the demo catalog again, or a DLDB export (idempotent)."""
    from auskunft.catalog.service.demo import import_demo_catalog
    from auskunft.catalog.service.dldb_import import import_dldb, import_full_file

    fmt = fmt or ("dldb" if file else "demo")
    with work() as uow:
        with progress("Leistungen") as step:
            if fmt == "demo":
                if file:
                    raise click.UsageError("--format demo liest keine Datei.")
                counts: dict[str, Any] = import_demo_catalog(uow, progress=step)
            elif file and (full := import_full_file(uow, file, changed_by="import:dldb")):
                # An export of this product: the catalog as it was, no participant needed.
                counts = full
            else:
                if not file or not participant:
                    raise click.UsageError("--format dldb braucht FILE und --participant.")
                result = import_dldb(
                    uow, services_file=file, participant=participant,
                    locations_file=locations, area=area, progress=step,
                )  # fmt: skip
                counts = vars(result)
        uow.commit()
    click.echo("Import fertig: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    search_cli.embed_missing_vectors()


@main.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["dldb"]), default="dldb", show_default=True,
    help="dldb: the DLDB JSON that `auskunft import --format dldb` reads back.",
)  # fmt: skip
@click.option("--participant", default=None, help="Only this participant's services.")
def export(file: Path, fmt: str, participant: str | None) -> None:
    """Write the catalog to FILE ("-": standard output); imported into an empty database
    (`auskunft db init --empty`), the export gives the same catalog."""
    import json

    from auskunft.catalog.service.dldb_export import export_catalog

    with work() as uow:
        if participant and participant not in catalog_reads.participant_ids(uow):
            raise click.UsageError(f"Unbekannter Teilnehmer „{participant}“.")
        data = export_catalog(uow, participant)
    text = json.dumps(data, ensure_ascii=False, indent=1, default=str)
    if str(file) == "-":
        click.echo(text)
        return
    file.write_text(text + "\n", encoding="utf-8")
    click.echo(f"{len(data['data'])} Leistungen nach {file} geschrieben ({fmt}).")


if __name__ == "__main__":
    main()
