"""Bar charts drawn on the server as inline SVG: no JavaScript, no library, nothing fetched.

Each bar is a link (to the calls behind it) named by its label and value, the value is also
written beside it, and the chart has a title; the table under a chart lists every figure too.

A chart is drawn twice, for a wide box and for a phone's, and the stylesheet shows the one that
fits its box (a container query on `.chart-fit`): an SVG scales its text with its width, so one
drawing cannot be readable at both (12 px text drawn 760 wide is 5 px on a phone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

MAX_ROWS = 25


@dataclass(frozen=True)
class Layout:
    """The sizes of one drawing, in the viewBox's units."""

    width: int
    font_size: int
    # Horizontal bars (members, departments): one row per bar; the label on its left, or above
    # it where `label_width` is 0.
    row_height: int
    label_width: int
    value_width: int
    # Columns (days, months): time runs left to right.
    plot_height: int
    max_axis_labels: int
    max_value_labels: int
    # The id of the drawing's title and description, after "chart-rows" or "chart-columns".
    id_suffix: str = ""


# For a box at least 700 px wide, so that its 12-unit text is drawn at 11 px or more.
WIDE = Layout(
    width=760,
    font_size=12,
    row_height=26,
    label_width=190,
    value_width=90,
    plot_height=200,
    max_axis_labels=12,
    max_value_labels=16,
)
# For a phone's box (340 px at 390 px): 13-unit text drawn at 12 px.
NARROW = Layout(
    width=360,
    font_size=13,
    row_height=42,
    label_width=0,
    value_width=78,
    plot_height=170,
    max_axis_labels=6,
    max_value_labels=7,
    id_suffix="-narrow",
)
# The box's width from which the wide drawing is shown (static/css/portal.css says the same).
WIDE_FROM_PX = 700
LABEL_HEIGHT = 34


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


def quantity_text(number: str, unit: str) -> str:
    """A number and its unit: "12 min" in English, "12分钟" in Chinese (no space)."""
    # Translators: a number and its unit in a chart, as in "12 min" or "80 %"; Chinese sets
    # no space between them (12分钟, 80%).
    return pgettext("a number and its unit", "%(number)s %(unit)s") % {
        "number": number,
        "unit": unit,
    }


def percent_text(value: Decimal | int) -> str:
    """80 → "80 %" in English, "80%" in Chinese, which sets no space before the sign."""
    # Translators: a percentage, as in "80 %"; Chinese writes it without the space (80%).
    return pgettext("a percentage", "%(percent)s %%") % {"percent": number_text(value)}


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
    drawings = []
    for layout in (WIDE, NARROW):
        if columns:
            drawing = _columns_svg(
                title=title, bars=bars, unit=unit, scale_at_least=scale_at_least, layout=layout
            )
        else:
            drawing = _rows_svg(title=title, bars=bars, unit=unit, layout=layout)
        drawings.append(drawing)
    return mark_safe(f'<div class="chart-fit">{"".join(drawings)}</div>')  # noqa: S308 - built above


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


def _svg_open(*, height: float, title: str, desc: str, chart_id: str, layout: Layout) -> list[str]:
    chart_id += layout.id_suffix
    classes = "chart chart-narrow" if layout is NARROW else "chart"
    return [
        f'<svg class="{classes}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {layout.width} {height}" width="100%" font-size="{layout.font_size}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _bar_link(bar: Bar, unit: str, shape: str, texts: str) -> str:
    """The bar's shapes in a link named in words, its drawn texts (label, value) after it.

    The texts stay outside the link: a link's accessible name must contain what it shows (WCAG
    2.5.3), and a shortened label beside a value ("Wang Fang…", "12 min") is not a phrase the
    name can start with. They let the pointer through (CSS), so a click on them follows the link.
    """
    name = bar.description or f"{bar.label}: {quantity_text(number_text(bar.value), unit)}"
    inner = f"<title>{escape(name)}</title>{shape}"
    if not bar.href:
        return f'<g role="img" aria-label="{escape(name)}">{inner}</g>{texts}'
    return f'<a href="{escape(bar.href)}" aria-label="{escape(name)}">{inner}</a>{texts}'


def _hit_area(*, x: float, y: float, width: float, height: float) -> str:
    """An invisible rectangle over a bar's whole row or column: a finger or a pointer anywhere
    on it follows the bar's link, not only on the bar (a day's may be 1 unit high)."""
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
        f'class="chart-hit"/>'
    )


def _axis_text(bar: Bar) -> str:
    return _shorten(bar.axis_label or bar.label, 14)


def _text_width(text: str, font_size: int) -> float:
    """About how wide `text` is drawn, rounded up: a Chinese character is a square, a Latin one
    about two thirds of one."""
    return sum(font_size if ord(char) > 0x2E80 else font_size * 0.65 for char in text)


