"""validate: problems that only show across files."""

from __future__ import annotations

import shutil

from workbooks import (
    FILLED_YEAR,
    cell_of,
    edit_workbook,
    make_filled,
    problems_of,
    validate_json,
)

from mine_report.intake.checks import collect_paths, validate_files


def second_copy(returned, name: str, change=None):
    """The same workbook returned by another department (named as the file)."""
    other = returned.parent / name

    def edit(wb):
        wb["提出者情報"]["B5"].value = name.removesuffix(".xlsx")
        wb["提出者情報"]["B6"].value = "長門 花子"
        if change:
            change(wb)

    return edit_workbook(returned, edit, other)


def test_same_measure_with_the_same_values_is_a_warning(returned):
    second_copy(returned, "商工観光課.xlsx")
    code, doc = validate_json(str(returned.parent))
    assert code == 0
    problems = problems_of(doc, "観光振興課.xlsx")  # sorted: 商工観光課 comes first
    assert [(p["code"], p["sheet"]) for p in problems] == [("W401", "1-1-1"), ("W401", "1-1-2")]
    assert "商工観光課.xlsx" in problems[0]["message"]


def test_same_measure_with_different_values_is_an_error_naming_both(returned):
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    second_copy(returned, "商工観光課.xlsx", lambda wb: wb[sheet].__setitem__(cell, 531))
    code, doc = validate_json(str(returned.parent))
    assert code == 1
    [conflict] = [p for p in problems_of(doc) if p["code"] == "E401"]
    assert (conflict["sheet"], conflict["cell"], conflict["kpi"]) == ("1-1-1", cell, "1-1-1-1")
    assert "商工観光課.xlsx" in conflict["message"] and f"1-1-1!{cell}: 531" in conflict["message"]
    assert conflict["value"] == "530"
    assert [p["code"] for p in problems_of(doc)].count("W401") == 1  # 1-1-2 is identical


def test_two_copies_of_one_file_are_read_once(returned, shipped_plan):
    shutil.copy(returned, returned.parent / "観光振興課 - コピー.xlsx")
    code, doc = validate_json(str(returned.parent))
    assert code == 0
    [copy] = problems_of(doc, "観光振興課.xlsx")
    assert copy["code"] == "W402" and "観光振興課 - コピー.xlsx" in copy["message"]
    assert doc["summary"] == {"files": 2, "errors": 0, "warnings": 1}
    report = validate_files(collect_paths([returned.parent], shipped_plan), shipped_plan)
    assert [f.submission is not None for f in report.files] == [True, False]
    assert len(report.usable()[0]) == 1
    assert report.files[1].department == "観光振興課"


def test_workbook_of_another_evaluation_year_is_a_warning(returned, shipped_plan):
    folder = returned.parent
    for name, mid, kpi in (("農林課.xlsx", "1-2-1", "1-2-1-1"), ("商工労働課.xlsx", "1-3-1", "1-3-1-1")):
        make_filled(folder, shipped_plan, name, {(kpi, FILLED_YEAR): 2}, year=FILLED_YEAR,
                    measure_ids=[mid], department=name[:-5])
    make_filled(folder, shipped_plan, "昨年度.xlsx", {("4-1-1-1", 2022): 3000}, year=2022,
                measure_ids=["4-1-1"], department="総務課")
    code, doc = validate_json(str(folder))
    assert code == 0
    [stale] = [p for p in problems_of(doc) if p["code"] == "W403"]
    assert stale in problems_of(doc, "昨年度.xlsx")
    assert "令和4年度" in stale["message"] and "令和5年度" in stale["message"]


def test_usable_leaves_out_exactly_the_parts_with_errors(returned, shipped_plan):
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    def another_department(wb):
        wb[sheet][cell] = "不明"
        wb["提出者情報"]["B5"] = "商工観光課"

    broken = edit_workbook(returned, another_department, returned.parent / "誤りあり.xlsx")
    edit_workbook(broken, lambda wb: wb.remove(wb["1-1-2"]))
    report = validate_files(collect_paths([returned.parent], shipped_plan), shipped_plan)
    assert report.errors >= 1
    # the conflict (E401) is attached to the later file, which has its own error anyway
    assert {p.measure_id for p in report.cross_problems if p.is_error} == {"1-1-1"}
    submissions, left_out = report.usable()
    assert [s.name for s in submissions] == ["観光振興課.xlsx", "誤りあり.xlsx"]
    # 1-1-1 is filled differently in both: left out of both; the rest of the first stays
    assert [[m.measure_id for m in s.measures] for s in submissions] == [["1-1-2"], []]
    assert [what for what, _reason in left_out] == ["施策 1-1-1", "誤りあり.xlsx 施策 1-1-1"]


