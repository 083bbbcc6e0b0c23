"""Charts drawn on the server as SVG (no script, no library): bars per source and a monthly timeline.

Labels are escaped by the templates' autoescaping; the SVG is built from numbers and escaped text only.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, CHART_WIDTH = 22, 6, 190, 560
TIMELINE_HEIGHT, AXIS = 160, 24


@dataclass
class Bar:
    label: str
    value: int


def source_bars(bars: list[Bar], unit: str = "mentions") -> str:
    """Horizontal bars, one per source, longest first as given."""
    if not bars:
        return ""
    top = max(b.value for b in bars) or 1
    width = CHART_WIDTH - LABEL_WIDTH - 50
    height = len(bars) * (BAR_HEIGHT + BAR_GAP)
    rows = []
    for i, bar in enumerate(bars):
        y = i * (BAR_HEIGHT + BAR_GAP)
        length = max(2, round(bar.value / top * width))
        label, tip = escape(bar.label), escape(f"{bar.label}: {bar.value} {unit}")
        rows.append(
            f'<g><title>{tip}</title><text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + 16}" '
            f'text-anchor="end">{label}</text><rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" '
            f'width="{length}" height="{BAR_HEIGHT}"/><text class="chart-value" x="{LABEL_WIDTH + length + 6}" '
            f'y="{y + 16}">{bar.value}</text></g>'
        )
    return svg(CHART_WIDTH, height, f"{unit} per source", "".join(rows))


def months_between(first: str, last: str) -> list[str]:
    """Every YYYY-MM from ``first`` to ``last`` inclusive."""
    year, month = int(first[:4]), int(first[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def timeline(counts: dict[str, int], unit: str = "mentions") -> str:
    """Columns per month, empty months included, with a year label under each January and the first month."""
    if not counts:
        return ""
    months = months_between(min(counts), max(counts))
    top = max(counts.values()) or 1
    step = max(6, min(40, (CHART_WIDTH - 20) // len(months)))
    plot = TIMELINE_HEIGHT - AXIS
    columns = []
    for i, month in enumerate(months):
        value = counts.get(month, 0)
        height = round(value / top * (plot - 14))
        x = 10 + i * step
        tip = escape(f"{month}: {value} {unit}")
        column = f'<g><title>{tip}</title><rect class="chart-bar" x="{x}" y="{plot - height}" width="{step - 2}" '
        column += f'height="{height}"/>'
        if value and step >= 14:
            column += f'<text class="chart-value" x="{x + (step - 2) / 2}" y="{plot - height - 3}" '
            column += f'text-anchor="middle">{value}</text>'
        if i == 0 or month.endswith("-01"):
            column += f'<text class="chart-label" x="{x}" y="{TIMELINE_HEIGHT - 6}">{month[:4]}</text>'
        columns.append(column + "</g>")
    axis = f'<line class="chart-axis" x1="8" y1="{plot}" x2="{10 + len(months) * step}" y2="{plot}"/>'
    return svg(20 + len(months) * step, TIMELINE_HEIGHT, f"{unit} per month", axis + "".join(columns))


def svg(width: int, height: int, title: str, body: str) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f"{body}</svg>"
    )
