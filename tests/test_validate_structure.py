"""validate: whose workbook it is, and what people do to its sheets and rows."""

from __future__ import annotations

import openpyxl
import pytest
from workbooks import (
    FILLED_YEAR,
    cell_of,
    delete_rows,
    edit_workbook,
    file_state,
    insert_rows,
    make_template,
    problems_of,
    read_meta,
    run_validate,
    validate_json,
)

from mine_report.plan.load import default_plan_path


def codes(doc: dict) -> list[tuple[str, str, str]]:
    return [(p["code"], p["sheet"], p["cell"]) for p in problems_of(doc)]


def checked(path, *args: str) -> tuple[int, dict]:
    """validate one file, asserting it is left exactly as it was."""
    before = file_state(path)
    result = validate_json(str(path), *args)
    assert file_state(path) == before
    return result


def test_a_workbook_that_is_not_ours(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "実績値"
    wb.active["B1"] = 540
    path = tmp_path / "own-format.xlsx"
    wb.save(path)
    code, doc = checked(path)
    assert code == 1
    assert codes(doc) == [("E110", "", "")]


def test_unsupported_template_version(returned):
    def change(wb):
        ws = wb["_meta"]
        for row in ws.iter_rows():
            if row[0].value == "format_version":
                row[1].value = "99"

    edit_workbook(returned, change)
    code, doc = checked(returned)
    assert code == 1
    [problem] = problems_of(doc)
    assert problem["code"] == "E112" and "99" in problem["message"]


def test_damaged_metadata(returned):
    def change(wb):
        ws = wb["_meta"]
        for row in ws.iter_rows():
            if str(row[0].value).startswith("sheet:1-1-1"):
                row[1].value = "{壊れた"

    edit_workbook(returned, change)
    code, doc = checked(returned)
    assert code == 1 and codes(doc) == [("E111", "", "")]


def test_template_made_from_another_plan(returned, tmp_path):
    changed = tmp_path / "revised-plan.toml"
    source = default_plan_path().read_text(encoding="utf-8")
    assert "target = 540\n" in source
    changed.write_text(source.replace("target = 540\n", "target = 560\n", 1), encoding="utf-8")
    code, doc = checked(returned, "--plan", str(changed))
    assert code == 1
    [problem] = problems_of(doc)
    assert problem["code"] == "E113"
    assert "第2期美祢市まち・ひと・しごと創生総合戦略" in problem["message"]


def test_renamed_measure_sheet_is_found_by_its_id_with_a_warning(returned, shipped_plan):
    from mine_report.intake.reader import read_workbook

    edit_workbook(returned, lambda wb: setattr(wb["1-1-2"], "title", "1-1-2（観光振興課）"))
    code, doc = checked(returned)
    assert code == 0
    assert codes(doc) == [("W206", "1-1-2（観光振興課）", "A1")]
    assert "施策番号で見つけたので読み取りました" in problems_of(doc)[0]["message"]
    sub, _ = read_workbook(returned, shipped_plan)
    assert "1-1-2" in {m.measure_id for m in sub.measures}


def test_duplicated_measure_sheet(returned):
    def copy(wb):
        wb.copy_worksheet(wb["1-1-1"]).title = "1-1-1 (2)"

    edit_workbook(returned, copy)
    code, doc = checked(returned)
    assert code == 1
    assert codes(doc) == [("E204", "1-1-1 (2)", "A1")]


def test_measure_id_cell_altered(returned):
    edit_workbook(returned, lambda wb: wb["1-1-2"].__setitem__("A1", "1-1-9"))
    code, doc = checked(returned)
    assert code == 1
    [problem] = problems_of(doc)
    assert (problem["code"], problem["sheet"], problem["cell"], problem["value"]) == \
        ("E203", "1-1-2", "A1", "1-1-9")


def test_extra_sheet_is_a_warning(returned):
    edit_workbook(returned, lambda wb: wb.create_sheet("メモ").__setitem__("A1", "下書き"))
    code, doc = checked(returned)
    assert code == 0
    assert codes(doc) == [("W202", "メモ", "")]
    assert doc["summary"] == {"files": 1, "errors": 0, "warnings": 1}


def test_deleted_sheet_is_a_warning(returned):
    edit_workbook(returned, lambda wb: wb.remove(wb["1-1-3"]))
    code, doc = checked(returned)
    assert code == 0
    assert codes(doc) == [("W201", "1-1-3", "")]


def test_blank_measure_sheet_is_not_an_error_but_listed_as_unfilled(returned):
    code, doc = checked(returned)
    assert code == 0 and problems_of(doc) == []
    assert doc["files"][0]["blank_measures"] == ["1-1-3"]
    result = run_validate(str(returned))
    assert result.exit_code == 0
    assert "未記入の施策: 1-1-3" in result.stdout
    assert "1 ファイルを点検: エラー 0 件、警告 0 件（未記入の施策 1 件）" in result.stdout


def test_a_blank_sheet_with_structural_damage_is_still_not_used(returned):
    sheet, cell = cell_of(returned, "1-1-3-1", FILLED_YEAR)
    edit_workbook(returned, lambda wb: delete_rows(wb[sheet], int(cell[1:])))
    code, doc = checked(returned)
    assert code == 0 and problems_of(doc) == []


def test_kpi_row_deleted(returned):
    sheet, cell = cell_of(returned, "1-1-1-2", FILLED_YEAR)
    edit_workbook(returned, lambda wb: delete_rows(wb[sheet], int(cell[1:])))
    code, doc = checked(returned)
    assert code == 1
    [problem] = [p for p in problems_of(doc) if p["severity"] == "error"]
    assert (problem["code"], problem["sheet"], problem["kpi"]) == ("E205", "1-1-1", "1-1-1-2")
    assert problem["cell"] == f"A{cell[1:]}"


def test_kpi_row_inserted_with_an_unknown_id(returned):
    sheet, cell = cell_of(returned, "1-1-1-2", FILLED_YEAR)
    row = int(cell[1:]) + 1

    def insert(wb):
        ws = wb[sheet]
        insert_rows(ws, row)
        ws.cell(row, 1, "1-1-1-3")
        ws.cell(row, 13, 12)

    edit_workbook(returned, insert)
    code, doc = checked(returned)
    assert code == 1
    assert codes(doc) == [("E206", "1-1-1", f"A{row}")]


def test_kpi_row_duplicated(returned):
    sheet, cell = cell_of(returned, "1-1-1-2", FILLED_YEAR)
    row = int(cell[1:])

    def duplicate(wb):
        ws = wb[sheet]
        insert_rows(ws, row + 1)
        for col in range(1, 16):
            ws.cell(row + 1, col, ws.cell(row, col).value)

    edit_workbook(returned, duplicate)
    code, doc = checked(returned)
    assert code == 1
    assert codes(doc) == [("E207", "1-1-1", f"A{row + 1}")]


def test_initiative_row_deleted(returned, shipped_plan):
    initiative = shipped_plan.measure("1-1-1").initiatives[1]
    sheet, cell = cell_of(returned, initiative.id, "status")
    edit_workbook(returned, lambda wb: delete_rows(wb[sheet], int(cell[1:])))
    code, doc = checked(returned)
    assert code == 1
    errors = [p for p in problems_of(doc) if p["severity"] == "error"]
    assert [p["code"] for p in errors] == ["E208"]
    assert initiative.id in errors[0]["message"]


@pytest.mark.slow
def test_blank_template_is_skipped_in_folders_but_not_when_named(tmp_path, returned,
                                                                 shipped_plan):
    template = make_template(returned.parent, shipped_plan, name="様式.xlsx")
    code, doc = validate_json(str(returned.parent))
    assert [f["path"] for f in doc["files"]] == [str(returned)]
    code, doc = validate_json(str(template))
    assert code == 0 and [p["code"] for p in problems_of(doc)] == ["W204"]
    assert read_meta(template).department == ""


def test_initiative_id_altered(returned, shipped_plan):
    initiative = shipped_plan.measure("1-1-2").initiatives[2]
    sheet, cell = cell_of(returned, initiative.id, "status")
    where = f"A{cell[1:]}"
    edit_workbook(returned, lambda wb: wb[sheet].__setitem__(where, "1-1-2-i99"))
    code, doc = checked(returned)
    assert code == 1
    assert [(p["code"], p["cell"]) for p in problems_of(doc)] == [("E209", where),
                                                                  ("E208", where)]


def test_department_left_empty_is_a_warning(returned):
    def clear(wb):
        meta = wb["_meta"]
        for row in meta.iter_rows():
            if row[0].value == "department":
                row[1].value = ""
        wb["提出者情報"]["B5"] = None

    edit_workbook(returned, clear)
    code, doc = checked(returned)
    assert code == 0
    assert codes(doc) == [("W203", "提出者情報", "B5")]
