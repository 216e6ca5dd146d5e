"""The e-mails about an appointment or a waitlist place, in the citizen's language.

Each job carries ids only; the message is composed when the job runs, from
the rows as they are then, so a reminder for a time that was cancelled or
moved meanwhile is not sent. Texts are the `mail_*.txt` templates, German
through the gettext catalog; confirmations, changes and reminders carry an
iCalendar file that calendars update by its UID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote, urlsplit

from babel.dates import format_date, format_time
from jinja2 import Environment
from sqlalchemy import Engine

from auskunft.appointments import tables as t
from auskunft.appointments.repository import AppointmentRepository
from auskunft.appointments.service import waitlist
from auskunft.appointments.service.booking import manage_token
from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.email import name_for_mail
from auskunft.core.hours import BERLIN
from auskunft.core.i18n import LANGUAGES, template_loader, translations
from auskunft.core.mail import ics
from auskunft.core.mail import smtp as mailer

# Job kind: (template, statuses in which the mail still makes sense, calendar method).
APPOINTMENT_MAILS: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "mail.confirmation": ("mail_confirmation.txt", ("booked", "provisional"), "REQUEST"),
    "mail.moved": ("mail_moved.txt", ("booked", "provisional"), "REQUEST"),
    "mail.reminder": ("mail_reminder.txt", ("booked", "provisional"), "REQUEST"),
    "mail.cancelled": ("mail_cancelled.txt", ("cancelled",), "CANCEL"),
    "mail.expired": ("mail_expired.txt", ("expired",), "CANCEL"),
    "mail.waitlist_offer": ("mail_waitlist_offer.txt", ("offered",), None),
}
WAITLIST_MAILS = {"mail.waitlist_joined": "mail_waitlist_joined.txt"}
KINDS = frozenset(APPOINTMENT_MAILS) | frozenset(WAITLIST_MAILS)
_FORMAT_LOCALE = {"de": "de", "en": "en_GB"}


@dataclass(frozen=True)
class MailContext:
    """How to send, where the links point, and the secret that signs them."""

    smtp: mailer.SmtpSettings
    public_url: str
    secret: bytes
    retention_days: int = 30

    @classmethod
    def from_settings(cls, settings: Any) -> MailContext:
        """Take the SMTP server, sender, public URL and secret from the settings."""
        return cls(
            smtp=mailer.SmtpSettings.from_settings(settings),
            public_url=settings.public_url.rstrip("/"),
            secret=settings.secret(),
            retention_days=settings.appointment_retention_days,
        )

    @property
    def host(self) -> str:
        """The host of the public URL: the right-hand side of every event UID."""
        return urlsplit(self.public_url).hostname or "auskunft.invalid"

    def manage_url(self, code: str) -> str:
        token = manage_token(self.secret, "appointment", code)
        return f"{self.public_url}/termin/{quote(code)}?token={quote(token)}"

    def waitlist_url(self, entry_id: int) -> str:
        token = manage_token(self.secret, "waitlist", str(entry_id))
        return f"{self.public_url}/warteliste/{entry_id}?token={quote(token)}"


def _environment(language: str) -> Environment:
    env = Environment(
        loader=template_loader(),
        autoescape=False,  # plain text, never HTML
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # an included block ends its last line
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


_ENVIRONMENTS = {language: _environment(language) for language in LANGUAGES}


def render(language: str, template: str, **context: Any) -> tuple[str, str]:
    """Subject (the template's `subject` variable) and body of a mail template."""
    module = _ENVIRONMENTS[language].get_template(template).make_module(context)
    body = re.sub(r"\n{3,}", "\n\n", str(module)).strip() + "\n"
    return " ".join(str(getattr(module, "subject", "")).split()), body


def _day(moment: datetime, language: str) -> str:
    return format_date(moment.astimezone(BERLIN).date(), "full", locale=_FORMAT_LOCALE[language])


def _clock(moment: datetime, language: str) -> str:
    return format_time(moment.astimezone(BERLIN), "HH:mm", locale=_FORMAT_LOCALE[language])


def _place(uow: UnitOfWork, location_id: str) -> dict[str, str]:
    location = catalog_reads.location(uow, location_id)
    if location is None:
        return {"name": location_id, "address": "", "phone": ""}
    town = " ".join(p for p in (location.postcode, location.city) if p)
    address = ", ".join(p for p in (location.street, town) if p)
    return {"name": location.name, "address": address, "phone": location.phone}


def _service_names(uow: UnitOfWork, service_ids: list[str], language: str) -> list[str]:
    found = catalog_reads.services_by_id(uow, service_ids)
    names = []
    for service_id in service_ids:
        service = found.get(service_id)
        if service is None:
            names.append(service_id)
        else:
            names.append((language == "en" and service.name_en) or service.name)
    return names


def _language(value: str) -> str:
    return value if value in LANGUAGES else "de"


def _appointment_context(
    uow: UnitOfWork, ctx: MailContext, row: t.Appointment, language: str
) -> dict[str, Any]:
    return {
        "lang": language,
        # The only text of the visitor's own in the city's mail: plain, short, no link.
        "name": name_for_mail(row.name),
        "code": row.code,
        "day": _day(row.start_at, language),
        "start": _clock(row.start_at, language),
        "end": _clock(row.end_at, language),
        "location": _place(uow, row.location_id),
        "services": _service_names(uow, [s.service_id for s in row.services], language),
        "manage_url": ctx.manage_url(row.code),
        "portal_url": ctx.public_url,
        "provisional": row.status == "provisional",
        "until": (
            f"{_day(row.expires_at, language)}, {_clock(row.expires_at, language)}"
            if row.expires_at is not None
            else ""
        ),
        "retention_days": ctx.retention_days,
    }


def _calendar_file(
    ctx: MailContext,
    row: t.Appointment,
    context: dict[str, Any],
    method: str,
    now: datetime,
) -> bytes:
    summary, description = render(context["lang"], "mail_calendar.txt", **context)
    place = context["location"]
    sender_name, sender_address = parseaddr(ctx.smtp.sender)
    event = ics.Event(
        uid=f"{row.code}@{ctx.host}",
        start=row.start_at,
        end=row.end_at,
        summary=summary,
        location=", ".join(p for p in (place["name"], place["address"]) if p),
        description=description.strip(),
        sequence=ics.sequence(row.created_at, row.changed_at, cancelled=method == "CANCEL"),
        organizer=sender_address,
        organizer_name=sender_name,
        attendee=row.email,
        attendee_name=context["name"],
    )
    return ics.calendar(event, method=method, stamp=now)


def _offer_was_accepted(uow: UnitOfWork, row: t.Appointment) -> bool:
    """Whether a cancelled visit had been a confirmed one (a declined offer never was)."""
    if row.waitlist_id is None:
        return True
    entry = uow.repo(AppointmentRepository).waitlist_entry(row.waitlist_id)
    return entry is not None and entry.status == "booked"


def _appointment_mail(
    uow: UnitOfWork, ctx: MailContext, kind: str, payload: dict[str, Any], now: datetime
) -> EmailMessage | None:
    template, statuses, method = APPOINTMENT_MAILS[kind]
    row = uow.repo(AppointmentRepository).by_id(int(payload["appointment"]))
    if row is None or row.purged or not row.email or row.status not in statuses:
        return None  # gone, deleted, or changed since: this mail would be wrong now
    if kind == "mail.reminder" and row.start_minute != payload.get("start"):
        return None  # moved since; the move queued its own reminder
    if kind == "mail.reminder" and row.start_at <= now:
        return None  # the worker was down too long: too late to remind
    if kind == "mail.cancelled" and not _offer_was_accepted(uow, row):
        method = None  # a declined offer never reached the citizen's calendar
    language = _language(row.language)
    context = _appointment_context(uow, ctx, row, language)
    subject, body = render(language, template, **context)
    mail = mailer.message(ctx.smtp, row.email, subject, body, language)
    if method is not None:
        # As bytes, so that the CRLF line ends RFC 5545 asks for survive the encoding.
        mail.add_attachment(
            _calendar_file(ctx, row, context, method, now),
            maintype="text",
            subtype="calendar",
            filename="termin.ics",
            params={"method": method, "charset": "utf-8"},
        )
        if mail["Content-Language"] is None:  # moved to the text part by the attachment
            mail["Content-Language"] = language
    return mail


def _waitlist_mail(
    uow: UnitOfWork, ctx: MailContext, kind: str, payload: dict[str, Any]
) -> EmailMessage | None:
    entry = uow.repo(AppointmentRepository).waitlist_entry(int(payload["waitlist"]))
    if entry is None or not entry.email or entry.status not in ("waiting", "offered"):
        return None  # left (or deleted) before the mail went out
    language = _language(entry.language)
    subject, body = render(
        language,
        WAITLIST_MAILS[kind],
        lang=language,
        name=name_for_mail(entry.name),
        service=_service_names(uow, [entry.service_id], language)[0],
        location=_place(uow, entry.location_id),
        position=waitlist.position(uow, entry) if entry.status == "waiting" else 0,
        waitlist_url=ctx.waitlist_url(entry.id),
    )
    return mailer.message(ctx.smtp, entry.email, subject, body, language)


def compose(
    uow: UnitOfWork, ctx: MailContext, kind: str, payload: dict[str, Any], now: datetime
) -> EmailMessage | None:
    """The mail a job stands for, or None when there is (no longer) anything to send."""
    if kind in APPOINTMENT_MAILS:
        return _appointment_mail(uow, ctx, kind, payload, now)
    if kind in WAITLIST_MAILS:
        return _waitlist_mail(uow, ctx, kind, payload)
    raise ValueError(f"no mail for job kind {kind!r}")


def send_job(
    engine: Engine, ctx: MailContext, kind: str, payload: dict[str, Any], now: datetime
) -> bool:
    """Compose and send the mail of a job; False when there was nothing to send.

    The database session is closed before the SMTP conversation starts, so a
    slow mail server holds no connection or lock.
    """
    with UnitOfWork(engine) as uow:
        mail = compose(uow, ctx, kind, payload, now)
    if mail is None:
        return False
    mailer.send(ctx.smtp, mail)
    return True
