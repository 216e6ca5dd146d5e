"""Editors' texts: Markdown whose raw HTML is removed on save (`nh3`), rendered to HTML
for the pages and sanitised again there; and a readable word-level difference."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

# What a rendered text may contain: paragraphs, emphasis, lists, headings below the
# page's own, quotes, code and links (http, https, mail, phone).
RENDERED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "h3", "h4", "blockquote", "code", "a",
}  # fmt: skip
LINK_SCHEMES = {"http", "https", "mailto", "tel"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def strip_markup(text: str) -> str:
    """The text without any HTML: tags, event handlers, scripts and styles (with their
    content) go; what is left reads as before (entities the sanitiser wrote are undone,
    since the stored text is Markdown, not HTML)."""
    if "<" not in text and "&" not in text:
        return text
    cleaned = nh3.clean(text, tags=set(), attributes={}, strip_comments=True)
    return html.unescape(cleaned)


def render_markdown(text: str) -> str:
    """HTML of a Markdown text for a page: raw HTML never passes (escaped by the parser,
    then everything outside `RENDERED_TAGS` dropped by the sanitiser); links get
    `rel="noopener noreferrer"`."""
    if not text:
        return ""
    rendered = _markdown.render(text)
    headings = re.sub(r"<(/?)h[12]>", r"<\1h3>", rendered)
    return nh3.clean(
        headings,
        tags=RENDERED_TAGS,
        attributes={"a": {"href"}},
        url_schemes=LINK_SCHEMES,
        link_rel="noopener noreferrer",
    )


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
