"""Page weight of the portal's home page: every byte a first visit loads, against a budget.

    .venv/bin/python bench/page_weight.py [--base-url URL] [--path /] [--budget-kb 150]
                                          [--json bench/out/page_weight.json]

Without --base-url, `auskunft serve` starts on a fresh demo database (as in
bench/desk_load.py) and stops afterwards. The page is fetched, its HTML read for
what a browser would load next (stylesheets, scripts, images and their
srcset, icons, preloads, and the url()s and @imports of the stylesheets), and
each of those fetched: once asking for no compression (`Accept-Encoding:
identity`) and once with `Accept-Encoding: gzip`. The bytes are the response
bodies as they came over the wire (HTTP headers not counted); the budget is in
KB of 1,000 bytes. When the page names no icon, the browser still asks for
/favicon.ico; that request is listed too.

It also checks that the page's main content is in the HTML itself, for a first
render without JavaScript: the search form (`<form role="search"`) and the
links to the life situations.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_server import demo_server  # noqa: E402
from bench.report import write_json  # noqa: E402

CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
CSS_IMPORT = re.compile(r"""@import\s+['"]([^'"]+)['"]""")
TOPIC_LINK = "/lebenslagen/"


@dataclass
class Resource:
    """Something the page loads, found in its HTML or in a stylesheet."""

    url: str
    kind: str
    render_blocking: bool = False


class PageParser(HTMLParser):
    """Collects what the HTML loads and what its first render already contains."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.resources: list[Resource] = []
        self.search_forms = 0
        self.topic_links: list[str] = []
        self._in_topic_link = False
        self._topic_text = ""

    def _add(self, src: str | None, kind: str, blocking: bool = False) -> None:
        if src and not src.startswith(("data:", "#")):
            self.resources.append(Resource(urljoin(self.base, src), kind, blocking))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = set(a.get("rel", "").lower().split())
        if tag == "link":
            if "stylesheet" in rel:
                media = a.get("media", "all")
                self._add(a.get("href"), "stylesheet", media in ("", "all", "screen"))
            elif rel & {"icon", "apple-touch-icon", "mask-icon"}:
                self._add(a.get("href"), "icon")
            elif rel & {"preload", "modulepreload"}:
                self._add(a.get("href"), f"preload ({a.get('as', '?')})")
            elif "manifest" in rel:
                self._add(a.get("href"), "manifest")
        elif tag == "script" and a.get("src"):
            deferred = "defer" in a or "async" in a or a.get("type") == "module"
            self._add(a["src"], "script", not deferred)
        elif tag in ("img", "source", "video", "audio", "input", "iframe"):
            if tag != "input" or a.get("type") == "image":
                self._add(a.get("src"), tag)
            for part in (a.get("srcset") or "").split(","):
                self._add(part.strip().split(" ")[0] or None, f"{tag} srcset")
            if tag == "video":
                self._add(a.get("poster"), "video poster")
        elif tag == "form" and a.get("role") == "search":
            self.search_forms += 1
        elif tag == "a" and a.get("href", "").startswith(TOPIC_LINK):
            self._in_topic_link = True
            self._topic_text = ""

    def handle_data(self, data: str) -> None:
        if self._in_topic_link:
            self._topic_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._in_topic_link:
            self._in_topic_link = False
            if self._topic_text.strip():
                self.topic_links.append(self._topic_text.strip())


def fetch(client: httpx.Client, url: str, encoding: str) -> dict[str, Any]:
    """One GET; the body's size on the wire and as decoded."""
    with client.stream("GET", url, headers={"Accept-Encoding": encoding}) as answer:
        body = answer.read()
        return {
            "status": answer.status_code,
            "wire_bytes": answer.num_bytes_downloaded,
            "decoded_bytes": len(body),
            "content_encoding": answer.headers.get("content-encoding", "none"),
            "content_type": answer.headers.get("content-type", "").split(";")[0],
            "text": body.decode(answer.encoding or "utf-8", errors="replace"),
        }


def stylesheet_resources(css: str, base: str) -> list[Resource]:
    """Fonts, images and imports a stylesheet loads."""
    found = [
        Resource(urljoin(base, u), "stylesheet @import", True) for u in CSS_IMPORT.findall(css)
    ]
    for u in CSS_URL.findall(css):
        if not u.startswith(("data:", "#")):
            found.append(Resource(urljoin(base, u), "stylesheet url()"))
    return found


