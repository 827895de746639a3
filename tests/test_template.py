"""The standard workbook (`mine-report template`), read back with openpyxl."""

from __future__ import annotations

import os
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import range_boundaries
from workbooks import COMMITTED_TEMPLATE, actual_cell, make_filled, make_template, read_meta

from mine_report.cli import cli
from mine_report.common.fiscal import format_fiscal_year, parse_fiscal_year
from mine_report.plan.model import DIRECTION_LABELS
from mine_report.workbook.layout import (
    FORMAT_VERSION,
    GOALS_SHEET,
    GUIDE_SHEET,
    META_SHEET,
    OUTLOOKS,
    STATUSES,
    SUBMITTER_FIELDS,
    SUBMITTER_SHEET,
)
from tools.samples import meta_from_workbook

FRONT_SHEETS = [GUIDE_SHEET, SUBMITTER_SHEET, GOALS_SHEET]


@pytest.fixture(scope="module")
def blank_wb(blank_template):
    """The blank template opened once with openpyxl (tests only read it)."""
    return openpyxl.load_workbook(blank_template)


def run(*args: str):
    return CliRunner().invoke(cli, ["template", *args])


def unlocked_cells(ws) -> set[str]:
    return {c.coordinate for row in ws.iter_rows() for c in row
            if c.protection.locked is False}


def validations(ws, kind: str):
    return [dv for dv in ws.data_validations.dataValidation if dv.type == kind]


def cells_of(dv) -> set[str]:
    out = set()
    for rng in str(dv.sqref).split():
        min_col, min_row, max_col, max_row = range_boundaries(rng)
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                out.add(f"{openpyxl.utils.get_column_letter(c)}{r}")
    return out


# --- structure ------------------------------------------------------------------------------


def test_sheets_in_order_with_hidden_meta(blank_wb, shipped_plan):
    wb = blank_wb
    measure_ids = [m.id for m in shipped_plan.measures]
    assert wb.sheetnames == [*FRONT_SHEETS, *measure_ids, META_SHEET]
    assert len(measure_ids) == 38
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb[META_SHEET].protection.sheet
    assert all(wb[name].sheet_state == "visible" for name in wb.sheetnames[:-1])
    assert wb.active.title == GUIDE_SHEET


def test_metadata_read_back(blank_template, shipped_plan):
    meta = read_meta(blank_template)
    assert meta.format_version == FORMAT_VERSION
    assert meta.plan_title == shipped_plan.title
    assert meta.plan_digest == shipped_plan.digest
    assert meta.year is None and meta.sample is False and meta.department == ""
    assert meta.generated.startswith("20")
    assert [sm.measure_id for sm in meta.sheets] == [m.id for m in shipped_plan.measures]
    assert set(meta.submitter_cells) == set(SUBMITTER_FIELDS)
    assert meta.goals.sheet == GOALS_SHEET and meta.goals.measure_id == "goals"
    assert list(meta.goals.kpi_rows) == [g.id for g in shipped_plan.goal_indicators]
    for sm in meta.sheets:
        assert sm.sheet == sm.measure_id
        assert set(sm.year_cols) == set(shipped_plan.years)


