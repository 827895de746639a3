"""Human-readable outline of a plan (`mine-report plan`)."""

from __future__ import annotations

from mine_report.common.fiscal import format_fiscal_year
from mine_report.plan.model import Plan


def plan_outline(plan: Plan) -> str:
    """The plan's levels top down (named as the plan names them), each level indented
    under the one above, with KPI and initiative counts."""
    lines = [
        plan.title,
        f"{plan.municipality} {plan.issuer}".strip(),
        f"計画期間: {format_fiscal_year(plan.period_start)}〜{format_fiscal_year(plan.period_end)}",
        "",
    ]
    for s in plan.strategies:
        lines.append(f"{plan.strategy_level}{s.id} {s.title}  (目標指標 {len(s.goal_indicators)})")
        for p in s.policies:
            indent = "  " if p.implicit else "  " * (p.depth + 1)
            if not p.implicit:
                goals = f"  (目標指標 {len(p.goal_indicators)})" if p.goal_indicators else ""
                lines.append(f"{'  ' * p.depth}{p.id} {p.title}{goals}")
            for m in p.measures:
                lines.append(f"{indent}{m.id} {m.title}  (KPI {len(m.kpis)}、取組 {len(m.initiatives)})")
                lines += [f"{indent}{'  ' * x.depth}{x.id} {x.title}  (KPI {len(x.kpis)})"
                          for x in m.items]
        lines.append("")
    lines.append(
        f"合計: {plan.strategy_level} {len(plan.strategies)}、"
        + "".join(f"{name} {sum(1 for p in plan.policies if p.depth == depth and not p.implicit)}、"
                  for depth, name in enumerate(plan.middle_levels, start=1))
        + f"{plan.measure_level} {len(plan.measures)}、"
        + "".join(f"{name} {sum(1 for m in plan.measures for x in m.items if x.depth == depth)}、"
                  for depth, name in enumerate(plan.sub_levels, start=1))
        + f"KPI {len(plan.kpis)}、"
        f"目標指標 {len(plan.goal_indicators)}、具体的な取組 {sum(1 for _ in plan.initiatives())}"
    )
    return "\n".join(lines)
