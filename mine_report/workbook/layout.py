"""The standard workbook's layout contract, shared by the template writer and the reader.

The writer records every position it used in the hidden metadata sheet; the reader
trusts that record plus the ids it finds in the id columns, never fixed positions, so
a department that inserts, deletes or reorders rows is still read correctly.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)

META_SHEET = "_meta"
GUIDE_SHEET = "記入要領"
SUBMITTER_SHEET = "提出者情報"
GOALS_SHEET = "目標指標"
#: The id the template writes in the goal-indicator sheet's id cell, and the measure a
#: problem on that sheet concerns (model.Problem.measure).
GOALS_ID = "goals"
CHECK_SHEET = "チェック結果"  # added by `validate --annotate`

#: Free texts longer than this are reported (they will not fit the report's layout): the
#: workbook's own check column and validate (W305) use the same limit.
TEXT_LIMIT = 2000

#: What a department may write in an actual cell when the value is not known yet.
NOT_MEASURED_MARKS = ("未把握", "集計中", "—", "－", "-", "―", "ー", "‐")
#: 実施状況 choices for an initiative.
STATUSES = ("実施済み", "実施中", "一部実施", "未着手", "中止")
#: 今後の方向性 choices for a measure.
OUTLOOKS = ("拡充", "継続", "見直し", "縮小", "廃止")
#: Submitter fields on the 提出者情報 sheet, in order, with their labels.
SUBMITTER_FIELDS = {
    "department": "担当課",
    "person": "担当者名",
    "phone": "電話番号",
    "email": "電子メール",
    "submitted_on": "提出日",
}
#: Plan columns of a KPI table that the reader compares with the plan.
PLAN_FIELDS = ("name", "unit", "baseline", "baseline_year", "target", "target_year")


@dataclass
class SheetMap:
    """Where things are on one measure sheet (or on the goal-indicator sheet).

    Columns are letters ("J"), rows 1-based; kpi_rows and initiative_rows are the rows as
    written, a hint only: the reader finds each row by the id in the id column.
    """

    measure_id: str
    sheet: str
    id_cell: str
    kpi_id_col: str
    kpi_header_row: int
    kpi_rows: dict[str, int]
    year_cols: dict[int, str]
    note_col: str
    plan_cols: dict[str, str]
    initiative_id_col: str = ""
    initiative_header_row: int = 0
    initiative_rows: dict[str, int] = field(default_factory=dict)
    status_col: str = ""
    initiative_text_col: str = ""
    achievements_cell: str = ""
    issues_cell: str = ""
    outlook_cell: str = ""
    outlook_text_cell: str = ""
    # The live checks (template_checks): formulas only, never input. The reader reads
    # none of these cells; they are recorded so every tool knows to leave them alone.
    check_col: str = ""  # the visible チェック column
    check_helper_cols: str = ""  # the hidden helper columns, "Q:AF"
    check_status_cell: str = ""  # あと N 件 / 問題なし / 未記入
    check_input_cell: str = ""  # 1 when anything is entered on the sheet
    check_count_cell: str = ""  # the number of open problems
    check_blanks_cell: str = ""  # the number of statuses and texts left blank (reminders)
    #: Plan.sheet_digest (goals_digest) of what this sheet was made from: a workbook whose
    #: sheets all still match is read even when the plan changed elsewhere ("" in
    #: workbooks made before it was recorded: those need the whole plan's digest).
    digest: str = ""

    def to_json(self) -> str:
        data = asdict(self)
        data["year_cols"] = {str(y): c for y, c in self.year_cols.items()}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> SheetMap:
        data = json.loads(raw)
        # Keys a later version may add are ignored, as long as the version number allows.
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        data["year_cols"] = {int(y): c for y, c in data["year_cols"].items()}
        return cls(**data)


@dataclass
class WorkbookMeta:
    """Everything the hidden metadata sheet records."""

    format_version: int
    plan_title: str
    plan_digest: str
    year: int | None
    generated: str
    sample: bool
    department: str
    submitter_cells: dict[str, str]
    goals: SheetMap | None
    sheets: list[SheetMap]

    def rows(self) -> list[tuple[str, str]]:
        """Key/value rows for columns A and B of the metadata sheet (all strings)."""
        rows = [
            ("format_version", str(self.format_version)),
            ("plan_title", self.plan_title),
            ("plan_digest", self.plan_digest),
            ("year", "" if self.year is None else str(self.year)),
            ("generated", self.generated),
            ("sample", "1" if self.sample else "0"),
            ("department", self.department),
            ("submitter_cells", json.dumps(self.submitter_cells, separators=(",", ":"))),
            ("goals", self.goals.to_json() if self.goals else ""),
        ]
        rows += [(f"sheet:{m.measure_id}", m.to_json()) for m in self.sheets]
        return rows

    @classmethod
    def from_rows(cls, rows: dict[str, str]) -> WorkbookMeta:
        """Parse the metadata rows; raise ValueError/KeyError when they are malformed."""
        year = (rows.get("year") or "").strip()
        goals = rows.get("goals") or ""
        return cls(
            format_version=int(rows["format_version"]),
            plan_title=rows.get("plan_title", ""),
            plan_digest=rows.get("plan_digest", ""),
            year=int(year) if year else None,
            generated=rows.get("generated", ""),
            sample=rows.get("sample", "0") == "1",
            department=rows.get("department", ""),
            submitter_cells=json.loads(rows.get("submitter_cells") or "{}"),
            goals=SheetMap.from_json(goals) if goals else None,
            sheets=[SheetMap.from_json(v) for k, v in rows.items() if k.startswith("sheet:")],
        )
