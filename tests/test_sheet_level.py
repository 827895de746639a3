"""A plan whose workbook sheet is a level above the deepest (`sheet_level`), end to end.

The common real case: 基本目標 → 施策 → 事業 with KPIs on each 事業, filled on one sheet
per 施策. The levels below the sheet unit are headings inside the sheet's KPI table; the
KPIs are still found by their ids, graded, rolled up over the sheet unit's subtree, and
every output carries every level. Each plan is made from its level names and sheet level
only, so another shape is a change of this data, not of code."""

from __future__ import annotations

import csv
import io
import json
import subprocess

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import make_filled, validate_and_build

from mine_report.cli import cli
from mine_report.common.errors import PlanError
from mine_report.plan.load import load_plan

YEAR = 2026
DEPARTMENT = "企画課"

#: (level names top first, the sheet level): one and two levels below the sheet unit.
SHAPES = {
    "3-sheet2": (["基本目標", "施策", "事業"], "施策"),
    "5-sheet3": (["分野", "基本目標", "施策", "事業", "細事業"], "施策"),
}


def _kpi(ident: str, n: int) -> dict:
    return {"id": ident, "name": f"指標{ident}", "unit": "件", "baseline": 100 + n,
            "baseline_year": 2024, "target": 150 + n, "target_year": 2029,
            "direction": "increase"}


def plan_data(levels: list[str], sheet_level: str) -> dict:
    """Two top items, one child per level above the sheet unit; two sheet-unit items each;
    under each, two items of the first level below and one of each deeper level, the
    deepest holding two KPIs. The first sheet-unit item also holds a KPI of its own."""
    sheet = levels.index(sheet_level)
    counter = iter(range(1000))

    def sub_item(ident: str, depth: int) -> dict:
        entry: dict = {"id": ident, "title": f"{levels[depth]}{ident}の名前"}
        if depth == len(levels) - 1:
            entry["kpis"] = [_kpi(f"{ident}-{k}", next(counter)) for k in (1, 2)]
        else:
            entry["items"] = [sub_item(f"{ident}-1", depth + 1)]
        return entry

    def item(ident: str, depth: int) -> dict:
        entry: dict = {"id": ident, "title": f"{levels[depth]}{ident}の名前"}
        if depth == sheet - 1:
            entry["measures"] = [{
                "id": f"{ident}-{m}", "title": f"{levels[sheet]}{ident}-{m}の名前",
                "description": "内容", "department": DEPARTMENT,
                "kpis": [_kpi(f"{ident}-{m}-0", next(counter))] if m == 1 else [],
                "items": [sub_item(f"{ident}-{m}-{x}", sheet + 1) for x in (1, 2)],
                "initiatives": [{"id": f"{ident}-{m}-i1", "title": "取組", "schedule": "実施"}],
            } for m in (1, 2)]
        else:
            entry["policies"] = [item(f"{ident}-1", depth + 1)]
        return entry

    return {
        "title": "事業ごとに KPI のある町の総合戦略", "municipality": "試験町",
        "period": {"start": 2025, "end": 2029}, "levels": levels, "sheet_level": sheet_level,
        "strategies": [item(str(s), 0) for s in (1, 2)],
    }


def _sub_items(plan):
    for m in plan.measures:
        for x in m.items:
            yield m, x


@pytest.fixture(scope="module", params=sorted(SHAPES))
def planned(request, tmp_path_factory):
    """(levels, sheet level, plan path, plan, folder) for one shape."""
    levels, sheet_level = SHAPES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    path = folder / "plan.json"
    path.write_text(json.dumps(plan_data(levels, sheet_level), ensure_ascii=False),
                    encoding="utf-8")
    return levels, sheet_level, path, load_plan(path), folder


@pytest.fixture(scope="module")
def shaped(planned):
    """(levels, sheet level, plan path, plan, typed values, build output folder, output):
    a workbook filled as a department would, validated and built."""
    levels, sheet_level, path, plan, folder = planned
    returns = folder / "returns"
    returns.mkdir()
    values = {(k.id, y): int(k.baseline) + 5 * (i % 4) * (y - 2024)
              for i, k in enumerate(plan.kpis) for y in (2025, YEAR)}
    make_filled(returns, plan, f"{DEPARTMENT}.xlsx", values, year=YEAR,
                department=DEPARTMENT, submitter={"person": "試験 太郎"})
    out = folder / "out"
    result = validate_and_build(path, returns, out, "--html")
    return levels, sheet_level, path, plan, values, out, result.output


def test_the_sheet_unit_is_the_declared_level(planned):
    levels, sheet_level, _, plan, _ = planned
    cut = levels.index(sheet_level) + 1
    assert plan.levels == tuple(levels[:cut]) and plan.sub_levels == tuple(levels[cut:])
    assert plan.all_levels == tuple(levels) and plan.measure_level == sheet_level
    for m, x in _sub_items(plan):
        assert plan.level_name(x) == levels[cut - 1 + x.depth]
        assert x.id.startswith(m.id + "-") and plan.get(x.id) == x
    # every KPI of the subtree is on its sheet unit's sheet
    assert all(len(m.kpis) == len(m.own_kpis) + sum(len(x.kpis) for x in m.items)
               for m in plan.measures)
    assert len(plan.kpis) == 2 * 2 * 2 * 2 + 2


