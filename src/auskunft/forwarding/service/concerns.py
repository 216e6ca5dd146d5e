"""Concerns as use cases: take one in, route it, work it, answer it, escalate it, forget it.

Every function takes the unit of work and leaves the commit to its caller, so a
step, its history line and the e-mails it causes (jobs in the same table space,
`core.jobs.queue`) are stored together or not at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from auskunft.access import service as access
from auskunft.catalog.model.jurisdiction import Jurisdiction
from auskunft.catalog.service import listing as catalog_listing
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import Forbidden, InvalidInput, NotFound
from auskunft.core.hours import BERLIN, WeeklyHours
from auskunft.core.jobs.queue import enqueue_all
from auskunft.core.mail.smtp import check_address
from auskunft.core.principal import ALL_OFFICES, Login, Role, owned_or_not_found
from auskunft.core.servicetime import ServiceCalendar
from auskunft.forwarding import tables as t
from auskunft.forwarding.model import tracking
from auskunft.forwarding.model.concern import (
    CHANNELS,
    COUNTING,
    MAX_QUESTION,
    MAX_TEXT,
    OPEN,
    PUBLIC_STEPS,
    STATUSES,
    VERDICTS,
    VIA,
    Citizen,
    Status,
    Step,
    clean_text,
    invalid,
    move,
    open311_status,
    split_place,
    split_question,
)
from auskunft.forwarding.repository import ConcernRepository
from auskunft.forwarding.service.calendar import service_calendar

# A concern taken by letter or e-mail may be dated back this far, not into the future.
LONGEST_BACKDATING = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)
# The office's inbox is reminded when this share of the feedback time has passed.
REMINDER_SHARE = 0.75
LIST_LIMIT = 200
# The source of concerns taken in through Open311 GeoReport v2 (forwarding/web/open311.py):
# public reports from the street, the only concerns anybody may list.
OPEN311 = "open311"
NOT_FOUND = ("Dieses Anliegen gibt es nicht.", "There is no such concern.")
NO_CODE = (
    "Zu dieser Vorgangsnummer gibt es kein Anliegen. Bitte die Nummer prüfen.",
    "There is no concern with this tracking code. Please check the code.",
)
# Job kinds of the e-mails (forwarding/mails.py composes them when the job runs).
MAIL_RECEIVED = "concern.received"
MAIL_TO_OFFICE = "concern.to_office"
MAIL_ANSWER = "concern.answer"
MAIL_REMINDER = "concern.reminder"
MAIL_OVERDUE = "concern.overdue"
MAIL_KINDS = (MAIL_RECEIVED, MAIL_TO_OFFICE, MAIL_ANSWER, MAIL_REMINDER, MAIL_OVERDUE)


@dataclass(frozen=True)
class Policy:
    """What the concerns need to know of the settings."""

    weekly: WeeklyHours
    feedback_hours: int
    service_center: str
    secret: bytes
    retention_days: int = 90
    supervisor_email: str = ""

    @classmethod
    def from_settings(cls, settings: Any) -> Policy:
        return cls(
            weekly=settings.service_week(),
            feedback_hours=settings.feedback_hours,
            service_center=settings.service_center_authority,
            secret=settings.secret(),
            retention_days=settings.concern_retention_days,
            supervisor_email=settings.supervisor_email,
        )


@dataclass(frozen=True)
class NewConcern:
    """A concern as the desk, the portal, the API or Open311 hands it in."""

    question: str
    channel: str
    citizen: Citizen
    consent: bool
    service_id: str | None = None
    municipality: str | None = None
    authority_id: str | None = None
    received_at: datetime | None = None
    source: str = "api"
    language: str = "de"
    address: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # A report from the street may come without contact details (only with source
    # "open311"): nobody hears back, the answer is published with the report.
    anonymous_report: bool = False


def _moment(value: datetime | None) -> str | None:
    return value.astimezone(BERLIN).isoformat() if value is not None else None


def _calendar(uow: UnitOfWork, policy: Policy) -> ServiceCalendar:
    return service_calendar(uow, policy.weekly)


def _repo(uow: UnitOfWork) -> ConcernRepository:
    return uow.repo(ConcernRepository)


def _step(
    uow: UnitOfWork,
    row: t.Concern,
    kind: Step,
    now: datetime,
    *,
    login: Login | None = None,
    actor: str = "",
    text: str = "",
    authority_id: str | None = None,
) -> None:
    _repo(uow).add_step(
        t.ConcernStep(
            concern_id=row.id,
            at=now,
            kind=kind.value,
            actor_id=login.user_id if login is not None else None,
            actor=login.username if login is not None else actor,
            authority_id=authority_id,
            text=text,
        )
    )
    if login is not None:  # staff changed a concern: the audit log learns of it
        staff_acted(uow, login, f"concern.{kind.value}", "concern", row.id, authority_id or "")


def _mails(
    now: datetime, *jobs: tuple[str, dict[str, Any]]
) -> list[tuple[str, dict[str, Any], None]]:
    return [(kind, payload, None) for kind, payload in jobs]


def _check_received(received: datetime | None, now: datetime) -> datetime:
    if received is None:
        return now
    if received.tzinfo is None:
        raise invalid(
            "Der Eingangszeitpunkt braucht seine Zeitzone, z. B. 2026-12-04T09:15:00+01:00.",
            "The time received needs its time zone, e.g. 2026-12-04T09:15:00+01:00.",
        )
    if received > now + CLOCK_SKEW:
        raise invalid(
            "Der Eingangszeitpunkt liegt in der Zukunft.", "The time received is in the future."
        )
    if now - received > LONGEST_BACKDATING:
        raise invalid(
            "Der Eingangszeitpunkt darf höchstens 30 Tage zurückliegen.",
            "The time received may be at most 30 days ago.",
        )
    return min(received, now).astimezone(UTC)


def _authority_or_invalid(uow: UnitOfWork, authority_id: str) -> catalog_reads.AuthorityRow:
    row = catalog_reads.authority(uow, authority_id)
    if row is None:
        raise invalid(
            f"Die Stelle „{authority_id[:120]}“ gibt es im Katalog nicht.",
            f"There is no authority '{authority_id[:120]}' in the catalog.",
        )
    return row


def route(
    uow: UnitOfWork,
    jurisdiction: Jurisdiction,
    policy: Policy,
    *,
    service_id: str | None,
    municipality: str | None,
) -> str:
    """The office a concern goes to: the responsible one where the catalog knows it, the
    service center's own queue otherwise."""
    if service_id and municipality:
        service = catalog_reads.service(uow, service_id)
        if service is not None:
            found = jurisdiction.responsible(service.kind, municipality, service.id)
            if found is not None:
                return found.id
    return policy.service_center


