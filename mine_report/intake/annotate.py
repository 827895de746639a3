"""`validate --annotate DIR`: a copy of each workbook with problems, for sending back to
the department: problem cells coloured, a note (comment) on each carrying the message,
and a 「チェック結果」 sheet listing every problem with a link to its cell.

The original file is only read. The copy keeps the metadata sheet, so once corrected it
validates like the original; an earlier チェック結果 sheet is replaced.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.hyperlink import Hyperlink

from mine_report.common.errors import UsageError
from mine_report.common.fileio import atomic_path, build_timestamp, stable_package
from mine_report.intake.checks import SEVERITY_LABELS, FileReport, ValidationReport
from mine_report.intake.files import load_bytes
from mine_report.intake.odsread import OdsPackage
from mine_report.intake.xlsxread import Refused, is_opendocument, open_workbook
from mine_report.plan.model import Problem
from mine_report.workbook.layout import CHECK_SHEET, META_SHEET
from mine_report.workbook.styles import row_height

AUTHOR = "mine-report"
FILLS = {
    "error": PatternFill("solid", fgColor="FFC7CE"),
    "warning": PatternFill("solid", fgColor="FFEB9C"),
}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
COLUMNS = (  # (header, width): one A4 landscape page wide at about 90 %
    ("番号", 5), ("区分", 6), ("コード", 7), ("シート", 12), ("セル", 8), ("KPI", 10),
    ("値", 18), ("内容", 64),
)


def check_out_dir(out_dir: Path, inputs: Sequence[Path]) -> None:
    """Refuse an output folder that holds any input file (a copy must never replace it)."""
    target = os.path.realpath(out_dir)
    for path in inputs:
        if os.path.dirname(os.path.realpath(path)) == target:
            raise UsageError.of("V003", path=out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError.of("V004", path=out_dir, reason="同じ名前のファイルがあります")
    # Checked before any file is read, whether or not a copy turns out to be needed: the
    # nearest existing folder must take a file (/proc, a read-only mount do not).
    existing = Path(os.path.abspath(out_dir))
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError.of("V004", path=out_dir, reason="途中にフォルダーでないものがあります")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise UsageError.of("V004", path=out_dir, reason=exc.strerror or exc) from None


def annotate(report: ValidationReport, out_dir: Path) -> dict[str, Path]:
    """Write an annotated copy of every file with problems into out_dir; return the copy
    of each file (by its path as checked). The copy of an .ods return is an .xlsx
    (see _ods_copy).

    A file that was refused (not xlsx, damaged, encrypted, too large, not ours: any file
    whose report has no submission) gets no copy, and is never handed to openpyxl: a
    refusal is often the very reason openpyxl must not open it (a bomb, a pipe).
    """
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError.of("V004", path=out_dir, reason=exc.strerror or exc) from None
    written: dict[str, Path] = {}
    used: set[str] = set()
    for f in report.files:
        problems = report.problems_of(f)
        if not problems or f.submission is None:
            continue
        data = _annotated_bytes(f, problems)
        if data is None:
            continue
        name = Path(f.path).name
        if is_ods(f.path):  # the copy is an Excel workbook (see _ods_copy)
            name = f"{Path(name).stem}.xlsx"
        target = out_dir / _unique_name(name, used)
        try:
            with atomic_path(target) as tmp:
                tmp.write_bytes(data)
        except OSError as exc:
            raise UsageError.of("V004", path=out_dir, reason=exc.strerror or exc) from None
        written[f.path] = target
    return written


def _unique_name(name: str, used: set[str]) -> str:
    stem, suffix = os.path.splitext(name)
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate = f"{stem}_{n}{suffix}"
        n += 1
    used.add(candidate.lower())
    return candidate


def _annotated_bytes(f: FileReport, problems: list[Problem]) -> bytes | None:
    try:
        original = load_bytes(Path(f.path))
        if is_opendocument(original):
            package = open_workbook(original)
            assert isinstance(package, OdsPackage)
            wb = _ods_copy(package)
        else:
            wb = load_workbook(io.BytesIO(original), keep_vba=f.path.lower().endswith(".xlsm"),
                               rich_text=True)
    except Exception:  # anything openpyxl cannot open simply gets no annotated copy
        return None
    for p in problems:
        _mark_cell(wb, p)
    _write_check_sheet(wb, f, problems)
    if wb.properties.created is None:
        wb.properties.created = build_timestamp().replace(tzinfo=None)
    buffer = io.BytesIO()
    wb.save(buffer)
    return stable_package(buffer.getvalue(), build_timestamp())


def is_ods(path: str) -> bool:
    """Whether a checked file is an OpenDocument spreadsheet (by content, like the reader)."""
    try:
        return is_opendocument(load_bytes(Path(path)))
    except Refused:  # unreadable: no copy is made anyway
        return False


def _ods_copy(package: OdsPackage) -> Workbook:
    """An Excel workbook holding the values of an .ods return, sheet by sheet, cell by
    cell, to carry the marks: openpyxl cannot write OpenDocument, and the department
    opens an .xlsx in LibreOffice as well as in Excel. Formatting, lists and protection
    are not copied; the values read are, every text as text (never a formula), so the
    copy, once corrected, validates like the original."""
    wb = Workbook()
    wb.remove(wb.active)
    for name in package.sheet_names:
        if name in wb.sheetnames:
            continue
        ws = wb.create_sheet(name)
        sheet = package.read_sheet(name)
        for (row, col), value in sorted(sheet.cells.items()):
            cell = ws.cell(row=row, column=col)
            if isinstance(value, (bool, int, float, dt.datetime)):
                cell.value = value
                if (row, col) in sheet.percent:
                    cell.number_format = "0.0%"
            else:
                cell.value = str(value)
                cell.data_type = "s"
            cell.alignment = Alignment(wrap_text=isinstance(value, str) and "\n" in value)
        for ref in sheet.merged:
            ws.merge_cells(ref)
        if name == META_SHEET:
            ws.sheet_state = "hidden"
    return wb


def _mark_cell(wb, p: Problem) -> None:
    if not p.sheet or not p.cell or p.sheet not in wb.sheetnames:
        return
    ws = wb[p.sheet]
    try:
        min_col, min_row, _max_col, _max_row = range_boundaries(p.cell)
    except (ValueError, TypeError):
        return
    cell = ws.cell(row=min_row, column=min_col)
    if isinstance(cell, MergedCell):
        # Notes and fills belong on the top-left cell of the merged range.
        for merged in ws.merged_cells.ranges:
            if cell.coordinate in merged:
                cell = ws.cell(row=merged.min_row, column=merged.min_col)
                break
    if p.is_error or cell.fill != FILLS["error"]:
        cell.fill = FILLS[p.severity]
    note = f"[{p.code} {SEVERITY_LABELS[p.severity]}] {p.message}"
    if cell.comment is not None:
        note = cell.comment.text.rstrip() + "\n\n" + note
    lines = sum(len(part) // 28 + 1 for part in note.split("\n"))
    cell.comment = Comment(note, AUTHOR, height=min(600, 20 + 16 * lines), width=340)


def _write_check_sheet(wb, f: FileReport, problems: list[Problem]) -> None:
    if CHECK_SHEET in wb.sheetnames:
        del wb[CHECK_SHEET]
    ws = wb.create_sheet(CHECK_SHEET, 0)
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    wb.active = 0
    errors = sum(p.is_error for p in problems)
    _put(ws, 1, 1, f"チェック結果: {Path(f.path).name}").font = Font(bold=True, size=13)
    _put(ws, 2, 1, f"エラー {errors} 件・警告 {len(problems) - errors} 件。"
                   "色の付いたセルにメモ (コメント) で内容を書いています。"
                   "修正したら、このシートは残したままで構いません。")
    for col, (header, width) in enumerate(COLUMNS, 1):
        cell = _put(ws, 4, col, header)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        ws.column_dimensions[cell.column_letter].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for n, p in enumerate(problems, 1):
        row = 4 + n
        ws.cell(row=row, column=1, value=n).alignment = wrap
        values = (SEVERITY_LABELS[p.severity], p.code, p.sheet, p.cell, p.kpi, p.value, p.message)
        for col, value in enumerate(values, 2):
            _put(ws, row, col, value).alignment = wrap
        ws.cell(row=row, column=2).fill = FILLS[p.severity]
        # wrapped rows sized to their text, so nothing is cut on screen or on paper
        ws.row_dimensions[row].height = row_height(
            [(p.message, COLUMNS[7][1]), (p.value, COLUMNS[6][1]), (p.sheet, COLUMNS[3][1])])
        if p.sheet and p.cell and p.sheet in wb.sheetnames:
            link = ws.cell(row=row, column=5)
            quoted = p.sheet.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate,
                                       location=f"'{quoted}'!{p.cell.split(':')[0]}")
            link.font = Font(color="0563C1", underline="single")
    ws.freeze_panes = "A5"
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(COLUMNS))
    ws.cell(row=2, column=1).alignment = wrap
    ws.row_dimensions[2].height = 30
    # A4 landscape, one page wide, the header row on every page, page numbers
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.right.text = "&P / &N"


def _put(ws, row: int, col: int, value: str):
    """Write text as text: department text starting with "=" must never become a formula."""
    cell = ws.cell(row=row, column=col)
    if value:
        cell.value = value
        cell.data_type = "s"
    return cell


