"""Check one returned workbook and make it a Submission, with every problem located to
the cell.

The workbook is recognised by its hidden metadata sheet (layout.WorkbookMeta). What each
sheet holds, and where, is read by sheetread (raw values with their cells, no
judgement); this module judges it: the workbook's structure (which sheet holds which
measure, renamed, copied or foreign sheets), the rows found or missing, and every value
(through values.py), and turns what passes into the domain model. Reading and checking
are apart so that each can change, and be tested, without the other.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.messages import text
from mine_report.common.numbers import written_text
from mine_report.intake.files import load_bytes
from mine_report.intake.sheetread import (
    IdRows,
    KpiRowRead,
    any_below,
    hidden_by_merges,
    id_shape,
    meta_rows,
    moved_cell,
    norm_id,
    read_initiatives,
    read_kpi_table,
    shift,
    stray_rows,
)
from mine_report.intake.values import (
    Finding,
    as_percent,
    looks_like_fraction,
    percent_shown,
    plan_value_matches,
    plan_value_text,
    read_actual,
    read_choice,
    read_text,
    shown,
)
from mine_report.intake.xlsxread import (
    Refused,
    SheetData,
    WorkbookSource,
    cell_ref,
    col_index,
    open_workbook,
)
from mine_report.plan.model import (
    Actual,
    InitiativeReport,
    Kpi,
    Measure,
    MeasureReport,
    Plan,
    Problem,
    Source,
    Submission,
)
from mine_report.workbook.layout import (
    CHECK_SHEET,
    GOALS_ID,
    GOALS_SHEET,
    GUIDE_SHEET,
    META_SHEET,
    OUTLOOKS,
    STATUSES,
    SUBMITTER_SHEET,
    SUPPORTED_VERSIONS,
    SheetMap,
    WorkbookMeta,
)

#: The not-measured mark that means "still being compiled" (Actual.pending).
PENDING_MARK = "集計中"
_SPECIAL_SHEETS = frozenset({META_SHEET, GUIDE_SHEET, SUBMITTER_SHEET, CHECK_SHEET})

PLAN_FIELD_LABELS = {
    "name": "指標名",
    "unit": "単位",
    "baseline": "基準値",
    "baseline_year": "基準年度",
    "target": "目標値",
    "target_year": "目標年度",
}
TEXT_LABELS = {
    "achievements": "取組実績・成果",
    "issues": "課題",
    "outlook": "今後の方向性",
    "outlook_text": "今後の方向性（内容）",
}


@dataclass
class WorkbookRead:
    """Everything read from one file: the submission (None when unusable) and its problems."""

    path: str
    sha256: str
    submission: Submission | None
    problems: list[Problem]
    blank_measures: list[str] = field(default_factory=list)
    department: str = ""
    year: int | None = None


def read_workbook(path: str | Path, plan: Plan) -> tuple[Submission | None, list[Problem]]:
    """Read a returned workbook; never raises for bad input.

    The Submission is None when the file cannot be used at all (not a workbook, not ours,
    another plan). Actual values: a number → Actual(value); a not-measured mark (未把握,
    集計中, －, …) → Actual(value=None, not_measured=True, reason=備考, or the mark itself
    when 備考 is empty); a blank cell → no Actual. A measure sheet with nothing entered is
    left out of Submission.measures (see read_workbook_details().blank_measures).
    """
    result = read_workbook_details(path, plan)
    return result.submission, result.problems


def read_workbook_details(path: str | Path, plan: Plan) -> WorkbookRead:
    """read_workbook with what the validator needs besides: sha256, blank measures, year."""
    name = str(path)
    try:
        data = load_bytes(Path(path))
    except Refused as refused:
        return WorkbookRead(name, "", None, [make_problem(refused.code, name, **refused.values)])
    return read_loaded(name, plan, data, hashlib.sha256(data).hexdigest())


def read_loaded(path: str | Path, plan: Plan, data: bytes, sha256: str) -> WorkbookRead:
    """read_workbook_details of bytes already read and hashed (checks.check_file reads and
    hashes each file once, and needs the hash before reading, to skip exact copies)."""
    name = str(path)
    try:
        return _WorkbookReader(name, sha256, plan, open_workbook(data)).read()
    except Refused as refused:
        problem = make_problem(refused.code, name, **refused.values)
    except Exception:  # one odd file must never stop the others, nor crash the run
        # Python's own text is no message for a department (and may quote the file).
        problem = make_problem("E106", name, reason="読み取り中に想定外の問題が起きました")
    return WorkbookRead(name, sha256, None, [problem])


def make_problem(code: str, file: str, *, sheet: str = "", cell: str = "", kpi: str = "",
                 value: str = "", measure_id: str = "", **values: object) -> Problem:
    """A Problem with its message; `value` (the value found, as shown) also fills {value}.
    `measure_id` is the measure it concerns (Problem.measure_id); a message names it as
    it needs (施策 1-1-1, 目標指標) through its own {measure}."""
    severity = "error" if code.startswith("E") else "warning"
    message = text(code, value=value, kpi=kpi, sheet=sheet, cell=cell, **values)
    return Problem(code, severity, message, file, sheet, cell, kpi, value,
                   {name: str(v) for name, v in values.items()}, measure_id)


class _SheetProblems:
    """Problems found on one sheet, kept apart until we know whether the sheet was used;
    each carries the measure (or GOALS_ID) the sheet holds."""

    def __init__(self, file: str, sheet: str, measure_id: str):
        self.file = file
        self.sheet = sheet
        self.measure_id = measure_id
        self.items: list[Problem] = []

    def add(self, code: str, cell: str = "", kpi: str = "", raw: object = None,
            **values: object) -> None:
        self.items.append(make_problem(code, self.file, sheet=self.sheet, cell=cell, kpi=kpi,
                                       value=shown(raw), measure_id=self.measure_id, **values))

    def findings(self, found: list[Finding] | tuple[Finding, ...], cell: str, kpi: str,
                 raw: object, what: str) -> None:
        for f in found:
            self.add(f.code, cell, kpi, raw, what=what, **f.values)


class _WorkbookReader:
    """Reads one opened package against the plan, collecting problems as it goes."""

    def __init__(self, file: str, sha256: str, plan: Plan, package: WorkbookSource):
        self.package = package
        self.file = file
        self.sha256 = sha256
        self.plan = plan
        self.problems: list[Problem] = []
        self.year: int | None = None
        self.kpi_shape = id_shape(tuple(k.id for k in plan.kpis))
        self.goal_shape = id_shape(tuple(g.id for g in plan.goal_indicators))
        self.initiative_shape = id_shape(tuple(i.id for i in plan.initiatives()))

    def add(self, code: str, **kwargs: object) -> None:
        self.problems.append(make_problem(code, self.file, **kwargs))

    def sheet(self, name: str) -> SheetData:
        """A sheet's cells (the package parses each sheet once and keeps it)."""
        return self.package.read_sheet(name)

    def id_values(self, name: str, refs: list[str]) -> dict[str, object]:
        """The values in these cells of a sheet."""
        sheet = self.sheet(name)
        return {ref: sheet.get(ref) for ref in refs}

    # --- the whole workbook -------------------------------------------------------------

    def read(self) -> WorkbookRead:
        meta = self.read_meta()
        self.year = meta.year
        assigned = self.assign_sheets(meta)
        measures: list[MeasureReport] = []
        blank: list[str] = []
        for smap in meta.sheets:
            sheet_name = assigned.get(smap.measure_id)
            if sheet_name is None:
                blank.append(smap.measure_id)
                continue
            try:
                measure = self.plan.measure(smap.measure_id)
            except KeyError:
                continue
            report = self.read_measure(self.sheet(sheet_name), smap, measure)
            if report is None:
                blank.append(smap.measure_id)
            else:
                measures.append(report)
        submitter = self.read_submitter(meta)
        department = submitter.get("department") or meta.department
        goal_actuals: tuple[Actual, ...] = ()
        if meta.goals is not None and assigned.get(meta.goals.measure_id):
            before = len(self.problems)
            goal_actuals = self.read_goals(assigned[meta.goals.measure_id], meta.goals)
            goal_actuals = self.owned_goals(goal_actuals, department, before)
        if not measures and not goal_actuals:
            self.add("W204")
        elif not department:
            cell = meta.submitter_cells.get("department", "")
            self.add("W203", sheet=SUBMITTER_SHEET, cell=cell)
        submission = Submission(
            path=self.file,
            sha256=self.sha256,
            department=department,
            person=submitter.get("person", ""),
            phone=submitter.get("phone", ""),
            email=submitter.get("email", ""),
            submitted_on=submitter.get("submitted_on", ""),
            year=meta.year,
            sample=meta.sample,
            measures=tuple(measures),
            goal_actuals=goal_actuals,
        )
        return WorkbookRead(self.file, self.sha256, submission, self.problems, blank,
                            department, meta.year)

    def read_meta(self) -> WorkbookMeta:
        if META_SHEET not in self.package.sheet_names:
            raise Refused("E110")
        rows = meta_rows(self.sheet(META_SHEET))
        if not rows:
            raise Refused("E110")
        try:
            meta = WorkbookMeta.from_rows(rows)
        except (KeyError, ValueError, TypeError, AttributeError, RecursionError):
            raise Refused("E111", reason="記録の項目が欠けているか、値が正しくありません") from None
        if meta.format_version not in SUPPORTED_VERSIONS:
            raise Refused("E112", version=meta.format_version,
                          supported="、".join(str(v) for v in SUPPORTED_VERSIONS))
        if meta.plan_digest != self.plan.digest and not self.sheets_still_match(meta):
            raise Refused("E113", plan_title=meta.plan_title or "不明",
                          generated=meta.generated or "不明")
        return meta

    def sheets_still_match(self, meta: WorkbookMeta) -> bool:
        """Whether every sheet of a workbook made from another version of the plan was made
        from what the plan still says for it (its measure, or its goal indicators)."""
        plan = self.plan
        for smap in meta.sheets:
            if (not smap.digest or not isinstance(plan.get(smap.measure_id), Measure)
                    or smap.digest != plan.sheet_digest(smap.measure_id)):
                return False
        if meta.goals is not None:
            goal_ids = list(meta.goals.kpi_rows)
            known = all(isinstance(plan.get(g), Kpi) for g in goal_ids)
            if not (meta.goals.digest and known
                    and meta.goals.digest == plan.goals_digest(goal_ids)):
                return False
        return True

    def assign_sheets(self, meta: WorkbookMeta) -> dict[str, str]:
        """measure id (or "goals") → the sheet that holds it; report renamed, altered,
        duplicated, deleted and unknown sheets."""
        maps = list(meta.sheets) + ([meta.goals] if meta.goals else [])
        known = {m.measure_id for m in maps}
        candidates = [n for n in self.package.sheet_names if n not in _SPECIAL_SHEETS]
        id_cells = sorted({m.id_cell for m in maps})
        found_id: dict[str, str] = {}
        for name in candidates:
            values = self.id_values(name, id_cells)
            for ref in id_cells:
                value = norm_id(values.get(ref))
                if value in known:
                    found_id[name] = value
                    break
        assigned: dict[str, str] = {}
        used: set[str] = set()
        for smap in maps:
            label = GOALS_SHEET if smap.measure_id == GOALS_ID else f"施策 {smap.measure_id}"
            holders = [n for n in candidates if found_id.get(n) == smap.measure_id]
            if smap.sheet in candidates and found_id.get(smap.sheet) == smap.measure_id:
                primary = smap.sheet
            elif smap.sheet in candidates:
                primary = smap.sheet
                raw = self.sheet(primary).get(smap.id_cell)
                self.add("E203", sheet=primary, cell=smap.id_cell, value=shown(raw),
                         measure_id=smap.measure_id,
                         expected=smap.measure_id, found=shown(raw) or "空欄")
            elif holders:
                primary = holders[0]
                self.add("W206", sheet=primary, cell=smap.id_cell, value=primary,
                         measure_id=smap.measure_id, measure=label, expected=smap.sheet)
            else:
                if smap.measure_id != GOALS_ID:
                    self.add("W201", sheet=smap.sheet, measure_id=smap.measure_id, measure=label)
                continue
            assigned[smap.measure_id] = primary
            used.add(primary)
            copies = [h for h in holders if h != primary]
            for copy in copies:
                used.add(copy)
                self.add("E204", sheet=copy, cell=smap.id_cell, value=copy,
                         measure_id=smap.measure_id, measure=label,
                         sheets="」「".join([primary, *copies]))
        for name in candidates:
            if name not in used:
                self.add("W202", sheet=name, value=name)
        return assigned

    def may_have_input(self, name: str, smap: SheetMap) -> bool:
        """Whether any cell where _KpiTable looks for input (this year's and later actuals,
        備考) below the header holds anything; when not, the table has no input for sure."""
        columns = {c for y, c in smap.year_cols.items() if self.year is None or y >= self.year}
        if smap.note_col:
            columns.add(smap.note_col)
        return any_below(self.sheet(name), {col_index(c) for c in columns}, smap.kpi_header_row)

    def read_submitter(self, meta: WorkbookMeta) -> dict[str, str]:
        if SUBMITTER_SHEET not in self.package.sheet_names:
            return {}
        sheet = self.sheet(SUBMITTER_SHEET)
        values: dict[str, str] = {}
        for key, ref in meta.submitter_cells.items():
            try:
                value, _findings = read_text(sheet.get(ref))
            except ValueError:
                continue
            values[key] = value
        return values

    # --- measure and goal sheets --------------------------------------------------------

    def read_measure(self, sheet: SheetData, smap: SheetMap, measure: Measure) -> MeasureReport | None:
        """The measure's report, or None when the department entered nothing on its sheet."""
        out = _SheetProblems(self.file, sheet.title, measure.id)
        table = _KpiTable(self, sheet, smap, measure.kpis, self.kpi_shape, out)
        inputs = set(table.input_cells)
        anchors = list(table.anchors)
        has_input = table.has_input

        # initiatives, found by id
        ids, rows = read_initiatives(sheet, smap, {i.id for i in measure.initiatives},
                                     self.initiative_shape)
        _report_ids(ids, out, smap.initiative_id_col, "E209")
        initiatives: list[InitiativeReport] = []
        for initiative in measure.initiatives:
            found = rows.get(initiative.id)
            if found is None:
                hint = smap.initiative_rows.get(initiative.id)
                out.add("E208", cell=f"{smap.initiative_id_col}{hint}" if hint else "",
                        initiative=initiative.id)
                continue
            anchors.append((smap.initiative_rows.get(initiative.id, found.row), found.row))
            status_raw, text_raw = found.status.raw, found.text.raw
            inputs.update({(found.row, found.status.col), (found.row, found.text.col)})
            has_input = has_input or status_raw is not None or text_raw is not None
            status_cell, text_cell = found.status.ref, found.text.ref
            status, findings = read_choice(status_raw, STATUSES, "E307")
            out.findings(findings, status_cell, "", status_raw, "実施状況")
            body, findings = read_text(text_raw)
            out.findings(findings, text_cell, "", text_raw,
                         f"取組 {initiative.id} の取組内容・実績")
            initiatives.append(InitiativeReport(initiative.id, status, body,
                                                Source(self.file, sheet.title, status_cell)))

        # input typed on a KPI-table row whose id is gone or not this plan's: never dropped
        # silently. The table ends at the initiative table's header.
        if ids.rows:
            end = min(ids.rows.values()) - 1
        else:
            end = smap.initiative_header_row + shift(anchors, smap.initiative_header_row)
        table.check_unmatched(sheet, end if smap.initiative_header_row else None)
        has_input = has_input or table.has_input

        # the measure's own texts, below the tables: follow any rows inserted above them
        texts: dict[str, str] = {}
        for key, label in TEXT_LABELS.items():
            ref = getattr(smap, f"{key}_cell")
            if not ref:
                texts[key] = ""
                continue
            cell = moved_cell(sheet, ref, anchors)
            raw = cell.raw
            inputs.add((cell.row, cell.col))
            has_input = has_input or raw is not None
            if key == "outlook":
                value, findings = read_choice(raw, OUTLOOKS, "E308")
            else:
                value, findings = read_text(raw)
            out.findings(findings, cell.ref, "", raw, label)
            texts[key] = value

        if not has_input:
            return None
        _check_merged(sheet, inputs, out)
        self.problems.extend(out.items)
        return MeasureReport(
            measure_id=measure.id,
            sheet=sheet.title,
            actuals=tuple(table.actuals),
            initiatives=tuple(initiatives),
            achievements=texts["achievements"],
            issues=texts["issues"],
            outlook=texts["outlook"],
            outlook_text=texts["outlook_text"],
            notes=tuple(table.notes),
        )

    def owned_goals(self, actuals: tuple[Actual, ...], department: str,
                    problems_from: int) -> tuple[Actual, ...]:
        """The goal actuals this department owns (plan.goal_owner); the others are left
        out with one W207, and the goal sheet's problems about them dropped: a clerk who
        typed one value on another division's sheet gets one clear message, not six
        未入力 warnings and a conflict with the owner's file. A workbook with no
        department keeps everything (the owner is not known)."""
        name = _department_key(department)
        if not name or not actuals:
            return actuals
        owned = {g.id for g in self.plan.goal_indicators
                 if _department_key(self.plan.goal_owner(g)) == name}
        foreign = [a for a in actuals if a.kpi_id not in owned]
        if not foreign:
            return actuals
        kept = tuple(a for a in actuals if a.kpi_id in owned)
        self.problems[problems_from:] = [p for p in self.problems[problems_from:]
                                         if p.kpi in owned]
        owners = sorted({self.plan.goal_owner(self.plan.get(a.kpi_id)) for a in foreign})
        cells = "、".join(a.source.cell for a in foreign[:5]) + ("…" if len(foreign) > 5 else "")
        self.add("W207", sheet=foreign[0].source.sheet, cell=foreign[0].source.cell,
                 measure_id=GOALS_ID,
                 kpi=foreign[0].kpi_id, department=department, owners="・".join(owners),
                 cells=cells, count=len(foreign))
        return kept

    def read_goals(self, name: str, smap: SheetMap) -> tuple[Actual, ...]:
        if not self.may_have_input(name, smap):
            # Most returns leave the planning division's goal sheet blank: its problems would
            # be dropped below anyway, and reading every row costs as much as the plan is big.
            return ()
        sheet = self.sheet(name)
        out = _SheetProblems(self.file, sheet.title, GOALS_ID)
        kpis = tuple(k for k in self.plan.goal_indicators if k.id in smap.kpi_rows) or tuple(
            self.plan.goal_indicators)
        table = _KpiTable(self, sheet, smap, kpis, self.goal_shape, out)
        table.check_unmatched(sheet, None)
        if not table.has_input:
            return ()
        _check_merged(sheet, set(table.input_cells), out)
        self.problems.extend(out.items)
        return tuple(table.actuals)


