"""Live checks in the standard workbook: formulas that mark, while the clerk types, every
input cell whose content `validate` would refuse or question.

Why formulas: data validation is bypassed by pasting (LibreOffice's normal paste even
removes it) and macros are blocked on most municipal networks, while formulas and
conditional formatting work offline in Excel and LibreOffice alike. Only functions both
evaluate the same way are used (IF, AND, OR, ISBLANK, ISTEXT, ISNUMBER, ISERROR, IFERROR,
SUBSTITUTE, TRIM, LEN, LEFT, RIGHT, MID, REPT, FIND, EXACT, VALUE, CHOOSE, COUNTA,
COUNTIF, SUM, CHAR): no dynamic arrays, no LAMBDA/LET, no locale-dependent formats.

Each input cell gets a hidden *code* cell (0 = fine, else an index into CHECKS); an actual
cell also gets two hidden helpers holding its text as the reader normalises it (full-width
digits and signs, spaces, the KPI's unit, the sign). A visible チェック column spells the
codes out (× and words, so the mark never depends on colour alone), a status cell at the
top of the sheet counts them, and the front sheet sums the sheets. Nothing here is read
back: the reader reads only the input cells recorded in the layout, so the tool stays the
authority and a workbook whose check formulas are deleted or damaged validates the same.

A sheet with nothing entered is "未記入", not a list of problems, exactly as the reader
leaves such a measure out instead of reporting it. On a sheet with input, a blank status
or measure text is a reminder (△, code -1): shown, never counted, since validate has no
rule that requires them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from xlsxwriter.worksheet import Worksheet

from mine_report.common.fiscal import format_fiscal_year
from mine_report.plan.model import Kpi
from mine_report.workbook.layout import NOT_MEASURED_MARKS, OUTLOOKS, STATUSES, TEXT_LIMIT
from mine_report.workbook.styles import Styles, cell, col_letter

#: (label shown in the チェック column, the validate codes that report the same thing).
#: A cell's code is its 1-based position here.
CHECKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("未入力", ("W303",)),
    ("数値でない", ("E301", "E311")),
    ("負の数", ("E302",)),
    ("100を超える", ("E303",)),
    ("記入不要の年度", ("W304",)),
    ("一覧にない", ("E307", "E308")),
    ("半角数字で入力", ("W301",)),
    (f"{TEXT_LIMIT}字を超える", ("W305",)),
    ("エラー値", ("E305",)),
    ("理由を備考に", ("W308",)),
)
(BLANK, NOT_NUMBER, NEGATIVE, OVER_100, LATER, NOT_IN_LIST, TEXT_NUMBER, TOO_LONG, ERROR,
 NO_REASON) = range(1, len(CHECKS) + 1)
MARK = "×"
#: A reminder, not a problem: a status or measure text left blank on a sheet with input.
#: validate has no rule for these, so they are shown (△) but never counted.
BLANK_REMINDER = -1
REMINDER_MARK = "△"
ALL_CLEAR = "問題なし"
NOT_STARTED = "未記入"

# What the reader's NFKC does to the characters people type into numbers (the formula
# can only substitute them one by one; exotic compatibility forms stay unread).
_WIDE = {chr(0xFF10 + i): str(i) for i in range(10)}
_WIDE.update({"，": ",", "．": ".", "＋": "+", "－": "-", "％": "%",
              "−": "-", "‐": "-", "‒": "-", "–": "-"})
_SPACE_CHARS = (" ", "　")
_CONTROL_SPACES = (9, 10, 13)  # tab, line feed, carriage return: CHAR(n)


def q(text: str) -> str:
    """A formula string literal."""
    return '"' + text.replace('"', '""') + '"'


def _mark_texts() -> list[str]:
    """Every text the reader takes as a not-measured mark: the marks and every single
    character whose NFKC form is one (e.g. half-width ｰ)."""
    marks = set(NOT_MEASURED_MARKS) | {unicodedata.normalize("NFKC", m) for m in NOT_MEASURED_MARKS}
    singles = {m for m in marks if len(m) == 1}
    for code in range(0x20, 0x10000):
        ch = chr(code)
        if unicodedata.normalize("NFKC", ch) in singles:
            marks.add(ch)
    return sorted(marks)


_MARK_TEXTS = _mark_texts()


def _strip_spaces(expr: str) -> str:
    for ch in _SPACE_CHARS:
        expr = f"SUBSTITUTE({expr},{q(ch)},\"\")"
    for n in _CONTROL_SPACES:
        expr = f'SUBSTITUTE({expr},CHAR({n}),"")'
    return expr


def normalised_formula(x: str) -> str:
    """Hidden helper 1: the cell's text with spaces removed and full-width digits, signs
    and separators made half-width; "" when blank, "?" for a non-text value."""
    expr = _strip_spaces(x)
    for wide, narrow in _WIDE.items():
        expr = f"SUBSTITUTE({expr},{q(wide)},{q(narrow)})"
    return f'=IF(ISBLANK({x}),"",IF(ISTEXT({x}),{expr},"?"))'


def unit_variants(unit: str) -> list[str]:
    """The unit texts the reader strips from the end of a number (its NFKC form, as the
    reader compares, and the form printed on the sheet)."""
    marks = set(_MARK_TEXTS)
    out = []
    for form in (unicodedata.normalize("NFKC", unit), unit):
        form = "".join(form.split())
        if form and form not in marks and form not in out:
            out.append(form)
    return out


def core_formula(n: str, unit: str) -> str:
    """Hidden helper 2: helper 1 without the KPI's unit at the end and without a sign."""
    m = n
    for u in reversed(unit_variants(unit)):
        size = len(u)
        m = f"IF(AND(LEN({n})>{size},EXACT(RIGHT({n},{size}),{q(u)})),LEFT({n},LEN({n})-{size}),{m})"
    return f'=IF(OR(LEFT({m})="+",LEFT({m})="-"),MID({m},2,255),{m})'