def feedback_hours(uow: UnitOfWork, policy: Policy, authority_id: str) -> int:
    """The hours of service time this office promises (the default unless it set its own)."""
    return _repo(uow).office_hours(authority_id) or policy.feedback_hours


def _start_clock(
    uow: UnitOfWork, policy: Policy, row: t.Concern, start: datetime, span: timedelta
) -> None:
    calendar = _calendar(uow, policy)
    row.due_at = calendar.after(start, span).astimezone(UTC)
    row.remind_at = calendar.after(start, span * REMINDER_SHARE).astimezone(UTC)


def create(
    uow: UnitOfWork,
    jurisdiction: Jurisdiction,
    policy: Policy,
    draft: NewConcern,
    *,
    login: Login | None,
    now: datetime,
) -> t.Concern:
    """Take a concern in: check it whole, route it, start its clock, tell the citizen and
    (where it does not work in the product) the office."""
    question = clean_text(
        draft.question, limit=MAX_QUESTION, what=("Die Frage bzw. das Anliegen", "The question")
    )
    if draft.channel not in CHANNELS:
        raise invalid(
            f"Unbekannter Kanal „{draft.channel[:20]}“; möglich: {', '.join(CHANNELS)}.",
            f"Unknown channel '{draft.channel[:20]}'; possible: {', '.join(CHANNELS)}.",
        )
    if draft.consent is not True:
        raise invalid(
            "Ohne Einverständnis, die Angaben an die zuständige Stelle weiterzugeben, kann das "
            "Anliegen nicht weitergeleitet werden.",
            "Without consent to pass the details on to the responsible office the concern "
            "cannot be forwarded.",
        )
    if draft.anonymous_report and draft.source != OPEN311:
        raise invalid(
            "Ohne Kontaktdaten nimmt nur die Open311-Schnittstelle Meldungen an.",
            "Only the Open311 interface takes reports without contact details.",
        )
    citizen = draft.citizen
    email = check_address(citizen.email) if citizen.email.strip() else ""
    citizen = Citizen(
        citizen.name, email, citizen.phone, citizen.preferred, citizen.callback
    ).checked(anonymous=draft.anonymous_report)
    if draft.service_id is not None and catalog_reads.service(uow, draft.service_id) is None:
        raise invalid(
            f"Die Leistung „{draft.service_id[:120]}“ gibt es im Katalog nicht.",
            f"There is no service '{draft.service_id[:120]}' in the catalog.",
        )
    if draft.municipality is not None and draft.municipality not in jurisdiction.areas:
        raise invalid(
            f"Die Gemeinde „{draft.municipality[:80]}“ ist nicht bekannt.",
            f"Unknown municipality '{draft.municipality[:80]}'.",
        )
    address = clean_text(draft.address, limit=300, what=("Der Ort", "The location"), required=False)
    received = _check_received(draft.received_at, now)
    if draft.authority_id:
        authority_id = _authority_or_invalid(uow, draft.authority_id).id
    else:
        authority_id = route(
            uow,
            jurisdiction,
            policy,
            service_id=draft.service_id,
            municipality=draft.municipality,
        )
    hours = feedback_hours(uow, policy, authority_id)
    repo = _repo(uow)
    code = tracking.new_code()
    while repo.by_code(code) is not None:  # about one in 10^19; still never twice
        code = tracking.new_code()
    row = t.Concern(
        tracking_code=code,
        status=Status.FORWARDED.value,
        channel=draft.channel,
        source=draft.source,
        service_id=draft.service_id,
        municipality=draft.municipality,
        authority_id=authority_id,
        created_by=login.user_id if login is not None else None,
        question=question,
        citizen_name=citizen.name,
        citizen_email=citizen.email,
        citizen_phone=citizen.phone,
        callback=citizen.callback,
        answer_text="",
        address=address,
        preferred=citizen.preferred,
        language=draft.language if draft.language in ("de", "en") else "de",
        consent_at=now,
        received_at=received,
        feedback_hours=hours,
        reopened=0,
        updated_at=now,
    )
    _start_clock(uow, policy, row, received, timedelta(hours=hours))
    repo.add(row)
    _step(uow, row, Step.RECEIVED, received, login=login, actor=draft.source)
    _step(uow, row, Step.FORWARDED, now, login=login, actor=draft.source, authority_id=authority_id)
    _dispatch(uow, row, now, confirm=True)
    return row


