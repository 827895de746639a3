"""The round's history: which returned files (by SHA-256) each build used.

Every build appends one line to `round_history.jsonl` beside its outputs (nothing when
the files used are the same as in the previous build, so rebuilding changes nothing).
Lines hold no clock time, only what was used, so the same sequence of builds always
gives the same file. From it `status` and the report's appendix show, per department,
the first return, the corrections that followed and the final file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mine_report.common.errors import MineReportError
from mine_report.common.messages import text

HISTORY_NAME = "round_history.jsonl"


class HistoryError(MineReportError):
    """The history file beside the outputs cannot be read (nothing is written)."""


@dataclass(frozen=True)
class UsedFile:
    """One returned workbook a build used."""

    name: str
    sha256: str
    department: str
    measure_ids: tuple[str, ...]


@dataclass(frozen=True)
class BuildRecord:
    """One build: its number in the history, the evaluation year and the files it used."""

    number: int
    year: int
    draft: bool
    files: tuple[UsedFile, ...]

    def to_json(self) -> str:
        return json.dumps({
            "build": self.number, "year": self.year, "draft": self.draft,
            "files": [{"name": f.name, "sha256": f.sha256, "department": f.department,
                       "measures": list(f.measure_ids)} for f in self.files],
        }, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, line: str) -> BuildRecord:
        data = json.loads(line)
        return cls(int(data["build"]), int(data["year"]), bool(data["draft"]), tuple(
            UsedFile(f["name"], f["sha256"], f.get("department", ""), tuple(f["measures"]))
            for f in data["files"]))

    def same_files(self, other: BuildRecord) -> bool:
        return (self.year, self.draft, self.files) == (other.year, other.draft, other.files)


@dataclass(frozen=True)
class Version:
    """One version of a department's return: the build that first used it."""

    build: int
    name: str
    sha256: str


@dataclass(frozen=True)
class ReturnHistory:
    """A department's returns in the round: the first, the corrections, the final one."""

    department: str
    versions: tuple[Version, ...]

    @property
    def first(self) -> Version:
        return self.versions[0]

    @property
    def corrections(self) -> tuple[Version, ...]:
        return self.versions[1:]

    @property
    def final(self) -> Version:
        return self.versions[-1]


def load_history(path: Path) -> tuple[str, list[BuildRecord]]:
    """The history file's text and records ("" and [] when there is none yet)."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return "", []
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError.of("H001", path=path, line=0, reason=exc) from None
    records = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(BuildRecord.from_json(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise HistoryError.of("H001", path=path, line=number,
                                  reason=f"{type(exc).__name__}: {exc}") from None
    return raw, records


def with_build(raw: str, records: Sequence[BuildRecord], year: int, draft: bool,
               files: Sequence[UsedFile]) -> tuple[str, list[BuildRecord]]:
    """The history after one more build: the text with the new line appended (the earlier
    lines kept byte for byte) and the records; unchanged when the build used the same
    files as the one before."""
    record = BuildRecord(len(records) + 1, year, draft,
                         tuple(sorted(files, key=lambda f: (f.name, f.sha256))))
    if records and record.same_files(records[-1]):
        return raw, list(records)
    if raw and not raw.endswith("\n"):
        raw += "\n"
    return raw + record.to_json() + "\n", [*records, record]


def summarize(records: Sequence[BuildRecord], year: int) -> list[ReturnHistory]:
    """Each department's versions for the evaluation year in the order builds first used
    them (a file without a department is keyed by its name)."""
    versions: dict[str, list[Version]] = {}
    for record in (r for r in records if r.year == year):
        for f in record.files:
            seen = versions.setdefault(f.department or f.name, [])
            if all(v.sha256 != f.sha256 for v in seen):
                seen.append(Version(record.number, f.name, f.sha256))
    return [ReturnHistory(dept, tuple(v)) for dept, v in versions.items()]


@dataclass(frozen=True)
class HistoryRow:
    """A department's returns in the round, formatted for the appendix and `status`."""

    department: str
    first: str  # 第1回集計（01-kanko.xlsx）
    corrections: str  # 2回（第2回・第3回集計）, or なし
    final: str  # file name and SHA-256 (first 12)


def history_rows(records: Sequence[BuildRecord], year: int) -> list[HistoryRow]:
    """The round's history per department, as printed."""
    rows = []
    for h in summarize(records, year):
        fixes = text("H011", count=len(h.corrections), builds="・".join(
            text("H013", build=v.build) for v in h.corrections)
        ) if h.corrections else text("H012")
        rows.append(HistoryRow(h.department, text("H010", build=h.first.build, name=h.first.name),
                               fixes, f"{h.final.name}（{h.final.sha256[:12]}）"))
    return rows
