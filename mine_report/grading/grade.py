"""The grading engine: every KPI and goal indicator graded by the scheme in force (A–D by
default, see mine_report.grading.schemes) for each plan year up to the evaluation year, and the
roll-ups per measure, policy, strategy and plan.

Pure: no I/O. Every number is taken as the decimal a person typed and computed with
Fractions, so a rate exactly on a boundary gets the grade the rules say. The outputs
(merged workbook, JSON/CSV, PDF) read these results and never recompute them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from mine_report.common.fiscal import check_plan_year
from mine_report.common.messages import text
from mine_report.grading.config import Rules, default_rules
from mine_report.grading.schemes import Scheme
from mine_report.plan.model import Actual, Kpi, Plan, Source


@dataclass(frozen=True)
class KpiGrade:
    """One KPI (or goal indicator) in one fiscal year.

    Rates are exact fractions of 1 (0.768…, not 76.8). expected is the value the actual is
    compared with (the prorated or final target; the target for maintain KPIs); it is
    None when the year is not after the baseline year. grade is the key the scheme names
    ("A", "S", "①" …) or its ungraded mark; reason says in Japanese why a KPI is
    ungraded, and is "" when it is graded.
    """

    kpi: Kpi
    year: int
    actual: Decimal | None
    expected: Fraction | None
    progress_rate: Fraction | None
    final_rate: Fraction | None
    grade: str
    reason: str
    actual_source: Source | None

    @property
    def graded(self) -> bool:
        return not self.reason


@dataclass(frozen=True)
class KpiResult:
    """A KPI's grades for every plan year from the plan's start up to the evaluation year."""

    kpi: Kpi
    measure_id: str | None  # None for goal indicators
    by_year: dict[int, KpiGrade]
    scheme: Scheme  # the scheme the KPI was graded by

    @property
    def current(self) -> KpiGrade:
        """The grade in the evaluation year (the last year graded)."""
        return self.by_year[max(self.by_year)]

    @property
    def previous(self) -> KpiGrade | None:
        """The grade in the year before the evaluation year, if that is a plan year."""
        return self.by_year.get(max(self.by_year) - 1)

    @property
    def trend(self) -> str | None:
        """"up", "down" or "same" from the previous year's grade; None when either is 「－」."""
        prev = self.previous
        if prev is None or not prev.graded or not self.current.graded:
            return None
        now, before = self.scheme.rank(self.current.grade), self.scheme.rank(prev.grade)
        return "same" if now == before else ("up" if now < before else "down")


@dataclass(frozen=True)
class Rollup:
    """Grade counts and mean points over a group of KPIs (a measure, policy, strategy …)."""

    counts: dict[str, int]  # every grade of the scheme, then its ungraded mark, in that order
    mean_points: Fraction | None  # None when nothing is graded
    grade: str  # from the scheme's roll-up rule
    graded: int  # how many KPIs were graded (the denominator of every mean and share)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Rollups:
    """All roll-ups of one fiscal year."""

    measures: dict[str, Rollup]
    policies: dict[str, Rollup]
    strategies: dict[str, Rollup]
    total: Rollup
    goal_total: Rollup


@dataclass(frozen=True)
class Evaluation:
    """The whole plan graded for one evaluation year (what every output reads)."""

    plan: Plan
    year: int
    rules: Rules
    kpis: dict[str, KpiResult]  # plan order
    goals: dict[str, KpiResult]  # goal indicators, never mixed into the KPI counts
    measures: dict[str, Rollup]
    policies: dict[str, Rollup]
    strategies: dict[str, Rollup]
    total: Rollup
    goal_total: Rollup
    #: The roll-ups of every graded year (the evaluation year's equal the fields above).
    rollups_by_year: dict[int, Rollups]

    @property
    def scheme(self) -> Scheme:
        """The scheme in force: its grades, colours and words are what the outputs show."""
        return self.rules.scheme

    @property
    def years(self) -> list[int]:
        """The fiscal years graded, from the plan's start to the evaluation year."""
        return list(self.rollups_by_year)


# --- one KPI ------------------------------------------------------------------------------


