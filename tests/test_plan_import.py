"""`mine-report plan import`: a town's KPI list (.csv in UTF-8 or cp932, or .xlsx with
merged level cells) becomes a plan file a person edits, which then goes through template,
filling, validate, build and report with every KPI graded."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import file_state, make_filled, validate_and_build

from mine_report.cli import cli
from mine_report.plan.load import load_plan

HEADER = ["基本目標", "施策", "番号", "指標名", "単位", "基準値", "基準年度", "目標値",
          "目標年度", "方向", "累計", "区分", "担当課", "備考"]
#: A small town's list as published (the national template's shape, values invented):
#: level cells blank where the row above repeats, numbers with separators and units,
#: a baseline written ―, years in 西暦 and 和暦, a full-width ＫＰＩ.
ROWS = [
    ["1 地域の産業を育て、働く場をつくる", "", "", "町内の従業者数", "人", "2,150人", "R5",
     "2,200", "令和11年度", "", "", "数値目標", "", ""],
    ["", "(1)農林業の振興", "", "新規就農者数（累計）", "人", "0", "2024", "10", "2029", "",
     "○", "ＫＰＩ", "産業振興課", ""],
    ["", "", "", "担い手への農地集積率", "%", "42.0", "H31", "55.0%", "2029", "増加", "",
     "", "産業振興課", "R1は基準"],
    ["", "(2)観光の振興", "", "観光入込客数", "千人", "310", "2023", "350", "2029", "", "",
     "KPI", "産業振興課", ""],
    ["", "", "", "体験プログラム参加者数", "人", "―", "2024", "1,200人", "2029", "", "", "",
     "産業振興課", ""],
    ["2 子育ての希望をかなえる", "", "", "年間出生数", "人", "48", "2023", "50", "2029", "維持",
     "", "数値目標", "", ""],
    ["", "①子育て支援の充実", "", "子育て相談の利用件数", "件", "180", "2023", "240", "2029", "",
     "", "KPI", "住民福祉課", ""],
    ["", "", "", "一時預かりの待機日数", "日", "20", "令和6年度", "0", "2029", "減少", "",
     "KPI", "住民福祉課", ""],
]


def write_csv(path: Path, rows, encoding: str) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([HEADER, *rows])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows) -> Path:
    """The list as a person keeps it in Excel: each level cell merged over its rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in rows:
        ws.append([v if v != "" else None for v in row])
    ws.merge_cells("A2:A6")
    ws.merge_cells("A7:A9")
    ws.merge_cells("B3:B4")
    wb.save(path)
    return path


def run_import(source: Path, output: Path, *extra: str):
    return CliRunner().invoke(cli, ["plan", "import", str(source), "-o", str(output),
                                    "--title", "みなみ町総合戦略", "--municipality", "みなみ町",
                                    *extra])


@pytest.fixture
def imported(tmp_path) -> Path:
    out = tmp_path / "plan.toml"
    result = run_import(write_csv(tmp_path / "list.csv", ROWS, "cp932"), out,
                        "--period", "R7-R11")
    assert result.exit_code == 0, result.output
    assert "KPI 6 件" in result.output and "数値目標 2 件" in result.output
    return out


def test_the_imported_plan(imported):
    plan = load_plan(imported)
    assert plan.levels == ("基本目標", "施策")
    assert (plan.period_start, plan.period_end) == (2025, 2029)
    assert [m.id for m in plan.measures] == ["1-1", "1-2", "2-1"]
    assert [m.title for m in plan.measures] == ["農林業の振興", "観光の振興", "子育て支援の充実"]
    assert [m.department for m in plan.measures] == ["産業振興課", "産業振興課", "住民福祉課"]
    assert [g.id for g in plan.goal_indicators] == ["G1-1", "G2-1"]
    k = {k.id: k for k in plan.kpis}
    assert sorted(k) == ["1-1-1", "1-1-2", "1-2-1", "1-2-2", "2-1-1", "2-1-2"]
    assert k["1-1-1"].cumulative and k["1-1-1"].baseline == 0
    assert str(k["1-1-2"].target) == "55.0" and k["1-1-2"].baseline_year == 2019
    assert k["1-2-2"].baseline is None and k["1-2-2"].target == 1200
    assert k["2-1-2"].direction == "decrease" and k["1-2-1"].direction == "increase"
    assert plan.goal_indicators[0].baseline == 2150
    assert plan.goal_indicators[1].direction == "maintain"
    text = imported.read_text(encoding="utf-8")
    assert text.startswith("# みなみ町総合戦略\n# mine-report plan import")
    assert 'levels = ["基本目標", "施策"]' in text


