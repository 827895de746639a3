"""The reader: workbooks written by our template writer, filled with openpyxl, saved by
LibreOffice, with rows moved; located values, never an exception for bad input."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from workbooks import (
    FILLED_NOTES,
    FILLED_VALUES,
    FILLED_YEAR,
    SAMPLES_DIR,
    cell_of,
    edit_workbook,
    insert_rows,
    read_meta,
)

from mine_report.intake.reader import read_workbook, read_workbook_details


def actual_map(submission) -> dict:
    return {(a.kpi_id, a.year): a for m in submission.measures for a in m.actuals}


def test_reads_every_value_with_its_cell(department_workbook, shipped_plan):
    result = read_workbook_details(department_workbook, shipped_plan)
    sub = result.submission
    assert result.problems == []
    assert sub.department == "観光振興課"
    assert sub.person == "美祢 太郎"
    assert sub.phone == "0837-52-1111"
    assert sub.year == FILLED_YEAR
    assert [m.measure_id for m in sub.measures] == ["1-1-1", "1-1-2"]
    assert result.blank_measures == ["1-1-3"]
    actuals = actual_map(sub)
    assert set(actuals) == set(FILLED_VALUES)
    for (kpi_id, year), typed in FILLED_VALUES.items():
        actual = actuals[(kpi_id, year)]
        sheet, cell = cell_of(department_workbook, kpi_id, year)
        assert (actual.source.sheet, actual.source.cell) == (sheet, cell)
        assert actual.source.file == str(department_workbook)
        if typed == "未把握":
            assert actual.value is None and actual.not_measured
            assert actual.reason == FILLED_NOTES[kpi_id]
        else:
            assert actual.value == Decimal(str(typed)) and not actual.not_measured


def test_float_keeps_the_decimal_the_person_typed(department_workbook, shipped_plan):
    sub, _ = read_workbook(department_workbook, shipped_plan)
    value = actual_map(sub)[("1-1-2-3", 2021)].value
    assert value == Decimal("15.5") and str(value) == "15.5"


def test_reads_initiatives_and_measure_texts(department_workbook, shipped_plan):
    sub, _ = read_workbook(department_workbook, shipped_plan)
    report = sub.measures[0]
    first = shipped_plan.measure("1-1-1").initiatives[0]
    assert report.initiatives[0].initiative_id == first.id
    assert report.initiatives[0].status == "実施済み"
    assert report.initiatives[0].text == f"{first.title}を実施した。"
    assert report.achievements == "観光客の回復に向けて事業を実施した。"
    assert report.issues == "人材の確保。"
    assert report.outlook == "継続"
    assert report.outlook_text == "引き続き実施する。"
    assert ("1-1-2-1", FILLED_NOTES["1-1-2-1"]) in sub.measures[1].notes


def test_rows_reordered_are_read_by_id(returned, shipped_plan):
    first_row = int(cell_of(returned, "1-1-1-1", 2020)[1][1:])
    second_row = int(cell_of(returned, "1-1-1-2", 2020)[1][1:])

    def swap(wb):
        ws = wb["1-1-1"]
        for col in range(1, ws.max_column + 1):
            a, b = ws.cell(first_row, col), ws.cell(second_row, col)
            a.value, b.value = b.value, a.value

    edit_workbook(returned, swap)
    sub, problems = read_workbook(returned, shipped_plan)
    assert problems == []
    moved = actual_map(sub)[("1-1-1-1", 2023)]
    assert moved.value == Decimal(FILLED_VALUES[("1-1-1-1", 2023)])
    assert moved.source.cell == f"M{second_row}"


def test_rows_inserted_move_everything_below(returned, shipped_plan):
    sheet, cell = cell_of(returned, "1-1-1-2", 2020)
    row = int(cell[1:])
    edit_workbook(returned, lambda wb: insert_rows(wb[sheet], row, 2))
    sub, problems = read_workbook(returned, shipped_plan)
    assert problems == []
    report = sub.measures[0]
    assert report.actual("1-1-1-2", 2023).source.cell == f"M{row + 2}"
    assert report.achievements == "観光客の回復に向けて事業を実施した。"
    assert report.outlook == "継続"
    assert report.initiatives[0].status == "実施済み"


def test_sample_submissions_read_without_problems(shipped_plan):
    for path in sorted(SAMPLES_DIR.glob("*.xlsx")):
        sub, problems = read_workbook(path, shipped_plan)
        assert problems == [], path
        assert sub.sample and sub.measures


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage", b"PK\x03\x04broken",
                                     b"a,b\n1,2\n"])
def test_never_raises_for_bad_bytes(tmp_path, shipped_plan, content):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    sub, problems = read_workbook(path, shipped_plan)
    assert sub is None
    assert len(problems) == 1 and problems[0].is_error and problems[0].code.startswith("E1")


def libreoffice_resave(path: Path, folder: Path) -> Path:
    """Open and save the workbook in LibreOffice Calc (as a department using it would)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder.mkdir(exist_ok=True)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{folder}/profile",
                    "--convert-to", "xlsx", "--outdir", str(folder), str(path)],
                   check=True, capture_output=True, timeout=180)
    return folder / path.name


@pytest.mark.slow
def test_reads_files_saved_by_libreoffice(department_workbook, shipped_plan, tmp_path):
    saved = libreoffice_resave(department_workbook, tmp_path / "lo")
    assert saved.read_bytes() != department_workbook.read_bytes()
    ours, _ = read_workbook(department_workbook, shipped_plan)
    theirs, problems = read_workbook(saved, shipped_plan)
    assert problems == []
    assert read_meta(saved).sheets == read_meta(department_workbook).sheets

    def comparable(sub):
        return [(a.kpi_id, a.year, a.value, a.not_measured, a.reason, a.source.cell)
                for m in sub.measures for a in m.actuals]

    assert comparable(theirs) == comparable(ours)
    assert [m.initiatives for m in theirs.measures] != []
    assert [(i.status, i.text) for m in theirs.measures for i in m.initiatives] == \
        [(i.status, i.text) for m in ours.measures for i in m.initiatives]
    assert theirs.department == ours.department and theirs.person == ours.person


@pytest.mark.slow
def test_formula_without_value_is_read_after_saving_in_libreoffice(returned, shipped_plan,
                                                                   tmp_path):
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    edit_workbook(returned, lambda wb: wb[sheet].__setitem__(cell, "=500+30"))
    _, problems = read_workbook(returned, shipped_plan)
    assert [(p.code, p.cell) for p in problems] == [("E306", cell)]
    saved = libreoffice_resave(returned, tmp_path / "lo")
    sub, problems = read_workbook(saved, shipped_plan)
    assert problems == []
    assert actual_map(sub)[("1-1-1-1", FILLED_YEAR)].value == 530
