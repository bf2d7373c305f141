"""Charts drawn on the server as inline SVG: no script, no library, nothing fetched.

Colours come from classes in hub.css (`.series-N`), never from style attributes, which the
Content-Security-Policy forbids. Every chart carries a title and description for screen readers,
and the page prints the same numbers as a table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

from hub.services.child_view import Period
from hub.services.reports import Chart

WIDTH = 640
HEIGHT = 280
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 12, 64
SERIES_CLASSES = 8


def _tick_step(peak: float, *, whole: bool) -> float:
    """A step for four grid lines that reaches `peak`: a round multiple of a power of ten
    (whole numbers only for counts)."""
    if peak <= 0:
        return 1.0
    raw = peak / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10):
        step = factor * magnitude
        if step >= raw and (not whole or step == int(step)):
            return float(step)
    return float(10 * magnitude) if not whole else float(max(math.ceil(raw), 1))


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def bar_chart(chart: Chart) -> Markup:
    """Grouped or stacked bars, one group per category, one colour per series."""
    names = list(chart.series)
    count = len(chart.categories)
    if chart.stacked:
        peak = max((sum(chart.series[n][i] for n in names) for i in range(count)), default=0.0)
    else:
        peak = max((max(values, default=0.0) for values in chart.series.values()), default=0.0)
    percent = chart.unit.startswith("%")
    top = 100.0 if percent else 4 * _tick_step(peak, whole=True)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    band = plot_w / max(count, 1)
    slot = band * 0.8 / (1 if chart.stacked else max(len(names), 1))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart.key}-title {chart.key}-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart.key}-title">{escape(chart.title)}</title>',
        f'<desc id="{chart.key}-desc">{escape(chart.description)} '
        "The numbers are in the table beside the chart.</desc>",
    ]
    for step in range(5):
        value = top * step / 4
        y = _TOP + plot_h - plot_h * step / 4
        parts.append(
            f'<line class="grid" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(value)}</text>"
        )
    for i, category in enumerate(chart.categories):
        x0 = _LEFT + band * i + band * 0.1
        base = 0.0
        for n, name in enumerate(names):
            value = chart.series[name][i]
            height = plot_h * value / top
            x = x0 if chart.stacked else x0 + slot * n
            y = _TOP + plot_h - height - (plot_h * base / top if chart.stacked else 0)
            if value:
                parts.append(
                    f'<rect class="series-{n % SERIES_CLASSES}" x="{x:.1f}" y="{y:.1f}" '
                    f'width="{max(slot - 1, 1):.1f}" height="{height:.1f}">'
                    f"<title>{escape(name)}, {escape(category)}: {_number(value)}</title></rect>"
                )
            if chart.stacked:
                base += value
        label_x = _LEFT + band * (i + 0.5)
        label_y = HEIGHT - _BOTTOM + 14
        parts.append(
            f'<text class="label" x="{label_x:.1f}" y="{label_y}" text-anchor="end" '
            f'transform="rotate(-35 {label_x:.1f} {label_y})">{escape(category)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" '
        f'y1="{_TOP + plot_h}" y2="{_TOP + plot_h}"/></svg>'
    )
    return Markup("".join(parts))  # noqa: S704 - every text in parts went through escape()


def legend(names: Sequence[str]) -> Markup:
    items = "".join(
        f'<li><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">'
        f'<rect class="series-{n % SERIES_CLASSES}" width="10" height="10"/></svg>'
        f"{escape(name)}</li>"
        for n, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')  # noqa: S704 - names escaped above


def timeline(periods: Sequence[Period], *, today: date) -> Markup:
    """Enrollments across states on one time axis, one row per enrollment, coloured by state."""
    if not periods:
        return Markup("")
    states = sorted({p.state for p in periods})
    start = min(p.start for p in periods)
    end = max((p.end or today) for p in periods)
    span = max((end - start).days, 1)
    row, left, width = 18, 8, WIDTH - 16
    height = row * len(periods) + 30
    parts = [
        f'<svg class="chart timeline" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-labelledby="timeline-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="timeline-title">Enrollments across states over time; the list below '
        "gives every date.</title>",
    ]
    for year in range(start.year + 1, end.year + 1):
        x = left + width * (date(year, 1, 1) - start).days / span
        parts.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}"/>'
            f'<text class="tick" x="{x:.1f}" y="{height - 4}" text-anchor="middle">{year}</text>'
        )
    for i, period in enumerate(periods):
        x = left + width * (period.start - start).days / span
        w = max(width * ((period.end or today) - period.start).days / span, 3)
        n = states.index(period.state)
        until = period.end.isoformat() if period.end else "still enrolled"
        parts.append(
            f'<rect class="series-{n % SERIES_CLASSES}" x="{x:.1f}" y="{i * row + 2}" '
            f'width="{w:.1f}" height="{row - 6}"><title>{escape(period.state)}: '
            f"{escape(period.school)}, {period.start.isoformat()} to {until}</title></rect>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in parts went through escape()
