"""The data sheets of the standard workbook: one per measure, and the goal-indicator sheet.

Each writer returns the SheetMap of what it wrote, so the positions recorded in the
metadata sheet are the positions actually used, never a second copy of a constant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.numbers import NO_VALUE, decimal_places
from mine_report.plan.model import DIRECTION_LABELS, Kpi, Measure, Plan
from mine_report.workbook.checks import (
    STATUS_ROW,
    CheckColumns,
    MeasureInputs,
    write_measure_checks,
)
from mine_report.workbook.layout import (
    GOALS_SHEET,
    NOT_MEASURED_MARKS,
    OUTLOOKS,
    PLAN_FIELDS,
    STATUSES,
    SheetMap,
)
from mine_report.workbook.styles import (
    GrowingRowsSheet,
    Styles,
    cell,
    col_letter,
    fit_row,
    protect,
    row_height,
    set_print,
)

#: What a department may type in an actual cell instead of a number (checked by Excel and
#: LibreOffice): every mark the reader takes, so that a "-" LibreOffice refused is not
#: one validate accepts; the reader then asks for the reason in 備考 (W308).
VALIDATION_MARKS = NOT_MEASURED_MARKS

# Column plan of the KPI tables (measure sheets and 目標指標): plan columns A–I, then
# one column per plan year, then 備考. The initiative table reuses the same grid.
# The widths are as narrow as their contents allow (令和6年度, 999,999, 百万円), because the
# sheet prints one A3 landscape page wide: every unit of width shrinks the print.
# Long texts (指標名, 備考, 取組内容) wrap instead, in rows that grow with them.
KPI_COLUMNS = (  # (key, header, width)
    ("id", "番号", 10),
    ("name", "指標名", 34),
    ("unit", "単位", 7),
    ("baseline", "基準値", 9),
    ("baseline_year", "基準年度", 10),
    ("target", "目標値", 9),
    ("target_year", "目標年度", 10),
    ("direction", "方向", 5),
    ("cumulative", "累計", 5),
)
YEAR_WIDTH = 10
NOTE_WIDTH = 40
FIRST_YEAR_COL = len(KPI_COLUMNS)  # 0-based column index of the first year (J)


@dataclass(frozen=True)
class YearRules:
    """How the year columns behave: which year is evaluated and what was prefilled."""

    years: tuple[int, ...]
    year: int | None = None
    prefill: Mapping[tuple[str, int], Decimal | str] = field(default_factory=dict)
    #: Prefilled values left editable (template/distribute --unlock-past): the route to
    #: correct a past value, never by editing the plan; validate --previous shows the change.
    unlock_past: bool = False

    def is_later(self, year: int) -> bool:
        return self.year is not None and year > self.year


def actual_validation(kpi: Kpi, first_cell: str) -> dict:
    """Excel data validation for one KPI's actual cells: a number in range, or a not-measured mark."""
    c = first_cell
    conditions = [f"ISNUMBER({c})"]
    if not kpi.allows_negative:
        conditions.append(f"{c}>=0")
    if kpi.is_percent:
        conditions.append(f"{c}<=100")
    marks = ",".join(f'{c}="{m}"' for m in VALIDATION_MARKS)
    formula = f"=OR(AND({','.join(conditions)}),{marks})"
    if kpi.is_percent:
        rule = "0〜100 の数値（% は付けない。40% なら 40）"
    elif kpi.allows_negative:
        rule = "数値"
    else:
        rule = "0 以上の数値"
    unit = "単位なし" if kpi.unit in ("", "－") else f"単位: {kpi.unit}"
    name = kpi.name if len(kpi.name) <= 60 else kpi.name[:59] + "…"
    message = (f"{name}（{unit}）\n{rule}を半角で入力。単位・カンマは不要です。\n"
               f"不明なときは「未把握」と入力し、理由を備考に書いてください。")
    if kpi.cumulative:
        message += "\n累計の指標です。年度末時点の累計値を入力してください。"
    return {
        "validate": "custom",
        "value": formula,
        "ignore_blank": True,
        "input_title": f"{kpi.id} 実績値"[:32],
        "input_message": message[:255],
        "error_title": "入力できない値です"[:32],
        "error_message": (f"{rule}、または「未把握」「集計中」を入力してください。"
                          f"単位やカンマは付けません。")[:255],
        "error_type": "stop",
    }


