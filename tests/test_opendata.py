"""Open data from `mine-report build` on the sample submissions: the tidy CSV, 西暦 years,
the municipality code, the metadata with licence and columns, and the public JSON."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from mine_report.cli import cli
from mine_report.outputs.export import RESULT_COLUMNS, VALUE_COLUMNS, result_columns, value_columns
from mine_report.plan.load import is_municipality_code, load_plan, municipality_check_digit
from tools.samples import DEPARTMENTS

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
README = Path(__file__).resolve().parents[1] / "README.md"
#: A name the sample workbooks give a submitter (samples.py): never in public data.
SAMPLE_PERSON = DEPARTMENTS[0].person


def build(out: Path, *extra: str) -> Path:
    result = CliRunner().invoke(cli, ["build", "--input", str(SAMPLES), "--output", str(out),
                                      "--no-pdf", *extra])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    return build(tmp_path_factory.mktemp("public"))


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel reads it"
    assert b"\r\n" in raw
    return list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"), newline="")))


@pytest.mark.parametrize(("first_five", "digit"), [
    ("35213", "6"),  # 美祢市
    ("13000", "1"),  # 東京都 130001
    ("01100", "2"),  # 札幌市 011002
    ("35201", "2"),  # 下関市 352012
])
def test_check_digit_of_known_codes(first_five, digit):
    assert municipality_check_digit(first_five) == digit
    assert is_municipality_code(first_five + digit)
    assert not is_municipality_code(first_five + str((int(digit) + 1) % 10))


def test_shipped_plan_carries_mine_citys_code():
    assert load_plan().municipality_code == "352136"


def test_wrong_code_in_a_plan_is_reported_with_the_right_one(tmp_path):
    from mine_report.plan.load import default_plan_path

    text = default_plan_path().read_text(encoding="utf-8")
    bad = tmp_path / "plan.toml"
    bad.write_text(text.replace('municipality_code = "352136"', 'municipality_code = "352131"'),
                   encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", "--plan", str(bad)])
    assert result.exit_code == 1
    assert "P115" in result.output and "municipality_code" in result.output
    assert "352136" in result.output  # the code with the right check digit is suggested
    assert "Traceback" not in result.output


def test_tidy_csv_has_one_row_per_indicator_per_year(public):
    rows = read_csv(public / "kpi_values.csv")
    assert list(rows[0]) == [c.name for c in value_columns(load_plan())]
    keys = [(r["指標ID"], r["年度"]) for r in rows]
    assert len(keys) == len(set(keys))
    data = json.loads((public / "kpi_results.json").read_text(encoding="utf-8"))
    expected = {(item["id"], str(h["year"])): h
                for item in data["kpis"] + data["goal_indicators"] for h in item["history"]}
    assert set(keys) == set(expected)
    assert {r["年度"] for r in rows} == {"2020", "2021", "2022", "2023"}
    assert {r["指標の種類"] for r in rows} == {"KPI", "目標指標"}
    for r in rows:
        h = expected[(r["指標ID"], r["年度"])]
        assert r["評価"] == h["grade"]
        if h["actual"] is None:
            assert r["実績値"] == ""
        else:
            assert Decimal(r["実績値"]) == Decimal(str(h["actual"]))
        assert r["団体コード"] == "352136" and r["地方公共団体名"] == "美祢市"
    one = next(r for r in rows if (r["指標ID"], r["年度"]) == ("1-1-1-1", "2022"))
    assert one["年度（和暦）"] == "令和4年度" and one["具体的施策"] == "1-1-1"
    assert one["重点戦略"] == "1"
    goal = next(r for r in rows if r["指標ID"] == "G2-1")
    assert goal["重点戦略"] == "2" and goal["具体的施策"] == ""


def test_result_csv_years_are_western_with_a_display_column(public):
    rows = read_csv(public / "kpi_results.csv")
    assert list(rows[0]) == [c.name for c in result_columns(load_plan())]
    one = next(r for r in rows if r["KPI番号"] == "1-1-1-1")
    # Mine's levels, named as its plan names them
    assert (one["重点戦略"], one["戦略方針"], one["具体的施策"]) == ("1", "1-1", "1-1-1")
    assert (one["基準年度"], one["基準年度（和暦）"]) == ("2018", "平成30年度")
    assert (one["目標年度"], one["目標年度（和暦）"]) == ("2024", "令和6年度")
    assert (one["評価年度"], one["評価年度（和暦）"]) == ("2023", "令和5年度")
    assert one["団体コード"] == "352136"


def test_metadata_names_licence_source_and_every_column(public):
    meta = json.loads((public / "kpi_metadata.json").read_text(encoding="utf-8"))
    assert meta["license"]["id"] == "PDL-1.0"
    assert "公共データ利用規約" in meta["license"]["name"]
    assert meta["publisher"] == {"name": "美祢市", "municipality_code": "352136",
                                 "department": "総合政策部 企画政策課"}
    assert meta["attribution"].startswith("出典：美祢市「第2期美祢市")
    assert meta["fiscal_year"] == 2023 and meta["sample"] is True
    assert any("サンプル" in n for n in meta["notes"])
    files = {f["name"]: f for f in meta["files"]}
    for name in ("kpi_results.csv", "kpi_values.csv"):
        header = next(csv.reader(io.StringIO(
            (public / name).read_bytes()[3:].decode("utf-8"))))
        assert [c["name"] for c in files[name]["columns"]] == header
        assert all(c["description"] for c in files[name]["columns"])
    assert "kpi_results.json" in files


def test_readme_documents_every_column():
    readme = README.read_text(encoding="utf-8")
    for column in (*RESULT_COLUMNS, *VALUE_COLUMNS):
        assert f"`{column.name}`" in readme, column.name


def test_public_json_has_no_staff_files_or_hashes_and_internal_keeps_them(public, tmp_path):
    raw = (public / "kpi_results.json").read_text(encoding="utf-8")
    data = json.loads(raw)
    assert data["edition"] == "public" and data["municipality_code"] == "352136"
    assert "inputs" not in data and "left_out" not in data
    assert all("source" not in k for k in data["kpis"])
    assert SAMPLE_PERSON not in raw and ".xlsx" not in raw and "sha256" not in raw
    for name in ("kpi_results.csv", "kpi_values.csv", "kpi_metadata.json"):
        text = (public / name).read_bytes().decode("utf-8-sig")
        assert SAMPLE_PERSON not in text and ".xlsx" not in text, name
    internal = json.loads(
        (build(tmp_path / "internal", "--edition", "internal") / "kpi_results.json")
        .read_text(encoding="utf-8"))
    assert internal["edition"] == "internal"
    assert any(SAMPLE_PERSON in f["submitter"] for f in internal["inputs"])
    assert internal["kpis"][0]["source"]["file"].endswith(".xlsx")


def test_public_json_still_prefills_next_years_template(public, tmp_path):
    out = tmp_path / "next.xlsx"
    result = CliRunner().invoke(cli, ["template", "--year", "2024", "--measures", "1-1-1",
                                      "--prefill", str(public / "kpi_results.json"),
                                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
