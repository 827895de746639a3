"""The measure sheets print readably: A3 landscape (A4 would shrink them to about 53 %) one page wide and as long as the text
needs, the sheet's title on every page, and rows that grow with what the clerk types, so
a long 取組内容 prints whole (it printed 4.5 of 9 lines in rows of fixed height)."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from test_template_checks import calc, needs_uno
from workbooks import cell_of, make_template, read_meta

from mine_report.workbook.layout import GOALS_SHEET

YEAR = 2024
MEASURES = ["1-1-1", "1-1-2"]
#: Nine lines of 取組内容, as the clerk in issue 13 typed them.
NINE_LINES = "\n".join([
    "観光協会と連携して秋吉台・秋芳洞の周遊ルートを整備し、パンフレットを作成した。",
    "事業者向けの説明会を3回開催し、延べ42事業者が参加した。",
    *(f"{n}行目: 取組の経過を記録した。" for n in "三四五六七八"),
    "九行目: 以上で今年度の取組を終えた。",
])
#: A long evaluation text (about 500 characters) in the 取組実績・成果 cell.
LONG_ACHIEVEMENTS = "".join(f"第{n}期の事業では観光客の回復に向けて周遊ルートの整備を進めた。"
                            for n in range(1, 17)) + "最後の文。"


@pytest.fixture(scope="module")
def department(tmp_path_factory, shipped_plan):
    folder = tmp_path_factory.mktemp("print")
    return make_template(folder, shipped_plan, "観光振興課.xlsx", year=YEAR,
                         measure_ids=MEASURES, department="観光振興課")


def row_elements(path, sheet: str) -> dict[int, str]:
    """The <row> start tags of a sheet as written, by 1-based row number."""
    wb = openpyxl.load_workbook(path, read_only=True)
    index = wb.sheetnames.index(sheet) + 1
    with zipfile.ZipFile(path) as z:
        xml = z.read(f"xl/worksheets/sheet{index}.xml").decode()
    return {int(m[1]): m[0] for m in re.finditer(r'<row r="(\d+)"[^>]*>', xml)}


def test_print_setup_and_title_rows(department):
    wb = openpyxl.load_workbook(department)
    meta = read_meta(department)
    for sm in meta.sheets:
        ws = wb[sm.sheet]
        setup = ws.page_setup
        assert (int(setup.paperSize), setup.orientation) == (8, "landscape")  # A3
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert setup.fitToWidth in (1, None) and setup.fitToHeight == 0  # width only
        assert ws.print_title_rows == "$1:$1"  # the measure's id and title on every page
    goals = wb[GOALS_SHEET]
    assert int(goals.page_setup.paperSize) == 8
    assert int(wb["記入要領"].page_setup.paperSize) == 9  # the text pages stay A4
    header = meta.goals.kpi_header_row
    assert goals.print_title_rows == f"${header - 1}:${header}"


def test_rows_where_the_clerk_types_text_can_grow(department):
    """Rows holding a text input keep the height written for the plan's text but are not
    marked as set by hand (customHeight), so Excel and Calc fit them again when edited."""
    meta = read_meta(department)
    for sm in meta.sheets:
        rows = row_elements(department, sm.sheet)
        inputs = [*sm.initiative_rows.values(),
                  *(int(cell_of(department, sm.measure_id, key)[1][1:])
                    for key in ("achievements", "issues", "outlook_text"))]
        for row in inputs:
            assert 'ht="' in rows[row] and "customHeight" not in rows[row], (sm.sheet, row)
        # rows without long texts keep their set height (headers, KPIs with a short 備考)
        for row in (sm.kpi_header_row, *sm.kpi_rows.values()):
            assert 'customHeight="1"' in rows[row], (sm.sheet, row)


@pytest.mark.slow
@needs_uno
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is missing")
def test_long_texts_typed_in_libreoffice_print_whole(department, tmp_path):
    sheet, text_cell = cell_of(department, "1-1-1-i1", "text")
    _sheet, achievements = cell_of(department, "1-1-1", "achievements")
    filled = tmp_path / "記入済み.xlsx"
    calc(department, [["type", sheet, text_cell, NINE_LINES],
                      ["type", sheet, achievements, LONG_ACHIEVEMENTS],
                      ["save", str(filled)]])
    done = subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir",
                           str(tmp_path), str(filled)], capture_output=True, timeout=240,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    printed = subprocess.run(["pdftotext", "-layout", str(tmp_path / "記入済み.pdf"), "-"],
                             capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", printed)
    for line in NINE_LINES.split("\n"):  # every line of 取組内容, none cut off
        assert re.sub(r"\s+", "", line) in flat, line
    assert "最後の文。" in flat and "第16期の事業" in flat
    # the title row repeated: the measure's title on each page of its sheet
    pages = [p for p in printed.split("\f") if "1-1-1" in p and "取組" in p]
    assert pages and all("DMOを核とする観光地域づくりの推進" in p for p in pages)
