"""A plan of another shape than Mine's, end to end: みどり町 (examples/plans/midori-town.toml)
has three levels (基本目標 → 施策 → KPI), its 数値目標 on the top level and KPIs without
baselines. Its invented returns go through template → fill → validate → build → report,
so no step can quietly assume Mine's four levels again."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import make_filled, validate_and_build

from mine_report.cli import cli
from mine_report.plan.load import load_plan

pytestmark = pytest.mark.slow

PLAN = Path(__file__).resolve().parents[1] / "examples" / "plans" / "midori-town.toml"
YEAR = 2026  # 令和8年度, the plan's second year

#: The invented returns: department → {(indicator id, year): value typed}.
RETURNS = {
    "産業振興課": {
        ("1-1-1", 2025): 2, ("1-1-1", 2026): 5,
        ("1-1-2", 2025): 44.5, ("1-1-2", 2026): 46.0,
        ("1-2-1", 2025): 318, ("1-2-1", 2026): 312,
        ("1-2-2", 2025): 300, ("1-2-2", 2026): 380,
        ("G1-1", 2025): 2160, ("G1-1", 2026): 2171,
    },
    "住民福祉課": {
        ("2-1-1", 2025): 195, ("2-1-1", 2026): 230,
        ("2-1-2", 2025): 12, ("2-1-2", 2026): 9,
        ("2-2-1", 2025): 3, ("2-2-1", 2026): 7,
    },
}


@pytest.fixture(scope="module")
def plan():
    return load_plan(PLAN)


@pytest.fixture(scope="module")
def returns(tmp_path_factory, plan) -> Path:
    folder = tmp_path_factory.mktemp("returns")
    for department, values in RETURNS.items():
        measures = [m.id for m in plan.measures if m.department == department]
        goals = [g.id for g in plan.goal_indicators if plan.goal_owner(g) == department]
        make_filled(folder, plan, f"{department}.xlsx", values, year=YEAR,
                    measure_ids=measures, goal_ids=goals, department=department,
                    submitter={"person": "緑 花子"})
    return folder


def test_the_template_names_the_plans_levels(plan, tmp_path):
    result = CliRunner().invoke(cli, ["template", "--plan", str(PLAN), "--year", "令和8年度",
                                      "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["1-2"]
    assert ws["B1"].value == "施策　観光による交流の拡大"
    assert (ws["A2"].value, ws["B2"].value) == ("基本目標", "1　しごとをつくり、安心して働けるようにする")
    assert ws["A3"].value is None  # no middle level


def test_outline_uses_the_plans_level_names():
    result = CliRunner().invoke(cli, ["plan", "--plan", str(PLAN)])
    assert result.exit_code == 0, result.output
    assert "基本目標1 しごとをつくり" in result.output
    assert "合計: 基本目標 2、施策 4、KPI 7" in result.output
    assert "重点戦略" not in result.output and "戦略方針" not in result.output


def test_json_round_trip_keeps_the_shape(plan, tmp_path):
    out = CliRunner().invoke(cli, ["plan", "--plan", str(PLAN), "--json"]).output
    data = json.loads(out)
    assert data["levels"] == ["基本目標", "施策"]
    assert "policies" not in data["strategies"][0]
    (tmp_path / "p.json").write_text(out, encoding="utf-8")
    again = load_plan(tmp_path / "p.json")
    assert again.digest == plan.digest and again.levels == plan.levels


def test_validate_build_and_report(plan, returns, tmp_path):
    out = tmp_path / "out"
    result = validate_and_build(PLAN, returns, out, "--html")
    assert "KPI 7 件中 7 件を評価" in result.output

    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    grades = {k["id"]: k["grade"] for k in data["kpis"]}
    assert sorted(grades) == sorted(k.id for k in plan.kpis)
    assert all(g in "ABCD" for g in grades.values()), grades
    typed = {(k["id"], h["year"]): h["actual"] for k in data["kpis"] for h in k["history"]}
    for values in RETURNS.values():
        for key, value in values.items():
            if not key[0].startswith("G"):
                assert typed[key] == value
    assert [g["actual"] for g in data["goal_indicators"]][0] == 2171

    merged = openpyxl.load_workbook(out / "kpi_merged.xlsx")
    assert merged["総括"]["A2"].value == "基本目標" or "基本目標" in [
        c.value for row in merged["総括"].iter_rows(max_row=3) for c in row]
    kpi_rows = list(merged["KPI一覧"].iter_rows(values_only=True))
    header = next(r for r in kpi_rows if r and r[0] == "基本目標")
    first = kpi_rows[kpi_rows.index(header) + 1]
    assert first[:3] == ("1", None, "1-1") or first[:3] == ("1", "", "1-1")

    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "基本目標1" in text and "基本目標別の評価" in text
    assert "基本目標の評価" in text
    assert "重点戦略" not in text and "戦略方針" not in text
    # the revised target (令和8年12月, in force for 令和8年度) grades 1-2-1 and is shown
    kpi = next(k for k in data["kpis"] if k["id"] == "1-2-1")
    assert kpi["expected"] == 320  # 310 + (330 − 310) × 3/6; with the adopted 350 it is 330
    assert ("改訂：令和8年12月1日に改訂（令和8年度から）：目標値350→330。"
            "宿泊施設の閉館を受けて目標を見直し") in "".join(text.split())
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "目標値 350 → 330" in html
    assert "基本目標2" in html and "重点戦略" not in html and "戦略方針" not in html