def shape_formula(u: str) -> str:
    """Hidden helper 3: helper 2 with every digit made 9, so the number's shape can be
    compared with a pattern built by REPT (no regular expressions in either program)."""
    expr = u
    for digit in "012345678":
        expr = f"SUBSTITUTE({expr},{q(digit)},\"9\")"
    return f"={expr}"


def _valid_number_text(sh: str) -> str:
    """The reader's ^\\d+(\\.\\d*)?$|^\\.\\d+$ or, with commas,
    ^\\d{1,3}(,\\d{3})+(\\.\\d+)?$, on the shape `sh` of a text without sign or unit."""
    ip = f'(FIND(".",{sh}&".")-1)'  # length of the integer part
    k = f'(LEN({sh})-LEN(SUBSTITUTE({sh},",","")))'
    lead = f"({ip}-4*{k})"
    # IF, not AND, around the comparison: REPT of a negative count is an error value
    grouped = (f'IF(AND({lead}>=1,{lead}<=3,RIGHT({sh},1)<>"."),'
               f'{sh}=REPT("9",{lead})&REPT(",999",{k})&'
               f'IF(LEN({sh})>{ip},"."&REPT("9",LEN({sh})-{ip}-1),""),FALSE)')
    return (f'AND(SUBSTITUTE(SUBSTITUTE(SUBSTITUTE({sh},"9",""),".",""),",","")="",'
            f'LEN({sh})-LEN(SUBSTITUTE({sh},".",""))<=1,ISNUMBER(FIND("9",{sh})),'
            f'IF({k}>0,{grouped},TRUE))')


def _one_of(text: str, choices: Sequence[str]) -> str:
    """Whether `text` equals one of `choices`: one comparison with an array constant."""
    listed = ",".join(q(c) for c in choices)
    return f"SUMPRODUCT(--({text}={{{listed}}}))>0"


def _range(kpi: Kpi, value: str, ok: int) -> str:
    expr = str(ok)
    if kpi.is_percent:
        expr = f"IF({value}>100,{OVER_100},{expr})"
    if not kpi.allows_negative:
        expr = f"IF({value}<0,{NEGATIVE},{expr})"
    return expr


def _is_mark(x: str) -> str:
    return _one_of(f'TRIM(SUBSTITUTE({x},"　"," "))', _MARK_TEXTS)