def test_outline_and_json_round_trip(planned, tmp_path):
    levels, sheet_level, path, plan, _ = planned
    result = CliRunner().invoke(cli, ["plan", "--plan", str(path)])
    assert result.exit_code == 0, result.output
    for _, x in _sub_items(plan):
        assert f"{x.id} {x.title}  (KPI {len(x.kpis)})" in result.output
    first_sub = levels[levels.index(sheet_level) + 1]
    assert f"{sheet_level} 4、{first_sub} 8、" in result.output
    out = CliRunner().invoke(cli, ["plan", "--plan", str(path), "--json"]).output
    data = json.loads(out)
    assert data["levels"] == levels and data["sheet_level"] == sheet_level
    (tmp_path / "again.json").write_text(out, encoding="utf-8")
    again = load_plan(tmp_path / "again.json")
    assert again == plan and again.digest == plan.digest


def test_the_sheet_heads_each_sub_item_above_its_kpis(planned, tmp_path):
    _, _, path, plan, _ = planned
    result = CliRunner().invoke(cli, ["template", "--plan", str(path), "--year", str(YEAR),
                                      "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    for m in plan.measures:
        rows = [(r[0], r[1]) for r in wb[m.id].iter_rows(min_row=6, max_col=2, values_only=True)]
        headings = [rows.index((plan.level_name(x), f"{x.id}　{x.title}")) for x in m.items]
        assert headings == sorted(headings)
        ids = [a for a, _ in rows]
        for x, at, following in zip(m.items, headings, [*headings[1:], len(rows)], strict=True):
            # its KPIs right under its heading, before the next sub-item's
            assert [ids.index(k.id) for k in x.kpis] == list(range(at + 1, at + 1 + len(x.kpis)))
            assert at + len(x.kpis) < following
        # the measure's own KPIs above every heading
        assert all(ids.index(k.id) < headings[0] for k in m.own_kpis)
        assert [i for i in ids if i in {k.id for k in m.kpis}] == [k.id for k in m.kpis]


@pytest.mark.slow
def test_every_kpi_graded_and_rolled_up_over_the_subtree(shaped):
    levels, sheet_level, _, plan, values, out, output = shaped
    assert f"KPI {len(plan.kpis)} 件中 {len(plan.kpis)} 件を評価" in output
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    assert [k["id"] for k in data["kpis"]] == [k.id for k in plan.kpis]
    assert all(k["grade"] in "ABCD" for k in data["kpis"]), data["kpis"]
    typed = {(k["id"], h["year"]): h["actual"] for k in data["kpis"] for h in k["history"]}
    assert typed == values
    for m in plan.measures:
        assert sum(data["rollups"]["measures"][m.id]["counts"].values()) == len(m.kpis)
    assert data["plan"]["levels"] == levels


@pytest.mark.slow
def test_open_data_carries_every_level(shaped):
    levels, _, _, plan, _, out, _ = shaped
    raw = (out / "kpi_results.csv").read_bytes()[3:].decode("utf-8")
    rows = list(csv.reader(io.StringIO(raw)))
    n = len(levels)
    assert rows[0][2:2 + n] == levels and rows[0][2 + n] == "KPI番号"
    for row in rows[1:]:
        kpi = plan.kpi(row[2 + n])
        measure = next(m for m in plan.measures if kpi in m.kpis)
        chain = [x.id for x in measure.item_chain(kpi.id)]
        expected = [a.id for a in plan.ancestors(measure.id)] + [measure.id] + chain
        assert row[2:2 + n] == expected + [""] * (n - len(expected))
    meta = json.loads((out / "kpi_metadata.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in meta["files"][0]["columns"]] == rows[0]


@pytest.mark.slow
def test_merged_workbook_names_each_kpis_sub_item(shaped):
    _, _, _, plan, _, out, _ = shaped
    cells = {v for r in openpyxl.load_workbook(out / "kpi_merged.xlsx")["KPI一覧"]
             .iter_rows(values_only=True) for v in r if isinstance(v, str)}
    for _, x in _sub_items(plan):
        if x.kpis:
            assert f"{x.id}　{x.title}" in cells, x.id


@pytest.mark.slow
def test_report_shows_the_sub_items_under_their_sheet_unit(shaped):
    levels, sheet_level, _, plan, _, out, _ = shaped
    text = "".join(subprocess.run(["pdftotext", str(out / "report.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout.split())
    html = (out / "report.html").read_text(encoding="utf-8")
    for m, x in _sub_items(plan):
        heading = f"{plan.level_name(x)}{x.id}"
        assert heading in text and heading in html, heading
        # after its sheet unit's heading, before the next sheet unit's
        assert html.index(f"{plan.measure_label}{m.id}") < html.index(heading)


@pytest.mark.parametrize("value", ["細目", "基本目標", 3])
def test_an_unknown_sheet_level_is_p118(tmp_path, value):
    data = plan_data(["基本目標", "施策", "事業"], "施策")
    data["sheet_level"] = value
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    assert [p.code for p in caught.value.problems] == ["P118"]
    result = CliRunner().invoke(cli, ["plan", "--plan", str(path)])
    assert result.exit_code != 0 and "P118" in result.output and "Traceback" not in result.output
