"""Charts of the statistics pages, drawn on the server by pygal as SVG and shown as an
image (a data: URL, so the page needs no second request and no JavaScript; a script
pygal writes into its SVG never runs in an image). Every chart stands beside the table
of its numbers, and its text alternative says what it shows."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import pygal
from pygal.style import Style

# The product's colours; high contrast on white (the pages' own palette).
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#6b6b6b",
    colors=("#004b87", "#b3261e", "#2e7d32", "#6a1b9a"),
    font_family="system-ui, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
)


def bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    target: tuple[str, float] | None = None,
    percent: bool = False,
    width: int = 760,
    height: int = 280,
) -> str:
    """A bar chart (a line for the target) as a data: URL of its SVG."""
    chart = pygal.Bar(
        style=STYLE,
        js=[],
        width=width,
        height=height,
        show_legend=len(series) > 1 or target is not None,
        legend_at_bottom=True,
        x_label_rotation=0 if len(labels) <= 16 else 45,
        show_minor_x_labels=len(labels) <= 31,
        truncate_label=-1,
        range=(0, 1) if percent else None,
        value_formatter=(lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:,.0f}"),
        margin=8,
    )
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    if target is not None:
        name, value = target
        chart.add(name, [value] * len(labels), stroke=True, show_dots=False, secondary=False)
    return "data:image/svg+xml;base64," + base64.b64encode(chart.render()).decode("ascii")
