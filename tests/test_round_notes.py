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
