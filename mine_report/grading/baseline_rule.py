"""What a KPI without a baseline (計画書の「—」) is graded against.

Kept apart from the grading engine on purpose: the engine grades a plan as it is given
(a missing baseline counts as 0, which lets e.g. キャッシュレス決済導入店舗割合 score 126 %
for nothing). The committee-facing default here instead hands the engine a plan in which
each such KPI starts from its first reported actual in the plan years, in that year; the
report marks its grades 参考. `zero` keeps the engine's own behaviour.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mine_report.plan.model import Actual, Kpi, Plan

FIRST_ACTUAL = "first-actual"
ZERO = "zero"
#: The choices of `build --missing-baseline`, the default first.
RULES = (FIRST_ACTUAL, ZERO)


def first_actual_year(kpi: Kpi, actuals: Mapping[tuple[str, int], Actual], plan: Plan,
                      year: int) -> int | None:
    """The first plan year up to `year` with a reported value for the KPI."""
    for y in plan.years:
        if y > year:
            break
        a = actuals.get((kpi.id, y))
        if a is not None and a.value is not None and not a.not_measured:
            return y
    return None


def apply_rule(plan: Plan, actuals: Mapping[tuple[str, int], Actual], year: int,
               rule: str = FIRST_ACTUAL) -> tuple[Plan, dict[str, int]]:
    """The plan to grade, and {KPI id: year whose actual became its baseline}.

    Under `zero` (or when no KPI lacks a baseline) the plan itself is returned.
    """
    if rule == ZERO:
        return plan, {}
    substituted: dict[str, int] = {}

    def fix(kpi: Kpi) -> Kpi:
        if kpi.baseline is not None:
            return kpi
        first = first_actual_year(kpi, actuals, plan, year)
        if first is None or first >= kpi.target_year:
            return kpi
        substituted[kpi.id] = first
        return dataclasses.replace(kpi, baseline=actuals[(kpi.id, first)].value,
                                   baseline_year=first)

    strategies = tuple(dataclasses.replace(
        s, goal_indicators=tuple(fix(g) for g in s.goal_indicators),
        policies=tuple(dataclasses.replace(p, measures=tuple(
            dataclasses.replace(m, kpis=tuple(fix(k) for k in m.kpis))
            for m in p.measures)) for p in s.policies))
        for s in plan.strategies)
    if not substituted:
        return plan, {}
    # A fresh index: replace() would otherwise hand the original plan's dict to the copy.
    return dataclasses.replace(plan, strategies=strategies, _index={}, _ancestors={}), substituted
