"""Will the final target be met? A KPI's outlook from its actuals, for the report's summary.

Pure: no I/O, reads the engine's KpiResult and never regrades. The method is the one the
report states: a least-squares straight line through the plan years' actuals (the
baseline is not a point: it may be years older and from another survey), read at the
target year. Fewer than MIN_POINTS actuals give no projection, and the report says so.
A target dated before the evaluation year is not projected at all: it was met by its
year or not (a target dated before the plan's end, e.g. 79 by R4).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from mine_report.grading.grade import KpiResult, to_fraction
from mine_report.plan.model import Kpi

#: Actuals a straight line needs before it says anything about the target year.
MIN_POINTS = 3

# Outlook kinds (KpiOutlook.kind).
REACHED = "reached"  # the latest actual already meets the final target
ON_COURSE = "on_course"  # the line reaches the target by the target year
SHORT = "short"  # このままでは目標年度に未達の見込み
TOO_FEW = "too_few"  # fewer than MIN_POINTS actuals
MET_BY_YEAR = "met_by_year"  # a target dated on or before the evaluation year, met then
MISSED_BY_YEAR = "missed_by_year"  # … not met in its year
NO_ACTUAL = "no_actual"  # the target year's actual is missing


@dataclass(frozen=True)
class KpiOutlook:
    """What the actuals say about the final target."""

    kind: str
    projected: Fraction | None  # the line's value at the target year (None: not projected)
    points: int  # actuals the line went through
    latest: Fraction | None  # the latest actual up to the evaluation year
    latest_year: int | None

    @property
    def falls_short(self) -> bool:
        return self.kind in (SHORT, MISSED_BY_YEAR)


def meets(kpi: Kpi, value: Fraction) -> bool:
    """Whether a value meets the KPI's target in the KPI's own direction."""
    target = to_fraction(kpi.target)
    return value <= target if kpi.direction == "decrease" else value >= target


def fit_line(points: list[tuple[int, Fraction]]) -> tuple[Fraction, Fraction]:
    """(slope, intercept) of the least-squares line through (year, value) points, exact."""
    n = len(points)
    mean_x = Fraction(sum(x for x, _ in points), n)
    mean_y = sum((y for _, y in points), Fraction(0)) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx if sxx else Fraction(0)
    return slope, mean_y - slope * mean_x


def outlook(result: KpiResult, plan_start: int) -> KpiOutlook:
    """The outlook of one KPI from its actuals in the plan years up to the evaluation year."""
    kpi = result.kpi
    year = max(result.by_year)
    points = [(y, to_fraction(g.actual)) for y, g in sorted(result.by_year.items())
              if y >= plan_start and g.actual is not None]
    latest_year, latest = points[-1] if points else (None, None)
    if kpi.target_year <= year:  # the target's own year has come: judged, not projected
        own = result.by_year.get(kpi.target_year)
        if own is None or own.actual is None:
            return KpiOutlook(NO_ACTUAL, None, len(points), latest, latest_year)
        kind = MET_BY_YEAR if meets(kpi, to_fraction(own.actual)) else MISSED_BY_YEAR
        return KpiOutlook(kind, None, len(points), latest, latest_year)
    if latest is not None and meets(kpi, latest) and kpi.direction != "maintain":
        return KpiOutlook(REACHED, None, len(points), latest, latest_year)
    if len(points) < MIN_POINTS:
        return KpiOutlook(TOO_FEW, None, len(points), latest, latest_year)
    slope, intercept = fit_line(points)
    projected = slope * kpi.target_year + intercept
    kind = ON_COURSE if meets(kpi, projected) else SHORT
    return KpiOutlook(kind, projected, len(points), latest, latest_year)


# --- the whole period (final evaluation) ------------------------------------------------

IMPROVED, UNCHANGED, WORSENED = "improved", "unchanged", "worsened"


def period_trend(result: KpiResult, plan_start: int) -> str | None:
    """Better, the same or worse over the whole period: the latest actual against the
    baseline (or, without one, the first actual of the plan years), in the KPI's direction.
    None when there is nothing to compare."""
    kpi = result.kpi
    values = [to_fraction(g.actual) for y, g in sorted(result.by_year.items())
              if y >= plan_start and g.actual is not None]
    if not values:
        return None
    start = to_fraction(kpi.baseline) if kpi.baseline is not None else values[0]
    if kpi.baseline is None and len(values) < 2:
        return None
    change = values[-1] - start
    if kpi.direction == "decrease":
        change = -change
    if change == 0:
        return UNCHANGED
    return IMPROVED if change > 0 else WORSENED
