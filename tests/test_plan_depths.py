"""Plans of two to five levels, end to end: the hierarchy is data. Each plan below is made
from nothing but a list of level names (and one 数値目標 on every level above the sheet
unit), written as a plan file, and goes through plan → template → fill → validate → build
→ PDF/HTML/CSV/JSON with every KPI graded and every heading, column and roll-up named and
counted as that plan says. A new level or indicator is a change of this data, not of code."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import make_filled, validate_and_build

from mine_report.cli import cli
from mine_report.plan.load import load_plan

pytestmark = pytest.mark.slow

YEAR = 2026  # 令和8年度, the plan's second year
DEPARTMENT = "企画課"

#: The shapes under test: level names top first, the last being the sheet unit.
SHAPES = {
    2: ["基本目標", "施策"],
    3: ["政策", "施策", "事業"],
    4: ["基本目標", "政策", "施策", "具体的施策"],
    5: ["分野", "基本目標", "政策", "施策", "事務事業"],
}


def _indicator(ident: str, name: str, n: int, **extra) -> dict:
    return {"id": ident, "name": name, "unit": "件", "baseline": 100 + n,
            "baseline_year": 2024, "target": 150 + n, "target_year": 2029,
            "direction": "increase", **extra}


def plan_data(levels: list[str]) -> dict:
    """Two top items; the first middle level splits each in two, deeper ones have one
    child each; every deepest middle item (or top item) holds two measures of two KPIs.
    The first item of every level above the sheet unit carries a 数値目標."""
    counter = iter(range(1000))

    def item(ident: str, depth: int, first: bool) -> dict:
        entry: dict = {"id": ident, "title": f"{levels[depth]}{ident}の名前"}
        if first:
            entry["goal_indicators"] = [_indicator(
                f"G{ident}-1", f"{levels[depth]}の数値目標", next(counter),
                department=DEPARTMENT)]
        if depth == len(levels) - 2:  # the level right above the sheet unit
            entry["measures"] = [{
                "id": f"{ident}-{m}", "title": f"{levels[-1]}{ident}-{m}の名前",
                "description": "内容", "department": DEPARTMENT,
                "kpis": [_indicator(f"{ident}-{m}-{k}", f"指標{ident}-{m}-{k}", next(counter))
                         for k in (1, 2)],
                "initiatives": [{"id": f"{ident}-{m}-i1", "title": "取組", "schedule": "実施"}],
            } for m in (1, 2)]
        else:
            children = 2 if depth == 0 else 1
            entry["policies"] = [item(f"{ident}-{c}", depth + 1, first and c == 1)
                                 for c in range(1, children + 1)]
        return entry

    return {
        "title": f"{len(levels)}階層の町の総合戦略", "municipality": "試験町",
        "period": {"start": 2025, "end": 2029}, "levels": levels,
        "strategies": [item(str(s), 0, s == 1) for s in (1, 2)],
    }


@pytest.fixture(scope="module", params=sorted(SHAPES))
def shaped(request, tmp_path_factory):
    """(levels, plan path, plan, returns folder, build output) for one shape."""
    levels = SHAPES[request.param]
    folder = tmp_path_factory.mktemp(f"levels{request.param}")
    path = folder / "plan.json"
    path.write_text(json.dumps(plan_data(levels), ensure_ascii=False), encoding="utf-8")
    plan = load_plan(path)
    returns = folder / "returns"
    returns.mkdir()
    values = {(k.id, y): int(k.baseline) + 5 * (i % 4) * (y - 2024)
              for i, k in enumerate(plan.kpis) for y in (2025, YEAR)}
    values.update({(g.id, YEAR): int(g.baseline) + 10 for g in plan.goal_indicators})
    make_filled(returns, plan, f"{DEPARTMENT}.xlsx", values, year=YEAR,
                goal_ids=[g.id for g in plan.goal_indicators], department=DEPARTMENT,
                submitter={"person": "試験 太郎"})
    out = folder / "out"
    result = validate_and_build(path, returns, out, "--html")
    return levels, path, plan, values, out, result.output


def _items(plan):
    """Every item above the sheet unit with its level's name: (name, item)."""
    for s in plan.strategies:
        yield plan.levels[0], s
        for p in s.policies:
            if not p.implicit:
                yield plan.levels[p.depth], p


def test_the_model_has_the_plans_shape(shaped):
    levels, _, plan, *_ = shaped
    assert plan.levels == tuple(levels)
    assert len(plan.measures) == 2 * (2 if len(levels) > 2 else 1) * 2
    assert len(plan.kpis) == 2 * len(plan.measures)
    # one 数値目標 on every level above the sheet unit
    assert len(plan.goal_indicators) == len(levels) - 1
    for m in plan.measures:
        chain = plan.ancestors(m.id)
        assert [plan.level_name(a) for a in chain] == levels[:-1]
        assert all(m.id.startswith(a.id + "-") for a in chain)
    assert {plan.level_name(plan.get(g.id[1:].rsplit("-", 1)[0])) for g in plan.goal_indicators} \
        == set(levels[:-1])


