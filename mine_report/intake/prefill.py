"""Last round's values, read to prefill this round's workbooks (`template --prefill`,
`distribute --prefill`) and to compare returns with (`--previous`).

A source is a previous build's kpi_results.json, one returned workbook, or a folder of
them. A workbook is read by the validator's own reader and must be free of errors that
concern numbers; the values become PrefillValues, the type the template writer takes.
Reading lives here, in the intake, so the workbook stage writes and never reads.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from mine_report.common.errors import DataProblem, ProblemsError
from mine_report.common.messages import text
from mine_report.intake.checks import collect_paths
from mine_report.intake.reader import read_workbook
from mine_report.plan.model import Plan
from mine_report.workbook.template import (
    NOT_MEASURED_PREFILL,
    PENDING_PREFILL,
    PrefillMark,
    PrefillValues,
)

#: Errors of a prefill workbook that concern no number (a status or direction typed
#: outside the list): they do not keep its numbers from being carried forward.
NOT_ABOUT_NUMBERS = frozenset({"E307", "E308"})


class PrefillError(ProblemsError):
    """The workbook given to --prefill cannot be used."""

    what = "前回のファイル (--prefill)"


def load_prefill(path: str | Path, plan: Plan) -> dict[tuple[str, int], Decimal | str]:
    """Every actual a filled workbook, or a previous build's kpi_results.json, holds,
    as PrefillValues.

    Raises PrefillError listing the workbook's errors when it cannot be trusted.
    """
    path = Path(path)
    if not path.is_file():
        raise PrefillError(str(path), [DataProblem("T007", "", text("T007"))])
    if path.suffix.lower() == ".json":
        return _prefill_from_results(path, plan)
    submission, problems = read_workbook(path, plan)
    # Only the numbers are taken: a typo in a status or direction does not make them wrong.
    errors = [p for p in problems if p.is_error and p.code not in NOT_ABOUT_NUMBERS]
    if submission is None or errors:
        raise PrefillError(str(path), [
            DataProblem(p.code, f"{p.sheet}!{p.cell}" if p.sheet else "", p.message)
            for p in errors] or [DataProblem("T008", "", text("T008"))])
    values: dict[tuple[str, int], Decimal | str] = {}
    actuals = [a for report in submission.measures for a in report.actuals]
    for actual in [*actuals, *submission.goal_actuals]:
        if actual.value is not None:
            values[(actual.kpi_id, actual.year)] = actual.value
        elif actual.not_measured:
            mark = PENDING_PREFILL if actual.pending else NOT_MEASURED_PREFILL
            reason = actual.reason if actual.reason not in (mark, "") else ""
            values[(actual.kpi_id, actual.year)] = PrefillMark(mark, reason)
    return values


def _not_measured_mark(reason: str) -> str:
    """The mark to prefill for a year a build left ungraded for this reason: 集計中 when
    that is what was typed (the figure is still coming), 未把握 for any other not-measured
    reason (C303/C304), "" when the year was blank, unsubmitted or before the baseline."""
    for plain, mark in ((text("C321"), PENDING_PREFILL), (text("C304"), NOT_MEASURED_PREFILL)):
        if reason == plain:
            return PrefillMark(mark)
        if reason.startswith(plain + "（") and reason.endswith("）"):
            return PrefillMark(mark, reason[len(plain) + 1:-1])
    return ""


def _prefill_from_results(path: Path, plan: Plan) -> dict[tuple[str, int], Decimal | str]:
    """Actual values from a previous round's merged results (kpi_results.json of build)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        items = [*data["kpis"], *data["goal_indicators"]]
        if data["plan"]["title"] != plan.title:
            raise ValueError(data["plan"]["title"])
        values: dict[tuple[str, int], Decimal | str] = {}
        for item in items:
            if plan.get(item["id"]) is None:
                continue
            for h in item["history"]:
                if h["actual"] is not None:
                    values[(item["id"], int(h["year"]))] = Decimal(h["actual"])
                else:
                    mark = _not_measured_mark(h.get("reason") or "")
                    if mark:
                        values[(item["id"], int(h["year"]))] = mark
        return values
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise PrefillError(str(path), [DataProblem("T008", "", text("T008"))]) from None


def load_prefill_source(path: Path, plan: Plan) -> PrefillValues:
    """Earlier values from a previous build's kpi_results.json, one returned workbook, or
    a folder of returned workbooks (every one must be free of errors)."""
    if not path.is_dir():
        return load_prefill(path, plan)
    values: dict[tuple[str, int], Decimal | str] = {}
    for child in collect_paths([path], plan):
        values.update(load_prefill(child, plan))
    return values