def to_fraction(value: Decimal | Fraction | int | float | str) -> Fraction:
    """A number as the exact decimal a person typed (a float via its shortest repr)."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        return Fraction(Decimal(value))
    return Fraction(value)


def _as_decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)


def expected_value(kpi: Kpi, year: int, scheme: Scheme, plan_start: int | None = None) -> Fraction:
    """The value the actual of `year` is compared with under the scheme (see schemes.BASES).

    plan_start is the plan's first year (for shares per plan year); by default the year
    after the KPI's baseline year.
    """
    b = to_fraction(kpi.baseline) if kpi.baseline is not None else Fraction(0)
    return scheme.expected(b, to_fraction(kpi.target), year, kpi.direction,
                           (kpi.baseline_year, kpi.target_year),
                           plan_start if plan_start is not None else kpi.baseline_year + 1)


def grade_kpi(kpi: Kpi, year: int, actual: Actual | None, rules: Rules | Scheme, *,
              unsubmitted: bool = False, plan_start: int | None = None) -> KpiGrade:
    """Grade one KPI (or goal indicator) for one fiscal year.

    Ungraded (the scheme's mark with a reason) when the measure was not submitted, the
    year is not after the baseline year, the actual is missing or marked not measured,
    or a rate the bands need cannot be computed (target equal to baseline, zero target …).
    A cumulative KPI is graded on the year's reported (cumulative) value, never a sum.
    The plan values are those in force for `year` (Kpi.in_force: revisions applied).
    """
    kpi = kpi.in_force(year)
    scheme = rules.scheme_for(kpi) if isinstance(rules, Rules) else rules
    value = actual.value if actual is not None else None
    source = actual.source if actual is not None else None
    decimal_value = _as_decimal(value) if value is not None else None

    def ungraded(reason: str, expected: Fraction | None = None,
                 final_rate: Fraction | None = None) -> KpiGrade:
        return KpiGrade(kpi, year, decimal_value, expected, None, final_rate,
                        scheme.ungraded.key, reason, source)

    if unsubmitted:
        return ungraded(text("C301"))
    if year <= kpi.baseline_year:
        return ungraded(text("C305", year=kpi.baseline_year))
    expected = expected_value(kpi, year, scheme, plan_start)
    if actual is not None and actual.pending:
        reason = actual.reason.strip()
        shown = text("C320", reason=reason) if reason and reason != text("C321") else text("C321")
        return ungraded(shown, expected)
    if actual is not None and actual.not_measured:
        reason = actual.reason.strip()
        return ungraded(text("C303", reason=reason) if reason else text("C304"), expected)
    if value is None:
        return ungraded(text("C302"), expected)
    baseline = to_fraction(kpi.baseline) if kpi.baseline is not None else None
    grade, (rate, why), (final_rate, _) = scheme.judge(
        to_fraction(value), baseline, expected, to_fraction(kpi.target), kpi.direction)
    if grade is None:
        return ungraded(why, expected, final_rate)
    return KpiGrade(kpi, year, decimal_value, expected, rate, final_rate, grade, "", source)


# --- roll-ups -------------------------------------------------------------------------------


def rollup(grades: Iterable[str], scheme: Scheme) -> Rollup:
    """Counts, mean points and the roll-up grade of some KPI grades. Ungraded KPIs are
    counted under the mark only: never given points, never in a denominator."""
    counts = dict.fromkeys(scheme.count_keys, 0)
    for grade in grades:
        counts[grade] += 1
    graded = sum(counts[k] for k in scheme.keys)
    mean = (sum((g.points * counts[g.key] for g in scheme.grades), Fraction(0)) / graded
            if graded else None)
    return Rollup(counts, mean, scheme.rollup_grade(counts, mean), graded)


def _rollups(plan: Plan, kpis: Mapping[str, KpiResult], goals: Mapping[str, KpiResult],
             year: int, scheme: Scheme) -> Rollups:
    def grades(items: Iterable[Kpi], results: Mapping[str, KpiResult]) -> list[str]:
        return [results[k.id].by_year[year].grade for k in items]

    measures = {m.id: rollup(grades(m.kpis, kpis), scheme) for m in plan.measures}
    # a policy rolls up its whole subtree (a plan of four or five levels nests them)
    policies = {p.id: rollup(grades((k for m in plan.measures_under(p.id) for k in m.kpis),
                                    kpis), scheme)
                for p in plan.policies}
    strategies = {s.id: rollup(grades((k for m in s.measures for k in m.kpis), kpis), scheme)
                  for s in plan.strategies}
    return Rollups(measures, policies, strategies,
                   total=rollup(grades(plan.kpis, kpis), scheme),
                   goal_total=rollup(grades(plan.goal_indicators, goals), scheme))


# --- the whole plan ---------------------------------------------------------------------------


def evaluate(plan: Plan, actuals: Mapping[tuple[str, int], Actual], year: int,
             rules: Rules | None = None, *, unsubmitted: Collection[str] = ()) -> Evaluation:
    """Grade every KPI and goal indicator of the plan for each year from the plan's start
    up to `year`, and roll the grades up.

    actuals are keyed by (KPI or goal-indicator id, fiscal year); unsubmitted holds the
    ids of measures no workbook filled, whose KPIs are ungraded (未提出) in every year.
    Raises UsageError when `year` is outside the plan period, ConfigError when a plan
    KPI names a scheme the rules do not know.
    """
    check_plan_year(year, plan.period_start, plan.period_end)
    rules = rules or default_rules()
    rules.check_plan(plan)
    missing = set(unsubmitted)
    years = range(plan.period_start, year + 1)

    def result(kpi: Kpi, measure_id: str | None) -> KpiResult:
        blocked = measure_id in missing
        scheme = rules.scheme_for(kpi)
        # the plan values shown with the result are those in force for the evaluated year
        return KpiResult(kpi.in_force(year), measure_id, {
            y: grade_kpi(kpi, y, actuals.get((kpi.id, y)), scheme, unsubmitted=blocked,
                         plan_start=plan.period_start)
            for y in years}, scheme)

    kpis = {k.id: result(k, m.id) for m in plan.measures for k in m.kpis}
    goals = {g.id: result(g, None) for g in plan.goal_indicators}
    by_year = {y: _rollups(plan, kpis, goals, y, rules.scheme) for y in years}
    now = by_year[year]
    return Evaluation(plan, year, rules, kpis, goals, now.measures, now.policies,
                      now.strategies, now.total, now.goal_total, by_year)