def test_goal_indicators_are_read_and_compared_across_files(tmp_path, shipped_plan):
    from mine_report.intake.reader import read_workbook

    folder = tmp_path / "in"
    folder.mkdir()
    first = make_filled(folder, shipped_plan, "企画政策課.xlsx", {("G1-1", FILLED_YEAR): 3601},
                        year=FILLED_YEAR, measure_ids=["5-2-1"], department="企画政策課")
    make_filled(folder, shipped_plan, "統計担当.xlsx", {("G1-1", FILLED_YEAR): 3599},
                year=FILLED_YEAR, measure_ids=["5-2-1"], department="統計担当")
    sub, problems = read_workbook(first, shipped_plan)
    # the other six goal indicators were left blank for the evaluation year
    assert sorted((p.code, p.kpi) for p in problems) == [
        ("W303", g.id) for g in shipped_plan.goal_indicators if g.id != "G1-1"]
    [goal] = sub.goal_actuals
    assert (goal.kpi_id, goal.year, goal.value, goal.source.sheet) == \
        ("G1-1", FILLED_YEAR, 3601, "目標指標")
    # 統計担当 does not own the goal indicators: its value is not used, in one warning
    # (no 未入力 warnings for the rest, no conflict with the owner's file)
    code, doc = validate_json(str(folder))
    assert code == 0
    [foreign, *rest] = problems_of(doc, "統計担当.xlsx")
    assert [p["code"] for p in rest] == ["W204"]  # nothing of its own was entered
    assert (foreign["code"], foreign["sheet"], foreign["kpi"]) == ("W207", "目標指標", "G1-1")
    assert foreign["message"].startswith("目標指標は 企画政策課 が記入するものです。統計担当 が記入した 1 件")
    other, _ = read_workbook(folder / "統計担当.xlsx", shipped_plan)
    assert other.goal_actuals == ()
    # a workbook with no department keeps its goal values, and conflicts as before
    make_filled(folder, shipped_plan, "無記名.xlsx", {("G1-1", FILLED_YEAR): 3598},
                year=FILLED_YEAR, measure_ids=["5-2-1"])
    code, doc = validate_json(str(folder))
    [conflict] = [p for p in problems_of(doc) if p["code"] == "E401"]
    assert (conflict["sheet"], conflict["kpi"]) == ("目標指標", "G1-1")


def test_reading_on_several_processes_gives_the_same_report(returned, shipped_plan, tmp_path):
    # Enough files for the pool: a copy (W402), a conflicting second return (E401), a file
    # that is not a workbook, and two good ones. The report must not depend on how many
    # processes read them, nor on which finished first.
    folder = returned.parent
    shutil.copy(returned, folder / "観光振興課 - コピー.xlsx")
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    second_copy(returned, "商工観光課.xlsx", lambda wb: wb[sheet].__setitem__(cell, 531))
    (folder / "壊れた.xlsx").write_bytes(b"not a workbook")
    make_filled(folder, shipped_plan, "農林課.xlsx", {("1-2-1-1", FILLED_YEAR): 2},
                year=FILLED_YEAR, measure_ids=["1-2-1"], department="農林課")
    paths = collect_paths([folder], shipped_plan)
    assert len(paths) >= 4  # checks.PARALLEL_MIN_FILES: the pool is really used
    alone = validate_files(paths, shipped_plan, jobs=1)
    pooled = validate_files(paths, shipped_plan, jobs=2)
    assert pooled.to_dict() == alone.to_dict()
    assert [f.submission for f in pooled.files] == [f.submission for f in alone.files]
    doc = alone.to_dict()
    codes = {p["code"] for f in doc["files"] for p in f["problems"]}
    assert {"W402", "E401", "E105"} <= codes  # copy, conflict, not a workbook


def test_cells_without_r_attributes_are_read_like_any_other(tmp_path, shipped_plan):
    # The reader only glances at id cells and at a goal sheet's input columns, by the
    # cells' r attributes. A writer may leave r out (it is optional): the same workbook
    # without any must read the same, goal sheet included.
    import re
    import zipfile

    from mine_report.intake.reader import read_workbook

    folder = tmp_path / "in"
    folder.mkdir()
    path = make_filled(folder, shipped_plan, "企画政策課.xlsx",
                       {("G1-1", FILLED_YEAR): 3601, ("5-2-1-1", FILLED_YEAR): 12},
                       year=FILLED_YEAR, measure_ids=["5-2-1"], department="企画政策課")
    stripped = tmp_path / "r なし.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stripped, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data, count = re.subn(rb'(<c\b[^>]*?)\sr="[A-Z]+\d+"', rb"\1", data)
                assert count
            target.writestr(item, data)
    plain, plain_problems = read_workbook(path, shipped_plan)
    bare, bare_problems = read_workbook(stripped, shipped_plan)
    assert [(a.kpi_id, a.year, a.value) for a in bare.goal_actuals] == \
        [(a.kpi_id, a.year, a.value) for a in plain.goal_actuals] != []
    assert [(a.kpi_id, a.year, a.value) for m in bare.measures for a in m.actuals] == \
        [(a.kpi_id, a.year, a.value) for m in plain.measures for a in m.actuals] != []
    assert [(p.code, p.cell) for p in bare_problems] == [(p.code, p.cell) for p in plain_problems]
