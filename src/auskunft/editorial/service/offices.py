"""Editors keep the authorities right: addresses, opening hours, closure days, phone,
e-mail and the concern inbox (an editable record per authority, saved whole).

No four eyes here: an office's hours and closures are facts the office itself reports, and
waiting for a second person would leave them wrong for longer. Every save is recorded
(`office.changed` in the audit log, with the fields changed), a stale save is refused
with both sides (409, nothing lost), and a partner's editor sees only the authorities of
their own participants (another's is not found).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from auskunft.catalog.service import editing
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput, NotFound
from auskunft.core.hours import BERLIN
from auskunft.core.principal import Login
from auskunft.editorial.model.office import changed_fields, check_office
from auskunft.editorial.service.drafts import EditConflict, may_edit

NOT_FOUND = ("Diese Stelle gibt es nicht.", "There is no such authority.")


def _today() -> date:
    return datetime.now(BERLIN).date()


def _visible(uow: UnitOfWork, login: Login, authority_id: str) -> Any:
    row = catalog_reads.authority(uow, authority_id)
    if row is None or not may_edit(login, row.participant_id):
        raise NotFound(NOT_FOUND[0], message_en=NOT_FOUND[1])
    return row


def view(row: Any) -> dict[str, Any]:
    """The record as GET answers it, with what the editor cannot change here."""
    return {
        "id": row.id,
        "version": row.version,
        "participant": row.participant_id,
        "kinds": sorted(k.kind for k in row.kinds),
        "areas": sorted(a.area_id for a in row.areas),
        **editing.office_of(row),
    }


def listing(uow: UnitOfWork, login: Login, q: str = "") -> list[dict[str, Any]]:
    """The authorities the login may edit, by name; `q` filters by name, id or city."""
    needle = q.strip().casefold()
    today = _today().isoformat()
    out = []
    for row in catalog_reads.authority_rows(uow):
        if not may_edit(login, row.participant_id):
            continue
        if needle and not any(needle in value.casefold() for value in (row.name, row.id, row.city)):
            continue
        upcoming = [c for c in row.closures or [] if c["day"] >= today]
        out.append(
            {
                "id": row.id,
                "name": row.name,
                "participant": row.participant_id,
                "city": row.city,
                "phone": row.phone,
                "email": row.email,
                "concern_inbox": row.concern_email or row.email,
                "next_closure": upcoming[0] if upcoming else None,
                "has_hours": bool(row.opening_hours),
                "version": row.version,
            }
        )
    return sorted(out, key=lambda o: (o["name"].casefold(), o["id"]))


def open_office(uow: UnitOfWork, login: Login, authority_id: str) -> dict[str, Any]:
    return view(_visible(uow, login, authority_id))


def save_office(uow: UnitOfWork, login: Login, authority_id: str, body: Any) -> dict[str, Any]:
    """Check and store the whole record; 409 with both sides when it is based on an older
    version than the current one."""
    row = _visible(uow, login, authority_id)
    based_on = body.get("version") if isinstance(body, dict) else None
    if isinstance(based_on, bool) or not isinstance(based_on, int):
        raise InvalidInput(
            "version: die Version, auf der die Änderung beruht, fehlt.",
            message_en="version: the version the change is based on is missing.",
        )
    record = check_office(body, _today())
    current = editing.office_of(row)
    if based_on != row.version or not editing.save_office(
        uow, authority_id, record, based_on=based_on
    ):
        uow.session.refresh(row)
        current = editing.office_of(row)
        raise EditConflict(
            "Die Stelle wurde inzwischen geändert. Ihre Änderung ist nicht verloren: "
            "vergleichen Sie beide Fassungen.",
            "The authority was changed meanwhile. Your change is not lost: compare both.",
            {
                "your_version": based_on,
                "current_version": row.version,
                "fields": {
                    name: {"yours": record[name], "current": current.get(name)}
                    for name in changed_fields(current, record)
                },
            },
        )
    changed = changed_fields(current, record)
    staff_acted(uow, login, "office.changed", "authority", authority_id, ", ".join(changed) or "-")
    uow.session.refresh(row)
    return view(row)
