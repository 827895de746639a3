"""Validate returned workbooks (`mine-report validate`): which files, each file's problems,
the problems that only show across files, and the report people read.

Per file the work is `check_file`, a top-level function of picklable arguments, so a
process pool can run it later without changes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from mine_report.common import parallel
from mine_report.common.errors import MineReportError, UsageError
from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.messages import text
from mine_report.common.safetext import visible
from mine_report.intake.files import load_bytes, os_reason
from mine_report.intake.previous import DEFAULT_JUMP_FACTOR, changed_past_values, implausible_values
from mine_report.intake.reader import (
    WorkbookRead,
    make_problem,
    read_loaded,
)
from mine_report.intake.values import shown
from mine_report.intake.xlsxread import Refused
from mine_report.plan.model import Actual, MeasureReport, Plan, Problem, Submission
from mine_report.plan.versions import older_versions
from mine_report.workbook.layout import GOALS_ID, GOALS_SHEET
from mine_report.workbook.template import PrefillValues

#: What a folder is searched for (explicitly named files are checked whatever their name).
#: What a folder's returns may be saved as: workbooks read (xlsx, xlsm, ods), and the
#: formats a department may save by mistake (xls, csv, numbers), picked up to be reported
#: with what to do, never dropped in silence.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".csv", ".numbers")
SEVERITY_LABELS = {"error": "エラー", "warning": "警告"}


@dataclass
class FileReport:
    """One input file: its identity, what was read (None when unusable) and its problems."""

    path: str
    sha256: str
    department: str
    submission: Submission | None
    problems: list[Problem]
    blank_measures: list[str] = field(default_factory=list)
    year: int | None = None
    duplicate_of: str = ""
    #: The file is the blank standard workbook (see is_blank_template).
    blank_template: bool = False


@dataclass
class ValidationReport:
    """Every file's report, plus the problems found across files (attached to the later file)."""

    files: list[FileReport]
    cross_problems: list[Problem] = field(default_factory=list)
    strict: bool = False
    #: Files of the folders given that were not checked, and why (collect_paths).
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def all_problems(self) -> list[Problem]:
        return [p for f in self.files for p in f.problems] + list(self.cross_problems)

    @property
    def errors(self) -> int:
        return sum(p.is_error for p in self.all_problems())

    @property
    def warnings(self) -> int:
        return sum(not p.is_error for p in self.all_problems())

    def problems_of(self, report: FileReport) -> list[Problem]:
        """A file's own problems followed by the cross-file problems attached to it."""
        return report.problems + [p for p in self.cross_problems if p.file == report.path]

    def usable(self) -> tuple[list[Submission], list[tuple[str, str]]]:
        """The one definition of what may be merged: every file that could be read, each
        once (an exact copy is not read at all), without the parts that have errors, and
        what was left out and why ((what, reason), B010–B014) for the report.

        A problem's measure_id says which part it concerns: an error on a measure drops
        that measure, on the goal-indicator sheet the goal values, anywhere else (the
        submitter sheet, the file itself, an older version E402) the whole file; a measure
        filled differently in two files (E401) is left out of both. A build without
        --draft stops on any error first, so there every submission is used whole."""
        conflicted = {p.measure_id for p in self.cross_problems
                      if p.is_error and p.measure_id and p.measure_id != GOALS_ID}
        left_out: list[tuple[str, str]] = [
            (f"施策 {mid}", text("B010", measure=mid)) for mid in sorted(conflicted)]
        usable: list[Submission] = []
        for f in self.files:
            # a cross-file error on no measure (an older version, E402) concerns the whole file
            errors = [p for p in self.problems_of(f) if p.is_error
                      and (p in f.problems or not p.measure_id)]
            sub = f.submission
            name = Path(f.path).name
            if sub is None:
                if errors:
                    left_out.append((name, text("B011", reason=errors[0].message)))
                continue
            if any(not p.measure_id for p in errors):
                left_out.append((name, text("B012", count=len(errors))))
                continue
            bad = {p.measure_id for p in errors}
            for mid in sorted(bad - {GOALS_ID}):
                left_out.append((f"{name} 施策 {mid}",
                                 text("B013", count=sum(p.measure_id == mid for p in errors))))
            goals = sub.goal_actuals
            if GOALS_ID in bad:
                left_out.append((f"{name} {GOALS_SHEET}", text("B014")))
                goals = ()
            drop = bad | conflicted
            usable.append(dataclasses.replace(
                sub, measures=tuple(m for m in sub.measures if m.measure_id not in drop),
                goal_actuals=goals))
        return usable, left_out

    def to_dict(self) -> dict:
        """The `validate --format json` document."""
        return {
            "files": [
                {
                    "path": f.path,
                    "sha256": f.sha256,
                    "department": f.department,
                    "blank_measures": list(f.blank_measures),
                    "problems": [p.to_dict() for p in self.problems_of(f)],
                }
                for f in self.files
            ],
            "skipped": [{"path": path, "reason": reason} for path, reason in self.skipped],
            "summary": {"files": len(self.files), "errors": self.errors,
                        "warnings": self.warnings},
        }