def actual_code_formula(x: str, n: str, u: str, sh: str, kpi: Kpi, *, current: bool,
                        later: bool, note: str = "") -> str:
    """The code of an actual cell `x` (helpers `n`, `u`, `sh`; the row's 備考 `note`), as
    the reader judges it: a not-measured mark in the evaluation year needs a reason."""
    if later:
        return f"=IF(ISERROR({x}),{ERROR},IF({n}=\"\",0,IF({_is_mark(x)},0,{LATER})))"
    value = f'IF(LEFT({n})="-",-1,1)*IFERROR(VALUE(SUBSTITUTE({u},",","")),0)'
    mark = f"IF(LEN(TRIM({note}))=0,{NO_REASON},0)" if current and note else "0"
    return (f"=IF(ISERROR({x}),{ERROR},IF(ISNUMBER({x}),{_range(kpi, x, 0)},"
            f"IF({n}=\"\",{BLANK if current else 0},IF({_is_mark(x)},{mark},"
            f"IF({_valid_number_text(sh)},{_range(kpi, value, TEXT_NUMBER)},{NOT_NUMBER})))))")


def text_code_formula(x: str, *, remind: bool = False) -> str:
    """The code of a free-text cell: an error value, or too long for the report; blank is
    fine, or a reminder when `remind`."""
    blank = f'IF(LEN(TRIM({x}))=0,{BLANK_REMINDER},0)' if remind else "0"
    return f"=IF(ISERROR({x}),{ERROR},IF(LEN({x})>{TEXT_LIMIT},{TOO_LONG},{blank}))"


def choice_code_formula(x: str, choices: Sequence[str]) -> str:
    """The code of a cell that must hold one of `choices` (spaces forgiven); blank is a
    reminder."""
    s = _strip_spaces(x)
    return (f'=IF(ISERROR({x}),{ERROR},IF({s}="",{BLANK_REMINDER},'
            f'IF({_one_of(s, choices)},0,{NOT_IN_LIST})))')


def row_check_formula(parts: Sequence[tuple[str, str]], has_input: str) -> str:
    """The visible チェック cell of a row: "× 令和5年度: 数値でない …", else reminders
    "△ 実施状況: 未記入", else "".

    parts: (label, code cell) for each input cell of the row.
    """
    labels = ",".join(q(label) for label, _ in CHECKS)
    words = "&".join(
        f'IF({code}>0,{q(label + ": " if label else "")}&CHOOSE({code},{labels})&" ","")'
        for label, code in parts)
    any_code = "OR(" + ",".join(f"{code}>0" for _, code in parts) + ")"
    reminders = "&".join(f'IF({code}<0,{q((label + ": " if label else "") + "未記入 ")},"")'
                         for label, code in parts)
    any_reminder = "OR(" + ",".join(f"{code}<0" for _, code in parts) + ")"
    return (f'=IF({has_input}=1,IF({any_code},{q(MARK + " ")}&TRIM({words}),'
            f'IF({any_reminder},{q(REMINDER_MARK + " ")}&TRIM({reminders}),"")),"")')


def status_formula(has_input: str, count: str, blanks: str) -> str:
    """The sheet's status: あと N 件 / 問題なし (with the blanks left, if any) / 未記入."""
    clear = (f'IF({blanks}=0,{q(ALL_CLEAR)},{q(ALL_CLEAR + "（空欄 ")}&{blanks}&'
             f'{q(" 箇所: 「チェック」列の " + REMINDER_MARK + " は記入漏れでないか確認）")})')
    return (f'=IF({has_input}=0,{q(NOT_STARTED + "（この施策を担当していなければ記入不要）")},'
            f'IF({count}=0,{clear},"あと "&{count}&{q(" 件（右端の「チェック」列の " + MARK + " を確認）")}))')


def short_status_formula(has_input: str, count: str, blanks: str) -> str:
    """The front sheet's status of one sheet."""
    clear = f'IF({blanks}=0,{q(ALL_CLEAR)},{q(ALL_CLEAR + "（空欄 ")}&{blanks}&"）")'
    return (f'=IF({has_input}=0,{q(NOT_STARTED)},IF({count}=0,{clear},'
            f'{q(MARK + " あと ")}&{count}&" 件"))')


def mark_problems(ws: Worksheet, first_row: int, first_col: int, last_row: int,
                  last_col: int, code_ref: str, has_input: str, fmt: object) -> None:
    """Conditional formatting of an input block: red when its code cell (relative to the
    block's top-left cell) is above 0 and the sheet has input."""
    ws.conditional_format(first_row, first_col, last_row, last_col, {
        "type": "formula",
        "criteria": f"=AND({code_ref}>0,{has_input}=1)",
        "format": fmt,
    })


