"""`mine-report plan`: outline, JSON, and malformed plan files through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from mine_report.cli import cli
from mine_report.plan.load import load_plan, plan_from_json


def test_outline():
    result = CliRunner().invoke(cli, ["plan"])
    assert result.exit_code == 0
    assert "第2期美祢市まち・ひと・しごと創生総合戦略" in result.output
    assert "1-1-1 DMOを核とする観光地域づくりの推進  (KPI 2、取組 6)" in result.output
    assert "KPI 78" in result.output


def test_json_round_trips():
    result = CliRunner().invoke(cli, ["plan", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["title"] == "第2期美祢市まち・ひと・しごと創生総合戦略"
    assert plan_from_json(result.output) == load_plan()


BROKEN = """
title = "テスト市総合戦略"
municipality = "テスト市"
[period]
start = 2020
end = 2024

[[strategies]]
id = "1"
title = "戦略"
[[strategies.policies]]
id = "1-1"
title = "方針"
[[strategies.policies.measures]]
id = "1-1-1"
title = "施策"
[[strategies.policies.measures.kpis]]
id = "1-1-1-1"
name = "指標A"
unit = "人"
baseline = 10
baseline_year = 2018
target = "たくさん"
target_year = 2024
direction = "increase"
[[strategies.policies.measures.kpis]]
id = "1-1-1-1"
name = "指標B"
baseline = 1
baseline_year = "R5"
target = 2
target_year = "R3"
[[strategies.policies.measures.kpis]]
id = "1-1-1-3"
name = "指標C"
unit = "件"
target = 3
baseline_year = "平成30年度"
target_year = "令和6年度"
direction = "upward"
"""


def test_malformed_plan_reports_every_problem(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text(BROKEN, encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", "--plan", str(path)])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    out = result.output
    assert "Traceback" not in out
    k = "strategies[0].policies[0].measures[0].kpis"
    assert f"{k}[0].target: 数値ではありません" in out
    assert f"{k}[1].id: ID「1-1-1-1」が重複しています" in out
    assert f"{k}[1].unit: 必須の項目がありません" in out
    assert f"{k}[1].direction: 必須の項目がありません" in out
    assert f"{k}[1].target_year: 目標年度 (2021) が基準年度 (2023) より前です" in out
    assert f"{k}[2].direction: 方向は increase" in out
    assert "6 件の問題があります" in out


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("title = \n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", "--plan", str(bad)])
    assert result.exit_code == 1 and "P002" in result.output
    result = CliRunner().invoke(cli, ["plan", "--plan", str(tmp_path / "none.toml")])
    assert result.exit_code == 1 and "P001" in result.output


def test_python_dash_m_from_any_directory(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mine_report", "plan"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "KPI 78" in proc.stdout
