"""`mine-report distribute`: one workbook per department (担当課), and a record of what was sent.

The record (配布記録.json, with a short 配布記録.txt for people) is what `status` later
compares the returns with: which department was sent which measures and goal indicators,
the deadline, the contact, and the earlier values the workbooks were prefilled with (so
that later corrections of past years can be shown to the planning division).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from mine_report.common.errors import MineReportError, UsageError
from mine_report.common.fileio import sha256_file
from mine_report.common.fiscal import check_plan_year, format_date, format_fiscal_year
from mine_report.common.messages import text
from mine_report.common.numbers import json_number
from mine_report.common.staging import commit, staging_folder
from mine_report.intake.prefill import load_prefill_source
from mine_report.plan.model import Kpi, Measure, Plan
from mine_report.workbook.template import (
    PrefillValues,
    prefill_gaps,
    write_template,
)

MANIFEST_NAME = "配布記録.json"
MANIFEST_TEXT_NAME = "配布記録.txt"
MANIFEST_FORMAT = 1

#: Characters a file name cannot hold on Windows (where the workbooks are opened).
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class ManifestError(MineReportError):
    """The distribution record cannot be read."""


@dataclass(frozen=True)
class Assignment:
    """What one department was sent."""

    department: str
    file: str
    measure_ids: tuple[str, ...]
    goal_ids: tuple[str, ...] = ()
    sha256: str = ""


@dataclass
class Manifest:
    """The record of one distribution round."""

    plan_title: str
    plan_digest: str
    year: int
    assignments: list[Assignment]
    deadline: dt.date | None = None
    contact: str = ""
    prefill_source: str = ""
    prefill_sha256: str = ""
    prefill: dict[tuple[str, int], Decimal | str] = field(default_factory=dict)
    unassigned: list[str] = field(default_factory=list)
    assignment_is_example: bool = False
    #: Plan.sheet_digest of every measure sent, and Plan.goals_digest of each file's goal
    #: indicators (by file name): a plan changed elsewhere still fits this round.
    sheet_digests: dict[str, str] = field(default_factory=dict)

    def fits(self, plan: Plan) -> bool:
        """Whether this round's workbooks still read with `plan`: the same plan, or one
        whose every measure and goal sheet sent out is unchanged (as the reader decides)."""
        if self.plan_digest == plan.digest:
            return True
        if not self.sheet_digests:
            return False
        for a in self.assignments:
            for mid in a.measure_ids:
                if not isinstance(plan.get(mid), Measure) or (
                        self.sheet_digests.get(mid) != plan.sheet_digest(mid)):
                    return False
            if a.goal_ids and (not all(isinstance(plan.get(g), Kpi) for g in a.goal_ids)
                               or self.sheet_digests.get(a.file) != plan.goals_digest(a.goal_ids)):
                return False
        return True

    def to_dict(self) -> dict:
        values: dict[str, dict[str, object]] = {}
        for (item_id, year), value in sorted(self.prefill.items()):
            values.setdefault(item_id, {})[str(year)] = value
        return {
            "format": MANIFEST_FORMAT,
            "plan": {"title": self.plan_title, "digest": self.plan_digest,
                     **({"sheets": dict(self.sheet_digests)} if self.sheet_digests else {})},
            "year": self.year,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "contact": self.contact,
            "assignment_is_example": self.assignment_is_example,
            "departments": [
                {"department": a.department, "file": a.file, "sha256": a.sha256,
                 "measures": list(a.measure_ids), "goal_indicators": list(a.goal_ids)}
                for a in self.assignments
            ],
            "unassigned_measures": list(self.unassigned),
            "prefill": {"source": self.prefill_source, "sha256": self.prefill_sha256,
                        "values": values} if self.prefill_source else None,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Manifest:
        prefill = data.get("prefill") or {}
        values = {(item_id, int(year)): (value if isinstance(value, str) else Decimal(value))
                  for item_id, years in (prefill.get("values") or {}).items()
                  for year, value in years.items()}
        return cls(
            plan_title=data["plan"]["title"],
            plan_digest=data["plan"]["digest"],
            year=int(data["year"]),
            assignments=[Assignment(d["department"], d["file"], tuple(d["measures"]),
                                    tuple(d.get("goal_indicators", ())), d.get("sha256", ""))
                         for d in data["departments"]],
            deadline=dt.date.fromisoformat(data["deadline"]) if data.get("deadline") else None,
            contact=data.get("contact", ""),
            prefill_source=prefill.get("source", ""),
            prefill_sha256=prefill.get("sha256", ""),
            prefill=values,
            unassigned=list(data.get("unassigned_measures", [])),
            assignment_is_example=bool(data.get("assignment_is_example", False)),
            sheet_digests=dict(data["plan"].get("sheets") or {}),
        )

    def to_text(self) -> str:
        """The short record people read (what was sent to whom, and by when)."""
        lines = [text("D020", year=format_fiscal_year(self.year), title=self.plan_title),
                 text("D021", deadline=format_date(self.deadline) if self.deadline else "（なし）"),
                 text("D022", contact=self.contact or "（なし）")]
        if self.prefill_source:
            lines.append(text("D023", source=self.prefill_source))
        lines.append("")
        for a in self.assignments:
            items = list(a.measure_ids) + (["目標指標 " + "・".join(a.goal_ids)] if a.goal_ids else [])
            lines.append(f"{a.department}\t{a.file}\t{'、'.join(items)}")
        if self.unassigned:
            lines += ["", text("D011", measures="、".join(self.unassigned))]
        if self.assignment_is_example:
            lines += ["", text("D012")]
        return "\n".join(lines) + "\n"


def plan_assignments(plan: Plan) -> tuple[list[Assignment], list[str]]:
    """Each department's measures and goal indicators as the plan assigns them, in plan
    order, and the measures no department is assigned to."""
    assignments = []
    for department in plan.departments():
        assignments.append(Assignment(
            department=department,
            file=workbook_name(department),
            measure_ids=tuple(m.id for m in plan.measures if m.department == department),
            goal_ids=tuple(g.id for g in plan.goal_indicators
                           if plan.goal_owner(g) == department),
        ))
    names = [a.file.casefold() for a in assignments]
    clashes = sorted({a.department for a in assignments if names.count(a.file.casefold()) > 1})
    if clashes:
        raise UsageError.of("D003", departments="、".join(clashes))
    unassigned = [m.id for m in plan.measures if not m.department]
    return assignments, unassigned


def workbook_name(department: str) -> str:
    """The file a department's workbook is written to: its name, made safe for any OS."""
    return _UNSAFE.sub("_", department).strip(" .") + ".xlsx"