def test_outline_and_json_round_trip(shaped, tmp_path):
    levels, path, plan, *_ = shaped
    result = CliRunner().invoke(cli, ["plan", "--plan", str(path)])
    assert result.exit_code == 0, result.output
    middle = [sum(1 for _, p in _items(plan) if plan.level_name(p) == name) for name in levels[1:-1]]
    assert ("合計: " + f"{levels[0]} 2、" + "".join(f"{n} {c}、" for n, c in zip(levels[1:-1], middle, strict=True))
            + f"{levels[-1]} {len(plan.measures)}、KPI {len(plan.kpis)}、") in result.output
    # each level indented one step under the one above
    for name, item in _items(plan):
        depth = levels.index(name)
        line = f"{item.id} {item.title}"
        assert any(row.startswith("  " * depth + (name if depth == 0 else "") + line)
                   for row in result.output.splitlines()), line
    out = CliRunner().invoke(cli, ["plan", "--plan", str(path), "--json"]).output
    (tmp_path / "again.json").write_text(out, encoding="utf-8")
    again = load_plan(tmp_path / "again.json")
    assert again == plan and again.digest == plan.digest


def test_template_names_every_level_above_a_sheet(shaped, tmp_path):
    levels, path, plan, *_ = shaped
    result = CliRunner().invoke(cli, ["template", "--plan", str(path), "--year", str(YEAR),
                                      "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    for m in plan.measures:
        ws = wb[m.id]
        top, *middle = plan.ancestors(m.id)
        assert ws["B1"].value == f"{levels[-1]}　{m.title}"
        assert (ws["A2"].value, ws["B2"].value) == (levels[0], f"{top.id}　{top.title}")
        if middle:
            assert ws["A3"].value == levels[-2]
            assert ws["B3"].value == "　＞　".join(f"{p.id}　{p.title}" for p in middle)
        else:
            assert ws["A3"].value is None


def test_every_kpi_graded_and_rolled_up_by_level(shaped):
    levels, _, plan, values, out, output = shaped
    assert f"KPI {len(plan.kpis)} 件中 {len(plan.kpis)} 件を評価" in output
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    assert [k["id"] for k in data["kpis"]] == [k.id for k in plan.kpis]
    assert all(k["grade"] in "ABCD" for k in data["kpis"]), data["kpis"]
    typed = {(k["id"], h["year"]): h["actual"] for k in data["kpis"] for h in k["history"]}
    assert typed == {key: v for key, v in values.items() if not key[0].startswith("G")}
    assert all(g["grade"] in "ABCD" for g in data["goal_indicators"])
    # a middle item's roll-up counts every KPI in its subtree, however deep
    rollups = data["rollups"]
    for name, item in _items(plan):
        kind = "strategies" if name == levels[0] else "policies"
        counted = sum(rollups[kind][item.id]["counts"].values())
        assert counted == sum(len(m.kpis) for m in plan.measures_under(item.id)), item.id
    assert data["plan"]["levels"] == levels or levels == ["重点戦略", "戦略方針", "具体的施策"]


def test_open_data_columns_follow_the_levels(shaped):
    levels, _, plan, _, out, _ = shaped
    raw = (out / "kpi_results.csv").read_bytes()[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw)))
    assert rows[0][2:2 + len(levels)] == levels and rows[0][2 + len(levels)] == "KPI番号"
    for row in rows[1:]:
        kpi = row[2 + len(levels)]
        measure = kpi.rsplit("-", 1)[0]
        assert row[2:2 + len(levels)] == [a.id for a in plan.ancestors(measure)] + [measure]
    tidy = (out / "kpi_values.csv").read_bytes()[3:].decode("utf-8")
    assert next(csv.reader(io.StringIO(tidy)))[4:6] == [levels[0], levels[-1]]
    meta = json.loads((out / "kpi_metadata.json").read_text(encoding="utf-8"))
    columns = [c["name"] for c in meta["files"][0]["columns"]]
    assert columns == rows[0]


def test_merged_workbook_names_the_levels(shaped):
    levels, _, plan, _, out, _ = shaped
    rows = list(openpyxl.load_workbook(out / "kpi_merged.xlsx")["KPI一覧"].iter_rows(values_only=True))
    header = next(r for r in rows if r and r[0] == levels[0])
    assert header[1] == (levels[-2] if len(levels) > 2 else "－")
    first = rows[rows.index(header) + 1]
    measure = plan.measures[0]
    chain = plan.ancestors(measure.id)
    assert first[0] == chain[0].id and first[2] == measure.id
    assert (first[1] or "") == (chain[-1].id if len(chain) > 1 else "")


def test_report_headings_use_the_plans_level_names(shaped):
    levels, _, plan, _, out, _ = shaped
    text = "".join(subprocess.run(["pdftotext", str(out / "report.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout.split())
    html = (out / "report.html").read_text(encoding="utf-8")
    for name, item in _items(plan):
        assert f"{name}{item.id}" in text, (name, item.id)
        assert f"{name}の評価" in text
        if name != levels[0]:
            depth = levels.index(name)
            assert re.search(rf'<h{depth + 1} class="policy-title">{name}{item.id}　',
                             html), (name, item.id)
    label = levels[-1] if "施策" in levels[:-1] else "施策"  # 具体的施策 → 施策 (Mine's usage)
    assert plan.measure_label == (label if levels[-1].endswith("施策") else levels[-1])
    for m in plan.measures:
        assert f"{plan.measure_label}{m.id}" in text
    assert f"{levels[0]}別の評価" in text
    for word in ("重点戦略", "戦略方針", "具体的施策"):
        assert (word in text) == (word in levels), word