def list_validation(title: str, choices: Sequence[str], message: str) -> dict:
    return {
        "validate": "list",
        "source": list(choices),
        "input_title": title[:32],
        "input_message": message[:255],
        "error_title": "一覧にない値です",
        "error_message": f"次から選んでください: {'・'.join(choices)}"[:255],
        "error_type": "stop",
    }


def set_kpi_columns(ws: Worksheet, years: Sequence[int]) -> int:
    """Set the column widths of the KPI grid; return the 0-based note column."""
    for col, (_, _, width) in enumerate(KPI_COLUMNS):
        ws.set_column(col, col, width)
    last_year = FIRST_YEAR_COL + len(years) - 1
    ws.set_column(FIRST_YEAR_COL, last_year, YEAR_WIDTH)
    note_col = last_year + 1
    ws.set_column(note_col, note_col, NOTE_WIDTH)
    return note_col


# --- the KPI table ----------------------------------------------------------------------


def write_kpi_table(ws: Worksheet, st: Styles, kpis: Sequence[Kpi], top: int,
                    rules: YearRules, note_col: int,
                    headings: Mapping[str, Sequence[tuple[str, str]]] | None = None,
                    ) -> tuple[int, dict[str, int]]:
    """Write the group header at `top`, the header row below it and one row per KPI.

    `headings` gives, by KPI id, the heading rows (level name, item) written right above
    that KPI: the sub-items of a sheet whose unit is above the deepest level. They carry
    no id of the plan's shape, so the reader passes over them.

    Returns the 1-based header row and the 1-based row of each KPI id.
    """
    years = rules.years
    last_year_col = FIRST_YEAR_COL + len(years) - 1
    if len(years) > 1:
        ws.merge_range(top, FIRST_YEAR_COL, top, last_year_col, "実績値", st.header)
    else:
        ws.write_string(top, FIRST_YEAR_COL, "実績値", st.header)
    header = top + 1
    for col, (_, title, _) in enumerate(KPI_COLUMNS):
        ws.write_string(header, col, title, st.header)
    for i, year in enumerate(years):
        fmt = st.header
        if rules.year == year:
            fmt = st.header_current
        elif rules.is_later(year):
            fmt = st.header_later
        ws.write_string(header, FIRST_YEAR_COL + i, format_fiscal_year(year), fmt)
    ws.write_string(header, note_col, "備考（未把握の理由など）", st.header)
    ws.set_row(header, 30)

    rows: dict[str, int] = {}
    row = header
    for kpi in kpis:
        for label, text in (headings or {}).get(kpi.id, ()):
            row += 1
            write_item_heading(ws, st, row, label, text, note_col)
        row += 1
        rows[kpi.id] = row + 1
        # the plan values in force for the evaluation year (revisions applied)
        write_kpi_row(ws, st, kpi.in_force(rules.year), row, rules, note_col)
    return header + 1, rows


def write_item_heading(ws: Worksheet, st: Styles, row: int, label: str, text: str,
                       note_col: int) -> None:
    """A heading row inside the KPI table: the level's name, then the item's id and title."""
    ws.write_string(row, 0, label, st.label)
    ws.merge_range(row, 1, row, note_col, text, st.label)
    ws.set_row(row, row_height([(text, sum(w for _, _, w in KPI_COLUMNS[1:]))], minimum=20))


def kpi_headings(plan: Plan, measure: Measure) -> dict[str, list[tuple[str, str]]]:
    """The heading rows of a measure's sub-items, by the first KPI under each (a sub-item
    without KPIs has no row to head and shows in the plan's outputs only)."""
    out: dict[str, list[tuple[str, str]]] = {}
    pending: list[tuple[str, str]] = []
    for item in measure.items:
        pending.append((plan.level_name(item), f"{item.id}　{item.title}"))
        if item.kpis:
            out[item.kpis[0].id] = pending
            pending = []
    return out


