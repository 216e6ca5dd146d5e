"""E-mail addresses: only the plain form is taken, and what is taken is what mail reads."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auskunft.core.email import (
    Address,
    hidden_characters,
    limit_key,
    linkable,
    name_for_mail,
    normalize,
)
from auskunft.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("typed", "address", "key"),
    [
        ("anna@example.de", "anna@example.de", "anna@example.de"),
        (" Anna.Muster@Example.DE ", "Anna.Muster@example.de", "anna.muster@example.de"),
        ("anna+termin@x.de", "anna+termin@x.de", "anna@x.de"),
        ("Anna+1+2@X.de", "Anna+1+2@x.de", "anna@x.de"),
        ("+tag@x.de", "+tag@x.de", "+tag@x.de"),
        ("jo@Müller.de", "jo@xn--mller-kva.de", "jo@xn--mller-kva.de"),
        ("jo@straße.de", "jo@xn--strae-oqa.de", "jo@xn--strae-oqa.de"),  # IDNA 2008, not "ss"
        ("o'brien@example.ie", "o'brien@example.ie", "o'brien@example.ie"),
        ("a-b_c.d@sub.example-x.de", "a-b_c.d@sub.example-x.de", "a-b_c.d@sub.example-x.de"),
    ],
)
def test_plain_addresses_are_taken_in_their_canonical_form(
    typed: str, address: str, key: str
) -> None:
    assert normalize(typed) == Address(address, key)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "anna",
        "anna@",
        "@example.de",
        "anna@example",
        "anna@example.",
        "anna@example.de.",
        "anna@.example.de",
        "anna@exa..mple.de",
        "anna@-example.de",
        "anna@exa_mple.de",
        "anna@127.0.0.1",
        "x@[127.0.0.1]",
        "x@[127.0.0.1].de",
        "x@[IPv6:::1]",
        "a(kommentar)@example.de",
        "(kommentar)a@example.de",
        "anna@example.de(kommentar)",
        '"anna"@example.de',
        '"a b"@example.de',
        "a\\b@example.de",
        "=?utf-8?q?anna?=@example.de",
        "anna@=?utf-8?b?ZXhhbXBsZQ==?=.de",
        ".anna@example.de",
        "anna.@example.de",
        "an..na@example.de",
        "an na@example.de",
        "anna\u202e@example.de",
        "anna@exam\u202eple.de",
        "anna\u200b@example.de",
        "anna\x00@example.de",
        "anna\r\nBcc: x@y.de@example.de",
        "jörg@example.de",
        "Anna <anna@example.de>",
        "anna@example.de, bert@example.de",
        "anna@example.de,bert@example.de",
        "a@b@example.de",
        "a" * 65 + "@example.de",
        "anna@" + "a" * 64 + ".de",
        "anna@" + ("a" * 60 + ".") * 5 + "de",
    ],
)
def test_everything_else_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        normalize(typed)
    assert "E-Mail-Adresse" in refused.value.message and refused.value.message_en


def test_the_limit_key_is_the_mailbox() -> None:
    assert limit_key("Anna+1@x.de") == limit_key("anna@x.de") == limit_key("ANNA+b@X.DE")
    assert limit_key("anna@x.de") != limit_key("anne@x.de")


def _to_header(address: str) -> list[tuple[str, str]]:
    """The recipients smtplib.send_message reads from a message addressed as the app does."""
    mail = EmailMessage()
    mail["To"] = address
    return getaddresses([str(value) for value in mail.get_all("To", [])])


_ATEXT = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
_local = st.lists(st.text(_ATEXT, min_size=1, max_size=8), min_size=1, max_size=3).map(".".join)
_label = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_domain = st.tuples(st.lists(_label, min_size=1, max_size=3), st.sampled_from(["de", "org"]))


@settings(max_examples=300, deadline=None)
@given(_local, _domain)
def test_every_address_taken_reaches_exactly_that_address(
    local: str, domain: tuple[list[str], str]
) -> None:
    typed = f"{local}@{'.'.join([*domain[0], domain[1]])}"
    try:
        taken = normalize(typed)
    except InvalidInput:
        return  # refused ("=?" and "?=" look like encoded words): nothing is sent
    assert _to_header(taken.address) == [("", taken.address)]
    assert normalize(taken.address) == taken


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_taken_or_refused_never_crashes(text: str) -> None:
    try:
        taken = normalize(text)
    except InvalidInput:
        return
    assert _to_header(taken.address) == [("", taken.address)]
    assert taken.address.isascii() and taken.key == limit_key(taken.address)


# -- a name in an official e-mail -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Erika Mustermann", "Erika Mustermann"),
        ("  Dr.  Anna-Lena\tMüller ", "Dr. Anna-Lena Müller"),
        ("Anna\u00a0Müller", "Anna Müller"),
        ("Erika \u202enamretsuM", "Erika namretsuM"),
        ("Er\u200bika", "Erika"),
        ("A" * 61, "A" * 59 + "…"),
        ("A" * 60, "A" * 60),
        ("Erika https://evil.example", ""),
        ("Erika www.evil.example", ""),
        ("Erika evil.example", ""),
        ("Erika EVIL.EXAMPLE", ""),
        ("erika@evil.example", ""),
        ("Erika hxxp://evil", ""),
        ("\u202e\u200b", ""),
    ],
)
def test_a_name_in_a_mail_is_plain_short_and_never_a_link(name: str, shown: str) -> None:
    assert name_for_mail(name) == shown


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Dr. Müller", False),
        ("A. B. Çelik", False),
        ("O'Brien, Seán", False),
        ("St.Pierre", True),
        ("evil.de", True),
        ("x.y.z", False),  # one letter after each dot: no host name a mail program links
        ("WWW.X", True),
        ("ftp://x", True),
    ],
)
def test_what_a_mail_program_could_link(text: str, found: bool) -> None:
    assert linkable(text) is found


def test_hidden_characters_are_found_but_spaces_are_not() -> None:
    assert not hidden_characters("Anna\u00a0Müller\tX")
    for ch in ("\u202e", "\u200f", "\u200b", "\x07", "\n", "\ufeff", "\u2028"):
        assert hidden_characters(f"a{ch}b"), repr(ch)
