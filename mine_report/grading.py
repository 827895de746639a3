"""The grading engine: every KPI and goal indicator graded A–D (or 「－」) for each plan
year up to the evaluation year, and the roll-ups per measure, policy, strategy and plan.

Pure: no I/O. Every number is taken as the decimal a person typed and computed with
Fractions, so a rate exactly on a boundary gets the grade the rules say. The outputs
(merged workbook, JSON/CSV, PDF) read these results and never recompute them.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from mine_report.config import Rules, default_rules
from mine_report.errors import UsageError
from mine_report.messages import text
from mine_report.model import Actual, Kpi, Plan, Source

UNGRADED = "－"
GRADES = ("A", "B", "C", "D")
#: Key order of every Rollup.counts.
COUNT_KEYS = (*GRADES, UNGRADED)


@dataclass(frozen=True)
class KpiGrade:
    """One KPI (or goal indicator) in one fiscal year.

    Rates are exact fractions of 1 (0.768…, not 76.8). expected is the value the actual is
    compared with (the prorated or final target; the target for maintain KPIs); it is
    None when the year is not after the baseline year. reason says in Japanese why a KPI
    is ungraded, and is "" when it is graded.
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
        return self.grade != UNGRADED


@dataclass(frozen=True)
class KpiResult:
    """A KPI's grades for every plan year from the plan's start up to the evaluation year."""

    kpi: Kpi
    measure_id: str | None  # None for goal indicators
    by_year: dict[int, KpiGrade]

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
        now, before = GRADES.index(self.current.grade), GRADES.index(prev.grade)
        return "same" if now == before else ("up" if now < before else "down")


@dataclass(frozen=True)
class Rollup:
    """Grade counts and mean points over a group of KPIs (a measure, policy, strategy …)."""

    counts: dict[str, int]  # keys "A", "B", "C", "D", "－", always all present, in that order
    mean_points: Fraction | None  # None when nothing is graded
    grade: str  # from the measure-grade bands of the rules

    @property
    def graded(self) -> int:
        return sum(self.counts[g] for g in GRADES)

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
    def years(self) -> list[int]:
        """The fiscal years graded, from the plan's start to the evaluation year."""
        return list(self.rollups_by_year)

    def result(self, item_id: str) -> KpiResult:
        """The result of a KPI or goal indicator by id."""
        return self.kpis[item_id] if item_id in self.kpis else self.goals[item_id]


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


def expected_value(kpi: Kpi, year: int, rules: Rules) -> Fraction:
    """The value the actual of `year` is compared with.

    Maintain KPIs and the `final` basis: the target. Otherwise the target spread evenly
    from the baseline year to the target year (the target itself from the target year on).
    """
    b = to_fraction(kpi.baseline) if kpi.baseline is not None else Fraction(0)
    t = to_fraction(kpi.target)
    if kpi.direction == "maintain" or rules.basis == "final" or year >= kpi.target_year:
        return t
    return b + (t - b) * Fraction(year - kpi.baseline_year, kpi.target_year - kpi.baseline_year)


def _rate(kpi: Kpi, a: Fraction, goal: Fraction, rules: Rules) -> tuple[Fraction | None, str]:
    """The rate of actual a against goal (expected or final target), or None and why not."""
    b = to_fraction(kpi.baseline) if kpi.baseline is not None else Fraction(0)
    if kpi.direction == "maintain":
        if goal == 0:
            return None, text("C307")
        return a / goal, ""
    if rules.formula == "progress":
        if goal == b:
            return None, text("C306")
        return (a - b) / (goal - b), ""
    if kpi.direction == "increase":
        if goal == 0:
            return None, text("C308")
        return a / goal, ""
    # decrease under the simple ratio: lower is better, so the ratio is turned over
    if a <= 0:
        return None, text("C309")
    return goal / a, ""


def grade_for_rate(rate: Fraction, direction: str, rules: Rules) -> str:
    """The grade A–D a rate earns under the rules (maintain KPIs have their own bands)."""
    if direction == "maintain":
        bands = (rules.maintain_a_min, rules.maintain_b_min, rules.maintain_c_min)
        for grade, low in zip(GRADES, bands, strict=False):
            if rate >= low:
                return grade
        return "D"
    if rate >= rules.a_min:
        return "A"
    if rate >= rules.b_min:
        return "B"
    # "no better than the baseline" is D, so the C band starts just above c_above
    if rate > rules.c_above:
        return "C"
    return "D"


def grade_kpi(kpi: Kpi, year: int, actual: Actual | None, rules: Rules, *,
              unsubmitted: bool = False) -> KpiGrade:
    """Grade one KPI (or goal indicator) for one fiscal year.

    Ungraded (「－」 with a reason) when the measure was not submitted, the year is not
    after the baseline year, the actual is missing or marked not measured, or the rate
    cannot be computed (target equal to baseline, zero target …).
    """
    value = actual.value if actual is not None else None
    source = actual.source if actual is not None else None
    decimal_value = _as_decimal(value) if value is not None else None

    def ungraded(reason: str, expected: Fraction | None = None) -> KpiGrade:
        return KpiGrade(kpi, year, decimal_value, expected, None, None, UNGRADED, reason, source)

    if unsubmitted:
        return ungraded(text("C301"))
    if year <= kpi.baseline_year:
        return ungraded(text("C305", year=kpi.baseline_year))
    expected = expected_value(kpi, year, rules)
    if actual is not None and actual.not_measured:
        reason = actual.reason.strip()
        return ungraded(text("C303", reason=reason) if reason else text("C304"), expected)
    if value is None:
        return ungraded(text("C302"), expected)
    a = to_fraction(value)
    progress_rate, why = _rate(kpi, a, expected, rules)
    final_rate, _ = _rate(kpi, a, to_fraction(kpi.target), rules)
    if progress_rate is None:
        return KpiGrade(kpi, year, decimal_value, expected, None, final_rate, UNGRADED, why,
                        source)
    return KpiGrade(kpi, year, decimal_value, expected, progress_rate, final_rate,
                    grade_for_rate(progress_rate, kpi.direction, rules), "", source)