def test_the_same_plan_from_every_encoding_and_from_excel(imported, tmp_path):
    digest = load_plan(imported).digest
    for name, source in (("utf8", write_csv(tmp_path / "a.csv", ROWS, "utf-8")),
                         ("bom", write_csv(tmp_path / "b.csv", ROWS, "utf-8-sig")),
                         ("xlsx", write_xlsx(tmp_path / "c.xlsx", ROWS))):
        out = tmp_path / f"{name}.toml"
        result = run_import(source, out, "--period", "2025-2029")
        assert result.exit_code == 0, (name, result.output)
        assert load_plan(out).digest == digest, name
        def body(path: Path) -> list[str]:  # all but the line naming the source file
            return path.read_text(encoding="utf-8").splitlines()[2:]
        assert body(out) == body(imported), name


def test_round_trips_through_plan_json(imported, tmp_path):
    result = CliRunner().invoke(cli, ["plan", "--plan", str(imported), "--json"])
    assert result.exit_code == 0, result.output
    (tmp_path / "p.json").write_text(result.output, encoding="utf-8")
    assert load_plan(tmp_path / "p.json").to_dict() == load_plan(imported).to_dict()
    assert json.loads(result.output)["levels"] == ["基本目標", "施策"]


def test_every_problem_with_row_and_column_and_nothing_written(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[1][7] = "十"            # H3 目標値 not a number
    rows[2][4] = ""              # E4 単位 blank
    rows[3][5] = "310人"         # F5 a unit other than 単位 (千人)
    rows[5][11] = "指標"         # L7 区分 unknown
    rows[6][9] = "上昇"          # J8 方向 unknown
    rows[7][6] = "令和99年度"    # G9 year out of range
    out = tmp_path / "plan.toml"
    out.write_text("元の内容\n", encoding="utf-8")
    before = file_state(out)
    result = run_import(write_csv(tmp_path / "list.csv", rows, "utf-8"), out,
                        "--period", "2025-2029")
    assert result.exit_code == 1
    for where in ("3行目 H列（目標値）", "4行目 E列（単位）", "5行目 F列（基準値）",
                  "7行目 L列（区分）", "8行目 J列（方向）", "9行目 G列（基準年度）"):
        assert where in result.output, (where, result.output)
    assert "Traceback" not in result.output
    assert file_state(out) == before


def test_missing_headers_and_level_count(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("指標名,単位,目標値\nA,人,1\n", encoding="utf-8")
    result = run_import(path, tmp_path / "p.toml")
    assert result.exit_code == 1 and "L005" in result.output and "基準値" in result.output
    path.write_text("施策,指標名,単位,基準値,目標値\nA,B,人,1,2\n", encoding="utf-8")
    result = run_import(path, tmp_path / "p.toml", "--period", "2025-2029")
    assert result.exit_code == 1 and "L006" in result.output
    assert not (tmp_path / "p.toml").exists()


@pytest.mark.slow
def test_imported_list_through_template_validate_build_and_report(imported, tmp_path):
    plan = load_plan(imported)
    returns = tmp_path / "returns"
    returns.mkdir()
    values = {}
    for i, kpi in enumerate(plan.kpis):
        start = kpi.baseline if kpi.baseline is not None else 0
        values[(kpi.id, 2025)] = start + (kpi.target - start) / 4 + i % 2
        values[(kpi.id, 2026)] = start + (kpi.target - start) / 2
    for department in plan.departments():
        measures = [m.id for m in plan.measures if m.department == department]
        if measures:
            make_filled(returns, plan, f"{department}.xlsx",
                        {k: v for k, v in values.items()
                         if any(k[0].startswith(m + "-") for m in measures)},
                        year=2026, measure_ids=measures, goal_ids=[], department=department)
    out = tmp_path / "out"
    result = validate_and_build(imported, returns, out)
    assert "KPI 6 件中 6 件を評価" in result.output
    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "基本目標1" in text and "基本目標2" in text and "基本目標別の評価" in text
    assert "重点戦略" not in text and "戦略方針" not in text


#: A comprehensive plan's shape: three levels above the KPIs, 数値目標 on the first two.
DEEP_HEADER = ["番号", "基本目標", "政策", "施策", "指標名", "単位", "基準値", "目標値", "区分",
               "担当課"]
DEEP_ROWS = [
    ["", "1 活力ある産業", "", "", "町内総生産", "億円", "500", "520", "数値目標", "企画課"],
    ["", "", "(1)農業", "", "農業産出額", "百万円", "3,000", "3,100", "数値目標", "企画課"],
    ["", "", "", "①担い手の育成", "認定農業者数", "人", "40", "45", "", "農林課"],
    ["", "", "", "②農地の保全", "耕作放棄地の面積", "ha", "12.5", "10.0", "", "農林課"],
    ["", "", "(2)商工業", "①創業の支援", "創業件数", "件", "―", "15", "", "商工課"],
]


@pytest.mark.slow
def test_three_levels_with_goal_indicators_on_two_of_them(tmp_path):
    source = tmp_path / "deep.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows([DEEP_HEADER, *DEEP_ROWS])
    source.write_text(buf.getvalue(), encoding="utf-8-sig")
    out = tmp_path / "deep.toml"
    result = run_import(source, out, "--period", "2025-2029")
    assert result.exit_code == 0, result.output
    plan = load_plan(out)
    assert plan.levels == ("基本目標", "政策", "施策")
    assert [g.id for g in plan.goal_indicators] == ["G1-1", "G1-1-1"]
    assert [p.goal_indicators[0].name for p in plan.policies if p.goal_indicators] == ["農業産出額"]
    assert [k.id for k in plan.kpis] == ["1-1-1-1", "1-1-2-1", "1-2-1-1"]
    assert plan.kpi("1-1-2-1").direction == "decrease"

    returns = tmp_path / "returns"
    returns.mkdir()
    values = {("1-1-1-1", 2025): 41, ("1-1-2-1", 2025): 12.0, ("1-2-1-1", 2025): 3,
              ("G1-1", 2025): 505, ("G1-1-1", 2025): 3020}
    make_filled(returns, plan, "all.xlsx", values, year=2025, department="企画課")
    built = tmp_path / "out"
    validate_and_build(out, returns, built, "--html")
    data = json.loads((built / "kpi_results.json").read_text(encoding="utf-8"))
    assert {g["id"]: g["grade"] in "ABCD" for g in data["goal_indicators"]} == {
        "G1-1": True, "G1-1-1": True}
    html = (built / "report.html").read_text(encoding="utf-8")
    assert "政策1-1" in html and "政策1-1の目標指標" in html and "戦略方針" not in html


@pytest.mark.parametrize("levels", [["基本目標", "施策"], ["政策", "施策", "事業"],
                                    ["基本目標", "政策", "施策", "具体的施策"],
                                    ["分野", "基本目標", "政策", "施策", "事務事業"]])
def test_lists_of_two_to_five_levels_nest_in_the_toml(tmp_path, levels):
    """One 数値目標 on every level above the sheet unit and two KPIs on each of two
    sheet-unit items; the written TOML nests its middle levels and reads back the same
    through `plan --json`."""
    n = len(levels)
    header = ["# 注記の行（出典など）は読み飛ばす", *[""] * (n + 4)]
    rows = [header, [*levels, "指標名", "単位", "基準値", "目標値", "区分"]]
    for depth in range(n - 1):  # a 数値目標 on each level above the sheet unit
        titles = ["" if d != depth else f"(1){levels[d]}の項目" for d in range(n)]
        rows.append([*titles, f"{levels[depth]}の数値目標", "件", "10", "20", "数値目標"])
    for item in (1, 2):
        titles = [""] * (n - 1) + [f"({item}){levels[-1]}{item}"]
        for k in (1, 2):
            rows.append([*(titles if k == 1 else [""] * n), f"指標{item}-{k}", "人", "5", "9", ""])
    source = tmp_path / "list.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    source.write_text(buf.getvalue(), encoding="utf-8")
    out = tmp_path / "plan.toml"
    result = run_import(source, out, "--period", "2025-2029")
    assert result.exit_code == 0, result.output
    plan = load_plan(out)
    assert plan.levels == tuple(levels)
    assert [k.id for k in plan.kpis] == [
        "-".join(["1"] * (n - 1) + [str(i), str(k)]) for i in (1, 2) for k in (1, 2)]
    assert len(plan.goal_indicators) == n - 1
    for m in plan.measures:
        assert [plan.level_name(a) for a in plan.ancestors(m.id)] == levels[:-1]
    text = out.read_text(encoding="utf-8")
    assert f"[[strategies{'.policies' * (n - 2)}.measures.kpis]]" in text
    again = tmp_path / "again.json"
    again.write_text(CliRunner().invoke(cli, ["plan", "--plan", str(out), "--json"]).output,
                     encoding="utf-8")
    assert load_plan(again) == plan
