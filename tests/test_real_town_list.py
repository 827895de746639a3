"""A real town's published KPI list, end to end: 浦河町's 地方創生総合戦略 (2016), transcribed
in tests/fixtures/urakawa-kpi-list.csv (source and transcription notes in its header
comment). `plan import` → template → filled as a person would → validate → build → report,
with every KPI graded and the report's headings in the town's own levels (基本目標 → 施策)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import make_filled, validate_and_build

from mine_report.cli import cli
from mine_report.plan.load import load_plan
from mine_report.plan.model import PLANNING_DIVISION

pytestmark = pytest.mark.slow

LIST = Path(__file__).resolve().parent / "fixtures" / "urakawa-kpi-list.csv"
YEAR = 2017  # 平成29年度, the third year of 平成27〜31年度
#: One workbook holds every sheet, filled by the planning division (the plan names no
#: 担当課, so the goal indicators are the planning division's: PLANNING_DIVISION).
PLANNING = PLANNING_DIVISION


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("urakawa") / "urakawa.toml"
    result = CliRunner().invoke(cli, ["plan", "import", str(LIST), "-o", str(out),
                                      "--title", "浦河町地方創生総合戦略",
                                      "--municipality", "浦河町", "--period", "H27-H31"])
    assert result.exit_code == 0, result.output
    assert "KPI 14 件" in result.output and "数値目標 5 件" in result.output
    return out


def test_the_list_becomes_the_towns_plan(imported):
    plan = load_plan(imported)
    assert plan.levels == ("基本目標", "施策")
    assert [s.title for s in plan.strategies] == [
        "競争力のある産業振興による活力あるまちづくり", "潜在価値と魅力を活かした選ばれるまちづくり"]
    assert [m.title for m in plan.measures][:2] == ["第一次産業の振興", "新たな観光産業の振興"]
    assert [g.name for g in plan.goal_indicators] == [
        "いちご生産額", "新規雇用者数", "新規創業件数", "転入者数", "交流人口数"]
    strawberries = plan.kpi("G1-1")
    assert (strawberries.baseline, strawberries.target, strawberries.unit) == (20396, 43000, "万円")
    # ― is no baseline; numbers lose their separators and units
    assert plan.kpi("G1-2").baseline is None and plan.kpi("1-3-1").baseline is None
    assert plan.kpi("2-1-1").baseline == 3617 and plan.kpi("2-1-1").target == 4654
    assert (plan.period_start, plan.period_end) == (2015, 2019)
    assert all(k.direction == "increase" for k in (*plan.kpis, *plan.goal_indicators))


@pytest.fixture(scope="module")
def built(imported, tmp_path_factory):
    plan = load_plan(imported)
    folder = tmp_path_factory.mktemp("returns")
    returns = folder / "returns"
    returns.mkdir()
    # what a clerk types: plan-ish numbers growing year by year, some as text with a
    # thousands separator or in full-width digits, as people type them
    values: dict = {}
    for i, k in enumerate(plan.kpis):
        start = k.baseline if k.baseline is not None else k.target / 2
        for n, year in enumerate((2015, 2016, YEAR), start=1):
            values[(k.id, year)] = start + (k.target - start) * n * (i % 4 + 1) / 12
    values[("2-1-1", YEAR)] = "4,100"
    values[("1-4-2", YEAR)] = "４"
    for g in plan.goal_indicators:
        start = g.baseline if g.baseline is not None else g.target / 4
        for n, year in enumerate((2015, 2016, YEAR), start=1):
            values[(g.id, year)] = start + (g.target - start) * n / 5
    make_filled(returns, plan, f"{PLANNING}.xlsx", values, year=YEAR, department=PLANNING,
                goal_ids=[g.id for g in plan.goal_indicators],
                submitter={"person": "浦河 花子"})
    out = folder / "out"
    result = validate_and_build(imported, returns, out, "--html")
    return plan, values, out, result.output


def test_template_sheets_name_the_towns_levels(imported, tmp_path):
    result = CliRunner().invoke(cli, ["template", "--plan", str(imported), "--year", "H29",
                                      "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["1-1"]
    assert ws["B1"].value == "施策　第一次産業の振興"
    assert (ws["A2"].value, ws["B2"].value) == (
        "基本目標", "1　競争力のある産業振興による活力あるまちづくり")


def test_every_kpi_graded(built):
    plan, values, out, output = built
    assert "KPI 14 件中 14 件を評価" in output
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    assert [k["id"] for k in data["kpis"]] == [k.id for k in plan.kpis]
    assert all(k["grade"] in "ABCD" for k in data["kpis"]), data["kpis"]
    assert all(g["grade"] in "ABCD" for g in data["goal_indicators"]), data["goal_indicators"]
    typed = {k["id"]: k["actual"] for k in data["kpis"]}
    assert typed["2-1-1"] == 4100 and typed["1-4-2"] == 4


def test_report_and_open_data_use_the_towns_levels(built):
    plan, _, out, _ = built
    text = "".join(subprocess.run(["pdftotext", str(out / "report.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout.split())
    for heading in ("基本目標1", "基本目標2", "基本目標別の評価", "基本目標の評価",
                    "施策1-1第一次産業の振興", "施策2-1移住・二地域居住の促進", "いちご生産額"):
        assert heading in text, heading
    assert "重点戦略" not in text and "戦略方針" not in text and "具体的施策" not in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "基本目標1　競争力のある産業振興による活力あるまちづくり" in html
    raw = (out / "kpi_results.csv").read_bytes()[3:].decode("utf-8")
    header, first = list(csv.reader(io.StringIO(raw)))[:2]
    assert header[2:5] == ["基本目標", "施策", "KPI番号"] and first[2:5] == ["1", "1-1", "1-1-1"]