# --- roll-ups -------------------------------------------------------------------------------


def measure_grade(mean_points: Fraction | None, rules: Rules) -> str:
    """A measure's grade from its mean points (「－」 when nothing is graded)."""
    if mean_points is None:
        return UNGRADED
    for grade, low in zip(GRADES, (rules.measure_a_min, rules.measure_b_min,
                                   rules.measure_c_min), strict=False):
        if mean_points >= low:
            return grade
    return "D"


def rollup(grades: Iterable[str], rules: Rules) -> Rollup:
    """Counts, mean points (「－」 left out) and the measure-band grade of some KPI grades."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for grade in grades:
        counts[grade] += 1
    graded = sum(counts[g] for g in GRADES)
    mean = (sum((rules.points[g] * counts[g] for g in GRADES), Fraction(0)) / graded
            if graded else None)
    return Rollup(counts, mean, measure_grade(mean, rules))


def _rollups(plan: Plan, kpis: Mapping[str, KpiResult], goals: Mapping[str, KpiResult],
             year: int, rules: Rules) -> Rollups:
    def grades(items: Iterable[Kpi], results: Mapping[str, KpiResult]) -> list[str]:
        return [results[k.id].by_year[year].grade for k in items]

    measures = {m.id: rollup(grades(m.kpis, kpis), rules) for m in plan.measures}
    policies = {p.id: rollup(grades((k for m in p.measures for k in m.kpis), kpis), rules)
                for p in plan.policies}
    strategies = {s.id: rollup(grades((k for m in s.measures for k in m.kpis), kpis), rules)
                  for s in plan.strategies}
    return Rollups(measures, policies, strategies,
                   total=rollup(grades(plan.kpis, kpis), rules),
                   goal_total=rollup(grades(plan.goal_indicators, goals), rules))


# --- the whole plan ---------------------------------------------------------------------------


def evaluate(plan: Plan, actuals: Mapping[tuple[str, int], Actual], year: int,
             rules: Rules | None = None, *, unsubmitted: Collection[str] = ()) -> Evaluation:
    """Grade every KPI and goal indicator of the plan for each year from the plan's start
    up to `year`, and roll the grades up.

    actuals are keyed by (KPI or goal-indicator id, fiscal year); unsubmitted holds the
    ids of measures no workbook filled, whose KPIs are ungraded (未提出) in every year.
    Raises UsageError when `year` is outside the plan period.
    """
    if not plan.period_start <= year <= plan.period_end:
        raise UsageError.of("C201", year=year, start=plan.period_start, end=plan.period_end)
    rules = rules or default_rules()
    missing = set(unsubmitted)
    years = range(plan.period_start, year + 1)

    def result(kpi: Kpi, measure_id: str | None) -> KpiResult:
        blocked = measure_id in missing
        return KpiResult(kpi, measure_id, {
            y: grade_kpi(kpi, y, actuals.get((kpi.id, y)), rules, unsubmitted=blocked)
            for y in years})

    kpis = {k.id: result(k, m.id) for m in plan.measures for k in m.kpis}
    goals = {g.id: result(g, None) for g in plan.goal_indicators}
    by_year = {y: _rollups(plan, kpis, goals, y, rules) for y in years}
    now = by_year[year]
    return Evaluation(plan, year, rules, kpis, goals, now.measures, now.policies,
                      now.strategies, now.total, now.goal_total, by_year)


# --- display ----------------------------------------------------------------------------------


def _round_half_up(value: Fraction, places: int) -> tuple[int, int]:
    """value rounded half away from zero to `places` decimals, as (sign, scaled integer)."""
    scaled = abs(value) * 10**places
    rounded = int(scaled + Fraction(1, 2))
    return (-1 if value < 0 and rounded else 1), rounded


def round_half_up(value: Fraction | Decimal, places: int) -> Decimal:
    """value rounded exactly, half away from zero, to `places` decimals (as the report shows it)."""
    sign, rounded = _round_half_up(Fraction(value), places)
    return Decimal(sign * rounded).scaleb(-places)


def format_number(value: Fraction | Decimal | None, places: int = 2) -> str:
    """A number rounded half-up to `places` decimals ("526.33"); 「－」 for None."""
    if value is None:
        return UNGRADED
    sign, rounded = _round_half_up(Fraction(value), places)
    whole, part = divmod(rounded, 10**places)
    body = f"{whole:,}" + (f".{part:0{places}d}" if places else "")
    return ("-" if sign < 0 else "") + body


def format_rate(rate: Fraction | None) -> str:
    """A rate as a percentage rounded half-up to one decimal ("76.8%"); 「－」 for None."""
    if rate is None:
        return UNGRADED
    return format_number(rate * 100, 1) + "%"


def format_points(points: Fraction | None) -> str:
    """Mean points rounded half-up to two decimals ("3.25"); 「－」 for None."""
    return format_number(points, 2)
