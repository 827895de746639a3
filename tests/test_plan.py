"""The shipped plan: counts, ids and KPIs checked field by field against the seed."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from mine_report.plan.load import load_plan, plan_from_json, plan_to_json


@pytest.fixture(scope="module")
def plan():
    return load_plan()


def test_counts(plan):
    assert len(plan.strategies) == 5
    assert len(plan.policies) == 15
    assert len(plan.measures) == 38
    assert len(plan.kpis) == 78
    assert len(plan.goal_indicators) == 7
    assert [len(s.goal_indicators) for s in plan.strategies] == [3, 1, 1, 1, 1]
    assert sum(1 for _ in plan.initiatives()) == 137


def test_ids_unique_and_well_formed(plan):
    ids = [s.id for s in plan.strategies] + [g.id for g in plan.goal_indicators]
    ids += [p.id for p in plan.policies] + [m.id for m in plan.measures]
    ids += [k.id for k in plan.kpis] + [i.id for i in plan.initiatives()]
    assert len(ids) == len(set(ids))
    assert [g.id for g in plan.goal_indicators] == ["G1-1", "G1-2", "G1-3", "G2-1", "G3-1", "G4-1", "G5-1"]
    for m in plan.measures:
        assert re.fullmatch(r"\d-\d-\d", m.id)
        for n, k in enumerate(m.kpis, 1):
            assert k.id == f"{m.id}-{n}"
        for n, i in enumerate(m.initiatives, 1):
            assert i.id == f"{m.id}-i{n}"
    assert plan.measures[0].id == "1-1-1" and plan.measures[-1].id == "5-2-1"


# (id, name, unit, baseline, baseline_year, target, target_year, direction, cumulative)
SEED_KPIS = [
    ("1-1-1-1", "三洞入洞者数", "千人", "499", 2018, "540", 2024, "increase", False),
    ("1-1-1-2", "道の駅の商品販売額", "千円", "279072", 2018, "293026", 2024, "increase", False),
    ("1-1-3-1", "秋吉台地域公衆トイレの洋式化率", "%", "42.2", 2018, "60.0", 2024, "increase", False),
    ("1-3-1-1", "美祢社会復帰促進センターでの作業・職業訓練に関わる市内企業の数", "社", "7", 2018, "10", 2024, "increase", False),
    ("1-3-1-2", "日本語ボランティア団体の設立", "団体", None, 2018, "1", 2024, "increase", False),
    ("1-3-2-2", "市内の高校の新卒者の美祢市内就職率", "%", "9", 2018, "15", 2024, "increase", False),
    ("1-2-2-3", "認定新規就農者数（青年等就農計画H24～累計）", "人", "10", 2018, "13", 2024, "increase", True),
    ("2-1-1-1", "山口県結婚応援センター登録者数（H29年度以降累計）", "人", "1", 2018, "8", 2024, "increase", True),
    ("2-1-3-1", "地域子育て支援拠点延べ利用児童数", "人", "1522", 2018, "1500", 2024, "maintain", False),
    ("2-2-2-1", "放課後子ども教室延べ事業参加人数", "人", "5000", 2018, "5000", 2024, "maintain", False),
    ("2-3-1-2", "市内中学校へ入学する生徒の割合", "%", "92.5", 2019, "95.0", 2024, "increase", False),
    ("4-1-2-2", "要支援・要介護認定率", "%", "18.7", 2018, "18.5", 2024, "decrease", False),
    ("4-1-2-4", "認知症サポーター養成講座受講者数（年間）", "人", "304", 2018, "300", 2024, "maintain", False),
    ("4-2-1-1", "1日当たりのジオタクの利用者数", "人", "64", 2018, "79", 2022, "increase", False),
    ("4-2-1-3", "商業施設との地域公共交通連携事業取組数", "件", "1", 2018, "3", 2021, "increase", False),
    ("4-2-2-2", "公共施設マネジメント（削減面積）", "m²", "0", 2018, "22500", 2024, "increase", False),
    ("4-2-3-2", "市内に路線バスを乗り入れる事業者数", "者", "6", 2018, "6", 2024, "maintain", False),
    ("5-1-2-1", "人工林の間伐面積", "ha", "222", 2017, "290", 2024, "increase", False),
    ("5-1-2-3", "公共施設等における太陽光発電設備の設置数", "件", "4", 2020, "8", 2024, "increase", False),
    ("5-2-1-1", "マイナンバーカード発行枚数（累計）", "枚", "2937", 2018, "4293", 2023, "increase", True),
    ("5-2-1-3", "デジタル技術を活用した新規事業等の取組件数", "件", "7", 2020, "21", 2024, "increase", False),
]


@pytest.mark.parametrize("row", SEED_KPIS, ids=[r[0] for r in SEED_KPIS])
def test_kpi_matches_seed(plan, row):
    kid, name, unit, baseline, by, target, ty, direction, cumulative = row
    k = plan.kpi(kid)
    assert k.name == name
    assert k.unit == unit
    assert k.baseline == (None if baseline is None else Decimal(baseline))
    assert (k.baseline_year, k.target, k.target_year) == (by, Decimal(target), ty)
    assert k.direction == direction
    assert k.cumulative is cumulative


def test_decimals_kept_as_written(plan):
    assert str(plan.kpi("1-1-3-1").baseline) == "42.2"
    assert str(plan.kpi("1-1-3-1").target) == "60.0"


def test_directions_and_missing_baselines(plan):
    assert [k.id for k in plan.kpis if k.direction == "decrease"] == ["4-1-2-2"]
    maintain = {k.id for k in plan.kpis if k.direction == "maintain"}
    assert {"2-1-3-1", "2-2-2-1", "4-1-2-4", "4-2-3-2"} <= maintain
    for k in plan.kpis:
        if k.direction == "increase" and k.baseline is not None:
            assert k.target > k.baseline, k.id
        if k.direction == "maintain":
            assert k.target <= k.baseline, k.id
        assert k.cumulative == ("累計" in k.name), k.id
    assert len([k for k in plan.kpis if k.baseline is None]) == 9


def test_text_extraction_errors_fixed(plan):
    dump = plan_to_json(plan)
    for wrong in ("美祿", "美称", "m ²", "ふるさどがつながり", "訪りたい", "<p>", "\t"):
        assert wrong not in dump
    assert plan.strategies[2].title.startswith("「訪れたい")
    assert plan.goal_indicators[3].name == "合計特殊出生率"
    assert plan.title == "第2期美祢市まち・ひと・しごと創生総合戦略"
    assert (plan.period_start, plan.period_end) == (2020, 2024)


def test_json_round_trip(plan):
    again = plan_from_json(plan_to_json(plan))
    assert again == plan
    assert again.digest == plan.digest


def test_json_shape(plan):
    data = plan.to_dict()
    assert data["period"] == {"start": 2020, "end": 2024}
    k = data["strategies"][0]["policies"][0]["measures"][0]["kpis"][0]
    assert k == {"id": "1-1-1-1", "name": "三洞入洞者数", "unit": "千人", "baseline": 499,
                 "baseline_year": 2018, "target": 540, "target_year": 2024,
                 "direction": "increase", "cumulative": False}
    i = data["strategies"][0]["policies"][0]["measures"][0]["initiatives"][0]
    assert set(i) == {"id", "title", "schedule"} and i["id"] == "1-1-1-i1"
