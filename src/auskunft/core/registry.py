"""What the slices plug into the core: job kinds, periodic tasks and event listeners.

The core names no feature. Each slice declares one setup function as an entry
point of the group `auskunft.slices` (pyproject.toml); the first use of the
registry loads them all, in the order of their names, and each registers what
it owns:

    def setup(registry: Registry) -> None:
        registry.job("mail.confirmation", send_mail)
        registry.every_minute("expired", expire_holds)
        registry.listen(SlotFreed, offer_to_waitlist, Phase.IN_TRANSACTION)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from auskunft.core.events import Event, Phase

if TYPE_CHECKING:
    from auskunft.core.db.uow import UnitOfWork

log = logging.getLogger("auskunft.registry")

GROUP = "auskunft.slices"
# A job: (engine, settings, kind, payload, now); it opens its own units of work.
JobHandler = Callable[[Engine, Any, str, dict[str, Any], datetime], object]
# A periodic task: (engine, settings, now) -> counts by name, for the log and the CLI.
PeriodicTask = Callable[[Engine, Any, datetime], Mapping[str, int]]
# A listener: (unit of work, event). In-transaction listeners get the publisher's,
# after-commit listeners a fresh one that they commit themselves.
Listener = Callable[["UnitOfWork", Any], None]


@dataclass
class Registry:
    """Everything the slices registered."""

    jobs: dict[str, JobHandler] = field(default_factory=dict)
    periodic: dict[str, PeriodicTask] = field(default_factory=dict)
    listeners: dict[tuple[type[Event], Phase], list[Listener]] = field(default_factory=dict)

    def job(self, kind: str, handler: JobHandler) -> None:
        """Run `handler` for every job of this kind."""
        if kind in self.jobs:
            raise ValueError(f"job kind {kind!r} is registered twice")
        self.jobs[kind] = handler

    def every_minute(self, name: str, task: PeriodicTask) -> None:
        """Run `task` with the worker's housekeeping, once a minute."""
        if name in self.periodic:
            raise ValueError(f"periodic task {name!r} is registered twice")
        self.periodic[name] = task

    def listen(
        self, kind: type[Event], listener: Listener, phase: Phase = Phase.AFTER_COMMIT
    ) -> None:
        """Call `listener` for every event of this type (or a subtype) in this phase."""
        self.listeners.setdefault((kind, phase), []).append(listener)

    def listeners_of(self, event: Event, phase: Phase) -> list[Listener]:
        found: list[Listener] = []
        for kind in type(event).__mro__:
            found += self.listeners.get((kind, phase), [])
        return found


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The process's registry, filled by every installed slice's setup function."""
    found = Registry()
    for point in sorted(entry_points(group=GROUP), key=lambda p: p.name):
        setup: Callable[[Registry], None] = point.load()
        setup(found)
    if not found.jobs and not found.periodic and not found.listeners:
        log.warning("no slice registered anything: is the package installed (pip install -e .)?")
    return found
