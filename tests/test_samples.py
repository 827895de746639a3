"""The sample submissions in examples/submissions: complete, marked as invented, reproducible."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import SAMPLES_DIR, actual_cell

from mine_report.grading.schemes import UNGRADED_MARK
from mine_report.plan.model import Actual, Source
from mine_report.workbook.guide import SAMPLE_NOTICE
from mine_report.workbook.layout import GOALS_SHEET, GUIDE_SHEET, SUBMITTER_SHEET
from tools.samples import (
    DEPARTMENTS,
    EVERY_GRADE_KPIS,
    SAMPLE_YEAR,
    make_samples,
    meta_from_workbook,
)

YEARS = (2020, 2021, 2022, 2023)

# Slow (the whole sample set, made and built): make check leaves it out, make test runs it.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def samples():
    """{file name: openpyxl workbook} of the committed sample submissions."""
    paths = sorted(SAMPLES_DIR.glob("*.xlsx"))
    return {p.name: openpyxl.load_workbook(p) for p in paths}


def typed_values(wb) -> dict[tuple[str, int], object]:
    """Every actual typed in a workbook, keyed by (KPI or goal id, year)."""
    meta = meta_from_workbook(wb)
    out = {}
    for sm in [*meta.sheets, meta.goals]:
        for kpi_id in sm.kpi_rows:
            for year in sm.year_cols:
                sheet, ref = actual_cell(meta, kpi_id, year)
                value = wb[sheet][ref].value
                if value is not None:
                    out[(kpi_id, year)] = value
    return out


def test_samples_cover_every_measure_exactly_once(samples, shipped_plan):
    assert 6 <= len(samples) <= 10
    assert sorted(samples) == sorted(d.file for d in DEPARTMENTS)
    owners = Counter()
    departments = set()
    for wb in samples.values():
        meta = meta_from_workbook(wb)
        owners.update(sm.measure_id for sm in meta.sheets)
        department = wb[SUBMITTER_SHEET][meta.submitter_cells["department"]].value
        assert department == meta.department
        departments.add(department)
    assert owners == Counter({m.id: 1 for m in shipped_plan.measures})
    assert len(departments) == len(samples)


def test_samples_are_marked_as_invented(samples):
    for name, wb in samples.items():
        meta = meta_from_workbook(wb)
        assert meta.sample is True, name
        assert meta.year == SAMPLE_YEAR
        for sheet in (GUIDE_SHEET, SUBMITTER_SHEET):
            texts = [c.value for row in wb[sheet].iter_rows() for c in row]
            assert SAMPLE_NOTICE in texts, (name, sheet)


def test_samples_are_filled_in_like_a_department_would(samples, shipped_plan):
    marks = []
    for name, wb in samples.items():
        meta = meta_from_workbook(wb)
        values = typed_values(wb)
        for sm in meta.sheets:
            ws = wb[sm.sheet]
            for kpi_id in sm.kpi_rows:
                assert all((kpi_id, y) in values for y in YEARS), (name, kpi_id)
                assert (kpi_id, 2024) not in values
                note = ws[f"{sm.note_col}{sm.kpi_rows[kpi_id]}"].value
                for y in YEARS:
                    if isinstance(values[(kpi_id, y)], str):
                        marks.append((kpi_id, y))
                        assert values[(kpi_id, y)] in ("未把握", "集計中")
                        assert note, f"{kpi_id}: a not-measured value needs its reason"
            for row in sm.initiative_rows.values():
                assert ws[f"{sm.status_col}{row}"].value
                assert len(ws[f"{sm.initiative_text_col}{row}"].value) > 15
            for ref in (sm.achievements_cell, sm.issues_cell, sm.outlook_cell,
                        sm.outlook_text_cell):
                assert ws[ref].value
        submitter = {k: wb[SUBMITTER_SHEET][ref].value for k, ref in meta.submitter_cells.items()}
        assert all(submitter.values()), name
    assert len(marks) >= 3
    statuses = Counter(
        wb[sm.sheet][f"{sm.status_col}{row}"].value
        for wb in samples.values() for sm in meta_from_workbook(wb).sheets
        for row in sm.initiative_rows.values())
    assert {"実施済み", "実施中", "一部実施", "未着手", "中止"} <= set(statuses)


def test_only_the_planning_division_fills_the_goal_indicators(samples, shipped_plan):
    filled = {name for name, wb in samples.items()
              if any(k.startswith("G") for k, _ in typed_values(wb))}
    assert filled == {d.file for d in DEPARTMENTS if d.goals}
    (name,) = filled
    wb = samples[name]
    assert meta_from_workbook(wb).department == "企画政策課"
    values = typed_values(wb)
    assert all((g.id, 2022) in values for g in shipped_plan.goal_indicators)
    assert GOALS_SHEET in wb.sheetnames


def test_chosen_kpis_land_on_every_grade_and_others_vary(samples, shipped_plan):
    grading = pytest.importorskip("mine_report.grading.grade")
    config = pytest.importorskip("mine_report.grading.config")
    rules = config.default_rules()
    values = {}
    for wb in samples.values():
        values.update(typed_values(wb))

    def grade(kpi, year):
        raw = values[(kpi.id, year)]
        source = Source("sample", "", "")
        if isinstance(raw, str):
            actual = Actual(kpi.id, year, None, source, not_measured=True)
        else:
            actual = Actual(kpi.id, year, Decimal(repr(raw)), source)
        return grading.grade_kpi(kpi, year, actual, rules).grade

    chosen = [shipped_plan.kpi(k) for k in EVERY_GRADE_KPIS]
    assert {k.direction for k in chosen} == {"decrease", "maintain"}
    for kpi in chosen:
        assert sorted(grade(kpi, y) for y in YEARS) == ["A", "B", "C", "D"], kpi.id
    current = Counter(grade(k, SAMPLE_YEAR) for k in shipped_plan.kpis)
    assert all(current[g] >= 3 for g in "ABCD"), current
    assert current[UNGRADED_MARK] >= 2


def test_samples_regenerate_to_identical_bytes(tmp_path, shipped_plan, monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    written = make_samples(shipped_plan, tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in SAMPLES_DIR.glob("*.xlsx"))
    for path in written:
        assert path.read_bytes() == (SAMPLES_DIR / path.name).read_bytes(), (
            f"{path.name} is stale: run `.venv/bin/python scripts/make_samples.py`")


def test_samples_pass_validation():
    """The sample set is what a clean year looks like: warnings allowed, no errors."""
    pytest.importorskip("mine_report.intake.checks")
    from mine_report.cli import cli

    if "validate" not in cli.commands:
        pytest.skip("the validate command is not there yet")
    result = CliRunner().invoke(cli, ["validate", str(SAMPLES_DIR)])
    assert result.exit_code == 0, result.output


FINAL_DIR = SAMPLES_DIR.parent / "submissions-final"


def test_final_samples_are_a_year_later_with_the_same_history(samples, tmp_path, shipped_plan,
                                                             monkeypatch):
    """examples/submissions-final: the same returns for 令和6年度, stale-checked like the
    others; 2020–2023 values equal the interim set's, and every KPI has a 2024 value."""
    from tools.samples import FINAL_YEAR

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    written = make_samples(shipped_plan, tmp_path, year=FINAL_YEAR)
    assert sorted(p.name for p in written) == sorted(p.name for p in FINAL_DIR.glob("*.xlsx"))
    for path in written:
        assert path.read_bytes() == (FINAL_DIR / path.name).read_bytes(), (
            f"{path.name} is stale: run `.venv/bin/python scripts/make_samples.py`")
    for name, interim in samples.items():
        final = typed_values(openpyxl.load_workbook(FINAL_DIR / name))
        before = typed_values(interim)
        assert {k: v for k, v in final.items() if k[1] < FINAL_YEAR} == before, name
        ids = {kid for kid, _ in before}
        assert all((kid, FINAL_YEAR) in final for kid in ids), name
    from mine_report.cli import cli

    result = CliRunner().invoke(cli, ["validate", str(FINAL_DIR)])
    assert result.exit_code == 0, result.output
