"""Charts drawn on the server as SVG strings: the same markup goes into the PDF report (WeasyPrint) and into the
web pages, works without JavaScript and prints crisply.

Every chart is a plain function of plain data (no models, no request, no WeasyPrint). Each SVG carries a
<title> and a <desc> (named by aria-labelledby, role="img") and writes its figures as text, so a screen reader
or a black-and-white print loses nothing that colour shows. Scales are 0–100: indices are percentages, and a
bar that starts anywhere else would exaggerate differences. "No data" is written, never drawn as a zero bar.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import formats
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

FONT = "DejaVu Sans, Arial, sans-serif"
INK = "#1f2933"
MUTED = "#5f6b7a"
GRID = "#d5dbe3"
BAR = "#2e5f93"  # blue: the index, satisfaction
BAR_LIGHT = "#8fb3d9"  # light blue: evaluation of the criteria
BAR_WEAK = "#b9c7d6"  # agencies under their minimum sample: shown, not ranked
TARGET = "#b3261e"
CHAR_WIDTH = 0.6  # average advance of DejaVu Sans per unit of font size, to fit labels without measuring


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart. `value` None is "no data"; `interval` is a 95% interval (low, high) or None;
    `weak` draws the bar lighter (e.g. an agency under its minimum sample); `note` follows the value."""

    label: str
    value: float | None
    interval: Sequence[float] | None = None
    weak: bool = False
    note: str = ""


@dataclass(frozen=True)
class FactorBars:
    """One factor: the evaluation of its criteria and the satisfaction with it (interval on satisfaction)."""

    label: str
    evaluation: float | None
    satisfaction: float | None
    interval: Sequence[float] | None = None


def number(value: float | None, places: int = 2) -> str:
    """A figure rounded for display in the active language (vi: 85,50), or "—" for no data. Figures here are
    indices and shares (0–100) and correlations: never large enough for a thousands separator."""
    if value is None:
        return "—"
    # Rounded first, as the ranking does (ties are equal values at 2 decimals by round()), so a shown figure and
    # its rank always agree; + 0.0 turns a rounded -0.0 into 0.0. Written with Python's own formatting and the
    # language's decimal mark: Django's number_format costs ten times as much, and a ranking shows thousands.
    text = f"{round(value, places) + 0.0:.{places}f}"
    return text.replace(".", formats.get_format("DECIMAL_SEPARATOR"))


def ranking_chart(
    bars: Sequence[Bar], *, title: str, description: str, target: float | None = None, width: int = 680
) -> str:
    """Horizontal bars, one per agency in the given order, on a 0–100 scale, with 95% interval whiskers
    where an interval exists and a dashed target line. Agencies with no data get a row and a "no data"
    text but no bar."""
    values = [number(b.value) + (f" {b.note}" if b.note else "") for b in bars if b.value is not None]
    value_width = max(92, 14 + max((len(v) for v in values), default=0) * 10 * CHAR_WIDTH)
    canvas = _Canvas(
        title, description, width, [b.label for b in bars], row=18, top=30, bottom=26, value_width=value_width
    )
    plot = canvas.plot
    for i, bar in enumerate(bars):
        y = canvas.top + i * canvas.row
        middle = y + canvas.row / 2
        tip = bar.label + ": " + (number(bar.value) if bar.value is not None else _("no data"))
        if bar.interval:
            tip += " " + _("(95%% interval %(low)s–%(high)s)") % {
                "low": number(bar.interval[0]),
                "high": number(bar.interval[1]),
            }
        if bar.note:
            tip += " — " + bar.note
        canvas.open_row(tip, "chart-row weak" if bar.weak else "chart-row")
        canvas.label(bar.label, middle)
        if bar.value is None:
            canvas.text(plot.left + 4, middle, _("no data"), cls="no-data", fill=MUTED)
        else:
            canvas.bar(bar.value, y + 3.5, canvas.row - 7, BAR_WEAK if bar.weak else BAR)
            if bar.interval:
                canvas.whisker(bar.interval, middle, 7)
            canvas.value(number(bar.value) + (f" {bar.note}" if bar.note else ""), middle)
        canvas.close_row()
    if target is not None:
        canvas.target(target, _("Target %(value)s") % {"value": number(target, 0)})
    return canvas.finish()


