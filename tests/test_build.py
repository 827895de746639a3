"""`mine-report build` on the sample submissions: merged xlsx, JSON and CSV agree."""

from __future__ import annotations

import csv
import io
import json
import shutil
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import cell_of, edit_workbook

from mine_report.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"


def run_build(input_dir: Path, output_dir: Path, *extra: str):
    return CliRunner().invoke(cli, ["build", "--input", str(input_dir), "--output",
                                    str(output_dir), "--no-pdf", *extra])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_build(SAMPLES, out)
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture
def inputs(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SAMPLES, folder)
    return folder


def test_summary_line_and_outputs(built):
    out, output = built
    assert "令和5年度の評価" in output and "KPI 78 件中" in output
    assert sorted(p.name for p in out.iterdir()) == [
        "kpi_merged.xlsx", "kpi_metadata.json", "kpi_results.csv", "kpi_results.json",
        "kpi_values.csv", "round_history.jsonl"]


def test_every_kpi_once_with_the_same_grade_everywhere(built):
    out, _ = built
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    json_grades = {k["id"]: k["grade"] for k in data["kpis"]}
    assert len(data["kpis"]) == 78 == len(json_grades)
    assert len(data["goal_indicators"]) == 7
    raw = (out / "kpi_results.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {r["KPI番号"]: r["評価"] for r in rows} == json_grades
    ws = openpyxl.load_workbook(out / "kpi_merged.xlsx")["KPI一覧"]
    header = [c.value for c in ws[3]]
    id_col, grade_col = header.index("KPI番号"), header.index("評価")
    xlsx_grades = {row[id_col]: row[grade_col] for row in ws.iter_rows(min_row=4, values_only=True)}
    assert xlsx_grades == json_grades
    counts = data["rollups"]["total"]["counts"]
    for grade, n in counts.items():
        assert sum(1 for g in json_grades.values() if g == grade) == n


def test_chosen_kpi_row_cell_by_cell(built):
    out, _ = built
    # 1-1-1-1 三洞入洞者数 499 → 540 (H30 → R6); read the typed actual straight from the sample.
    sample = SAMPLES / "01-kanko-shinko.xlsx"
    sheet, cell = cell_of(sample, "1-1-1-1", 2023)
    actual = Fraction(str(openpyxl.load_workbook(sample)[sheet][cell].value))
    expected = 499 + Fraction(540 - 499) * (2023 - 2018) / (2024 - 2018)
    progress = (actual - 499) / (expected - 499)
    grade = "A" if progress >= 1 else "B" if progress >= Fraction(4, 5) else "C" if progress > 0 else "D"
    ws = openpyxl.load_workbook(out / "kpi_merged.xlsx")["KPI一覧"]
    header = [c.value for c in ws[3]]
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[header.index("KPI番号")] == "1-1-1-1")
    value = dict(zip(header, row, strict=True))
    assert value["指標名"] == "三洞入洞者数" and value["単位"] == "千人"
    assert value["基準値"] == 499 and value["目標値"] == 540
    assert value["基準年度"] == "平成30年度" and value["目標年度"] == "令和6年度"
    assert value["令和5年度\n実績値"] == float(actual)
    assert value["目安値"] == pytest.approx(float(expected))
    assert value["進捗率"] == pytest.approx(float(progress))
    assert value["評価"] == grade
    assert value["担当課"] == "観光振興課"
    assert (value["入力ファイル"], value["シート"], value["セル"]) == ("01-kanko-shinko.xlsx", sheet, cell)


def test_numbers_are_numbers(built):
    out, _ = built
    ws = openpyxl.load_workbook(out / "kpi_merged.xlsx")["KPI一覧"]
    header = [c.value for c in ws[3]]
    numeric = [i for i, h in enumerate(header) if "実績値" in h or h in ("目安値", "進捗率", "目標達成率")]
    seen = 0
    for row in ws.iter_rows(min_row=4, values_only=True):
        for i in numeric:
            assert row[i] is None or isinstance(row[i], int | float), (header[i], row[i])
            seen += row[i] is not None
    assert seen > 200


