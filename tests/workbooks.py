"""Test helpers that build real workbooks: blank templates, and templates filled in with
openpyxl the way a department would fill them. Shared by the template, reader and
validation tests; add helpers here rather than copying them into test modules."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import openpyxl

from mine_report.layout import WorkbookMeta
from mine_report.model import Plan
from mine_report.samples import WorkbookFiller, meta_from_workbook
from mine_report.template import write_template

ROOT = Path(__file__).resolve().parent.parent
COMMITTED_TEMPLATE = ROOT / "input" / "kpi_template.xlsx"
SAMPLES_DIR = ROOT / "examples" / "submissions"


def make_template(folder: Path, plan: Plan, name: str = "kpi_template.xlsx", **options) -> Path:
    """Write a template (write_template options: year, measure_ids, department, prefill,
    sample) into folder; return its path."""
    path = folder / name
    write_template(path, plan, **options)
    return path


def read_meta(path: Path) -> WorkbookMeta:
    """The metadata recorded in a workbook's hidden _meta sheet."""
    wb = openpyxl.load_workbook(path)
    try:
        return meta_from_workbook(wb)
    finally:
        wb.close()


def make_filled(folder: Path, plan: Plan, name: str,
                values: Mapping[tuple[str, int], Decimal | int | float | str], *,
                notes: Mapping[str, str] | None = None,
                statuses: Mapping[str, tuple[str, str]] | None = None,
                submitter: Mapping[str, object] | None = None, **options) -> Path:
    """A template (write_template options) typed into like a department would.

    values: (KPI or goal id, year) → what is typed in the actual cell (a number or text
    such as 未把握 or ５２０); notes: KPI id → 備考; statuses: initiative id → (status, text).
    """
    path = make_template(folder, plan, name, **options)
    filler = WorkbookFiller(path)
    for (kpi_id, year), value in values.items():
        if isinstance(value, Decimal | str):
            filler.actual(kpi_id, year, value)
        else:
            filler.actual(kpi_id, year, Decimal(str(value)))
    for kpi_id, note in (notes or {}).items():
        filler.note(kpi_id, note)
    for initiative_id, (status, text) in (statuses or {}).items():
        filler.initiative(initiative_id, status, text)
    if submitter:
        filler.submitter(**submitter)
    filler.save(path)
    return path


def actual_cell(meta: WorkbookMeta, kpi_id: str, year: int) -> tuple[str, str]:
    """(sheet, A1 cell) of a KPI's (or goal indicator's) actual for a year, per the metadata."""
    maps = [*meta.sheets, *([meta.goals] if meta.goals else [])]
    for sm in maps:
        if kpi_id in sm.kpi_rows:
            return sm.sheet, f"{sm.year_cols[year]}{sm.kpi_rows[kpi_id]}"
    raise KeyError(kpi_id)
