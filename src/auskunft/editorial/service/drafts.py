"""Four eyes on the catalog: draft → in review → published (at once or at a set time),
approved by somebody who did not write it; every version kept and any one restorable.

Who may edit what: supervisors everything; an editor of the service center (an account
without participant memberships) everything; a partner's editor (e.g. Baunatal's, with
membership `baunatal`) only the services of their own participants.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from auskunft.catalog.service import editing
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from auskunft.core.jobs.queue import enqueue
from auskunft.core.principal import Login
from auskunft.editorial import tables as t
from auskunft.editorial.model.record import READ_ONLY, Known, check_record, fee_items
from auskunft.editorial.repository import EditorialRepository
from auskunft.search.service.embeddings import EMBED_JOB

STATES = ("draft", "review", "scheduled")
NOT_FOUND = ("Diese Leistung gibt es nicht.", "There is no such service.")


class EditConflict(Conflict):
    """A save based on a state that is no longer the current one: both sides, so that
    the editor can merge them and nothing is lost."""

    def __init__(self, message: str, message_en: str, details: dict[str, Any]) -> None:
        super().__init__(message, message_en=message_en)
        self.details = details


def _repo(uow: UnitOfWork) -> EditorialRepository:
    return uow.repo(EditorialRepository)


def may_edit(login: Login, participant: str) -> bool:
    """Whether the login may change a service or authority of this participant."""
    return login.keeps_catalog_of(participant)


def known(uow: UnitOfWork) -> Known:
    """The catalog's ids that a record may refer to."""
    offices = catalog_reads.authorities(uow)
    return Known(
        topics={x.id for x in catalog_reads.topics(uow)},
        participants=catalog_reads.participant_ids(uow),
        areas={a.id for a in catalog_reads.areas(uow)},
        authorities={a.id: a.participant for a in offices},
        kinds={k for a in offices for k in a.kinds},
    )


def _visible(login: Login, uow: UnitOfWork, service_id: str) -> tuple[Any, t.Draft | None]:
    """The published service (or None) and its open draft; NotFound when neither exists or
    the login may not edit it (another partner's service is not found, not forbidden)."""
    row = catalog_reads.service(uow, service_id)
    draft = _repo(uow).draft(service_id)
    participant = draft.participant_id if draft else row.participant_id if row else None
    if participant is None or not may_edit(login, participant):
        raise NotFound(*NOT_FOUND[:1], message_en=NOT_FOUND[1])
    return row, draft


def _shown_record(record: dict[str, Any]) -> dict[str, Any]:
    shown = dict(record)
    shown["fees"] = fee_items(record.get("fees", []))
    return shown


def view(service_id: str, row: Any, draft: t.Draft | None, uow: UnitOfWork) -> dict[str, Any]:
    """The record as GET answers it: the open draft, or the published one to start from."""
    if draft is not None:
        record = draft.record
        meta: dict[str, Any] = {
            "state": draft.state,
            "version": draft.version,
            "base_version": draft.base_version,
            "new": draft.new,
            "editors": list(draft.editors),
            "submitted_by": draft.submitted_by,
            "submitted_at": draft.submitted_at,
            "reviewed_by": draft.reviewed_by,
            "publish_at": draft.publish_at,
            "updated_at": draft.updated_at,
            "note": draft.note,
        }
    else:
        record = editing.record_of(uow, row)
        meta = {
            "state": "published" if row.published else "unpublished",
            "version": row.version,
            "base_version": row.version,
            "new": False,
            "editors": [],
            "submitted_by": None,
            "submitted_at": None,
            "reviewed_by": None,
            "publish_at": None,
            "updated_at": row.updated_at,
            "note": "",
        }
    meta["published"] = bool(row is not None and row.published)
    meta["last_reviewed"] = row.last_reviewed if row is not None else None
    meta["last_reviewed_by"] = row.reviewed_by if row is not None else None
    return {"id": service_id, **meta, **_shown_record(record)}


def open_draft(uow: UnitOfWork, login: Login, service_id: str) -> dict[str, Any]:
    row, draft = _visible(login, uow, service_id)
    return view(service_id, row, draft, uow)


