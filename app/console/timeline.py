"""A client's timeline as an SVG drawn on the server: one lane per kind of record, a bar
per period (decisions, allocations, delegations, deliveries, declared periods), a tick on
the months. No script, no external resources; the page puts the same facts in a table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

LANES = ("lane_decision", "lane_allocation", "lane_delegation", "lane_delivery",
         "lane_declaration")  # fmt: skip
COLOURS = {
    "lane_decision": "#1f5f8b",
    "lane_allocation": "#3d8fc6",
    "lane_delegation": "#7a5aa6",
    "lane_delivery": "#2e8b57",
    "lane_declaration": "#c07a12",
}
WIDTH, LABELS, ROW, BAR = 900, 150, 22, 14


@dataclass(frozen=True)
class Bar:
    lane: str  # one of LANES
    label: str
    begin: date
    end: date | None  # None: open (drawn to the end of the view)
    detail: str = ""


def span(bars: list[Bar], today: date) -> tuple[date, date]:
    begin = min((b.begin for b in bars), default=today)
    end = max((b.end or b.begin for b in bars), default=today)
    begin = date(begin.year, begin.month, 1)
    end = max(end, begin + timedelta(days=27))
    last = date(end.year + end.month // 12, end.month % 12 + 1, 1) - timedelta(days=1)
    return begin, last


def render(bars: list[Bar], lane_names: dict[str, str], today: date, title: str) -> Markup:
    """The SVG (safe to put in a page: every text in it is escaped)."""
    begin, end = span(bars, today)
    days = (end - begin).days + 1
    plot = WIDTH - LABELS - 10

    def x(day: date) -> float:
        return LABELS + plot * ((day - begin).days / days)

    rows: list[tuple[str, list[Bar]]] = []
    for lane in LANES:
        in_lane = [b for b in bars if b.lane == lane]
        # Overlapping bars of one lane go on rows of their own.
        placed: list[list[Bar]] = []
        for b in sorted(in_lane, key=lambda b: b.begin):
            for row in placed:
                if (row[-1].end or end) < b.begin:
                    row.append(b)
                    break
            else:
                placed.append([b])
        for i, row in enumerate(placed or [[]]):
            rows.append((lane_names.get(lane, lane) if i == 0 else "", row))
    height = 30 + ROW * len(rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="tl-title" class="timeline">',
        f'<title id="tl-title">{escape(title)}</title>',
    ]
    month = begin
    while month <= end:
        mx = x(month)
        parts.append(
            f'<line x1="{mx:.1f}" y1="18" x2="{mx:.1f}" y2="{height}" class="grid"/>'
            f'<text x="{mx + 2:.1f}" y="12" class="tick">{month:%Y-%m}</text>'
        )
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    if begin <= today <= end:
        tx = x(today)
        parts.append(f'<line x1="{tx:.1f}" y1="18" x2="{tx:.1f}" y2="{height}" class="today"/>')
    for i, (name, row) in enumerate(rows):
        y = 24 + ROW * i
        parts.append(f'<text x="4" y="{y + BAR - 3}" class="lane">{escape(name)}</text>')
        for b in row:
            x0, x1 = x(max(b.begin, begin)), x(min(b.end or end, end) + timedelta(days=1))
            colour = COLOURS.get(b.lane, "#555")
            parts.append(
                f"<g><title>{escape(b.label)}: {b.begin}–{b.end or '…'}"
                f"{escape(' — ' + b.detail) if b.detail else ''}</title>"
                f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 3):.1f}" height="{BAR}" '
                f'rx="2" fill="{colour}"/>'
                f'<text x="{x0 + 3:.1f}" y="{y + BAR - 3}" class="bar">{escape(b.label)}</text></g>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
