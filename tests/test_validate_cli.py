"""validate as a command: paths, output formats, --strict, exit codes, progress, and the
annotated copies of --annotate."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import (
    COMMITTED_TEMPLATE,
    FILLED_YEAR,
    SAMPLES_DIR,
    cell_of,
    edit_workbook,
    file_state,
    problems_of,
    run_validate,
    validate_json,
)

from mine_report.cli import cli
from mine_report.common.fileio import build_timestamp
from mine_report.intake.checks import collect_paths, validate_files


def with_problems(returned):
    """The department workbook with one error (E301) and one warning (W301)."""
    sheet, bad = cell_of(returned, "1-1-1-1", FILLED_YEAR)
    _, text_number = cell_of(returned, "1-1-1-2", FILLED_YEAR)

    def change(wb):
        wb[sheet][bad] = "不明"
        wb[sheet][text_number] = "２９０，１００"

    edit_workbook(returned, change)
    return sheet, bad, text_number


def test_sample_submissions_have_no_errors():
    result = run_validate(str(SAMPLES_DIR))
    assert result.exit_code == 0, result.output
    assert "エラー 0 件" in result.stdout.splitlines()[-1]


def test_json_document_shape(returned):
    sheet, bad, _ = with_problems(returned)
    code, doc = validate_json(str(returned))
    assert code == 1
    assert set(doc) == {"files", "skipped", "summary"}
    [entry] = doc["files"]
    assert set(entry) == {"path", "sha256", "department", "blank_measures", "problems"}
    assert entry["path"] == str(returned) and len(entry["sha256"]) == 64
    assert entry["department"] == "観光振興課"
    error = next(p for p in entry["problems"] if p["code"] == "E301")
    assert error == {"code": "E301", "severity": "error", "sheet": sheet, "cell": bad,
                     "kpi": "1-1-1-1", "value": "不明", "values": {"what": "令和5年度の実績値"},
                     "measure_id": "1-1-1",
                     "message": error["message"]}
    assert doc["summary"] == {"files": 1, "errors": 1, "warnings": 1}


def test_text_report_lists_code_severity_cell_kpi_value_and_message(returned):
    sheet, bad, text_number = with_problems(returned)
    result = run_validate(str(returned))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"■ {returned}（観光振興課）  エラー 1 件・警告 1 件"
    assert f"  E301  エラー  {sheet}!{bad}  KPI 1-1-1-1  値「不明」" in lines
    assert f"  W301  警告  {sheet}!{text_number}  KPI 1-1-1-2  値「２９０，１００」" in lines
    assert lines[-1] == "1 ファイルを点検: エラー 1 件、警告 1 件（未記入の施策 1 件）"


def test_strict_makes_warnings_fail(returned):
    sheet, cell = cell_of(returned, "1-1-1-2", FILLED_YEAR)
    edit_workbook(returned, lambda wb: wb[sheet].__setitem__(cell, "290100"))
    assert validate_json(str(returned))[0] == 0
    code, doc = validate_json(str(returned), "--strict")
    assert code == 1
    assert [(p["code"], p["severity"]) for p in problems_of(doc)] == [("W301", "error")]
    assert "--strict" in run_validate(str(returned), "--strict").stdout


def test_default_folder_is_input_without_the_blank_template(tmp_path, returned, monkeypatch):
    inbox = tmp_path / "input"
    inbox.mkdir()
    shutil.copy(COMMITTED_TEMPLATE, inbox / "kpi_template.xlsx")
    shutil.copy(returned, inbox / "観光振興課.xlsx")
    (inbox / "~$観光振興課.xlsx").write_bytes(b"\x00lock")  # Excel's lock file while open
    (inbox / "メモ.txt").write_text("対象外", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, doc = validate_json()
    assert code == 0
    assert [f["path"] for f in doc["files"]] == ["input/観光振興課.xlsx"]


def test_a_folder_holding_only_the_blank_template_has_nothing_to_check(tmp_path):
    # The template is recognised from the one full read, after the folder was listed:
    # a folder with nothing else is still "no workbook here", for validate and build.
    inbox = tmp_path / "input"
    inbox.mkdir()
    shutil.copy(COMMITTED_TEMPLATE, inbox / "kpi_template.xlsx")
    result = run_validate(str(inbox))
    assert result.exit_code == 2 and "[V002]" in result.output
    result = CliRunner().invoke(cli, ["build", "--input", str(inbox), "--output",
                                      str(tmp_path / "out"), "--no-pdf"])
    assert result.exit_code != 0 and "[B002]" in result.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_missing_path_is_a_usage_error(tmp_path):
    result = run_validate(str(tmp_path / "ない.xlsx"))
    assert result.exit_code == 2
    assert "エラー: [V001] 指定されたファイルまたはフォルダがありません" in result.output
    assert "Traceback" not in result.output


def test_folder_without_workbooks_is_a_usage_error(tmp_path):
    result = run_validate(str(tmp_path))
    assert result.exit_code == 2
    assert "点検する様式ファイル" in result.output


def test_progress_is_reported_per_file(returned, shipped_plan):
    for n in range(3):
        shutil.copy(returned, returned.parent / f"copy{n}.xlsx")
    calls = []
    validate_files(collect_paths([returned.parent], shipped_plan), shipped_plan,
                   progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_no_progress_line_when_output_is_not_a_terminal(returned):
    for n in range(12):
        shutil.copy(returned, returned.parent / f"copy{n:02}.xlsx")
    result = run_validate(str(returned.parent))
    assert "点検中" not in result.output


# --- --annotate -------------------------------------------------------------------------


def annotated(returned, tmp_path):
    sheet, bad, text_number = with_problems(returned)
    out = tmp_path / "返却用"
    before = file_state(returned)
    result = run_validate(str(returned), "--annotate", str(out))
    assert file_state(returned) == before
    return result, out / returned.name, sheet, bad, text_number


def test_annotate_marks_cells_with_notes_and_lists_problems(returned, tmp_path):
    result, copy, sheet, bad, text_number = annotated(returned, tmp_path)
    assert result.exit_code == 1
    assert "注釈付きの写しを 1 件作りました" in result.stdout
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames[0] == "チェック結果" and wb.active.title == "チェック結果"
    assert wb["_meta"].sheet_state == "veryHidden"
    note = wb[sheet][bad].comment
    assert note is not None and note.text.startswith("[E301 エラー]")
    assert wb[sheet][bad].fill.fgColor.rgb.endswith("FFC7CE")
    assert wb[sheet][text_number].comment.text.startswith("[W301 警告]")
    rows = list(wb["チェック結果"].iter_rows(min_row=5, values_only=True))
    assert [(r[2], r[3], r[4], r[5]) for r in rows] == [
        ("E301", sheet, bad, "1-1-1-1"), ("W301", sheet, text_number, "1-1-1-2")]
    link = wb["チェック結果"].cell(5, 5).hyperlink
    assert link.location == f"'{sheet}'!{bad}"


def test_annotated_copy_validates_like_the_original(returned, tmp_path):
    _, copy, *_ = annotated(returned, tmp_path)
    _, original = validate_json(str(returned))
    _, again = validate_json(str(copy))
    assert problems_of(again) == problems_of(original)


def test_annotate_writes_nothing_for_clean_files_and_is_reproducible(returned, tmp_path):
    # another department's clean return (the same department's would be a second version)
    clean = edit_workbook(returned, lambda wb: wb["提出者情報"].__setitem__("B5", "商工観光課"),
                          tmp_path / "clean.xlsx")
    with_problems(returned)
    first, second = tmp_path / "a", tmp_path / "b"
    run_validate(str(returned), str(clean), "--annotate", str(first))
    run_validate(str(returned), str(clean), "--annotate", str(second))
    assert sorted(p.name for p in first.iterdir()) == [returned.name]
    assert (first / returned.name).read_bytes() == (second / returned.name).read_bytes()
    # no clock in the bytes: the document date is the build timestamp, not the time of the run
    stamp = build_timestamp().strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(first / returned.name) as package:
        core = package.read("docProps/core.xml")
        assert b">" + stamp + b"</dcterms:modified>" in core
        assert {i.date_time[:3] for i in package.infolist()} == {
            (build_timestamp().year, build_timestamp().month, build_timestamp().day)}


def test_department_text_is_written_as_text_in_the_check_sheet(returned, tmp_path,
                                                               shipped_plan):
    initiative = shipped_plan.measure("1-1-1").initiatives[0]
    sheet, cell = cell_of(returned, initiative.id, "status")

    def put(wb):
        wb[sheet][cell] = '=HYPERLINK("http://example.com","実施済み")'
        wb[sheet][cell].data_type = "s"

    edit_workbook(returned, put)
    out = tmp_path / "out"
    assert run_validate(str(returned), "--annotate", str(out)).exit_code == 1
    with zipfile.ZipFile(out / returned.name) as package:
        names = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        # (the template's own check formulas are <f> elements too; none holds the text)
        assert not any(re.search(rb"<f>[^<]*HYPERLINK", package.read(n)) for n in names)
    wb = openpyxl.load_workbook(out / returned.name)
    value_cell = wb["チェック結果"].cell(5, 7)
    assert value_cell.value.startswith("=HYPERLINK") and value_cell.data_type == "s"


def test_annotate_into_the_input_folder_is_refused(returned):
    before = file_state(returned)
    result = run_validate(str(returned), "--annotate", str(returned.parent))
    assert result.exit_code == 2
    assert "別のフォルダを指定" in result.output
    assert file_state(returned) == before


def test_unreadable_files_get_no_annotated_copy(returned, tmp_path):
    (returned.parent / "empty.xlsx").write_bytes(b"")
    out = tmp_path / "out"
    result = run_validate(str(returned.parent), "--annotate", str(out))
    assert result.exit_code == 1
    assert not (out / "empty.xlsx").exists()
    assert "注釈を付けられないファイル (読めないため): empty.xlsx" in result.stdout


@pytest.mark.slow
def test_annotated_copy_opens_in_libreoffice_with_its_notes(returned, tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    _, copy, *_ = annotated(returned, tmp_path)
    out = tmp_path / "lo"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "fods", "--outdir", str(out), str(copy)],
                   check=True, capture_output=True, timeout=180)
    flat = (out / (copy.stem + ".fods")).read_text(encoding="utf-8")
    assert "<office:annotation" in flat
    assert "[E301 エラー]" in flat and "[W301 警告]" in flat
    assert "チェック結果" in flat
