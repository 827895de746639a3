"""Returns saved as OpenDocument (.ods) are read with the same checks and messages as
.xlsx, other formats get a message that says what to do, and what a clerk types in
LibreOffice (40%, １２３４, 1,234, list choices, long text) is what gets graded."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from test_template_checks import calc, needs_uno
from workbooks import make_template, problems_of, run_validate, validate_json

from mine_report.cli import cli
from mine_report.intake.odsread import OdsPackage
from mine_report.intake.xlsxread import MAX_ROWS, Refused, open_workbook

YEAR = 2023

# --- the format itself, on hand-written packages ------------------------------------------

_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>'
         '<office:document-content'
         ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
         ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
         ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
         ' xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0">'
         '<office:body><office:spreadsheet>')
_TAIL = '</office:spreadsheet></office:body></office:document-content>'


def ods_bytes(tables: str, head: str = _HEAD) -> bytes:
    """An .ods package as LibreOffice lays it out: the mimetype first, then content.xml."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", head + tables + _TAIL)
    return buffer.getvalue()


def test_cells_are_read_as_calc_wrote_them():
    package = open_workbook(ods_bytes(
        '<table:table table:name="1-1-2">'
        '<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>'
        '<table:table-row>'
        '<table:table-cell table:number-columns-repeated="2"/>'
        '<table:table-cell office:value-type="percentage" office:value="0.4">'
        '<text:p>40%</text:p></table:table-cell>'
        '<table:table-cell office:value-type="float" office:value="1234"><text:p>1,234</text:p>'
        '</table:table-cell>'
        '<table:table-cell office:value-type="string" table:number-columns-spanned="2">'
        '<office:annotation><text:p>comment, not the value</text:p></office:annotation>'
        '<text:p>一行目<text:s text:c="2"/>続き</text:p><text:p>二行目</text:p>'
        '</table:table-cell><table:covered-table-cell/>'
        '<table:table-cell table:formula="of:=1/0" office:value-type="float" office:value="0"'
        ' calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
        '<table:table-cell table:formula="of:=[.A1]"/>'
        '<table:table-cell office:value-type="date" office:date-value="2023-05-01">'
        '<text:p>2023/5/1</text:p></table:table-cell>'
        '</table:table-row>'
        '<table:table-row table:number-rows-repeated="1048572"><table:table-cell'
        ' table:number-columns-repeated="1024"/></table:table-row>'
        '</table:table><table:table table:name="_meta"/>'))
    assert isinstance(package, OdsPackage)
    assert package.sheet_names == ["1-1-2", "_meta"]
    sheet = package.read_sheet("1-1-2")
    assert sheet.get("C3") == 0.4 and sheet.percent == {(3, 3)}
    assert sheet.get("D3") == 1234
    assert sheet.get("E3") == "一行目  続き\n二行目"
    assert sheet.merged == ["E3:F3"]
    assert str(sheet.get("G3")) == "#DIV/0!"
    assert str(sheet.get("H3")) == "=[.A1]"  # a formula with no stored result
    assert sheet.get("I3").year == 2023
    assert len(sheet.cells) == 6


def test_hostile_packages_are_refused_like_xlsx():
    with pytest.raises(Refused) as dtd:
        open_workbook(ods_bytes("", head='<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>'
                                + _HEAD[len('<?xml version="1.0" encoding="UTF-8"?>'):]))
    assert dtd.value.code == "E106"
    # one value repeated far down: refused as an oversized sheet, never expanded
    with pytest.raises(Refused) as big:
        open_workbook(ods_bytes(
            f'<table:table table:name="s"><table:table-row table:number-rows-repeated='
            f'"{MAX_ROWS + 5}"><table:table-cell office:value-type="float" office:value="1"/>'
            '</table:table-row></table:table>'))
    assert big.value.code == "E108"
    # a row of 200 values repeated 9,000 times: 1.8 million cells from a few bytes, refused
    # by the element budget as the same cells written out in an xlsx would be
    with pytest.raises(Refused) as many:
        open_workbook(ods_bytes(
            '<table:table table:name="s"><table:table-row table:number-rows-repeated="9000">'
            '<table:table-cell table:number-columns-repeated="200" office:value-type="float"'
            ' office:value="1"/></table:table-row></table:table>'))
    assert many.value.code == "E116"


