"""Whom a request is about: an e-mail address, a phone number, or both, in the forms the
stored data is compared in."""

from __future__ import annotations

from dataclasses import dataclass

from auskunft.core.email import normalize
from auskunft.core.errors import InvalidInput
from auskunft.core.phone import digits, national_digits

MIN_PHONE_DIGITS = 5  # as a concern's phone number needs (shorter ones would match widely)
MAX_PHONE = 40
_PHONE_CHARACTERS = frozenset("0123456789 +()/.-")


@dataclass(frozen=True)
class Subject:
    """The person asked about: what was typed (canonical) and the keys compared."""

    email: str  # the address as core.email.normalize keeps it, "" if none was given
    email_key: str  # the mailbox it reaches: "Anna+x@Example.de" → "anna@example.de"
    phone: str  # the number as given, spaces collapsed; "" if none
    phone_digits: str  # dialled within Germany: "+49 561 123" → "0561123"

    @property
    def by(self) -> str:
        """What the person was named by, for the audit log (never the values)."""
        return "+".join(
            kind for kind, value in (("email", self.email), ("phone", self.phone)) if value
        )


def subject(email: str | None, phone: str | None) -> Subject:
    """The person of an address and/or a phone number; InvalidInput if neither is usable."""
    typed_email = (email or "").strip()
    typed_phone = " ".join((phone or "").split())
    if not typed_email and not typed_phone:
        raise InvalidInput(
            "Bitte eine E-Mail-Adresse oder eine Telefonnummer angeben.",
            message_en="Please give an e-mail address or a phone number.",
        )
    address = normalize(typed_email) if typed_email else None
    if typed_phone and (
        len(typed_phone) > MAX_PHONE
        or len(digits(typed_phone)) < MIN_PHONE_DIGITS
        or not set(typed_phone) <= _PHONE_CHARACTERS
    ):
        raise InvalidInput(
            f"Eine Telefonnummer hat mindestens {MIN_PHONE_DIGITS} Ziffern, höchstens "
            f"{MAX_PHONE} Zeichen und nur Ziffern, Leerzeichen und + ( ) / . -.",
            message_en=f"A phone number has at least {MIN_PHONE_DIGITS} digits, at most "
            f"{MAX_PHONE} characters, and only digits, spaces and + ( ) / . -.",
        )
    return Subject(
        email=address.address if address else "",
        email_key=address.key if address else "",
        phone=typed_phone,
        phone_digits=national_digits(typed_phone) if typed_phone else "",
    )
