"""Charts as SVG drawn on the server by pygal, with no script and no external resource
(pygal's tooltips script is left out), so they show on a network without a way out. Every
chart has a table with the same numbers beside it on its page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pygal
from markupsafe import Markup
from pygal.style import Style

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#222222",
    foreground_strong="#111111",
    foreground_subtle="#8a8a8a",
    font_family="system-ui, sans-serif",
    colors=("#1f5f8b", "#2e8b57", "#c07a12", "#7a5aa6", "#b03a2e", "#3d8fc6", "#5d6d7e"),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    title_font_size=14,
)


def _svg(chart: pygal.graph.graph.Graph) -> Markup:
    svg: bytes = chart.render(disable_xml_declaration=True)
    text = svg.decode("utf-8") if isinstance(svg, bytes) else str(svg)
    return Markup(text)


def _chart(
    kind: type[pygal.graph.graph.Graph], title: str, labels: Sequence[str]
) -> pygal.graph.graph.Graph:
    chart = kind(
        style=STYLE,
        js=(),  # no tooltip script from elsewhere
        width=720,
        height=340,
        title=title,
        legend_at_bottom=True,
        legend_at_bottom_columns=1,
        show_dots=True,
        dots_size=3,
        x_label_rotation=0,
        truncate_legend=60,
        include_x_axis=True,  # counts and money from zero
        value_formatter=lambda v: f"{v:,.0f}".replace(",", "."),
        min_scale=2,
        explicit_size=False,
    )
    chart.x_labels = list(labels)
    return chart


def lines(
    title: str, labels: Sequence[str], series: Mapping[str, Sequence[float | None]]
) -> Markup:
    chart = _chart(pygal.Line, title, labels)
    for name, values in series.items():
        chart.add(name, list(values))
    return _svg(chart)
