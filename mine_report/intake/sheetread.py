"""Reading a measure or goal sheet: where each KPI, initiative and text is, and what its
cells hold, raw and located, with no judgement.

Split from the checks (reader.py) so that what a department typed, and where, is found
in one place and judged in another: this module never makes a Problem, never decides
whether a value is valid, and never reads the plan beyond the ids it is asked to find.
Sheets are found by the measure id in their id cell, KPI and initiative rows by the id in
their id column; the positions recorded in the workbook's metadata are used only for
columns and as hints, so rows inserted, deleted or reordered by a department are still
read correctly.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from mine_report.intake.xlsxread import SheetData, cell_ref, col_index, split_ref
from mine_report.plan.model import Kpi
from mine_report.workbook.layout import SheetMap


@functools.lru_cache(maxsize=64)
def id_shape(ids: tuple[str, ...]) -> re.Pattern:
    """What an id cell looks like in a plan with these ids: each id with its digit runs
    generalised ("1-2-3" → 1-digits-2-digits…). Taken from the plan's own ids, never from a
    fixed segment count, so a plan numbered 1-1-1 or 1-1-1-1-1 is read like Mine's; a cell
    of this shape that is not an id of the table is a row the department added or renumbered."""
    shapes = sorted({re.sub(r"\d+", lambda _: r"\d+", re.escape(i)) for i in ids})
    return re.compile("^(?:" + "|".join(shapes) + ")$" if shapes else "(?!)")


def norm_id(raw: object) -> str:
    """An id cell's content as comparable text (full-width digits and spaces forgiven)."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw)))


@dataclass(frozen=True)
class CellRead:
    """One cell's raw content and where it is (col 0: the layout has no such column)."""

    row: int
    col: int
    raw: object

    @property
    def ref(self) -> str:
        return cell_ref(self.row, self.col)


@dataclass(frozen=True)
class IdCell:
    """An id-shaped cell no expected row claims: a second row with an id already found
    (`first` is that id's row), or an id this table does not expect (`first` is None)."""

    row: int
    ident: str
    raw: object
    first: int | None = None


@dataclass
class IdRows:
    """The rows of an id column: each expected id's row, and the other id-shaped cells in
    row order."""

    rows: dict[str, int] = field(default_factory=dict)
    others: list[IdCell] = field(default_factory=list)


def find_ids(sheet: SheetData, id_col: int, header_row: int, pattern: re.Pattern,
             expected: set[str]) -> IdRows:
    """The row of each expected id in the id column below header_row, and every other
    cell there shaped like an id (unknown ids, duplicates)."""
    found = IdRows()
    if not id_col:
        return found
    for row, raw in sheet.column(id_col):
        if row <= header_row:
            continue
        ident = norm_id(raw)
        if not pattern.match(ident):
            continue
        if ident in found.rows:
            found.others.append(IdCell(row, ident, raw, found.rows[ident]))
        elif ident in expected:
            found.rows[ident] = row
        else:
            found.others.append(IdCell(row, ident, raw))
    return found


@dataclass(frozen=True)
class KpiRowRead:
    """One KPI's row as found: the plan's fields as printed, 備考, and the actuals by
    fiscal year (`percent`: the year cells shown with a percent format)."""

    kpi: Kpi
    row: int
    plan: dict[str, CellRead]
    note: CellRead | None
    years: dict[int, CellRead]
    percent: frozenset[int]


@dataclass
class KpiTableRead:
    """A KPI table read by KPI id: the id column, and the row of each KPI found."""

    ids: IdRows
    rows: dict[str, KpiRowRead]


def read_kpi_table(sheet: SheetData, smap: SheetMap, kpis: tuple[Kpi, ...],
                   pattern: re.Pattern) -> KpiTableRead:
    id_col = col_index(smap.kpi_id_col)
    note_col = col_index(smap.note_col) if smap.note_col else 0
    year_cols = {y: col_index(c) for y, c in sorted(smap.year_cols.items())}
    plan_cols = {f: col_index(c) for f, c in smap.plan_cols.items()}
    ids = find_ids(sheet, id_col, smap.kpi_header_row, pattern, {k.id for k in kpis})
    rows: dict[str, KpiRowRead] = {}
    for kpi in kpis:
        row = ids.rows.get(kpi.id)
        if row is None:
            continue
        rows[kpi.id] = KpiRowRead(
            kpi, row,
            {f: CellRead(row, col, sheet.at(row, col)) for f, col in plan_cols.items()},
            CellRead(row, note_col, sheet.at(row, note_col)) if note_col else None,
            {y: CellRead(row, col, sheet.at(row, col)) for y, col in year_cols.items()},
            frozenset(y for y, col in year_cols.items() if (row, col) in sheet.percent))
    return KpiTableRead(ids, rows)


