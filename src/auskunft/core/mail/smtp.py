"""Outgoing e-mail over SMTP (the information sent to a caller)."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from auskunft.core.config import Settings
from auskunft.core.email import normalize
from auskunft.core.errors import InvalidInput, MailFailed
from auskunft.core.mail import outbox

ENVELOPE = "auskunft_envelope"  # the attribute of a message that names its recipients
# Deliberately plain: one @, no spaces, a dot in the domain. The mail server has the last word.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}$")


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to hand over mail."""

    host: str
    port: int
    sender: str
    security: str = "none"  # none | starttls | tls
    user: str = ""
    password: str = ""
    timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSettings:
        """The server, sender and credentials the settings name (the one place they are read)."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.mail_from,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            timeout=settings.smtp_timeout,
        )


def check_address(address: str) -> str:
    """Return the address as it is stored and mailed, or raise InvalidInput.

    The rules are `core.email.normalize`: domain literals, comments, encoded words and
    hidden characters are refused (a mail header would read them as another address),
    the domain is lower-cased (IDNA); a plain check of the shape comes on top.
    """
    cleaned = normalize(address).address
    if len(cleaned) > 254 or not _ADDRESS.fullmatch(cleaned) or not _reads_as(cleaned):
        raise InvalidInput(
            "Bitte eine gültige E-Mail-Adresse angeben (z. B. name@example.de).",
            message_en="Please give a valid e-mail address (e.g. name@example.org).",
        )
    return cleaned


def message(smtp: SmtpSettings, to: str, subject: str, body: str, language: str) -> EmailMessage:
    """A plain-text message in UTF-8."""
    mail = EmailMessage()
    mail["From"] = smtp.sender
    address = check_address(to)
    mail["To"] = address
    setattr(mail, ENVELOPE, [address])  # the envelope: the address as checked and stored
    mail["Subject"] = subject
    mail["Content-Language"] = language
    mail["Message-ID"] = make_msgid(domain=_domain(smtp.sender) or None)
    mail.set_content(body)
    return mail


def send(smtp: SmtpSettings, mail: EmailMessage) -> None:
    """Hand a message to the SMTP server; MailFailed (502) when that does not work.

    The envelope goes to exactly the addresses in the To header as they were checked and
    stored, not to what a parser makes of them. Within a background job
    (`outbox.job_mails`) a mail an earlier try of the job handed over is not sent again,
    and the hand-over is recorded as soon as the server accepted the mail.
    """
    slot = outbox.slot_for(mail, _domain(smtp.sender))
    if slot is not None:
        if slot.done:
            return
        del mail["Message-ID"]
        mail["Message-ID"] = slot.message_id
    recipients: list[str] = getattr(mail, ENVELOPE, None) or [
        _envelope(str(v)) for k, v in mail.raw_items() if k.lower() == "to"
    ]
    try:
        if smtp.security == "tls":
            context = ssl.create_default_context()
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password)
            client.send_message(mail, to_addrs=recipients)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailFailed(
            "Die E-Mail konnte nicht versendet werden; der Mailserver ist nicht erreichbar "
            "oder hat sie abgelehnt. Bitte später erneut versuchen.",
            message_en="The e-mail could not be sent: the mail server is unreachable or "
            "refused it. Please try again later.",
        ) from exc
    if slot is not None:
        outbox.handed_over(slot)


def _domain(sender: str) -> str:
    return sender.rsplit("@", 1)[-1].strip(">").strip()


def _envelope(header: str) -> str:
    """The address of a To header as it was set: a bare address stays exactly as it is
    (a parser would turn `x@[127.0.0.1].de` into `x@[127.0.0.1]`); `Name <address>`
    gives the address between the brackets."""
    value = header.strip()
    if value.endswith(">") and "<" in value:
        return value[value.rindex("<") + 1 : -1].strip()
    return value


def _reads_as(address: str) -> bool:
    """Whether a To header with this address names exactly this address."""
    if "[" in address or "(" in address or "=?" in address:
        return False
    probe = EmailMessage()
    try:
        probe["To"] = address
        found = probe["To"].addresses
    except (ValueError, IndexError, TypeError):
        return False
    return len(found) == 1 and found[0].addr_spec == address