class _KpiTable:
    """One KPI table checked by KPI id: actuals, 備考, the input cells and row anchors."""

    def __init__(self, reader: _WorkbookReader, sheet: SheetData, smap: SheetMap,
                 kpis: tuple[Kpi, ...], pattern: re.Pattern, out: _SheetProblems):
        self.actuals: list[Actual] = []
        self.notes: list[tuple[str, str]] = []
        self.input_cells: list[tuple[int, int]] = []
        self.anchors: list[tuple[int, int]] = []
        self.has_input = False
        self.out = out
        self.smap = smap
        self.pattern = pattern
        self.year = reader.year
        self.file = reader.file
        self.title = sheet.title
        read = read_kpi_table(sheet, smap, kpis, pattern)
        _report_ids(read.ids, out, smap.kpi_id_col, "E206")
        self.rows = set(read.ids.rows.values())
        for kpi in kpis:
            found = read.rows.get(kpi.id)
            if found is None:
                hint = smap.kpi_rows.get(kpi.id)
                out.add("E205", cell=f"{smap.kpi_id_col}{hint}" if hint else "", kpi=kpi.id)
                continue
            self.anchors.append((smap.kpi_rows.get(kpi.id, found.row), found.row))
            self.check_row(found)

    def check_row(self, found: KpiRowRead) -> None:
        """One KPI's row: the plan's fields as printed, 備考, each year's actual."""
        kpi, out, year = found.kpi, self.out, self.year
        planned = kpi.in_force(year)  # as the template printed it for this year
        for field_name, cell in found.plan.items():
            if not plan_value_matches(planned, field_name, cell.raw):
                out.add("E211", cell.ref, kpi.id, cell.raw,
                        field=PLAN_FIELD_LABELS.get(field_name, field_name),
                        expected=plan_value_text(planned, field_name),
                        found=shown(cell.raw) or "空欄")
        note_raw = found.note.raw if found.note else None
        note, findings = read_text(note_raw)
        if found.note:
            self.input_cells.append((found.row, found.note.col))
            out.findings(findings, found.note.ref, kpi.id, note_raw, "備考")
        if note:
            self.notes.append((kpi.id, note))
            self.has_input = True
        numbers: dict[int, tuple[Decimal, str, object]] = {}
        blank_current = ""
        for y, cell in found.years.items():
            raw = cell.raw
            ref = cell.ref
            self.input_cells.append((cell.row, cell.col))
            if raw is not None and (year is None or y >= year):
                self.has_input = True
            reading = read_actual(raw, kpi)
            what = f"{format_fiscal_year(y)}の実績値"
            if kpi.is_percent and y in found.percent:
                reading = percent_shown(raw, kpi)
            out.findings(reading.findings, ref, kpi.id, raw, what)
            later = year is not None and y > year
            if reading.state == "blank":
                if y == year:
                    blank_current = ref
                continue
            if later and reading.state in ("number", "invalid"):
                out.add("W304", ref, kpi.id, raw, what=what, year=format_fiscal_year(year))
            source = Source(self.file, self.title, ref)
            if reading.state == "number":
                numbers[y] = (reading.value, ref, raw)
                self.actuals.append(Actual(kpi.id, y, reading.value, source))
            elif reading.state == "not_measured":
                pending = unicodedata.normalize("NFKC", reading.mark).strip() == PENDING_MARK
                self.actuals.append(Actual(kpi.id, y, None, source, not_measured=True,
                                           reason=note or reading.mark, pending=pending))
                if y == year and not note:
                    out.add("W308", ref, kpi.id, raw, what=what)
        if blank_current:
            out.add("W303", blank_current, kpi.id, None,
                    what=f"{format_fiscal_year(year)}の実績値")
        if kpi.is_percent:
            for y, (value, ref, raw) in numbers.items():
                if y in found.percent:
                    continue  # typed with %: what the clerk saw, not ambiguous
                others = [v for other, (v, _, _) in numbers.items() if other != y]
                others += [v for v in (kpi.baseline, kpi.target) if v is not None]
                if looks_like_fraction(value, others):
                    out.add("E310", ref, kpi.id, raw, what=f"{format_fiscal_year(y)}の実績値",
                            percent=written_text(as_percent(value)))

    def check_unmatched(self, sheet: SheetData, end: int | None) -> None:
        """Report (E212) every actual or 備考 typed on a table row (below the header, above
        `end` when given) that no KPI id claims: a row whose id was cleared or mistyped
        into no id at all. Rows shaped like an id were reported already (E206/E207)."""
        id_col = col_index(self.smap.kpi_id_col)
        for row, raw_id, cols in stray_rows(sheet, self.smap, self.rows, end):
            if self.pattern.match(norm_id(raw_id)):
                continue
            cells = "、".join(cell_ref(row, c) for c in sorted(cols))
            self.out.add("E212", cell_ref(row, id_col), "", raw_id, row=row, cells=cells)
            self.has_input = True


def _department_key(name: str) -> str:
    """A department name as compared: width and spaces forgiven."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name or ""))


def _report_ids(ids: IdRows, out: _SheetProblems, id_col: str, unknown_code: str) -> None:
    """The id-shaped cells no expected row claims: duplicates (E207) and ids not expected
    in this table (`unknown_code`), in row order."""
    col = col_index(id_col) if id_col else 0
    for cell in ids.others:
        where = cell_ref(cell.row, col)
        if cell.first is not None:
            out.add("E207", where, cell.ident if unknown_code == "E206" else "", cell.raw,
                    ident=cell.ident, first=cell_ref(cell.first, col))
        else:
            out.add(unknown_code, where, "", cell.raw, ident=cell.ident)


def _check_merged(sheet: SheetData, inputs: set[tuple[int, int]], out: _SheetProblems) -> None:
    """A merged range hides every input cell in it except its top-left cell."""
    for ref, hidden in hidden_by_merges(sheet, inputs):
        cells = "、".join(cell_ref(r, c) for r, c in hidden[:5]) + ("…" if len(hidden) > 5 else "")
        out.add("E210", ref, "", None, range=ref, cells=cells)