def mark_status(ws: Worksheet, row: int, col: int, last_col: int, value_ref: str,
                has_input: str, st: Styles) -> None:
    """Colour a status cell: open problems red, none green (the words say it too)."""
    ws.conditional_format(row, col, row, last_col, {
        "type": "formula", "criteria": f"=AND({has_input}=1,{value_ref}>0)",
        "format": st.open_items})
    ws.conditional_format(row, col, row, last_col, {
        "type": "formula", "criteria": f"=AND({has_input}=1,{value_ref}=0)",
        "format": st.all_clear})


# --- where the checks go ------------------------------------------------------------------

#: 0-based row of a measure sheet's status line (frozen at the top with the headers).
STATUS_ROW = 4


@dataclass(frozen=True)
class CheckColumns:
    """The check columns of a measure sheet whose year columns start at `first_year` (0-based):
    the visible チェック column right of 備考, then hidden helpers: one code column per input
    column (years, then 備考), one normalised-text, one core-text and one shape column per year."""

    first_year: int
    years: int

    @property
    def note(self) -> int:
        return self.first_year + self.years

    @property
    def check(self) -> int:
        return self.note + 1

    @property
    def codes(self) -> int:
        return self.check + 1

    def code_of(self, col: int) -> int:
        """The code column of the input column `col` (a year column or 備考)."""
        return self.codes + col - self.first_year

    def normalised(self, i: int) -> int:
        return self.codes + self.years + 1 + i

    def core(self, i: int) -> int:
        return self.codes + 2 * self.years + 1 + i

    def shape(self, i: int) -> int:
        return self.codes + 3 * self.years + 1 + i

    @property
    def last(self) -> int:
        return self.shape(self.years - 1)

    @property
    def input_cell(self) -> tuple[int, int]:
        """1 when anything is entered on the sheet, else 0."""
        return STATUS_ROW, self.codes

    @property
    def count_cell(self) -> tuple[int, int]:
        """The number of open problems (0 while the sheet is 未記入)."""
        return STATUS_ROW, self.codes + 1

    @property
    def blanks_cell(self) -> tuple[int, int]:
        """The number of reminders (statuses and measure texts left blank)."""
        return STATUS_ROW, self.codes + 2


@dataclass(frozen=True)
class MeasureInputs:
    """Where a measure sheet's input cells are (0-based rows and columns)."""

    kpi_rows: Sequence[tuple[Kpi, int]]
    year_cols: Sequence[tuple[int, int]]  # (fiscal year, column)
    initiative_rows: Sequence[int]
    status_col: int
    text_rows: Sequence[tuple[int, bool]]  # (row, whether it is the 今後の方向性 choice)
    text_col: int


