"""Turn the HTML of imported service texts into plain text with paragraphs and bullets."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser as HTMLParser

_BLOCK_END = re.compile(r"</(p|div|h[1-6]|ul|ol|table|tr)\s*>", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ITEM = re.compile(r"<li(\s[^>]*)?>", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\ufeff\u00ad"), None)


def html_to_text(html: str | None) -> str:
    """Return readable text: one blank line between paragraphs, '• ' before list items."""
    if not html:
        return ""
    marked = _ITEM.sub("\n• ", _BREAK.sub("\n", _BLOCK_END.sub("\n\n", html)))
    tree = HTMLParser(marked)
    text = tree.body.text(separator="") if tree.body is not None else ""
    text = text.translate(_INVISIBLE).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line.startswith("• ") and len(out) > 1 and not out[-1] and out[-2].startswith("• "):
            out.pop()  # list items follow each other without blank lines
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def first_sentences(text: str, limit: int = 240) -> str:
    """Return the opening sentences of a text, at most about `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 40 else cut.rsplit(" ", 1)[0] + " …"
