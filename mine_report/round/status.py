"""`mine-report status`: where the collection round stands, at any moment.

Reads whatever has come back with exactly the checks `validate` runs
(checks.validate_files), then says per measure, goal indicator and department whether
it was returned clean, returned with errors or not returned; which KPIs were left
未把握・集計中 or blank; who is late once the deadline has passed; and, when the
distribution record holds the values the workbooks were prefilled with, which values of
past years departments have since corrected.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from mine_report.common.fiscal import format_date, format_fiscal_year
from mine_report.common.messages import text
from mine_report.common.numbers import json_number
from mine_report.intake import checks
from mine_report.plan.model import Actual, MeasureReport, Plan, Submission
from mine_report.round.collection import Assignment, Manifest, plan_assignments, workbook_name
from mine_report.round.history import BuildRecord, HistoryRow, history_rows
from mine_report.workbook.layout import GOALS_ID

STATES = ("submitted", "errors", "missing")
STATE_CODES = {"submitted": "S020", "errors": "S021", "missing": "S022"}


def state_label(state: str) -> str:
    """提出済み / 誤りあり / 未提出."""
    return text(STATE_CODES[state])


@dataclass
class ItemStatus:
    """One measure (or goal indicator) of the round: who owes it and what came back."""

    id: str
    title: str
    department: str
    state: str = "missing"
    files: list[str] = field(default_factory=list)
    errors: int = 0
    goal: bool = False

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "department": self.department,
                "state": self.state, "files": list(self.files), "errors": self.errors}


@dataclass
class DepartmentStatus:
    """One department: its items' states, the files it returned, whether it is late."""

    department: str
    file: str  # the workbook it was sent
    items: list[ItemStatus]
    returned: list[str] = field(default_factory=list)
    late: bool = False

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(i.state for i in self.items)
        return {s: found[s] for s in STATES}

    @property
    def state(self) -> str:
        counts = self.counts
        return "errors" if counts["errors"] else "missing" if counts["missing"] else "submitted"

    @property
    def missing(self) -> list[ItemStatus]:
        return [i for i in self.items if i.state == "missing"]

    def to_dict(self) -> dict:
        return {"department": self.department, "state": self.state, "counts": self.counts,
                "files": list(self.returned), "sent": self.file,
                "errors": sum(i.errors for i in self.items), "late": self.late,
                "missing": [i.id for i in self.missing]}


@dataclass(frozen=True)
class FollowUp:
    """A KPI of the evaluation year left 未把握・集計中 (or blank): ask again later."""

    kpi: str
    name: str
    department: str
    file: str
    cell: str
    note: str

    def to_dict(self) -> dict:
        return {"kpi": self.kpi, "name": self.name, "department": self.department,
                "file": self.file, "cell": self.cell, "note": self.note}


@dataclass(frozen=True)
class Correction:
    """A value of an earlier year that differs from what the round was prefilled with."""

    kpi: str
    name: str
    year: int
    before: str
    after: str
    department: str
    file: str
    cell: str

    def to_dict(self) -> dict:
        return {"kpi": self.kpi, "name": self.name, "year": self.year, "before": self.before,
                "after": self.after, "department": self.department, "file": self.file,
                "cell": self.cell}


@dataclass
class RoundStatus:
    """Everything `status` shows."""

    plan: Plan
    year: int | None
    today: dt.date
    deadline: dt.date | None
    contact: str
    measures: list[ItemStatus]
    goals: list[ItemStatus]
    departments: list[DepartmentStatus]
    follow_ups: list[FollowUp]
    corrections: list[Correction]
    unattributed: list[str]
    validation: checks.ValidationReport
    history: list[HistoryRow] = field(default_factory=list)
    #: Returned files whose content no build has used yet (new or corrected since).
    not_built: list[str] = field(default_factory=list)

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.today > self.deadline

    @property
    def late(self) -> list[DepartmentStatus]:
        return [d for d in self.departments if d.late]

    @property
    def uncovered(self) -> list[str]:
        return [m.id for m in self.measures if m.state == "missing"]

    def to_dict(self) -> dict:
        """The `status --json` document."""
        return {
            "year": self.year,
            "today": self.today.isoformat(),
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "deadline_passed": self.deadline_passed,
            "measures": [m.to_dict() for m in self.measures],
            "goal_indicators": [g.to_dict() for g in self.goals],
            "departments": [d.to_dict() for d in self.departments],
            "uncovered": self.uncovered,
            "late": [d.department for d in self.late],
            "follow_up": [f.to_dict() for f in self.follow_ups],
            "corrections": [c.to_dict() for c in self.corrections],
            "unattributed_files": list(self.unattributed),
            "history": [vars(h) for h in self.history],
            "not_built": list(self.not_built),
            "summary": {s: sum(m.state == s for m in self.measures) for s in STATES}
                       | {"files": len(self.validation.files),
                          "errors": self.validation.errors,
                          "warnings": self.validation.warnings},
        }