def measure(base_url: str, path: str, budget_kb: float) -> dict[str, Any]:
    """Fetch the page and everything it loads; weigh it two ways; check the first render."""
    page_url = urljoin(base_url, path)
    with httpx.Client(timeout=30.0, follow_redirects=False) as client:
        first = fetch(client, page_url, "identity")
        if first["status"] != 200:
            raise RuntimeError(f"{page_url} answered HTTP {first['status']}")
        parser = PageParser(base=page_url)
        parser.feed(first["text"])
        parser.close()
        queue = [Resource(page_url, "document", True), *parser.resources]
        if not any(r.kind == "icon" for r in parser.resources):
            queue.append(Resource(urljoin(page_url, "/favicon.ico"), "implicit /favicon.ico"))
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        while queue:
            res = queue.pop(0)
            if res.url in seen or urlsplit(res.url).scheme not in ("http", "https"):
                continue
            seen.add(res.url)
            plain = fetch(client, res.url, "identity")
            packed = fetch(client, res.url, "gzip")
            if "css" in plain["content_type"] and plain["status"] == 200:
                queue.extend(stylesheet_resources(plain["text"], res.url))
            rows.append(
                {
                    "url": res.url.removeprefix(base_url.rstrip("/")),
                    "kind": res.kind,
                    "render_blocking": res.render_blocking,
                    "status": plain["status"],
                    "content_type": plain["content_type"],
                    "bytes_identity": plain["wire_bytes"],
                    "bytes_gzip_requested": packed["wire_bytes"],
                    "encoding_sent_for_gzip": packed["content_encoding"],
                }
            )
    total_plain = sum(r["bytes_identity"] for r in rows)
    total_gzip = sum(r["bytes_gzip_requested"] for r in rows)
    budget = budget_kb * 1000
    html = first["text"]
    return {
        "page": path,
        "budget_bytes": int(budget),
        "resources": rows,
        "requests": len(rows),
        "failed_requests": [r["url"] for r in rows if r["status"] != 200],
        "total_bytes_identity": total_plain,
        "total_bytes_gzip_requested": total_gzip,
        "within_budget_identity": total_plain <= budget,
        "within_budget_gzip": total_gzip <= budget,
        "server_compresses": any(r["encoding_sent_for_gzip"] != "none" for r in rows),
        "first_render": {
            "search_form_in_html": '<form role="search"' in html and parser.search_forms > 0,
            "life_situation_links": len(parser.topic_links),
            "life_situations_in_html": len(parser.topic_links) > 0,
            "render_blocking_requests": sum(1 for r in rows if r["render_blocking"]) - 1,
        },
    }


def report(out: dict[str, Any]) -> str:
    lines = [
        f"page weight of {out['page']} ({out['requests']} requests, budget "
        f"{out['budget_bytes'] / 1000:g} KB)",
        f"  {'resource':<34}{'kind':<24}{'status':>7}{'identity':>11}{'gzip asked':>12}  sent",
    ]
    for r in out["resources"]:
        lines.append(
            f"  {r['url'][:33]:<34}{r['kind'][:23]:<24}{r['status']:>7}"
            f"{r['bytes_identity']:>11,}{r['bytes_gzip_requested']:>12,}  "
            f"{r['encoding_sent_for_gzip']}"
        )
    ok = {True: "within budget", False: "OVER BUDGET"}
    fr = out["first_render"]
    lines += [
        f"  {'total':<65}{out['total_bytes_identity']:>11,}"
        f"{out['total_bytes_gzip_requested']:>12,}",
        f"  identity: {ok[out['within_budget_identity']]}; gzip asked: "
        f"{ok[out['within_budget_gzip']]}; the server compresses: {out['server_compresses']}",
        f"  first render without JavaScript: search form {fr['search_form_in_html']}, "
        f"{fr['life_situation_links']} life-situation links; render-blocking requests "
        f"besides the HTML: {fr['render_blocking_requests']}",
    ]
    if out["failed_requests"]:
        lines.append(f"  not 200: {', '.join(out['failed_requests'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--base-url", default=None, help="a running server (default: start one)")
    p.add_argument("--path", default="/")
    p.add_argument("--budget-kb", type=float, default=150.0)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)
    if args.base_url:
        out = measure(args.base_url, args.path, args.budget_kb)
    else:
        with demo_server(agent=None) as server:
            try:
                out = measure(server.base_url, args.path, args.budget_kb)
            except Exception:
                print("--- server stderr (end) ---", file=sys.stderr)
                print(server.server_log(), file=sys.stderr)
                raise
    print(report(out))
    write_json(args.json, out)
    return out


if __name__ == "__main__":
    main()