def write_kpi_row(ws: Worksheet, st: Styles, kpi: Kpi, row: int, rules: YearRules,
                  note_col: int) -> None:
    ws.write_string(row, 0, kpi.id, st.id)
    ws.write_string(row, 1, kpi.name, st.plan_text)
    ws.write_string(row, 2, kpi.unit, st.plan_center)
    if kpi.baseline is None:
        ws.write_string(row, 3, NO_VALUE, st.plan_center)
    else:
        ws.write_number(row, 3, float(kpi.baseline), st.plan_number(decimal_places(kpi.baseline)))
    ws.write_string(row, 4, format_fiscal_year(kpi.baseline_year), st.plan_center)
    ws.write_number(row, 5, float(kpi.target), st.plan_number(decimal_places(kpi.target)))
    ws.write_string(row, 6, format_fiscal_year(kpi.target_year), st.plan_center)
    ws.write_string(row, 7, DIRECTION_LABELS[kpi.direction], st.plan_center)
    ws.write_string(row, 8, "○" if kpi.cumulative else "", st.plan_center)
    for i, year in enumerate(rules.years):
        write_actual_cell(ws, st, kpi, row, FIRST_YEAR_COL + i, year, rules)
    first = cell(row, FIRST_YEAR_COL)
    ws.data_validation(row, FIRST_YEAR_COL, row, FIRST_YEAR_COL + len(rules.years) - 1,
                       actual_validation(kpi, first))
    ws.write_blank(row, note_col, None, st.input_text)
    # A set height: 備考 is a short reason, not a text to grow with (and the headless
    # Calc 7.4 of the tests crashes on input-line entries in rows it fits again).
    ws.set_row(row, row_height([(kpi.name, KPI_COLUMNS[1][2])], minimum=24))


def write_actual_cell(ws: Worksheet, st: Styles, kpi: Kpi, row: int, col: int, year: int,
                      rules: YearRules) -> None:
    """One actual cell: prefilled and locked, greyed and locked, or an input cell."""
    if rules.is_later(year):
        ws.write_blank(row, col, None, st.later_value)
        return
    value = rules.prefill.get((kpi.id, year))
    fmt = st.current_value if rules.year == year else st.input_value
    if isinstance(value, Decimal):
        # A value reported in an earlier round: shown, locked, not to be typed again
        # (unless the planning division unlocked the past to correct it).
        ws.write_number(row, col, float(value), fmt if rules.unlock_past else st.prefilled_value)
        return
    if isinstance(value, str) and value:
        # A not-measured mark stays editable: the figure may have become known since.
        ws.write_string(row, col, value, fmt)
        reason = getattr(value, "reason", "")
        if reason:  # the reason given last time, shown on the cell (a note is never data)
            ws.write_comment(row, col, f"前回の備考: {reason}", {"author": "mine-report"})
    else:
        ws.write_blank(row, col, None, fmt)


# --- sheets -----------------------------------------------------------------------------


def write_title_rows(ws: Worksheet, st: Styles, ident: str, title: str, note_col: int,
                     parents: Sequence[tuple[str, str]] = ()) -> None:
    """Row 1: the sheet's id cell (A1, read back by the reader) and its title; then
    one labelled row per parent level (重点戦略, 戦略方針)."""
    ws.write_string(0, 0, ident, st.id_cell)
    ws.merge_range(0, 1, 0, note_col, title, st.subtitle)
    ws.set_row(0, 24)
    for row, (label, value) in enumerate(parents, start=1):
        ws.write_string(row, 0, label, st.label)
        ws.merge_range(row, 1, row, note_col, value, st.plan_text)


def write_section(ws: Worksheet, st: Styles, row: int, title: str, last_col: int) -> None:
    ws.merge_range(row, 0, row, last_col, title, st.section)
    ws.set_row(row, 20)


