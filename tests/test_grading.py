"""The grading engine: the issue's worked examples on the shipped plan, every boundary,
every reason for 「－」, the formula/basis options, roll-ups, and properties."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mine_report.common.errors import UsageError
from mine_report.common.messages import text
from mine_report.common.numbers import format_number, format_points, format_rate
from mine_report.grading.config import default_rules, rules_from_dict
from mine_report.grading.grade import evaluate, grade_kpi
from mine_report.grading.schemes import UNGRADED_MARK as UNGRADED
from mine_report.plan.load import load_plan
from mine_report.plan.model import Actual, Kpi, Measure, Plan, Policy, Source, Strategy

PLAN = load_plan()
RULES = default_rules()
SOURCE = Source("kikaku.xlsx", "1-1-1", "J8")


def actual(kpi_id: str, year: int, value, **kw) -> Actual:
    if isinstance(value, str):
        value = Decimal(value)
    return Actual(kpi_id, year, value, SOURCE, **kw)


def grade(kpi: Kpi, year: int, value, rules=RULES, *, unsubmitted=False, **actual_fields):
    return grade_kpi(kpi, year, actual(kpi.id, year, value, **actual_fields), rules,
                     unsubmitted=unsubmitted)


def kpi(baseline, target, direction="increase", *, baseline_year=2018, target_year=2024,
        kpi_id="9-9-9-1") -> Kpi:
    return Kpi(kpi_id, "テスト指標", "人", None if baseline is None else Decimal(baseline),
               baseline_year, Decimal(target), target_year, direction)


# --- the worked examples of the issue, on the shipped plan ---------------------------------

# expected values are worked out by hand: 499 + (540 − 499)·4/6 = 1579/3 = 526.33…
WORKED = [
    ("1-1-1-1", 2022, "520", Fraction(1579, 3), "76.8%", "C"),
    ("1-1-1-1", 2022, "522", Fraction(1579, 3), "84.1%", "B"),
    ("4-2-1-3", 2023, "3", Fraction(3), "100.0%", "A"),
    ("5-1-2-3", 2022, "5", Fraction(6), "50.0%", "C"),
    ("1-3-1-2", 2022, "0", Fraction(2, 3), "0.0%", "D"),
    ("4-1-2-2", 2021, "18.65", Fraction(186, 10), "50.0%", "C"),
    ("4-1-2-2", 2021, "18.4", Fraction(186, 10), "300.0%", "A"),
    ("2-1-3-1", 2023, "1600", Fraction(1500), "106.7%", "A"),
    ("2-1-3-1", 2023, "1380", Fraction(1500), "92.0%", "B"),
]


@pytest.mark.parametrize(("kpi_id", "year", "value", "expected", "shown", "letter"), WORKED)
def test_worked_examples(kpi_id, year, value, expected, shown, letter):
    g = grade(PLAN.kpi(kpi_id), year, value)
    assert g.expected == expected
    assert format_rate(g.progress_rate) == shown
    assert g.grade == letter
    assert g.reason == ""
    assert g.actual == Decimal(value)
    assert g.actual_source == SOURCE


def test_worked_example_rates_are_exact():
    g = grade(PLAN.kpi("1-1-1-1"), 2022, "520")
    assert g.progress_rate == Fraction(21) / Fraction(82, 3)
    assert g.final_rate == Fraction(21, 41)
    assert format_number(g.expected) == "526.33"
    assert format_number(grade(PLAN.kpi("1-3-1-2"), 2022, "0").expected, 3) == "0.667"


def test_decrease_final_rate_counts_the_fall_from_the_baseline():
    g = grade(PLAN.kpi("4-1-2-2"), 2021, "18.65")
    assert g.final_rate == Fraction(1, 4)  # 0.05 of the 0.2 fall to 18.5


def test_maintain_final_rate_is_actual_over_target():
    g = grade(PLAN.kpi("2-1-3-1"), 2023, "1380")
    assert g.final_rate == g.progress_rate == Fraction(92, 100)


# --- boundaries, both sides ----------------------------------------------------------------

# baseline 100, target 200 in the target year: the rate is (a − 100) / 100
@pytest.mark.parametrize(("value", "letter"), [
    ("200", "A"), ("199.99", "B"),
    ("180", "B"), ("179.99", "C"),
    ("100.01", "C"), ("100", "D"), ("99", "D"),
])
def test_increase_boundaries(value, letter):
    assert grade(kpi("100", "200"), 2024, value).grade == letter


# baseline 200, target 100: the mirror image, lower is better
@pytest.mark.parametrize(("value", "letter"), [
    ("100", "A"), ("100.01", "B"),
    ("120", "B"), ("120.01", "C"),
    ("199.99", "C"), ("200", "D"), ("201", "D"),
])
def test_decrease_boundaries(value, letter):
    assert grade(kpi("200", "100", "decrease"), 2024, value).grade == letter


@pytest.mark.parametrize(("value", "letter"), [
    ("1000", "A"), ("999.9", "B"),
    ("900", "B"), ("899.9", "C"),
    ("800", "C"), ("799.9", "D"),
])
def test_maintain_boundaries(value, letter):
    assert grade(kpi("1000", "1000", "maintain"), 2022, value).grade == letter


def test_a_float_from_excel_is_taken_as_typed():
    # In binary floating point (0.18 − 0.1) / (0.2 − 0.1) is 0.7999…, which would be C.
    k = kpi("0.1", "0.2")
    g = grade_kpi(k, 2024, Actual(k.id, 2024, 0.18, SOURCE), RULES)  # type: ignore[arg-type]
    assert g.progress_rate == Fraction(4, 5)
    assert g.grade == "B"
    assert g.actual == Decimal("0.18")


def test_prorated_target_in_the_target_year_and_after():
    k = PLAN.kpi("4-2-1-1")  # 64 → 79 by R4 (2022)
    assert grade(k, 2022, "79").expected == 79
    assert grade(k, 2024, "79").grade == "A"
    assert grade(k, 2021, "74").expected == 64 + Fraction(15 * 3, 4)


# --- reasons for 「－」 ------------------------------------------------------------------

def test_unsubmitted():
    g = grade(PLAN.kpi("1-1-1-1"), 2022, "540", unsubmitted=True)
    assert (g.grade, g.reason) == (UNGRADED, "未提出")


def test_actual_missing():
    g = grade_kpi(PLAN.kpi("1-1-1-1"), 2022, None, RULES)
    assert (g.grade, g.reason, g.actual, g.actual_source) == (UNGRADED, "実績値が未入力", None, None)
    blank = grade(PLAN.kpi("1-1-1-1"), 2022, None)
    assert (blank.grade, blank.reason) == (UNGRADED, "実績値が未入力")


def test_not_measured_with_and_without_reason():
    k = PLAN.kpi("2-3-1-1")
    with_reason = grade(k, 2022, None, not_measured=True, reason="調査は隔年実施")
    assert (with_reason.grade, with_reason.reason) == (UNGRADED, "未把握（調査は隔年実施）")
    bare = grade(k, 2022, None, not_measured=True)
    assert (bare.grade, bare.reason) == (UNGRADED, "未把握")


def test_year_not_after_baseline_year():
    k = PLAN.kpi("5-1-2-3")  # baseline 4 in R2 (2020)
    g = grade(k, 2020, "8")
    assert g.grade == UNGRADED
    assert g.reason.startswith("基準年度以前")
    assert "2020" in g.reason
    assert g.progress_rate is None and g.expected is None
    assert grade(k, 2021, "8").grade == "A"


def test_target_equal_to_baseline_is_guarded():
    g = grade(kpi("5", "5"), 2022, "6")
    assert (g.grade, g.reason) == (UNGRADED, text("C306"))


def test_maintain_target_zero_is_guarded():
    g = grade(kpi("0", "0", "maintain"), 2022, "0")
    assert (g.grade, g.reason) == (UNGRADED, text("C307"))


def test_ratio_guards():
    ratio = rules_from_dict({"formula": "ratio"})
    zero_goal = grade(kpi(None, "0"), 2024, "3", ratio)
    assert (zero_goal.grade, zero_goal.reason) == (UNGRADED, text("C308"))
    zero_actual = grade(kpi("10", "5", "decrease"), 2024, "0", ratio)
    assert (zero_actual.grade, zero_actual.reason) == (UNGRADED, text("C309"))


# --- the formula and basis options ------------------------------------------------------

def test_ratio_formula_changes_the_grade():
    k = PLAN.kpi("1-1-1-1")
    ratio = rules_from_dict({"formula": "ratio"})
    assert grade(k, 2022, "520").grade == "C"  # progress 76.8 %
    g = grade(k, 2022, "520", ratio)
    assert g.progress_rate == Fraction(520) / Fraction(1579, 3)  # 98.8 %
    assert g.final_rate == Fraction(520, 540)
    assert g.grade == "B"


def test_ratio_formula_turns_decrease_over():
    g = grade(PLAN.kpi("4-1-2-2"), 2021, "18.65", rules_from_dict({"formula": "ratio"}))
    assert g.progress_rate == Fraction(186, 10) / Fraction(1865, 100)
    assert g.grade == "B"


def test_final_basis_changes_the_grade():
    k = PLAN.kpi("1-1-1-1")
    assert grade(k, 2022, "526").grade == "B"  # 27 / 27.33 against the prorated 526.33
    g = grade(k, 2022, "526", rules_from_dict({"basis": "final"}))
    assert g.expected == 540
    assert g.progress_rate == g.final_rate == Fraction(27, 41)
    assert g.grade == "C"


def test_changed_thresholds_change_the_grade():
    k = PLAN.kpi("1-1-1-1")
    assert grade(k, 2022, "520", rules_from_dict({"thresholds": {"B": 70}})).grade == "B"


# --- roll-ups on a small hand-made plan -------------------------------------------------

def _small_plan() -> Plan:
    def k(kid, direction="increase"):
        return Kpi(kid, f"指標{kid}", "件", Decimal(0), 2019, Decimal(100), 2021, direction)

    def measure(mid, n):
        return Measure(mid, f"施策{mid}", "", tuple(k(f"{mid}-{i}") for i in range(1, n + 1)), ())

    s1 = Strategy("1", "戦略1", "", (k("G1-1"), k("G1-2")), (
        Policy("1-1", "方針1-1", "", (measure("1-1-1", 3), measure("1-1-2", 3))),
        Policy("1-2", "方針1-2", "", (measure("1-2-1", 2),)),
    ))
    s2 = Strategy("2", "戦略2", "", (), (Policy("2-1", "方針2-1", "", (measure("2-1-1", 2),)),))
    return Plan("テスト市総合戦略", "テスト市", "", "", 2020, 2021, (s1, s2))


# target 100 in 2021 from 0: the rate is the actual in percent
SMALL_ACTUALS = {
    "1-1-1-1": "100", "1-1-1-2": "120", "1-1-1-3": "80",  # A A B
    "1-1-2-1": "50", "1-1-2-2": "0", "1-1-2-3": None,  # C D －
    "1-2-1-1": "100", "1-2-1-2": "100",  # unsubmitted: － －
    "2-1-1-1": "90", "2-1-1-2": "79.9",  # B C
    "G1-1": "100",  # A, G1-2 missing
}


def _evaluate_small():
    plan = _small_plan()
    actuals = {(kid, 2021): actual(kid, 2021, v) for kid, v in SMALL_ACTUALS.items()}
    actuals[("1-1-1-1", 2020)] = actual("1-1-1-1", 2020, "25")  # half the 2020 share: C
    return evaluate(plan, actuals, 2021, unsubmitted=["1-2-1"])


def test_rollup_measures():
    ev = _evaluate_small()
    m = ev.measures
    assert m["1-1-1"].counts == {"A": 2, "B": 1, "C": 0, "D": 0, UNGRADED: 0}
    assert m["1-1-1"].mean_points == Fraction(11, 3)
    assert m["1-1-1"].grade == "A"
    assert m["1-1-2"].counts == {"A": 0, "B": 0, "C": 1, "D": 1, UNGRADED: 1}
    assert m["1-1-2"].mean_points == Fraction(3, 2)
    assert m["1-1-2"].grade == "C"  # exactly on the 1.5 band
    assert m["1-2-1"].counts[UNGRADED] == 2
    assert m["1-2-1"].mean_points is None
    assert m["1-2-1"].grade == UNGRADED
    assert m["2-1-1"].mean_points == Fraction(5, 2)
    assert m["2-1-1"].grade == "B"  # exactly on the 2.5 band


def test_rollup_policies_strategies_total():
    ev = _evaluate_small()
    assert ev.policies["1-1"].counts == {"A": 2, "B": 1, "C": 1, "D": 1, UNGRADED: 1}
    assert ev.policies["1-1"].mean_points == Fraction(14, 5)
    assert ev.policies["1-2"].graded == 0
    assert ev.strategies["1"].counts == {"A": 2, "B": 1, "C": 1, "D": 1, UNGRADED: 3}
    assert ev.strategies["1"].mean_points == Fraction(14, 5)
    assert ev.strategies["2"].counts == {"A": 0, "B": 1, "C": 1, "D": 0, UNGRADED: 0}
    assert ev.total.counts == {"A": 2, "B": 2, "C": 2, "D": 1, UNGRADED: 3}
    assert ev.total.graded == 7
    assert ev.total.mean_points == Fraction(19, 7)
    assert ev.total.grade == "B"
    assert list(ev.total.counts) == ["A", "B", "C", "D", UNGRADED]
    assert format_points(ev.total.mean_points) == "2.71"


def test_goal_indicators_are_separate():
    ev = _evaluate_small()
    assert list(ev.goals) == ["G1-1", "G1-2"]
    assert ev.goals["G1-1"].measure_id is None
    assert ev.goal_total.counts == {"A": 1, "B": 0, "C": 0, "D": 0, UNGRADED: 1}
    assert ev.goal_total.mean_points == 4
    assert sum(ev.total.counts.values()) == 10  # the KPIs only


def test_unsubmitted_measure_is_ungraded_never_d():
    ev = _evaluate_small()
    for kid in ("1-2-1-1", "1-2-1-2"):
        assert (ev.kpis[kid].current.grade, ev.kpis[kid].current.reason) == (UNGRADED, "未提出")
    assert ev.total.counts["D"] == 1


def test_every_year_is_graded_and_the_move_is_known():
    ev = _evaluate_small()
    r = ev.kpis["1-1-1-1"]
    assert list(r.by_year) == [2020, 2021]
    assert r.previous is not None and r.previous.grade == "C"
    assert r.previous.expected == 50
    assert r.current.grade == "A"
    assert r.trend == "up"
    assert ev.kpis["1-1-1-2"].previous.reason == "実績値が未入力"
    assert ev.kpis["1-1-1-2"].trend is None
    assert ev.rollups_by_year[2020].total.counts["C"] == 1
    assert ev.rollups_by_year[2021].total == ev.total


def test_shipped_plan_without_actuals():
    ev = evaluate(PLAN, {}, 2023)
    assert list(ev.kpis) == [k.id for k in PLAN.kpis]
    assert len(ev.kpis) == 78 and len(ev.goals) == 7
    assert ev.total.counts[UNGRADED] == 78 and ev.total.graded == 0
    assert ev.total.mean_points is None and ev.total.grade == UNGRADED
    assert ev.goal_total.counts[UNGRADED] == 7
    assert list(ev.kpis["1-1-1-1"].by_year) == [2020, 2021, 2022, 2023]
    assert ev.kpis["1-1-1-1"].measure_id == "1-1-1"


def test_year_outside_the_plan_is_refused():
    with pytest.raises(UsageError, match="計画期間"):
        evaluate(PLAN, {}, 2025)
    with pytest.raises(UsageError):
        evaluate(PLAN, {}, 2019)


# --- display -------------------------------------------------------------------------------

def test_format_rate_rounds_half_up():
    assert format_rate(Fraction(7685, 10000)) == "76.9%"
    assert format_rate(Fraction(7675, 10000)) == "76.8%"
    assert format_rate(Fraction(2, 3)) == "66.7%"
    assert format_rate(Fraction(-1, 10**6)) == "0.0%"
    assert format_rate(Fraction(-5, 10000)) == "-0.1%"
    assert format_rate(None) == "－"


# --- properties ------------------------------------------------------------------------------

RANK = {"A": 0, "B": 1, "C": 2, "D": 3}
values = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
years = st.integers(min_value=2019, max_value=2026)
all_rules = st.sampled_from([rules_from_dict({"formula": f, "basis": b})
                             for f in ("progress", "ratio") for b in ("prorated", "final")])


@settings(max_examples=300, deadline=None)
@given(b=values, t=values, a1=values, a2=values, year=years, rules=all_rules,
       direction=st.sampled_from(["increase", "decrease", "maintain"]))
def test_a_better_actual_never_gets_a_worse_grade(b, t, a1, a2, year, rules, direction):
    if direction != "maintain" and b == t:
        return
    if direction == "increase":
        b, t = min(b, t), max(b, t)
    elif direction == "decrease":
        b, t = max(b, t), min(b, t)
    k = kpi(str(b), str(t), direction)
    worse, better = sorted([a1, a2], reverse=direction == "decrease")
    g_worse, g_better = grade(k, year, worse, rules), grade(k, year, better, rules)
    assert g_worse.grade in RANK and g_better.grade in RANK
    assert RANK[g_better.grade] <= RANK[g_worse.grade]


@settings(max_examples=300, deadline=None)
@given(b=st.one_of(st.none(), values), t=values, a=values, year=years, rules=all_rules,
       direction=st.sampled_from(["increase", "decrease", "maintain"]))
def test_scaling_the_unit_changes_nothing(b, t, a, year, rules, direction):
    small = kpi(None if b is None else str(b), str(t), direction)
    big = kpi(None if b is None else str(b * 1000), str(t * 1000), direction)
    g_small, g_big = grade(small, year, a, rules), grade(big, year, a * 1000, rules)
    assert (g_small.grade, g_small.reason) == (g_big.grade, g_big.reason)
    assert g_small.progress_rate == g_big.progress_rate
    assert g_small.final_rate == g_big.final_rate


@settings(max_examples=300, deadline=None)
@given(b=values, delta=values, a=values, year=years,
       basis=st.sampled_from(["prorated", "final"]))
def test_increase_and_decrease_are_mirror_images(b, delta, a, year, basis):
    rules = rules_from_dict({"basis": basis})
    up = grade(kpi(str(b), str(b + delta)), year, a, rules)
    down = grade(kpi(str(b), str(b - delta), "decrease"), year, 2 * b - a, rules)
    assert up.grade == down.grade
    assert up.progress_rate == down.progress_rate
    assert up.final_rate == down.final_rate
    assert up.expected == 2 * Fraction(b) - down.expected