def test_two_builds_identical_bytes(built, tmp_path):
    out, _ = built
    again = tmp_path / "again"
    assert run_build(SAMPLES, again).exit_code == 0
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 6  # with round_history.jsonl: same inputs, same record
    for name in names:
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_conflicting_measure_writes_nothing(inputs, tmp_path, built):
    out = tmp_path / "out"
    shutil.copytree(built[0], out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    sheet, cell = cell_of(inputs / "01-kanko-shinko.xlsx", "1-1-1-1", 2023)
    edit_workbook(inputs / "01-kanko-shinko.xlsx",
                  lambda wb: wb[sheet].__setitem__(cell, 999), inputs / "99-copy.xlsx")
    result = run_build(inputs, out)
    assert result.exit_code == 1
    # the copy is the same department's: two versions (E402), which blocks the build too
    assert "E402" in result.output and "99-copy.xlsx" in result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_draft_leaves_out_the_broken_file(inputs, tmp_path):
    (inputs / "10-geopark.xlsx").write_bytes(b"not a workbook")
    out = tmp_path / "out"
    assert run_build(inputs, out).exit_code == 1
    assert not out.exists() or not list(out.iterdir())
    result = run_build(inputs, out, "--draft", "--edition", "internal")
    assert result.exit_code == 0, result.output
    assert "【暫定版】" in result.output
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    assert data["draft"] is True
    assert any(x["item"] == "10-geopark.xlsx" for x in data["left_out"])
    assert "5-1-1" in data["unsubmitted"]
    wb = openpyxl.load_workbook(out / "kpi_merged.xlsx")
    assert "暫定版" in wb["総括"]["A1"].value
    left = [r for r in wb["除外した内容"].iter_rows(min_row=4, values_only=True)]
    assert any(r[0] == "10-geopark.xlsx" for r in left)


def test_draft_leaves_out_only_the_measure_with_errors_on_a_renamed_sheet(inputs, tmp_path):
    # Each problem carries its measure: a department that renamed a measure's sheet and
    # left an error on it loses that measure only, not its whole file.
    path = inputs / "01-kanko-shinko.xlsx"
    sheet, cell = cell_of(path, "1-1-1-1", 2023)

    def rename_and_mistype(wb):
        wb[sheet][cell] = "abc"
        wb[sheet].title = "観光の施策"

    edit_workbook(path, rename_and_mistype)
    out = tmp_path / "out"
    result = run_build(inputs, out, "--draft", "--edition", "internal")
    assert result.exit_code == 0, result.output
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    assert [x["item"] for x in data["left_out"]] == ["01-kanko-shinko.xlsx 施策 1-1-1"]
    assert "1-1-1" in data["unsubmitted"] and "1-1-2" not in data["unsubmitted"]


def test_formula_like_comment_stays_text(inputs, tmp_path):
    path = inputs / "01-kanko-shinko.xlsx"
    sheet, cell = cell_of(path, "1-1-1", "achievements")

    def type_text(wb):
        c = wb[sheet][cell]
        c.value = '=HYPERLINK("http://example.com")'
        c.data_type = "s"  # typed as text ('= in Excel), not as a formula

    edit_workbook(path, type_text)
    out = tmp_path / "out"
    result = run_build(inputs, out)
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out / "kpi_merged.xlsx")["コメント"]
    row = next(r for r in ws.iter_rows(min_row=4) if r[0].value == "1-1-1")
    assert row[4].value == '=HYPERLINK("http://example.com")'
    assert row[4].data_type == "s"


def test_year_option_errors(tmp_path):
    result = run_build(SAMPLES, tmp_path / "o", "--year", "昭和5年")
    assert result.exit_code == 2 and "--year" in result.output
    result = run_build(SAMPLES, tmp_path / "o", "--year", "R9")
    assert result.exit_code == 2 and "[G011]" in result.output and "計画期間" in result.output


def test_prefill_next_round_from_results_json(built, tmp_path):
    out, _ = built
    target = tmp_path / "next.xlsx"
    result = CliRunner().invoke(cli, ["template", "--year", "R6", "--measures", "1-1-1",
                                      "--prefill", str(out / "kpi_results.json"), "-o", str(target)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "kpi_results.json").read_text(encoding="utf-8"))
    history = next(k for k in data["kpis"] if k["id"] == "1-1-1-1")["history"]
    sheet, cell = cell_of(target, "1-1-1-1", 2023)
    ws = openpyxl.load_workbook(target)[sheet]
    assert ws[cell].value == next(h["actual"] for h in history if h["year"] == 2023)
    assert ws[cell].protection.locked
    sheet, cell = cell_of(target, "1-1-1-1", 2024)
    assert ws[cell].value is None and not ws[cell].protection.locked