# --- which files ------------------------------------------------------------------------


class InputFiles(list):
    """collect_paths's answer: the files to check, in order (a list of Path, as before),
    with what validate_files needs to finish the job without reading a file twice: which
    files were found in a folder (a blank template there is left out, one named is
    checked) and the caller's list of files left out, which it completes."""

    def __init__(self, paths: Sequence[Path], in_folders: AbstractSet[str],
                 skipped: list[tuple[str, str]] | None):
        super().__init__(paths)
        self.in_folders = frozenset(in_folders)
        self.skipped = skipped


def collect_paths(paths: Sequence[str | Path], plan: Plan,
                  skipped: list[tuple[str, str]] | None = None) -> InputFiles:
    """The files to check, sorted: files named explicitly (whatever their suffix), and in
    folders (not their subfolders) every file named as in WORKBOOK_SUFFIXES, leaving out
    lock files (Excel's ~$…, LibreOffice's .~lock…#) and hidden files. What a folder holds
    and is not checked is appended to `skipped` as (path, reason), for the planning
    division to see that nothing was dropped in silence.

    Nothing is read here: the blank template found in a folder is recognised by its
    content when validate_files reads it (our workbook for this plan with no department
    recorded, the submitter cells empty and nothing entered on any sheet), and then moved
    to `skipped`. Raises UsageError when a path does not exist.
    """
    found: dict[str, Path] = {}
    in_folders: set[str] = set()
    left_out: list[tuple[str, str]] = []
    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path):  # a broken link or a link loop is reported per file
            raise UsageError.of("V001", path=path)
        if not path.is_dir():
            found.setdefault(os.path.realpath(path), path)
            continue
        try:
            children = sorted(path.iterdir())
        except OSError as exc:
            raise UsageError.of("V006", path=path, reason=os_reason(exc)) from None
        for child in children:
            reason = _skip_reason(child)
            if reason:
                left_out.append((str(child), reason))
                continue
            # Anything else with a workbook's name (a folder, a pipe, a link to a device or
            # to nowhere) is kept, to be reported with its own code by check_file.
            if found.setdefault(os.path.realpath(child), child) is child:
                in_folders.add(str(child))
    if skipped is not None:
        skipped.extend(left_out)
    return InputFiles(sorted(found.values(), key=str), in_folders, skipped)


def _skip_reason(child: Path) -> str:
    """Why a folder's entry is not checked, from its name alone ("" when it is)."""
    name = child.name
    if name.startswith("~$") or (name.startswith(".~lock.") and name.endswith("#")):
        return text("V020")
    if name.startswith("."):
        return text("V021")
    if not name.lower().endswith(WORKBOOK_SUFFIXES):
        return text("V022") if child.is_dir() else text("V023")
    return ""


