"""The collection round end to end: distribute → departments fill → status (with the
deadline passing on an injected date), reminders, the status sheet, the plan's 担当課."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import SAMPLES_DIR, read_meta

from mine_report.cli import cli
from mine_report.plan.load import plan_from_dict, plan_from_json, plan_to_json
from mine_report.round.collection import MANIFEST_NAME, MANIFEST_TEXT_NAME
from tools.samples import WorkbookFiller

DEADLINE = "2025-05-16"
BEFORE, AFTER = "2025-05-12", "2025-05-19"
CONTACT = "担当 岡田（内線 102）"
REMOVED = {"02-norin.xlsx": "農林課", "08-kenko-zoshin.xlsx": "健康増進課"}
BROKEN = ("03-shoko-rodo.xlsx", "1-3-2-1")  # 商工労働課 types 約500 into a 1-3-2 actual

# Slow (distribute and status over the whole plan's round): make check leaves it out, make test runs it.
pytestmark = pytest.mark.slow


def invoke(*args: str):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def status_json(*args: str) -> dict:
    result = invoke("status", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def states(data: dict, state: str) -> set[str]:
    return {m["id"] for m in data["measures"] if m["state"] == state}


# --- the plan's 担当課 -------------------------------------------------------------------


def test_assignment_does_not_enter_the_digest(shipped_plan):
    data = json.loads(plan_to_json(shipped_plan), parse_float=Decimal)
    assert data["assignment_is_example"] is True
    measure = data["strategies"][0]["policies"][0]["measures"][0]
    assert measure["department"] == "観光振興課"
    measure["department"] = "商工労働課"
    data["strategies"][0]["goal_indicators"][0]["department"] = "農林課"
    moved = plan_from_dict(data)
    assert moved.measure("1-1-1").department == "商工労働課"
    assert moved.goal_owner(moved.kpi("G1-1")) == "農林課"
    assert moved.digest == shipped_plan.digest  # workbooks already sent stay valid
    measure["title"] += "（改）"
    assert plan_from_dict(data).digest != shipped_plan.digest
    assert plan_from_json(plan_to_json(shipped_plan)).to_dict() == shipped_plan.to_dict()


def test_a_kpi_cannot_name_a_department(shipped_plan):
    from mine_report.common.errors import PlanError

    data = json.loads(plan_to_json(shipped_plan), parse_float=Decimal)
    data["strategies"][0]["policies"][0]["measures"][0]["kpis"][0]["department"] = "農林課"
    with pytest.raises(PlanError) as caught:
        plan_from_dict(data)
    assert "P108" in str(caught.value.problems[0].code)


def test_shipped_assignment_matches_who_filed_the_samples(shipped_plan):
    from mine_report.intake import checks

    report = checks.validate_files(checks.collect_paths([SAMPLES_DIR], shipped_plan),
                                   shipped_plan, jobs=1)
    for sub in report.usable()[0]:
        for measure in sub.measures:
            assert shipped_plan.measure(measure.measure_id).department == sub.department
        if sub.goal_actuals:
            assert {shipped_plan.goal_owner(g) for g in shipped_plan.goal_indicators} \
                == {sub.department}
    assert all(m.department for m in shipped_plan.measures)


# --- status on the sample submissions ----------------------------------------------------


@pytest.fixture(scope="module")
def sample_round(tmp_path_factory):
    """The samples with two files removed and one broken, and a distribution record of
    the same year (deadline DEADLINE)."""
    root = tmp_path_factory.mktemp("samples")
    returns = root / "returns"
    shutil.copytree(SAMPLES_DIR, returns)
    for name in REMOVED:
        (returns / name).unlink()
    filler = WorkbookFiller(returns / BROKEN[0])
    filler.actual(BROKEN[1], 2023, "約500")
    filler.save(returns / BROKEN[0])
    result = invoke("distribute", "--year", "R5", "--output", root / "dist",
                    "--deadline", DEADLINE, "--contact", CONTACT)
    assert result.exit_code == 0, result.output
    return root


def test_status_marks_removed_and_broken_measures(sample_round, shipped_plan):
    data = status_json(sample_round / "returns")
    assert states(data, "missing") == {"1-2-1", "1-2-2", "5-1-2", "4-1-2"}
    assert states(data, "errors") == {"1-3-2"}
    assert len(states(data, "submitted")) == 38 - 5
    broken = next(m for m in data["measures"] if m["id"] == "1-3-2")
    assert broken == {"id": "1-3-2", "title": shipped_plan.measure("1-3-2").title,
                      "department": "商工労働課", "state": "errors",
                      "files": [BROKEN[0]], "errors": 1}
    by_dept = {d["department"]: d for d in data["departments"]}
    assert by_dept["農林課"]["state"] == "missing" and by_dept["農林課"]["files"] == []
    assert by_dept["農林課"]["counts"] == {"submitted": 0, "errors": 0, "missing": 3}
    assert by_dept["健康増進課"]["missing"] == ["4-1-2"]
    assert by_dept["商工労働課"]["state"] == "errors"
    assert by_dept["商工労働課"]["counts"] == {"submitted": 5, "errors": 1, "missing": 0}
    assert {d for d, v in by_dept.items() if v["state"] == "submitted"} == {
        "観光振興課", "子育て支援課", "学校教育課", "企画政策課", "総務防災課", "都市計画課",
        "世界ジオパーク推進課"}
    assert data["uncovered"] == ["1-2-1", "1-2-2", "4-1-2", "5-1-2"]
    assert data["late"] == [] and data["deadline"] is None  # no record: no deadline
    # The sample's 未把握 and 集計中 of the evaluation year, for follow-up.
    assert {(f["kpi"], f["department"]) for f in data["follow_up"]} == {
        ("3-1-1-2", "観光振興課"), ("G1-1", "企画政策課")}
    assert data["summary"]["errors"] == 1


def test_late_departments_get_reminders_naming_their_measures(sample_round, shipped_plan,
                                                              tmp_path):
    returns, dist = sample_round / "returns", sample_round / "dist"
    before = status_json(returns, "--manifest", dist, "--today", DEADLINE)
    assert before["late"] == [] and before["deadline_passed"] is False
    result = invoke("status", returns, "--manifest", dist / MANIFEST_NAME, "--today", AFTER,
                    "--reminders", tmp_path / "rem")
    assert result.exit_code == 0, result.output
    assert "期限を過ぎて未提出の課: 農林課、健康増進課" in result.stdout
    assert sorted(p.name for p in (tmp_path / "rem").iterdir()) == [
        "健康増進課_督促.txt", "農林課_督促.txt"]
    raw = (tmp_path / "rem" / "農林課_督促.txt").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    letter = raw.decode("utf-8-sig")
    for mid in ("1-2-1", "1-2-2", "5-1-2"):
        assert f"施策 {mid}　{shipped_plan.measure(mid).title}" in letter
    named = {m.id for m in shipped_plan.measures if f"施策 {m.id}　" in letter}
    assert named == {"1-2-1", "1-2-2", "5-1-2"}
    assert letter.startswith("農林課 ご担当者様")
    assert "令和7年5月16日（金）" in letter and CONTACT in letter and "農林課.xlsx" in letter
    assert "お願いいたします" in letter
    other = (tmp_path / "rem" / "健康増進課_督促.txt").read_text(encoding="utf-8-sig")
    assert "施策 4-1-2　" in other and "1-2-1" not in other


def test_unreadable_return_counts_against_the_department_its_name_carries(sample_round,
                                                                           tmp_path):
    returns = tmp_path / "returns"
    shutil.copytree(sample_round / "returns", returns)
    (returns / "農林課.xlsx").write_bytes((SAMPLES_DIR / "02-norin.xlsx").read_bytes()[:3000])
    (returns / "メモ.xlsx").write_text("来週提出します", encoding="utf-8")
    data = status_json(returns, "--manifest", sample_round / "dist", "--today", AFTER)
    farm = next(d for d in data["departments"] if d["department"] == "農林課")
    assert farm["state"] == "errors" and farm["files"] == ["農林課.xlsx"] and not farm["late"]
    assert states(data, "errors") == {"1-3-2", "1-2-1", "1-2-2", "5-1-2"}
    assert data["late"] == ["健康増進課"]
    assert data["unattributed_files"] == ["メモ.xlsx"]


def test_status_usage_errors(sample_round, tmp_path):
    returns = sample_round / "returns"
    bad_date = invoke("status", returns, "--today", "5月の終わり")
    assert bad_date.exit_code == 2
    assert "--today の指定が正しくありません" in bad_date.output
    record = json.loads((sample_round / "dist" / MANIFEST_NAME).read_text(encoding="utf-8"))
    record["plan"]["digest"] = "0" * 64  # another plan: its sheets differ too
    record["plan"]["sheets"] = dict.fromkeys(record["plan"]["sheets"], "0" * 64)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    wrong = invoke("status", returns, "--manifest", other)
    assert wrong.exit_code == 2 and "異なる計画" in wrong.output
    other.write_text("{", encoding="utf-8")
    broken = invoke("status", returns, "--manifest", other)
    assert broken.exit_code == 1 and "配布記録の形式が正しくありません" in broken.output
    same = invoke("status", returns, "--reminders", returns)
    assert same.exit_code == 2 and "返却フォルダと同じ" in same.output
    assert "Traceback" not in wrong.output + broken.output + same.output


# --- distribute → fill → status ----------------------------------------------------------


@pytest.fixture(scope="module")
def distributed(tmp_path_factory):
    """令和6年度 workbooks for every department, prefilled from the sample returns of
    令和5年度, with a deadline and contact."""
    root = tmp_path_factory.mktemp("round")
    result = invoke("distribute", "--year", "令和6年度", "--output", root / "dist",
                    "--prefill", SAMPLES_DIR, "--deadline", DEADLINE, "--contact", CONTACT)
    assert result.exit_code == 0, result.output
    assert "10 課分の様式と配布記録を書き出しました" in result.stdout
    assert "例示" in result.output  # the shipped assignment is an example
    return root


def test_distribute_writes_each_department_its_own_workbook(distributed, shipped_plan):
    dist = distributed / "dist"
    names = sorted(p.name for p in dist.iterdir())
    assert names == sorted([f"{d}.xlsx" for d in shipped_plan.departments()]
                           + [MANIFEST_NAME, MANIFEST_TEXT_NAME])
    tourism = read_meta(dist / "観光振興課.xlsx")
    assert [s.measure_id for s in tourism.sheets] == ["1-1-1", "1-1-2", "1-1-3", "3-1-1", "3-1-2"]
    assert tourism.goals is None and tourism.department == "観光振興課" and tourism.year == 2024
    planning = read_meta(dist / "企画政策課.xlsx")
    assert set(planning.goals.kpi_rows) == {g.id for g in shipped_plan.goal_indicators}
    wb = openpyxl.load_workbook(dist / "観光振興課.xlsx")
    guide = {row[1]: row[2] for row in wb["記入要領"].iter_rows(values_only=True) if row[1]}
    assert guide["提出期限"] == "令和7年5月16日（金）"
    assert guide["問い合わせ先"] == f"美祢市 総合政策部 企画政策課　{CONTACT}"
    assert "目標指標" not in wb.sheetnames and "目標指標" not in guide
    # Prefilled from last year's returns: the 2023 actual as the sample reported it.
    sheet = tourism.sheets[0]
    assert wb["1-1-1"][f"{sheet.year_cols[2023]}{sheet.kpi_rows['1-1-1-1']}"].value == \
        openpyxl.load_workbook(SAMPLES_DIR / "01-kanko-shinko.xlsx")["1-1-1"][
            f"{sheet.year_cols[2023]}{sheet.kpi_rows['1-1-1-1']}"].value
    record = json.loads((dist / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert record["deadline"] == DEADLINE and record["contact"] == CONTACT
    assert record["year"] == 2024 and record["prefill"]["source"] == "submissions"
    assert record["prefill"]["values"]["3-1-1-2"]["2023"] == "未把握"
    text = (dist / MANIFEST_TEXT_NAME).read_text(encoding="utf-8")
    assert "提出期限: 令和7年5月16日（金）" in text and "観光振興課\t観光振興課.xlsx\t1-1-1、" in text


def test_distribute_is_reproducible_and_leaves_nothing_half_written(distributed, tmp_path):
    again = tmp_path / "again"
    result = invoke("distribute", "--year", "R6", "--output", again, "--prefill", SAMPLES_DIR,
                    "--deadline", "令和7年5月16日", "--contact", CONTACT)
    assert result.exit_code == 0
    for path in (distributed / "dist").iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    bad = invoke("distribute", "--year", "R6", "--output", tmp_path / "x", "--deadline", "来週")
    assert bad.exit_code == 2 and "--deadline の指定が正しくありません" in bad.output
    assert not (tmp_path / "x").exists()
    previous = tmp_path / "previous"
    shutil.copytree(SAMPLES_DIR, previous)
    before = {p.name: p.read_bytes() for p in previous.iterdir()}
    clash = invoke("distribute", "--year", "R6", "--output", previous, "--prefill", previous)
    assert clash.exit_code == 2 and "上書きしない" in clash.output
    assert {p.name: p.read_bytes() for p in previous.iterdir()} == before


def _fill(dist: Path, returns: Path, department: str, plan, *, correction=None, note=None):
    """What a department does: open its workbook, type this year's actuals, send it back."""
    path = returns / f"{department}.xlsx"
    shutil.copy(dist / f"{department}.xlsx", path)
    filler = WorkbookFiller(path)
    kpis = [k for sm in filler.meta.sheets for k in plan.measure(sm.measure_id).kpis]
    kpis += [plan.kpi(g) for g in (filler.meta.goals.kpi_rows if filler.meta.goals else {})]
    for kpi in kpis:
        filler.actual(kpi.id, 2024, kpi.target)
    if note:
        filler.actual(note[0], 2024, "未把握")
        filler.note(note[0], note[1])
    if correction:
        filler.actual(*correction)
    filler.submitter(person="美祢 花子", phone="0837-52-1111")
    filler.save(path)
    return path


