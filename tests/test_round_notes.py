"""What the planning division is told about a round: files in the return folder that were
not checked (and why), and the warnings build found, on the console, not only in the
report's appendix."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from workbooks import FILLED_YEAR, cell_of, edit_workbook, run_validate, validate_json

from mine_report.cli import cli


def _crowded_folder(returned, blank_template):
    folder = returned.parent
    shutil.copy(blank_template, folder / "kpi_template.xlsx")
    (folder / "~$観光振興課.xlsx").write_bytes(b"lock")
    (folder / ".~lock.観光振興課.xlsx#").write_text("lock")
    (folder / "送付状.pdf").write_bytes(b"%PDF-1.4")
    (folder / "古い版").mkdir()
    return folder


def test_skipped_files_are_named_with_their_reason(returned, blank_template):
    folder = _crowded_folder(returned, blank_template)
    result = run_validate(str(folder))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "点検しなかったファイル 5 件:" in lines
    assert "  kpi_template.xlsx: 未記入の様式そのもの (担当課・提出者・記入がすべて空)" in lines
    assert any(line.startswith("  ~$観光振興課.xlsx: 作業中のロックファイル") for line in lines)
    assert any(line.startswith("  .~lock.観光振興課.xlsx#: 作業中のロックファイル")
               for line in lines)
    assert any(line.startswith("  送付状.pdf: 様式の形式") for line in lines)
    assert any(line.startswith("  古い版: フォルダ") for line in lines)
    _code, doc = validate_json(str(folder))
    assert [s["path"].rsplit("/", 1)[-1] for s in doc["skipped"]] == [
        ".~lock.観光振興課.xlsx#", "kpi_template.xlsx", "~$観光振興課.xlsx", "古い版", "送付状.pdf"]
    assert doc["summary"]["files"] == 1


def test_build_prints_the_warning_count_and_the_first_few(returned, blank_template, tmp_path):
    _crowded_folder(returned, blank_template)

    def typos(wb):
        for kpi, value in (("1-1-1-1", "５３０"), ("1-1-1-2", "290,100"), ("1-1-2-2", "13 箇所"),
                           ("1-1-2-3", "25%")):
            sheet, cell = cell_of(returned, kpi, FILLED_YEAR)
            wb[sheet][cell].value = value
            wb[sheet][cell].data_type = "s"
        for year in (2020, 2021):
            sheet, cell = cell_of(returned, "1-1-1-1", year)
            wb[sheet][cell].value = "５００"
            wb[sheet][cell].data_type = "s"

    edit_workbook(returned, typos)
    result = CliRunner().invoke(cli, ["build", "--input", str(returned.parent), "--output",
                                      str(tmp_path / "out"), "--no-pdf"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("警告 6 件"))
    assert "最初の 5 件を表示" in lines[head]
    assert f"mine-report validate {returned.parent}" in lines[head]
    shown = [line for line in lines[head + 1:] if line.startswith("  観光振興課.xlsx")]
    assert len(shown) == 5 and all("W301" in line for line in shown)
    assert "点検しなかったファイル 5 件:" in lines
    assert lines[-1].startswith("令和5年度の評価")


def _versions(returned):
    """The clerk's first return and a corrected one, both in the folder."""
    first = returned.parent / "観光振興課_修正前.xlsx"
    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    edit_workbook(returned, lambda wb: wb[sheet].__setitem__(cell, 520), target=first)
    _date_cell = "B9"  # 提出日 on the submitter sheet

    def dated(day):
        return lambda wb: wb["提出者情報"].__setitem__(_date_cell, day)

    edit_workbook(first, dated("2024-05-10"))
    edit_workbook(returned, dated("令和6年5月14日"))
    return first


def test_two_versions_from_one_department_ask_to_take_the_older_out(returned, tmp_path):
    import os

    first = _versions(returned)
    os.utime(first, (2_000_000_000, 2_000_000_000))  # touched later: 提出日 still decides
    code, doc = validate_json(str(returned.parent))
    assert code == 1
    problems = [p for f in doc["files"] for p in f["problems"]]
    assert [p["code"] for p in problems] == ["E402"]
    e402 = problems[0]
    assert e402["message"].startswith("同じ課 (観光振興課) の 2 つの版です")
    assert "古い方を除いてください" in e402["message"]
    assert "「観光振興課_修正前.xlsx」(提出日 2024-05-10)" in e402["message"]
    assert "「観光振興課.xlsx」(提出日 2024-05-14)" in e402["message"]
    owner = next(f for f in doc["files"] if f["problems"])
    assert owner["path"].endswith("観光振興課_修正前.xlsx")
    # --draft leaves the older version out and grades the corrected one
    result = CliRunner().invoke(cli, ["build", "--input", str(returned.parent), "--output",
                                      str(tmp_path / "out"), "--no-pdf", "--draft"])
    assert result.exit_code == 0, result.output
    import json

    results = json.loads((tmp_path / "out" / "kpi_results.json").read_text(encoding="utf-8"))
    kpi = next(k for k in results["kpis"] if k["id"] == "1-1-1-1")
    assert kpi["actual"] == 530


