"""The editors' list of services: state (draft, in review, scheduled, published,
unpublished), staleness, topic and participant, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.principal import Login
from auskunft.editorial.repository import EditorialRepository
from auskunft.editorial.service.drafts import may_edit

# The filter words of the page's address (German) and the states they select.
STATE_FILTERS = {
    "entwurf": "draft",
    "pruefung": "review",
    "geplant": "scheduled",
    "veroeffentlicht": "published",
    "zurueckgezogen": "unpublished",
    "veraltet": "stale",
}


@dataclass(frozen=True)
class Entry:
    id: str
    name: str
    participant: str
    topic: str
    state: str  # draft, review, scheduled, published, unpublished
    version: int
    last_reviewed: date | None
    review_due: date | None
    stale: bool
    editor: str | None
    new: bool


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def entries(
    uow: UnitOfWork,
    login: Login,
    *,
    today: date,
    state: str = "",
    topic: str = "",
    participant: str = "",
    text: str = "",
) -> list[Entry]:
    """The services (and new drafts) the login may edit, filtered, by name."""
    if state and state not in STATE_FILTERS.values():
        raise InvalidInput(f"Unbekannter Status „{state[:20]}“.", message_en="Unknown state.")
    open_drafts = {d.service_id: d for d in uow.repo(EditorialRepository).drafts()}
    found: list[Entry] = []
    needle = text.strip().lower()
    for row in catalog_reads.services(uow):
        if not may_edit(login, row.participant_id):
            continue
        draft = open_drafts.pop(row.id, None)
        reviewed = row.last_reviewed
        due = add_months(reviewed, row.review_months or 12) if reviewed else None
        found.append(
            Entry(
                id=row.id,
                name=draft.record["name"] if draft else row.name,
                participant=row.participant_id,
                topic=row.topic_id or "",
                state=draft.state if draft else ("published" if row.published else "unpublished"),
                version=draft.version if draft else row.version,
                last_reviewed=reviewed,
                review_due=due,
                stale=row.published and (due is None or due <= today),
                editor=row.editor,
                new=False,
            )
        )
    for draft in open_drafts.values():
        if not may_edit(login, draft.participant_id):
            continue
        found.append(
            Entry(
                id=draft.service_id,
                name=draft.record["name"],
                participant=draft.participant_id,
                topic=draft.record.get("topic", ""),
                state=draft.state,
                version=draft.version,
                last_reviewed=None,
                review_due=None,
                stale=False,
                editor=draft.record.get("editor"),
                new=True,
            )
        )
    chosen = [
        e
        for e in found
        if (not state or (e.stale if state == "stale" else e.state == state))
        and (not topic or e.topic == topic)
        and (not participant or e.participant == participant)
        and (not needle or needle in e.name.lower() or needle in e.id)
    ]
    if state == "stale":
        return sorted(chosen, key=lambda e: (e.review_due or date.min, e.name))
    return sorted(chosen, key=lambda e: e.name.lower())
