"""Reading an OpenDocument spreadsheet (.ods), as LibreOffice saves a return, into the
same SheetData the xlsx reader makes, so every check and message is the same.

An .ods is a zip whose content.xml holds every sheet. It is read through the same
bounded zip access (xlsxread.ZipParts: chunked, size budgets) and the same defused,
streaming expat pass (xlsxread._parse: a DTD is refused, comments and processing
instructions are never cells), and every element counts against the same element
budget. Repeated rows and columns (LibreOffice writes "1,048,553 empty rows" as one
element) only move the position; a repeated cell that holds a value is kept once per
position, and any value beyond MAX_ROWS × MAX_COLS refuses the sheet (E108), as in xlsx.

What a cell holds comes from its office:value-type: float and currency → the number,
percentage → the number (kept in SheetData.percent: the clerk saw it as %), date →
datetime, boolean → bool, string → its text paragraphs joined by line breaks (a cell's
comment, office:annotation, is not its text). A formula with no stored result is
MissingFormulaValue, an error result CellError, as in xlsx.
"""

from __future__ import annotations

import datetime as dt

from mine_report.common.numbers import format_number
from mine_report.common.safetext import clean_text
from mine_report.intake.xlsxread import (
    MAX_CELL_XML_CHARS,
    MAX_COLS,
    MAX_ROWS,
    MAX_SHEETS,
    CellError,
    MissingFormulaValue,
    Refused,
    SheetData,
    ZipParts,
    _parse,
    _too_big,
    _too_many,
    cell_ref,
    xsd_number,
)

_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_CALCEXT = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"

_T = f"{_TABLE} "
_TABLE_EL = f"{_T}table"
_ROW = f"{_T}table-row"
_CELL = f"{_T}table-cell"
_COVERED = f"{_T}covered-table-cell"
_P = f"{_TEXT} p"
_SPACE = f"{_TEXT} s"
_TAB = f"{_TEXT} tab"
_BREAK = f"{_TEXT} line-break"
_ANNOTATION = f"{_OFFICE} annotation"
_NAME = f"{_T}name"
_ROWS_REPEATED = f"{_T}number-rows-repeated"
_COLS_REPEATED = f"{_T}number-columns-repeated"
_COLS_SPANNED = f"{_T}number-columns-spanned"
_ROWS_SPANNED = f"{_T}number-rows-spanned"
_FORMULA = f"{_T}formula"
_VALUE_TYPE = f"{_OFFICE} value-type"
_VALUE = f"{_OFFICE} value"
_DATE_VALUE = f"{_OFFICE} date-value"
_BOOLEAN_VALUE = f"{_OFFICE} boolean-value"
_STRING_VALUE = f"{_OFFICE} string-value"
_EXT_TYPE = f"{_CALCEXT} value-type"


#: What a repeat or span count of more digits than int() takes (4,300) stands for: more
#: than any sheet holds, so a value it carries is refused (E108) rather than kept once.
_HUGE = 2**31


def _count(attrs: dict, name: str) -> int:
    raw = attrs.get(name, "1")
    try:
        return max(1, int(raw))
    except ValueError:
        return _HUGE if raw.strip().isdigit() else 1


class OdsPackage:
    """An opened .ods: sheet names in document order and their cells (all read at once:
    content.xml holds every sheet)."""

    def __init__(self, parts: ZipParts):
        self.parts = parts
        if "content.xml" not in parts.members:
            raise Refused("E106", reason="OpenDocument の content.xml がありません")
        self._sheets: dict[str, SheetData] = {}
        self.sheet_names: list[str] = []
        handler = _ContentHandler(self)
        _parse(parts.chunks("content.xml"), "content.xml", handler.start, handler.end,
               handler.text)

    def add_sheet(self, name: str) -> SheetData:
        if len(self.sheet_names) >= MAX_SHEETS:
            raise Refused("E116", limit=f"シート {format_number(MAX_SHEETS, 0)} 枚")
        sheet = SheetData(name)
        self.sheet_names.append(name)
        self._sheets.setdefault(name, sheet)  # the first of a name, as in xlsx
        return sheet

    def read_sheet(self, name: str) -> SheetData:
        return self._sheets[name]