def test_without_submission_dates_the_file_time_decides(returned):
    import os

    first = _versions(returned)
    for path in (first, returned):
        edit_workbook(path, lambda wb: wb["提出者情報"].__setitem__("B9", None))
    os.utime(first, (1_700_000_000, 1_700_000_000))
    os.utime(returned, (1_700_000_600, 1_700_000_600))
    _code, doc = validate_json(str(returned.parent))
    e402 = next(p for f in doc["files"] for p in f["problems"])
    assert e402["code"] == "E402" and "ファイルの更新" in e402["message"]
    assert doc["files"][1]["path"].endswith("観光振興課_修正前.xlsx")
    assert doc["files"][1]["problems"] == [e402]


# --- compared with the previous round ---------------------------------------------------


def test_changed_past_value_and_implausible_jump_are_warned(returned, tmp_path):
    import json

    previous_out = tmp_path / "前回"
    result = CliRunner().invoke(cli, ["build", "--input", str(returned.parent), "--output",
                                      str(previous_out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    previous = previous_out / "kpi_results.json"
    results = json.loads(previous.read_text(encoding="utf-8"))
    assert next(h for k in results["kpis"] if k["id"] == "1-1-1-1"
                for h in k["history"] if h["year"] == 2022)["actual"] == 512

    def corrected(wb):
        for year, value in ((2022, 612), (2021, "1,234")):
            sheet, cell = cell_of(returned, "1-1-1-1", year)
            wb[sheet][cell].value = value
            wb[sheet][cell].data_type = "s" if isinstance(value, str) else "n"

    edit_workbook(returned, corrected)
    code, doc = validate_json(str(returned), "--previous", str(previous))
    assert code == 0
    found = {(p["code"], p["cell"]): p for p in doc["files"][0]["problems"]}
    sheet, cell_2022 = cell_of(returned, "1-1-1-1", 2022)
    _sheet, cell_2021 = cell_of(returned, "1-1-1-1", 2021)
    changed = found[("W501", cell_2022)]
    assert changed["message"].startswith("令和4年度の実績値が前回の集計 (512) から 612 に変わっています")
    assert ("W501", cell_2021) in found  # 505 became 1234
    jump = found[("W502", cell_2021)]
    assert "1234 は、この指標のほかの値 (基準値・目標値・ほかの年度) の最大 612 の 2.0 倍です" in jump["message"]
    assert jump["kpi"] == "1-1-1-1"
    # without --previous the jump is still seen; a larger factor lets it pass; 0 turns it off
    _code, doc = validate_json(str(returned))
    assert {p["code"] for p in doc["files"][0]["problems"]} == {"W301", "W502"}
    for factor in ("3", "0"):
        _code, doc = validate_json(str(returned), "--jump-factor", factor)
        assert {p["code"] for p in doc["files"][0]["problems"]} == {"W301"}
    # build takes the same options and prints them among its warnings
    result = CliRunner().invoke(cli, ["build", "--input", str(returned.parent), "--output",
                                      str(tmp_path / "out"), "--no-pdf", "--previous",
                                      str(previous)])
    assert result.exit_code == 0, result.output
    assert "W501" in result.output and "W502" in result.output


def test_pending_values_are_listed_for_follow_up_not_called_unmeasured(returned, tmp_path):
    import json

    sheet, cell = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    note = f"O{cell[1:]}"

    def pending(wb):
        wb[sheet][cell] = "集計中"
        wb[sheet][note] = "6月末に確定"

    edit_workbook(returned, pending)
    result = run_validate(str(returned))
    assert result.exit_code == 0, result.output
    assert f"  集計中 (後で値を確認): 1-1-1-1 (1-1-1!{cell})" in result.output.splitlines()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", "--input", str(returned.parent), "--output",
                                      str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "集計中の KPI 1 件" in result.output and "1-1-1-1 (観光振興課.xlsx)" in result.output
    results = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    kpi = next(k for k in results["kpis"] if k["id"] == "1-1-1-1")
    assert kpi["reason"] == "集計中（6月末に確定）"
    # 未把握 stays 未把握
    other = next(k for k in results["kpis"] if k["id"] == "1-1-2-1")
    assert other["reason"].startswith("未把握")
