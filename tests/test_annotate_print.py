"""The チェック結果 sheet of an annotated copy prints readably: one A4 landscape page wide,
the header on every page, every message whole (rows as tall as their text)."""

from __future__ import annotations

import re
import shutil
import subprocess

import openpyxl
import pytest
from workbooks import FILLED_YEAR, cell_of, edit_workbook, run_validate


def _with_problems(returned):
    def typos(wb):
        for kpi, value in (("1-1-1-1", "約530"), ("1-1-1-2", "290,100"), ("1-1-2-2", "500人")):
            sheet, cell = cell_of(returned, kpi, FILLED_YEAR)
            wb[sheet][cell].value = value
            wb[sheet][cell].data_type = "s"

    edit_workbook(returned, typos)


def test_check_sheet_is_set_up_to_print_one_page_wide(returned, tmp_path):
    _with_problems(returned)
    result = run_validate(str(returned), "--annotate", str(tmp_path / "戻し"))
    assert result.exit_code == 1
    ws = openpyxl.load_workbook(tmp_path / "戻し" / returned.name)["チェック結果"]
    setup = ws.page_setup
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$4:$4"
    for row in range(5, 8):
        assert ws.cell(row=row, column=8).alignment.wrap_text
        assert ws.row_dimensions[row].height >= 30  # two lines at least: the messages are long


@pytest.mark.slow
def test_check_sheet_prints_every_message_whole(returned, tmp_path):
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice or poppler-utils is not installed")
    _with_problems(returned)
    copies = tmp_path / "戻し"
    run_validate(str(returned), "--annotate", str(copies))
    wb = openpyxl.load_workbook(copies / returned.name)
    messages = [wb["チェック結果"].cell(row=r, column=8).value for r in range(5, 8)]
    for name in wb.sheetnames[1:]:  # print the check sheet alone
        del wb[name]
    only = tmp_path / "check.xlsx"
    wb.save(only)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(only)],
                   check=True, capture_output=True, timeout=180)
    pages = subprocess.run(["pdfinfo", str(tmp_path / "check.pdf")], capture_output=True,
                           text=True).stdout
    assert re.search(r"Pages:\s+1\n", pages)
    page = subprocess.run(["pdftotext", "-layout", str(tmp_path / "check.pdf"), "-"],
                          capture_output=True, text=True).stdout
    # the message column, joined back across its wrapped lines
    flat = re.sub(r"\s+", "", page)
    for message in messages:
        assert re.sub(r"\s+", "", message) in flat, message
