"""A readable word-level difference of two versions of an editor's text."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Piece:
    """One piece of a word-level difference: kept ("="), removed ("-") or added ("+")."""

    op: str
    text: str


_WORDS = re.compile(r"\s+|[^\s]+")


def word_diff(before: str, after: str) -> list[Piece]:
    """The difference of two texts word by word, whitespace kept, so it reads as a text
    with deletions and insertions marked (as `<del>`/`<ins>` on the history page)."""
    old = _WORDS.findall(before or "")
    new = _WORDS.findall(after or "")
    pieces: list[Piece] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(Piece("=", "".join(old[a1:a2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(Piece("-", "".join(old[a1:a2])))
        if op in ("insert", "replace"):
            pieces.append(Piece("+", "".join(new[b1:b2])))
    merged: list[Piece] = []
    for piece in pieces:
        if merged and merged[-1].op == piece.op:
            merged[-1] = Piece(piece.op, merged[-1].text + piece.text)
        elif piece.text:
            merged.append(piece)
    return merged


def shown_value(value: object) -> str:
    """A field's value as one text for the difference: lists one item per line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, list):
        return "\n".join(shown_value(item) for item in value)
    if isinstance(value, dict):
        return " · ".join(f"{k}: {shown_value(v)}" for k, v in value.items() if v not in (None, ""))
    return str(value)