def test_every_kpi_and_initiative_on_its_measure_sheet(blank_wb, shipped_plan):
    wb = blank_wb
    meta = meta_from_workbook(wb)
    for sm in meta.sheets:
        measure = shipped_plan.measure(sm.measure_id)
        ws = wb[sm.sheet]
        assert ws[sm.id_cell].value == measure.id and ws[sm.id_cell].data_type == "s"
        strategy, policy = shipped_plan.parents(measure.id)
        texts = [c.value for row in ws.iter_rows(max_row=sm.kpi_header_row) for c in row
                 if isinstance(c.value, str)]
        assert any(measure.title in t for t in texts)
        assert any(strategy.title in t for t in texts)
        assert any(policy.title in t for t in texts)
        assert measure.description in texts
        ids = [c.value for (c,) in ws[f"{sm.kpi_id_col}{sm.kpi_header_row + 1}:"
                                      f"{sm.kpi_id_col}{sm.kpi_header_row + len(measure.kpis)}"]]
        assert ids == [k.id for k in measure.kpis]
        for kpi in measure.kpis:
            row = sm.kpi_rows[kpi.id]
            cols = sm.plan_cols
            assert ws[f"{cols['name']}{row}"].value == kpi.name
            assert ws[f"{cols['unit']}{row}"].value == kpi.unit
            baseline = ws[f"{cols['baseline']}{row}"].value
            if kpi.baseline is None:
                assert baseline == "－"
            else:
                assert Decimal(repr(baseline)) == kpi.baseline
            assert Decimal(repr(ws[f"{cols['target']}{row}"].value)) == kpi.target
            assert parse_fiscal_year(ws[f"{cols['baseline_year']}{row}"].value) == kpi.baseline_year
            assert parse_fiscal_year(ws[f"{cols['target_year']}{row}"].value) == kpi.target_year
            assert DIRECTION_LABELS[kpi.direction] in [c.value for c in ws[row]]
        headers = [ws[f"{col}{sm.kpi_header_row}"].value for col in sm.year_cols.values()]
        assert headers == [format_fiscal_year(y) for y in shipped_plan.years]
        assert headers[0] == "令和2年度" and headers[-1] == "令和6年度"
        found = [c.value for (c,) in ws[f"{sm.initiative_id_col}{sm.initiative_header_row + 1}:"
                                        f"{sm.initiative_id_col}{ws.max_row}"]
                 if isinstance(c.value, str) and "-i" in c.value]
        assert found == [i.id for i in measure.initiatives]
        for initiative in measure.initiatives:
            row_values = [c.value for c in ws[sm.initiative_rows[initiative.id]]]
            assert initiative.title in row_values and initiative.schedule in row_values


def test_goal_indicator_sheet(blank_wb, shipped_plan):
    wb = blank_wb
    meta = meta_from_workbook(wb)
    ws = wb[GOALS_SHEET]
    assert ws[meta.goals.id_cell].value == "goals"
    for goal in shipped_plan.goal_indicators:
        row = meta.goals.kpi_rows[goal.id]
        assert ws[f"{meta.goals.kpi_id_col}{row}"].value == goal.id
        assert ws[f"{meta.goals.plan_cols['name']}{row}"].value == goal.name
        for col in meta.goals.year_cols.values():
            assert ws[f"{col}{row}"].protection.locked is False


