"""A plan changes while workbooks are out: what it may change without invalidating them
(E113 only when the sheets' own measures changed)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest
from workbooks import make_filled

from mine_report.plan import load_plan, plan_from_dict, plan_to_json
from mine_report.reader import read_workbook

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