def factor_chart(
    factors: Sequence[FactorBars], *, title: str, description: str, width: int = 680, satisfaction: bool = True
) -> str:
    """Per factor two bars: the evaluation of its criteria (light) and the satisfaction with it (dark, with
    its interval), on a 0–100 scale, with a legend. Without `satisfaction` (a version that asks no satisfaction
    per factor, such as SIPAS-2023), one bar per factor: the evaluation of its criteria."""
    row = 34 if satisfaction else 20
    canvas = _Canvas(title, description, width, [f.label for f in factors], row=row, top=40, bottom=26)
    plot = canvas.plot
    legend = [(BAR_LIGHT, _("Evaluation of the criteria"))]
    canvas.legend([*legend, (BAR, _("Satisfaction"))] if satisfaction else legend)
    for i, factor in enumerate(factors):
        y = canvas.top + i * canvas.row
        if satisfaction:
            tip = _("%(factor)s: evaluation %(evaluation)s, satisfaction %(satisfaction)s") % {
                "factor": factor.label,
                "evaluation": number(factor.evaluation),
                "satisfaction": number(factor.satisfaction),
            }
        else:
            tip = _("%(factor)s: evaluation %(evaluation)s") % {
                "factor": factor.label,
                "evaluation": number(factor.evaluation),
            }
        canvas.open_row(tip, "chart-row")
        canvas.label(factor.label, y + canvas.row / 2 - (2 if satisfaction else 0))
        bars = [(3, factor.evaluation, BAR_LIGHT, "bar evaluation")]
        if satisfaction:
            bars.append((16, factor.satisfaction, BAR, "bar satisfaction"))
        for offset, value, colour, cls in bars:
            middle = y + offset + 5.5
            if value is None:
                canvas.text(plot.left + 4, middle, _("no data"), cls="no-data", fill=MUTED, size=9)
                continue
            canvas.bar(value, y + offset, 11, colour, cls=cls)
            if cls == "bar satisfaction" and factor.interval:
                canvas.whisker(factor.interval, middle, 6)
            canvas.value(number(value), middle, size=9)
        canvas.close_row()
    return canvas.finish()


