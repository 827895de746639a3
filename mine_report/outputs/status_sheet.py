"""The one-page status sheet (提出状況.xlsx and 提出状況.html) the planning division can
forward to department heads, and the reminder texts for late departments.

Department text is data: written as strings in the xlsx (never a formula) and escaped
in the HTML (rendered through the report's one jinja2 environment, autoescape on).
Everything is written into a staging folder first, then moved into place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from mine_report.common.errors import MineReportError
from mine_report.common.fileio import atomic_path, build_timestamp
from mine_report.common.fiscal import format_date, format_fiscal_year
from mine_report.common.messages import text
from mine_report.common.staging import commit, staging_folder
from mine_report.round.status import (
    STATES,
    RoundStatus,
    correction_line,
    reminder_name,
    reminder_text,
    state_label,
)
from mine_report.workbook.styles import FONT

SHEET_NAME = "提出状況"
XLSX_NAME = "提出状況.xlsx"
HTML_NAME = "提出状況.html"
HTML_TEMPLATE = "status.html"

#: Light fills that stay readable in grey print; the state is always written as words.
STATE_FILLS = {"submitted": "#D9EAD3", "errors": "#F4CCCC", "missing": "#FFF2CC"}


@dataclass(frozen=True)
class SheetRow:
    """One department's line of the status sheet."""

    department: str
    state: str
    label: str
    counts: tuple[int, ...]  # submitted, errors, missing
    pending: str  # the items still owed or to be fixed
    files: str
    late: bool
    late_label: str  # 期限超過 or ""


@dataclass(frozen=True)
class SheetContext:
    """What the status sheet prints (the same for the xlsx and the HTML)."""

    title: str
    subtitle: str  # as of, deadline, contact
    headers: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    totals: tuple[int, ...]
    total_label: str
    notes: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, lines)


def sheet_context(status: RoundStatus) -> SheetContext:
    plan = status.plan
    year = format_fiscal_year(status.year) if status.year else ""
    rows = []
    for d in status.departments:
        c = d.counts
        pending = [f"{state_label(i.state)}: {i.id} {i.title}"
                   + (f"（{text('S040', count=i.errors)}）" if i.errors else "")
                   for i in d.items if i.state != "submitted"]
        rows.append(SheetRow(d.department, d.state, state_label(d.state),
                             tuple(c[s] for s in STATES), "\n".join(pending),
                             "\n".join(d.returned), d.late, text("S041") if d.late else ""))
    totals = tuple(sum(m.state == s for m in [*status.measures, *status.goals]) for s in STATES)
    notes = []
    if status.uncovered:
        notes.append((text("S024", count=len(status.uncovered)), tuple(
            f"{m.id} {m.title}（{m.department or text('S044')}）"
            for m in status.measures if m.state == "missing")))
    if status.follow_ups:
        notes.append((text("S015", count=len(status.follow_ups)), tuple(
            f"{f.kpi} {f.name}（{f.department}）: {f.note}" for f in status.follow_ups)))
    if status.corrections:
        notes.append((text("S016", count=len(status.corrections)),
                      tuple(correction_line(c) for c in status.corrections)))
    if status.history:
        notes.append((text("S025"), tuple(text("S046", **vars(h)) for h in status.history)))
    deadline = text("S051")
    if status.deadline:
        deadline = format_date(status.deadline) + (text("S012") if status.deadline_passed else "")
    contact = " ".join(x for x in (plan.municipality, plan.issuer, status.contact) if x)
    return SheetContext(
        title=text("S045", plan=plan.title, year=year),
        subtitle=text("S050", as_of=format_date(status.today), deadline=deadline,
                      contact=contact),
        headers=tuple(text("S048").split(",")),
        rows=tuple(rows), totals=totals, total_label=text("S049"), notes=tuple(notes))


def write_status_xlsx(path: Path, ctx: SheetContext) -> None:
    """The status sheet as one A4 landscape page (more lines shrink to fit its width)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False,
                                         "default_format_properties": {"font_name": FONT,
                                                                       "font_size": 10}})
    try:
        wb.set_properties({"title": ctx.title, "created": build_timestamp().replace(tzinfo=None)})
        f = wb.add_format
        title = f({"bold": True, "font_size": 13})
        head = f({"bold": True, "bg_color": "#D9D9D9", "border": 1, "align": "center",
                  "valign": "vcenter", "text_wrap": True})
        cell = f({"border": 1, "valign": "top", "text_wrap": True})
        number = f({"border": 1, "valign": "top", "num_format": "0"})
        fills = {s: f({"border": 1, "valign": "top", "bold": True, "bg_color": c})
                 for s, c in STATE_FILLS.items()}
        ws = wb.add_worksheet(SHEET_NAME)
        for col, width in enumerate((18, 10, 9, 9, 9, 60, 28, 9)):
            ws.set_column(col, col, width)
        ws.write_string(0, 0, ctx.title, title)
        ws.write_string(1, 0, ctx.subtitle)
        row = 3
        for col, label in enumerate(ctx.headers):
            ws.write_string(row, col, label, head)
        for r in ctx.rows:
            row += 1
            ws.write_string(row, 0, r.department, cell)
            ws.write_string(row, 1, r.label, fills[r.state])
            for col, count in enumerate(r.counts, 2):
                ws.write_number(row, col, count, number)
            ws.write_string(row, 5, r.pending, cell)
            ws.write_string(row, 6, r.files, cell)
            ws.write_string(row, 7, r.late_label, cell)
            ws.set_row(row, 13.5 * max(1, r.pending.count("\n") + 1, r.files.count("\n") + 1))
        row += 1
        ws.write_string(row, 0, ctx.total_label, head)
        ws.write_string(row, 1, "", head)
        for col, count in enumerate(ctx.totals, 2):
            ws.write_number(row, col, count, number)
        for heading, lines in ctx.notes:
            row += 2
            ws.write_string(row, 0, heading, f({"bold": True}))
            for line in lines:
                row += 1
                ws.write_string(row, 0, line)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 1)
        ws.set_footer("&L&A&R&P / &N")
    finally:
        wb.close()


def status_html(ctx: SheetContext) -> str:
    from mine_report.outputs.report import render_page  # jinja2 and WeasyPrint load only when used

    return render_page(HTML_TEMPLATE, sheet=ctx)


def write_status_sheet(status: RoundStatus, out_dir: Path) -> list[Path]:
    """提出状況.xlsx and 提出状況.html in out_dir (both or neither)."""
    ctx = sheet_context(status)
    try:
        with staging_folder(out_dir, (XLSX_NAME, HTML_NAME)) as staging:
            write_status_xlsx(staging / XLSX_NAME, ctx)
            (staging / HTML_NAME).write_text(status_html(ctx), encoding="utf-8")
            commit(staging, out_dir, [XLSX_NAME, HTML_NAME], ())
        return [out_dir / XLSX_NAME, out_dir / HTML_NAME]
    except OSError as exc:
        raise MineReportError.of("S005", path=out_dir, reason=exc.strerror or exc) from None


def write_reminders(status: RoundStatus, out_dir: Path) -> list[Path]:
    """One reminder text per late department (UTF-8 with BOM, CRLF: what Windows Notepad
    and mail programs open without asking); nothing when nobody is late."""
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for dept in status.late:
            path = out_dir / reminder_name(dept.department)
            body = reminder_text(status, dept).replace("\n", "\r\n")
            with atomic_path(path) as tmp:
                tmp.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
            written.append(path)
    except OSError as exc:
        raise MineReportError.of("S005", path=out_dir, reason=exc.strerror or exc) from None
    return written
