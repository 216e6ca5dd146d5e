"""Markdown for the pages: editors' texts with their HTML removed on save, rendered to
HTML with raw HTML off and sanitised again (`nh3`) on the way out."""

from __future__ import annotations

import html
import re

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
