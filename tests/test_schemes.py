"""The scheme registry: every built-in scheme is monotone in the actual and mirrored for
decrease KPIs (hypothesis), exact on its edges, and loads back from its example config;
config keys for new grade lists, roll-ups, tolerance and per-KPI rules (config and plan)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mine_report.cli import cli
from mine_report.common.errors import ConfigError
from mine_report.grading.config import Rules, load_rules, rules_from_dict
from mine_report.grading.grade import evaluate, grade_kpi
from mine_report.grading.schemes import BUILTIN, builtin
from mine_report.plan.model import Actual, Kpi, Measure, Plan, Policy, Source, Strategy

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "grading"
SOURCE = Source("a.xlsx", "1-1-1", "J8")
NAMES = list(BUILTIN)


def kpi(baseline, target, direction="increase", kpi_id="9-9-9-1", unit="件", grading=""):
    return Kpi(kpi_id, "テスト指標", unit, None if baseline is None else Decimal(baseline),
               2018, Decimal(target), 2024, direction, grading=grading)


def grade(k: Kpi, year: int, value, scheme_or_rules):
    return grade_kpi(k, year, Actual(k.id, year, Decimal(value), SOURCE), scheme_or_rules,
                     plan_start=2020)


def codes(exc) -> list[tuple[str, str]]:
    return [(p.code, p.path) for p in exc.value.problems]


# --- properties of every built-in scheme ------------------------------------------------------

values = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
years = st.integers(min_value=2019, max_value=2026)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(NAMES), b=values, t=values, a1=values, a2=values, year=years,
       direction=st.sampled_from(["increase", "decrease", "maintain"]))
def test_a_better_actual_never_gets_a_worse_grade(name, b, t, a1, a2, year, direction):
    scheme = builtin(name)
    if direction == "increase":
        b, t = min(b, t), max(b, t)
    elif direction == "decrease":
        b, t = max(b, t), min(b, t)
    k = kpi(str(b), str(t), direction)
    worse, better = sorted([a1, a2], reverse=direction == "decrease")
    g_worse, g_better = grade(k, year, worse, scheme), grade(k, year, better, scheme)
    if g_worse.graded and g_better.graded:
        assert scheme.rank(g_better.grade) <= scheme.rank(g_worse.grade)
    else:  # only a rate that cannot be computed leaves a KPI ungraded, never a low grade
        for g in (g_worse, g_better):
            assert g.graded or (g.grade == scheme.ungraded.key and g.reason)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(["mine", "nagayo", "tama", "ino"]), b=values, delta=values,
       a=values, year=years)
def test_decrease_is_the_mirror_image_about_the_baseline(name, b, delta, a, year):
    """Rates from the baseline: a fall of x from the baseline is graded as a rise of x."""
    scheme = builtin(name)
    if not (delta < b and a < 2 * b):  # keep the mirrored values positive
        return
    up = grade(kpi(str(b), str(b + delta)), year, a, scheme)
    down = grade(kpi(str(b), str(b - delta), "decrease"), year, 2 * b - a, scheme)
    assert (up.grade, up.reason) == (down.grade, down.reason)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(["osaka-library", "mine"]), t=values, a=values, year=years)
def test_decrease_is_the_mirror_image_of_the_ratio(name, t, a, year):
    """actual ÷ target for increase is target ÷ actual for decrease: swap the two."""
    scheme = builtin(name) if name != "mine" else rules_from_dict(
        {"formula": "ratio", "basis": "final"}).scheme
    up = grade(kpi(None, str(t)), year, a, scheme)
    down = grade(kpi(None, str(a), "decrease"), year, t, scheme)
    assert up.grade == down.grade
    assert up.progress_rate == down.progress_rate


@pytest.mark.parametrize(("name", "edge", "grade_on", "grade_below"), [
    ("mine", "180", "B", "C"),  # 80 % progress from 100 to 200
    ("nagayo", "90", "B", "C"),  # 10 % below the baseline of 100
    ("ino", "200", "○", "△"),
    ("osaka-library", "160", "B", "C"),  # 80 % of 200
])
def test_a_value_on_the_edge_takes_the_upper_grade(name, edge, grade_on, grade_below):
    scheme = builtin(name)
    k = kpi("100", "200")
    assert grade(k, 2024, edge, scheme).grade == grade_on
    below = str(Decimal(edge) - Decimal("0.0001"))
    assert grade(k, 2024, below, scheme).grade == grade_below


@pytest.mark.parametrize("name", ["nagayo", "tama", "ino", "osaka-library"])
def test_example_config_is_the_registry_scheme(name):
    rules = load_rules(EXAMPLES / f"{name}.toml")
    assert rules == Rules(builtin(name))
    text = (EXAMPLES / f"{name}.toml").read_text(encoding="utf-8")
    assert text.startswith("# ")  # the header citing the municipality's rule
    assert f"mine-report build --config examples/grading/{name}.toml" in text


def test_cumulative_kpi_is_graded_on_the_years_value_not_a_sum():
    k = Kpi("9-9-9-1", "累計の指標", "件", Decimal(0), 2019, Decimal(100), 2024, "increase",
            cumulative=True)
    scheme = builtin("mine")
    g = grade(k, 2021, "40", scheme)  # 40 of the 40 expected by 2021: on track
    assert (g.actual, g.progress_rate, g.grade) == (Decimal(40), Fraction(1), "A")


# --- config: grades, roll-ups, tolerance ---------------------------------------------------------

def test_a_new_grade_list_of_five(tmp_path):
    rules = rules_from_dict({
        "grade_keys": ["S", "A", "B", "C", "D"],
        "thresholds": {"S": 120, "A": 100, "B": 80, "C_above": 0},
        "grades": {k: {"label": f"区分{k}", "points": p}
                   for k, p in zip("SABCD", (5, 4, 3, 2, 1), strict=True)},
    })
    s = rules.scheme
    assert s.keys == ("S", "A", "B", "C", "D")
    assert len({g.colour for g in s.grades}) == 5
    assert [b for _, b in s.rollup.bands] == [Fraction(9, 2), Fraction(7, 2), Fraction(5, 2),
                                             Fraction(3, 2)]
    k = kpi("100", "200")
    assert [grade(k, 2024, v, rules).grade for v in ("220", "219.99", "200", "100")] == [
        "S", "A", "A", "D"]
    assert s.maintain.bands == s.main.bands  # not given: the same bands


@pytest.mark.parametrize("keys", [["A", "B"], ["A", "B", "C", "D", "E", "F", "G", "H"],
                                  ["A", "A", "B"], ["A", "", "B"], "ABC"])
def test_three_to_seven_distinct_grades(keys):
    with pytest.raises(ConfigError) as exc:
        rules_from_dict({"grade_keys": keys})
    assert ("C111", "grade_keys") in codes(exc)


def test_new_grades_need_labels_points_and_good_colours():
    with pytest.raises(ConfigError) as exc:
        rules_from_dict({"grade_keys": ["X", "Y", "Z"], "thresholds": {"X": 100},
                         "grades": {"X": {"label": "x", "points": 3, "colour": "red"},
                                    "Y": {"points": 2}, "Z": {"label": "z"}}})
    assert codes(exc) == [("C113", "grades.X.colour"), ("C120", "grades.Y"),
                          ("C120", "grades.Z")]


def _plan(directions=("increase",) * 4) -> Plan:
    kpis = tuple(Kpi(f"1-1-1-{i}", f"指標{i}", "件", Decimal(0), 2019, Decimal(100), 2021, d)
                 for i, d in enumerate(directions, start=1))
    return Plan("テスト", "テスト町", "", "", 2020, 2021, (Strategy("1", "戦略", "", (), (
        Policy("1-1", "方針", "", (Measure("1-1-1", "施策", "", kpis, ()),)),)),))


def _actuals(*values):
    return {(f"1-1-1-{i}", 2021): Actual(f"1-1-1-{i}", 2021,
                                          None if v is None else Decimal(v), SOURCE)
            for i, v in enumerate(values, start=1)}


@pytest.mark.parametrize(("rollup", "measure_grade", "expected"), [
    ({"method": "mean"}, {}, "B"),  # (4 + 3 + 1) / 3 = 2.67
    ({"method": "share", "level": "B"}, {"A": 80, "B": 60, "C": 30}, "B"),  # 2 of 3
    ({"method": "share", "level": "A"}, {"A": 80, "B": 60, "C": 30}, "C"),  # 1 of 3
    ({"method": "worst"}, {}, "D"),
])
def test_rollup_methods_leave_the_ungraded_out(rollup, measure_grade, expected):
    rules = rules_from_dict({"rollup": rollup, "measure_grade": measure_grade})
    ev = evaluate(_plan(), _actuals("100", "80", "0", None), 2021, rules)
    assert [r.current.grade for r in ev.kpis.values()] == ["A", "B", "D", "－"]
    m = ev.measures["1-1-1"]
    assert (m.graded, m.counts["－"]) == (3, 1)
    assert m.mean_points == Fraction(8, 3)
    assert m.grade == expected


def test_share_rollup_needs_a_level_and_bands():
    with pytest.raises(ConfigError) as exc:
        rules_from_dict({"rollup": {"method": "share"}})
    assert codes(exc) == [("C112", "rollup.level"), ("C118", "measure_grade")]
    with pytest.raises(ConfigError) as exc:
        rules_from_dict({"rollup": {"method": "best", "level": "E"}})
    assert codes(exc) == [("C114", "rollup.method"), ("C112", "rollup.level")]


def test_maintain_tolerance_counts_a_small_shortfall_as_held():
    rules = rules_from_dict({"maintain_tolerance": 3})
    k = kpi("60", "60", "maintain")
    assert grade(k, 2022, "57", rules).grade == "A"  # 3 points short: held
    assert grade(k, 2022, "56.99", rules).grade == "B"  # 56.99 / 60 = 95 %
    assert grade(k, 2022, "57", rules_from_dict({})).grade == "B"


# --- per-KPI rules ---------------------------------------------------------------------------

def test_per_kpi_rules_by_id_and_unit_first_match_wins():
    rules = rules_from_dict({
        "schemes": {"survey": {"name": "調査指標", "maintain_tolerance": 3}},
        "kpis": [{"ids": ["1-1-*"], "unit": "%", "scheme": "survey"},
                 {"ids": ["1-1-1-2"], "scheme": "osaka-library"},
                 {"ids": ["2-*"], "thresholds": {"B": 50}}],
    })
    survey = kpi("60", "60", "maintain", kpi_id="1-1-1-1", unit="%")
    assert grade(survey, 2022, "57", rules).grade == "A"
    library = kpi("100", "200", kpi_id="1-1-1-2")
    assert grade(library, 2024, "160", rules).grade == "B"  # 80 % of the target
    own = kpi("100", "200", kpi_id="2-1-1-1")
    assert grade(own, 2024, "150", rules).grade == "B"  # 50 % progress, own band
    other = kpi("100", "200", kpi_id="3-1-1-1")
    assert grade(other, 2024, "150", rules).grade == "C"
    words = "\n".join(rules.describe())
    assert "KPI 1-1-* のうち単位が % のもの" in words and "調査指標" in words
    assert "その差が 3（指標の単位）以内" in words


def test_per_kpi_rules_round_trip_through_toml(tmp_path):
    rules = rules_from_dict({"schemes": {"s": {"basis": "final"}},
                             "kpis": [{"ids": ["1-*"], "scheme": "s"}]})
    path = tmp_path / "effective.toml"
    path.write_text(rules.to_toml(), encoding="utf-8")
    assert load_rules(path) == rules


def test_a_scheme_with_other_grades_cannot_serve_some_kpis():
    with pytest.raises(ConfigError) as exc:
        rules_from_dict({"kpis": [{"ids": ["1-*"], "scheme": "tama"}, {"scheme": "mine"},
                                  {"ids": ["2-*"], "scheme": "nowhere"}]})
    assert codes(exc) == [("C122", "kpis[0].scheme"), ("C121", "kpis[1].ids"),
                          ("C116", "kpis[2].scheme")]


def test_the_plan_can_name_a_scheme_for_a_kpi():
    rules = rules_from_dict({"schemes": {"survey": {"maintain_tolerance": 3}}})
    k = kpi("60", "60", "maintain", grading="survey")
    assert grade(k, 2022, "57", rules).grade == "A"
    library = kpi("100", "200", grading="osaka-library")
    assert grade(library, 2024, "160", rules).grade == "B"
    plan = _plan()
    bad = Plan(plan.title, plan.municipality, "", "", 2020, 2021, (Strategy("1", "戦略", "", (
        kpi("1", "2", kpi_id="G1-1", grading="nowhere"),), plan.strategies[0].policies),))
    with pytest.raises(ConfigError) as exc:
        evaluate(bad, {}, 2021, rules)
    assert codes(exc) == [("C119", "G1-1.grading")]


def test_config_show_prints_an_example_scheme():
    result = CliRunner().invoke(cli, ["config", "--show", "--config",
                                      str(EXAMPLES / "nagayo.toml")])
    assert result.exit_code == 0, result.output
    assert "・評価の方式: 長与町方式（基準値・目標値との比較）" in result.output
    assert "  S  目標を上回った: 達成率が100%超" in result.output
    assert "  −  評価不能:" in result.output
