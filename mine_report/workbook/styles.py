"""Cell formats and sheet-level settings shared by every sheet of the standard workbook."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from mine_report.common.numbers import excel_format

FONT = "BIZ UDPゴシック"

# Fills: input cells must stand out from plan cells at a glance, also in grey-scale print.
HEADER_FILL = "#DDEBF7"
LABEL_FILL = "#F2F2F2"
INPUT_FILL = "#FFF2CC"
CURRENT_FILL = "#FFD966"
CURRENT_HEADER_FILL = "#F4B084"
LATER_FILL = "#BFBFBF"
PREFILLED_FILL = "#E2EFDA"
HINT_COLOUR = "#595959"
PROBLEM_FILL = "#FFCABF"  # a light tint of CUD red (#FF4B00)
PROBLEM_TEXT = "#B00000"
CLEAR_FILL = "#C8F0DE"  # a light tint of CUD green (#03AF7A)
CLEAR_TEXT = "#005A3C"
LINE_HEIGHT = 13.5  # points per wrapped line at 10 pt


class Styles:
    """The cell formats of one workbook (xlsxwriter formats belong to their workbook)."""

    def __init__(self, wb: Workbook):
        self._wb = wb
        self._base = {"font_name": FONT, "font_size": 10, "valign": "top", "text_wrap": True}
        fmt = self.make
        self.title = fmt(bold=True, font_size=13, valign="vcenter")
        self.subtitle = fmt(bold=True, font_size=11, valign="vcenter")
        self.section = fmt(bold=True, font_size=11, valign="bottom", bottom=2,
                           bottom_color="#2F5597")
        self.label = fmt(bold=True, bg_color=LABEL_FILL, border=1)
        self.id = fmt(bold=True, border=1, align="center")
        self.id_cell = fmt(bold=True, font_size=12, border=1, align="center", valign="vcenter")
        self.header = fmt(bold=True, bg_color=HEADER_FILL, border=1, align="center",
                          valign="vcenter")
        self.header_current = fmt(bold=True, bg_color=CURRENT_HEADER_FILL, border=1,
                                  align="center", valign="vcenter")
        self.header_later = fmt(bold=True, bg_color=LATER_FILL, border=1, align="center",
                                valign="vcenter", font_color=HINT_COLOUR)
        self.plan_text = fmt(border=1)
        self.plan_center = fmt(border=1, align="center")
        self.hint = fmt(font_color=HINT_COLOUR)
        self.input_text = fmt(border=1, bg_color=INPUT_FILL, locked=False, num_format="@")
        self.input_value = fmt(border=1, bg_color=INPUT_FILL, locked=False, align="right")
        self.input_choice = fmt(border=1, bg_color=INPUT_FILL, locked=False, align="center",
                                num_format="@")
        self.input_date = fmt(border=1, bg_color=INPUT_FILL, locked=False, align="left",
                              num_format="yyyy/m/d")
        self.current_value = fmt(border=1, bg_color=CURRENT_FILL, locked=False, align="right")
        self.later_value = fmt(border=1, bg_color=LATER_FILL)
        self.prefilled_value = fmt(border=1, bg_color=PREFILLED_FILL, align="right")
        self.notice = fmt(bold=True, font_size=14, font_color="#C00000", border=2,
                          border_color="#C00000", align="center", valign="vcenter")
        # The live checks (template_checks): words in the チェック column, and conditional
        # formats for the input cells and status lines (CUD red and green, dark text).
        self.check = fmt(bold=True, font_color=PROBLEM_TEXT, border=1)
        self.status = fmt(bold=True, font_size=11, border=1, valign="vcenter")
        self.problem = wb.add_format({"bg_color": PROBLEM_FILL, "font_color": PROBLEM_TEXT,
                                      "bold": True, "border": 2, "border_color": PROBLEM_TEXT})
        self.open_items = wb.add_format({"bg_color": PROBLEM_FILL, "font_color": PROBLEM_TEXT})
        self.all_clear = wb.add_format({"bg_color": CLEAR_FILL, "font_color": CLEAR_TEXT})
        self._numbers: dict[int, object] = {}

    def make(self, **props: object):
        return self._wb.add_format({**self._base, **props})

    def plan_number(self, decimals: int):
        """A right-aligned plan number showing exactly `decimals` decimal places."""
        if decimals not in self._numbers:
            self._numbers[decimals] = self.make(border=1, align="right",
                                                num_format=excel_format(decimals))
        return self._numbers[decimals]


# --- small helpers ----------------------------------------------------------------------


def display_width(text: str) -> int:
    """Width in Excel character units: full-width (Japanese) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WFA" else 1 for ch in text)


