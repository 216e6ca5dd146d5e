"""The e-mails about a concern, composed when their job runs (from the rows as they are then).

A job carries the concern's id only. Texts are the `mail_concern_*.txt` templates,
English message ids with German texts in `forwarding/locale/de-mail.po`; the
citizen's mails are in the citizen's language, the offices' in German.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote, urlencode

from babel.dates import format_datetime
from jinja2 import Environment
from sqlalchemy import Engine

from auskunft.catalog.service import reads as catalog_reads
from auskunft.core.db.uow import UnitOfWork
from auskunft.core.email import name_for_mail
from auskunft.core.hours import BERLIN
from auskunft.core.i18n import LANGUAGES, template_loader, translations
from auskunft.core.mail import smtp as mailer
from auskunft.forwarding.model import tracking
from auskunft.forwarding.service import concerns as service

_FORMAT_LOCALE = {"de": "de", "en": "en_GB"}


@dataclass(frozen=True)
class MailContext:
    smtp: mailer.SmtpSettings
    public_url: str
    secret: bytes
    supervisor_email: str

    @classmethod
    def from_settings(cls, settings: Any) -> MailContext:
        return cls(
            smtp=mailer.SmtpSettings.from_settings(settings),
            public_url=settings.public_url.rstrip("/"),
            secret=settings.secret(),
            supervisor_email=settings.supervisor_email,
        )

    def tracking_url(self, code: str) -> str:
        return f"{self.public_url}/anliegen/{quote(tracking.shown(code))}"

    def answer_url(self, concern_id: int, nonce: str) -> str:
        token = service.link_token(self.secret, concern_id, nonce)
        return f"{self.public_url}/anliegen/antwort/{concern_id}?{urlencode({'token': token})}"

    def inbox_url(self) -> str:
        return f"{self.public_url}/dienststelle/anliegen"


def _environment(language: str) -> Environment:
    env = Environment(
        loader=template_loader(),
        autoescape=False,  # plain text
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return env


_ENVIRONMENTS = {language: _environment(language) for language in LANGUAGES}


def render(language: str, template: str, **context: Any) -> tuple[str, str]:
    module = _ENVIRONMENTS[language].get_template(template).make_module(context)
    body = re.sub(r"\n{3,}", "\n\n", str(module)).strip() + "\n"
    return " ".join(str(getattr(module, "subject", "")).split()), body


def when(moment: datetime | None, language: str) -> str:
    """ "Dienstag, 8. Dezember 2026, 13:30 Uhr" / "Tuesday, 8 December 2026, 13:30"."""
    if moment is None:
        return ""
    local = moment.astimezone(BERLIN)
    text = format_datetime(local, "EEEE, d. MMMM y, HH:mm", locale="de")
    if language == "en":
        return format_datetime(local, "EEEE, d MMMM y, HH:mm", locale=_FORMAT_LOCALE["en"])
    return f"{text} Uhr"


def compose(
    uow: UnitOfWork, ctx: MailContext, kind: str, payload: dict[str, Any]
) -> list[EmailMessage]:
    """The mails a job stands for; none when there is (no longer) anything to send."""
    row = service.mail_context(uow, int(payload["concern"]))
    if row is None or row.purged_at is not None:
        return []
    office = service.authority_name(uow, row.authority_id)
    office_address = _office_address(uow, row.authority_id)
    common = {
        "code": tracking.shown(row.tracking_code),
        "tracking_url": ctx.tracking_url(row.tracking_code),
        "office": office,
        "received": row.received_at,
        "due": row.due_at,
        "name": row.citizen_name,
        "question": row.question,
        "address": row.address,
        "email": row.citizen_email,
        "phone": row.citizen_phone,
        "preferred": row.preferred,
        "callback": row.callback,
        "service": row.service_id or "",
        "portal_url": ctx.public_url,
    }
    # What the city mails to an address a visitor typed carries none of the visitor's own
    # text beyond the name (plain, short, never a link) and the callback time likewise.
    to_citizen = common | {
        "name": name_for_mail(row.citizen_name or ""),
        "callback": name_for_mail(row.callback or "", 40),
    }
    if kind == service.MAIL_RECEIVED:
        if not row.citizen_email:
            return []
        return [
            _mail(ctx, row.citizen_email, row.language, "mail_concern_received.txt", to_citizen)
        ]
    if kind == service.MAIL_ANSWER:
        if not row.citizen_email or row.answered_at is None:
            return []
        context = to_citizen | {"answer": row.answer_text, "via": row.answer_via}
        return [_mail(ctx, row.citizen_email, row.language, "mail_concern_answer.txt", context)]
    if kind == service.MAIL_TO_OFFICE:
        nonce = str(payload.get("nonce", ""))
        if row.link_nonce != nonce or not office_address or row.answered_at is not None:
            return []  # answered, or forwarded elsewhere meanwhile: this link is void
        context = common | {"answer_url": ctx.answer_url(row.id, nonce)}
        return [_mail(ctx, office_address, "de", "mail_concern_to_office.txt", context)]
    if kind in (service.MAIL_REMINDER, service.MAIL_OVERDUE):
        if row.status not in ("forwarded", "in_progress", "returned"):
            return []
        template = (
            "mail_concern_reminder.txt"
            if kind == service.MAIL_REMINDER
            else "mail_concern_overdue.txt"
        )
        context = common | {"inbox_url": ctx.inbox_url()}
        if row.link_nonce:
            context["answer_url"] = ctx.answer_url(row.id, row.link_nonce)
        found = []
        if office_address:
            found.append(_mail(ctx, office_address, "de", template, context))
        if kind == service.MAIL_OVERDUE and ctx.supervisor_email:
            found.append(_mail(ctx, ctx.supervisor_email, "de", template, context))
        return found
    raise ValueError(f"no mail for job kind {kind!r}")


def _office_address(uow: UnitOfWork, authority_id: str) -> str:
    """The office's concern inbox (kept by the editors), else its public address."""
    row = catalog_reads.authority(uow, authority_id)
    if row is None:
        return ""
    return row.concern_email or row.email or ""


def _mail(
    ctx: MailContext, to: str, language: str, template: str, context: dict[str, Any]
) -> EmailMessage:
    language = language if language in LANGUAGES else "de"
    shown = context | {
        "lang": language,
        "received_text": when(context["received"], language),
        "due_text": when(context["due"], language),
    }
    subject, body = render(language, template, **shown)
    return mailer.message(ctx.smtp, to, subject, body, language)


def send_job(
    engine: Engine, ctx: MailContext, kind: str, payload: dict[str, Any], now: datetime
) -> int:
    """Compose and send the mails of a job (the session is closed before SMTP starts)."""
    with UnitOfWork(engine) as uow:
        found = compose(uow, ctx, kind, payload)
    for mail in found:
        mailer.send(ctx.smtp, mail)
    return len(found)