_FIVE = '<table:table-cell office:value-type="float" office:value="5"><text:p>5</text:p></table:table-cell>'


def test_a_table_inside_a_cell_is_neither_a_sheet_nor_the_end_of_its_sheet():
    # ODF lets a cell hold a table; Calc writes none. Read as a sheet, it ended the sheet
    # around it: every value after it was lost, and it could pose as a measure's sheet.
    package = open_workbook(ods_bytes(
        '<table:table table:name="1-1-1"><table:table-row><table:table-cell>'
        '<table:table table:name="1-1-1"><table:table-row>'
        '<table:table-cell office:value-type="float" office:value="999"><text:p>999</text:p>'
        '</table:table-cell></table:table-row></table:table>'
        f'</table:table-cell>{_FIVE}</table:table-row><table:table-row>{_FIVE}'
        '</table:table-row></table:table>'))
    assert package.sheet_names == ["1-1-1"]
    assert package.read_sheet("1-1-1").cells == {(1, 2): 5, (2, 1): 5}


@pytest.mark.parametrize("attrs, code", [
    # a span far beyond any sheet: kept up to the limits (a column past XFD has no name)
    ('table:number-columns-spanned="1000000000" table:number-rows-spanned="1000000000"', ""),
    # a repeat of more digits than int() takes: more rows than any sheet, not one row
    (f'table:number-columns-repeated="{"9" * 5000}"', "E108"),
])
def test_spans_and_repeats_beyond_any_sheet(attrs, code):
    data = ods_bytes(f'<table:table table:name="s"><table:table-row><table:table-cell {attrs}'
                     ' office:value-type="float" office:value="1"/>'
                     f'{_FIVE}</table:table-row></table:table>')
    if code:
        with pytest.raises(Refused) as refused:
            open_workbook(data)
        assert refused.value.code == code
    else:
        sheet = open_workbook(data).read_sheet("s")
        assert sheet.merged == ["A1:GS10001"] and sheet.cells == {(1, 1): 1, (1, 2): 5}


# --- through the commands -------------------------------------------------------------------


def _plain_ods(folder: Path) -> Path:
    path = folder / "観光振興課.ods"
    path.write_bytes(ods_bytes('<table:table table:name="x"/>'))
    return path


def test_folder_picks_up_ods_and_names_what_cannot_be_read(tmp_path):
    folder = tmp_path / "返却"
    folder.mkdir()
    _plain_ods(folder)
    (folder / "福祉課.csv").write_text("番号,実績\n1-1-1-1,530\n", encoding="utf-8")
    numbers = io.BytesIO()
    with zipfile.ZipFile(numbers, "w") as z:
        z.writestr("Index/Document.iwa", b"\0")
    (folder / "建設課.numbers").write_bytes(numbers.getvalue())
    code, doc = validate_json(str(folder))
    assert code == 1
    found = {Path(f["path"]).name: f["problems"][0] for f in doc["files"]}
    assert set(found) == {"観光振興課.ods", "福祉課.csv", "建設課.numbers"}
    # an .ods is read as a workbook: this one is simply not made from the template
    assert found["観光振興課.ods"]["code"] == "E110"
    assert found["福祉課.csv"]["code"] == "E105"
    assert "CSV" in found["福祉課.csv"]["message"]
    assert "ODF スプレッドシート (.ods)" in found["福祉課.csv"]["message"]
    assert found["建設課.numbers"]["code"] == "E105"
    assert "「書き出す」→「Excel」" in found["建設課.numbers"]["message"]


# --- typed in LibreOffice, saved as .xlsx and as .ods --------------------------------------

#: What the clerk types (through Calc's input line, as at the keyboard) and what Calc shows.
TYPED = {
    ("J8", "１２３４"): Decimal(1234),  # full-width digits stay text in Calc
    ("K8", "1,234"): Decimal(1234),
    ("L8", "51,000"): Decimal(51000),
    ("M8", "60000"): Decimal(60000),
    ("M9", "12"): Decimal(12),
    ("J10", "10%"): Decimal(10),  # Calc stores 0.1 shown as 10.00%
    ("K10", "20"): Decimal(20),
    ("L10", "30%"): Decimal(30),
    ("M10", "40%"): Decimal(40),
}
ROWS = {"8": "1-1-2-1", "9": "1-1-2-2", "10": "1-1-2-3"}
YEARS = {"J": 2020, "K": 2021, "L": 2022, "M": 2023}
LONG_TEXT = "一行目の説明です。\n" + "観光客の受け入れ体制を整えました。" * 30


