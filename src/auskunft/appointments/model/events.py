"""What happens to appointments that other parts listen to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auskunft.core.events import Event


@dataclass(frozen=True)
class SlotFreed(Event):
    """A visit let go of its time at a location (cancelled, moved, expired)."""

    location_id: str
    at: datetime
    # The booking rules the change was made under (the waitlist offers under the same).
    policy: Any


@dataclass(frozen=True)
class OfferEnded(Event):
    """A waitlist offer was declined or ran out."""

    waitlist_id: int
    declined: bool
