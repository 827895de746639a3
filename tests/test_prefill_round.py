"""The prefill round carries everything a previous round knew: 未把握 and 集計中 marks,
the numbers of a workbook whose only fault is a status typo; it names the measures the
source had nothing for; and a locked past value can be corrected through a documented
route (--unlock-past), never by editing the plan."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from test_template_checks import EXCEL_CHECK, EXCEL_CHECK_PYTHON, calc, needs_uno
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


@pytest.mark.slow
@needs_uno
def test_a_clerk_corrects_an_unlocked_past_value_in_libreoffice(returned, tmp_path):
    """The correction route works where clerks work: typed in Calc (through its input
    line, which refuses locked cells), saved as .xlsx, opened and corrected again, saved
    as .xlsx and .ods; the past cell stays unlocked in every copy and the corrected
    value is what validate compares and build grades."""
    source = previous_results(returned, tmp_path)
    template, _ = next_template(tmp_path, source, "--unlock-past")
    sheet, past = cell_of(template, "1-1-1-1", 2022)
    _sheet, current = cell_of(template, "1-1-1-1", 2024)
    plan_cell = f"B{past[1:]}"  # the KPI's name: printed and locked
    first = tmp_path / "一回目.xlsx"
    calc(template, [["keys", sheet, past, "509"], ["keys", sheet, current, "541"],
                    ["keys", sheet, plan_cell, "書き換え"], ["save", str(first)]])
    folder = tmp_path / "返却"
    folder.mkdir()
    again = folder / "観光振興課.xlsx"
    # one save per run after "keys": this headless Calc 7.4 may crash on a second one
    calc(first, [["keys", sheet, past, "511"], ["save", str(again)]])
    calc(again, [["save", str(tmp_path / "観光振興課.ods")]])
    for path, value in ((first, 509), (again, 511)):
        ws = openpyxl.load_workbook(path)[sheet]
        assert ws[past].value == value and ws[current].value == 541, path
        assert not ws[past].protection.locked and not ws[current].protection.locked, path
        # the plan stays locked: Calc refused the typing there
        assert ws[plan_cell].value == "三洞入洞者数" and ws[plan_cell].protection.locked, path
        assert ws.protection.sheet, path

    for path in (again, tmp_path / "観光振興課.ods"):
        _code, doc = validate_json(str(path), "--previous", str(source))
        changed = [(p["cell"], p["value"]) for p in doc["files"][0]["problems"]
                   if p["code"] == "W501"]
        assert changed == [(past, "511")], path
    out = tmp_path / "出力"
    result = invoke("build", "--input", folder, "--output", out, "--no-pdf", "--year", "R6")
    assert result.exit_code == 0, result.output
    results = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    history = {h["year"]: h.get("actual") for k in results["kpis"] if k["id"] == "1-1-1-1"
               for h in k["history"]}
    assert Decimal(str(history[2022])) == 511 and Decimal(str(history[2024])) == 541

    if EXCEL_CHECK_PYTHON.exists() and (EXCEL_CHECK / "ooxml_validate.py").exists():
        sdk = subprocess.run([str(EXCEL_CHECK_PYTHON), str(EXCEL_CHECK / "ooxml_validate.py"),
                              str(template), str(again)], capture_output=True, text=True,
                             timeout=300)
        assert sdk.returncode in (0, 2), sdk.stdout + sdk.stderr  # 2: the SDK cannot start
        limits = subprocess.run([sys.executable, str(EXCEL_CHECK / "excel_limits.py"),
                                 str(template), str(again)], capture_output=True, text=True,
                                timeout=120)
        assert limits.returncode == 0, limits.stdout + limits.stderr
