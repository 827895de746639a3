"""Sample submissions (examples/submissions): invented department workbooks for demos and tests.

Each is made as a department would make it: the template is written for its measures
with `--year 2023`, then opened with openpyxl and typed into, input cell by input cell.
A second set (examples/submissions-final) is the same departments' returns a year later,
for the plan's last year 令和6年度, so the sample data shows the final evaluation too.
Every workbook is marked as invented sample data (metadata and a visible notice).
The same plan always gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import random
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.workbook.workbook import Workbook

from mine_report.common.fileio import atomic_path, build_timestamp, stable_package
from mine_report.common.numbers import kpi_places, round_half_up
from mine_report.plan.model import Kpi, Plan
from mine_report.workbook.layout import META_SHEET, SheetMap, WorkbookMeta
from mine_report.workbook.sheets import KPI_COLUMNS, NOTE_WIDTH
from mine_report.workbook.styles import row_height
from mine_report.workbook.template import write_template
from tools.sample_texts import (
    GENERIC_DONE,
    GENERIC_RESULTS,
    INITIATIVE_TEXTS,
    MEASURE_TEXTS,
    NOT_MEASURED,
    NOTES,
)

SAMPLE_YEAR = 2023
SAMPLE_DIR = Path("examples") / "submissions"
#: The plan's last year: the returns of the final evaluation.
FINAL_YEAR = 2024
FINAL_DIR = Path("examples") / "submissions-final"


@dataclass(frozen=True)
class SampleDepartment:
    """One invented department workbook: who sends it and which measures it reports."""

    file: str
    department: str
    person: str
    extension: str
    email: str
    submitted_on: dt.date
    measure_ids: tuple[str, ...]
    goals: bool = False


DEPARTMENTS = (
    SampleDepartment("01-kanko-shinko.xlsx", "観光振興課", "山本 直樹", "211",
                     "kanko@mine.example.jp", dt.date(2024, 5, 10),
                     ("1-1-1", "1-1-2", "1-1-3", "3-1-1", "3-1-2")),
    SampleDepartment("02-norin.xlsx", "農林課", "田中 美咲", "312",
                     "norin@mine.example.jp", dt.date(2024, 5, 13),
                     ("1-2-1", "1-2-2", "5-1-2")),
    SampleDepartment("03-shoko-rodo.xlsx", "商工労働課", "中村 健一", "224",
                     "shoko@mine.example.jp", dt.date(2024, 5, 9),
                     ("1-3-1", "1-3-2", "1-3-3", "1-4-1", "1-4-2", "1-4-3")),
    SampleDepartment("04-kosodate-shien.xlsx", "子育て支援課", "藤井 由美", "145",
                     "kosodate@mine.example.jp", dt.date(2024, 5, 15),
                     ("2-1-1", "2-1-2", "2-1-3", "2-2-1", "2-2-2", "2-2-3")),
    SampleDepartment("05-gakko-kyoiku.xlsx", "学校教育課", "村田 拓也", "521",
                     "gakko@mine.example.jp", dt.date(2024, 5, 14),
                     ("2-3-1", "2-3-2", "2-3-3", "3-1-3")),
    SampleDepartment("06-kikaku-seisaku.xlsx", "企画政策課", "岡田 真理", "102",
                     "kikaku@mine.example.jp", dt.date(2024, 5, 17),
                     ("3-2-1", "3-2-2", "3-3-1", "4-3-1", "4-3-2", "4-3-3", "4-3-4", "5-2-1"),
                     goals=True),
    SampleDepartment("07-somu-bosai.xlsx", "総務防災課", "松本 大輔", "131",
                     "bosai@mine.example.jp", dt.date(2024, 5, 8), ("4-1-1", "4-2-2")),
    SampleDepartment("08-kenko-zoshin.xlsx", "健康増進課", "西村 香織", "162",
                     "kenko@mine.example.jp", dt.date(2024, 5, 16), ("4-1-2",)),
    SampleDepartment("09-toshi-keikaku.xlsx", "都市計画課", "石川 亮", "341",
                     "toshi@mine.example.jp", dt.date(2024, 5, 13), ("4-2-1", "4-2-3")),
    SampleDepartment("10-geopark.xlsx", "世界ジオパーク推進課", "河野 彩", "411",
                     "geopark@mine.example.jp", dt.date(2024, 5, 10), ("5-1-1",)),
)

# --- the invented numbers ---------------------------------------------------------------

#: Share of the expected progress reached in 2020…2024, by profile.
PROFILES = {
    "ahead": (1.4, 1.35, 1.3, 1.25, 1.2),
    "on_track": (1.0, 1.05, 1.03, 1.06, 1.02),
    "slightly_behind": (0.9, 0.86, 0.88, 0.9, 0.92),
    "behind": (0.5, 0.6, 0.55, 0.6, 0.62),
    "covid_recovery": (-0.8, -0.4, 0.4, 0.9, 1.0),
    "stalled": (0.4, 0.2, -0.1, -0.3, -0.4),
}
DEFAULT_CYCLE = ("on_track", "slightly_behind", "behind", "ahead", "slightly_behind",
                 "stalled")
KPI_PROFILES = {
    "1-1-1-1": "covid_recovery", "1-1-2-1": "covid_recovery", "3-1-2-1": "covid_recovery",
    "3-1-3-1": "covid_recovery", "3-2-2-1": "covid_recovery", "5-1-1-2": "covid_recovery",
    "1-1-2-3": "ahead", "1-4-3-2": "ahead", "3-1-1-1": "ahead", "3-2-1-1": "ahead",
    "5-2-1-1": "ahead", "2-3-2-2": "ahead", "4-1-1-1": "ahead",
    "1-3-2-2": "behind", "2-3-1-2": "stalled", "4-2-3-1": "stalled",
}

#: KPIs whose values are written out: the decrease-type and a maintain-type KPI land on
#: every grade across the years (D, C, B, A under the default rules), the other
#: maintain-type KPIs stay near their level.
EXPLICIT_VALUES: dict[str, tuple[str, ...]] = {  # 2020 … 2024
    "4-1-2-2": ("18.9", "18.65", "18.58", "18.4", "18.45"),  # 要支援・要介護認定率 18.7 → 18.5 (decrease)
    "2-1-3-1": ("1080", "1260", "1410", "1560", "1480"),  # 地域子育て支援拠点 1,522 → 1,500 (maintain)
    "2-2-2-1": ("3850", "4620", "5030", "5120", "5060"),
    "4-1-2-4": ("180", "265", "310", "326", "331"),
    "4-2-3-2": ("6", "6", "6", "6", "6"),
    "4-3-2-2": ("3", "2", "3", "3", "3"),
    "4-3-4-1": ("1", "1", "1", "1", "1"),
    "5-1-2-2": ("1", "1", "1", "1", "1"),
    "G1-1": ("3490", "3520", "3584", "", "3602"),
    "G1-2": ("37950", "38210", "38890", "39120", "39410"),
    "G1-3": ("2561", "2573", "2590", "2611", "2630"),
    "G2-1": ("1.18", "1.25", "1.21", "1.30", "1.27"),
    "G3-1": ("72.4", "85.1", "118.6", "142.3", "158.0"),
    "G4-1": ("55.2", "56.0", "56.8", "58.1", "59.2"),
    "G5-1": ("66.0", "65.1", "67.2", "68.4", "69.0"),
}
#: The KPIs the sample makes land on every grade across 2020–2023 (tests check this).
EVERY_GRADE_KPIS = ("4-1-2-2", "2-1-3-1")

SAMPLE_YEARS = (2020, 2021, 2022, 2023)


def sample_years(year: int = SAMPLE_YEAR) -> tuple[int, ...]:
    """The years a sample return carries values for: 2020 up to its evaluation year."""
    return tuple(range(SAMPLE_YEARS[0], year + 1))


def sample_values(plan: Plan, year: int = SAMPLE_YEAR) -> dict[tuple[str, int], Decimal | str]:
    """Invented actuals for every KPI and goal indicator of the plan, 2020 to `year` (a
    later year only adds values: the earlier ones stay the same)."""
    years = sample_years(year)
    values: dict[tuple[str, int], Decimal | str] = {}
    profile_cycle = iter(DEFAULT_CYCLE * len(plan.kpis))
    for kpi in [*plan.kpis, *plan.goal_indicators]:
        if kpi.id in EXPLICIT_VALUES:
            for y, raw in zip(years, EXPLICIT_VALUES[kpi.id], strict=False):
                if raw:
                    values[(kpi.id, y)] = Decimal(raw)
        else:
            profile = KPI_PROFILES.get(kpi.id) or next(profile_cycle)
            values.update(_trajectory(kpi, PROFILES[profile], years))
        for y in years:
            if (kpi.id, y) in NOT_MEASURED:
                values[(kpi.id, y)] = NOT_MEASURED[(kpi.id, y)]
    return values


def _trajectory(kpi: Kpi, shares: tuple[float, ...],
                years: tuple[int, ...] = SAMPLE_YEARS) -> dict[tuple[str, int], Decimal]:
    """Values moving from the baseline along the prorated target, scaled by `shares`."""
    base = kpi.baseline if kpi.baseline is not None else Decimal(0)
    places = kpi_places(kpi)
    span = max(kpi.target_year - kpi.baseline_year, 1)
    out: dict[tuple[str, int], Decimal] = {}
    previous = base
    for year, share in zip(years, shares, strict=False):
        if year <= kpi.baseline_year:
            value = base
        else:
            expected = min(Decimal(1), Decimal(year - kpi.baseline_year) / span)
            jitter = Decimal(str(round(random.Random(f"{kpi.id}:{year}").uniform(-0.06, 0.06), 4)))
            value = base + (kpi.target - base) * expected * (Decimal(str(share)) + jitter)
        value = max(value, Decimal(0))
        if kpi.is_percent:
            value = min(value, Decimal(100))
        if kpi.cumulative:
            value = max(value, previous)  # a running total never falls
        value = round_half_up(value, places)
        out[(kpi.id, year)] = value
        previous = value
    return out


# --- typing into a workbook as a person would --------------------------------------------


def meta_from_workbook(wb: Workbook) -> WorkbookMeta:
    """The layout recorded in the hidden metadata sheet of a template opened with openpyxl."""
    ws = wb[META_SHEET]
    rows = {str(a): "" if b is None else str(b)
            for a, b in ws.iter_rows(min_col=1, max_col=2, values_only=True) if a}
    return WorkbookMeta.from_rows(rows)


class WorkbookFiller:
    """Types into the input cells of a template, located through its metadata sheet."""

    def __init__(self, path: str | Path):
        self.wb = openpyxl.load_workbook(path)
        self.meta = meta_from_workbook(self.wb)
        maps = [*self.meta.sheets, *([self.meta.goals] if self.meta.goals else [])]
        self.by_kpi = {kid: sm for sm in maps for kid in sm.kpi_rows}
        self.by_initiative = {iid: sm for sm in maps for iid in sm.initiative_rows}
        self.by_measure = {sm.measure_id: sm for sm in maps}

    def _put(self, sm: SheetMap, ref: str, value: object) -> None:
        cell = self.wb[sm.sheet][ref]
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"  # text typed by a person is never a formula

    def actual(self, kpi_id: str, year: int, value: Decimal | str | None) -> None:
        sm = self.by_kpi[kpi_id]
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        self._put(sm, f"{sm.year_cols[year]}{sm.kpi_rows[kpi_id]}", value)

    def note(self, kpi_id: str, text: str) -> None:
        sm = self.by_kpi[kpi_id]
        self._put(sm, f"{sm.note_col}{sm.kpi_rows[kpi_id]}", text)

    def initiative(self, initiative_id: str, status: str, text: str) -> None:
        sm = self.by_initiative[initiative_id]
        row = sm.initiative_rows[initiative_id]
        self._put(sm, f"{sm.status_col}{row}", status)
        self._put(sm, f"{sm.initiative_text_col}{row}", text)
        self._fit_row(sm.sheet, row, text, NOTE_WIDTH)

    def comments(self, measure_id: str, achievements: str, issues: str, outlook: str,
                 outlook_text: str) -> None:
        sm = self.by_measure[measure_id]
        for ref, value in ((sm.achievements_cell, achievements), (sm.issues_cell, issues),
                           (sm.outlook_cell, outlook), (sm.outlook_text_cell, outlook_text)):
            self._put(sm, ref, value)
            self._fit_row(sm.sheet, int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), value,
                          KPI_COLUMNS[1][2])

    def submitter(self, **fields: object) -> None:
        ws = self.wb["提出者情報"]
        for key, value in fields.items():
            cell = ws[self.meta.submitter_cells[key]]
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"

    def _fit_row(self, sheet: str, row: int, text: str, width: float) -> None:
        # What a person does after typing a long text: make the row tall enough to read it.
        dims = self.wb[sheet].row_dimensions[row]
        dims.height = max(dims.height or 0, row_height([(text, width)]))

    def save(self, path: str | Path) -> None:
        save_deterministic(self.wb, path)


def save_deterministic(wb: Workbook, path: str | Path) -> None:
    """Save with openpyxl so the same content always gives the same bytes (fixed document
    dates and zip entry times), atomically."""
    stamp = build_timestamp().replace(tzinfo=None)
    wb.properties.created = stamp
    buffer = io.BytesIO()
    wb.save(buffer)
    # Zip members dated 1980-01-01, the earliest a zip can say (the document keeps `stamp`).
    data = stable_package(buffer.getvalue(), stamp, entry_time=dt.datetime(1980, 1, 1))
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)




# --- the sample set ---------------------------------------------------------------------


def initiative_report(index: int, initiative_id: str, schedule: str) -> tuple[str, str]:
    """The status and text of an initiative in the sample (specific, or a varied generic one)."""
    if initiative_id in INITIATIVE_TEXTS:
        return INITIATIVE_TEXTS[initiative_id]
    rng = random.Random(initiative_id)
    if index % 5 == 3:
        return "実施済み", GENERIC_DONE.format(schedule=schedule)
    template = GENERIC_RESULTS[index % len(GENERIC_RESULTS)]
    return "実施中", template.format(schedule=schedule, n=rng.randint(2, 12),
                                     p=rng.randint(72, 95))


def make_sample(plan: Plan, dept: SampleDepartment, path: Path,
                values: dict[tuple[str, int], Decimal | str], year: int = SAMPLE_YEAR) -> None:
    """Write one department's template for `year` and fill it in."""
    write_template(path, plan, year=year, measure_ids=dept.measure_ids,
                   department=dept.department, sample=True)
    filler = WorkbookFiller(path)
    filler.submitter(person=dept.person, phone=f"0837-00-0000（内線 {dept.extension}）",
                     email=dept.email, submitted_on=dt.datetime.combine(dept.submitted_on,
                                                                        dt.time()))
    kpis = [k for mid in dept.measure_ids for k in plan.measure(mid).kpis]
    if dept.goals:
        kpis += plan.goal_indicators
    for kpi in kpis:
        for y in sample_years(year):
            if (kpi.id, y) in values:
                filler.actual(kpi.id, y, values[(kpi.id, y)])
        if kpi.id in NOTES:
            filler.note(kpi.id, NOTES[kpi.id])
    index = 0
    for mid in dept.measure_ids:
        measure = plan.measure(mid)
        for initiative in measure.initiatives:
            filler.initiative(initiative.id,
                              *initiative_report(index, initiative.id, initiative.schedule))
            index += 1
        filler.comments(mid, *MEASURE_TEXTS[mid])
    filler.save(path)


def make_samples(plan: Plan, out_dir: str | Path = SAMPLE_DIR,
                 departments: Iterable[SampleDepartment] = DEPARTMENTS,
                 year: int = SAMPLE_YEAR) -> list[Path]:
    """(Re)write every sample submission for `year` into out_dir; returns the paths
    written. A later year's returns are sent a year later and carry that year's values."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    values = sample_values(plan, year)
    paths = []
    for dept in departments:
        path = out_dir / dept.file
        later = year - SAMPLE_YEAR
        if later:
            dept = dataclasses.replace(
                dept, submitted_on=dept.submitted_on.replace(year=dept.submitted_on.year + later))
        make_sample(plan, dept, path, values, year)
        paths.append(path)
    return paths