def _shorten(label: str, length: int = 28) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _rows_svg(*, title: str, bars: Sequence[Bar], unit: str, layout: Layout) -> SafeString:
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
    row_height = layout.row_height
    height = top + max(len(shown), 1) * row_height + 8
    # On a phone the label goes above its bar, which then has the whole width.
    above = layout.label_width == 0
    bar_x = 0 if above else layout.label_width
    plot = layout.width - bar_x - layout.value_width
    bar_height = (row_height - 8) if not above else row_height - layout.font_size - 14
    scale = max([bar.value for bar in shown if bar.value > 0], default=Decimal(1))
    parts = _svg_open(height=height, title=title, desc=desc, chart_id="chart-rows", layout=layout)
    if not shown:
        parts.append(
            f'<text x="{layout.width / 2}" y="{top + row_height / 2}" text-anchor="middle" '
            f'class="chart-empty">{escape(_("No usage in this range."))}</text>'
        )
    for index, bar in enumerate(shown):
        y = top + index * row_height
        length = float(bar.value / scale) * plot if bar.value > 0 else 0
        if above:
            bar_y = y + layout.font_size + 6
            label = (
                f'<text x="0" y="{y + layout.font_size:.1f}" class="chart-label">'
                f"{escape(_shorten(bar.label, 44))}</text>"
            )
        else:
            bar_y = y + 4
            label = (
                f'<text x="{bar_x - 8}" y="{y + row_height / 2:.1f}" text-anchor="end" '
                f'dominant-baseline="middle" class="chart-label">'
                f"{escape(_shorten(bar.label))}</text>"
            )
        middle = bar_y + bar_height / 2
        shape = _hit_area(x=0, y=y, width=layout.width, height=row_height) + (
            f'<rect x="{bar_x}" y="{bar_y}" width="{max(length, 1):.1f}" '
            f'height="{bar_height}" rx="2" class="chart-bar"/>'
        )
        texts = label + (
            f'<text x="{bar_x + length + 6:.1f}" y="{middle:.1f}" '
            f'dominant-baseline="middle" class="chart-value">'
            f"{escape(quantity_text(number_text(bar.value), unit))}</text>"
        )
        parts.append(_bar_link(bar, unit, shape, texts))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it went through escape()


def _columns_svg(
    *, title: str, bars: Sequence[Bar], unit: str, scale_at_least: Decimal, layout: Layout
) -> SafeString:
    desc = _("Columns of %(unit)s over time, earliest on the left.") % {"unit": unit}
    step = _tick_step(max([scale_at_least, *(bar.value for bar in bars)]))
    scale = step * 4
    ticks = [number_text(step * tick) for tick in range(5)]
    narrow = layout is NARROW
    if narrow:
        # The unit over the axis rather than beside its top number, which leaves the plot room.
        top = layout.font_size + 14
        axis_width = round(max(len(tick) for tick in ticks) * layout.font_size * 0.62) + 10
    else:
        top = 18
        ticks[4] = quantity_text(ticks[4], unit)
        axis_width = 64
    plot_height = layout.plot_height
    width = layout.width
    height = top + plot_height + LABEL_HEIGHT
    plot = width - axis_width - 8
    base = top + plot_height
    parts = _svg_open(
        height=height, title=title, desc=desc, chart_id="chart-columns", layout=layout
    )
    if narrow:
        parts.append(f'<text x="0" y="{layout.font_size}" class="chart-axis">{escape(unit)}</text>')
    for tick, value in enumerate(ticks):
        y = base - plot_height * tick / 4
        parts.append(
            f'<line x1="{axis_width}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="chart-grid"/>'
            f'<text x="{axis_width - 6}" y="{y:.1f}" text-anchor="end" dominant-baseline="middle" '
            f'class="chart-axis">{escape(value)}</text>'
        )
    if not bars:
        parts.append(
            f'<text x="{width / 2}" y="{top + plot_height / 2}" text-anchor="middle" '
            f'class="chart-empty">{escape(_("No usage in this range."))}</text>'
        )
    slot = plot / max(len(bars), 1)
    bar_width = max(slot * 0.7, 1)
    # Counted from the last column, so that the latest day or month always has its label; as
    # far apart as the widest label needs (the last one may be pushed left by its width).
    label_every = -(-len(bars) // layout.max_axis_labels) if bars else 1
    if bars:
        widest = max(_text_width(_axis_text(bar), layout.font_size) for bar in bars)
        pushed = max(0, axis_width + plot - slot / 2 + widest / 2 - (width - 1))
        label_every = max(label_every, math.ceil((widest + 6 + pushed) / slot))
    for index, bar in enumerate(bars):
        x = axis_width + index * slot + (slot - bar_width) / 2
        length = float(bar.value / scale) * plot_height if bar.value > 0 else 0
        centre = x + bar_width / 2
        shape = _hit_area(x=axis_width + index * slot, y=top, width=slot, height=plot_height) + (
            f'<rect x="{x:.1f}" y="{base - max(length, 1):.1f}" width="{bar_width:.1f}" '
            f'height="{max(length, 1):.1f}" class="chart-bar"/>'
        )
        texts = ""
        # A bar without a link stands for a quiet day or month: a row of zeros would be noise.
        if len(bars) <= layout.max_value_labels and (bar.href or bar.value):
            texts += (
                f'<text x="{centre:.1f}" y="{base - length - 5:.1f}" text-anchor="middle" '
                f'class="chart-value">{escape(number_text(bar.value))}</text>'
            )
        if (len(bars) - 1 - index) % label_every == 0:
            text = _axis_text(bar)
            # Kept inside the drawing: the last label ends at its right edge rather than past it.
            right, half = width - 1, _text_width(text, layout.font_size) / 2
            x_text, anchor = (centre, "middle")
            if centre + half > right:
                x_text, anchor = (right, "end")
            elif centre - half < 1:
                x_text, anchor = (1, "start")
            texts += (
                f'<text x="{x_text:.1f}" y="{base + layout.font_size + 4}" '
                f'text-anchor="{anchor}" class="chart-label">{escape(text)}</text>'
            )
        parts.append(_bar_link(bar, unit, shape, texts))
    parts.append(
        f'<line x1="{axis_width}" x2="{width - 8}" y1="{base}" y2="{base}" '
        f'class="chart-axis-line"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it went through escape()
