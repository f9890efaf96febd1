"""Bar charts drawn on the server as SVG: no script, no external service, readable without colour.

Each chart is an image (role="img") whose accessible name says what it shows; the page puts the same numbers in a
table beside it, for screen readers and for anyone who wants the figures. Colours come from the stylesheet
(``.chart-s0`` to ``.chart-s5``), and every series is named in a legend, so nothing is said by colour alone.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

PALETTE_SIZE = 6


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]


def _n(value: float) -> str:
    return f"{value:.1f}"


def _joined(parts: list[SafeString]) -> SafeString:
    """Pieces already built by format_html, side by side (format_html keeps what is already safe)."""
    return format_html_join("", "{}", ((part,) for part in parts))


def _nice_max(value: int) -> int:
    """The axis's top: the smallest of 1, 2, 5 × 10ⁿ not below ``value``."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _legend(series: list[Series], *, x: int, y: int) -> SafeString:
    items = []
    offset = x
    for index, one in enumerate(series):
        items.append(
            format_html(
                '<rect x="{}" y="{}" width="12" height="12" class="chart-s{}"/>'
                '<text x="{}" y="{}" class="chart-legend">{}</text>',
                offset,
                y,
                index % PALETTE_SIZE,
                offset + 16,
                y + 10,
                one.label,
            )
        )
        offset += 28 + 7 * len(one.label)
    return _joined(items)


def stacked_columns(*, label: str, categories: list[str], series: list[Series], every: int = 1) -> SafeString:
    """Vertical stacked columns, one per category (the hours of a day), one stack segment per series; a category
    label every ``every`` columns."""
    width, height, left, top, bottom = 720, 260, 44, 34, 40
    plot_width, plot_height = width - left - 10, height - top - bottom
    totals = [sum(one.values[index] for one in series) for index in range(len(categories))]
    top_value = _nice_max(max(totals, default=0))
    column = plot_width / max(len(categories), 1)
    shapes = []
    for index, category in enumerate(categories):
        base = 0
        x = left + index * column + column * 0.15
        for number, one in enumerate(series):
            value = one.values[index]
            if value:
                bar = value / top_value * plot_height
                y = top + plot_height - (base / top_value * plot_height) - bar
                shapes.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" class="chart-s{}"/>',
                        _n(x),
                        _n(y),
                        _n(column * 0.7),
                        _n(bar),
                        number % PALETTE_SIZE,
                    )
                )
                base += value
        if index % every == 0:
            shapes.append(
                format_html(
                    '<text x="{}" y="{}" class="chart-axis" text-anchor="middle">{}</text>',
                    _n(left + (index + 0.5) * column),
                    height - bottom + 16,
                    category,
                )
            )
    return _frame(label, width, height, left, top, plot_width, plot_height, top_value, shapes, series)


def stacked_bars(*, label: str, categories: list[str], series: list[Series]) -> SafeString:
    """Horizontal stacked bars, one row per category (a queue), its total written at the end."""
    row, left, top = 30, 200, 34
    width = 720
    height = top + row * max(len(categories), 1) + 10
    plot_width = width - left - 60
    totals = [sum(one.values[index] for one in series) for index in range(len(categories))]
    top_value = _nice_max(max(totals, default=0))
    shapes = []
    for index, category in enumerate(categories):
        y = top + index * row
        shapes.append(
            format_html(
                '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>',
                left - 8,
                _n(y + row * 0.6),
                category[:28],
            )
        )
        base = 0
        for number, one in enumerate(series):
            value = one.values[index]
            if value:
                shapes.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" class="chart-s{}"/>',
                        _n(left + base / top_value * plot_width),
                        y + 4,
                        _n(value / top_value * plot_width),
                        row - 10,
                        number % PALETTE_SIZE,
                    )
                )
                base += value
        shapes.append(
            format_html(
                '<text x="{}" y="{}" class="chart-value">{}</text>',
                _n(left + base / top_value * plot_width + 6),
                _n(y + row * 0.6),
                totals[index],
            )
        )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" focusable="false">{}{}</svg>',
        width,
        height,
        label,
        _legend(series, x=left, y=6),
        _joined(shapes),
    )


def _frame(label, width, height, left, top, plot_width, plot_height, top_value, shapes, series) -> SafeString:
    ticks = format_html_join(
        "",
        '<line x1="{}" x2="{}" y1="{}" y2="{}" class="chart-grid"/>'
        '<text x="{}" y="{}" class="chart-axis" text-anchor="end">{}</text>',
        (
            (left, left + plot_width, _n(y), _n(y), left - 6, _n(y + 4), value)
            for value in (0, top_value // 2 if top_value > 1 else None, top_value)
            if value is not None
            for y in [top + plot_height - value / top_value * plot_height]
        ),
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" focusable="false">{}{}{}</svg>',
        width,
        height,
        label,
        _legend(series, x=left, y=6),
        ticks,
        _joined(shapes),
    )