def _dispatch(uow: UnitOfWork, row: t.Concern, now: datetime, *, confirm: bool) -> None:
    """The e-mails of a (re-)forwarded concern: the citizen's confirmation, and the concern
    with a signed answer link for an office that does not work in the product."""
    jobs: list[tuple[str, dict[str, Any]]] = []
    if confirm and row.citizen_email:
        jobs.append((MAIL_RECEIVED, {"concern": row.id}))
    if not access.has_accounts(uow, row.authority_id):
        office = catalog_reads.authority(uow, row.authority_id)
        if office is not None and (office.concern_email or office.email):
            row.link_nonce = secrets.token_urlsafe(16)
            jobs.append((MAIL_TO_OFFICE, {"concern": row.id, "nonce": row.link_nonce}))
            _step(uow, row, Step.SENT_BY_MAIL, now, actor="system", authority_id=row.authority_id)
    enqueue_all(uow.session, _mails(now, *jobs), now=now)


def form_options(
    uow: UnitOfWork,
    *,
    values: dict[str, str],
    service_id: str | None,
    municipality: str,
    english: bool,
) -> dict[str, Any]:
    """What a concern form shows: the values so far, the service it is about, the towns."""
    service = catalog_reads.service(uow, service_id) if service_id else None
    return {
        "entered": values,
        "service": service,
        "service_name": ((english and service.name_en) or service.name) if service else None,
        "municipality": municipality,
        "municipalities": catalog_listing.municipalities(uow),
    }


# --- reading -----------------------------------------------------------------------------


def is_overdue(row: t.Concern, now: datetime) -> bool:
    return row.status in COUNTING and row.due_at is not None and row.due_at <= now


def _authority_names(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(ids))
    found = catalog_reads.authority_names(uow, wanted)
    return {authority_id: found.get(authority_id, authority_id) for authority_id in wanted}


def summary(row: t.Concern, now: datetime, names: dict[str, str]) -> dict[str, Any]:
    """A concern without personal data: what lists show."""
    left = None
    if row.due_at is not None and row.status in COUNTING:
        left = int((row.due_at - now).total_seconds() // 60)
    return {
        "id": row.id,
        "tracking_code": tracking.shown(row.tracking_code),
        "status": row.status,
        "authority": {
            "id": row.authority_id,
            "name": names.get(row.authority_id, row.authority_id),
        },
        "channel": row.channel,
        "service": row.service_id,
        "municipality": row.municipality,
        "received_at": _moment(row.received_at),
        "due_at": _moment(row.due_at),
        "overdue": is_overdue(row, now),
        "minutes_left": left,
        "taken_by": row.taken_by,
    }


def full(uow: UnitOfWork, row: t.Concern, now: datetime) -> dict[str, Any]:
    """A concern with its personal data and history: what the office and the API show."""
    names = _authority_names(uow, [row.authority_id])
    steps = _repo(uow).steps(row.id)
    names |= _authority_names(uow, [s.authority_id for s in steps if s.authority_id])
    return {
        **summary(row, now, names),
        "question": row.question,
        "address": row.address,
        "citizen": {
            "name": row.citizen_name,
            "email": row.citizen_email or None,
            "phone": row.citizen_phone or None,
            "preferred": row.preferred,
            "callback": row.callback or None,
        },
        "language": row.language,
        "feedback_hours": row.feedback_hours,
        "answer": (
            {"text": row.answer_text, "via": row.answer_via, "at": _moment(row.answered_at)}
            if row.answered_at is not None
            else None
        ),
        "verdict": row.verdict,
        "reopened": row.reopened,
        "closed_at": _moment(row.closed_at),
        "purged": row.purged_at is not None,
        "history": [
            {
                "at": _moment(s.at),
                "step": s.kind,
                "by": s.actor,
                "authority": (
                    {"id": s.authority_id, "name": names.get(s.authority_id, s.authority_id)}
                    if s.authority_id
                    else None
                ),
                "text": s.text or None,
            }
            for s in steps
        ],
    }


def _visible(login: Login, found: t.Concern | None) -> t.Concern:
    return owned_or_not_found(login, found, authority=lambda c: c.authority_id, what=NOT_FOUND)


def open_concern(
    uow: UnitOfWork, login: Login, concern_id: int, *, via: str, now: datetime
) -> t.Concern:
    """A concern the login may see, its opening recorded (it shows personal data)."""
    row = _visible(login, _repo(uow).get(concern_id))
    _repo(uow).record_access(
        t.ConcernAccess(
            concern_id=row.id, staff_id=login.user_id, username=login.username, at=now, via=via
        )
    )
    staff_acted(uow, login, "concern.viewed", "concern", row.id, via)
    return row


def brief(uow: UnitOfWork, login: Login, concern_id: int, *, now: datetime) -> dict[str, Any]:
    """A concern the login may see, without its personal data (no access is recorded)."""
    row = _visible(login, _repo(uow).get(concern_id))
    return summary(row, now, _authority_names(uow, [row.authority_id]))


def _authorities_of(login: Login) -> frozenset[str] | None:
    """The offices whose concerns the login sees; None: all."""
    return None if login.role in ALL_OFFICES else login.authorities


def parse_status(value: str | None) -> list[str]:
    if not value:
        return list(STATUSES)
    wanted = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in wanted if v not in STATUSES]
    if unknown:
        raise invalid(
            f"Unbekannter Status „{unknown[0][:30]}“; möglich: {', '.join(STATUSES)}.",
            f"Unknown status '{unknown[0][:30]}'; possible: {', '.join(STATUSES)}.",
        )
    return wanted