# --- working it out ---------------------------------------------------------------------


def collect_status(plan: Plan, returns_dir: Path, *, manifest: Manifest | None = None,
                   today: dt.date | None = None, history: Sequence[BuildRecord] = (),
                   jobs: int | None = None) -> RoundStatus:
    """The round's state from the files in returns_dir (read with validate's checks).

    manifest: the distribution record (who was sent what, the deadline, the prefilled
    values); without it the plan's 担当課 are used. today: the date lateness is judged on
    (the clock when None; tests pass a date). history: the builds so far.
    """
    today = today or dt.date.today()
    paths = checks.collect_paths([returns_dir], plan)
    report = checks.validate_files(paths, plan, jobs=jobs)
    assignments = manifest.assignments if manifest else plan_assignments(plan)[0]
    year = manifest.year if manifest else _recorded_year(report)
    items: dict[str, ItemStatus] = {}
    for a in assignments:
        for mid in a.measure_ids:
            items[mid] = ItemStatus(mid, plan.measure(mid).title, a.department)
        for gid in a.goal_ids:
            items[gid] = ItemStatus(gid, plan.kpi(gid).name, a.department, goal=True)
    for m in plan.measures:  # measures no department was sent
        items.setdefault(m.id, ItemStatus(m.id, m.title, m.department))
    for g in plan.goal_indicators:
        items.setdefault(g.id, ItemStatus(g.id, g.name, plan.goal_owner(g), goal=True))

    known = {a.department for a in assignments}
    returned: dict[str, list[str]] = {}
    unattributed: list[str] = []
    follow_ups: list[FollowUp] = []
    corrections: list[Correction] = []
    clean: dict[str, bool] = {}
    for f in report.files:
        if f.duplicate_of:
            continue
        name = Path(f.path).name
        errors = [p for p in report.problems_of(f) if p.is_error]
        covered, error_counts = _coverage(f, errors, plan, year, assignments)
        department = (f.submission.department if f.submission else "") or f.department \
            or _department_by_name(name, assignments)
        if department in known:
            returned.setdefault(department, []).append(name)
        elif department or not covered:  # a department the round does not know, or nobody
            unattributed.append(name)
        for item_id in covered:
            item = items[item_id]
            item.files.append(name)
            item.errors += error_counts.get(item_id, 0)
            ok = not error_counts.get(item_id)
            clean[item_id] = clean.get(item_id, True) and ok
        if f.submission is not None:
            follow_ups += _follow_ups(f, plan, year)
            if manifest and manifest.prefill and year is not None:
                corrections += _corrections(f.submission, manifest.prefill, plan, year)
    for item_id, ok in clean.items():
        items[item_id].state = "submitted" if ok else "errors"

    deadline = manifest.deadline if manifest else None
    passed = deadline is not None and today > deadline
    departments = []
    for a in assignments:
        own = [items[i] for i in (*a.measure_ids, *a.goal_ids)]
        dept = DepartmentStatus(a.department, a.file, own, returned.get(a.department, []))
        dept.late = passed and bool(dept.missing)
        departments.append(dept)
    status = RoundStatus(
        plan=plan, year=year, today=today, deadline=deadline,
        contact=manifest.contact if manifest else "",
        measures=[items[m.id] for m in plan.measures],
        goals=[items[g.id] for g in plan.goal_indicators],
        departments=departments, follow_ups=follow_ups, corrections=corrections,
        unattributed=unattributed, validation=report)
    if history and year is not None:
        status.history = history_rows(history, year)
        built = {f.sha256 for f in history[-1].files} if history[-1].year == year else set()
        status.not_built = [Path(f.path).name for f in report.files
                            if f.sha256 and not f.duplicate_of and f.sha256 not in built]
    return status


