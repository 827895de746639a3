"""The report's SVG charts: valid, self-contained, compact, deterministic, and drawn to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from mine_report.grading.schemes import builtin
from mine_report.outputs.charts import (
    ACTUAL_COLOUR,
    TARGET_COLOUR,
    GradeBar,
    TrendData,
    grade_bar_chart,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
#: The default scheme's colours per grade, 「－」 last: what the report passes the chart.
GRADE_COLOURS = builtin("mine").colours
GRADES = tuple(GRADE_COLOURS)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def rects(d: str) -> list[tuple[float, float, float]]:
    """(x, y, width) of every `Mx yhWvHh-Wz` rectangle in a path."""
    return [(float(x), float(y), float(w))
            for x, y, w in re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)v", d)]


def points(d: str) -> list[list[tuple[float, float]]]:
    """The polylines of a path: a new list at every M."""
    lines: list[list[tuple[float, float]]] = []
    for cmd, x, y in re.findall(r"([ML])([-\d.]+) ([-\d.]+)", d):
        if cmd == "M":
            lines.append([])
        lines[-1].append((float(x), float(y)))
    return lines


def test_grade_bars_are_one_path_per_grade_and_proportional():
    bars = [GradeBar("重点戦略1", {"A": 6, "B": 3, "C": 0, "D": 2, "－": 1}),
            GradeBar("KPI 全体", {"A": 1, "B": 1, "C": 1, "D": 1, "－": 0})]
    root = parse(grade_bar_chart(bars, GRADE_COLOURS))
    paths = root.findall(f"{SVG}path")
    fills = [p.get("fill") for p in paths]
    # Bars: one path per grade that occurs (all five here); legend: one swatch per grade.
    assert len(paths) == 2 * len(GRADES)
    assert fills.count(GRADE_COLOURS["C"][0]) == 2  # C occurs in row 2 only: bar + swatch
    a_path = next(p for p in paths if p.get("fill") == GRADE_COLOURS["A"][0])
    a_rects = rects(a_path.get("d"))
    assert len(a_rects) == 2  # both rows in one path
    row1, row2 = a_rects
    # Row 1: A is 6 of 12 KPIs, row 2: 1 of 4 → half and a quarter of the same full width.
    assert abs(row1[2] / row2[2] - 2.0) < 0.02
    assert row1[0] == row2[0]  # every bar starts at the same x


def test_grade_bars_print_letters_and_escape_labels():
    svg = grade_bar_chart([GradeBar("<b>戦略</b>", {"A": 10, "D": 10})], GRADE_COLOURS)
    texts = [t.text for t in parse(svg).iter(f"{SVG}text")]
    assert "A 10" in texts and "D 10" in texts
    assert set(GRADES) <= set(texts)  # the legend names every grade
    assert "<b>" not in svg and "&lt;b&gt;戦略&lt;/b&gt;" in svg


def test_every_scheme_colours_its_grades_apart_from_ungraded():
    for name in ("mine", "nagayo", "tama", "ino", "osaka-library"):
        scheme = builtin(name)
        fills = [fill for fill, _ in scheme.colours.values()]
        assert len(set(fills)) == len(fills)  # every grade and the mark differ
        svg = grade_bar_chart([GradeBar("計", dict.fromkeys(scheme.count_keys, 1))],
                              scheme.colours)
        texts = [t.text for t in parse(svg).iter(f"{SVG}text")]
        assert set(scheme.count_keys) <= set(texts)


def trend(**changes) -> TrendData:
    data = dict(baseline=(2018, 499.0),
                actuals=[(2020, 510.0), (2021, 505.0), (2022, None), (2023, 530.0)],
                expected=[(2020, 512.7), (2021, 519.5), (2022, 526.3), (2023, 533.2)],
                target=(2024, 540.0))
    data.update(changes)
    return TrendData(**data)


def test_trend_chart_is_compact_self_contained_and_deterministic():
    svg = trend_chart(trend(), label="三洞入洞者数の推移")
    assert svg == trend_chart(trend(), label="三洞入洞者数の推移")
    root = parse(svg)
    assert len(root.findall(f".//{SVG}path")) <= 7  # with the break mark of an axis above 0
    # Three y ticks and one label for each of the seven years H30 … R6.
    assert len(list(root.iter(f"{SVG}text"))) <= 11
    for banned in ("href", "url(", "<image", "<script", "http://example", "<style"):
        assert banned not in svg
    assert root.get("aria-label") == "三洞入洞者数の推移"


def test_trend_chart_breaks_the_line_at_missing_years_and_dashes_expected():
    root = parse(trend_chart(trend()))
    solid = [p for p in root.iter(f"{SVG}path")
             if p.get("stroke") == ACTUAL_COLOUR and p.get("fill") == "none"]
    (line,) = solid
    runs = points(line.get("d"))
    # Baseline, 2020, 2021 joined; 2022 missing; 2023 starts a new run.
    assert [len(r) for r in runs] == [3, 1]
    dashed = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert len(dashed) == 1
    # Higher values are drawn higher up (smaller y): 510 (2020) above 505 (2021).
    (b, y2020, y2021), (y2023,) = runs
    assert y2020[1] < y2021[1]
    assert y2023[1] < y2020[1]
    # Years run left to right.
    assert b[0] < y2020[0] < y2021[0] < y2023[0]


def test_trend_chart_target_is_rightmost_every_year_labelled_and_numbers_in_full():
    svg = trend_chart(trend(baseline=(2018, 279072.0), actuals=[(2020, 281398.0)],
                            expected=[(2020, 283056.0)], target=(2024, 293026.0)))
    root = parse(svg)
    diamond = next(p for p in root.iter(f"{SVG}path") if p.get("stroke") == TARGET_COLOUR)
    x_target = float(re.match(r"M([\d.]+)", diamond.get("d"))[1])
    xs = [float(t.get("x")) for t in root.iter(f"{SVG}text") if t.text and t.text[0] in "HR"]
    assert x_target == max(xs)
    labels = [t.text for t in root.iter(f"{SVG}text")]
    # 「29万」 on a 千円 axis would read as 29万円: numbers are written out in the KPI's unit.
    assert not any(label.endswith("万") for label in labels)
    assert "290,000" in labels
    assert [
        t for t in labels if t[0] in "HR"] == ["H30", "R1", "R2", "R3", "R4", "R5", "R6"]


def test_trend_chart_without_baseline_or_actuals_still_draws_the_target():
    root = parse(trend_chart(TrendData(None, [(2020, None), (2021, None)], [], (2024, 1.0))))
    assert any(p.get("stroke") == TARGET_COLOUR for p in root.iter(f"{SVG}path"))
    assert not [p for p in root.iter(f"{SVG}path") if p.get("stroke") == ACTUAL_COLOUR]


def test_trend_chart_axis_uses_one_unit_throughout():
    svg = trend_chart(TrendData((2018, 51220.0), [(2020, 45760.0), (2023, 85295.0)],
                                [(2020, 78000.0)], (2024, 133000.0)))
    ticks = [t.text for t in parse(svg).iter(f"{SVG}text") if t.get("y") and
             t.text[0].isdigit()]
    assert len(ticks) >= 3
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*", t) for t in ticks), ticks


def tick_values(svg: str) -> list[float]:
    return [float(t.text.replace(",", "")) for t in parse(svg).iter(f"{SVG}text")
            if t.text and t.text[0].isdigit()]


def test_counts_get_whole_number_ticks_and_the_target_is_not_grade_d():
    small = TrendData((2018, 1.0), [(2020, 1.0), (2021, 2.0)], [(2020, 1.3)], (2024, 2.0),
                      integral=True)
    assert all(v == int(v) for v in tick_values(trend_chart(small)))
    assert GRADE_COLOURS["D"][0] != TARGET_COLOUR


def test_an_axis_not_starting_at_zero_carries_a_break_mark():
    far = trend_chart(trend())  # 499 … 540: the axis starts near 490
    near = trend_chart(TrendData((2018, 0.0), [(2020, 3.0)], [], (2024, 10.0)))
    assert min(tick_values(far)) > 0 and min(tick_values(near)) == 0

    def breaks(svg: str) -> int:
        return sum(1 for p in parse(svg).iter(f"{SVG}path")
                   if p.get("stroke") == "#000000" and p.get("fill") is None)
    assert breaks(far) == 1 and breaks(near) == 0