def _differences(yours: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    return {
        name: {"yours": yours.get(name), "current": current.get(name)}
        for name in yours
        if yours.get(name) != current.get(name)
    }


def _version_of(body: Any) -> int:
    number = body.get("version") if isinstance(body, dict) else None
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidInput(
            "version fehlt: die Versionsnummer, auf der die Änderung beruht.",
            message_en="version is missing: the version the change is based on.",
        )
    return number


def save_draft(
    uow: UnitOfWork, login: Login, service_id: str, body: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """Store the editor's whole record as the open draft (a new one when none is open).

    A record based on another version than the current one is refused with both sides
    (409); a draft in review goes back to draft when changed (its reviewer must see the
    new state)."""
    now = now or datetime.now(UTC)
    based_on = _version_of(body)
    row, draft = _visible(login, uow, service_id)
    if draft is not None:
        draft = _repo(uow).draft(service_id, lock=True) or draft
    current = view(service_id, row, draft, uow)
    record = check_record(body, known(uow), may_edit=lambda p: may_edit(login, p))
    if based_on != current["version"]:
        clean_current = {k: v for k, v in current.items() if k not in READ_ONLY}
        clean_current["fees"] = [f["text"] for f in current["fees"]]
        raise EditConflict(
            "Die Leistung wurde inzwischen geändert"
            + (f" (von {', '.join(current['editors'])})" if current["editors"] else "")
            + ". Ihre Änderung ist nicht verloren: vergleichen Sie beide Fassungen.",
            "The service was changed meanwhile. Your change is not lost: compare both.",
            {
                "your_version": based_on,
                "current_version": current["version"],
                "changed_by": current["editors"],
                "fields": _differences(record, clean_current),
            },
        )
    if draft is None:
        draft = t.Draft(
            service_id=service_id,
            new=False,
            participant_id=record["participant"],
            state="draft",
            record=record,
            version=row.version + 1,
            base_version=row.version,
            editors=[login.username],
            created_at=now,
            updated_at=now,
            note="",
        )
        _repo(uow).add(draft)
    else:
        if draft.state == "scheduled":
            raise Conflict(
                "Die Änderung ist schon freigegeben und zur Veröffentlichung geplant; "
                "ziehen Sie die Freigabe zurück, um sie zu ändern.",
                message_en="The change is approved and scheduled; withdraw the approval "
                "to change it.",
            )
        draft.record = record
        draft.version += 1
        draft.participant_id = record["participant"]
        draft.state = "draft"
        draft.submitted_by = draft.submitted_at = None
        draft.updated_at = now
        if login.username not in draft.editors:
            draft.editors = [*draft.editors, login.username]
    staff_acted(uow, login, "draft.save", "service", service_id, f"version {draft.version}")
    return view(service_id, row, draft, uow)


_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def slug_of(name: str) -> str:
    """An id from a name: "Hund anmelden" → "hund-anmelden"."""
    umlauts: dict[str, str | int | None] = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}
    plain = name.lower().translate(str.maketrans(umlauts))
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    return _SLUG_DROP.sub("-", plain).strip("-")[:100]


def create_service(
    uow: UnitOfWork, login: Login, body: Any, *, now: datetime | None = None
) -> dict[str, Any]:
    """A new service as a draft (id from the body, or made from the name)."""
    now = now or datetime.now(UTC)
    if not isinstance(body, dict):
        raise InvalidInput(
            "Der Eintrag muss ein JSON-Objekt sein.", message_en="The record must be an object."
        )
    record = check_record(
        {k: v for k, v in body.items() if k != "version"},
        known(uow),
        may_edit=lambda p: may_edit(login, p),
    )
    service_id = body.get("id") or slug_of(record["name"])
    if not isinstance(service_id, str) or not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,118}", service_id):
        raise InvalidInput(
            "id: nur Kleinbuchstaben, Ziffern und Bindestriche (3 bis 119 Zeichen).",
            message_en="id: lower-case letters, digits and hyphens only (3 to 119 characters).",
        )
    if catalog_reads.service(uow, service_id) is not None or _repo(uow).draft(service_id):
        raise Conflict(
            f"Eine Leistung „{service_id}“ gibt es schon.",
            message_en=f"A service '{service_id}' exists already.",
        )
    draft = t.Draft(
        service_id=service_id,
        new=True,
        participant_id=record["participant"],
        state="draft",
        record=record,
        version=1,
        base_version=None,
        editors=[login.username],
        created_at=now,
        updated_at=now,
        note="",
    )
    _repo(uow).add(draft)
    staff_acted(uow, login, "draft.create", "service", service_id)
    return view(service_id, None, draft, uow)


