"""E-mail addresses as people type them, made into the one form a mail server reads alike.

RFC 5322 lets an address carry comments, quoted local parts, domain literals and
encoded words; a header parser reads some of them differently from a plain check
(`x@[127.0.0.1].de` is delivered to `x@[127.0.0.1]`). A citizen needs none of that,
so only the plain form is taken: a dot-atom local part in ASCII at a host name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import idna

from auskunft.core.errors import InvalidInput

MAX_LENGTH = 254  # RFC 5321's path limit, less the angle brackets
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Address:
    """An address in its canonical form, and the key under which limits count it."""

    address: str  # the local part as given, the host in lower-case ASCII (IDNA): what is mailed
    key: str  # lower case, without a "+tag": the mailbox, for limits per person


def _refused() -> InvalidInput:
    return InvalidInput(
        "Bitte eine gültige E-Mail-Adresse angeben (z. B. name@example.de), ohne Kommentare, "
        "Anführungszeichen oder IP-Adressen.",
        message_en="Please give a valid e-mail address (e.g. name@example.org), without "
        "comments, quotes or IP addresses.",
    )


def _hidden(ch: str) -> bool:
    """Control, format (bidi, zero-width), separator, private or unassigned characters."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs")


def _host(domain: str) -> str:
    """The host in lower-case ASCII (A-labels), or InvalidInput."""
    if not domain or domain.startswith("[") or domain.endswith("."):
        raise _refused()
    try:
        ascii_host = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise _refused() from exc
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise _refused()
    # A top-level domain is letters (or an IDNA one): this refuses bare IP addresses.
    if not (labels[-1].isalpha() or labels[-1].startswith("xn--")) or len(labels[-1]) < 2:
        raise _refused()
    return ascii_host


def normalize(raw: str) -> Address:
    """Check an address and return its canonical form and limit key; InvalidInput if refused."""
    text = raw.strip()
    if not text or len(text) > MAX_LENGTH or any(_hidden(ch) for ch in text):
        raise _refused()
    if "=?" in text or "?=" in text:  # an encoded word (RFC 2047) decodes to something else
        raise _refused()
    local, at, domain = text.rpartition("@")
    if not at or len(local) > 64 or not _LOCAL.fullmatch(local):
        raise _refused()
    address = f"{local}@{_host(domain)}"
    if len(address) > MAX_LENGTH:
        raise _refused()
    return Address(address, limit_key(address))


def limit_key(address: str) -> str:
    """The mailbox an address reaches, for counting: "Anna+1@x.de" and "anna@x.de" are one.

    Conservative: most providers deliver "+tag" sub-addresses to the mailbox and read
    the local part without regard to case; counting them as one errs on the side
    of the limit.
    """
    local, _, domain = address.rpartition("@")
    base = local.split("+", 1)[0] or local
    return f"{base.lower()}@{domain.lower()}"


# -- a person's own text in an official e-mail ----------------------------------------
NAME_IN_MAIL = 60  # characters of a name an e-mail shows at most
# What a mail program may turn into a link: a scheme, "www.", an address, or a host name
# (a dot between a letter or digit and two letters, as in "evil.example").
_LINKABLE = re.compile(r"://|www\.|@|[^\W_]\.[^\W\d_]{2}", re.IGNORECASE)


def hidden_characters(text: str) -> bool:
    """Whether text holds control or format characters (bidi overrides, zero widths ...);
    spaces and tabs are not counted."""
    return any(_hidden(ch) and not (ch == "\t" or unicodedata.category(ch) == "Zs") for ch in text)


def linkable(text: str) -> bool:
    """Whether a mail program could make a link of some of the text."""
    return _LINKABLE.search(text) is not None


def name_for_mail(name: str, limit: int = NAME_IN_MAIL) -> str:
    """A name as an official e-mail may show it: plain, short, never a link; "" if not.

    The name is the only text of the visitor's own that the city mails; stored
    before the name rules (or typed by staff), it may hold anything.
    """
    kept = "".join(" " if ch.isspace() else ch for ch in name if ch.isspace() or not _hidden(ch))
    plain = " ".join(kept.split())
    if not plain or linkable(plain):
        return ""
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