def is_blank_template(result: WorkbookRead) -> bool:
    """Whether what was read is the blank standard workbook of this plan: our workbook with
    no department recorded, the submitter cells empty and nothing entered on any sheet."""
    sub = result.submission
    return (sub is not None and not sub.measures and not sub.goal_actuals
            and not sub.department and not (sub.person or sub.phone or sub.email
                                            or sub.submitted_on))


# --- validating -------------------------------------------------------------------------


def check_file(path: str, plan: Plan, known_sha256: AbstractSet[str] = frozenset()) -> FileReport:
    """Read and check one file: its bytes are read once and hashed once. A file whose
    sha256 is in known_sha256 is not parsed again (the caller reports it as a copy)."""
    try:
        data = load_bytes(Path(path))
    except Refused as refused:
        return FileReport(path, "", "", None, [make_problem(refused.code, path, **refused.values)])
    digest = hashlib.sha256(data).hexdigest()
    if digest in known_sha256:
        return FileReport(path, digest, "", None, [], duplicate_of="?")
    result: WorkbookRead = read_loaded(path, plan, data, digest)
    return FileReport(path, result.sha256, result.department, result.submission,
                      result.problems, result.blank_measures, result.year,
                      blank_template=is_blank_template(result))


#: Fewer files than this are read in this process: a pool would cost more than it saves.
PARALLEL_MIN_FILES = 4
#: Nor, unless more processes are asked for (--jobs), fewer bytes than this: one process
#: reads about 5 MB a second, and starting a pool and sending the submissions back cost
#: more than it saves below a few tenths of a second (the ten samples, 0.46 MB, took
#: 0.11 s on a pool of two against 0.085 s here).
PARALLEL_MIN_BYTES = 2 * 1024 * 1024
_worker_plan: Plan | None = None


def _set_worker_plan(plan: Plan) -> None:
    global _worker_plan
    _worker_plan = plan


def _check_in_worker(path: str) -> FileReport:
    assert _worker_plan is not None
    return check_file(path, _worker_plan)


def _total_bytes(paths: Sequence[Path]) -> int:
    """The sizes the file system reports (0 for what cannot be looked at: check_file
    reports it)."""
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.stat(path).st_size
    return total


