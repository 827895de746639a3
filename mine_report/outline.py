"""Human-readable outline of a plan (`mine-report plan`)."""

from __future__ import annotations

from mine_report.fiscal import format_fiscal_year
from mine_report.model import Plan


def plan_outline(plan: Plan) -> str:
    """Strategies → policies → measures, with KPI and initiative counts."""
    lines = [
        plan.title,
        f"{plan.municipality} {plan.issuer}".strip(),
        f"計画期間: {format_fiscal_year(plan.period_start)}〜{format_fiscal_year(plan.period_end)}",
        "",
    ]
    for s in plan.strategies:
        lines.append(f"重点戦略{s.id} {s.title}  (目標指標 {len(s.goal_indicators)})")
        for p in s.policies:
            lines.append(f"  {p.id} {p.title}")
            for m in p.measures:
                lines.append(f"    {m.id} {m.title}  (KPI {len(m.kpis)}、取組 {len(m.initiatives)})")
        lines.append("")
    lines.append(
        f"合計: 重点戦略 {len(plan.strategies)}、戦略方針 {len(plan.policies)}、"
        f"具体的施策 {len(plan.measures)}、KPI {len(plan.kpis)}、"
        f"目標指標 {len(plan.goal_indicators)}、具体的な取組 {sum(1 for _ in plan.initiatives())}"
    )
    return "\n".join(lines)
