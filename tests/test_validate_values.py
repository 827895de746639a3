"""validate: what departments type into the cells — plan values, actuals, marks, choices,
texts and merged cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from marks import first_fast
from workbooks import (
    FILLED_YEAR,
    cell_of,
    edit_workbook,
    file_state,
    problems_of,
    validate_json,
)

from mine_report.intake.reader import read_workbook


def type_into(path, item_id: str, what, value, *, as_text: bool = False) -> tuple[str, str]:
    """Type value into an input cell; a str starting with "=" is a formula and one with "#"
    an error value, as Excel takes them, unless as_text; return its (sheet, cell)."""
    sheet, cell = cell_of(path, item_id, what)

    def put(wb):
        target = wb[sheet][cell]
        target.value = value
        if isinstance(value, str) and (as_text or not value.startswith(("=", "#"))):
            target.data_type = "s"

    edit_workbook(path, put)
    return sheet, cell


def only_problem(path) -> tuple[int, dict]:
    before = file_state(path)
    code, doc = validate_json(str(path))
    assert file_state(path) == before
    problems = problems_of(doc)
    assert len(problems) == 1, problems
    return code, problems[0]


def actual(path, plan, kpi_id: str, year: int):
    sub, _ = read_workbook(path, plan)
    return next(a for m in sub.measures for a in m.actuals if (a.kpi_id, a.year) == (kpi_id, year))


@pytest.mark.parametrize(("field", "col", "typed", "plan_text"), first_fast([
    ("name", "B", "三洞の入洞者数（推計）", "三洞入洞者数"),
    ("baseline", "D", 500, "499"),
    ("target", "F", "600", "540"),
    ("target_year", "G", "令和7年度", "令和6年度"),
    ("unit", "C", "人", "千人"),
]))
def test_plan_value_overwritten(returned, field, col, typed, plan_text):
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    where = f"{col}{cell[1:]}"
    edit_workbook(returned, lambda wb: wb[sheet].__setitem__(where, typed))
    code, problem = only_problem(returned)
    assert code == 1
    assert (problem["code"], problem["sheet"], problem["cell"], problem["kpi"]) == \
        ("E211", "1-1-1", where, "1-1-1-1")
    assert f"計画: {plan_text}" in problem["message"]
    assert f"入力: {typed}" in problem["message"]


def test_plan_value_in_another_notation_is_accepted(returned):
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    edit_workbook(returned, lambda wb: wb[sheet].__setitem__(f"G{cell[1:]}", "R6"))
    code, doc = validate_json(str(returned))
    assert code == 0 and problems_of(doc) == []


@pytest.mark.parametrize(("kpi_id", "typed", "taken"), first_fast([
    ("1-1-1-1", "５３０", "530"),
    ("1-1-1-2", "290,100", "290100"),
    ("1-1-1-1", " 530 千人", "530"),
    ("1-1-2-3", "25%", "25"),
    ("1-1-2-3", "２５．５％", "25.5"),
    ("1-1-1-2", "290100", "290100"),
]))
def test_number_typed_as_text_is_taken_with_a_warning(returned, shipped_plan, kpi_id, typed,
                                                      taken):
    sheet, cell = type_into(returned, kpi_id, FILLED_YEAR, typed)
    code, problem = only_problem(returned)
    assert code == 0
    assert (problem["code"], problem["cell"], problem["kpi"], problem["value"]) == \
        ("W301", cell, kpi_id, typed)
    assert f"{taken} として読み取りました" in problem["message"]
    assert actual(returned, shipped_plan, kpi_id, FILLED_YEAR).value == Decimal(taken)


def test_bare_fraction_in_a_percent_kpi_is_an_error_the_clerk_can_act_on(returned):
    # 0.25 with no % format, every other value of the KPI above 1: 25 % or 0.25 %?
    sheet, cell = type_into(returned, "1-1-2-3", FILLED_YEAR, 0.25)
    code, problem = only_problem(returned)
    assert code == 1
    assert (problem["code"], problem["cell"], problem["kpi"]) == ("E310", cell, "1-1-2-3")
    assert "25% なら 25 と入力" in problem["message"]
    assert "「0.25%」と % を付けて" in problem["message"]


@pytest.mark.parametrize(("stored", "number_format", "taken"), first_fast([
    (0.4, "0%", "40"),  # typed 40% in Excel or LibreOffice
    (0.255, "0.0%", "25.5"),
    (0.004, "0.0%", "0.4"),  # typed 0.4%: a real value below 1, not ambiguous
]))
def test_percent_formatted_number_is_the_percentage_shown(returned, shipped_plan, stored,
                                                          number_format, taken):
    sheet, cell = cell_of(returned, "1-1-2-3", FILLED_YEAR)

    def put(wb):
        wb[sheet][cell].value = stored
        wb[sheet][cell].number_format = number_format

    edit_workbook(returned, put)
    code, problem = only_problem(returned)
    assert code == 0
    assert (problem["code"], problem["cell"], problem["kpi"]) == ("W306", cell, "1-1-2-3")
    assert f"「{taken}%」と表示されています" in problem["message"]
    assert actual(returned, shipped_plan, "1-1-2-3", FILLED_YEAR).value == Decimal(taken)


def test_percent_format_above_100_percent_is_out_of_range(returned):
    sheet, cell = cell_of(returned, "1-1-2-3", FILLED_YEAR)

    def put(wb):
        wb[sheet][cell].value = 1.5
        wb[sheet][cell].number_format = "0%"

    edit_workbook(returned, put)
    code, problem = only_problem(returned)
    assert code == 1 and problem["code"] == "E303"


def test_percent_format_in_a_count_kpi_is_the_number_stored(returned, shipped_plan):
    # a 千人 KPI shown with a % format: no percentage is meant, the number is kept
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)

    def put(wb):
        wb[sheet][cell].value = 530
        wb[sheet][cell].number_format = "0%"

    edit_workbook(returned, put)
    code, doc = validate_json(str(returned))
    assert code == 0 and problems_of(doc) == []
    assert actual(returned, shipped_plan, "1-1-1-1", FILLED_YEAR).value == Decimal(530)


@pytest.mark.parametrize(("kpi_id", "typed", "error"), first_fast([
    ("1-1-1-1", "約530", "E301"),
    ("1-1-1-1", "530人", "E311"),  # 人 is not the KPI's unit (千人): ambiguous
    ("1-1-2-2", "500人", "E311"),
    ("1-1-1-1", "40%", "E311"),
    ("1-1-1-1", True, "E301"),
    ("1-1-1-1", -5, "E302"),
    ("1-1-1-1", "−5", "E302"),
    ("1-1-2-3", 120, "E303"),
    ("1-1-1-1", dt.datetime(2023, 5, 30), "E304"),
    ("1-1-1-1", dt.time(5, 30), "E304"),
    ("1-1-1-1", "#DIV/0!", "E305"),
    ("1-1-1-1", "#REF!", "E305"),
    ("1-1-1-1", "#VALUE!", "E305"),
    ("1-1-1-1", "#N/A", "E305"),
    ("1-1-1-1", "=J8*1.05", "E306"),
]))
def test_unusable_actual_is_an_error_at_its_cell(returned, shipped_plan, kpi_id, typed, error):
    sheet, cell = type_into(returned, kpi_id, FILLED_YEAR, typed)
    code, problem = only_problem(returned)
    assert code == 1
    assert (problem["code"], problem["severity"], problem["sheet"], problem["cell"],
            problem["kpi"]) == (error, "error", sheet, cell, kpi_id)
    assert problem["value"] != "" and "令和5年度の実績値" in problem["message"]
    sub, _ = read_workbook(returned, shipped_plan)
    assert all((a.kpi_id, a.year) != (kpi_id, FILLED_YEAR) for m in sub.measures
               for a in m.actuals)


def test_unit_mismatch_names_both_units(returned):
    type_into(returned, "1-1-2-2", FILLED_YEAR, "500人")
    _, problem = only_problem(returned)
    assert problem["message"].startswith(
        "令和5年度の実績値「500人」の単位「人」が、この指標の単位「箇所」と違います。")


def test_formula_error_message_says_how_to_fix(returned):
    type_into(returned, "1-1-1-1", FILLED_YEAR, "=SUM(J8:L8)")
    _, problem = only_problem(returned)
    assert "Excel または LibreOffice で開いて保存し直す" in problem["message"]
    assert problem["value"] == "=SUM(J8:L8)"


@pytest.mark.parametrize("mark", first_fast(["未把握", "集計中", "—", "－", "-"]))
def test_not_measured_marks_are_accepted(returned, shipped_plan, mark):
    type_into(returned, "1-1-1-1", FILLED_YEAR, mark)
    type_into(returned, "1-1-1-1", "note", "調査を隔年で実施するため")
    code, doc = validate_json(str(returned))
    assert code == 0 and problems_of(doc) == []
    found = actual(returned, shipped_plan, "1-1-1-1", FILLED_YEAR)
    assert found.value is None and found.not_measured
    assert found.reason == "調査を隔年で実施するため"


def test_evaluation_year_left_blank_is_a_warning(returned, shipped_plan):
    sheet, cell = type_into(returned, "1-1-1-2", FILLED_YEAR, None)
    code, problem = only_problem(returned)
    assert code == 0
    assert (problem["code"], problem["cell"], problem["kpi"]) == ("W303", cell, "1-1-1-2")
    assert "未入力" in problem["message"]


def test_value_after_the_evaluation_year_is_a_warning(returned):
    sheet, cell = type_into(returned, "1-1-1-1", FILLED_YEAR + 1, 540)
    code, problem = only_problem(returned)
    assert code == 0
    assert (problem["code"], problem["cell"]) == ("W304", cell)


def test_merged_cells_over_input_cells(returned):
    sheet, first = cell_of(returned, "1-1-1-1", 2022)
    _, second = cell_of(returned, "1-1-1-1", 2023)
    edit_workbook(returned, lambda wb: wb[sheet].merge_cells(f"{first}:{second}"))
    code, doc = validate_json(str(returned))
    assert code == 1
    # the merge also hid the evaluation year's value, which is therefore reported blank
    assert [(p["code"], p["cell"]) for p in problems_of(doc)] == [
        ("W303", second), ("E210", f"{first}:{second}")]
    problem = problems_of(doc)[1]
    assert (problem["code"], problem["sheet"], problem["cell"]) == ("E210", sheet,
                                                                    f"{first}:{second}")
    assert second in problem["message"]


def test_status_outside_the_list(returned, shipped_plan):
    initiative = shipped_plan.measure("1-1-2").initiatives[0]
    sheet, cell = type_into(returned, initiative.id, "status", "おおむね実施")
    code, problem = only_problem(returned)
    assert code == 1
    assert (problem["code"], problem["sheet"], problem["cell"], problem["value"]) == \
        ("E307", sheet, cell, "おおむね実施")
    assert "実施済み・実施中・一部実施・未着手・中止" in problem["message"]


def test_outlook_outside_the_list(returned):
    sheet, cell = type_into(returned, "1-1-1", "outlook", "現状維持")
    code, problem = only_problem(returned)
    assert code == 1 and (problem["code"], problem["cell"]) == ("E308", cell)


def test_status_written_in_half_width_or_with_spaces_is_accepted(returned, shipped_plan):
    initiative = shipped_plan.measure("1-1-2").initiatives[0]
    type_into(returned, initiative.id, "status", " 実施中 ")
    code, doc = validate_json(str(returned))
    assert code == 0 and problems_of(doc) == []


def test_long_text_is_a_warning(returned, shipped_plan):
    long_text = "地域の事業者と連携して観光客の受入体制を整えた。" * 90
    assert len(long_text) > 2000
    sheet, cell = type_into(returned, "1-1-1", "achievements", long_text)
    code, problem = only_problem(returned)
    assert code == 0
    assert (problem["code"], problem["cell"]) == ("W305", cell)
    assert f"{len(long_text):,} 文字" in problem["message"]
    sub, _ = read_workbook(returned, shipped_plan)
    assert sub.measures[0].achievements == long_text  # kept in full, only reported


def test_text_that_looks_like_a_formula_is_read_as_text(returned, shipped_plan):
    type_into(returned, "1-1-1", "issues", "=HYPERLINK(\"http://example.com\")", as_text=True)
    code, doc = validate_json(str(returned))
    assert code == 0 and problems_of(doc) == []
    sub, _ = read_workbook(returned, shipped_plan)
    assert sub.measures[0].issues == "=HYPERLINK(\"http://example.com\")"


@pytest.mark.parametrize("mark", first_fast(["未把握", "集計中", "-", "ー", "―", "‐"]))
def test_not_measured_mark_asks_for_a_reason(returned, shipped_plan, mark):
    sheet, cell = type_into(returned, "1-1-1-1", FILLED_YEAR, mark)
    code, problem = only_problem(returned)
    assert code == 0
    assert (problem["code"], problem["cell"], problem["kpi"]) == ("W308", cell, "1-1-1-1")
    assert "備考に理由がありません" in problem["message"]
    note = f"O{cell[1:]}"
    edit_workbook(returned, lambda wb: wb[sheet].__setitem__(note, "統計の公表が7月のため"))
    code, doc = validate_json(str(returned))
    assert code == 0 and problems_of(doc) == []
    found = actual(returned, shipped_plan, "1-1-1-1", FILLED_YEAR)
    assert found.not_measured and found.reason == "統計の公表が7月のため"


def test_template_accepts_every_mark_the_reader_takes(blank_template):
    import openpyxl

    from mine_report.workbook.layout import NOT_MEASURED_MARKS

    ws = openpyxl.load_workbook(blank_template)["1-1-1"]
    rules = [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "custom"]
    assert rules
    for mark in NOT_MEASURED_MARKS:
        assert all(f'="{mark}"' in rule for rule in rules), mark
