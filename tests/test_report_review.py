"""What the summary tells the review committee, checked on the report context: off-track
KPIs with their department's words, last year beside this year, the outlook to the
target year, numbers that reproduce their printed rates, the missing-baseline rule,
the publication date in Japan time, the 総評 file and the final evaluation."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import pytest
from conftest import make_report_inputs

from mine_report.common.fiscal import era_date, short_fiscal_year
from mine_report.common.numbers import format_rate
from mine_report.grading.baseline_rule import ZERO, apply_rule
from mine_report.grading.config import default_rules
from mine_report.grading.grade import KpiGrade, KpiResult, evaluate
from mine_report.grading.projection import (
    MET_BY_YEAR,
    MISSED_BY_YEAR,
    SHORT,
    TOO_FEW,
    fit_line,
    outlook,
)
from mine_report.grading.schemes import builtin
from mine_report.outputs.committee import CommitteeFileError, load_committee
from mine_report.outputs.context import build_context, report_datetime
from mine_report.plan.model import Actual, Source


@pytest.fixture(scope="module")
def context(report_inputs):
    merged, evaluation = report_inputs
    return build_context(merged, evaluation)


def all_rows(context):
    return {r.row.id: r.row for g in context.review.overview for r in g.rows}


def test_every_c_and_d_kpi_is_listed_once_with_its_departments_words(context, report_inputs):
    merged, evaluation = report_inputs
    listed = [k.id for m in context.review.off_track for k in m.kpis]
    expected = [kid for kid, r in evaluation.kpis.items() if r.current.grade in ("C", "D")]
    assert listed == expected and len(expected) > 10
    assert context.review.off_track_count == len(expected)
    for block in context.review.off_track:
        report = merged.measures[block.id].report
        assert block.issues == report.issues and block.outlook == report.outlook
        assert block.outlook_text == report.outlook_text
        assert block.anchor == f"measure-{block.id}"


def test_goal_indicators_below_b_are_listed(context, report_inputs):
    _, evaluation = report_inputs
    below = [gid for gid, r in evaluation.goals.items() if r.current.grade in ("C", "D")]
    assert [g.row.id for g in context.review.off_track_goals] == below
    assert all(g.anchor.startswith("strategy-") for g in context.review.off_track_goals)


def test_grade_counts_beside_last_years_and_the_kpis_that_moved(context, report_inputs):
    _, evaluation = report_inputs
    before = evaluation.rollups_by_year[evaluation.year - 1]
    rows = context.review.shift_rows
    assert context.review.previous_year == "令和4年度"
    for s, row in zip(evaluation.plan.strategies, rows, strict=False):
        assert row.now == tuple(evaluation.strategies[s.id].counts[g] for g in evaluation.scheme.count_keys)
        assert row.before == tuple(before.strategies[s.id].counts[g] for g in evaluation.scheme.count_keys)
    total = next(r for r in rows if r.label == "KPI 全体")
    assert total.before == tuple(before.total.counts[g] for g in evaluation.scheme.count_keys)
    up = [kid for kid, r in evaluation.kpis.items() if r.trend == "up"]
    down = [kid for kid, r in evaluation.kpis.items() if r.trend == "down"]
    assert [m.row.id for m in context.review.moved_up] == up and up
    assert [m.row.id for m in context.review.moved_down] == down and down
    for moved in context.review.moved_up:
        r = evaluation.kpis[moved.row.id]
        assert moved.row.change == f"{r.previous.grade}→{r.current.grade}"


def test_change_is_shown_only_when_the_grade_changed(context, report_inputs):
    _, evaluation = report_inputs
    rows = all_rows(context)
    for kid, r in evaluation.kpis.items():
        changed = (r.previous is not None and r.previous.graded and r.current.graded
                   and r.previous.grade != r.current.grade)
        assert bool(rows[kid].change) == changed, kid


def test_printed_numbers_reproduce_the_printed_rate(context, report_inputs):
    """(actual − baseline) / (expected − baseline) from the printed digits gives the
    printed rate: the expected value carries as many decimals as that needs."""
    _, evaluation = report_inputs
    rows = all_rows(context)
    checked = 0
    for kid, r in evaluation.kpis.items():
        row, g = rows[kid], r.current
        if g.progress_rate is None or r.kpi.direction == "maintain" or r.kpi.baseline is None:
            continue
        actual = Fraction(row.actuals[-1].replace(",", ""))
        baseline = Fraction(row.baseline.replace(",", ""))
        expected = Fraction(row.expected.replace(",", ""))
        assert format_rate((actual - baseline) / (expected - baseline)) == row.progress_rate, kid
        checked += 1
    assert checked > 40


def test_direction_marker_and_which_rate_each_row_shows(context, report_inputs):
    _, evaluation = report_inputs
    rows = all_rows(context)
    marks = {"increase": "↑", "decrease": "↓", "maintain": "→"}
    for kid, r in evaluation.kpis.items():
        assert rows[kid].direction_mark == marks[r.kpi.direction]
        assert rows[kid].rate_kind == ("達成率" if r.kpi.direction == "maintain" else "進捗率")


def test_compact_table_has_every_indicator_once(context, report_inputs):
    _, evaluation = report_inputs
    ids = [r.row.id for g in context.review.overview for r in g.rows]
    assert sorted(ids) == sorted([*evaluation.kpis, *evaluation.goals])
    assert len(ids) == len(set(ids))


def _result(kpi, values: dict[int, str]) -> KpiResult:
    by_year = {y: KpiGrade(kpi, y, Decimal(v) if v else None, None, None, None, "－", "", None)
               for y, v in values.items()}
    return KpiResult(kpi, "x", by_year, builtin("mine"))


def test_straight_line_projection_and_its_limits(shipped_plan):
    kpi = shipped_plan.kpi("1-1-1-1")  # 三洞入洞者数 499 → 540 by R6, higher is better
    assert fit_line([(2020, Fraction(1)), (2021, Fraction(3)), (2022, Fraction(5))]) == (2, -4039)
    slow = outlook(_result(kpi, {2020: "500", 2021: "505", 2022: "510", 2023: "515"}), 2020)
    assert slow.kind == SHORT and slow.projected == 520 and slow.points == 4
    fast = outlook(_result(kpi, {2020: "500", 2021: "510", 2022: "520", 2023: "530"}), 2020)
    assert fast.kind != SHORT and fast.projected == 540
    few = outlook(_result(kpi, {2020: "", 2021: "", 2022: "510", 2023: "530"}), 2020)
    assert few.kind == TOO_FEW and few.projected is None


def test_targets_dated_before_the_plans_end_are_judged_in_their_year(context, shipped_plan):
    early = {r.row.id: r.row for r in context.review.early_targets}
    assert {"4-2-1-1", "4-2-1-3", "5-2-1-1", "5-2-1-2"} <= set(early)
    for kid, row in early.items():
        assert row.outlook_short.startswith(row.target_year), kid
        assert row.outlook_short[len(row.target_year):] in ("達成", "未達", "実績値なし")
    kpi = shipped_plan.kpi("4-2-1-1")
    target = str(kpi.target)
    met = outlook(_result(kpi, {y: target for y in range(2020, 2024)}), 2020)
    assert met.kind == MET_BY_YEAR
    low = str(kpi.target - 1 if kpi.direction != "decrease" else kpi.target + 1)
    assert outlook(_result(kpi, {y: low for y in range(2020, 2024)}), 2020).kind == MISSED_BY_YEAR


def test_publication_date_is_japan_time_and_can_be_given(monkeypatch):
    # 2024-06-30 23:30 UTC is already 1 July in Japan.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2024, 6, 30, 23, 30,
                                                                tzinfo=dt.UTC).timestamp())))
    assert era_date(report_datetime().date()) == "令和6年7月1日"
    assert report_datetime(dt.date(2024, 8, 9)).date() == dt.date(2024, 8, 9)


def _actual(kid, year, value):
    return Actual(kid, year, Decimal(value) if value is not None else None,
                  Source("f.xlsx", "s", "A1"))


def test_missing_baseline_becomes_the_first_actual_and_is_marked_reference(shipped_plan):
    no_base = [k for k in shipped_plan.kpis if k.baseline is None]
    assert len(no_base) == 9
    kpi = no_base[0]
    actuals = {(kpi.id, 2020): _actual(kpi.id, 2020, None),
               (kpi.id, 2021): _actual(kpi.id, 2021, str(kpi.target / 4)),
               (kpi.id, 2022): _actual(kpi.id, 2022, str(kpi.target / 2))}
    graded, substituted = apply_rule(shipped_plan, actuals, 2022)
    assert substituted == {kpi.id: 2021}
    assert graded.kpi(kpi.id).baseline == kpi.target / 4 and graded.kpi(kpi.id).baseline_year == 2021
    assert shipped_plan.kpi(kpi.id).baseline is None  # the plan itself is untouched
    assert apply_rule(shipped_plan, actuals, 2022, ZERO) == (shipped_plan, {})


def test_reference_grades_are_marked_in_the_context(report_inputs):
    merged, _ = report_inputs
    plan = merged.plan
    graded, substituted = apply_rule(plan, merged.actuals, 2023)
    evaluation = evaluate(graded, merged.actuals, 2023, default_rules(),
                          unsubmitted=merged.unsubmitted)
    rows = all_rows(build_context(merged, evaluation))
    assert substituted
    for kid, year in substituted.items():
        assert "参考" in rows[kid].reference and short_fiscal_year(year) in rows[kid].reference
    assert not any(rows[k.id].reference for k in plan.kpis if k.id not in substituted)


def test_final_evaluation_in_the_plans_last_year():
    merged, evaluation = make_report_inputs(2024)
    context = build_context(merged, evaluation)
    assert context.final and context.period == "令和2年度〜令和6年度"
    rows = all_rows(context)
    total = next(r for r in context.review.final_rows if r.label == "KPI 全体")
    counts = Counter(rows[k].achieved for k in evaluation.kpis)
    assert (total.achieved, total.missed) == (counts["達成"], counts["未達"])
    assert total.achieved + total.missed + total.unknown == len(evaluation.kpis)
    assert total.improved + total.unchanged + total.worsened <= len(evaluation.kpis)
    assert {rows[k].period_trend for k in evaluation.kpis} <= {"改善", "横ばい", "悪化", ""}
    interim = build_context(*make_report_inputs(2023))
    assert not interim.final and interim.review.final_rows == ()


# --- the 総評・意見 file -------------------------------------------------------------------


def test_committee_file_is_optional_and_read_in_order(tmp_path, shipped_plan):
    assert load_committee(None, shipped_plan).overall == ()
    path = tmp_path / "意見.toml"
    path.write_text('overall = """第一段落。\n\n第二段落。"""\n'
                    '[[opinions]]\ntarget = "2"\nby = "推進会議"\nopinion = "意見A"\n'
                    'response = "対応A"\n'
                    '[[opinions]]\nopinion = "全体への意見"\n', encoding="utf-8")
    got = load_committee(path, shipped_plan)
    assert got.overall == ("第一段落。", "第二段落。")
    assert [(o.target, o.by, o.opinion, o.response) for o in got.about("2")] == [
        ("2", "推進会議", "意見A", "対応A")]
    assert [o.opinion for o in got.about("全体")] == ["全体への意見"]


def test_committee_file_problems_are_all_reported(tmp_path, shipped_plan):
    path = tmp_path / "bad.toml"
    path.write_text('overal = "typo"\n[[opinions]]\ntarget = "9"\nopinion = 3\n',
                    encoding="utf-8")
    with pytest.raises(CommitteeFileError) as err:
        load_committee(path, shipped_plan)
    assert [(p.code, p.path) for p in err.value.problems] == [
        ("B033", "overal"), ("B035", "opinions[0].target"), ("B034", "opinions[0].opinion")]
    with pytest.raises(CommitteeFileError) as err:
        load_committee(tmp_path / "none.toml", shipped_plan)
    assert err.value.problems[0].code == "B030"


def test_without_the_file_the_report_has_no_assessment_and_the_build_goes_on(
        report_inputs, tmp_path, shipped_plan):
    from mine_report.outputs import report

    merged, evaluation = report_inputs
    dirs = report.template_dirs(None)
    plain = report.render_html(build_context(merged, evaluation), dirs)
    assert "<h2>総評</h2>" not in plain and "推進会議・外部有識者の意見" not in plain
    path = tmp_path / "意見.toml"
    path.write_text('overall = "総評の本文。"\n[[opinions]]\ntarget = "3"\nopinion = "<b>意見</b>"\n',
                    encoding="utf-8")
    html = report.render_html(build_context(merged, evaluation,
                                            committee=load_committee(path, shipped_plan)), dirs)
    assert "<h2>総評</h2>" in html and "総評の本文。" in html
    chapter3 = re.sub(r"<span[^>]*>|</span>", "",  # phrase spans (linebreak.py)
                      html[html.index('id="strategy-3"'):html.index('id="strategy-4"')])
    assert "&lt;b&gt;意見&lt;/b&gt;" in chapter3 and "（対応を検討中）" in chapter3


def test_negative_rates_in_the_japanese_public_style(report_inputs):
    merged, evaluation = report_inputs
    plain = all_rows(build_context(merged, evaluation))
    marked = build_context(merged, evaluation, negative_sign="black-triangle")
    rows = all_rows(marked)
    negative = [k for k, r in plain.items() if r.progress_rate.startswith("-")]
    assert negative
    for kid in negative:
        assert rows[kid].progress_rate == "▲" + plain[kid].progress_rate[1:]
    assert not any(r.progress_rate.startswith("-") or r.final_rate.startswith("-")
                   for r in rows.values())
    assert marked.negative_mark == "▲"
