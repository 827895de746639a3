"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from mine_report.common import runtime

# First, as the CLI's main() does: how openpyxl writes is fixed when it is first imported.
runtime.prepare()

# --- templates and sample workbooks (owned by the template's developer) ------------------


@pytest.fixture(scope="session")
def shipped_plan():
    """The default plan (第2期美祢市まち・ひと・しごと創生総合戦略), loaded once."""
    from mine_report.plan.load import load_plan

    return load_plan()


@pytest.fixture(scope="session")
def blank_template(tmp_path_factory, shipped_plan):
    """A blank template of the default plan (all measures, no evaluation year), made once.
    Read it only: copy it before changing it."""
    from workbooks import make_template

    return make_template(tmp_path_factory.mktemp("template"), shipped_plan)


# --- a realistic graded year for the report tests (owned by the report's developer) ------

#: A department comment that tries to inject markup, a local file, a remote image and an
#: Excel formula; the report must print it as text and fetch nothing.
INJECTED_COMMENT = ('DMOの設立準備を進めた。<img src="file:///etc/passwd"> '
                    '資料は http://example.com/x.png を参照。=HYPERLINK("http://example.com")')
#: Departments by strategy; measure 2-2-3 is left unsubmitted.
REPORT_DEPARTMENTS = {"1": "観光振興課", "2": "子育て支援課", "3": "地域振興課",
                      "4": "総務課", "5": "企画政策課"}
REPORT_UNSUBMITTED = "2-2-3"
REPORT_YEAR = 2023


def _report_value(kpi, year: int, i: int):
    """A plausible actual: progress towards the target at a varying pace, so that every
    grade occurs; written at the KPI's own precision as a department would."""
    from decimal import Decimal

    baseline = kpi.baseline if kpi.baseline is not None else Decimal(0)
    places = max(-kpi.target.as_tuple().exponent, -baseline.as_tuple().exponent, 0)
    pace = (Decimal("1.15"), Decimal("0.9"), Decimal("0.5"), Decimal("-0.2"))[(i + year) % 4]
    if kpi.direction == "maintain":
        value = kpi.target * (Decimal("1.04"), Decimal("0.95"), Decimal("0.85"),
                              Decimal("0.7"))[(i + year) % 4]
    else:
        share = Decimal(min(year - kpi.baseline_year, kpi.target_year - kpi.baseline_year)) / \
            Decimal(kpi.target_year - kpi.baseline_year)
        value = baseline + (kpi.target - baseline) * share * pace
    return max(value, Decimal(0)).quantize(Decimal(1).scaleb(-places))


def make_report_inputs(year: int = REPORT_YEAR):
    """(merged, evaluation) for a year of invented but realistic submissions: one workbook
    per strategy, every KPI and goal indicator with actuals 2020…year (a few not measured
    or blank), initiative statuses and texts, comments, warnings, one measure missing."""
    from mine_report.grading.config import default_rules
    from mine_report.grading.grade import evaluate
    from mine_report.grading.merge import merge
    from mine_report.plan.load import load_plan
    from mine_report.plan.model import (
        Actual,
        InitiativeReport,
        MeasureReport,
        Problem,
        Source,
        Submission,
    )
    from mine_report.workbook.layout import OUTLOOKS, STATUSES

    plan = load_plan()
    years = [y for y in plan.years if y <= year]

    def actual(kpi, y: int, i: int, file: str, sheet: str) -> Actual:
        source = Source(file, sheet, f"{'JKLMN'[y - plan.period_start]}{10 + i % 7}")
        if (i * 7 + y) % 23 == 0:
            return Actual(kpi.id, y, None, source, not_measured=True, reason="統計の公表待ち")
        if (i * 5 + y) % 31 == 0:
            return Actual(kpi.id, y, None, source)
        return Actual(kpi.id, y, _report_value(kpi, y, i), source)

    submissions = []
    counter = 0
    for s in plan.strategies:
        department = REPORT_DEPARTMENTS[s.id]
        file = f"R5_重点戦略{s.id}_{department}.xlsx"
        reports = []
        for m in s.measures:
            if m.id == REPORT_UNSUBMITTED:
                continue
            actuals = []
            for k in m.kpis:
                counter += 1
                actuals += [actual(k, y, counter, file, m.id) for y in years]
            initiatives = tuple(
                InitiativeReport(
                    ini.id, STATUSES[(n + len(m.id)) % len(STATUSES)],
                    f"{ini.title}について関係団体と協議し、計画どおり事業を進めた。"
                    + ("参加者アンケートでは満足度が高く、次年度も継続して実施する。" * (n % 2)),
                    Source(file, m.id, f"E{30 + n}"))
                for n, ini in enumerate(m.initiatives))
            reports.append(MeasureReport(
                measure_id=m.id, sheet=m.id, actuals=tuple(actuals), initiatives=initiatives,
                achievements=INJECTED_COMMENT if m.id == "1-1-1" else
                f"{m.title}に関する取組を進め、{len(m.initiatives)}件の事業を実施した。",
                issues="担い手の確保と、事業効果の把握方法の検討が必要である。",
                outlook=OUTLOOKS[len(reports) % len(OUTLOOKS)],
                outlook_text="関係機関と連携し、取組を継続する。",
                notes=((m.kpis[0].id, "令和5年度は速報値"),) if m.id == "1-2-1" else (),
            ))
        goal_actuals = ()
        if s.id == "5":
            goal_actuals = tuple(actual(g, y, n, file, "目標指標")
                                 for n, g in enumerate(plan.goal_indicators) for y in years)
        submissions.append(Submission(
            path=f"/data/inbox/{file}", sha256=f"{int(s.id) * 0x1111:04x}" * 16,
            department=department, person=f"担当者{s.id}", year=year,
            measures=tuple(reports), goal_actuals=goal_actuals))
    warnings = [
        Problem("W101", "warning", "全角数字を半角に直して読みました", submissions[0].name,
                "1-1-1", "K10", "1-1-1-1", "５２０"),
        Problem("W104", "warning", "単位「千人」を取り除いて読みました", submissions[2].name,
                "3-1-1", "L11", "3-1-1-1", "2,600人"),
    ]
    merged = merge(plan, submissions, year, warnings=warnings)
    evaluation = evaluate(plan, merged.actuals, year, default_rules(),
                          unsubmitted=merged.unsubmitted)
    return merged, evaluation


@pytest.fixture(scope="session")
def report_inputs():
    """A realistic (merged, evaluation) pair for 令和5年度, built once per test session."""
    return make_report_inputs()


# --- returned workbooks (owned by the validator's developer) -----------------------------


@pytest.fixture(scope="session")
def department_workbook(tmp_path_factory, shipped_plan):
    """A correctly filled 観光振興課 workbook (see workbooks.make_department_workbook), made
    once. Read it only: use `returned` for a copy to damage."""
    from workbooks import make_department_workbook

    return make_department_workbook(tmp_path_factory.mktemp("returned"), shipped_plan)


@pytest.fixture
def returned(tmp_path, department_workbook):
    """A fresh copy of the filled department workbook in tmp_path/in/, to damage."""
    import shutil

    folder = tmp_path / "in"
    folder.mkdir()
    return Path(shutil.copy(department_workbook, folder / department_workbook.name))
