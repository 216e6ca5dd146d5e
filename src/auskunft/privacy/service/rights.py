"""The use cases of the citizen's rights: find a person's data, export it (Art. 15), erase
it (Art. 17). Each is recorded in the audit log with counts only, never the address or
the number asked about (`core.audit.staff_acted`); the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auskunft.appointments.service import personal as appointments
from auskunft.appointments.service.calendars import BookingPolicy
from auskunft.core.audit import staff_acted
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.errors import InvalidInput
from auskunft.core.principal import Login
from auskunft.forwarding.service import personal as concerns
from auskunft.privacy.model.subject import Subject

FORMATS = ("html", "json", "text")
AUDIT_OBJECT = "privacy"  # the audit entry's object type; its id says what was asked by


@dataclass(frozen=True)
class Findings:
    """Everything stored about a person, as found at `found_at`."""

    subject: Subject
    visits: tuple[appointments.Visit, ...]
    waiting: tuple[appointments.WaitingPlace, ...]
    concerns: tuple[concerns.ConcernRecord, ...]
    found_at: datetime

    @property
    def counts(self) -> dict[str, int]:
        return {
            "appointments": len(self.visits),
            "waitlist": len(self.waiting),
            "concerns": len(self.concerns),
        }

    @property
    def empty(self) -> bool:
        return not (self.visits or self.waiting or self.concerns)

    @property
    def offices(self) -> tuple[str, ...]:
        """The offices that received the data (the recipients), in order of first mention."""
        seen: list[str] = []
        names = [v.place.authority for v in self.visits]
        names += [w.place.authority for w in self.waiting]
        names += [office for c in self.concerns for office in c.offices]
        for name in names:
            if name and name not in seen:
                seen.append(name)
        return tuple(seen)


@dataclass(frozen=True)
class Erasure:
    """What an erasure did."""

    cancelled: int  # coming appointments cancelled (their time freed)
    appointments: int  # appointments anonymised (the cancelled ones among them)
    waitlist: int  # waitlist entries deleted
    concerns: int  # concerns anonymised
    closed: int  # open concerns among them, closed

    def as_json(self) -> dict[str, int]:
        return {
            "cancelled": self.cancelled,
            "appointments": self.appointments,
            "waitlist": self.waitlist,
            "concerns": self.concerns,
            "closed_concerns": self.closed,
        }


def _detail(counts: dict[str, int], **more: str) -> str:
    """The audit entry's detail: what was asked by and how many records; no values."""
    return " ".join(
        [*(f"{k}={v}" for k, v in more.items()), *(f"{k}={v}" for k, v in counts.items())]
    )


def _record(uow: UnitOfWork, login: Login | None, action: str, who: Subject, detail: str) -> None:
    staff_acted(uow, login, action, AUDIT_OBJECT, who.by, detail, actor="system")


def gather(uow: UnitOfWork, who: Subject, *, now: datetime) -> Findings:
    """Everything stored about the person, unrecorded (the use cases below record it)."""
    mine = appointments.personal_data(uow, email_key=who.email_key, phone=who.phone_digits)
    theirs = concerns.personal_data(uow, email_key=who.email_key, phone=who.phone_digits)
    return Findings(who, mine.visits, mine.waiting, theirs, now)


def find(uow: UnitOfWork, who: Subject, *, login: Login | None, now: datetime) -> Findings:
    """What is stored about a person: appointments, waitlist entries, concerns (recorded)."""
    found = gather(uow, who, now=now)
    _record(uow, login, "privacy.searched", who, _detail(found.counts, by=who.by))
    return found


def export(
    uow: UnitOfWork, who: Subject, *, fmt: str, login: Login | None, now: datetime
) -> Findings:
    """The same, for the Art. 15 document in a format (`html`, `json`, `text`; recorded)."""
    if fmt not in FORMATS:
        raise InvalidInput(
            f"Unbekanntes Format „{fmt[:20]}“; möglich: {', '.join(FORMATS)}.",
            message_en=f"Unknown format '{fmt[:20]}'; possible: {', '.join(FORMATS)}.",
        )
    found = gather(uow, who, now=now)
    _record(uow, login, "privacy.exported", who, _detail(found.counts, by=who.by, format=fmt))
    return found


def erase(
    uow: UnitOfWork,
    policy: BookingPolicy,
    who: Subject,
    *,
    login: Login | None,
    now: datetime,
) -> Erasure:
    """Erase the person's data in one transaction (the caller's): coming appointments are
    cancelled and their time freed, waitlist entries deleted, appointments and concerns
    keep their anonymous facts. Idempotent: a second erasure finds nothing (recorded)."""
    visits = appointments.erase_personal_data(
        uow,
        policy,
        email_key=who.email_key,
        phone=who.phone_digits,
        staff_id=login.user_id if login is not None else None,
        now=now,
    )
    cases = concerns.erase_personal_data(
        uow, email_key=who.email_key, phone=who.phone_digits, login=login, now=now
    )
    done = Erasure(
        cancelled=visits.cancelled,
        appointments=visits.anonymised,
        waitlist=visits.waitlist,
        concerns=cases.anonymised,
        closed=cases.closed,
    )
    _record(uow, login, "privacy.erased", who, _detail(done.as_json(), by=who.by))
    return done