def listing(
    uow: UnitOfWork,
    login: Login,
    *,
    statuses: list[str],
    overdue: bool | None,
    now: datetime,
    limit: int = LIST_LIMIT,
    authority: str | None = None,
) -> list[dict[str, Any]]:
    """Concerns the login sees in these states, most urgent first, without personal data."""
    offices = _authorities_of(login)
    if authority is not None:
        if offices is not None and authority not in offices:
            return []
        offices = frozenset({authority})
    if overdue:
        statuses = [s for s in statuses if s in COUNTING]
    rows = _repo(uow).listing(
        authorities=offices,
        statuses=statuses,
        overdue_before=now if overdue else None,
        limit=limit if overdue is not False else limit * 4,
    )
    if overdue is False:
        rows = [r for r in rows if not is_overdue(r, now)][:limit]
    names = _authority_names(uow, [r.authority_id for r in rows])
    return [summary(r, now, names) for r in rows]


SUPERVISOR_VIEWS = ("overdue", "returned")


def supervisor_list(
    uow: UnitOfWork, *, now: datetime, view: str | None = None
) -> list[dict[str, Any]]:
    """Every overdue and every returned concern: what the service center must act on (the
    most urgent 200 of each); `view` "overdue" or "returned" for one of the two lists."""
    repo = _repo(uow)
    overdue: Sequence[t.Concern] = []
    returned: Sequence[t.Concern] = []
    if view in (None, "overdue"):
        overdue = repo.listing(
            authorities=None, statuses=list(COUNTING), overdue_before=now, limit=LIST_LIMIT
        )
    if view in (None, "returned"):
        returned = repo.listing(
            authorities=None,
            statuses=[Status.RETURNED.value],
            overdue_before=None,
            limit=LIST_LIMIT,
        )
    seen: set[int] = set()
    rows = []
    for row in [*overdue, *returned]:
        if row.id not in seen:
            seen.add(row.id)
            rows.append(row)
    names = _authority_names(uow, [r.authority_id for r in rows])
    return [summary(r, now, names) for r in rows]


def supervisor_counts(uow: UnitOfWork, *, now: datetime) -> dict[str, int]:
    """How many concerns are overdue and how many were returned (all of them)."""
    repo = _repo(uow)
    return {
        "overdue": repo.count_open(statuses=list(COUNTING), overdue_before=now),
        "returned": repo.count_open(statuses=[Status.RETURNED.value], overdue_before=None),
    }


def access_log(uow: UnitOfWork, *, now: datetime, days: int = 30) -> list[dict[str, Any]]:
    """Who opened which concern's personal data, newest first (for supervisors)."""
    rows = _repo(uow).accesses(since=now - timedelta(days=days), limit=500)
    return [
        {"concern": r.concern_id, "by": r.username, "at": _moment(r.at), "via": r.via} for r in rows
    ]


# --- working on a concern ------------------------------------------------------------------


def _touch(row: t.Concern, status: Status, now: datetime) -> None:
    row.status = status.value
    row.updated_at = now


