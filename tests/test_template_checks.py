"""The workbook checks itself while the clerk types (template_checks): LibreOffice, driven
through UNO like a clerk, shows the problems `validate` reports, and nothing the checks
write is ever read as data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter
from workbooks import edit_workbook, make_filled, make_template, read_meta, validate_json

from mine_report.workbook.checks import CHECKS, STATUS_ROW
from mine_report.workbook.layout import GUIDE_SHEET, SUBMITTER_SHEET

UNO_SCRIPT = Path(__file__).with_name("uno_calc.py")
SYSTEM_PYTHON = "/usr/bin/python3"  # the UNO bridge (Debian python3-uno) lives there
EXCEL_CHECK = Path(os.environ.get("EXCEL_CHECK_DIR", "/work/shared/tools/excel-check"))
EXCEL_CHECK_PYTHON = Path.home() / ".cache" / "xv-venv" / "bin" / "python"
#: Codes a formula cannot express (dates and percentages need the cell's format, E310 the
#: row's history).
NOT_EXPRESSED = {"E304", "E306", "E310", "W306"}
YEAR = 2023


def uno_available() -> bool:
    if shutil.which("soffice") is None or not Path(SYSTEM_PYTHON).exists():
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


needs_uno = pytest.mark.skipif(not uno_available(),
                               reason="LibreOffice with python3-uno is not installed")


def calc_items(workbook: Path, steps: list) -> list[dict]:
    """Run the steps in LibreOffice (tests/uno_calc.py); what each "read" step saw."""
    done = subprocess.run([SYSTEM_PYTHON, str(UNO_SCRIPT), str(workbook)],
                          input=json.dumps(steps), capture_output=True, text=True,
                          timeout=240, env={**os.environ, "HOME": str(workbook.parent)})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def by_cell(items: list[dict], what: str = "text") -> dict:
    """What was read ("text" shown, or "validation" type) by "sheet!cell"; a cell read
    several times keeps a list."""
    out: dict[str, list] = {}
    for item in items:
        out.setdefault(item["cell"], []).append(item[what])
    return {k: v[0] if len(v) == 1 else v for k, v in out.items()}


def calc(workbook: Path, steps: list) -> dict:
    """The texts read by the steps, by "sheet!cell"."""
    return by_cell(calc_items(workbook, steps))


def code_cell(sm, ref: str) -> str:
    """The hidden code cell that judges the input cell `ref` of a measure sheet."""
    col = "".join(ch for ch in ref if ch.isalpha())
    row = ref[len(col):]
    codes = column_index_from_string(sm.check_helper_cols.split(":")[0])
    first_year = column_index_from_string(sm.year_cols[min(sm.year_cols)])
    index = column_index_from_string(col)
    if index < first_year:  # a measure text in column B: judged in the 備考 slot
        index = column_index_from_string(sm.note_col)
    return f"{get_column_letter(codes + index - first_year)}{row}"


def input_cells(sm) -> list[str]:
    cells = [f"{c}{r}" for r in sm.kpi_rows.values() for c in [*sm.year_cols.values(), sm.note_col]]
    cells += [f"{c}{r}" for r in sm.initiative_rows.values()
              for c in (sm.status_col, sm.initiative_text_col)]
    return cells + [sm.achievements_cell, sm.issues_cell, sm.outlook_cell, sm.outlook_text_cell]


# --- what the template writes ---------------------------------------------------------------


@pytest.fixture(scope="module")
def blank(blank_template):
    """The blank template opened once with openpyxl, and its metadata (tests only read it)."""
    return openpyxl.load_workbook(blank_template), read_meta(blank_template)


def test_check_cells_recorded_locked_and_apart_from_the_inputs(blank):
    wb, meta = blank
    for sm in meta.sheets:
        ws = wb[sm.sheet]
        first, last = sm.check_helper_cols.split(":")
        assert column_index_from_string(first) == column_index_from_string(sm.check_col) + 1
        assert ws.column_dimensions[first].hidden
        assert not ws.column_dimensions[sm.check_col].hidden
        inputs = set(input_cells(sm))
        checks = [sm.check_status_cell, sm.check_input_cell, sm.check_count_cell,
                  *(f"{sm.check_col}{r}" for r in sm.kpi_rows.values())]
        for ref in checks:
            assert ref not in inputs
            assert str(ws[ref].value).startswith("="), (sm.sheet, ref)
            assert ws[ref].protection.locked is not False
        assert sm.check_status_cell == f"B{STATUS_ROW + 1}"
        # every input cell is judged by a formula in its code cell, and shown in colour
        for ref in input_cells(sm):
            assert str(ws[code_cell(sm, ref)].value).startswith("="), (sm.sheet, ref)
        assert len(ws.conditional_formatting) >= 3
    assert meta.goals.check_col == ""  # the planning division's sheet has no checks


def test_front_sheet_lists_every_sheet_with_a_link_and_its_status(blank, shipped_plan):
    wb, _ = blank
    ws = wb[GUIDE_SHEET]
    links = {c.value: c.hyperlink.location for row in ws.iter_rows() for c in row if c.hyperlink}
    for measure in shipped_plan.measures:
        assert links[measure.id] == f"'{measure.id}'!B{STATUS_ROW + 1}"
        row = next(c.row for r in ws.iter_rows() for c in r if c.value == measure.id)
        assert f"'{measure.id}'!$R$5" in ws[f"E{row}"].value  # its count, read by formula
    assert SUBMITTER_SHEET in links
    assert "提出前チェック" in " ".join(str(c.value) for r in ws.iter_rows() for c in r)


# --- LibreOffice, typed like a clerk --------------------------------------------------------


@pytest.mark.slow
@needs_uno
def test_count_rises_on_a_bad_value_and_falls_when_fixed(tmp_path, shipped_plan):
    path = make_template(tmp_path, shipped_plan, year=YEAR, measure_ids=["1-1-1", "1-1-2"],
                         department="観光振興課")
    sm = read_meta(path).sheets[0]
    cur = f"{sm.year_cols[YEAR]}{sm.kpi_rows['1-1-1-1']}"
    other = f"{sm.year_cols[YEAR]}{sm.kpi_rows['1-1-1-2']}"
    status, total = f"1-1-1!{sm.check_status_cell}", f"{GUIDE_SHEET}!C8"

    def look():
        return [["recalc"], ["read", "1-1-1", sm.check_status_cell], ["read", GUIDE_SHEET, "C8"],
                ["read", "1-1-1", f"{sm.check_col}{sm.kpi_rows['1-1-1-1']}"]]

    note = f"{sm.note_col}{sm.kpi_rows['1-1-1-1']}"
    # (Calc 7.4 crashes pasting from the clipboard onto a cell edited through UNO before,
    # so the normal paste goes to the untouched 令和4年度 cell)
    earlier = f"{sm.year_cols[YEAR - 1]}{sm.kpi_rows['1-1-1-1']}"
    steps = [*look(),
                       ["value", "1-1-1", other, 288000], *look(),   # one actual: 1 still blank
                       ["type", "1-1-1", cur, "５３０人"], *look(),  # typed with a wrong unit
                       ["paste", "1-1-1", cur, "-530"], *look(),    # pasted, negative
                       ["type", "1-1-1", cur, "530"], *look(),     # fixed
                       # a normal paste of a text cell: Calc drops the cell's data validation
                       ["type", "1-1-1", note, "不明"], ["clipboard", "1-1-1", note, earlier],
                       ["read", "1-1-1", earlier], ["read", "1-1-1", cur], *look(),
                       ["type", "1-1-1", earlier, "512"], *look()]
    items = calc_items(path, steps)
    seen, validation = by_cell(items), by_cell(items, "validation")
    # the actual cells carry a rule; the normal paste took it away (the checks stay)
    assert validation[f"1-1-1!{cur}"] == "CUSTOM" and validation[f"1-1-1!{earlier}"] == "ANY"
    assert seen[f"1-1-1!{earlier}"] == "不明"
    open_one = "あと 1 件（右端の「チェック」列の × を確認）"
    # no problem left, but the blank statuses and texts are pointed out (never counted)
    clear = "問題なし（空欄 10 箇所: 「チェック」列の △ は記入漏れでないか確認）"
    assert seen[status] == ["未記入（この施策を担当していなければ記入不要）",
                            open_one, open_one, open_one, clear, open_one, clear]
    assert [t.split("（")[0] for t in seen[total]] == [
        "まだ何も記入されていません", "× あと 1 件", "× あと 1 件", "× あと 1 件",
        "問題なし", "× あと 1 件", "問題なし"]
    assert seen[f"1-1-1!{sm.check_col}{sm.kpi_rows['1-1-1-1']}"] == [
        "", "× 令和5年度: 未入力", "× 令和5年度: 数値でない", "× 令和5年度: 負の数", "",
        "× 令和4年度: 数値でない", ""]


#: Typed mistakes: (sheet, what, cell key, how, text) and the validate code expected there.
#: cell key: (KPI id, year) / (KPI id, "note") / (initiative id, "status"|"text") / (measure, text key)
MISTAKES = [
    ("1-1-1", ("1-1-1-1", 2023), "type", "abc", "E301"),
    ("1-1-1", ("1-1-1-1", 2022), "paste", "540人", "E311"),  # 千人 KPI: another unit
    ("1-1-1", ("1-1-1-1", 2021), "paste", "1,23", "E301"),  # not a thousands grouping
    ("1-1-1", ("1-1-1-1", 2020), "type", "-5", "E302"),
    ("1-1-1", ("1-1-1-1", 2024), "type", "100", "W304"),  # after the evaluation year
    ("1-1-1", ("1-1-1-1", "note"), "type", "=1/0", "E305"),
    ("1-1-1", ("1-1-1-2", 2023), "paste", "１２，３４５ 千円", "W301"),
    ("1-1-1", ("1-1-1-2", 2022), "paste", "未把握", None),
    ("1-1-1", ("1-1-1-2", 2021), "paste", "ｰ", None),  # half-width ー: a mark
    ("1-1-1", ("1-1-1-2", 2020), "paste", "+5.", "W301"),
    ("1-1-1", ("1-1-1-i1", "status"), "paste", "完了", "E307"),
    ("1-1-1", ("1-1-1-i2", "status"), "paste", "実施 済み", None),
    ("1-1-1", ("1-1-1-i3", "text"), "paste", "あ" * 2001, "W305"),
    ("1-1-1", ("1-1-1", "outlook"), "paste", "やめる", "E308"),
    ("1-1-2", ("1-1-2-3", 2023), "type", "150", "E303"),
    ("1-1-2", ("1-1-2-3", 2022), "paste", "150%", "E303"),
    ("1-1-2", ("1-1-2-3", 2021), "paste", "40％", "W301"),
    ("1-1-2", ("1-1-2-3", 2020), "paste", "1,234.5", "E303"),
    ("1-1-2", ("1-1-2-2", 2023), "type", "12", None),
    ("1-1-2", ("1-1-2-2", 2022), "paste", "１，２３４", "W301"),
    ("1-1-2", ("1-1-2-2", 2021), "paste", "1.2.3", "E301"),
    ("1-1-2", ("1-1-2-2", 2020), "paste", ",123", "E301"),  # no leading digits
    ("1-1-2", ("1-1-2-1", 2022), "paste", "12,345,678.25", "W301"),
    ("1-1-2", ("1-1-2-1", 2021), "paste", "1,234,56", "E301"),
    ("1-1-2", ("1-1-2-1", 2020), "paste", "1,234.", "E301"),  # grouped needs decimals after .
    ("1-1-3", ("1-1-3-2", 2023), "paste", "1234,5", "E301"),
    ("1-1-3", ("1-1-3-2", 2022), "paste", "5,000人", "W301"),  # its own unit
    ("1-1-3", ("1-1-3-2", 2021), "paste", ".5", "W301"),
    ("1-1-3", ("1-1-3-2", 2020), "paste", "－ 3", "E302"),  # full-width minus, a space
    ("1-1-3", ("1-1-3-1", 2023), "paste", "集計中", "W308"),  # no reason in 備考
    ("1-1-3", ("1-1-3-1", 2022), "paste", "TRUE", "E301"),
    ("1-1-3", ("1-1-3-i1", "status"), "paste", "実施中", None),
    ("1-1-2", ("1-1-2", "achievements"), "paste", "観光客が回復した。", None),
]


def cell_for(sm, key) -> str:
    ident, what = key
    if isinstance(what, int):
        return f"{sm.year_cols[what]}{sm.kpi_rows[ident]}"
    if what == "note":
        return f"{sm.note_col}{sm.kpi_rows[ident]}"
    if what in ("status", "text"):
        col = sm.status_col if what == "status" else sm.initiative_text_col
        return f"{col}{sm.initiative_rows[ident]}"
    return getattr(sm, f"{what}_cell")


@pytest.mark.slow
@needs_uno
def test_validate_agrees_with_the_marks_on_typed_mistakes(tmp_path, shipped_plan):
    path = make_template(tmp_path, shipped_plan, year=YEAR,
                         measure_ids=["1-1-1", "1-1-2", "1-1-3"])
    meta = read_meta(path)
    maps = {sm.sheet: sm for sm in meta.sheets}
    steps: list = [["unprotect", "1-1-1"]]  # 令和6年度 is locked: the clerk unlocked it
    for sheet, key, how, value, _ in MISTAKES:
        steps.append([how, sheet, cell_for(maps[sheet], key), value])
    steps.append(["recalc"])
    for sm in meta.sheets:
        steps += [["read", sm.sheet, code_cell(sm, ref)] for ref in input_cells(sm)]
        steps += [["read", sm.sheet, sm.check_input_cell], ["read", sm.sheet, sm.check_count_cell]]
    saved = tmp_path / "out" / "returned.xlsx"
    saved.parent.mkdir()
    department_cell = meta.submitter_cells["department"]
    department_check = "D" + department_cell[1:]
    i4 = f"{maps['1-1-1'].check_col}{maps['1-1-1'].initiative_rows['1-1-1-i4']}"
    i3 = f"{maps['1-1-1'].check_col}{maps['1-1-1'].initiative_rows['1-1-1-i3']}"
    steps += [["read", GUIDE_SHEET, "C8"], ["read", SUBMITTER_SHEET, department_check],
              ["read", "1-1-1", i4], ["read", "1-1-1", i3], ["save", str(saved)]]
    seen = calc(path, steps)

    marked: dict[tuple[str, str], str] = {}
    for sm in meta.sheets:
        has_input = seen[f"{sm.sheet}!{sm.check_input_cell}"] == "1"
        for ref in input_cells(sm):
            code = int(seen[f"{sm.sheet}!{code_cell(sm, ref)}"] or 0)
            if code > 0 and has_input:
                marked[(sm.sheet, ref)] = code
        assert int(seen[f"{sm.sheet}!{sm.check_count_cell}"]) == sum(
            1 for (sheet, _) in marked if sheet == sm.sheet)
    # 担当課 is empty: the front sheet counts it and marks the cell
    assert seen[f"{SUBMITTER_SHEET}!{department_check}"] == "× 担当課を記入してください"
    marked[(SUBMITTER_SHEET, department_cell)] = 0
    # a blank status is a reminder only (validate requires none); problems win in the row
    assert seen[f"1-1-1!{i4}"] == "△ 実施状況: 未記入"
    assert seen[f"1-1-1!{i3}"] == "× 取組内容: 2000字を超える"
    assert seen[f"{GUIDE_SHEET}!C8"].startswith(f"× あと {len(marked)} 件（4 シート）")

    code, doc = validate_json(str(saved))
    assert code == 1
    reported: dict[tuple[str, str], set[str]] = {}
    for p in doc["files"][0]["problems"]:
        assert p["code"] not in NOT_EXPRESSED, p
        reported.setdefault((p["sheet"], p["cell"]), set()).add(p["code"])
    assert set(reported) == set(marked)
    for where, codes in reported.items():
        if where[0] == SUBMITTER_SHEET:
            assert codes == {"W203"}
            continue
        label, expected = CHECKS[marked[where] - 1]
        assert codes & set(expected), (where, label, codes)
    for sheet, key, _, value, expected in MISTAKES:
        where = (sheet, cell_for(maps[sheet], key))
        assert (expected in reported.get(where, set())) if expected else where not in reported, (
            value, reported.get(where))
    # the blank actual of 1-1-2-1 on a sheet with input is the one W303
    assert reported[("1-1-2", cell_for(maps["1-1-2"], ("1-1-2-1", YEAR)))] == {"W303"}


# --- check cells are never data ------------------------------------------------------------


def damage_checks(wb) -> None:
    """Overwrite every check cell of every measure sheet with junk, as a clerk who pastes
    over them or deletes them might."""
    meta_rows = {r[0].value: r[1].value for r in wb["_meta"].iter_rows()}
    from mine_report.workbook.layout import WorkbookMeta

    meta = WorkbookMeta.from_rows({k: v for k, v in meta_rows.items() if k})
    for sm in meta.sheets:
        ws = wb[sm.sheet]
        first, last = sm.check_helper_cols.split(":")
        cols = range(column_index_from_string(sm.check_col), column_index_from_string(last) + 1)
        for row in range(1, ws.max_row + 1):
            for n, col in enumerate(cols):
                if ws.cell(row, col).value is not None:
                    ws.cell(row, col).value = ("壊れた", 12345, "=1/0", None)[(row + n) % 4]
        ws[sm.check_status_cell].value = 999


def test_damaged_or_deleted_checks_validate_the_same(tmp_path, shipped_plan):
    values = {("1-1-1-1", 2023): "abc", ("1-1-1-2", 2023): 290100, ("1-1-1-2", 2022): "１２３"}
    path = make_filled(tmp_path, shipped_plan, "filled.xlsx", values, year=YEAR,
                       measure_ids=["1-1-1"], department="観光振興課",
                       statuses={"1-1-1-i1": ("完了", "実施した。")})
    _, before = validate_json(str(path))
    damaged = edit_workbook(path, damage_checks, tmp_path / "damaged.xlsx")
    _, after = validate_json(str(damaged))
    strip = [{k: v for k, v in p.items() if k != "file"} for p in before["files"][0]["problems"]]
    assert strip == [{k: v for k, v in p.items() if k != "file"}
                     for p in after["files"][0]["problems"]]
    assert {p["code"] for p in after["files"][0]["problems"]} >= {"E301", "W301", "E307"}


@pytest.mark.slow
@needs_uno
def test_cached_check_values_are_never_read_as_data(tmp_path, shipped_plan):
    from mine_report.intake.reader import read_workbook

    path = make_template(tmp_path, shipped_plan, year=YEAR, measure_ids=["1-1-1"],
                         department="観光振興課")
    sm = read_meta(path).sheets[0]
    cur = sm.year_cols[YEAR]
    saved = tmp_path / "out" / "saved.xlsx"
    saved.parent.mkdir()
    calc(path, [["type", "1-1-1", f"{cur}{sm.kpi_rows['1-1-1-1']}", "abc"],
                ["type", "1-1-1", f"{cur}{sm.kpi_rows['1-1-1-2']}", "290100"],
                ["recalc"], ["save", str(saved)]])
    wb = openpyxl.load_workbook(saved, data_only=True)  # LibreOffice stored every result
    assert wb["1-1-1"][sm.check_count_cell].value == 1
    assert wb["1-1-1"][sm.check_status_cell].value.startswith("あと 1 件")
    submission, problems = read_workbook(saved, shipped_plan)
    (report,) = submission.measures
    assert [(a.kpi_id, a.year, a.value) for a in report.actuals] == [("1-1-1-2", YEAR, 290100)]
    assert [(p.code, p.cell) for p in problems] == [("E301", f"{cur}{sm.kpi_rows['1-1-1-1']}")]
    assert report.notes == () and all(not i.status for i in report.initiatives)


# --- Excel's own validator ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not (EXCEL_CHECK_PYTHON.exists() and (EXCEL_CHECK / "ooxml_validate.py").exists()),
                    reason="the shared excel-check tool or its venv (~/.cache/xv-venv) is missing")
def test_open_xml_sdk_accepts_the_templates(tmp_path, shipped_plan, blank_template):
    department = make_template(tmp_path, shipped_plan, "dept.xlsx", year=YEAR,
                               measure_ids=["1-1-1", "1-1-2"], department="観光振興課")
    files = [str(blank_template), str(department)]
    sdk = subprocess.run([str(EXCEL_CHECK_PYTHON), str(EXCEL_CHECK / "ooxml_validate.py"), *files],
                         capture_output=True, text=True, timeout=300)
    if sdk.returncode == 2:
        pytest.skip(f"the Open XML SDK could not start: {sdk.stderr[-300:]}")
    assert sdk.returncode == 0, sdk.stdout + sdk.stderr
    limits = subprocess.run([sys.executable, str(EXCEL_CHECK / "excel_limits.py"), *files],
                            capture_output=True, text=True, timeout=120)
    assert limits.returncode == 0, limits.stdout + limits.stderr


@pytest.mark.slow
@needs_uno
def test_samples_say_no_problems_as_validate_does(tmp_path):
    from workbooks import SAMPLES_DIR

    code, doc = validate_json(str(SAMPLES_DIR))
    assert code == 0 and doc["summary"]["warnings"] == 0
    paths = [Path(shutil.copy(p, tmp_path / p.name)) for p in sorted(SAMPLES_DIR.glob("*.xlsx"))]
    wb = openpyxl.load_workbook(paths[0], read_only=True)
    total = next(f"C{c.row}" for r in wb[GUIDE_SHEET].iter_rows() for c in r if c.value == "全体")
    steps = [step for path in paths for step in (["open", str(path)], ["read", GUIDE_SHEET, total])]
    seen = calc(paths[0], steps)[f"{GUIDE_SHEET}!{total}"]
    assert seen == ["問題なし（このまま提出できます）"] * len(paths)


def test_layout_of_a_newer_template_still_reads(blank):
    """A later version may record more positions; a reader that does not know them reads on."""
    from mine_report.workbook.layout import SheetMap

    sm = blank[1].sheets[0]
    data = json.loads(sm.to_json())
    data["check_something_new"] = "Z9"
    assert SheetMap.from_json(json.dumps(data)) == sm
