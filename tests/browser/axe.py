"""axe-core (from node_modules) on a page: WCAG 2.1 A and AA, no violation allowed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.server import AXE

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def violations(page: Page) -> list[dict[str, Any]]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the browser's debugging channel, which the page's
        # Content-Security-Policy does not govern (a <script> tag added inline would be refused).
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = page.evaluate(_RUN, WCAG_TAGS)
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """One readable block per violated rule, with the elements that violate it."""
    lines = []
    for v in found:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['url']}>")
        lines.extend(f"    {target}" for target in v["targets"][:10])
        if len(v["targets"]) > 10:
            lines.append(f"    … and {len(v['targets']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail with the list of violations when axe-core finds any on the page."""
    found = violations(page)
    if found:
        pytest.fail(
            f"axe-core: {len(found)} WCAG 2.1 A/AA rule(s) violated on {page.url}:\n"
            + describe(found),
            pytrace=False,
        )