def write_measure_checks(ws: Worksheet, st: Styles, geo: CheckColumns, inputs: MeasureInputs,
                         *, year: int | None, header_rows: Sequence[int]) -> None:
    """Write the helpers, the チェック column, the status line and the conditional formats."""
    has = "$" + col_letter(geo.input_cell[1]) + "$" + str(STATUS_ROW + 1)
    count = "$" + col_letter(geo.count_cell[1]) + "$" + str(STATUS_ROW + 1)
    blanks = "$" + col_letter(geo.blanks_cell[1]) + "$" + str(STATUS_ROW + 1)
    for row in header_rows:
        ws.write_string(row, geo.check, "チェック", st.header)

    for kpi, row in inputs.kpi_rows:
        parts = []
        for i, (y, col) in enumerate(inputs.year_cols):
            x = cell(row, col)
            n, u = cell(row, geo.normalised(i)), cell(row, geo.core(i))
            sh = cell(row, geo.shape(i))
            ws.write_formula(row, geo.normalised(i), normalised_formula(x), None, "")
            ws.write_formula(row, geo.core(i), core_formula(n, kpi.unit), None, "")
            ws.write_formula(row, geo.shape(i), shape_formula(u), None, "")
            ws.write_formula(row, geo.code_of(col), actual_code_formula(
                x, n, u, sh, kpi, current=year == y, later=year is not None and y > year,
                note=cell(row, geo.note)),
                None, "")
            parts.append((format_fiscal_year(y), cell(row, geo.code_of(col))))
        ws.write_formula(row, geo.code_of(geo.note), text_code_formula(cell(row, geo.note)),
                         None, "")
        parts.append(("備考", cell(row, geo.code_of(geo.note))))
        ws.write_formula(row, geo.check, row_check_formula(parts, has), st.check, "")

    for row in inputs.initiative_rows:
        status_code = cell(row, geo.code_of(inputs.status_col))
        text_code = cell(row, geo.code_of(inputs.text_col))
        ws.write_formula(row, geo.code_of(inputs.status_col), choice_code_formula(
            cell(row, inputs.status_col), STATUSES), None, "")
        ws.write_formula(row, geo.code_of(inputs.text_col),
                         text_code_formula(cell(row, inputs.text_col)), None, "")
        ws.write_formula(row, geo.check, row_check_formula(
            [("実施状況", status_code), ("取組内容", text_code)], has), st.check, "")

    text_code_col = geo.code_of(geo.note)
    for row, is_choice in inputs.text_rows:
        x = cell(row, 1)
        formula = (choice_code_formula(x, OUTLOOKS) if is_choice
                   else text_code_formula(x, remind=True))
        ws.write_formula(row, text_code_col, formula, None, "")
        ws.write_formula(row, geo.check, row_check_formula(
            [("", cell(row, text_code_col))], has), st.check, "")

    # Whether anything is entered: the cells the reader looks at for input (this year's
    # and later actuals, 備考, statuses, texts); then the count of coded cells.
    first_kpi = min(r for _, r in inputs.kpi_rows) if inputs.kpi_rows else 0
    last_kpi = max(r for _, r in inputs.kpi_rows) if inputs.kpi_rows else 0
    ranges = []
    if inputs.kpi_rows:
        open_cols = [c for y, c in inputs.year_cols if year is None or y >= year]
        if open_cols:
            ranges.append(_area(first_kpi, min(open_cols), last_kpi, max(open_cols)))
        ranges.append(_area(first_kpi, geo.note, last_kpi, geo.note))
    if inputs.initiative_rows:
        first, last = min(inputs.initiative_rows), max(inputs.initiative_rows)
        ranges.append(_area(first, inputs.status_col, last, inputs.text_col))
    rows = [r for r, _ in inputs.text_rows]
    if rows:
        ranges.append(_area(min(rows), 1, max(rows), 1))
    counted = "+".join(f"COUNTA({r})" for r in ranges) or "0"
    ws.write_formula(*geo.input_cell, f"=IF({counted}>0,1,0)", None, "")
    every_row = [r for _, r in inputs.kpi_rows] + list(inputs.initiative_rows) + rows
    codes = _area(min(every_row), geo.codes, max(every_row), geo.code_of(geo.note))
    ws.write_formula(*geo.count_cell, f'=IF({has}=1,COUNTIF({codes},">0"),0)', None, "")
    ws.write_formula(*geo.blanks_cell, f'=IF({has}=1,COUNTIF({codes},"<0"),0)', None, "")

    ws.write_string(STATUS_ROW, 0, "提出前チェック", st.label)
    ws.merge_range(STATUS_ROW, 1, STATUS_ROW, inputs.year_cols[0][1] - 1, "", st.status)
    ws.write_formula(STATUS_ROW, 1, status_formula(has, count, blanks), st.status, "")
    mark_status(ws, STATUS_ROW, 1, inputs.year_cols[0][1] - 1, count, has, st)

    if inputs.kpi_rows:
        mark_problems(ws, first_kpi, inputs.year_cols[0][1], last_kpi, geo.note,
                      cell(first_kpi, geo.code_of(inputs.year_cols[0][1])), has, st.problem)
    if inputs.initiative_rows:
        first, last = min(inputs.initiative_rows), max(inputs.initiative_rows)
        mark_problems(ws, first, inputs.status_col, last, inputs.text_col,
                      cell(first, geo.code_of(inputs.status_col)), has, st.problem)
    if rows:
        ref = "$" + col_letter(text_code_col) + str(min(rows) + 1)
        mark_problems(ws, min(rows), 1, max(rows), 1, ref, has, st.problem)

    ws.set_column(geo.check, geo.check, 36)
    ws.set_column(geo.codes, geo.last, 8, None, {"hidden": True})


def _area(first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    return f"{cell(first_row, first_col)}:{cell(last_row, last_col)}"
