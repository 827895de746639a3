"""The standard KPI workbook (`mine-report template`): what every department fills once a year.

Plan values are printed and locked, input cells are unlocked and coloured, every actual
cell carries Excel data validation, and a hidden `_meta` sheet records the layout
(layout.WorkbookMeta) so the reader never guesses positions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.workbook import Workbook

from mine_report.common.errors import MineReportError, UsageError
from mine_report.common.fileio import atomic_path, build_timestamp
from mine_report.common.fiscal import check_plan_year, year_option
from mine_report.plan.model import Kpi, Measure, Plan
from mine_report.workbook.guide import (
    write_check_summary,
    write_guide_sheet,
    write_submitter_sheet,
)
from mine_report.workbook.layout import FORMAT_VERSION, META_SHEET, WorkbookMeta
from mine_report.workbook.sheets import YearRules, write_goals_sheet, write_measure_sheet
from mine_report.workbook.styles import FONT, Styles

#: Earlier rounds' actuals to print (and lock) in a new template: (KPI or goal id, year) →
#: a number, or a not-measured mark such as 未把握. Filled from a returned workbook today,
#: from the merged results (kpi_results.json) later.
PrefillValues = Mapping[tuple[str, int], Decimal | str]

#: The not-measured mark written for an earlier year the department could not measure.
NOT_MEASURED_PREFILL = "未把握"
#: Prefilled for a year reported 集計中: still coming, to be asked for again.
PENDING_PREFILL = "集計中"


class PrefillMark(str):
    """A not-measured mark to prefill (compares and serialises as the mark itself), with
    the reason the department gave for it (備考), which the template shows on the cell as
    a note: carried forward for the clerk to read, never read back as data."""

    reason: str

    def __new__(cls, mark: str, reason: str = "") -> PrefillMark:
        made = super().__new__(cls, mark)
        made.reason = reason
        return made

    def __reduce__(self):  # pickled for the reading processes with its reason
        return (PrefillMark, (str(self), self.reason))
def write_template(path: str | Path, plan: Plan, *, year: int | None = None,
                   measure_ids: Sequence[str] | None = None, department: str = "",
                   prefill: PrefillValues | None = None, sample: bool = False,
                   deadline: dt.date | None = None, contact: str = "",
                   goal_ids: Sequence[str] | None = None, unlock_past: bool = False) -> None:
    """Write the standard workbook for `plan` to `path`, atomically.

    year: the evaluation year (its column highlighted, later years greyed and locked).
    measure_ids: the measure sheets to include, in plan order (None: all).
    department: pre-filled as 担当課 on 提出者情報.
    prefill: earlier years' actuals (only years before `year` are used; requires year).
    sample: mark the workbook as invented sample data.
    deadline, contact: printed on 記入要領 (提出期限; 担当・内線 after the issuer).
    goal_ids: the goal indicators on 目標指標 (None: all; empty: no 目標指標 sheet).
    The same arguments always give the same bytes.
    """
    if year is not None:
        check_plan_year(year, plan.period_start, plan.period_end)
    if prefill and year is None:
        raise UsageError.of("T006")
    measures = select_measures(plan, measure_ids)
    if year is not None and prefill:
        prefill = {key: value for key, value in prefill.items() if key[1] < year}
    rules = YearRules(years=tuple(plan.years), year=year, prefill=prefill or {},
                      unlock_past=unlock_past)

    try:
        _write(Path(path), plan, measures, rules, year=year, department=department,
               sample=sample, deadline=deadline, contact=contact,
               goals=None if goal_ids is None
               else [g for g in plan.goal_indicators if g.id in set(goal_ids)])
    except (OSError, FileCreateError) as exc:
        raise MineReportError.of("T005", path=path, reason=exc.strerror or exc) from None


def _write(path: Path, plan: Plan, measures, rules: YearRules, *, year: int | None,
           department: str, sample: bool, deadline: dt.date | None, contact: str,
           goals: Sequence[Kpi] | None) -> None:
    """goals: the goal indicators to include (None: the plan's, with the sheet even when
    there are none; empty: no 目標指標 sheet)."""
    stamp = build_timestamp()
    with_goals = goals is None or bool(goals)
    goals = plan.goal_indicators if goals is None else goals
    issuer = f"{plan.municipality} {plan.issuer}".strip()
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "default_format_properties": {"font_name": FONT, "font_size": 10},
        })
        try:
            wb.set_properties({
                "title": f"{plan.title} 実績報告シート",
                "subject": "KPI 実績報告" + ("（サンプルデータ・架空の値）" if sample else ""),
                "author": issuer,
                "company": plan.municipality,
                "created": stamp.replace(tzinfo=None),
            })
            st = Styles(wb)
            guide, summary_row = write_guide_sheet(
                wb, st, plan, measures, year=year, sample=sample,
                contact=f"{issuer}　{contact}" if contact else issuer,
                deadline=deadline, goals=with_goals)
            submitter_cells = write_submitter_sheet(wb, st, plan, department=department,
                                                    year=year, sample=sample)
            goal_map = write_goals_sheet(wb, st, goals, rules, issuer) if with_goals else None
            if goal_map is not None:
                goal_map.digest = plan.goals_digest(g.id for g in goals)
            sheets = [write_measure_sheet(wb, st, plan, m, rules) for m in measures]
            write_check_summary(wb, guide, st, summary_row, sheets, measures,
                                department_cell=submitter_cells["department"],
                                department=department, goals=with_goals)
            meta = WorkbookMeta(
                format_version=FORMAT_VERSION,
                plan_title=plan.title,
                plan_digest=plan.digest,
                year=year,
                generated=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                sample=sample,
                department=department,
                submitter_cells=submitter_cells,
                goals=goal_map,
                sheets=sheets,
            )
            write_meta_sheet(wb, meta)
        finally:
            wb.close()


def write_meta_sheet(wb: Workbook, meta: WorkbookMeta) -> None:
    """The hidden, protected key/value sheet the reader relies on (all values as text)."""
    ws = wb.add_worksheet(META_SHEET)
    ws.set_column(0, 0, 18)
    ws.set_column(1, 1, 100)
    for row, (key, value) in enumerate(meta.rows()):
        ws.write_string(row, 0, key)
        ws.write_string(row, 1, value)
    ws.very_hidden()
    ws.protect("")


# --- options ----------------------------------------------------------------------------


def prefill_gaps(measures: Sequence[Measure], prefill: PrefillValues, year: int) -> list[str]:
    """The measures the prefill source has nothing for (no value nor mark of any KPI in a
    year before `year`), when the plan had such years: they are left to type in again,
    and the planning division should know it (a return missing from the source)."""
    known = {kpi_id for kpi_id, y in prefill if y < year}
    return [m.id for m in measures
            if m.kpis and any(k.baseline_year < year - 1 for k in m.kpis)
            and not any(k.id in known for k in m.kpis)]


@dataclass(frozen=True)
class TemplateRequest:
    """The `template` command's options, checked before any file is read."""

    year: int | None
    measure_ids: list[str] | None
    department: str
    unlock_past: bool