def take(uow: UnitOfWork, login: Login, concern_id: int, *, now: datetime) -> t.Concern:
    row = _visible(login, _repo(uow).get(concern_id))
    _touch(row, move("take", row.status), now)
    row.taken_by = login.user_id
    _step(uow, row, Step.TAKEN, now, login=login)
    return row


def note(uow: UnitOfWork, login: Login, concern_id: int, *, text: str, now: datetime) -> t.Concern:
    row = _visible(login, _repo(uow).get(concern_id))
    body = clean_text(text, limit=MAX_TEXT, what=("Die Notiz", "The note"))
    row.updated_at = now
    _step(uow, row, Step.NOTE, now, login=login, text=body)
    return row


def _answer(
    uow: UnitOfWork,
    row: t.Concern,
    *,
    text: str,
    via: str,
    now: datetime,
    login: Login | None,
    actor: str = "",
) -> t.Concern:
    if via not in VIA:
        raise invalid(
            "Beantwortet per „email“, „phone“ oder „public“.",
            "Answered by 'email', 'phone' or 'public'.",
        )
    body = clean_text(text, limit=MAX_TEXT, what=("Die Antwort", "The answer"))
    target = move("answer", row.status)
    if via == "email" and not row.citizen_email:
        raise invalid(
            "Zu diesem Anliegen gibt es keine E-Mail-Adresse; bitte anrufen und das Gespräch "
            "mit „phone“ festhalten, oder die Antwort mit „public“ zur Vorgangsnummer "
            "veröffentlichen.",
            "This concern has no e-mail address; please call and record the call with 'phone', "
            "or publish the answer with its tracking code with 'public'.",
        )
    if via == "phone" and not row.citizen_phone and not row.citizen_email:
        raise invalid(
            "Zu diesem Anliegen gibt es weder Telefonnummer noch E-Mail-Adresse; bitte die "
            "Antwort mit „public“ zur Vorgangsnummer veröffentlichen.",
            "This concern has neither a phone number nor an e-mail address; please publish "
            "the answer with its tracking code with 'public'.",
        )
    _touch(row, target, now)
    row.answer_text = body
    row.answer_via = via
    row.answered_at = now
    row.link_nonce = None  # an answer link sent before is used up by any answer
    _step(uow, row, Step.ANSWERED, now, login=login, actor=actor, text=body)
    if row.citizen_email:
        enqueue_all(uow.session, _mails(now, (MAIL_ANSWER, {"concern": row.id})), now=now)
    return row


def answer(
    uow: UnitOfWork, login: Login, concern_id: int, *, text: str, via: str, now: datetime
) -> t.Concern:
    """Answer the citizen: an e-mail the product sends, or a call recorded with a note."""
    row = _visible(login, _repo(uow).get(concern_id))
    return _answer(uow, row, text=text, via=via, now=now, login=login)


def give_back(
    uow: UnitOfWork, login: Login, concern_id: int, *, reason: str, now: datetime
) -> t.Concern:
    """Not this office's concern: back to the service center to forward elsewhere. The clock
    keeps running (the promise was made to the citizen)."""
    row = _visible(login, _repo(uow).get(concern_id))
    why = clean_text(reason, limit=MAX_TEXT, what=("Der Grund", "The reason"))
    _touch(row, move("return", row.status), now)
    _step(uow, row, Step.RETURNED, now, login=login, text=why, authority_id=row.authority_id)
    return row


def forward(
    uow: UnitOfWork,
    login: Login,
    policy: Policy,
    concern_id: int,
    *,
    authority_id: str,
    now: datetime,
) -> t.Concern:
    """Send a concern to another office (the service center's move after a return)."""
    if not login.has(Role.AGENT, Role.SUPERVISOR, Role.ADMIN) and not login.sees(
        authority=policy.service_center
    ):
        # A role refusal, whichever concern is asked for (an office returns, it does not
        # forward): 403, as the route table has it.
        raise Forbidden(
            "Weiterleiten kann das Servicecenter; eine Dienststelle gibt ein Anliegen zurück.",
            message_en="The service center forwards; an office returns a concern.",
        )
    row = _visible(login, _repo(uow).get(concern_id))
    office = _authority_or_invalid(uow, authority_id)
    target = move("forward", row.status)
    if row.status == Status.WAITING_FOR_CITIZEN:
        _resume_clock(uow, policy, row, now)
    _touch(row, target, now)
    row.authority_id = office.id
    row.taken_by = None
    _step(uow, row, Step.FORWARDED, now, login=login, authority_id=office.id)
    _dispatch(uow, row, now, confirm=False)
    return row


def ask_citizen(
    uow: UnitOfWork, login: Login, policy: Policy, concern_id: int, *, text: str, now: datetime
) -> t.Concern:
    """A question back to the citizen: the clock stops until they reply."""
    row = _visible(login, _repo(uow).get(concern_id))
    body = clean_text(text, limit=MAX_TEXT, what=("Die Rückfrage", "The question"))
    _touch(row, move("ask", row.status), now)
    if row.due_at is not None:
        left = _calendar(uow, policy).between(now, row.due_at)
        row.paused_seconds_left = int(left.total_seconds())
    row.due_at = None
    row.remind_at = None
    _step(uow, row, Step.ASKED_CITIZEN, now, login=login, text=body)
    return row