def distribute(plan: Plan, year: int, out_dir: Path, *, prefill_path: Path | None = None,
               deadline: dt.date | None = None, contact: str = "", unlock_past: bool = False,
               gaps: list[str] | None = None) -> Manifest:
    """Write one workbook per department and the record of the round into out_dir.

    unlock_past: prefilled values stay editable (template --unlock-past). gaps, when
    given, receives the measures the prefill source had nothing for.

    Everything is written into a staging folder first and moved into place at the end,
    so a failure leaves out_dir as it was. The same arguments give the same bytes.
    """
    check_plan_year(year, plan.period_start, plan.period_end)
    assignments, unassigned = plan_assignments(plan)
    if not assignments:
        raise UsageError.of("D001")
    prefill: PrefillValues = {}
    source = digest = ""
    if unlock_past and prefill_path is None:
        raise UsageError.of("T011")
    if prefill_path is not None:
        inside = prefill_path if prefill_path.is_dir() else prefill_path.parent
        if inside.resolve() == out_dir.resolve():
            raise UsageError.of("D005")
        prefill = {k: v for k, v in load_prefill_source(prefill_path, plan).items() if k[1] < year}
        source = prefill_path.name
        digest = "" if prefill_path.is_dir() else sha256_file(prefill_path)
    try:
        with staging_folder(out_dir, ()) as staging:
            sent = []
            for a in assignments:
                write_template(staging / a.file, plan, year=year, measure_ids=a.measure_ids,
                               department=a.department, prefill=prefill or None,
                               deadline=deadline, contact=contact, goal_ids=a.goal_ids,
                               unlock_past=unlock_past)
                sent.append(Assignment(a.department, a.file, a.measure_ids, a.goal_ids,
                                       sha256_file(staging / a.file)))
            sheets = {mid: plan.sheet_digest(mid) for a in sent for mid in a.measure_ids}
            sheets.update({a.file: plan.goals_digest(a.goal_ids) for a in sent if a.goal_ids})
            manifest = Manifest(plan.title, plan.digest, year, sent, deadline, contact, source,
                                digest, dict(prefill), unassigned, plan.assignment_is_example,
                                sheets)
            (staging / MANIFEST_NAME).write_text(
                json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2,
                           default=json_number) + "\n", encoding="utf-8")
            (staging / MANIFEST_TEXT_NAME).write_text(manifest.to_text(), encoding="utf-8")
            commit(staging, out_dir, [a.file for a in sent] + [MANIFEST_NAME, MANIFEST_TEXT_NAME], ())
        if prefill_path is not None and gaps is not None:
            gaps.extend(prefill_gaps([m for m in plan.measures if any(
                m.id in a.measure_ids for a in sent)], prefill, year))
        return manifest
    except OSError as exc:
        raise MineReportError.of("D002", path=out_dir, reason=exc.strerror or exc) from None


def load_manifest(path: Path) -> Manifest:
    """Read a distribution record (a 配布記録.json, or the folder holding one)."""
    if path.is_dir():
        path = path / MANIFEST_NAME
    try:
        return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8"),
                                             parse_float=Decimal))
    except OSError as exc:
        raise ManifestError.of("S001", path=path, reason=exc.strerror or exc) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestError.of("S002", path=path, reason=f"{type(exc).__name__}: {exc}") from None