@dataclass(frozen=True)
class InitiativeRowRead:
    """One initiative's row as found: its 実施状況 and 取組内容・実績 cells."""

    initiative_id: str
    row: int
    status: CellRead
    text: CellRead


def read_initiatives(sheet: SheetData, smap: SheetMap, expected: set[str],
                     pattern: re.Pattern) -> tuple[IdRows, dict[str, InitiativeRowRead]]:
    """The initiative table read by initiative id."""
    id_col = col_index(smap.initiative_id_col) if smap.initiative_id_col else 0
    status_col = col_index(smap.status_col) if smap.status_col else 0
    text_col = col_index(smap.initiative_text_col) if smap.initiative_text_col else 0
    ids = find_ids(sheet, id_col, smap.initiative_header_row - 1, pattern, expected)
    rows = {
        ident: InitiativeRowRead(
            ident, row,
            CellRead(row, status_col, sheet.at(row, status_col) if status_col else None),
            CellRead(row, text_col, sheet.at(row, text_col) if text_col else None))
        for ident, row in ids.rows.items()}
    return ids, rows


def shift(anchors: list[tuple[int, int]], row: int) -> int:
    """How far rows inserted or deleted above `row` moved it: taken from the nearest id row
    above it (its row as written in the template vs where it is now)."""
    above = [(written, now) for written, now in anchors if written < row]
    if not above:
        return 0
    written, now = max(above)
    return now - written


def moved_cell(sheet: SheetData, ref: str, anchors: list[tuple[int, int]]) -> CellRead:
    """The cell the template put at `ref`, followed down (or up) by the rows inserted
    (or deleted) above it."""
    row, col = split_ref(ref)
    row += shift(anchors, row)
    return CellRead(row, col, sheet.at(row, col))


def stray_rows(sheet: SheetData, smap: SheetMap, claimed: set[int],
               end: int | None) -> list[tuple[int, object, list[int]]]:
    """(row, its id cell's content, the columns) of every actual or 備考 typed on a
    KPI-table row (below the header, above `end` when given) that is not one of the
    `claimed` rows, top to bottom."""
    columns = [col_index(c) for _, c in sorted(smap.year_cols.items())]
    if smap.note_col:
        columns.append(col_index(smap.note_col))
    stray: dict[int, list[int]] = {}
    for col in columns:
        for row, raw in sheet.column(col):
            if (row <= smap.kpi_header_row or (end is not None and row >= end)
                    or row in claimed or raw is None
                    or (isinstance(raw, str) and not raw.strip())):
                continue
            stray.setdefault(row, []).append(col)
    id_col = col_index(smap.kpi_id_col)
    return [(row, sheet.at(row, id_col), cols) for row, cols in sorted(stray.items())]


def meta_rows(sheet: SheetData) -> dict[str, str]:
    """The metadata sheet's records: the label in column A → the text in column B."""
    rows: dict[str, str] = {}
    for (row, col), value in sheet.cells.items():
        if col == 1 and isinstance(value, str):
            rows[value.strip()] = str(sheet.at(row, 2) or "")
    return rows


def any_below(sheet: SheetData, columns: set[int], header_row: int) -> bool:
    """Whether any cell of these columns below the header row holds anything."""
    return any(c in columns and r > header_row for r, c in sheet.cells)


def hidden_by_merges(sheet: SheetData, inputs: set[tuple[int, int]]
                     ) -> list[tuple[str, list[tuple[int, int]]]]:
    """Each merged range that hides input cells (every cell of it but its top-left one
    is hidden), with those cells sorted, in the sheet's order of ranges."""
    from openpyxl.utils.cell import range_boundaries

    hiding = []
    for ref in sheet.merged:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        hidden = sorted((r, c) for r, c in inputs
                        if min_row <= r <= max_row and min_col <= c <= max_col
                        and (r, c) != (min_row, min_col))
        if hidden:
            hiding.append((ref, hidden))
    return hiding
