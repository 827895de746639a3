"""SVG charts drawn by our own code for the evaluation report.

The charts are small, deterministic strings (fixed coordinate precision, no ids, no
timestamps) made of few elements: one <path> per series, so that WeasyPrint draws 78
trend charts cheaply and the same inputs always give the same bytes. Text in a chart is
escaped; charts never reference anything outside themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from markupsafe import Markup, escape

from mine_report.common.fiscal import short_fiscal_year
from mine_report.common.numbers import format_number

FONT = "BIZ UDPGothic"
#: Trend lines (CUD blue for the actuals, purple for the target, dark grey for the expected
#: values: 4.5:1 on white as legend text). Grade colours come from the grading scheme
#: (schemes.py).
ACTUAL_COLOUR, TARGET_COLOUR, EXPECTED_COLOUR = "#005AFF", "#990099", "#555555"
#: The same colours for the legend under the charts (report.css reads them from here).
CHART_COLOURS = {"actual": ACTUAL_COLOUR, "expected": EXPECTED_COLOUR, "target": TARGET_COLOUR}


def _n(value: float) -> str:
    """A coordinate with at most one decimal and no trailing zeros (stable bytes)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _svg(width: float, height: float, label: str, body: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
            f'width="{_n(width)}" height="{_n(height)}" role="img" aria-label="{escape(label)}" '
            f'font-family="{FONT}">')
    # The <title> is the figure's alternate text in the tagged PDF (WeasyPrint reads it;
    # browsers use the aria-label).
    return Markup(head + f"<title>{escape(label)}</title>" + "".join(body) + "</svg>")


# --- grade counts: horizontal 100 % stacked bars -----------------------------------------


@dataclass(frozen=True)
class GradeBar:
    """One bar: a label (e.g. 重点戦略1) and the number of KPIs per grade."""

    label: str
    counts: Mapping[str, int]


def grade_bar_chart(bars: Sequence[GradeBar], colours: Mapping[str, tuple[str, str]], *,
                    title: str = "評価の内訳") -> Markup:
    """A horizontal stacked bar per row, each bar the row's KPIs split by grade (100 %).

    colours maps each grade, in order, to its (fill, text) colours (the scheme's).
    Each segment is labelled with its letter and count when wide enough; the legend
    below lists every grade, so black-and-white prints stay readable.
    """
    grades = list(colours)
    label_w, bar_w, row_h, bar_h = 92.0, 380.0, 24.0, 16.0
    width = label_w + bar_w + 8
    legend_y = len(bars) * row_h + 14
    height = legend_y + 14
    fills: dict[str, list[str]] = {g: [] for g in grades}
    texts: list[str] = []
    for row, bar in enumerate(bars):
        y = row * row_h + 4
        total = sum(bar.counts.get(g, 0) for g in grades)
        texts.append(f'<text x="{_n(label_w - 6)}" y="{_n(y + bar_h - 4)}" font-size="11" '
                     f'text-anchor="end">{escape(bar.label)}</text>')
        x = label_w
        for g in grades:
            count = bar.counts.get(g, 0)
            if not count or not total:
                continue
            w = bar_w * count / total
            fills[g].append(f"M{_n(x)} {_n(y)}h{_n(w)}v{_n(bar_h)}h{_n(-w)}z")
            fg = colours[g][1]
            caption = f"{g} {count}" if w >= 30 else (f"{g}{count}" if w >= 17 else "")
            if caption:
                texts.append(f'<text x="{_n(x + w / 2)}" y="{_n(y + bar_h - 4)}" font-size="10" '
                             f'text-anchor="middle" fill="{fg}">{escape(caption)}</text>')
            x += w
    body = [f'<path d="{"".join(d)}" fill="{colours[g][0]}" stroke="#000000" '
            f'stroke-width="0.5"/>' for g, d in fills.items() if d]
    legend_x = label_w
    legend: list[str] = []
    swatches: dict[str, str] = {}
    for g in grades:
        swatches[g] = f"M{_n(legend_x)} {_n(legend_y - 9)}h10v10h-10z"
        legend.append(f'<text x="{_n(legend_x + 14)}" y="{_n(legend_y)}" font-size="10">'
                      f'{escape(g)}</text>')
        legend_x += 40
    body += [f'<path d="{d}" fill="{colours[g][0]}" stroke="#000000" stroke-width="0.5"/>'
             for g, d in swatches.items()]
    return _svg(width, height, title, body + texts + legend)


# --- one KPI's trend --------------------------------------------------------------------


@dataclass(frozen=True)
class TrendData:
    """What a KPI trend chart shows, as plain numbers by fiscal year.

    actuals holds None for a year without a value (not measured, not submitted): the
    line breaks there. expected is the engine's expected value per year (dashed line).
    """

    baseline: tuple[int, float] | None
    actuals: Sequence[tuple[int, float | None]]
    expected: Sequence[tuple[int, float]]
    target: tuple[int, float]
    #: Whether the KPI counts things (integer plan values): its axis gets integer ticks.
    integral: bool = False