def write_measure_sheet(wb: Workbook, st: Styles, plan: Plan, measure: Measure,
                        rules: YearRules) -> SheetMap:
    """One measure sheet named by the measure id; returns where everything is."""
    ws = wb.add_worksheet(measure.id, worksheet_class=GrowingRowsSheet)
    strategy, *middle = plan.ancestors(measure.id)
    note_col = set_kpi_columns(ws, rules.years)
    status_col = note_col - 1
    widths = [w for _, _, w in KPI_COLUMNS] + [YEAR_WIDTH] * len(rules.years) + [NOTE_WIDTH]

    # the levels above the measure, named as the plan names them, on two rows whatever the
    # plan's depth, so every sheet keeps the same layout: the top level, then the level
    # right above the measure led by any others between (a plan of two levels leaves it
    # empty)
    parents = [(plan.strategy_level, f"{strategy.id}　{strategy.title}")]
    if middle:
        parents.append((plan.level_name(middle[-1]),
                        "　＞　".join(f"{p.id}　{p.title}" for p in middle)))
    write_title_rows(ws, st, measure.id, f"{plan.measure_level}　{measure.title}", note_col,
                     parents)
    ws.write_string(3, 0, "内容", st.label)
    ws.merge_range(3, 1, 3, note_col, measure.description, st.plan_text)
    fit_row(ws, 3, merged=[(measure.description, sum(widths[1:]))])

    write_section(ws, st, 5, "重要業績評価指標（KPI）", FIRST_YEAR_COL - 1)
    headings = kpi_headings(plan, measure)
    kpi_header, kpi_rows = write_kpi_table(ws, st, measure.kpis, 5, rules, note_col, headings)

    # The initiative table: id, title, schedule (plan text, merged), status, text.
    top = kpi_header + len(measure.kpis) + sum(map(len, headings.values())) + 1
    write_section(ws, st, top, "具体的な取組", note_col)
    header = top + 1
    ws.write_string(header, 0, "番号", st.header)
    ws.write_string(header, 1, "取組名", st.header)
    span = (f"{format_fiscal_year(plan.period_start)}〜{format_fiscal_year(plan.period_end)}")
    ws.merge_range(header, 2, header, status_col - 1, f"工程（{span}）", st.header)
    ws.write_string(header, status_col, "実施状況", st.header)
    year_label = format_fiscal_year(rules.year) if rules.year else "当該年度"
    ws.write_string(header, note_col, f"取組内容・実績（{year_label}）", st.header)
    ws.set_row(header, 30)
    schedule_width = sum(widths[2:status_col])
    initiative_rows: dict[str, int] = {}
    for n, initiative in enumerate(measure.initiatives):
        row = header + 1 + n
        initiative_rows[initiative.id] = row + 1
        ws.write_string(row, 0, initiative.id, st.id)
        ws.write_string(row, 1, initiative.title, st.plan_text)
        ws.merge_range(row, 2, row, status_col - 1, initiative.schedule, st.plan_text)
        ws.write_blank(row, status_col, None, st.input_choice)
        ws.write_blank(row, note_col, None, st.input_text)
        # room for a few lines of 取組内容; the row grows with a longer one
        fit_row(ws, row, own=[(initiative.title, widths[1])],
                merged=[(initiative.schedule, schedule_width)], minimum=54)
    if measure.initiatives:
        first, last = header + 1, header + len(measure.initiatives)
        ws.data_validation(first, status_col, last, status_col, list_validation(
            "実施状況", STATUSES, "一覧から選んでください（実施済み・実施中・一部実施・未着手・中止）"))

    # The measure's own evaluation texts: label, input cell, hint (never merged inputs).
    top = header + len(measure.initiatives) + 2
    write_section(ws, st, top, "施策の評価（担当課の記入欄）", note_col)
    texts = (
        ("achievements", "取組実績・成果", "今年度に実施した取組の実績と、KPI の動きを含めた成果を記入してください。", 80),
        ("issues", "課題", "目標の達成に向けた課題、KPI が伸びない理由などを記入してください。", 80),
        ("outlook", "今後の方向性", "一覧から選んでください: " + "・".join(OUTLOOKS), 24),
        ("outlook_text", "今後の方向性（内容）", "次年度以降の進め方を具体的に記入してください。", 64),
    )
    cells: dict[str, str] = {}
    text_rows: list[tuple[int, bool]] = []
    for n, (key, label, hint, minimum) in enumerate(texts):
        row = top + 1 + n
        ws.write_string(row, 0, label, st.label)
        fmt = st.input_choice if key == "outlook" else st.input_text
        ws.write_blank(row, 1, None, fmt)
        ws.merge_range(row, 2, row, note_col, hint, st.hint)
        fit_row(ws, row, own=[(label, KPI_COLUMNS[0][2])], minimum=minimum)
        cells[key] = cell(row, 1)
        text_rows.append((row, key == "outlook"))
        if key == "outlook":
            ws.data_validation(row, 1, row, 1, list_validation(
                "今後の方向性", OUTLOOKS, "一覧から選び、内容を下の欄に記入してください。"))

    checks = check_columns(rules.years)
    write_measure_checks(ws, st, checks, MeasureInputs(
        kpi_rows=[(kpi, kpi_rows[kpi.id] - 1) for kpi in measure.kpis],
        year_cols=[(y, FIRST_YEAR_COL + i) for i, y in enumerate(rules.years)],
        initiative_rows=[r - 1 for r in initiative_rows.values()],
        status_col=status_col,
        text_rows=text_rows,
        text_col=note_col,
    ), year=rules.year, header_rows=(kpi_header - 1, header))

    ws.freeze_panes(kpi_header, 1)
    set_print(ws, repeat=(0, 0), paper="A3")  # which measure, on every page
    # The printed sheet is the report as filled; the チェック column is for the screen
    # (and leaving it out keeps the print as large as before).
    ws.print_area(0, 0, max(r for r, _ in text_rows), note_col)
    protect(ws)
    return SheetMap(
        measure_id=measure.id,
        digest=plan.sheet_digest(measure.id),
        sheet=measure.id,
        id_cell="A1",
        kpi_id_col="A",
        kpi_header_row=kpi_header,
        kpi_rows=kpi_rows,
        year_cols=year_cols(rules.years),
        note_col=col_letter(note_col),
        plan_cols=plan_cols(),
        initiative_id_col="A",
        initiative_header_row=header + 1,
        initiative_rows=initiative_rows,
        status_col=col_letter(status_col),
        initiative_text_col=col_letter(note_col),
        achievements_cell=cells["achievements"],
        issues_cell=cells["issues"],
        outlook_cell=cells["outlook"],
        outlook_text_cell=cells["outlook_text"],
        check_col=col_letter(checks.check),
        check_helper_cols=f"{col_letter(checks.codes)}:{col_letter(checks.last)}",
        check_status_cell=cell(STATUS_ROW, 1),
        check_input_cell=cell(*checks.input_cell),
        check_count_cell=cell(*checks.count_cell),
        check_blanks_cell=cell(*checks.blanks_cell),
    )


