"""Values that parse but look wrong: a past year's value that differs from what the
previous round recorded (511 became 611, and its grade went from C to A), and a value
far out of line with the KPI's plan values and its other years (1,234 千人 against a
baseline of 499).

Both are warnings on the cell, for the planning division to confirm with the department;
neither blocks a build. The previous round is what `template --prefill` reads
(intake.prefill.load_prefill_source: a kpi_results.json, a returned workbook or a folder).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.numbers import format_number, written_text
from mine_report.plan.model import Actual, Plan, Problem, Submission
from mine_report.workbook.layout import GOALS_ID
from mine_report.workbook.template import PrefillValues

#: A value more than this many times the largest of the KPI's baseline, target, other
#: years and previous round is reported (W502). Only values far above: a value far below
#: is too often real (visitors in 令和2年度) to warn about.
DEFAULT_JUMP_FACTOR = Decimal(2)


def _actuals(sub: Submission) -> Iterable[tuple[str, Actual]]:
    """(measure id or GOALS_ID, actual) of every actual of a submission."""
    for report in sub.measures:
        for a in report.actuals:
            yield report.measure_id, a
    for a in sub.goal_actuals:
        yield GOALS_ID, a


def changed_past_values(sub: Submission, previous: PrefillValues, make_problem) -> list[Problem]:
    """W501 for each actual whose year the previous round recorded with another value."""
    problems = []
    for measure_id, a in _actuals(sub):
        before = previous.get((a.kpi_id, a.year))
        if not isinstance(before, Decimal):
            continue  # not known then (or 未把握): a value now is news, not a change
        now = a.value if a.value is not None else None
        if now == before:
            continue
        problems.append(make_problem(
            "W501", a.source.file, sheet=a.source.sheet, cell=a.source.cell, kpi=a.kpi_id,
            measure_id=measure_id,
            value=written_text(now) if now is not None else "未把握",
            what=f"{format_fiscal_year(a.year)}の実績値", before=written_text(before)))
    return problems


def implausible_values(sub: Submission, plan: Plan, previous: PrefillValues,
                       factor: Decimal, make_problem) -> list[Problem]:
    """W502 for each value more than `factor` times anything else known of its KPI."""
    if factor <= 1:
        return []
    by_kpi: dict[str, list[Actual]] = {}
    measure_of: dict[str, str] = {}
    for measure_id, a in _actuals(sub):
        if a.value is not None:
            by_kpi.setdefault(a.kpi_id, []).append(a)
            measure_of[a.kpi_id] = measure_id
    problems = []
    for kpi_id, actuals in by_kpi.items():
        kpi = plan.get(kpi_id)
        plan_values = [v for v in (getattr(kpi, "baseline", None), getattr(kpi, "target", None))
                       if v is not None]
        earlier = [v for (k, _y), v in previous.items() if k == kpi_id and isinstance(v, Decimal)]
        for a in actuals:
            others = [o.value for o in actuals if o is not a and o.value is not None]
            known = [v for v in [*plan_values, *earlier, *others] if v > 0]
            if not known or a.value is None or a.value <= 0:
                continue
            bound = max(known)
            if a.value <= bound * factor:
                continue
            problems.append(make_problem(
                "W502", a.source.file, sheet=a.source.sheet, cell=a.source.cell, kpi=kpi_id,
                measure_id=measure_of[kpi_id],
                value=written_text(a.value), what=f"{format_fiscal_year(a.year)}の実績値",
                ratio=format_number(a.value / bound, 1), bound=written_text(bound),
                factor=written_text(factor)))
    return problems
