"""Two versions of one department's return: an old file and its correction both left in
the return folder.

Two workbooks of the same department (担当課) that fill the same measures are versions
of one return, not two departments' conflicting claims: the later one (by 提出日 when
both give one, else by the file's modification time) is the one meant, and the planning
division is asked to take the older one out (E402, attached to the older file). The
measure-by-measure comparison (E401/W401) is then not made between them: it would ask
two departments to agree when there is only one.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mine_report.common.errors import FiscalYearError
from mine_report.common.fiscal import parse_date
from mine_report.plan.model import Problem, Submission


class _File(Protocol):
    path: str
    department: str
    submission: Submission | None


@dataclass(frozen=True)
class _Version:
    file: _File
    submitted: dt.date | None
    modified: float

    def when(self) -> str:
        if self.submitted is not None:
            return f"提出日 {self.submitted.isoformat()}"
        stamp = dt.datetime.fromtimestamp(self.modified).strftime("%Y-%m-%d %H:%M")
        return f"ファイルの更新 {stamp}"


def _version(f: _File) -> _Version:
    submitted = None
    text = f.submission.submitted_on if f.submission else ""
    if text:
        try:
            submitted = parse_date(text)
        except FiscalYearError:
            submitted = None
    try:
        modified = os.stat(f.path).st_mtime
    except OSError:
        modified = 0.0
    return _Version(f, submitted, modified)


def _later(a: _Version, b: _Version) -> bool:
    """Whether a is the later version: by 提出日 when both have one and they differ,
    else by modification time, else by name (so the answer never depends on order)."""
    if a.submitted and b.submitted and a.submitted != b.submitted:
        return a.submitted > b.submitted
    if a.modified != b.modified:
        return a.modified > b.modified
    return Path(a.file.path).name > Path(b.file.path).name


def _parts(f: _File) -> set[str]:
    sub = f.submission
    assert sub is not None
    parts = {m.measure_id for m in sub.measures}
    return parts | ({"goals"} if sub.goal_actuals else set())


def older_versions(files: Sequence[_File], make_problem) -> tuple[list[Problem], set[str]]:
    """E402 for each older version of a department's return, and the paths of those files
    (left out of the cross-file comparison)."""
    groups: dict[str, list[_File]] = {}
    for f in files:
        department = unicodedata.normalize("NFKC", f.department or "").replace(" ", "")
        if f.submission is not None and department:
            groups.setdefault(department, []).append(f)
    problems: list[Problem] = []
    older: set[str] = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        versions = [_version(f) for f in group]
        newest = versions[0]
        for v in versions[1:]:
            if _later(v, newest):
                newest = v
        for v in versions:
            if v is newest or not (_parts(v.file) & _parts(newest.file)):
                continue
            older.add(v.file.path)
            problems.append(make_problem(
                "E402", v.file.path, department=newest.file.department,
                newer=Path(newest.file.path).name, newer_when=newest.when(),
                older=Path(v.file.path).name, older_when=v.when()))
    return problems, older
