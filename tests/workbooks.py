"""Test helpers that build real workbooks: blank templates, and templates filled in with
openpyxl the way a department would fill them. Shared by the template, reader and
validation tests; add helpers here rather than copying them into test modules."""

from __future__ import annotations

import copy
import hashlib
import io
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import openpyxl

from mine_report.plan.model import Plan
from mine_report.workbook.layout import WorkbookMeta
from mine_report.workbook.template import write_template
from tools.samples import WorkbookFiller, meta_from_workbook

ROOT = Path(__file__).resolve().parent.parent
COMMITTED_TEMPLATE = ROOT / "input" / "kpi_template.xlsx"
SAMPLES_DIR = ROOT / "examples" / "submissions"


def make_template(folder: Path, plan: Plan, name: str = "kpi_template.xlsx", **options) -> Path:
    """Write a template (write_template options: year, measure_ids, department, prefill,
    sample) into folder; return its path."""
    path = folder / name
    write_template(path, plan, **options)
    return path


#: read_meta's answers by the workbook's SHA-256: openpyxl loads the whole workbook to read
#: _meta, and tests ask for the cells of one file again and again (cell_of per typed value).
_META: dict[bytes, WorkbookMeta] = {}


def read_meta(path: Path) -> WorkbookMeta:
    """The metadata recorded in a workbook's hidden _meta sheet (a copy the caller may change)."""
    data = Path(path).read_bytes()
    key = hashlib.sha256(data).digest()
    if key not in _META:
        wb = openpyxl.load_workbook(io.BytesIO(data))
        try:
            _META[key] = meta_from_workbook(wb)
        finally:
            wb.close()
    return copy.deepcopy(_META[key])


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


# --- returned workbooks for the validation tests (owned by the validator's developer) ---

#: The department workbook the validation tests start from: evaluation year 令和5年度,
#: measures 1-1-1 and 1-1-2 filled in completely, 1-1-3 left blank (not this department's).
FILLED_YEAR = 2023
FILLED_MEASURES = ["1-1-1", "1-1-2", "1-1-3"]
FILLED_VALUES = {
    ("1-1-1-1", 2020): 480, ("1-1-1-1", 2021): 505, ("1-1-1-1", 2022): 512,
    ("1-1-1-1", 2023): 530,
    ("1-1-1-2", 2020): 281000, ("1-1-1-2", 2021): 285500, ("1-1-1-2", 2022): 288000,
    ("1-1-1-2", 2023): 290100,
    ("1-1-2-1", 2020): 12000, ("1-1-2-1", 2021): 30500, ("1-1-2-1", 2022): 71000,
    ("1-1-2-1", 2023): "未把握",
    ("1-1-2-2", 2020): 11, ("1-1-2-2", 2021): 12, ("1-1-2-2", 2022): 12, ("1-1-2-2", 2023): 13,
    ("1-1-2-3", 2020): 10, ("1-1-2-3", 2021): 15.5, ("1-1-2-3", 2022): 20, ("1-1-2-3", 2023): 25,
}
FILLED_NOTES = {"1-1-2-1": "入込客統計の公表が7月のため"}


def make_department_workbook(folder: Path, plan: Plan, name: str = "観光振興課.xlsx") -> Path:
    """FILLED_VALUES typed into a 観光振興課 template, every initiative reported, the
    measure texts and the submitter filled in."""
    from mine_report.workbook.layout import OUTLOOKS, STATUSES

    statuses = {}
    for mid in ("1-1-1", "1-1-2"):
        for n, initiative in enumerate(plan.measure(mid).initiatives):
            statuses[initiative.id] = (STATUSES[n % 3], f"{initiative.title}を実施した。")
    path = make_filled(folder, plan, name, FILLED_VALUES, notes=FILLED_NOTES,
                       statuses=statuses, year=FILLED_YEAR, measure_ids=FILLED_MEASURES,
                       department="観光振興課",
                       submitter={"person": "美祢 太郎", "phone": "0837-52-1111"})
    filler = WorkbookFiller(path)
    for mid in ("1-1-1", "1-1-2"):
        filler.comments(mid, "観光客の回復に向けて事業を実施した。", "人材の確保。", OUTLOOKS[1],
                        "引き続き実施する。")
    filler.save(path)
    return path


def edit_workbook(path: Path, change, target: Path | None = None) -> Path:
    """Open a workbook with openpyxl, let change(wb) alter it as a person would, save it
    (to target when given)."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(target or path)
    wb.close()
    return target or path


def file_state(path: Path) -> tuple[bytes, int]:
    """A file's bytes and modification time, to prove a command left it untouched."""
    return path.read_bytes(), path.stat().st_mtime_ns


