"""Phone numbers as people write them, made into one form to compare: the digits dialled
within Germany.

"+49 561 123", "0049 (0)561-123", "0561/123" and "0561 123" are one number, "0561123";
a number of another country keeps its international prefix ("+43 1 234" and "0043 1 234"
are "00431234"). Nothing is checked beyond that: stored numbers were checked when they
were taken, and a search compares only like with like.
"""

from __future__ import annotations

COUNTRY = "49"  # Germany
_DIGITS = frozenset("0123456789")


def digits(raw: str) -> str:
    """The ASCII digits of a text, in order ("+49 (0)561-12" → "49056112")."""
    return "".join(ch for ch in raw if ch in _DIGITS)


def national_digits(raw: str, country: str = COUNTRY) -> str:
    """The number as dialled within the country: "+49 561 123" and "0561/123" → "0561123".

    An international form ("+", or "00" before the country code) of the country becomes the
    national one with its trunk "0" (a "(0)" written after the country code counts once);
    another country's number keeps "00" and its country code. A number without a prefix
    ("0561 123", or a local "123 456") is its digits.
    """
    text = raw.strip()
    found = digits(text)
    if text.startswith("+"):
        international = found
    elif found.startswith("00"):
        international = found[2:]
    else:
        return found
    if not international:
        return ""
    if not international.startswith(country):
        return "00" + international
    rest = international[len(country) :]
    if rest.startswith("0"):  # "+49 (0)561 ...": the trunk prefix written along
        rest = rest[1:]
    return "0" + rest