def _nice_step(span: float) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) that splits span into about two intervals."""
    raw = span / 2
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power  # pragma: no cover - the loop always returns


def _axis_label(value: float, step: float) -> str:
    """A tick label in the KPI's own unit, written out in full: 1,500 / 0.5 / 290,000.
    (Never abbreviated to 「29万」: on a 千円 axis that reads as 29万円, not 2.9 億円.)"""
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    text = format_number(Fraction(value), decimals)
    return "0" if text.strip("0.") == "" else text  # the zero line reads 0, never 0.0


def trend_chart(data: TrendData, *, label: str = "") -> Markup:
    """A small line chart: baseline and actuals solid with square markers, the expected
    values dashed, the target a diamond; x axis in fiscal years (H30, R2 …)."""
    width, height = 200.0, 92.0
    right, top, bottom = 192.0, 7.0, 72.0
    years_seen = [y for y, _ in data.actuals] + [data.target[0]] + [y for y, _ in data.expected]
    if data.baseline:
        years_seen.append(data.baseline[0])
    first, last = min(years_seen), max(years_seen)
    values = [v for _, v in data.actuals if v is not None] + [data.target[1]]
    values += [v for _, v in data.expected]
    if data.baseline:
        values.append(data.baseline[1])
    lo, hi = min(values), max(values)
    span = hi - lo or max(abs(hi) * 0.2, 1.0)
    step = _nice_step(span)
    if data.integral:
        step = max(step, 1.0)  # no 0.5 of a person: counts get whole-number ticks
    lo_axis = math.floor(lo / step) * step
    hi_axis = math.ceil(hi / step) * step
    if hi_axis - lo_axis < 2 * step:
        hi_axis = lo_axis + 2 * step
    if lo >= 0 > lo_axis:
        lo_axis = 0.0
    ticks = [lo_axis + i * step for i in range(int(round((hi_axis - lo_axis) / step)) + 1)]
    tick_labels = [_axis_label(t, step) for t in ticks]
    # Room for the longest tick label: BIZ UDPGothic's digits take about 5.6 units at
    # font size 8 (measured: "150,000" is 38 units wide).
    left = max(30.0, 6 + 5.6 * max(len(t) for t in tick_labels))

    def px(year: int) -> float:
        return left + (right - left) * ((year - first) / (last - first) if last > first else 0.5)

    def py(value: float) -> float:
        return bottom - (bottom - top) * (value - lo_axis) / (hi_axis - lo_axis)

    body: list[str] = []
    grid = "".join(f"M{_n(left)} {_n(py(t))}H{_n(right)}" for t in ticks)
    body.append(f'<path d="{grid}" stroke="#BBBBBB" stroke-width="0.5" fill="none"/>')

    if data.expected:
        points = sorted(set(data.expected) | ({data.baseline} if data.baseline else set())
                        | {data.target})
        d = "".join(("M" if i == 0 else "L") + f"{_n(px(y))} {_n(py(v))}"
                    for i, (y, v) in enumerate(points))
        body.append(f'<path d="{d}" stroke="{EXPECTED_COLOUR}" stroke-width="1" stroke-dasharray="3 2" '
                    f'fill="none"/>')

    observed: list[tuple[int, float | None]] = []
    if data.baseline:
        observed.append(data.baseline)
    observed += sorted(data.actuals, key=lambda p: p[0])
    line, marks, pen_down = [], [], False
    for year, value in observed:
        if value is None:
            pen_down = False
            continue
        x, y = px(year), py(value)
        line.append(("L" if pen_down else "M") + f"{_n(x)} {_n(y)}")
        marks.append(f"M{_n(x - 2.2)} {_n(y - 2.2)}h4.4v4.4h-4.4z")
        pen_down = True
    if line:
        body.append(f'<path d="{"".join(line)}" stroke="{ACTUAL_COLOUR}" stroke-width="1.4" '
                    f'fill="none"/>')
        body.append(f'<path d="{"".join(marks)}" fill="{ACTUAL_COLOUR}"/>')
    tx, ty = px(data.target[0]), py(data.target[1])
    body.append(f'<path d="M{_n(tx)} {_n(ty - 4)}l4 4l-4 4l-4 -4z" fill="#FFFFFF" '
                f'stroke="{TARGET_COLOUR}" stroke-width="1.4"/>')
    if lo_axis > 0:
        # The axis does not start at zero: a break mark (≈) at its foot says so.
        body.append(f'<path d="M{_n(left - 4)} {_n(bottom + 1)}l8 -3M{_n(left - 4)} '
                    f'{_n(bottom + 4)}l8 -3" stroke="#000000" stroke-width="0.8"/>')

    # Few text elements keep WeasyPrint fast: the y ticks and one label per year.
    body.append(f'<path d="{"".join(f"M{_n(px(y))} {_n(bottom)}v3" for y in range(first, last + 1))}" '
                f'stroke="#555555" stroke-width="0.6"/>')
    y_labels = "".join(f'<text x="{_n(left - 3)}" y="{_n(py(t) + 3)}">{escape(label)}</text>'
                       for t, label in zip(ticks, tick_labels, strict=True))
    body.append(f'<g font-size="8" text-anchor="end">{y_labels}</g>')
    labelled = range(first, last + 1)  # every year of the axis, plan years included
    x_labels = "".join(f'<text x="{_n(px(y))}" y="{_n(bottom + 13)}">{short_fiscal_year(y)}</text>'
                       for y in labelled)
    body.append(f'<g font-size="8" text-anchor="middle">{x_labels}</g>')
    return _svg(width, height, label or "推移", body)