class _ContentHandler:
    """Handlers that fill one SheetData per <table:table> of content.xml."""

    def __init__(self, package: OdsPackage):
        self.package = package
        self.sheet: SheetData | None = None
        self.row = 0  # 1-based row of the open <table:row> (its first repeat)
        self.row_repeat = 1
        self.row_cells: list[tuple[int, object, bool]] = []  # (col, value, percent)
        self.col = 0  # columns used so far in the open row
        self.cell: dict | None = None
        self.cell_repeat = 1
        self.paragraphs: list[list[str]] | None = None
        self.chars = 0
        self.annotation = 0
        self.subtable = 0  # depth inside a table that sits in a cell: not a sheet

    def start(self, name: str, attrs: dict) -> None:
        self.package.parts.elements_left -= 1
        if self.package.parts.elements_left < 0:
            raise _too_many()
        if self.annotation:
            self.annotation += name == _ANNOTATION
            return
        if self.subtable:
            self.subtable += name == _TABLE_EL
            return
        if name == _ANNOTATION:
            self.annotation = 1
        elif name == _TABLE_EL and self.sheet is not None:
            # A table inside a table (ODF allows one in a cell; Calc writes none and shows
            # none): neither a sheet nor cells, and the table around it goes on after it.
            self.subtable = 1
        elif name == _TABLE_EL:
            self.sheet = self.package.add_sheet(clean_text(attrs.get(_NAME, "")))
            self.row = 0
        elif self.sheet is None:
            return
        elif name == _ROW:
            self.row += 1
            self.row_repeat = _count(attrs, _ROWS_REPEATED)
            self.row_cells = []
            self.col = 0
        elif name in (_CELL, _COVERED):
            self.cell = attrs
            self.cell_repeat = _count(attrs, _COLS_REPEATED)
            self.paragraphs = []
            self.chars = 0
            self._merge(attrs)
        elif self.cell is not None and self.paragraphs is not None:
            if name == _P:
                self.paragraphs.append([])
            elif name == _SPACE and self.paragraphs:
                self._chars(" " * min(_count(attrs, f"{_TEXT} c"), MAX_CELL_XML_CHARS))
            elif name == _TAB and self.paragraphs:
                self._chars("\t")
            elif name == _BREAK and self.paragraphs:
                self._chars("\n")

    def end(self, name: str) -> None:
        if self.annotation:
            self.annotation -= name == _ANNOTATION
            return
        if self.subtable:
            self.subtable -= name == _TABLE_EL
            return
        if self.sheet is None:
            return
        if name in (_CELL, _COVERED) and self.cell is not None:
            first = self.col + 1
            self.col += self.cell_repeat
            if name == _CELL:
                value = self._value()
                if value is not None:
                    percent = self.cell.get(_VALUE_TYPE) == "percentage"
                    if self.col > MAX_COLS:
                        _too_big(self.sheet.title, self.row, self.col)
                    self._charge(self.cell_repeat - 1)
                    for col in range(first, self.col + 1):
                        self.row_cells.append((col, value, percent))
            self.cell = self.paragraphs = None
        elif name == _ROW:
            if self.row_cells:
                last = self.row + self.row_repeat - 1
                if last > MAX_ROWS:
                    _too_big(self.sheet.title, last, max(c for c, _, _ in self.row_cells))
                self._charge((self.row_repeat - 1) * len(self.row_cells))
                for row in range(self.row, last + 1):
                    for col, value, percent in self.row_cells:
                        self.sheet.cells[(row, col)] = value
                        if percent:
                            self.sheet.percent.add((row, col))
            self.row += self.row_repeat - 1
        elif name == _TABLE_EL:
            self.sheet = None

    def _charge(self, cells: int) -> None:
        """Repeated cells that hold a value cost what writing each out would: they count
        against the element budget like the elements an xlsx needs for them."""
        self.package.parts.elements_left -= cells
        if self.package.parts.elements_left < 0:
            raise _too_many()

    def text(self, data: str) -> None:
        if self.annotation or self.subtable or self.paragraphs is None or not self.paragraphs:
            return
        self._chars(data)

    def _chars(self, data: str) -> None:
        assert self.paragraphs is not None and self.sheet is not None
        self.chars += len(data)
        if self.chars > MAX_CELL_XML_CHARS:
            raise Refused("E117", sheet=self.sheet.title, cell=cell_ref(self.row, self.col + 1))
        self.paragraphs[-1].append(data)

    def _merge(self, attrs: dict) -> None:
        cols = _count(attrs, _COLS_SPANNED)
        rows = _count(attrs, _ROWS_SPANNED)
        first = self.col + 1
        if (cols > 1 or rows > 1) and first <= MAX_COLS and self.row <= MAX_ROWS:
            # A range is kept up to the limits: no cell read lies beyond them (and a
            # column past XFD has no name).
            assert self.sheet is not None
            last_row = min(self.row + rows - 1, MAX_ROWS + 1)
            last_col = min(first + cols - 1, MAX_COLS + 1)
            self.sheet.merged.append(f"{cell_ref(self.row, first)}:"
                                     f"{cell_ref(last_row, last_col)}")

    def _shown_text(self) -> str:
        return "\n".join("".join(p) for p in self.paragraphs or [])

    def _value(self) -> object:
        attrs = self.cell
        assert attrs is not None
        kind = attrs.get(_VALUE_TYPE)
        if attrs.get(_EXT_TYPE) == "error":
            return CellError(clean_text(self._shown_text()) or "#VALUE!")
        if kind is None:
            if _FORMULA in attrs:
                return MissingFormulaValue(clean_text(attrs[_FORMULA]).removeprefix("of:"))
            return clean_text(self._shown_text()) or None
        if kind in ("float", "percentage", "currency"):
            text = attrs.get(_VALUE, "").strip()
            number = xsd_number(text)
            return clean_text(text) or None if number is None else number
        if kind == "boolean":
            return attrs.get(_BOOLEAN_VALUE, "").strip().lower() == "true"
        if kind == "date":
            try:
                return dt.datetime.fromisoformat(attrs.get(_DATE_VALUE, "").strip())
            except ValueError:
                return CellError("#VALUE!")
        if kind == "time":
            return CellError("#VALUE!") if not self._shown_text() else clean_text(
                self._shown_text())
        text = attrs.get(_STRING_VALUE)
        return clean_text(text if text is not None else self._shown_text()) or None
