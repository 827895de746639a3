"""Merge the validated submissions into one view of the plan year: which workbook
supplies each measure, every actual keyed by (KPI id, year), what is missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from mine_report.plan.model import Actual, Measure, MeasureReport, Plan, Problem, Submission


@dataclass(frozen=True)
class InputFile:
    """One input workbook as listed in the outputs' appendix."""

    name: str
    department: str
    submitter: str
    sha256: str
    measure_ids: tuple[str, ...]
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class MergedMeasure:
    """A measure with the report that supplied it (None: not submitted, 未提出)."""

    measure: Measure
    report: MeasureReport | None
    department: str = ""
    file: str = ""

    @property
    def submitted(self) -> bool:
        return self.report is not None


@dataclass
class Merged:
    """Everything the grading and the outputs need from the inputs."""

    plan: Plan
    year: int
    measures: dict[str, MergedMeasure]
    actuals: dict[tuple[str, int], Actual]
    inputs: list[InputFile]
    goal_department: str = ""
    goal_file: str = ""
    warnings: list[Problem] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (file or item, why) in --draft
    draft: bool = False
    sample: bool = False
    #: The round's builds so far, this one included (history.BuildRecord), for the appendix.
    history: list = field(default_factory=list)

    @property
    def unsubmitted(self) -> list[str]:
        """Measure ids no workbook filled, in plan order."""
        return [mid for mid, m in self.measures.items() if not m.submitted]


def merge(plan: Plan, submissions: Sequence[Submission], year: int, *,
          warnings: Sequence[Problem] = (), left_out: Sequence[tuple[str, str]] = (),
          draft: bool = False) -> Merged:
    """Combine submissions (already validated: at most one per measure) into a Merged view."""
    owner: dict[str, tuple[Submission, MeasureReport]] = {}
    for sub in submissions:
        for report in sub.measures:
            owner.setdefault(report.measure_id, (sub, report))
    measures: dict[str, MergedMeasure] = {}
    actuals: dict[tuple[str, int], Actual] = {}
    for measure in plan.measures:
        if measure.id in owner:
            sub, report = owner[measure.id]
            measures[measure.id] = MergedMeasure(measure, report, sub.department, sub.name)
            for actual in report.actuals:
                actuals[(actual.kpi_id, actual.year)] = actual
        else:
            measures[measure.id] = MergedMeasure(measure, None)
    goal_department = goal_file = ""
    for sub in submissions:
        if sub.goal_actuals:
            goal_department, goal_file = sub.department, sub.name
            for actual in sub.goal_actuals:
                actuals[(actual.kpi_id, actual.year)] = actual
            break
    by_file: dict[str, list[Problem]] = {}
    for problem in warnings:
        by_file.setdefault(problem.file, []).append(problem)
    inputs = [
        InputFile(
            name=sub.name,
            department=sub.department,
            submitter=sub.person,
            sha256=sub.sha256,
            measure_ids=tuple(r.measure_id for r in sub.measures),
            warnings=tuple(by_file.get(sub.name, []) + by_file.get(sub.path, [])),
        )
        for sub in submissions
    ]
    return Merged(
        plan=plan,
        year=year,
        measures=measures,
        actuals=actuals,
        inputs=inputs,
        goal_department=goal_department,
        goal_file=goal_file,
        warnings=list(warnings),
        left_out=list(left_out),
        draft=draft,
        sample=any(s.sample for s in submissions),
    )
