"""Plans numbered unlike Mine's (five-segment KPI ids, ids with letters) are read by their
own ids: every number a department types reaches validate and build, and a typed value on
a row that no id claims is an error (E212), never dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from workbooks import edit_workbook, make_filled, read_meta, validate_and_build

from mine_report.cli import cli
from mine_report.intake.reader import read_workbook
from mine_report.plan.load import plan_from_dict, plan_to_json


def _kpi(kid: str, name: str, baseline, target) -> dict:
    return {"id": kid, "name": name, "unit": "人", "baseline": baseline, "baseline_year": 2019,
            "target": target, "target_year": 2024, "direction": "increase"}


def _plan(measure_ids: tuple[str, str], kpi_suffix: str, strategy: str, policy: str) -> dict:
    """One strategy, one policy, two measures of two KPIs each, with the given numbering."""
    measures = []
    for n, mid in enumerate(measure_ids):
        measures.append({
            "id": mid, "title": f"施策{n + 1}", "department": "企画課",
            "kpis": [_kpi(f"{mid}-{kpi_suffix}{k}", f"指標{n + 1}-{k}", 100 * k, 150 * k)
                     for k in (1, 2)],
            "initiatives": [{"id": f"{mid}-i1", "title": "取組", "schedule": "実施"}],
        })
    return {
        "title": "番号の違う町の総合戦略", "municipality": "試験町",
        "period": {"start": 2020, "end": 2024},
        "strategies": [{
            "id": strategy, "title": "基本目標",
            # owned by the department that fills this workbook (a goal indicator typed
            # by a department that does not own it is W207 and not used)
            "goal_indicators": [{**_kpi(f"G{strategy}-1", "人口", 5000, 5200),
                                 "department": "企画課"}],
            "policies": [{"id": policy, "title": "方針", "measures": measures}],
        }],
    }


PLANS = {
    # 5 segments: 1-2-3-4-5 (measure ids of four segments)
    "five": _plan(("1-2-3-4", "1-2-3-5"), "", "1", "1-2"),
    # letters and two-digit numbers: the old reader matched only \d+(-\d+){3}
    "lettered": _plan(("A-01-x1", "A-01-x2"), "k", "A", "A-01"),
}


@pytest.fixture(params=sorted(PLANS))
def plan_file(request, tmp_path) -> tuple[Path, object]:
    plan = plan_from_dict(PLANS[request.param])
    path = tmp_path / "plan.json"
    path.write_text(plan_to_json(plan), encoding="utf-8")
    return path, plan


def _values(plan) -> dict:
    values = {}
    for i, kpi in enumerate(plan.kpis):
        for y in (2020, 2021, 2022, 2023):
            values[(kpi.id, y)] = 100 + 10 * i + y - 2020
    values[(plan.goal_indicators[0].id, 2023)] = 5100
    return values


def test_every_typed_number_reaches_validate_and_build(plan_file, tmp_path):
    path, plan = plan_file
    returns = tmp_path / "returns"
    returns.mkdir()
    make_filled(returns, plan, "企画課.xlsx", _values(plan), year=2023, department="企画課",
                submitter={"person": "試験 太郎"})
    submission, problems = read_workbook(returns / "企画課.xlsx", plan)
    assert [p.code for p in problems if p.severity == "error"] == []
    assert "W204" not in {p.code for p in problems}
    got = {(a.kpi_id, a.year): a.value for m in submission.measures for a in m.actuals}
    assert {k: int(v) for k, v in got.items()} == {
        k: v for k, v in _values(plan).items() if not k[0].startswith("G")}

    out = tmp_path / "out"
    result = validate_and_build(path, returns, out, "--no-pdf")
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    assert [k["id"] for k in data["kpis"]] == [k.id for k in plan.kpis]
    assert all(k["grade"] in "ABCD" for k in data["kpis"]), data["kpis"]
    typed = {(k["id"], h["year"]): h["actual"] for k in data["kpis"] for h in k["history"]}
    assert typed == {k: v for k, v in _values(plan).items() if not k[0].startswith("G")}
    assert [g["actual"] for g in data["goal_indicators"]] == [5100]
    assert "KPI 4 件中 4 件を評価" in result.output


def test_input_on_a_row_without_id_is_an_error(plan_file, tmp_path):
    path, plan = plan_file
    kpi = plan.kpis[0]
    book = make_filled(tmp_path, plan, "企画課.xlsx", {(kpi.id, 2023): 123}, year=2023,
                       department="企画課")
    meta = read_meta(book)
    smap = next(s for s in meta.sheets if kpi.id in s.kpi_rows)
    row = smap.kpi_rows[kpi.id]
    edit_workbook(book, lambda wb: wb[smap.sheet].__setitem__(f"{smap.kpi_id_col}{row}", None))
    _, problems = read_workbook(book, plan)
    codes = [(p.code, p.cell) for p in problems]
    assert ("E212", f"{smap.kpi_id_col}{row}") in codes, codes
    assert ("E205", f"{smap.kpi_id_col}{row}") in codes
    result = CliRunner().invoke(cli, ["validate", "--plan", str(path), str(book)])
    assert result.exit_code == 1 and "E212" in result.output


@pytest.mark.parametrize("levels", [5, "基本目標", [], ["施策"], ["a", "b", "c", "d", "e", "f"],
                                    ["基本目標", "基本目標"], ["基本目標", " "], ["a", 1]])
def test_levels_must_be_two_to_five_distinct_names(levels):
    from mine_report.common.errors import PlanError

    data = {**PLANS["five"], "levels": levels}
    with pytest.raises(PlanError) as caught:
        plan_from_dict(data)
    assert [p.code for p in caught.value.problems] == ["P116"]
