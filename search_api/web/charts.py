"""Charts drawn on the server as SVG (no script, no library): bars per source, a monthly timeline, lines per
period for several series, and an entity's neighbourhood as a small network.

The SVG is built from numbers and text escaped here (the templates insert it as it is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

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


LINES_WIDTH, LINES_HEIGHT, LINES_LEFT, LINES_BOTTOM, LINES_RIGHT = 640, 240, 56, 28, 36


def lines(periods: list[str], series: list[tuple[str, list[float | None]]], unit: str) -> str:
    """One line per series over the periods (a gap where a value is None), the y axis from 0 to the largest
    value, a period label under every few columns, and a legend; series-0, -1, -2 are the CSS colours."""
    values = [v for _, points in series for v in points if v is not None]
    if not periods or not values:
        return ""
    top = max(values) or 1
    plot_width, plot_height = LINES_WIDTH - LINES_LEFT - LINES_RIGHT, LINES_HEIGHT - LINES_BOTTOM - 10
    step = plot_width / max(1, len(periods) - 1)

    def x(i: int) -> float:
        return round(LINES_LEFT + i * step, 1)

    def y(value: float) -> float:
        return round(10 + plot_height - value / top * plot_height, 1)

    left, bottom = LINES_LEFT - 6, y(0)
    body = [
        f'<line class="chart-axis" x1="{LINES_LEFT}" y1="{bottom}" x2="{LINES_WIDTH - LINES_RIGHT}" y2="{bottom}"/>',
        f'<text class="chart-label" x="{left}" y="{y(top) + 4}" text-anchor="end">{axis_value(top, unit)}</text>',
        f'<text class="chart-label" x="{left}" y="{bottom + 4}" text-anchor="end">0</text>',
    ]
    every = max(1, len(periods) // 8)
    body += [
        f'<text class="chart-label" x="{x(i)}" y="{LINES_HEIGHT - 8}" text-anchor="middle">{escape(period)}</text>'
        for i, period in enumerate(periods)
        if i % every == 0
    ]
    for number, (label, points) in enumerate(series):
        body += polylines(number, label, [(x(i), y(v)) if v is not None else None for i, v in enumerate(points)])
        for i, v in enumerate(points):
            if v is not None:
                tip = escape(f"{label}, {periods[i]}: {axis_value(v, unit)}")
                body.append(
                    f'<circle class="series-{number}" cx="{x(i)}" cy="{y(v)}" r="3"><title>{tip}</title></circle>'
                )
    return svg(LINES_WIDTH, LINES_HEIGHT, f"{unit} par période", "".join(body))


def polylines(number: int, label: str, points: list[tuple[float, float] | None]) -> list[str]:
    """The series as polylines broken where a point is missing."""
    runs, current = [], []
    for point in [*points, None]:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    return [
        f'<polyline class="chart-line series-{number}" points="{" ".join(f"{a},{b}" for a, b in run)}">'
        f"<title>{escape(label)}</title></polyline>"
        for run in runs
    ]


def axis_value(value: float, unit: str) -> str:
    return f"{value * 100:.1f} %" if unit == "part" else f"{value:g}"


NETWORK_WIDTH, NETWORK_HEIGHT, NETWORK_RADIUS = 760, 460, 180  # room for the labels on either side


def network(center: tuple[str, str], around: list[tuple[str, str, int]], links: list[tuple[str, str, int]]) -> str:
    """The entity in the middle, the entities most often named with it on a circle around it (a bigger disc:
    more documents shared), a line to each (thicker: more documents), and the lines between them where they
    are named together too. Each node links to its entity page."""
    if not around:
        return ""
    most = max(n for _, _, n in around)
    places = {center[0]: (NETWORK_WIDTH / 2, NETWORK_HEIGHT / 2)}
    for i, (name, _, _) in enumerate(around):
        places[name] = on_circle(2 * math.pi * i / len(around) - math.pi / 2)
    strongest = max([n for _, _, n in links] + [most])
    edges = [edge(places[center[0]], places[name], n, most, "spoke") for name, _, n in around]
    edges += [edge(places[a], places[b], n, strongest, "between") for a, b, n in links if a in places and b in places]
    nodes = [node(center[0], center[1], places[center[0]], 16, "center")]
    nodes += [node(name, label, places[name], 5 + 9 * math.sqrt(n / most), "", n) for name, label, n in around]
    return svg(NETWORK_WIDTH, NETWORK_HEIGHT, f"Entités citées avec {center[0]}", "".join(edges + nodes))


def on_circle(angle: float) -> tuple[float, float]:
    x, y = NETWORK_WIDTH / 2 + NETWORK_RADIUS * math.cos(angle), NETWORK_HEIGHT / 2 + NETWORK_RADIUS * math.sin(angle)
    return round(x, 1), round(y, 1)


def edge(start: tuple[float, float], end: tuple[float, float], documents: int, most: int, kind: str) -> str:
    width = round(1 + 5 * documents / most, 1)
    return (
        f'<line class="network-{kind}" x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" '
        f'stroke-width="{width}"><title>{documents} documents</title></line>'
    )


def node(name: str, label: str, place: tuple[float, float], radius: float, kind: str, documents: int = 0) -> str:
    x, y = place
    anchor = "middle" if kind == "center" else ("start" if x >= NETWORK_WIDTH / 2 else "end")
    shift = 0 if kind == "center" else (radius + 4 if anchor == "start" else -radius - 4)
    tip = escape(f"{name} ({label})" + (f" : {documents} documents en commun" if documents else ""))
    href = "/entity/" + quote(name, safe="")
    return (
        f'<a href="{href}" class="network-node {kind}"><title>{tip}</title>'
        f'<circle class="ent-{escape(label)}" cx="{x}" cy="{y}" r="{round(radius, 1)}"/>'
        f'<text class="chart-label" x="{x + shift}" y="{y + (radius + 14 if kind == "center" else 4)}" '
        f'text-anchor="{anchor}">{escape(name)}</text></a>'
    )