def check_columns(years: Sequence[int]) -> CheckColumns:
    """Where the live checks of a measure sheet go (the same on every measure sheet)."""
    return CheckColumns(first_year=FIRST_YEAR_COL, years=len(years))


def write_goals_sheet(wb: Workbook, st: Styles, goals: Sequence[Kpi], rules: YearRules,
                      contact: str) -> SheetMap:
    """The 目標指標 sheet: the strategy goal indicators (all of the plan's, or those one
    department owns), filled by the planning division."""
    ws = wb.add_worksheet(GOALS_SHEET, worksheet_class=GrowingRowsSheet)
    note_col = set_kpi_columns(ws, rules.years)
    write_title_rows(ws, st, "goals", "目標指標（基本目標の数値目標）", note_col)
    ws.merge_range(1, 0, 1, note_col,
                   f"このシートは {contact} が統計資料等をもとに記入します。各課での記入は不要です。",
                   st.hint)
    header, rows = write_kpi_table(ws, st, goals, 3, rules, note_col)
    ws.freeze_panes(header, 1)
    set_print(ws, repeat=(header - 2, header - 1), paper="A3")  # the two header rows
    protect(ws)
    return SheetMap(
        measure_id="goals",
        sheet=GOALS_SHEET,
        id_cell="A1",
        kpi_id_col="A",
        kpi_header_row=header,
        kpi_rows=rows,
        year_cols=year_cols(rules.years),
        note_col=col_letter(note_col),
        plan_cols=plan_cols(),
    )


def year_cols(years: Sequence[int]) -> dict[int, str]:
    """Column letter of each year's actual, on a measure sheet and the goals sheet alike."""
    return {y: col_letter(FIRST_YEAR_COL + i) for i, y in enumerate(years)}


def plan_cols() -> dict[str, str]:
    """Column letter of each plan field the reader compares with the plan."""
    keys = [key for key, _, _ in KPI_COLUMNS]
    return {name: col_letter(keys.index(name)) for name in PLAN_FIELDS}
