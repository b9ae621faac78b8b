"""Bar charts drawn on the server as inline SVG: no JavaScript, no library, nothing fetched.

Each bar is a link (to the calls behind it) named by its label and value, the value is also
written beside it, and the chart has a title; the table under a chart lists every figure too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

WIDTH = 760
FONT_SIZE = 12

# Horizontal bars (members, departments): one row per bar, labels on the left.
ROW_HEIGHT = 26
LABEL_WIDTH = 190
VALUE_WIDTH = 90
MAX_ROWS = 25

# Columns (days, months): time runs left to right.
PLOT_HEIGHT = 200
AXIS_WIDTH = 64
LABEL_HEIGHT = 34
MAX_AXIS_LABELS = 12
MAX_VALUE_LABELS = 16


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    href: str = ""
    # How the bar reads to a screen reader and in its tooltip, e.g. "Wang Fang: 12 min, 5 calls".
    description: str = ""
    # A shorter label under a column ("Nov 5"), where the full one would not fit.
    axis_label: str = ""


def minutes_unit() -> str:
    """The unit written after a number of minutes in a chart ("12 min")."""
    return pgettext("unit after a number of minutes", "min")


def number_text(value: Decimal | int) -> str:
    """12.00 → "12", 1.50 → "1.5": a value as people write it."""
    text = f"{Decimal(value):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bar_chart_svg(
    *,
    title: str,
    bars: Sequence[Bar],
    unit: str,
    columns: bool = False,
    scale_at_least: Decimal = Decimal(0),
) -> SafeString:
    """A bar chart of `bars`: horizontal rows, or `columns` for a time series.

    Horizontal charts show the `MAX_ROWS` largest bars (the caller's order is kept), the
    longest spanning the width. Columns stand on a scale of round numbers reaching at least
    `scale_at_least` (100 for percentages, so that a quiet month looks quiet).
    """
    if columns:
        return _columns_svg(title=title, bars=bars, unit=unit, scale_at_least=scale_at_least)
    return _rows_svg(title=title, bars=bars, unit=unit)


def _tick_step(top: Decimal) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) such that four steps reach `top`."""
    if top <= 0:
        return Decimal("0.25")
    quarter = top / 4
    magnitude = Decimal(10) ** quarter.adjusted()
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5)):
        step = magnitude * factor
        if step >= quarter:
            return step
    return magnitude * 10


def _svg_open(*, height: int, title: str, desc: str, chart_id: str) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" font-size="{FONT_SIZE}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _bar_link(bar: Bar, unit: str, shape: str) -> str:
    name = bar.description or f"{bar.label}: {number_text(bar.value)} {unit}"
    inner = f"<title>{escape(name)}</title>{shape}"
    if not bar.href:
        return f'<g role="img" aria-label="{escape(name)}">{inner}</g>'
    return f'<a href="{escape(bar.href)}" aria-label="{escape(name)}">{inner}</a>'


def _shorten(label: str, length: int = 28) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _rows_svg(*, title: str, bars: Sequence[Bar], unit: str) -> SafeString:
    shown = sorted(bars, key=lambda bar: bar.value, reverse=True)[:MAX_ROWS]
    order = {id(bar): index for index, bar in enumerate(bars)}
    shown.sort(key=lambda bar: order[id(bar)])
    desc = _("Bars of %(unit)s per row, largest first.") % {"unit": unit}
    if len(bars) > len(shown):
        desc = _("The %(shown)s largest of %(total)s, in %(unit)s; the table lists all.") % {
            "shown": len(shown),
            "total": len(bars),
            "unit": unit,
        }
    top = 8
    height = top + max(len(shown), 1) * ROW_HEIGHT + 8
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    scale = max([bar.value for bar in shown if bar.value > 0], default=Decimal(1))
    parts = _svg_open(height=height, title=title, desc=desc, chart_id="chart-rows")
    if not shown:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{top + ROW_HEIGHT / 2}" text-anchor="middle" '
            f'class="chart-empty">{escape(_("No usage in this range."))}</text>'
        )
    for index, bar in enumerate(shown):
        y = top + index * ROW_HEIGHT
        length = float(bar.value / scale) * plot if bar.value > 0 else 0
        middle = y + ROW_HEIGHT / 2
        shape = (
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.1f}" text-anchor="end" '
            f'dominant-baseline="middle" class="chart-label">{escape(_shorten(bar.label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{max(length, 1):.1f}" '
            f'height="{ROW_HEIGHT - 8}" rx="2" class="chart-bar"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="middle" class="chart-value">'
            f"{escape(number_text(bar.value))} {escape(unit)}</text>"
        )
        parts.append(_bar_link(bar, unit, shape))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it went through escape()


def _columns_svg(
    *, title: str, bars: Sequence[Bar], unit: str, scale_at_least: Decimal
) -> SafeString:
    desc = _("Columns of %(unit)s over time, earliest on the left.") % {"unit": unit}
    top = 18
    height = top + PLOT_HEIGHT + LABEL_HEIGHT
    plot = WIDTH - AXIS_WIDTH - 8
    step = _tick_step(max([scale_at_least, *(bar.value for bar in bars)]))
    scale = step * 4
    base = top + PLOT_HEIGHT
    parts = _svg_open(height=height, title=title, desc=desc, chart_id="chart-columns")
    for tick in range(5):
        value = number_text(step * tick) + (f" {unit}" if tick == 4 else "")
        y = base - PLOT_HEIGHT * tick / 4
        parts.append(
            f'<line x1="{AXIS_WIDTH}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="chart-grid"/>'
            f'<text x="{AXIS_WIDTH - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" '
            f'class="chart-axis">{escape(value)}</text>'
        )
    if not bars:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{top + PLOT_HEIGHT / 2}" text-anchor="middle" '
            f'class="chart-empty">{escape(_("No usage in this range."))}</text>'
        )
    slot = plot / max(len(bars), 1)
    width = max(slot * 0.7, 1)
    label_every = -(-len(bars) // MAX_AXIS_LABELS) if bars else 1
    for index, bar in enumerate(bars):
        x = AXIS_WIDTH + index * slot + (slot - width) / 2
        length = float(bar.value / scale) * PLOT_HEIGHT if bar.value > 0 else 0
        centre = x + width / 2
        shape = (
            f'<rect x="{x:.1f}" y="{base - max(length, 1):.1f}" width="{width:.1f}" '
            f'height="{max(length, 1):.1f}" class="chart-bar"/>'
        )
        # A bar without a link stands for a quiet day or month: a row of zeros would be noise.
        if len(bars) <= MAX_VALUE_LABELS and (bar.href or bar.value):
            shape += (
                f'<text x="{centre:.1f}" y="{base - length - 5:.1f}" text-anchor="middle" '
                f'class="chart-value">{escape(number_text(bar.value))}</text>'
            )
        if index % label_every == 0:
            shape += (
                f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle" '
                f'class="chart-label">{escape(_shorten(bar.axis_label or bar.label, 14))}</text>'
            )
        parts.append(_bar_link(bar, unit, shape))
    parts.append(
        f'<line x1="{AXIS_WIDTH}" x2="{WIDTH - 8}" y1="{base}" y2="{base}" '
        f'class="chart-axis-line"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it went through escape()
