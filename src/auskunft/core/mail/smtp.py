"""Outgoing e-mail over SMTP (the information sent to a caller)."""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from auskunft.core.config import Settings
from auskunft.core.errors import InvalidInput, MailFailed

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
    """Return a cleaned e-mail address, or raise InvalidInput."""
    cleaned = address.strip()
    if len(cleaned) > 254 or not _ADDRESS.fullmatch(cleaned):
        raise InvalidInput(
            "Bitte eine gültige E-Mail-Adresse angeben (z. B. name@example.de).",
            message_en="Please give a valid e-mail address (e.g. name@example.org).",
        )
    return cleaned


def message(smtp: SmtpSettings, to: str, subject: str, body: str, language: str) -> EmailMessage:
    """A plain-text message in UTF-8."""
    mail = EmailMessage()
    mail["From"] = smtp.sender
    mail["To"] = check_address(to)
    mail["Subject"] = subject
    mail["Content-Language"] = language
    mail["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[-1].strip(">") or None)
    mail.set_content(body)
    return mail


def send(smtp: SmtpSettings, mail: EmailMessage) -> None:
    """Hand a message to the SMTP server; MailFailed (502) when that does not work."""
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
            client.send_message(mail)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailFailed(
            "Die E-Mail konnte nicht versendet werden; der Mailserver ist nicht erreichbar "
            "oder hat sie abgelehnt. Bitte später erneut versuchen.",
            message_en="The e-mail could not be sent: the mail server is unreachable or "
            "refused it. Please try again later.",
        ) from exc
