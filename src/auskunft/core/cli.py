"""What every slice's commands share: the database that the composition opens, one unit of
work per command, progress bars, and how a refused command says why.

The composition (`auskunft.cli`) puts a `CliContext` on the click context; a slice's
command asks for a unit of work with `with work() as uow:` and commits what it changed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

import click
from sqlalchemy import Engine

from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import AuskunftError
from auskunft.core.progress import Progress


@dataclass
class CliContext:
    """How commands reach the database and the parts the composition hands them."""

    # Opens (creates, migrates, seeds) the database: progress callback -> (engine, seeded).
    opener: Callable[[Progress | None], tuple[Engine, bool]]
    components: Mapping[str, Any] = field(default_factory=dict)
    _opened: tuple[Engine, bool] | None = field(default=None, init=False)

    def open(self, progress: Progress | None = None) -> tuple[Engine, bool]:
        """The engine (once per command line) and whether the demo catalog was seeded now."""
        if self._opened is None:
            self._opened = self.opener(progress)
        return self._opened


def context() -> CliContext:
    found = click.get_current_context().find_object(CliContext)
    if found is None:
        raise RuntimeError("the command runs outside the auskunft command group")
    return found


def engine() -> Engine:
    """The database of this command line, created and migrated when needed."""
    return context().open()[0]


@contextmanager
def work() -> Iterator[UnitOfWork]:
    """One unit of work for a command; what is not committed is rolled back."""
    with UnitOfWork(engine()) as uow:
        yield uow


def component(name: str) -> Any:
    """A part the composition handed to the commands by name (e.g. "offices", the catalog's
    directory of authorities that the access slice checks staff offices against)."""
    return context().components[name]


@contextmanager
def progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr, fed by use cases through a (done, total) callback."""
    with click.progressbar(length=1, label=label, file=sys.stderr) as bar:

        def step(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        yield step


def fail(exc: AuskunftError) -> NoReturn:
    """Say why the command was refused, in German, and exit with 2."""
    click.echo(f"Fehler: {exc.message}", err=True)
    sys.exit(2)