def test_guide_explains_how_to_fill(blank_wb, shipped_plan):
    ws = blank_wb[GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    for needle in ("半角", "単位", "カンマ", "未把握", "備考", "提出期限", "問い合わせ先",
                   shipped_plan.municipality, shipped_plan.issuer, *STATUSES, *OUTLOOKS):
        assert needle in text, needle
    # The legend shows the input colour on a locked cell, and the deadline is an input cell.
    unlocked = unlocked_cells(ws)
    assert len(unlocked) == 1
    (deadline,) = unlocked
    label = ws.cell(row=ws[deadline].row, column=ws[deadline].column - 1).value
    assert label == "提出期限"


# --- protection, inputs, validation --------------------------------------------------------


def test_protected_sheets_and_exactly_the_input_cells_unlocked(blank_wb):
    wb = blank_wb
    meta = meta_from_workbook(wb)
    for name in wb.sheetnames:
        assert wb[name].protection.sheet, name
        assert not wb[name].protection.password, name
    expected_submitter = set(meta.submitter_cells.values())
    assert unlocked_cells(wb[SUBMITTER_SHEET]) == expected_submitter
    for sm in [*meta.sheets, meta.goals]:
        ws = wb[sm.sheet]
        expected = set()
        for row in sm.kpi_rows.values():
            expected |= {f"{col}{row}" for col in sm.year_cols.values()}
            expected.add(f"{sm.note_col}{row}")
        for row in sm.initiative_rows.values():
            expected |= {f"{sm.status_col}{row}", f"{sm.initiative_text_col}{row}"}
        if sm.achievements_cell:
            expected |= {sm.achievements_cell, sm.issues_cell, sm.outlook_cell,
                         sm.outlook_text_cell}
        assert unlocked_cells(ws) == expected, sm.sheet
        plan_fill = ws[f"{sm.plan_cols['name']}{min(sm.kpi_rows.values())}"].fill.fgColor.rgb
        for ref in expected:
            assert ws[ref].fill.fgColor.rgb != plan_fill, (sm.sheet, ref)


def test_no_input_cell_is_merged(blank_wb):
    wb = blank_wb
    for ws in wb.worksheets:
        unlocked = unlocked_cells(ws)
        for rng in ws.merged_cells.ranges:
            cells = {c.coordinate for row in ws[rng.coord] for c in row}
            assert not cells & unlocked, (ws.title, rng.coord)


def test_actual_cells_validated_with_a_prompt_naming_the_kpi(blank_wb, shipped_plan):
    wb = blank_wb
    meta = meta_from_workbook(wb)
    checked = 0
    for sm in [*meta.sheets, meta.goals]:
        ws = wb[sm.sheet]
        rules = validations(ws, "custom")
        for kpi_id, row in sm.kpi_rows.items():
            kpi = shipped_plan.kpi(kpi_id) if not kpi_id.startswith("G") else next(
                g for g in shipped_plan.goal_indicators if g.id == kpi_id)
            for col in sm.year_cols.values():
                ref = f"{col}{row}"
                (dv,) = [dv for dv in rules if ref in cells_of(dv)]
                formula = dv.formula1
                first = sorted(cells_of(dv))[0]
                assert f"ISNUMBER({first})" in formula
                assert f'{first}="未把握"' in formula and f'{first}="集計中"' in formula
                assert f"{first}>=0" in formula
                assert (f"{first}<=100" in formula) == (kpi.unit == "%")
                assert dv.errorStyle in (None, "stop")
                assert dv.showErrorMessage and dv.showInputMessage
                assert kpi_id in dv.promptTitle
                assert kpi.name[:30] in dv.prompt
                assert (kpi.unit in dv.prompt) or kpi.unit == "－"
                assert len(dv.prompt) <= 255 and len(dv.promptTitle) <= 32
                checked += 1
    assert checked == (78 + 7) * 5


def test_status_and_outlook_cells_have_lists(blank_wb):
    wb = blank_wb
    meta = meta_from_workbook(wb)
    statuses = '"' + ",".join(STATUSES) + '"'
    outlooks = '"' + ",".join(OUTLOOKS) + '"'
    for sm in meta.sheets:
        lists = validations(wb[sm.sheet], "list")
        for row in sm.initiative_rows.values():
            ref = f"{sm.status_col}{row}"
            assert [dv.formula1 for dv in lists if ref in cells_of(dv)] == [statuses]
        assert [dv.formula1 for dv in lists if sm.outlook_cell in cells_of(dv)] == [outlooks]


def test_layout_for_screen_and_print(blank_wb):
    wb = blank_wb
    meta = meta_from_workbook(wb)
    for name in wb.sheetnames[:-1]:
        ws = wb[name]
        assert ws.page_setup.orientation == "landscape"
        # The text sheets on A4, the wide KPI tables on A3 (about 75 % instead of 53 %).
        wide = name == "目標指標" or name in {sm.sheet for sm in meta.sheets}
        assert int(ws.page_setup.paperSize) == (8 if wide else 9)
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0
        footer = ws.oddFooter.left.text + ws.oddFooter.right.text
        assert "&A" in footer and "&P" in footer
    for sm in meta.sheets:
        ws = wb[sm.sheet]
        assert ws.freeze_panes == f"B{sm.kpi_header_row + 1}"
        assert ws.column_dimensions[sm.plan_cols["name"]].width >= 30
        assert ws.column_dimensions[sm.note_col].width >= 30
        assert ws[f"{sm.plan_cols['name']}{min(sm.kpi_rows.values())}"].alignment.wrap_text


# --- options --------------------------------------------------------------------------------


def test_year_highlights_its_column_and_locks_later_ones(tmp_path, shipped_plan):
    out = tmp_path / "r5.xlsx"
    result = run("-o", str(out), "--year", "令和５年度")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    meta = meta_from_workbook(wb)
    assert meta.year == 2023
    sm = meta.sheets[0]
    ws = wb[sm.sheet]
    row = min(sm.kpi_rows.values())
    fills = {y: ws[f"{c}{row}"].fill.fgColor.rgb for y, c in sm.year_cols.items()}
    locked = {y: ws[f"{c}{row}"].protection.locked for y, c in sm.year_cols.items()}
    assert locked == {2020: False, 2021: False, 2022: False, 2023: False, 2024: True}
    assert fills[2020] == fills[2021] == fills[2022]
    assert len({fills[2022], fills[2023], fills[2024]}) == 3
    header = {y: ws[f"{c}{sm.kpi_header_row}"].fill.fgColor.rgb for y, c in sm.year_cols.items()}
    assert header[2023] != header[2022] and header[2024] != header[2022]
    assert "令和5年度" in " ".join(str(c.value) for r in wb[GUIDE_SHEET].iter_rows()
                                  for c in r if c.value)


def test_measures_and_department(tmp_path):
    out = tmp_path / "kanko.xlsx"
    result = run("-o", str(out), "--measures", "1-1-2, 1-1-1", "--department", "観光振興課")
    assert result.exit_code == 0, result.output
    assert "施策 2" in result.output
    wb = openpyxl.load_workbook(out)
    # the goal indicators belong to 企画政策課: a tourism workbook has no 目標指標 sheet
    assert wb.sheetnames == [GUIDE_SHEET, SUBMITTER_SHEET, "1-1-1", "1-1-2", META_SHEET]
    meta = meta_from_workbook(wb)
    assert meta.department == "観光振興課" and meta.goals is None
    cell = wb[SUBMITTER_SHEET][meta.submitter_cells["department"]]
    assert cell.value == "観光振興課" and cell.protection.locked is False
    assert [sm.measure_id for sm in meta.sheets] == ["1-1-1", "1-1-2"]


def test_goal_owner_gets_the_goal_sheet(tmp_path):
    out = tmp_path / "kikaku.xlsx"
    result = run("-o", str(out), "--measures", "5-1-1", "--department", "企画政策課")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(out, read_only=True).sheetnames[:3] == FRONT_SHEETS


def test_department_text_is_never_a_formula(tmp_path):
    out = tmp_path / "t.xlsx"
    assert run("-o", str(out), "--measures", "1-1-1", "--department", "=1+1").exit_code == 0
    wb = openpyxl.load_workbook(out)
    cell = wb[SUBMITTER_SHEET][meta_from_workbook(wb).submitter_cells["department"]]
    assert cell.value == "=1+1" and cell.data_type == "s"


@pytest.mark.parametrize("args, code, needle", [
    (["--measures", "1-1-1,9-9-9"], 2, "9-9-9"),
    (["--measures", " , "], 2, "--measures"),
    (["--year", "令和十年度"], 2, "--year"),
    (["--year", "2030"], 2, "計画期間"),
    (["--prefill", "x.xlsx"], 2, "--year"),
])
def test_bad_options_are_refused_without_output(tmp_path, args, code, needle):
    out = tmp_path / "t.xlsx"
    result = run("-o", str(out), *args)
    assert result.exit_code == code
    assert result.output.startswith("エラー: ") and needle in result.output
    assert "Traceback" not in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_unwritable_output_is_a_clean_error(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    result = run("-o", str(blocker / "t.xlsx"), "--measures", "1-1-1")
    assert result.exit_code == 1
    assert result.output.startswith("エラー: [T005] 出力先に書き込めません")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_failed_run_keeps_the_previous_output(tmp_path):
    pytest.importorskip("mine_report.intake.reader")
    out = tmp_path / "t.xlsx"
    out.write_bytes(b"previous")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK not really")
    result = run("-o", str(out), "--year", "R5", "--prefill", str(junk))
    assert result.exit_code == 1
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.xlsx", "t.xlsx"]


# --- prefill ----------------------------------------------------------------------------------


def test_prefill_fills_and_locks_earlier_years(tmp_path, shipped_plan):
    pytest.importorskip("mine_report.intake.reader")
    values = {("1-1-1-1", 2020): 489, ("1-1-1-1", 2021): 490, ("1-1-1-1", 2022): 511,
              ("1-1-1-2", 2020): 284000, ("1-1-1-2", 2021): "未把握",
              ("1-1-1-2", 2022): Decimal("288747.5"), ("G3-1", 2022): Decimal("118.6")}
    # 企画政策課 owns the goal indicators (G3-1), so its workbook carries them
    previous = make_filled(tmp_path, shipped_plan, "r4.xlsx", values, year=2022,
                           measure_ids=["1-1-1"], department="企画政策課",
                           notes={"1-1-1-2": "令和3年度は集計せず"})
    before = previous.read_bytes()
    out = tmp_path / "r5.xlsx"
    result = run("-o", str(out), "--year", "R5", "--measures", "1-1-1,1-1-2",
                 "--department", "企画政策課", "--prefill", str(previous))
    assert result.exit_code == 0, result.output
    assert previous.read_bytes() == before

    wb = openpyxl.load_workbook(out)
    meta = meta_from_workbook(wb)
    for (kpi_id, year), typed in values.items():
        sheet, ref = actual_cell(meta, kpi_id, year)
        cell = wb[sheet][ref]
        if isinstance(typed, str):
            # A not-measured mark is carried over but stays editable.
            assert cell.value == typed and cell.protection.locked is False
        else:
            assert Decimal(repr(cell.value)) == Decimal(typed)
            assert cell.protection.locked is True
    for kpi_id in ("1-1-1-1", "1-1-1-2", "1-1-2-1"):
        sheet, ref = actual_cell(meta, kpi_id, 2023)
        assert wb[sheet][ref].value is None and wb[sheet][ref].protection.locked is False
    # Earlier years nobody reported stay open for late entries.
    sheet, ref = actual_cell(meta, "1-1-2-1", 2021)
    assert wb[sheet][ref].value is None and wb[sheet][ref].protection.locked is False


def test_prefill_never_uses_the_evaluation_year_or_later(tmp_path, shipped_plan):
    pytest.importorskip("mine_report.intake.reader")
    previous = make_filled(tmp_path, shipped_plan, "prev.xlsx",
                           {("1-1-1-1", 2022): 511, ("1-1-1-1", 2023): 531},
                           year=2023, measure_ids=["1-1-1"])
    out = tmp_path / "again.xlsx"
    result = run("-o", str(out), "--year", "2023", "--measures", "1-1-1",
                 "--prefill", str(previous))
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out)
    meta = meta_from_workbook(wb)
    sheet, ref = actual_cell(meta, "1-1-1-1", 2023)
    assert wb[sheet][ref].value is None
    sheet, ref = actual_cell(meta, "1-1-1-1", 2022)
    assert wb[sheet][ref].value == 511


def test_prefill_refuses_bad_workbooks_and_its_own_output(tmp_path, shipped_plan):
    pytest.importorskip("mine_report.intake.reader")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a workbook")
    result = run("-o", str(tmp_path / "out.xlsx"), "--year", "R5", "--prefill", str(junk))
    assert result.exit_code == 1 and result.output.startswith("エラー: ")
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.xlsx").exists()
    assert junk.read_bytes() == b"this is not a workbook"

    missing = run("-o", str(tmp_path / "out.xlsx"), "--year", "R5",
                  "--prefill", str(tmp_path / "nowhere.xlsx"))
    assert missing.exit_code == 1 and "ファイルがありません" in missing.output

    previous = make_template(tmp_path, shipped_plan, "prev.xlsx", measure_ids=["1-1-1"])
    before = previous.read_bytes()
    same = run("-o", str(previous), "--year", "R5", "--prefill", str(previous))
    assert same.exit_code == 2 and "同じ" in same.output
    assert previous.read_bytes() == before


# --- reproducibility ----------------------------------------------------------------------


@pytest.mark.slow
def test_committed_template_is_current(tmp_path, monkeypatch):
    """input/kpi_template.xlsx must be regenerated when the plan or the writer changes:
    .venv/bin/mine-report template -o input/kpi_template.xlsx"""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    fresh = tmp_path / "kpi_template.xlsx"
    assert run("-o", str(fresh)).exit_code == 0
    assert COMMITTED_TEMPLATE.read_bytes() == fresh.read_bytes(), (
        "input/kpi_template.xlsx is stale: run `mine-report template -o input/kpi_template.xlsx`")


@pytest.mark.slow
def test_same_inputs_same_bytes_and_source_date_epoch(tmp_path, shipped_plan, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = make_template(tmp_path, shipped_plan, "a.xlsx", year=2023, department="農林課")
    b = make_template(tmp_path, shipped_plan, "b.xlsx", year=2023, department="農林課")
    assert a.read_bytes() == b.read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14
    c = make_template(tmp_path, shipped_plan, "c.xlsx", year=2023, department="農林課")
    assert read_meta(c).generated.startswith("2023-11-14")
    assert openpyxl.load_workbook(c).properties.created.year == 2023
    assert c.read_bytes() != a.read_bytes()


# --- LibreOffice ----------------------------------------------------------------------------


@pytest.mark.slow
def test_libreoffice_round_trip_keeps_inputs_lists_and_metadata(tmp_path, shipped_plan):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    filled = make_filled(tmp_path, shipped_plan, "filled.xlsx",
                         {("1-1-1-1", 2023): 531, ("1-1-1-2", 2023): "未把握",
                          ("4-1-2-2", 2023): Decimal("18.4")},
                         notes={"1-1-1-2": "集計方法の変更のため"},
                         statuses={"1-1-1-i1": ("実施中", "DMO の設立準備を進めた。")},
                         submitter={"person": "山田 花子"},
                         year=2023, measure_ids=["1-1-1", "4-1-2"], department="観光振興課")
    out_dir = tmp_path / "lo"
    out_dir.mkdir()
    env = {**os.environ, "HOME": str(tmp_path)}  # a private LibreOffice profile
    subprocess.run([soffice, "--headless", "--norestore", "--convert-to", "xlsx",
                    "--outdir", str(out_dir), str(filled)], check=True, env=env,
                   capture_output=True, timeout=180)
    saved = out_dir / "filled.xlsx"
    original = openpyxl.load_workbook(filled)
    wb = openpyxl.load_workbook(saved)

    assert wb.sheetnames == original.sheetnames
    assert wb[META_SHEET].sheet_state in ("hidden", "veryHidden")
    meta = meta_from_workbook(wb)
    assert meta == meta_from_workbook(original)
    for kpi_id, expected in (("1-1-1-1", 531), ("1-1-1-2", "未把握"), ("4-1-2-2", 18.4)):
        sheet, ref = actual_cell(meta, kpi_id, 2023)
        assert wb[sheet][ref].value == expected
        assert wb[sheet][ref].protection.locked is False
    sm = meta.sheets[0]
    row = sm.initiative_rows["1-1-1-i1"]
    assert wb["1-1-1"][f"{sm.status_col}{row}"].value == "実施中"
    assert wb["1-1-1"][f"{sm.note_col}{sm.kpi_rows['1-1-1-2']}"].value == "集計方法の変更のため"
    assert wb[SUBMITTER_SHEET][meta.submitter_cells["person"]].value == "山田 花子"
    for sm in meta.sheets:
        ws = wb[sm.sheet]
        assert ws.protection.sheet
        lists = validations(ws, "list")
        for r in sm.initiative_rows.values():
            assert any(f"{sm.status_col}{r}" in cells_of(dv) and "実施済み" in dv.formula1
                       for dv in lists)
        customs = validations(ws, "custom")
        for r in sm.kpi_rows.values():
            ref = f"{sm.year_cols[2023]}{r}"
            assert any(ref in cells_of(dv) and "未把握" in dv.formula1 for dv in customs)