def _recorded_year(report: checks.ValidationReport) -> int | None:
    """The evaluation year most returned workbooks record (None when none does)."""
    years = Counter(f.year for f in report.files if f.year is not None)
    return years.most_common(1)[0][0] if years else None


def _department_by_name(name: str, assignments: Sequence[Assignment]) -> str:
    """The department whose workbook a returned file's name carries (観光振興課_修正.xlsx)."""
    stem = Path(name).stem
    for a in sorted(assignments, key=lambda a: -len(a.department)):
        if Path(workbook_name(a.department)).stem in stem:
            return a.department
    return ""


def _has_entries(report: MeasureReport, year: int | None) -> bool:
    """Whether a department wrote anything for this round (prefilled earlier years alone
    do not count: a workbook sent back untouched has not reported the measure)."""
    if year is None:
        return True
    return (any(a.year == year and (a.value is not None or a.not_measured) for a in report.actuals)
            or any(i.status or i.text for i in report.initiatives)
            or any((report.achievements, report.issues, report.outlook, report.outlook_text)))


def _coverage(f: checks.FileReport, errors, plan: Plan, year: int | None,
              assignments: Sequence[Assignment]) -> tuple[list[str], dict[str, int]]:
    """The measures and goal indicators a returned file reports, and the errors on each.

    An error on a measure (Problem.measure_id) counts for that measure, one elsewhere in the file (or
    an unreadable file) for everything the file holds. An unreadable file is matched to
    the department whose workbook its name carries.
    """
    measure_ids = {m.id for m in plan.measures}
    sub = f.submission
    if sub is None:
        dept = _department_by_name(Path(f.path).name, assignments)
        owed = [i for a in assignments if a.department == dept
                for i in (*a.measure_ids, *a.goal_ids)]
        return owed, {i: len(errors) for i in owed}
    concerned = {p.measure_id for p in errors}  # the part each error concerns
    covered = [r.measure_id for r in sub.measures if _has_entries(r, year)]
    covered += sorted((concerned & measure_ids) - set(covered))
    goal_ids = [g.id for g in plan.goal_indicators]
    filled = {a.kpi_id for a in sub.goal_actuals
              if year is None or (a.year == year and (a.value is not None or a.not_measured))}
    if GOALS_ID in concerned:
        filled |= {a.kpi_id for a in sub.goal_actuals}
    covered += [g for g in goal_ids if g in filled]
    whole_file = [p for p in errors if not p.measure_id]
    counts = {}
    for item_id in covered:
        part = item_id if item_id in measure_ids else GOALS_ID
        own = sum(p.measure_id == part for p in errors)
        if own + len(whole_file):
            counts[item_id] = own + len(whole_file)
    return covered, counts


def _follow_ups(f: checks.FileReport, plan: Plan, year: int | None) -> list[FollowUp]:
    """KPIs of the evaluation year marked not measured, or left blank (W303)."""
    if year is None or f.submission is None:
        return []
    sub = f.submission
    name = Path(f.path).name
    found = []
    actuals: list[Actual] = [a for r in sub.measures for a in r.actuals]
    for a in [*actuals, *sub.goal_actuals]:
        if a.year == year and a.not_measured:
            found.append(FollowUp(a.kpi_id, plan.kpi(a.kpi_id).name, sub.department, name,
                                  f"{a.source.sheet}!{a.source.cell}", a.reason))
    for p in f.problems:
        if p.code == "W303" and p.kpi and plan.get(p.kpi) is not None:
            found.append(FollowUp(p.kpi, plan.kpi(p.kpi).name, sub.department, name,
                                  f"{p.sheet}!{p.cell}", text("S043")))
    return found


