"""What the desk tells the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from auskunft.core.events import Event


@dataclass(frozen=True)
class ContactsChanged(Event):
    """Contacts of these local days were logged, imported or re-marked (called again)."""

    days: tuple[date, ...]