def test_round_from_distribution_to_the_deadline(distributed, shipped_plan, tmp_path):
    dist, returns = distributed / "dist", tmp_path / "returns"
    returns.mkdir()
    empty = status_json(returns, "--manifest", dist, "--today", BEFORE)
    assert states(empty, "missing") == {m.id for m in shipped_plan.measures}
    assert empty["late"] == [] and empty["deadline"] == DEADLINE

    # 観光振興課 answers, correcting last year's 未把握; 企画政策課 sends the goals back
    # with one marked 未把握 (its note tries markup); 農林課 returns its file untouched.
    _fill(dist, returns, "観光振興課", shipped_plan, correction=("3-1-1-2", 2023, 41000))
    _fill(dist, returns, "企画政策課", shipped_plan,
          note=("G1-1", "<script>alert(1)</script>統計の公表前"))
    shutil.copy(dist / "農林課.xlsx", returns / "農林課.xlsx")

    data = status_json(returns, "--manifest", dist, "--today", BEFORE)
    by_dept = {d["department"]: d for d in data["departments"]}
    assert by_dept["観光振興課"]["state"] == "submitted"
    assert by_dept["企画政策課"]["counts"] == {"submitted": 15, "errors": 0, "missing": 0}
    assert by_dept["農林課"]["state"] == "missing" and by_dept["農林課"]["files"] == ["農林課.xlsx"]
    assert data["late"] == []
    assert data["corrections"] == [{
        "kpi": "3-1-1-2", "name": shipped_plan.kpi("3-1-1-2").name, "year": 2023,
        "before": "未把握", "after": "41000", "department": "観光振興課",
        "file": "観光振興課.xlsx", "cell": data["corrections"][0]["cell"]}]
    assert [(f["kpi"], f["note"]) for f in data["follow_up"]] == [
        ("G1-1", "<script>alert(1)</script>統計の公表前")]

    # The deadline passes: every department that owes something is late.
    result = invoke("status", returns, "--manifest", dist, "--today", AFTER,
                    "--reminders", tmp_path / "rem", "--sheet", tmp_path / "sheet")
    assert result.exit_code == 0, result.output
    late = sorted(p.name.removesuffix("_督促.txt") for p in (tmp_path / "rem").iterdir())
    assert late == sorted(set(shipped_plan.departments()) - {"観光振興課", "企画政策課"})
    html = (tmp_path / "sheet" / "提出状況.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "令和7年5月16日（金）（期限を過ぎています）" in html
    ws = openpyxl.load_workbook(tmp_path / "sheet" / "提出状況.xlsx")["提出状況"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    assert rows["農林課"][1:5] == ("未提出", 0, 0, 3) and rows["農林課"][7] == "期限超過"
    assert rows["観光振興課"][1] == "提出済み" and rows["観光振興課"][7] == ""
    cells = [c for row in ws.iter_rows() for c in row if c.value and "<script>" in str(c.value)]
    assert cells and all(c.data_type == "s" for c in cells)


def test_status_sheet_is_reproducible(sample_round, tmp_path):
    for name in ("a", "b"):
        result = invoke("status", sample_round / "returns", "--manifest", sample_round / "dist",
                        "--today", AFTER, "--sheet", tmp_path / name)
        assert result.exit_code == 0, result.output
    for name in ("提出状況.xlsx", "提出状況.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


# --- the round's history -----------------------------------------------------------------


def test_builds_record_the_files_they_used(tmp_path, shipped_plan):
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES_DIR, returns)

    def build(out: Path):
        result = invoke("build", "--input", returns, "--output", out, "--no-pdf")
        assert result.exit_code == 0, result.output

    build(tmp_path / "out")
    build(tmp_path / "out")  # the same files again: nothing new to record
    history = tmp_path / "out" / "round_history.jsonl"
    first = history.read_bytes()
    assert len(first.splitlines()) == 1
    filler = WorkbookFiller(returns / "02-norin.xlsx")
    filler.actual("1-2-1-1", 2023, 123)
    filler.save(returns / "02-norin.xlsx")
    build(tmp_path / "out")
    text = history.read_bytes()
    assert text.startswith(first) and len(text.splitlines()) == 2  # appended, not rewritten
    line = json.loads(text.splitlines()[1])
    assert line["build"] == 2 and line["year"] == 2023 and len(line["files"]) == 10

    from mine_report.round.history import history_rows, load_history

    rows = {r.department: r for r in history_rows(load_history(history)[1], 2023)}
    assert rows["農林課"].corrections == "1回（第2回集計）"
    assert rows["観光振興課"].corrections == "なし"
    assert rows["農林課"].first.startswith("第1回集計（02-norin.xlsx）")

    result = invoke("status", returns, "--history", history)
    assert "提出の経過" in result.stdout
    assert "農林課: 初回 第1回集計（02-norin.xlsx）、修正 1回（第2回集計）" in result.stdout
    filler.actual("1-2-1-1", 2023, 124)
    filler.save(returns / "02-norin.xlsx")
    result = invoke("status", returns, "--history", history, "--json")
    assert json.loads(result.stdout)["not_built"] == ["02-norin.xlsx"]


def test_broken_history_stops_the_build_before_writing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "round_history.jsonl").write_text("{not json\n", encoding="utf-8")
    result = invoke("build", "--input", SAMPLES_DIR, "--output", out, "--no-pdf")
    assert result.exit_code == 1 and "1 行目" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["round_history.jsonl"]


def test_merged_workbook_names_who_owes_a_missing_measure(tmp_path):
    returns = tmp_path / "returns"
    shutil.copytree(SAMPLES_DIR, returns)
    (returns / "08-kenko-zoshin.xlsx").unlink()
    result = invoke("build", "--input", returns, "--output", tmp_path / "out", "--no-pdf")
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(tmp_path / "out" / "kpi_merged.xlsx")["提出状況"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["4-1-2"][2:5] == ("未提出", "健康増進課", "")
    assert rows["4-1-1"][2:5] == ("提出済", "総務防災課", "07-somu-bosai.xlsx")
