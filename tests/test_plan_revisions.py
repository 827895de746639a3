"""A plan changes while workbooks are out: what it may change without invalidating them
(E113 only when the sheets' own measures changed), and KPI targets revised mid-period
(graded, printed and checked with the values in force for the evaluated year)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from workbooks import cell_of, edit_workbook, make_filled

from mine_report.intake.reader import read_workbook
from mine_report.plan.load import load_plan, plan_from_dict, plan_to_json

VALUES = {("1-1-1-1", 2023): 530, ("1-1-1-2", 2023): 290100}


@pytest.fixture(scope="module")
def base():
    """The shipped plan as the data a plan file holds (numbers as Decimal)."""
    return json.loads(plan_to_json(load_plan()), parse_float=Decimal)


@pytest.fixture(scope="module")
def sent(tmp_path_factory, base):
    """A workbook sent out for measure 1-1-1 only (no 目標指標 sheet) and filled in."""
    folder = tmp_path_factory.mktemp("sent")
    return make_filled(folder, plan_from_dict(base), "観光振興課.xlsx", VALUES, year=2023,
                       measure_ids=["1-1-1"], goal_ids=[], department="観光振興課")


def changed(base, change) -> object:
    data = copy.deepcopy(base)
    change(data)
    return plan_from_dict(data)


def _read(path, plan):
    submission, problems = read_workbook(path, plan)
    return submission, [p.code for p in problems]


def test_changes_elsewhere_keep_the_workbook_valid(sent, base):
    def elsewhere(d):
        d["title"] = d["title"] + "（令和6年12月改訂）"
        d["strategies"][0]["goal_indicators"][0]["target"] = 3700
        kpis = d["strategies"][1]["policies"][0]["measures"][0]["kpis"]
        kpis.append({**kpis[0], "id": kpis[0]["id"][:-1] + "9", "name": "新しい指標"})
        d["strategies"][0]["policies"][0]["measures"][1]["title"] = "改めた施策名"
    plan = changed(base, elsewhere)
    assert plan.digest != plan_from_dict(base).digest
    submission, codes = _read(sent, plan)
    assert "E113" not in codes and submission is not None
    assert {(a.kpi_id, a.year): int(a.value) for m in submission.measures
            for a in m.actuals} == VALUES


def test_a_change_to_the_sheets_own_measure_is_e113(sent, base):
    def own(d):
        d["strategies"][0]["policies"][0]["measures"][0]["kpis"][0]["target"] = 560
    submission, codes = _read(sent, changed(base, own))
    assert submission is None and codes == ["E113"]


def test_a_change_of_the_goal_sheets_indicators_is_e113(tmp_path, base):
    path = make_filled(tmp_path, plan_from_dict(base), "企画政策課.xlsx", {("G1-1", 2023): 3600},
                       year=2023, measure_ids=[], goal_ids=["G1-1"])

    def goal(d):
        d["strategies"][0]["goal_indicators"][0]["target"] = 3700
    assert _read(path, changed(base, goal))[1] == ["E113"]

    def other_goal(d):
        d["strategies"][1]["goal_indicators"][0]["target"] = Decimal("1.7")
    submission, codes = _read(path, changed(base, other_goal))
    assert "E113" not in codes and submission.goal_actuals[0].value == 3600


# --- target revisions ---------------------------------------------------------------------

REVISION = {"date": "2021-12-01", "reason": "新型コロナの影響を踏まえて見直し",
            "target": Decimal("520")}


def revised(base, **extra):
    def add(d):
        kpi = d["strategies"][0]["policies"][0]["measures"][0]["kpis"][0]  # 1-1-1-1, 540
        kpi["revisions"] = [{**REVISION, **extra}]
    return changed(base, add)


def test_grading_uses_the_target_in_force_for_the_year(base):
    from mine_report.grading.grade import evaluate
    from mine_report.plan.model import Actual, Source

    plan = revised(base)
    kpi = plan.kpi("1-1-1-1")
    assert kpi.target == 540 and kpi.in_force(2020).target == 540
    assert kpi.in_force(2021).target == 520 and kpi.in_force(None).target == 520
    src = Source("x.xlsx", "1-1-1", "M8")
    actuals = {("1-1-1-1", y): Actual("1-1-1-1", y, Decimal(v), src)
               for y, v in ((2020, 505), (2021, 510), (2023, 515))}
    ev = evaluate(plan, actuals, 2023)
    by_year = ev.kpis["1-1-1-1"].by_year
    # 499 (2018) → 540 before the revision, → 520 from 令和3年度: expected = b + (t − b) × n/6
    assert by_year[2020].expected == 499 + Fraction(41 * 2, 6)
    assert by_year[2021].expected == 499 + Fraction(21 * 3, 6)
    assert ev.kpis["1-1-1-1"].kpi.target == 520
    unrevised = evaluate(plan_from_dict(base), actuals, 2023).kpis["1-1-1-1"]
    assert unrevised.by_year[2023].expected > by_year[2023].expected


def test_from_year_overrides_the_dates_year_and_json_round_trips(base, tmp_path):
    plan = revised(base, from_year=2023)
    kpi = plan.kpi("1-1-1-1")
    assert kpi.in_force(2022).target == 540 and kpi.in_force(2023).target == 520
    path = tmp_path / "p.json"
    path.write_text(plan_to_json(plan), encoding="utf-8")
    again = load_plan(path)
    assert again.kpi("1-1-1-1").revisions == kpi.revisions and again.digest == plan.digest


def test_the_template_shows_and_the_reader_expects_the_target_in_force(base, tmp_path):
    plan = revised(base)
    path = make_filled(tmp_path, plan, "a.xlsx", VALUES, year=2023, measure_ids=["1-1-1"],
                       goal_ids=[])
    sheet, cell = cell_of(path, "1-1-1-1", 2023)
    row = cell[1:]
    assert openpyxl.load_workbook(path)[sheet][f"F{row}"].value == 520
    assert "E211" not in _read(path, plan)[1]
    edit_workbook(path, lambda wb: wb[sheet].__setitem__(f"F{row}", 540))
    assert "E211" in _read(path, plan)[1]


def test_a_revision_invalidates_only_the_workbooks_of_its_measure(sent, base, tmp_path):
    assert _read(sent, revised(base))[1] == ["E113"]  # 1-1-1 is on the sent workbook

    def elsewhere(d):
        kpi = d["strategies"][0]["policies"][0]["measures"][1]["kpis"][0]  # 1-1-2-1
        kpi["revisions"] = [REVISION]
    assert "E113" not in _read(sent, changed(base, elsewhere))[1]


def test_a_revision_needs_a_date_a_reason_and_a_value(base):
    from mine_report.common.errors import PlanError

    def broken(d):
        kpi = d["strategies"][0]["policies"][0]["measures"][0]["kpis"][0]
        kpi["revisions"] = [{"date": "昨年", "reason": ""}]
    with pytest.raises(PlanError) as caught:
        changed(base, broken)
    codes = {(p.code, p.path.rsplit(".", 1)[-1]) for p in caught.value.problems}
    assert {("P104", "date"), ("P109", "reason"), ("P117", "revisions[0]")} <= codes, codes


def test_status_takes_the_round_of_a_plan_changed_elsewhere(base, tmp_path):
    from click.testing import CliRunner

    from mine_report.cli import cli
    from mine_report.round.collection import MANIFEST_NAME

    def write(plan, name):
        path = tmp_path / name
        path.write_text(plan_to_json(plan), encoding="utf-8")
        return str(path)

    sent = tmp_path / "sent"
    result = CliRunner().invoke(cli, ["distribute", "--plan", write(plan_from_dict(base), "a.json"),
                                      "--year", "2023", "--output", str(sent)])
    assert result.exit_code == 0, result.output
    returns = tmp_path / "returns"
    returns.mkdir()

    def status(plan):
        return CliRunner().invoke(cli, ["status", str(returns), "--plan", write(plan, "b.json"),
                                        "--manifest", str(sent / MANIFEST_NAME)])

    def elsewhere(d):
        d["title"] += "（改訂）"
    assert status(changed(base, elsewhere)).exit_code == 0
    result = status(revised(base))  # 1-1-1 was sent to 観光振興課
    assert result.exit_code == 2 and "S003" in result.output