@pytest.fixture(scope="module")
def typed_in_calc(tmp_path_factory, shipped_plan):
    """The template of 1-1-2 typed into in LibreOffice, saved as .xlsx; that file opened
    again in LibreOffice and saved as .ods. (folder, seen texts)."""
    folder = tmp_path_factory.mktemp("calc")
    template = make_template(folder, shipped_plan, year=YEAR, measure_ids=["1-1-2"],
                             department="観光振興課")
    xlsx_dir, ods_dir = folder / "xlsx", folder / "ods"
    xlsx_dir.mkdir()
    ods_dir.mkdir()
    steps: list = [["keys", "1-1-2", cell, text] for (cell, text) in TYPED]
    steps += [["type", "1-1-2", "N14", "実施中"],  # a list choice
              ["type", "1-1-2", "O14", LONG_TEXT]]
    steps += [["read", "1-1-2", cell] for (cell, _text) in TYPED]
    steps += [["read", "1-1-2", "N14"], ["save", str(xlsx_dir / "観光振興課.xlsx")]]
    seen = calc(template, steps)
    calc(xlsx_dir / "観光振興課.xlsx", [["save", str(ods_dir / "観光振興課.ods")]])
    return folder, seen


@pytest.mark.slow
@needs_uno
@pytest.mark.parametrize("kind", ["xlsx", "ods"])
def test_typed_in_libreoffice_builds_to_the_numbers_seen(typed_in_calc, kind):
    folder, seen = typed_in_calc
    assert seen["1-1-2!M10"] == "40.00%" and seen["1-1-2!K8"] == "1234"
    assert seen["1-1-2!N14"] == "実施中"
    returned = folder / kind / f"観光振興課.{kind}"
    code, doc = validate_json(str(returned))
    assert code == 0, problems_of(doc)
    codes = {(p["cell"], p["code"]) for p in problems_of(doc)}
    assert {("J10", "W306"), ("L10", "W306"), ("M10", "W306"), ("J8", "W301")} <= codes

    out = folder / f"out-{kind}"
    result = CliRunner().invoke(cli, ["build", "--input", str(folder / kind), "--output",
                                      str(out), "--year", "R5"])
    assert result.exit_code == 0, result.output
    results = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    history = {(k["id"], h["year"]): h.get("actual")
               for k in results["kpis"] for h in k.get("history", [])}
    for (cell, _text), value in TYPED.items():
        kpi, year = ROWS[cell[1:]], YEARS[cell[0]]
        assert Decimal(str(history[(kpi, year)])) == value, (cell, history[(kpi, year)])
    merged = openpyxl.load_workbook(out / "kpi_merged.xlsx", read_only=True)
    texts = [c for row in merged["取組状況"].iter_rows(values_only=True) for c in row]
    assert LONG_TEXT in texts and "実施中" in texts


@pytest.mark.slow
@needs_uno
def test_annotated_copy_of_an_ods_is_an_xlsx_that_validates_the_same(typed_in_calc, tmp_path):
    folder, _seen = typed_in_calc
    returned = folder / "ods" / "観光振興課.ods"
    result = run_validate(str(returned), "--annotate", str(tmp_path / "戻し"))
    assert result.exit_code == 0, result.output
    assert "観光振興課.ods → 観光振興課.xlsx" in result.output
    copy = tmp_path / "戻し" / "観光振興課.xlsx"
    wb = openpyxl.load_workbook(copy)
    assert "チェック結果" in wb.sheetnames
    assert wb["1-1-2"]["M10"].comment is not None
    _code, original = validate_json(str(returned))
    _code, again = validate_json(str(copy))
    assert [(p["code"], p["cell"]) for p in problems_of(again)] == \
        [(p["code"], p["cell"]) for p in problems_of(original)]


def test_xlsm_in_a_folder_is_read_like_xlsx(returned):
    macro = returned.with_suffix(".xlsm")
    returned.rename(macro)
    code, doc = validate_json(str(returned.parent))
    assert code == 0
    assert [Path(f["path"]).name for f in doc["files"]] == ["観光振興課.xlsm"]
    assert doc["files"][0]["department"] == "観光振興課"
