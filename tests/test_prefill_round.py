"""The prefill round carries everything a previous round knew: 未把握 and 集計中 marks,
the numbers of a workbook whose only fault is a status typo; it names the measures the
source had nothing for; and a locked past value can be corrected through a documented
route (--unlock-past), never by editing the plan."""

from __future__ import annotations

import openpyxl
from click.testing import CliRunner
from workbooks import FILLED_YEAR, cell_of, edit_workbook, validate_json

from mine_report.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def previous_results(returned, tmp_path, change=None):
    if change is not None:
        edit_workbook(returned, change)
    out = tmp_path / "前回"
    result = invoke("build", "--input", returned.parent, "--output", out, "--no-pdf")
    assert result.exit_code == 0, result.output
    return out / "kpi_results.json"


def next_template(tmp_path, source, *extra):
    target = tmp_path / "R6.xlsx"
    result = invoke("template", "--year", "R6", "--measures", "1-1-1,1-1-2,1-1-3",
                    "--prefill", source, "-o", target, *extra)
    assert result.exit_code == 0, result.output
    return target, result.output


def shown(path, kpi, year):
    sheet, cell = cell_of(path, kpi, year)
    wb = openpyxl.load_workbook(path)
    return wb[sheet][cell]


def test_marks_are_carried_and_missing_measures_named(returned, tmp_path):
    def pending(wb):
        sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
        wb[sheet][cell].value = "集計中"

    source = previous_results(returned, tmp_path, pending)
    target, output = next_template(tmp_path, source)
    assert shown(target, "1-1-2-1", FILLED_YEAR).value == "未把握"  # 未把握 with a reason
    assert shown(target, "1-1-1-1", FILLED_YEAR).value == "集計中"
    assert shown(target, "1-1-1-2", FILLED_YEAR).value == 290100
    assert "前回のファイルに値が一つもない施策があります" in output and "1-1-3" in output
    # the same from the returned workbook itself
    target, output = next_template(tmp_path, returned)
    assert shown(target, "1-1-1-1", FILLED_YEAR).value == "集計中"
    assert shown(target, "1-1-2-1", FILLED_YEAR).value == "未把握"


def test_a_status_typo_does_not_block_the_numbers(returned, tmp_path):
    def typo(wb):
        sheet, cell = cell_of(returned, "1-1-1-i1", "status")
        wb[sheet][cell].value = "完了"

    edit_workbook(returned, typo)
    code, doc = validate_json(str(returned))
    assert code == 1 and doc["files"][0]["problems"][0]["code"] == "E307"
    target, _output = next_template(tmp_path, returned)
    assert shown(target, "1-1-1-1", FILLED_YEAR).value == 530


def test_unlock_past_lets_a_locked_value_be_corrected_and_previous_shows_it(returned, tmp_path):
    source = previous_results(returned, tmp_path)
    locked, _ = next_template(tmp_path, source)
    assert shown(locked, "1-1-1-1", 2022).protection.locked
    open_copy, _ = next_template(tmp_path, source, "--unlock-past")
    cell = shown(open_copy, "1-1-1-1", 2022)
    assert cell.value == 512 and not cell.protection.locked
    sheet, ref = cell_of(open_copy, "1-1-1-1", 2022)
    _sheet, current = cell_of(open_copy, "1-1-1-1", 2024)

    def corrected(wb):
        wb[sheet][ref] = 511
        wb[sheet][current] = 540

    edit_workbook(open_copy, corrected)
    _code, doc = validate_json(str(open_copy), "--previous", str(source))
    changed = [p for p in doc["files"][0]["problems"] if p["code"] == "W501"]
    assert [(p["cell"], p["value"]) for p in changed] == [(ref, "511")]
    # the option needs something to unlock
    result = invoke("template", "--year", "R6", "--unlock-past", "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "--unlock-past は --prefill と一緒に" in result.output


def test_the_reason_given_last_time_is_shown_on_the_prefilled_mark(returned, tmp_path):
    # 1-1-2-1 was 未把握 with 備考 「入込客統計の公表が7月のため」 (workbooks.FILLED_NOTES)
    for source in (previous_results(returned, tmp_path), returned):
        target, _ = next_template(tmp_path, source)
        cell = shown(target, "1-1-2-1", FILLED_YEAR)
        assert cell.value == "未把握"
        assert cell.comment is not None
        assert cell.comment.text == "前回の備考: 入込客統計の公表が7月のため"
        # the note is not data: the new template reads as nothing entered yet
        code, doc = validate_json(str(target))
        assert code == 0 and [p["code"] for p in doc["files"][0]["problems"]] == ["W204"]
        assert len(doc["files"][0]["blank_measures"]) == 3
