"""What the desk tells the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from auskunft.core.events import Event


@dataclass(frozen=True)
class ContactsChanged(Event):
    """Contacts of these local days were logged, imported or re-marked (called again)."""

    days: tuple[date, ...]


@dataclass(frozen=True)
class QuestionLogged(Event):
    """An agent logged a contact after searching for `query` (the agent's words, not the
    caller's data): the content-gap loop counts it when no service was named or the
    concern was forwarded."""

    query: str
    service_id: str | None
    outcome: str
    contact_id: int
    at: datetime
