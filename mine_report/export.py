"""Machine-readable outputs: kpi_results.json (the record every output agrees with) and
kpi_results.csv (open data: Japanese headers, UTF-8 with BOM so Excel opens it)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from mine_report.fiscal import format_fiscal_year
from mine_report.grading import Evaluation, KpiGrade, KpiResult, Rollup, round_half_up
from mine_report.merge import Merged
from mine_report.model import DIRECTION_LABELS, json_number

JSON_NAME = "kpi_results.json"
CSV_NAME = "kpi_results.csv"
#: The report's names are here with the others (not in report.py, which loads WeasyPrint)
#: so that the build knows every name it owns without loading the renderer.
PDF_NAME = "report.pdf"
HTML_NAME = "report.html"


def exact(value: Fraction | Decimal | None) -> float | int | None:
    """A rate, expected value or actual as a JSON number (None stays None)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return json_number(value)
    if value.denominator == 1:
        return int(value.numerator)
    return float(value)


def percent(rate: Fraction | None) -> Decimal | None:
    """A rate as the percentage people read, rounded half-up to one decimal (0.7684 → 76.8)."""
    return None if rate is None else round_half_up(rate * 100, 1)


def _grade_dict(g: KpiGrade) -> dict:
    return {
        "year": g.year,
        "actual": exact(g.actual),
        "expected": exact(g.expected),
        "progress_rate": exact(g.progress_rate),
        "final_rate": exact(g.final_rate),
        "grade": g.grade,
        "reason": g.reason,
    }


def _result_dict(r: KpiResult, department: str) -> dict:
    g = r.current
    source = g.actual_source
    prev = r.previous
    return {
        "id": r.kpi.id,
        "measure_id": r.measure_id,
        "name": r.kpi.name,
        "unit": r.kpi.unit,
        **_grade_dict(g),
        "previous_grade": prev.grade if prev else None,
        "department": department,
        # file name only: outputs must not depend on where the inputs were stored
        "source": {**source.to_dict(), "file": Path(source.file).name} if source else None,
        "history": [_grade_dict(h) for h in r.by_year.values()],
    }


def _rollup_dict(r: Rollup) -> dict:
    return {"counts": dict(r.counts), "mean_points": exact(r.mean_points), "grade": r.grade}


def results_dict(merged: Merged, evaluation: Evaluation) -> dict:
    """The whole evaluation as JSON-able data."""
    dept = {mid: m.department for mid, m in merged.measures.items()}
    return {
        "title": merged.plan.title,
        "year": evaluation.year,
        "year_label": format_fiscal_year(evaluation.year),
        "draft": merged.draft,
        "sample": merged.sample,
        "plan": merged.plan.to_dict(),
        "kpis": [_result_dict(r, dept.get(r.measure_id or "", "")) for r in evaluation.kpis.values()],
        "goal_indicators": [_result_dict(r, merged.goal_department)
                            for r in evaluation.goals.values()],
        "rollups": {
            "total": _rollup_dict(evaluation.total),
            "goal_total": _rollup_dict(evaluation.goal_total),
            "strategies": {k: _rollup_dict(v) for k, v in evaluation.strategies.items()},
            "policies": {k: _rollup_dict(v) for k, v in evaluation.policies.items()},
            "measures": {k: _rollup_dict(v) for k, v in evaluation.measures.items()},
        },
        "unsubmitted": merged.unsubmitted,
        "inputs": [
            {"file": f.name, "department": f.department, "submitter": f.submitter,
             "sha256": f.sha256, "measures": list(f.measure_ids)}
            for f in merged.inputs
        ],
        "left_out": [{"item": what, "reason": why} for what, why in merged.left_out],
    }


def write_json(path: Path, merged: Merged, evaluation: Evaluation) -> None:
    data = results_dict(merged, evaluation)
    text = json.dumps(data, ensure_ascii=False, indent=1, default=json_number) + "\n"
    path.write_text(text, encoding="utf-8")


CSV_HEADERS = [
    "重点戦略", "戦略方針", "具体的施策", "KPI番号", "指標名", "単位", "方向", "累計",
    "基準値", "基準年度", "目標値", "目標年度", "評価年度", "実績値", "見込み値",
    "進捗率（%）", "目標達成率（%）", "評価", "前年度の評価", "評価なしの理由", "担当課",
]


def _csv_number(value: Fraction | Decimal | None, places: int | None = None) -> str:
    if value is None:
        return ""
    if places is not None:
        value = round_half_up(value, places)
    return format(value, "f")


def _csv_text(value: str) -> str:
    """Department text as inert CSV: Excel would run a cell starting with = + - @ as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_csv(path: Path, merged: Merged, evaluation: Evaluation) -> None:
    plan = merged.plan
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for r in evaluation.kpis.values():
        k, g = r.kpi, r.current
        strategy, policy = plan.parents(r.measure_id)
        prev = r.previous
        writer.writerow([
            strategy.id, policy.id, r.measure_id, k.id, k.name, k.unit,
            DIRECTION_LABELS[k.direction], "累計" if k.cumulative else "",
            _csv_number(k.baseline), format_fiscal_year(k.baseline_year),
            _csv_number(k.target), format_fiscal_year(k.target_year),
            format_fiscal_year(g.year), _csv_number(g.actual),
            _csv_number(g.expected, 2),
            _csv_number(percent(g.progress_rate)), _csv_number(percent(g.final_rate)),
            g.grade, prev.grade if prev else "", _csv_text(g.reason),
            _csv_text(merged.measures[r.measure_id].department),
        ])
    path.write_bytes(("\ufeff" + buf.getvalue()).encode("utf-8"))