def share_chart(
    bars: Sequence[Bar], *, title: str, description: str, scale_max: float | None = None, width: int = 680
) -> str:
    """Small horizontal bars of shares in percent (expectations, reported facts). The scale runs from 0 to
    `scale_max` (default: the largest share rounded up to a multiple of 10, so small shares stay visible;
    the axis is labelled, so nothing is hidden)."""
    values = [b.value for b in bars if b.value is not None]
    top_value = scale_max or max(10.0, min(100.0, 10.0 * -(-max(values, default=10.0) // 10)))
    labels = [b.label for b in bars]
    canvas = _Canvas(title, description, width, labels, row=16, top=8, bottom=24, domain=top_value, label_size=9)
    for i, bar in enumerate(bars):
        y = canvas.top + i * canvas.row
        middle = y + canvas.row / 2
        canvas.open_row(
            bar.label + ": " + (number(bar.value) + " %" if bar.value is not None else _("no data")), "chart-row"
        )
        canvas.label(bar.label, middle, size=9)
        if bar.value is None:
            canvas.text(canvas.plot.left + 4, middle, _("no data"), cls="no-data", fill=MUTED, size=9)
        else:
            canvas.bar(bar.value, y + 3, canvas.row - 6, BAR)
            canvas.value(number(bar.value) + " %", middle, size=9)
        canvas.close_row()
    return canvas.finish()


@dataclass(frozen=True)
class _Plot:
    left: float
    right: float
    domain: float

    def x(self, value: float) -> float:
        return self.left + (self.right - self.left) * max(0.0, min(value, self.domain)) / self.domain


class _Canvas:
    """Shared geometry: a label column sized to the longest label (at most 42% of the width, longer labels
    are shortened with "…" and given whole in the row's tooltip), the plot, and a value column."""

    def __init__(
        self, title, description, width, labels, *, row, top, bottom, domain=100.0, label_size=10, value_width=92
    ):
        self.width, self.row, self.top = width, row, top
        self.height = top + row * max(1, len(labels)) + bottom
        longest = max((len(label) for label in labels), default=10)
        value_width = min(value_width, width * 0.3)  # the value column, after the plot: figures and notes
        label_width = min(width * 0.42, 12 + longest * label_size * CHAR_WIDTH)
        self.max_chars = int((label_width - 12) / (label_size * CHAR_WIDTH))
        self.plot = _Plot(label_width, width - value_width, domain)
        ident = "chart-" + hashlib.sha1(f"{title}|{description}|{labels}".encode()).hexdigest()[:10]
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {self.height}" '
            f'width="{width}" height="{self.height}" role="img" aria-labelledby="{ident}-title {ident}-desc" '
            f'font-family="{FONT}" font-size="10" fill="{INK}">',
            f'<title id="{ident}-title">{_esc(title)}</title>',
            f'<desc id="{ident}-desc">{_esc(description)}</desc>',
        ]
        self._axis(top, top + row * max(1, len(labels)))

    def _axis(self, y0: float, y1: float) -> None:
        step = 20 if self.plot.domain > 50 else 10 if self.plot.domain > 20 else 5
        tick = 0.0
        self.parts.append('<g class="axis" aria-hidden="true">')
        while tick <= self.plot.domain + 1e-9:
            x = self.plot.x(tick)
            self.parts.append(
                f'<line x1="{x:.1f}" y1="{y0 - 2}" x2="{x:.1f}" y2="{y1}" stroke="{GRID}" stroke-width="0.6"/>'
            )
            self.text(x, y1 + 12, number(tick, 0), anchor="middle", fill=MUTED, size=9)
            tick += step
        self.parts.append("</g>")

    def text(self, x, y, content, *, anchor="start", cls="", fill=None, size=None, bold=False):
        attributes = f'x="{x:.1f}" y="{y:.1f}" dominant-baseline="central" text-anchor="{anchor}"'
        for name, value in (("class", cls), ("fill", fill), ("font-size", size)):
            if value:
                attributes += f' {name}="{value}"'
        if bold:
            attributes += ' font-weight="bold"'
        self.parts.append(f"<text {attributes}>{_esc(content)}</text>")

    def label(self, label: str, y: float, size: int | None = None) -> None:
        shown = label if len(label) <= self.max_chars else label[: self.max_chars - 1].rstrip() + "…"
        self.text(self.plot.left - 6, y, shown, anchor="end", cls="label", size=size)

    def bar(self, value: float, y: float, height: float, colour: str, cls: str = "bar") -> None:
        x0, x1 = self.plot.left, self.plot.x(value)
        self.parts.append(
            f'<rect class="{cls}" x="{x0:.1f}" y="{y:.1f}" width="{max(0.0, x1 - x0):.1f}" height="{height:.1f}" '
            f'fill="{colour}"/>'
        )

    def whisker(self, interval: Sequence[float], y: float, cap: float) -> None:
        low, high = self.plot.x(interval[0]), self.plot.x(interval[1])
        half = cap / 2
        d = f"M{low:.1f} {y:.1f}H{high:.1f}M{low:.1f} {y - half:.1f}V{y + half:.1f}M{high:.1f} {y - half:.1f}V{y + half:.1f}"
        # A white halo under the black line keeps the whisker visible where it crosses the bar.
        self.parts.append(
            f'<g class="whisker"><path d="{d}" stroke="#ffffff" stroke-width="2.6" fill="none"/>'
            f'<path d="{d}" stroke="{INK}" stroke-width="1" fill="none"/></g>'
        )

    def value(self, content: str, y: float, size: int | None = None) -> None:
        self.text(self.plot.right + 6, y, content, cls="value", size=size)

    def open_row(self, tooltip: str, cls: str) -> None:
        self.parts.append(f'<g class="{cls}"><title>{_esc(tooltip)}</title>')

    def close_row(self) -> None:
        self.parts.append("</g>")

    def target(self, value: float, caption: str) -> None:
        x = self.plot.x(value)
        bottom = self.height - 24
        self.parts.append(
            f'<g class="target"><line x1="{x:.1f}" y1="{self.top - 14}" x2="{x:.1f}" y2="{bottom}" '
            f'stroke="{TARGET}" stroke-width="1.2" stroke-dasharray="4 3"/>'
        )
        self.text(x, self.top - 20, caption, anchor="middle", fill=TARGET, size=9, bold=True)
        self.parts.append("</g>")

    def legend(self, items: Sequence[tuple[str, str]]) -> None:
        x = self.plot.left
        self.parts.append('<g class="legend">')
        for colour, caption in items:
            self.parts.append(f'<rect x="{x:.1f}" y="8" width="10" height="10" fill="{colour}"/>')
            self.text(x + 14, 13, caption, size=9)
            x += 24 + len(caption) * 9 * CHAR_WIDTH
        self.parts.append("</g>")

    def finish(self) -> str:
        return "".join([*self.parts, "</svg>"])


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def as_html(svg: str) -> SafeString:
    """A chart ready to insert in a page: every text the charts draw is escaped when drawn. Row groups are
    "chart-row", not "row", which Bootstrap's grid (`.row > * { width: 100% }`) would stretch."""
    return mark_safe(svg)
