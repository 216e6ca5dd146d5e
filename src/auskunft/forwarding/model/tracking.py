"""The tracking code (Vorgangsnummer) a citizen gets for a concern.

Thirteen random characters from 29 symbols that are not confused on the phone
or on paper (no 0/O, 1/I/L, U or Z), about 63 random bits, and a check
character. The weighted sum of all fourteen characters (weights 1 to 14) is a
multiple of the prime 29, so every single mistyped character and every swap
of two neighbours is caught before the database is asked. Written in groups
(``K7QM3-XHD9T-PW4C``); spaces, hyphens and letter case do not matter.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXY"
BASE = len(ALPHABET)  # 29, a prime
RANDOM_CHARS = 13
LENGTH = RANDOM_CHARS + 1
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_INVERSE_OF_LAST_WEIGHT = pow(LENGTH, -1, BASE)


def _check_symbol(body: str) -> str:
    total = sum((i + 1) * _VALUE[c] for i, c in enumerate(body))
    return ALPHABET[(-total * _INVERSE_OF_LAST_WEIGHT) % BASE]


def new_code() -> str:
    """A fresh random code with its check character, without separators."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return body + _check_symbol(body)


def normalize(text: str) -> str | None:
    """The code in its stored form, or None when it cannot be one (wrong characters,
    length or check character)."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != LENGTH or any(c not in _VALUE for c in code):
        return None
    if _check_symbol(code[:RANDOM_CHARS]) != code[-1]:
        return None
    return code


def shown(code: str) -> str:
    """The code in groups, as it is printed and read out."""
    return f"{code[:5]}-{code[5:10]}-{code[10:]}"