def _reports(paths: Sequence[Path], plan: Plan, jobs: int | None):
    """Each file's FileReport, in order: read on a process pool when there are enough
    files and more than one core, else here (skipping the parse of exact copies)."""
    if (len(paths) < PARALLEL_MIN_FILES or jobs == 1
            or (jobs is None and _total_bytes(paths) < PARALLEL_MIN_BYTES)):
        seen: set[str] = set()
        for path in paths:
            report = check_file(str(path), plan, seen)
            seen.add(report.sha256)
            yield report
        return
    try:
        with parallel.executor(jobs, len(paths), _set_worker_plan, (plan,)) as pool:
            # Chunks of a few files: fewer round trips, still even across the cores.
            workers = jobs or parallel.default_jobs()
            chunk = max(1, min(16, len(paths) // (4 * workers)))
            yield from pool.map(_check_in_worker, [str(p) for p in paths], chunksize=chunk)
    except BrokenProcessPool:
        raise MineReportError.of("V005") from None


def validate_files(paths: Sequence[Path], plan: Plan, *, strict: bool = False,
                   progress: Callable[[int, int], None] | None = None,
                   jobs: int | None = None, previous: PrefillValues | None = None,
                   jump_factor: Decimal = DEFAULT_JUMP_FACTOR) -> ValidationReport:
    """Check every file and the files against each other; collect every problem.

    strict: warnings are reported as errors (severity "error"), so they fail the run.
    progress(done, total) is called after each file. jobs: processes reading the files
    (None: every core); the result is the same for any number. previous: the previous
    round's values, to report past values changed (W501); jump_factor: see previous.py.
    """
    files: list[FileReport] = []
    first_of: dict[str, FileReport] = {}
    total = len(paths)
    in_folders = getattr(paths, "in_folders", frozenset())
    skipped: list[tuple[str, str]] = []
    for done, report in enumerate(_reports(paths, plan, jobs), 1):
        if progress is not None:
            progress(done, total)
        if report.blank_template and report.path in in_folders:
            skipped.append((report.path, text("V024")))
            continue
        if report.sha256 in first_of:  # an exact copy of an earlier file
            original = first_of[report.sha256]
            report = FileReport(report.path, report.sha256, original.department, None,
                                [make_problem("W402", report.path, other=Path(original.path).name)],
                                duplicate_of=original.path)
        elif report.sha256:
            first_of[report.sha256] = report
        files.append(report)
    for f in files:
        if f.submission is not None:
            known = previous or {}
            f.problems += changed_past_values(f.submission, known, make_problem)
            f.problems += implausible_values(f.submission, plan, known, jump_factor,
                                             make_problem)
    cross = cross_file_problems(files)
    left_out = getattr(paths, "skipped", None)
    if left_out is None:
        left_out = skipped
    else:  # the caller's list, completed in place (see InputFiles)
        left_out.extend(skipped)
        left_out.sort(key=lambda item: item[0])
    report = ValidationReport(files, cross, strict, left_out)
    if strict:
        for f in report.files:
            f.problems = [_as_error(p) for p in f.problems]
        report.cross_problems = [_as_error(p) for p in report.cross_problems]
    return report


def _as_error(problem: Problem) -> Problem:
    return problem if problem.is_error else dataclasses.replace(problem, severity="error")


def cross_file_problems(files: Sequence[FileReport]) -> list[Problem]:
    """Two versions of one department's return (versions.py), the same measure (or the goal
    indicators) filled in two workbooks, and workbooks made for another evaluation year
    than most. Each problem is attached to the later file (a version's, to the older)."""
    problems, older = older_versions(files, make_problem)
    owners: dict[str, tuple[FileReport, dict]] = {}
    for f in files:
        sub = f.submission
        if sub is None or f.path in older:
            continue
        parts: list[tuple[str, str, dict]] = [
            (m.measure_id, m.sheet, measure_content(m)) for m in sub.measures]
        if sub.goal_actuals:
            parts.append((GOALS_ID, sub.goal_actuals[0].source.sheet,
                          actuals_content(sub.goal_actuals)))
        for ident, sheet, content in parts:
            label = GOALS_SHEET if ident == GOALS_ID else f"施策 {ident}"
            if ident not in owners:
                owners[ident] = (f, content)
                continue
            first, first_content = owners[ident]
            other = Path(first.path).name
            differing = [k for k in sorted(set(content) | set(first_content), key=str)
                         if content.get(k, (None, ""))[0] != first_content.get(k, (None, ""))[0]]
            if not differing:
                problems.append(make_problem("W401", f.path, sheet=sheet, measure_id=ident,
                                             measure=label, other=other))
                continue
            key = differing[0]
            value, cell = content.get(key, (None, ""))
            other_value, other_cell = first_content.get(key, (None, ""))
            problems.append(make_problem(
                "E401", f.path, sheet=sheet, cell=cell, kpi=key[1] if key[0] == "actual" else "",
                value=shown(value) or "空欄", measure_id=ident, measure=label, other=other,
                other_cell=f"{first_sheet(first, ident)}!{other_cell}" if other_cell else "（なし）",
                other_value=shown(other_value) or "空欄", more=len(differing) - 1))
    years = Counter(f.year for f in files if f.submission is not None and f.year is not None)
    if len(years) > 1:
        usual = max(years, key=lambda y: (years[y], y))
        for f in files:
            if f.submission is not None and f.year is not None and f.year != usual:
                problems.append(make_problem("W403", f.path, year=format_fiscal_year(f.year),
                                         others=format_fiscal_year(usual)))
    return problems


def first_sheet(report: FileReport, ident: str) -> str:
    """The sheet that holds a measure (or GOALS_ID) in a file, as the department named it."""
    sub = report.submission
    if sub is None:
        return GOALS_SHEET
    if ident == GOALS_ID:
        return sub.goal_actuals[0].source.sheet if sub.goal_actuals else GOALS_SHEET
    return next((m.sheet for m in sub.measures if m.measure_id == ident), ident)


def actuals_content(actuals: Sequence[Actual]) -> dict:
    """(what, id, year) → (comparable value, cell) for a set of actuals."""
    return {("actual", a.kpi_id, a.year): ("未把握" if a.not_measured else a.value, a.source.cell)
            for a in actuals}


def measure_content(report: MeasureReport) -> dict:
    """Everything a department entered for a measure, comparable across files."""
    content = actuals_content(report.actuals)
    for i in report.initiatives:
        if i.status or i.text:
            content[("initiative", i.initiative_id, 0)] = ((i.status, i.text), i.source.cell)
    for name in ("achievements", "issues", "outlook", "outlook_text"):
        value = getattr(report, name)
        if value:
            content[(name, "", 0)] = (value, "")
    for kpi_id, note in report.notes:
        content[("note", kpi_id, 0)] = (note, "")
    return content


# --- the text report --------------------------------------------------------------------


def pending_actuals(sub: Submission | None) -> list[Actual]:
    """The evaluation year's actuals marked 集計中 in a submission: to follow up."""
    if sub is None:
        return []
    actuals = [a for m in sub.measures for a in m.actuals] + list(sub.goal_actuals)
    return [a for a in actuals if a.pending and (sub.year is None or a.year == sub.year)]


def skipped_lines(skipped: Sequence[tuple[str, str]]) -> list[str]:
    """The files a folder held and were not checked, with why, for the console."""
    return [text("V025", count=len(skipped))] + [
        "  " + visible(f"{Path(path).name}: {reason}") for path, reason in skipped]


def format_problem(p: Problem) -> str:
    """Two lines: code, severity, location, KPI and value; then the message."""
    head = [p.code, SEVERITY_LABELS.get(p.severity, p.severity)]
    if p.sheet:
        head.append(f"{p.sheet}!{p.cell}" if p.cell else f"シート {p.sheet}")
    elif p.cell:
        head.append(p.cell)
    if p.kpi:
        head.append(f"KPI {p.kpi}")
    if p.value:
        head.append(f"値「{p.value}」")
    # Cell values, sheet and file names are the department's text: shown, never obeyed.
    return "  " + visible("  ".join(head)) + "\n      " + visible(p.message)


def format_report(report: ValidationReport) -> str:
    """The human report: problems grouped by file, blank measures, then one summary line."""
    lines: list[str] = []
    blank_total = 0
    for f in report.files:
        problems = report.problems_of(f)
        errors = sum(p.is_error for p in problems)
        warnings = len(problems) - errors
        title = f"■ {f.path}"
        if f.department:
            title += f"（{f.department}）"
        title = visible(title)
        if problems:
            title += f"  エラー {errors} 件・警告 {warnings} 件"
        else:
            title += "  " + text("V011")
        lines.append(title)
        lines.extend(format_problem(p) for p in problems)
        pending = pending_actuals(f.submission)
        if pending:
            items = "、".join(f"{a.kpi_id} ({a.source.sheet}!{a.source.cell})" for a in pending)
            lines.append("  " + visible(text("V018", items=items)))
        if f.blank_measures:
            blank_total += len(f.blank_measures)
            lines.append("  " + visible(text("V012", measures="、".join(f.blank_measures))))
    if report.skipped:
        lines.extend(skipped_lines(report.skipped))
    summary = text("V010", files=len(report.files), errors=report.errors,
                   warnings=report.warnings)
    if blank_total:
        summary += "（" + text("V013", count=blank_total) + "）"
    if report.strict:
        summary += "。" + text("V014")
    lines.append(summary)
    return "\n".join(lines)