def template_request(output: str | Path, plan: Plan, *, year: str | None = None,
                     measures: str | None = None, department: str = "",
                     prefill_path: str | Path | None = None,
                     unlock_past: bool = False) -> TemplateRequest:
    """The options as typed, checked: raises UsageError (exit 2) for bad ones."""
    eval_year = (year_option(year, plan.period_start, plan.period_end)
                 if year is not None else None)
    measure_ids = parse_measure_ids(measures, plan) if measures is not None else None
    if prefill_path is not None:
        if eval_year is None:
            raise UsageError.of("T006")
        if Path(output).resolve() == Path(prefill_path).resolve():
            raise UsageError.of("T009")
    if unlock_past and prefill_path is None:
        raise UsageError.of("T011")
    return TemplateRequest(eval_year, measure_ids, department.strip(), unlock_past)


def make_template(output: str | Path, plan: Plan, request: TemplateRequest,
                  prefill: PrefillValues | None = None,
                  gaps: list[str] | None = None) -> list[Measure]:
    """The `template` command: write the workbook asked for, with last round's values
    (read by the intake, `intake.prefill`) when given; returns the measures written and
    appends to `gaps` the measures the prefill source had nothing for."""
    department = request.department
    # A department's workbook holds only the goal indicators it owns (none: no 目標指標
    # sheet), as distribute makes them; the blank template keeps them all.
    goal_ids = None if not department else [
        g.id for g in plan.goal_indicators if plan.goal_owner(g) == department]
    write_template(output, plan, year=request.year, measure_ids=request.measure_ids,
                   department=department, prefill=prefill, unlock_past=request.unlock_past,
                   goal_ids=goal_ids)
    written = select_measures(plan, request.measure_ids)
    if prefill is not None and request.year is not None and gaps is not None:
        gaps.extend(prefill_gaps(written, prefill, request.year))
    return written


def parse_measure_ids(value: str, plan: Plan) -> list[str]:
    """The --measures option: comma-separated measure ids (full-width commas and spaces too)."""
    ids = [part.strip() for part in value.replace("、", ",").replace("，", ",").split(",")]
    ids = [i for i in ids if i]
    if not ids:
        raise UsageError.of("T003")
    known = {m.id for m in plan.measures}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UsageError.of("T004", ids="、".join(unknown))
    return ids


def select_measures(plan: Plan, measure_ids: Sequence[str] | None) -> list[Measure]:
    """The measures to include, in plan order; every id must be a measure of the plan."""
    if measure_ids is None:
        return plan.measures
    known = {m.id for m in plan.measures}
    unknown = [i for i in measure_ids if i not in known]
    if unknown:
        raise UsageError.of("T004", ids="、".join(unknown))
    wanted = set(measure_ids)
    return [m for m in plan.measures if m.id in wanted]
