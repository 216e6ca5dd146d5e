"""What the portal tells other slices about its visitors' searches (no personal data: a
session is a daily keyed hash of the visitor's address and browser, never stored in clear)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auskunft.core.events import Event


@dataclass(frozen=True)
class SearchAsked(Event):
    """A visitor's settled question (the search page, or a pause in typing) and how many
    services it found."""

    query: str
    results: int
    session: str
    at: datetime


@dataclass(frozen=True)
class ResultOpened(Event):
    """A visitor opened a service page from the results of a question."""

    query: str
    session: str
    service_id: str
    at: datetime