def _open(uow: UnitOfWork, login: Login, service_id: str) -> tuple[Any, t.Draft]:
    row, draft = _visible(login, uow, service_id)
    if draft is None:
        raise NotFound(
            "Zu dieser Leistung gibt es keinen offenen Entwurf.",
            message_en="This service has no open draft.",
        )
    return row, _repo(uow).draft(service_id, lock=True) or draft


def submit(
    uow: UnitOfWork, login: Login, service_id: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """Hand the draft to a second person for review."""
    row, draft = _open(uow, login, service_id)
    if draft.state != "draft":
        raise Conflict(
            "Der Entwurf ist schon zur Prüfung gegeben.",
            message_en="The draft is already in review.",
        )
    draft.state = "review"
    draft.submitted_by = login.username
    draft.submitted_at = now or datetime.now(UTC)
    draft.note = ""
    staff_acted(uow, login, "draft.submit", "service", service_id)
    return view(service_id, row, draft, uow)


def approve(
    uow: UnitOfWork,
    login: Login,
    service_id: str,
    *,
    publish_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The second pair of eyes: publish now, or at `publish_at` (the background worker
    publishes it then). Whoever saved the draft may not approve it."""
    now = now or datetime.now(UTC)
    row, draft = _open(uow, login, service_id)
    if login.username in draft.editors:
        raise Forbidden(
            "Eigene Änderungen gibt eine zweite Person frei (Vier-Augen-Prinzip).",
            message_en="A second person approves one's own changes (four eyes).",
        )
    if draft.state != "review":
        raise Conflict(
            "Nur ein zur Prüfung gegebener Entwurf kann freigegeben werden.",
            message_en="Only a draft in review can be approved.",
        )
    if publish_at is not None:
        if publish_at.tzinfo is None:
            raise InvalidInput(
                "publish_at braucht eine Zeitzone (z. B. +01:00).",
                message_en="publish_at needs a time zone (e.g. +01:00).",
            )
        if publish_at < now:
            raise InvalidInput(
                "Der Veröffentlichungszeitpunkt liegt in der Vergangenheit.",
                message_en="The publication time is in the past.",
            )
    if not draft.new and (row is None or row.version != draft.base_version):
        raise Conflict(
            "Die veröffentlichte Leistung wurde geändert, seit dieser Entwurf begann "
            f"(jetzt Version {row.version if row else '–'}); bitte den Entwurf neu abgleichen.",
            message_en="The published service changed since this draft began; "
            "reconcile the draft first.",
        )
    draft.reviewed_by = login.username
    staff_acted(uow, login, "draft.approve", "service", service_id)
    if publish_at is not None and publish_at > now:
        draft.state = "scheduled"
        draft.publish_at = publish_at
        return view(service_id, row, draft, uow)
    _publish(uow, draft, now)
    return view(service_id, catalog_reads.service(uow, service_id), None, uow)


def _publish(uow: UnitOfWork, draft: t.Draft, now: datetime) -> None:
    editing.publish_record(
        uow,
        draft.service_id,
        draft.record,
        version=draft.version,
        author=", ".join(draft.editors),
        reviewer=draft.reviewed_by or "",
        now=now,
    )
    _repo(uow).delete(draft)
    # The changed texts' dense vectors: computed by the background worker, in the cache
    # before most processes rebuild their index.
    enqueue(uow.session, EMBED_JOB, {"service": draft.service_id}, now=now)


def publish_due(uow: UnitOfWork, now: datetime | None = None) -> list[str]:
    """Publish the approved drafts whose time has come (the background worker, each
    minute); a draft whose service changed meanwhile waits with a note."""
    now = now or datetime.now(UTC)
    published = []
    for draft in _repo(uow).due(now):
        row = catalog_reads.service(uow, draft.service_id)
        if not draft.new and (row is None or row.version != draft.base_version):
            draft.state = "draft"
            draft.note = "Die Leistung wurde vor der geplanten Veröffentlichung geändert."
            continue
        _publish(uow, draft, now)
        published.append(draft.service_id)
    return published


def send_back(uow: UnitOfWork, login: Login, service_id: str, note: str) -> dict[str, Any]:
    """The reviewer returns the draft with a note; a scheduled one loses its approval."""
    row, draft = _open(uow, login, service_id)
    if draft.state == "draft":
        raise Conflict(
            "Der Entwurf ist nicht in Prüfung.", message_en="The draft is not in review."
        )
    if not isinstance(note, str) or len(note) > 2000:
        raise InvalidInput(
            "Die Notiz ist zu lang (höchstens 2000 Zeichen).",
            message_en="The note is too long (at most 2000 characters).",
        )
    draft.state = "draft"
    draft.note = note.strip()
    draft.reviewed_by = draft.publish_at = None
    staff_acted(uow, login, "draft.return", "service", service_id)
    return view(service_id, row, draft, uow)


def discard(uow: UnitOfWork, login: Login, service_id: str) -> None:
    """Throw the open draft away (the published service stays as it is)."""
    _, draft = _open(uow, login, service_id)
    _repo(uow).delete(draft)
    staff_acted(uow, login, "draft.discard", "service", service_id)


def set_published(
    uow: UnitOfWork, login: Login, service_id: str, published: bool
) -> dict[str, Any]:
    """Take a service off the portal, the desk and the search, or put it back."""
    row, draft = _visible(login, uow, service_id)
    if row is None:
        raise NotFound(
            "Die Leistung ist noch nicht veröffentlicht.",
            message_en="The service has not been published yet.",
        )
    editing.set_published(uow, service_id, published, by=login.username)
    staff_acted(
        uow, login, "service.publish" if published else "service.unpublish", "service", service_id
    )
    return view(service_id, row, draft, uow)


def history(uow: UnitOfWork, login: Login, service_id: str) -> list[dict[str, Any]]:
    """Every version, oldest first: who wrote it, who approved it, when, what changed."""
    _visible(login, uow, service_id)
    out = []
    for v in editing.versions(uow, service_id):
        out.append(
            {
                "version": v.version,
                "changed_at": v.changed_at.isoformat(),
                "changed_by": v.changed_by,
                "reviewed_by": v.reviewed_by,
                "changes": v.changes,
                "restorable": v.record is not None,
            }
        )
    return out


def roll_back(
    uow: UnitOfWork, login: Login, service_id: str, number: int, *, now: datetime | None = None
) -> dict[str, Any]:
    """Open a draft with an earlier version's record (published again through review,
    as a new version)."""
    now = now or datetime.now(UTC)
    row, draft = _visible(login, uow, service_id)
    if row is None:
        raise NotFound(*NOT_FOUND[:1], message_en=NOT_FOUND[1])
    if draft is not None:
        raise Conflict(
            "Es gibt schon einen offenen Entwurf; verwerfen oder veröffentlichen Sie ihn zuerst.",
            message_en="There is an open draft already; discard or publish it first.",
        )
    old = editing.version(uow, service_id, number)
    if old is None or old.record is None:
        raise NotFound(
            f"Version {number} gibt es nicht oder sie ist nicht vollständig gespeichert.",
            message_en=f"Version {number} does not exist or was not stored in full.",
        )
    body = {**old.record, "version": row.version}
    shown = save_draft(uow, login, service_id, body, now=now)
    staff_acted(uow, login, "draft.rollback", "service", service_id, f"to version {number}")
    return shown


def reviewed_unchanged(
    uow: UnitOfWork, login: Login, service_id: str, *, today: date
) -> dict[str, Any]:
    """ "Reviewed, unchanged": the published text is still right; the next review is due a
    review interval from today (no new version: nothing changed)."""
    row, draft = _visible(login, uow, service_id)
    if row is None:
        raise NotFound(
            "Die Leistung ist noch nicht veröffentlicht.",
            message_en="The service has not been published yet.",
        )
    editing.mark_reviewed(uow, service_id, by=login.username, today=today)
    staff_acted(uow, login, "service.reviewed", "service", service_id)
    return view(service_id, row, draft, uow)
