"""Something happened: small immutable facts that slices publish and others listen to.

A use case publishes an event on its unit of work (`uow.publish(SlotFreed(...))`)
instead of calling another module. Listeners are registered by the slices
(`core.registry`) in one of two phases:

- `IN_TRANSACTION`: run at once, in the publisher's unit of work, so what they
  do commits or rolls back with the change itself. For rules that must hold
  atomically, e.g. a freed slot goes to the waitlist before anyone else can see it.
- `AFTER_COMMIT`: run once the change is durable, each in a unit of work of its
  own (the audit log, statistics, notifications); a failing listener is logged
  and never undoes the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Event:
    """Base of every event; subclasses are frozen dataclasses named in the past tense."""


class Phase(Enum):
    IN_TRANSACTION = "in_transaction"
    AFTER_COMMIT = "after_commit"
