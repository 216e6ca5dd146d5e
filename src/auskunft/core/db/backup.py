"""Backups of the embedded SQLite database: online, consistent while the app serves.

`backup` copies the database page by page with SQLite's online backup API: the copy is
the state of one moment (a transaction that commits during the copy either is in it
whole or not at all; the copy restarts its pass when a writer changed pages it had
copied, which SQLite does by itself), readers and writers of the app go on meanwhile,
and the write-ahead log is included. The file written first gets a temporary name and
is renamed when it is complete and checked, so a half-written backup never carries the
name asked for.

`restore` checks a backup (SQLite's integrity check, and that it is an auskunft
database: it has the migrations' version table) and copies it into the configured
database the same way, under SQLite's write lock, so processes that keep the database
open see the restored state at their next transaction. The composition then migrates it
to the current schema (a backup of an older version is brought up to date).

PostgreSQL has its own tools for this; docs/operations.md gives the `pg_dump` and
`pg_restore` commands.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from auskunft.core.errors import InvalidInput
from auskunft.core.progress import Progress

PAGES_PER_STEP = 256  # pages copied between two looks at the progress (1 MiB at 4 KiB)


@dataclass(frozen=True)
class Copied:
    """What a backup or restore copied."""

    path: Path
    bytes: int
    seconds: float
    revision: str


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; InvalidInput for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise InvalidInput(
            "Sicherung und Wiederherstellung gibt es hier nur für die eingebettete "
            "SQLite-Datenbank. Für PostgreSQL: pg_dump und pg_restore (docs/operations.md).",
            message_en="Backup and restore here are for the embedded SQLite database only. "
            "For PostgreSQL use pg_dump and pg_restore (docs/operations.md).",
        )
    if not parsed.database or parsed.database == ":memory:":
        raise InvalidInput(
            "Eine Datenbank im Arbeitsspeicher kann nicht gesichert werden.",
            message_en="An in-memory database cannot be backed up.",
        )
    return Path(parsed.database)


def backup(url: str, target: Path, progress: Progress | None = None) -> Copied:
    """Copy the live database of `url` into the new file `target`."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise InvalidInput(
            f"Die Datenbank {source_path} gibt es nicht.",
            message_en=f"The database {source_path} does not exist.",
        )
    if target.exists():
        raise InvalidInput(
            f"{target} gibt es schon; eine Sicherung überschreibt keine Datei.",
            message_en=f"{target} exists already; a backup overwrites no file.",
        )
    if not target.parent.is_dir():
        raise InvalidInput(
            f"Das Verzeichnis {target.parent} gibt es nicht.",
            message_en=f"The directory {target.parent} does not exist.",
        )
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    started = time.monotonic()
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy, pages=PAGES_PER_STEP, progress=_pages(progress))
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            revision = _check(copy, partial)
        finally:
            copy.close()
    finally:
        source.close()
    os.replace(partial, target)
    return Copied(target, target.stat().st_size, time.monotonic() - started, revision)


def verify(path: Path) -> str:
    """The migration revision of a backup file; InvalidInput if it is none or damaged."""
    if not path.is_file():
        raise InvalidInput(
            f"Die Datei {path} gibt es nicht.", message_en=f"The file {path} does not exist."
        )
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _not_a_backup(path) from exc
    try:
        return _check(connection, path)
    finally:
        connection.close()


def restore(source: Path, url: str, progress: Progress | None = None) -> Copied:
    """Replace the database of `url` by the backup `source` (checked first)."""
    revision = verify(source)
    target_path = sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        live = sqlite3.connect(target_path, timeout=30)
        try:
            backup_file.backup(live, pages=PAGES_PER_STEP, progress=_pages(progress))
        finally:
            live.close()
    finally:
        backup_file.close()
    return Copied(target_path, target_path.stat().st_size, time.monotonic() - started, revision)


def _check(connection: sqlite3.Connection, path: Path) -> str:
    try:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()
        found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error as exc:
        raise _not_a_backup(path) from exc
    if integrity is None or integrity[0] != "ok" or found is None:
        raise _not_a_backup(path)
    return str(found[0])


def _not_a_backup(path: Path) -> InvalidInput:
    return InvalidInput(
        f"{path} ist keine unbeschädigte Sicherung einer auskunft-Datenbank.",
        message_en=f"{path} is not an undamaged backup of an auskunft database.",
    )


def _pages(progress: Progress | None) -> Callable[[int, int, int], object] | None:
    if progress is None:
        return None

    def report(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    return report