def _resume_clock(uow: UnitOfWork, policy: Policy, row: t.Concern, now: datetime) -> None:
    left = timedelta(seconds=row.paused_seconds_left or 0)
    calendar = _calendar(uow, policy)
    row.due_at = calendar.after(now, left).astimezone(UTC)
    whole = timedelta(hours=row.feedback_hours)
    reminder_left = left - whole * (1 - REMINDER_SHARE)
    row.remind_at = (
        calendar.after(now, reminder_left).astimezone(UTC)
        if reminder_left > timedelta(0)
        else (row.remind_at or now)
    )
    row.paused_seconds_left = None


def citizen_replied(
    uow: UnitOfWork, login: Login, policy: Policy, concern_id: int, *, text: str, now: datetime
) -> t.Concern:
    """The citizen answered the question back: the clock runs on from where it stopped."""
    row = _visible(login, _repo(uow).get(concern_id))
    body = clean_text(text, limit=MAX_TEXT, what=("Die Antwort", "The reply"), required=False)
    _touch(row, move("resume", row.status), now)
    _resume_clock(uow, policy, row, now)
    _step(uow, row, Step.CITIZEN_REPLIED, now, login=login, text=body)
    return row


# --- the office without an account: a signed single-use link ------------------------------


def link_token(secret: bytes, concern_id: int, nonce: str) -> str:
    digest = hmac.new(
        secret, f"concern-answer:{concern_id}:{nonce}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


FORGED = (
    "Dieser Antwort-Link ist ungültig oder wurde schon benutzt.",
    "This answer link is invalid or has been used already.",
)


def by_link(uow: UnitOfWork, policy: Policy, concern_id: int, token: str) -> t.Concern:
    """The concern a signed answer link opens; NotFound for a forged or used link."""
    row = _repo(uow).get(concern_id)
    if (
        row is None
        or not row.link_nonce
        or not token
        or not hmac.compare_digest(link_token(policy.secret, row.id, row.link_nonce), token)
    ):
        raise NotFound(FORGED[0], message_en=FORGED[1])
    return row


def answer_by_link(
    uow: UnitOfWork,
    policy: Policy,
    concern_id: int,
    token: str,
    *,
    text: str,
    via: str,
    name: str,
    now: datetime,
) -> t.Concern:
    """The office's answer through its link; the link is used up."""
    row = by_link(uow, policy, concern_id, token)
    who = clean_text(name, limit=120, what=("Ihr Name", "Your name"), required=False)
    office = _authority_names(uow, [row.authority_id])[row.authority_id]
    return _answer(
        uow, row, text=text, via=via, now=now, login=None, actor=f"{who} ({office})".strip()
    )


def return_by_link(
    uow: UnitOfWork,
    policy: Policy,
    concern_id: int,
    token: str,
    *,
    reason: str,
    name: str,
    now: datetime,
) -> t.Concern:
    """The office says through its link that it is not responsible; the link is used up."""
    row = by_link(uow, policy, concern_id, token)
    who = clean_text(name, limit=120, what=("Ihr Name", "Your name"), required=False)
    why = clean_text(reason, limit=MAX_TEXT, what=("Der Grund", "The reason"))
    office = _authority_names(uow, [row.authority_id])[row.authority_id]
    _touch(row, move("return", row.status), now)
    row.link_nonce = None
    _step(
        uow,
        row,
        Step.RETURNED,
        now,
        actor=f"{who} ({office})".strip(),
        text=why,
        authority_id=row.authority_id,
    )
    return row


# --- the citizen ---------------------------------------------------------------------------


def find_by_code(uow: UnitOfWork, code: str) -> t.Concern:
    stored = tracking.normalize(code)
    row = _repo(uow).by_code(stored) if stored is not None else None
    if row is None:
        raise NotFound(NO_CODE[0], message_en=NO_CODE[1])
    return row


def track(uow: UnitOfWork, code: str, *, now: datetime) -> dict[str, Any]:
    """What the citizen sees: status, received, due and the dated steps; no personal data,
    not the question."""
    row = find_by_code(uow, code)
    names = _authority_names(uow, [row.authority_id])
    steps = [s for s in _repo(uow).steps(row.id) if s.kind in PUBLIC_STEPS]
    names |= _authority_names(uow, [s.authority_id for s in steps if s.authority_id])
    return {
        "tracking_code": tracking.shown(row.tracking_code),
        "status": row.status,
        "open": row.status in OPEN,
        "authority": {"id": row.authority_id, "name": names[row.authority_id]},
        "received_at": _moment(row.received_at),
        "due_at": _moment(row.due_at),
        "overdue": is_overdue(row, now),
        "answered_at": _moment(row.answered_at),
        "answered_via": row.answer_via,
        # Only an answer meant to be public is shown with the code (others may be personal).
        "answer": row.answer_text if row.answer_via == "public" else None,
        "verdict": row.verdict,
        "can_settle": row.status == Status.ANSWERED,
        "steps": [
            {
                "at": _moment(s.at),
                "step": s.kind,
                "authority": (
                    {"id": s.authority_id, "name": names[s.authority_id]}
                    if s.authority_id
                    else None
                ),
            }
            for s in steps
        ],
    }


def settle(uow: UnitOfWork, policy: Policy, code: str, *, verdict: str, now: datetime) -> t.Concern:
    """The citizen's word on the answer: ja / teilweise closes, nein reopens to the office."""
    if verdict not in VERDICTS:
        raise invalid(
            "Bitte „ja“, „teilweise“ oder „nein“ wählen.",
            "Please choose 'ja', 'teilweise' or 'nein'.",
        )
    row = find_by_code(uow, code)
    row.verdict = verdict
    if verdict == "nein":
        _touch(row, move("reopen", row.status), now)
        row.reopened += 1
        row.escalated_at = None
        row.reminded_at = None
        _start_clock(uow, policy, row, now, timedelta(hours=row.feedback_hours))
        _step(uow, row, Step.REOPENED, now, actor="citizen", text=verdict)
    else:
        _touch(row, move("settle", row.status), now)
        row.closed_at = now
        _step(uow, row, Step.SETTLED, now, actor="citizen", text=verdict)
    return row


def close_unsettled(uow: UnitOfWork, *, now: datetime, after_days: int = 14) -> int:
    """Answered concerns the citizen did not settle are closed after two weeks."""
    repo = _repo(uow)
    rows = repo.listing(
        authorities=None,
        statuses=[Status.ANSWERED.value],
        overdue_before=None,
        limit=1000,
    )
    closed = 0
    for row in rows:
        if row.answered_at is not None and now - row.answered_at >= timedelta(days=after_days):
            _touch(row, Status.CLOSED, now)
            row.closed_at = now
            _step(uow, row, Step.SETTLED, now, actor="system")
            closed += 1
    return closed


# --- the worker's passes -------------------------------------------------------------------


@dataclass(frozen=True)
class Escalated:
    reminded: int
    overdue: int
    skipped_outside_service_time: bool = False


def escalate(uow: UnitOfWork, policy: Policy, *, now: datetime) -> Escalated:
    """One pass: remind offices at 75 % of the time, escalate at the due time.

    Only in service time, so nobody is told at midnight or on a Sunday; what came due
    meanwhile goes out when service time begins. Each concern is claimed by one UPDATE
    before its e-mails are queued, so repeated or parallel passes send each once."""
    if not _calendar(uow, policy).is_service_time(now):
        return Escalated(0, 0, skipped_outside_service_time=True)
    repo = _repo(uow)
    counting = [s.value for s in COUNTING]
    reminded = repo.claim_reminders(now, counting)
    overdue = repo.claim_overdue(now, counting)
    steps = [(i, Step.REMINDED) for i in reminded] + [(i, Step.OVERDUE) for i in overdue]
    repo.add_steps(
        [
            {"concern_id": i, "at": now, "kind": kind.value, "actor": "system", "text": ""}
            for i, kind in steps
        ]
    )
    jobs = [(MAIL_REMINDER, {"concern": i}) for i in reminded]
    jobs += [(MAIL_OVERDUE, {"concern": i}) for i in overdue]
    enqueue_all(uow.session, _mails(now, *jobs), now=now)
    return Escalated(len(reminded), len(overdue))


def purge(uow: UnitOfWork, policy: Policy, *, now: datetime) -> int:
    """Delete name, contact details, question and texts of concerns closed longer than the
    retention; the anonymous figures stay."""
    repo = _repo(uow)
    before = now - timedelta(days=policy.retention_days)
    total = 0
    while True:
        ids = repo.closed_before(before, 500)
        if not ids:
            return total
        total += repo.purge(ids, now)


def set_office_hours(uow: UnitOfWork, authority_id: str, hours: int | None) -> None:
    """An office's own feedback promise (None: the default again); new concerns use it."""
    _authority_or_invalid(uow, authority_id)
    if hours is not None and not 1 <= hours <= 1000:
        raise invalid(
            "Die Rückmeldefrist liegt zwischen 1 und 1000 Stunden.",
            "The feedback time lies between 1 and 1000 hours.",
        )
    _repo(uow).set_office_hours(authority_id, hours)


def mail_context(uow: UnitOfWork, concern_id: int) -> t.Concern | None:
    """The concern an e-mail job is about (None when it is gone)."""
    return _repo(uow).get(concern_id)


def steps_of(uow: UnitOfWork, concern_id: int) -> list[t.ConcernStep]:
    return list(_repo(uow).steps(concern_id))


def authority_name(uow: UnitOfWork, authority_id: str) -> str:
    return _authority_names(uow, [authority_id])[authority_id]


def invalid_id(value: str) -> InvalidInput:
    return invalid(f"„{value[:20]}“ ist keine Nummer.", f"'{value[:20]}' is not a number.")


# --- Open311: reports from the street, as anybody may see them ------------------------------

OPEN311_STATES: dict[str, tuple[str, ...]] = {
    "open": tuple(s.value for s in OPEN),
    "closed": tuple(s for s in STATUSES if Status(s) not in OPEN),
}
NO_REPORT = (
    "Zu dieser Nummer gibt es keine Meldung.",
    "There is no report with this number.",
)


@dataclass(frozen=True)
class PublicReport:
    """A report taken in through Open311 without the reporter: no name, no contact details.
    The description, the place and the answer are public, as the reporting apps show them."""

    code: str  # the tracking code as shown, the Open311 service_request_id
    status: str  # Open311's "open" or "closed"
    service_id: str | None
    description: str
    media_url: str | None
    address: str
    lat: float | None
    long: float | None
    authority: str  # the office's name
    notes: str | None  # the answer, once there is one
    feedback_hours: int
    requested: datetime
    updated: datetime
    expected: datetime | None


def _public(row: t.Concern, names: dict[str, str]) -> PublicReport:
    description, media_url = split_question(row.question)
    address, lat, long = split_place(row.address)
    # Published are answers meant for the public only, never an e-mail or a call's note.
    answered = row.answered_at is not None and row.answer_via == "public"
    return PublicReport(
        code=tracking.shown(row.tracking_code),
        status=open311_status(row.status),
        service_id=row.service_id,
        description=description,
        media_url=media_url,
        address=address,
        lat=lat,
        long=long,
        authority=names.get(row.authority_id, row.authority_id),
        notes=row.answer_text if answered else None,
        feedback_hours=row.feedback_hours,
        requested=row.received_at,
        updated=row.updated_at,
        expected=row.due_at,
    )


def public_report(uow: UnitOfWork, code: str) -> PublicReport:
    """One Open311 report by its number; NotFound for any other concern."""
    stored = tracking.normalize(code)
    row = _repo(uow).by_code(stored) if stored is not None else None
    if row is None or row.source != OPEN311:
        raise NotFound(NO_REPORT[0], message_en=NO_REPORT[1])
    return _public(row, _authority_names(uow, [row.authority_id]))


def public_reports(
    uow: UnitOfWork,
    *,
    codes: Iterable[str] | None = None,
    service_ids: Iterable[str] | None = None,
    states: Iterable[str] | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
    limit: int = 1000,
) -> list[PublicReport]:
    """Open311 reports, newest first: those with these numbers (the other filters do not
    apply then; unknown numbers are left out), or those of these services, in these
    Open311 states ("open", "closed"), received in the range. Never other concerns."""
    repo = _repo(uow)
    rows: dict[int, t.Concern] = {}
    if codes is not None:
        for code in codes:
            stored = tracking.normalize(code)
            row = repo.by_code(stored) if stored is not None else None
            if row is not None and row.source == OPEN311:
                rows[row.id] = row
    else:
        wanted = list(states) if states is not None else list(OPEN311_STATES)
        unknown = [s for s in wanted if s not in OPEN311_STATES]
        if unknown:
            raise invalid(
                f"Unbekannter Status „{unknown[0][:30]}“; möglich: open, closed.",
                f"Unknown status '{unknown[0][:30]}'; possible: open, closed.",
            )
        statuses = [s for state in set(wanted) for s in OPEN311_STATES[state]]
        for service_id in list(service_ids) if service_ids is not None else [None]:
            for row in repo.listing(
                authorities=None,
                statuses=statuses,
                overdue_before=None,
                limit=limit,
                source=OPEN311,
                service_id=service_id,
                received_from=received_from,
                received_to=received_to,
            ):
                rows[row.id] = row
    newest = sorted(rows.values(), key=lambda r: (r.received_at, r.id), reverse=True)[:limit]
    names = _authority_names(uow, [r.authority_id for r in newest])
    return [_public(r, names) for r in newest]


def per_authority(
    uow: UnitOfWork, start: datetime, end: datetime, *, now: datetime
) -> list[dict[str, Any]]:
    """The concerns received in [start, end) per responsible authority: forwarded,
    answered within their feedback time, answered late, still open past it, still open
    within it (closed or not, by when the answer went out)."""
    rows = _repo(uow).per_authority(start, end, now)
    names = _authority_names(uow, [row[0] for row in rows])
    return [
        {
            "authority": authority,
            "name": names.get(authority, authority),
            "forwarded": forwarded,
            "answered_in_time": in_time,
            "answered_late": late,
            "overdue": overdue,
            "open": still_open,
            "in_time_rate": round(in_time / (in_time + late + overdue), 4)
            if in_time + late + overdue
            else None,
        }
        for authority, forwarded, in_time, late, overdue, still_open in rows
    ]
