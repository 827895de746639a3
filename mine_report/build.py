"""`mine-report build`: validate every workbook, merge, grade and write all outputs.

Outputs are first written into a staging folder inside the output folder and only
moved into place once every one of them is complete, so a failed or interrupted run
leaves the previous outputs untouched and no partial file behind.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from xlsxwriter.exceptions import FileCreateError

from mine_report.common.errors import MineReportError
from mine_report.common.fiscal import check_plan_year, format_fiscal_year
from mine_report.common.messages import text
from mine_report.common.numbers import format_number
from mine_report.common.safetext import visible
from mine_report.common.staging import check_not_overlapping, commit, staging_folder, unwritable
from mine_report.grading.baseline_rule import FIRST_ACTUAL, apply_rule
from mine_report.grading.config import Rules
from mine_report.grading.grade import Evaluation, evaluate
from mine_report.grading.merge import Merged, merge
from mine_report.intake import checks
from mine_report.intake.previous import DEFAULT_JUMP_FACTOR
from mine_report.outputs.committee import CommitteeInput, load_committee
from mine_report.outputs.export import HTML_NAME, OPEN_DATA_NAMES, PDF_NAME, write_open_data
from mine_report.outputs.merged_xlsx import XLSX_NAME, write_merged_xlsx
from mine_report.plan.model import INTERNAL, PUBLIC, Plan, Submission
from mine_report.round import history
from mine_report.workbook.template import PrefillValues

Progress = Callable[[str, int, int], None]

#: Every file a build may write into the output folder. Each build replaces the ones it
#: writes and removes the others, so the folder always holds the outputs of one build.
OWNED_NAMES = (XLSX_NAME, *OPEN_DATA_NAMES, PDF_NAME, HTML_NAME)


class InputErrors(MineReportError):
    """The input workbooks have errors, so nothing was written."""

    def __init__(self, report: checks.ValidationReport):
        self.report = report
        super().__init__(text("B001", errors=report.errors), "B001")


class BuildError(MineReportError):
    """The build cannot go on (e.g. the workbooks disagree on the evaluation year)."""


@dataclass
class BuildOptions:
    input_paths: Sequence[Path]
    output_dir: Path
    year: int | None = None
    draft: bool = False
    pdf: bool = True
    html: bool = False
    templates_dir: Path | None = None
    #: model.PUBLIC (for the website: no staff or file names, the open data
    #: attached) or INTERNAL (input files and checks listed, the merged workbook attached).
    edition: str = PUBLIC
    #: Processes reading the workbooks and laying out the report (None: every core).
    jobs: int | None = None
    #: The report's publication date (`--date`); None: SOURCE_DATE_EPOCH or today (JST).
    issued_on: dt.date | None = None
    #: The planning division's 総評・意見 file (`--opinions`); None: the report has none.
    opinions: Path | None = None
    #: What a KPI without a baseline is graded against (baseline_rule.RULES).
    missing_baseline: str = FIRST_ACTUAL
    #: How the report prints negative rates: minus, triangle (△) or black-triangle (▲).
    negative_sign: str = "minus"
    #: The previous round's values (W501) and the factor of W502 (see previous.py).
    previous: PrefillValues | None = None
    jump_factor: Decimal = DEFAULT_JUMP_FACTOR
    #: Reuse the parts of the report laid out by earlier builds into this output folder
    #: (layout_cache; `--no-cache` turns it off).
    cache: bool = True


@dataclass
class BuildResult:
    merged: Merged
    evaluation: Evaluation
    validation: checks.ValidationReport
    outputs: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def build(plan: Plan, rules: Rules, options: BuildOptions,
          progress: Progress | None = None) -> BuildResult:
    """Run the whole build; raise InputErrors (nothing written) when inputs have errors."""
    started = time.perf_counter()
    step = progress or (lambda what, done, total: None)
    committee = load_committee(options.opinions, plan)  # its mistakes stop the build first
    skipped: list[tuple[str, str]] = []
    paths = checks.collect_paths(options.input_paths, plan, skipped)
    if not paths:
        raise BuildError.of("B002", where="、".join(str(p) for p in options.input_paths))
    check_not_overlapping(options.output_dir, options.input_paths)
    if options.templates_dir is not None and not Path(options.templates_dir).is_dir():
        raise BuildError.of("R002", path=options.templates_dir)
    # The output folder is checked (and a staging folder made in it) before the inputs are
    # read: an output that cannot be written is reported at once, not after the work.
    with staging_folder(options.output_dir, OWNED_NAMES) as staging:
        report = checks.validate_files(
            paths, plan, progress=lambda done, total: step("read", done, total),
            jobs=options.jobs, previous=options.previous, jump_factor=options.jump_factor)
        report.skipped = skipped
        if not report.files:  # the folders held nothing but the blank template
            raise BuildError.of("B002", where="、".join(str(p) for p in options.input_paths))
        if report.errors and not options.draft:
            raise InputErrors(report)
        submissions, left_out = report.usable()
        if not submissions:
            raise BuildError.of("B003")
        year = _evaluation_year(options.year, submissions, plan)
        warnings = [p for f in report.files for p in f.problems if not p.is_error]
        warnings += [p for p in report.cross_problems if not p.is_error]
        merged = merge(plan, submissions, year, warnings=warnings, left_out=left_out,
                       draft=options.draft)
        history_text, merged.history = _record_build(
            options.output_dir / history.HISTORY_NAME, merged)
        step("grade", 0, 1)
        graded_plan, _ = apply_rule(plan, merged.actuals, year, options.missing_baseline)
        evaluation = evaluate(graded_plan, merged.actuals, year, rules,
                              unsubmitted=merged.unsubmitted)
        step("grade", 1, 1)
        outputs = write_outputs(merged, evaluation, options, step, staging, history_text,
                                committee)
    return BuildResult(merged, evaluation, report, outputs, time.perf_counter() - started)


def _record_build(path: Path, merged: Merged) -> tuple[str, list[history.BuildRecord]]:
    """The round's history with this build's files appended (see history.py)."""
    raw, records = history.load_history(path)
    used = [history.UsedFile(f.name, f.sha256, f.department, f.measure_ids)
            for f in merged.inputs]
    return history.with_build(raw, records, merged.year, merged.draft, used)


def write_outputs(merged: Merged, evaluation: Evaluation, options: BuildOptions,
                  step: Progress, staging: Path, history_text: str = "",
                  committee: CommitteeInput | None = None) -> list[Path]:
    """Write every output into the staging folder, then move them all into place (and
    remove the owned files this build does not write), with the round's history, when
    given, as the last file."""
    out = options.output_dir
    total = 2 + (1 if options.pdf else 0)
    public = options.edition != INTERNAL
    step("write", 0, total)
    try:
        write_merged_xlsx(staging / XLSX_NAME, merged, evaluation)
        step("write", 1, total)
        names = [XLSX_NAME, *write_open_data(staging, merged, evaluation, public=public)]
        step("write", 2, total)
    except (OSError, FileCreateError) as exc:
        raise unwritable(out, exc if isinstance(exc, OSError) else str(exc)) from None
    cache = None
    if options.pdf:
        from mine_report.outputs.layout_cache import CACHE_NAME, PartCache
        from mine_report.outputs.report import (
            render_report,  # WeasyPrint loads slowly: only when used
        )

        cache = PartCache(out / CACHE_NAME) if options.cache else None
        attached = OPEN_DATA_NAMES if public else (XLSX_NAME,)
        written = render_report(merged, evaluation, staging,
                                templates_dir=options.templates_dir, html=options.html,
                                attachments=[staging / n for n in attached],
                                jobs=options.jobs, edition=options.edition,
                                issued_on=options.issued_on, committee=committee,
                                negative_sign=options.negative_sign, cache=cache)
        names += [p.name for p in written]
        step("write", 3, total)
    if history_text:
        (staging / history.HISTORY_NAME).write_text(history_text, encoding="utf-8")
        names.append(history.HISTORY_NAME)
    commit(staging, out, names, OWNED_NAMES)
    if cache is not None:  # only a build that succeeded adds to the cache
        cache.save()
    return [out / name for name in names]


def _evaluation_year(requested: int | None, submissions: Sequence[Submission], plan: Plan) -> int:
    """--year, else the year recorded in the workbooks (all must agree), else the latest year
    with any actual value."""
    if requested is not None:
        check_plan_year(requested, plan.period_start, plan.period_end)
        return requested
    recorded = {s.year for s in submissions if s.year is not None}
    if len(recorded) > 1:
        detail = "、".join(f"{s.name}: {format_fiscal_year(s.year)}"
                          for s in submissions if s.year is not None)
        raise BuildError.of("B005", detail=detail)
    if recorded:
        return recorded.pop()
    years = [a.year for s in submissions for m in s.measures for a in m.actuals
             if a.value is not None]
    if not years:
        raise BuildError.of("B006")
    return max(years)


#: Warnings build prints on the console (all are in validate's output and the appendix).
WARNINGS_SHOWN = 5


def notes(result: BuildResult, inputs: str) -> list[str]:
    """What build tells on the console before its summary: the files it did not read and
    why, and how many warnings the returns carry with the first few of them, so none is
    only found in the report's appendix."""
    lines = checks.skipped_lines(result.validation.skipped) if result.validation.skipped else []
    year = result.evaluation.year
    pending = [(Path(f.path).name, a) for f in result.validation.files
               for a in checks.pending_actuals(f.submission) if a.year == year]
    if pending:
        lines.append(text("B022", count=len(pending), items="、".join(
            f"{a.kpi_id} ({name})" for name, a in pending)))
    warnings = [p for p in result.validation.all_problems() if not p.is_error]
    if warnings:
        lines.append(text("B021", count=len(warnings), shown=min(len(warnings), WARNINGS_SHOWN),
                          inputs=inputs))
        lines += ["  " + visible(Path(p.file).name) + checks.format_problem(p)
                  for p in warnings[:WARNINGS_SHOWN]]
    return lines


def summary_line(result: BuildResult) -> str:
    total = result.evaluation.total
    counts = "、".join(f"{g} {n}" for g, n in total.counts.items())
    outputs = "、".join(p.name for p in result.outputs)
    draft = "【暫定版】" if result.merged.draft else ""
    return text("B020", draft=draft, year=format_fiscal_year(result.evaluation.year),
                files=len(result.merged.inputs), kpis=len(result.evaluation.kpis),
                graded=total.graded, counts=counts, outputs=outputs,
                folder=str(result.outputs[0].parent) if result.outputs else "",
                seconds=format_number(Fraction(result.seconds), 1))