def line_count(texts_and_widths: Sequence[tuple[str, float]]) -> int:
    """How many lines the longest of the texts takes wrapped in its column width."""
    lines = 1
    for text, width in texts_and_widths:
        usable = max(width * 1.1 - 1, 1)  # BIZ UDPゴシック 10 pt is narrower than the unit
        n = sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))
        lines = max(lines, n)
    return lines


def row_height(texts_and_widths: Sequence[tuple[str, float]], minimum: float = 18) -> float:
    """A row height (points) tall enough to show each text wrapped in its column width."""
    return max(minimum, line_count(texts_and_widths) * LINE_HEIGHT + 4)


class GrowingRowsSheet(Worksheet):
    """A worksheet whose rows in `growing` keep the height written but are not marked as
    set by hand (no customHeight), as Excel marks the rows it fitted itself.

    A row marked set by hand never grows: the clerk types nine lines of 取組内容 and the
    print shows four. An unmarked row is shown at the height written (neither Excel nor
    LibreOffice fits rows when a workbook opens, and Calc leaves rows without a height at
    one line) and is fitted again, by both, as soon as a cell in it is edited. xlsxwriter
    marks every row it gives a height, so this drops the mark from the row element as it
    is written (xlsxwriter's XML writer: checked by tests/test_template.py).
    """

    def __init__(self) -> None:
        super().__init__()
        self.growing: set[int] = set()

    def _xml_start_tag_unencoded(self, tag, attributes=[]) -> None:  # noqa: B006 (as in xlsxwriter)
        super()._xml_start_tag_unencoded(tag, self._unmarked(tag, attributes))

    def _xml_empty_tag_unencoded(self, tag, attributes=[]) -> None:  # noqa: B006
        super()._xml_empty_tag_unencoded(tag, self._unmarked(tag, attributes))

    def _unmarked(self, tag: str, attributes: list) -> list:
        if tag != "row" or not self.growing:
            return attributes
        number = dict(attributes).get("r")
        if number is None or int(number) - 1 not in self.growing:
            return attributes
        return [(k, v) for k, v in attributes if k != "customHeight"]


def fit_row(ws: Worksheet, row: int, own: Sequence[tuple[str, float]] = (),
            merged: Sequence[tuple[str, float]] = (), minimum: float = 18) -> None:
    """Give a row the height its texts need (estimated from their length and column
    width: no library can measure text as Excel does) and let it grow with what the
    clerk types later.

    `own` are the texts of the row's unmerged cells, `merged` those of merged cells.
    Neither program counts merged cells when it fits a row again, so a row whose merged
    text needs more lines than its own cells keeps a fixed height instead.
    """
    ws.set_row(row, row_height([*own, *merged], minimum))
    fixed = merged and line_count(merged) > line_count(own or [("", 1)])
    if not fixed and isinstance(ws, GrowingRowsSheet):
        ws.growing.add(row)


def cell(row: int, col: int) -> str:
    """A1 reference of a 0-based (row, col)."""
    return xl_rowcol_to_cell(row, col)


def absolute(ref: str) -> str:
    """An A1 reference made absolute: B5 → $B$5."""
    row, col = xl_cell_to_rowcol(ref)
    return xl_rowcol_to_cell(row, col, row_abs=True, col_abs=True)


def split_cell(ref: str) -> tuple[int, int]:
    """0-based (row, col) of an A1 reference."""
    return xl_cell_to_rowcol(ref)


def col_letter(col: int) -> str:
    return xl_col_to_name(col)


PAPER = {"A4": 9, "A3": 8}  # xlsxwriter's paper codes


def set_print(ws: Worksheet, repeat: tuple[int, int] | None = None, paper: str = "A4") -> None:
    """Landscape, one page wide and as many pages long as the text needs (so long
    texts are never shrunk to fit one page), the `repeat` rows (0-based first, last) on
    every page, sheet name and page number in the footer.

    The KPI tables (a measure sheet, 目標指標) are about 185 characters wide: on A4 they
    print at about 53 %, too small to read, so they are set to A3, the paper city offices
    use for wide forms (about 75 %). A clerk with only A4 can still choose 用紙に合わせる."""
    ws.set_paper(PAPER[paper])
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    if repeat is not None:
        ws.repeat_rows(*repeat)
    ws.set_margins(left=0.3, right=0.3, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.set_footer("&L&A&R&P / &N")


def protect(ws: Worksheet) -> None:
    """Lock everything not explicitly unlocked; no password (see the README).

    Resizing rows and columns stays allowed so long texts can be made visible;
    inserting or deleting rows does not.
    """
    ws.protect("", {"format_columns": True, "format_rows": True})