def cell_of(path: Path, item_id: str, what: str | int) -> tuple[str, str]:
    """(sheet, cell) of an input cell per the workbook's metadata: what is a year (actual),
    "note", "status", "text" (initiative) or a measure text key such as "achievements"."""
    meta = read_meta(path)
    maps = [*meta.sheets, *([meta.goals] if meta.goals else [])]
    for sm in maps:
        if isinstance(what, int) and item_id in sm.kpi_rows:
            return actual_cell(meta, item_id, what)
        if what == "note" and item_id in sm.kpi_rows:
            return sm.sheet, f"{sm.note_col}{sm.kpi_rows[item_id]}"
        if what in ("status", "text") and item_id in sm.initiative_rows:
            col = sm.status_col if what == "status" else sm.initiative_text_col
            return sm.sheet, f"{col}{sm.initiative_rows[item_id]}"
        if sm.measure_id == item_id and isinstance(what, str) and hasattr(sm, f"{what}_cell"):
            return sm.sheet, getattr(sm, f"{what}_cell")
    raise KeyError((item_id, what))


def run_validate(*args: str):
    """`mine-report validate ARGS` through click's CliRunner; the Result."""
    from click.testing import CliRunner

    from mine_report.cli import cli

    return CliRunner().invoke(cli, ["validate", *args])


def validate_json(*args: str) -> tuple[int, dict]:
    """`mine-report validate --format json ARGS`: (exit code, parsed document); fails the
    test on a traceback."""
    import json

    result = run_validate("--format", "json", *args)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def problems_of(doc: dict, name: str | None = None) -> list[dict]:
    """The problems in a validate JSON document (of the file with this name when given)."""
    return [p for f in doc["files"] if name is None or Path(f["path"]).name == name
            for p in f["problems"]]


def replace_member(path: Path, member: str, change) -> None:
    """Rewrite one part of an xlsx package: change(bytes) -> bytes."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data) if info.filename == member else data)
    path.write_bytes(out.getvalue())


def cfb_bytes(streams: list[str]) -> bytes:
    """A minimal OLE2 compound file (the container of .xls files and of encrypted xlsx)
    holding empty streams with these names."""
    end, free, fat = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[0x18:0x1C] = (0x3E).to_bytes(2, "little") + (3).to_bytes(2, "little")
    header[0x1C:0x22] = b"\xfe\xff" + (9).to_bytes(2, "little") + (6).to_bytes(2, "little")
    header[0x2C:0x34] = (1).to_bytes(4, "little") + (1).to_bytes(4, "little")
    header[0x38:0x48] = (b"".join(v.to_bytes(4, "little") for v in (4096, end, 0, end)))
    header[0x48:0x4C] = (0).to_bytes(4, "little")
    header[0x4C:0x200] = free.to_bytes(4, "little") * 109
    header[0x4C:0x50] = (0).to_bytes(4, "little")
    fat_sector = (fat.to_bytes(4, "little") + end.to_bytes(4, "little")
                  + free.to_bytes(4, "little") * 126)
    entries = b""
    for n, name in enumerate(["Root Entry", *streams]):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        entry = bytearray(128)
        entry[0:len(raw)] = raw
        entry[0x40:0x42] = len(raw).to_bytes(2, "little")
        entry[0x42] = 5 if n == 0 else 2
        entry[0x44:0x50] = free.to_bytes(4, "little") * 3
        if n == 0 and streams:
            entry[0x4C:0x50] = (1).to_bytes(4, "little")
        elif 0 < n < len(streams):
            entry[0x48:0x4C] = (n + 1).to_bytes(4, "little")
        entry[0x74:0x78] = end.to_bytes(4, "little")
        entries += bytes(entry)
    directory = entries.ljust(512, b"\x00")
    return bytes(header) + fat_sector + directory


def insert_rows(ws, row: int, count: int = 1) -> None:
    """Insert rows as Excel does: rows from `row` down move, merged ranges with them
    (openpyxl's insert_rows leaves merged ranges where they were)."""
    ws.insert_rows(row, count)
    for merged in ws.merged_cells.ranges:
        if merged.min_row >= row:
            merged.shift(row_shift=count)


def delete_rows(ws, row: int, count: int = 1) -> None:
    """Delete rows as Excel does: merged ranges in them go, those below move up."""
    for merged in list(ws.merged_cells.ranges):
        if merged.min_row < row + count and merged.max_row >= row:
            ws.merged_cells.remove(merged)
    ws.delete_rows(row, count)
    for merged in ws.merged_cells.ranges:
        if merged.min_row >= row + count:
            merged.shift(row_shift=-count)


def validate_and_build(plan_path: Path, returns: Path, out: Path, *build_options: str):
    """`validate --plan P RETURNS` (which must pass), then `build --plan P` into out; the
    build's Result (for plans other than the shipped one, run end to end)."""
    from click.testing import CliRunner

    from mine_report.cli import cli

    result = CliRunner().invoke(cli, ["validate", "--plan", str(plan_path), str(returns)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["build", "--plan", str(plan_path), "--input", str(returns),
                                      "--output", str(out), *build_options])
    assert result.exit_code == 0, result.output
    return result