def _shown(value: Decimal | str | None) -> str:
    if value is None:
        return ""
    return str(value) if isinstance(value, str) else str(json_number(value))


def _corrections(sub: Submission, prefill, plan: Plan, year: int) -> list[Correction]:
    """Earlier years' values that differ from those the round was prefilled with."""
    found = []
    actuals = [a for r in sub.measures for a in r.actuals]
    for a in [*actuals, *sub.goal_actuals]:
        if a.year >= year:
            continue
        before = prefill.get((a.kpi_id, a.year))
        after: Decimal | str | None = a.value if a.value is not None else (
            "未把握" if a.not_measured else None)
        if after is None or before == after:
            continue
        if isinstance(before, Decimal) and isinstance(after, Decimal) and before == after:
            continue
        found.append(Correction(a.kpi_id, plan.kpi(a.kpi_id).name, a.year, _shown(before),
                                _shown(after), sub.department, sub.name,
                                f"{a.source.sheet}!{a.source.cell}"))
    return found


# --- what people read -------------------------------------------------------------------


def status_text(status: RoundStatus) -> str:
    """The terminal summary: totals, each department, then what needs doing."""
    counts = {s: sum(m.state == s for m in status.measures) for s in STATES}
    lines = [text("S010", year=format_fiscal_year(status.year) if status.year else "",
                  today=format_date(status.today), total=len(status.measures), **counts)]
    if status.deadline:
        lines.append(text("S011", deadline=format_date(status.deadline),
                          passed=text("S012") if status.deadline_passed else ""))
    lines.append("")
    for d in status.departments:
        c = d.counts
        detail = "、".join(f"{state_label(s)} {c[s]}" for s in STATES if c[s])
        mark = f"　★{text('S041')}" if d.late else ""
        lines.append(f"{state_label(d.state)}\t{d.department}（{detail}）{mark}")
        for item in d.items:
            if item.state != "submitted":
                extra = (f"　{text('S040', count=item.errors)}（{'、'.join(item.files)}）"
                         if item.errors else "")
                lines.append(f"\t\t{state_label(item.state)}: {item.id} {item.title}{extra}")
    lines.append("")
    if status.late:
        lines.append(text("S013", departments="、".join(d.department for d in status.late)))
    if status.uncovered:
        lines.append(text("S014", measures="、".join(status.uncovered)))
    if status.follow_ups:
        lines.append(text("S015", count=len(status.follow_ups)))
        lines += [f"\t{f.kpi} {f.name}（{f.department}、{f.file} {f.cell}）: {f.note}"
                  for f in status.follow_ups]
    if status.corrections:
        lines.append(text("S016", count=len(status.corrections)))
        lines += ["\t" + correction_line(c) for c in status.corrections]
    if status.unattributed:
        lines.append(text("S017", files="、".join(status.unattributed)))
    if status.history:
        lines.append(text("S025"))
        lines += ["\t" + text("S046", **vars(h)) for h in status.history]
    if status.not_built:
        lines.append(text("S026", files="、".join(status.not_built)))
    return "\n".join(lines).rstrip("\n") + "\n"


def correction_line(c: Correction) -> str:
    return text("S047", kpi=c.kpi, name=c.name, year=format_fiscal_year(c.year),
                before=c.before or text("S042"), after=c.after, department=c.department,
                file=c.file, cell=c.cell)


def reminder_text(status: RoundStatus, dept: DepartmentStatus) -> str:
    """The polite reminder for one late department, ready to paste into an e-mail."""
    plan = status.plan
    issuer = f"{plan.municipality} {plan.issuer}".strip()
    items = "\n".join(text("S032" if i.goal else "S031", id=i.id, title=i.title)
                      for i in dept.missing)
    return text("S030", department=dept.department, issuer=issuer, title=plan.title,
                year=format_fiscal_year(status.year) if status.year else "",
                deadline=format_date(status.deadline) if status.deadline else "",
                items=items, file=dept.file,
                contact=f"{issuer}　{status.contact}" if status.contact else issuer)


def reminder_name(department: str) -> str:
    return Path(workbook_name(department)).stem + "_督促.txt"
