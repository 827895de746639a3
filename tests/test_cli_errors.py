"""Every command error, whatever the command, is one Japanese line with its stable code
and an exit status; never a Python traceback, never click's English "Aborted!"."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mine_report import build as building
from mine_report.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
CODED = re.compile(r"^エラー: \[([A-Z]\d{3})\] ", re.M)


def invoke(*args: str, debug: bool = True):
    """Run a command; with `debug`, an unexpected exception escapes as itself (the test
    fails with its traceback) instead of becoming the G002 line."""
    env = {"MINE_REPORT_DEBUG": "1"} if debug else {"MINE_REPORT_DEBUG": ""}
    return CliRunner(env=env).invoke(cli, list(args))


def coded(result, code: str, exit_code: int) -> str:
    out = result.output
    assert result.exit_code == exit_code, out
    assert "Traceback" not in out and "Aborted" not in out
    assert CODED.findall(out)[:1] == [code] or f"[{code}]" in out, out
    return out


@pytest.fixture
def files(tmp_path):
    (tmp_path / "file.txt").write_text("not a folder", encoding="utf-8")
    (tmp_path / "deep.toml").write_text("title = " + "[" * 2000 + "]" * 2000 + "\n",
                                        encoding="utf-8")
    (tmp_path / "deep.json").write_text("[" * 100_000, encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "nan.json").write_text('{"title": NaN}', encoding="utf-8")
    (tmp_path / "huge.toml").write_text('title = ["' + "長" * 100_000 + '"]\n', encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("args, code, exit_code", [
    (["validate", "/nonexistent"], "V001", 2),
    (["validate", "{tmp}"], "V002", 2),
    (["build", "--input", "/nonexistent", "--output", "{tmp}/o"], "V001", 2),
    (["build", "--input", str(SAMPLES), "--output", "{tmp}/o", "--year", "昭和5年"], "G010", 2),
    (["build", "--input", str(SAMPLES), "--output", "{tmp}/o", "--templates", "{tmp}/none"],
     "R002", 1),
    (["build", "--input", str(SAMPLES), "--output", "{tmp}/file.txt"], "B009", 1),
    (["template", "-o", "{tmp}/file.txt/t.xlsx", "--measures", "1-1-1"], "T005", 1),
    (["template", "-o", "/proc/t.xlsx", "--measures", "1-1-1"], "T005", 1),
    (["template", "-o", "{tmp}/t.xlsx", "--year", "R99"], "G010", 2),
    (["config"], "C202", 2),
    (["config", "--show", "--config", "{tmp}/none.toml"], "C003", 1),
    (["plan", "--plan", "{tmp}/deep.toml"], "P002", 1),
    (["plan", "--plan", "{tmp}/deep.json"], "P003", 1),
    (["plan", "--plan", "{tmp}/list.json"], "P003", 1),
    (["plan", "--plan", "{tmp}/nan.json"], "P003", 1),
    (["config", "--show", "--config", "{tmp}/deep.toml"], "C002", 1),
    # a date option that is no date: the code was left out of these two
    (["status", "{tmp}", "--today", "notadate"], "S004", 2),
    (["distribute", "--year", "R5", "--output", "{tmp}/d", "--deadline", "notadate"],
     "D004", 2),
])
def test_each_command_error_prints_its_code(files, args, code, exit_code):
    coded(invoke(*(a.replace("{tmp}", str(files)) for a in args)), code, exit_code)


def test_a_command_error_keeps_its_code_severity_and_values():
    from mine_report.common.errors import UsageError

    error = UsageError.of("V001", path="/nonexistent")
    assert (error.code, error.severity, error.values) == ("V001", "error",
                                                          {"path": "/nonexistent"})
    assert str(error).startswith("[V001] ") and "/nonexistent" in str(error)


def test_nesting_too_deep_is_said_in_japanese(files):
    out = coded(invoke("plan", "--plan", str(files / "deep.toml")), "P002", 1)
    assert "入れ子 (配列・表) が深すぎます" in out


def test_a_long_wrong_value_is_quoted_short(files):
    out = invoke("plan", "--plan", str(files / "huge.toml")).output
    assert "[P102] title: 文字列ではありません" in out
    assert len(max(out.splitlines(), key=len)) < 200


def test_plan_json_reads_back_through_every_command(tmp_path):
    first = invoke("plan", "--json")
    assert first.exit_code == 0
    path = tmp_path / "plan.json"
    path.write_text(first.output, encoding="utf-8")
    again = invoke("plan", "--plan", str(path), "--json")
    assert again.exit_code == 0 and again.output == first.output
    assert invoke("plan", "--plan", str(path)).output == invoke("plan").output
    template = tmp_path / "t.xlsx"
    assert invoke("template", "--plan", str(path), "--measures", "1-1-1", "-o",
                  str(template)).exit_code == 0
    # The sample workbooks were made from the TOML plan: the JSON one is the same plan.
    result = invoke("build", "--plan", str(path), "--input", str(SAMPLES), "--output",
                    str(tmp_path / "out"), "--no-pdf")
    assert result.exit_code == 0, result.output
    assert "KPI 78 件中" in result.output


def test_annotate_into_an_unwritable_folder(tmp_path):
    broken = tmp_path / "in"
    broken.mkdir()
    shutil.copy(SAMPLES / "01-kanko-shinko.xlsx", broken / "a.xlsx")
    shutil.copy(SAMPLES / "01-kanko-shinko.xlsx", broken / "b.xlsx")  # the same measures twice
    for where in ("/proc", "/proc/x", str(tmp_path / "in" / "a.xlsx" / "x")):
        out = coded(invoke("validate", str(broken), "--annotate", where), "V004", 2)
        assert where in out


def test_an_unexpected_error_is_one_coded_line_without_a_traceback(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("something no one foresaw")

    monkeypatch.setattr(building, "merge", broken)
    result = invoke("build", "--input", str(SAMPLES), "--output", str(tmp_path / "o"),
                    "--no-pdf", debug=False)
    out = coded(result, "G002", 1)
    assert "RuntimeError: something no one foresaw" in out and "MINE_REPORT_DEBUG" in out
    assert not (tmp_path / "o").exists()


def test_console_never_carries_control_or_bidi_characters(tmp_path):
    from mine_report.plan.load import default_plan_path

    source = default_plan_path().read_text(encoding="utf-8")
    titled, directed = tmp_path / "titled.toml", tmp_path / "directed.toml"
    titled.write_text(source.replace('\ntitle = "', '\ntitle = "\\u001b[2J\\u202eevil', 1),
                      encoding="utf-8")
    directed.write_text(source.replace('direction = "increase"', 'direction = "up\\u009b31m"', 1),
                        encoding="utf-8")
    outline = invoke("plan", "--plan", str(titled))
    error = invoke("plan", "--plan", str(directed))
    assert outline.exit_code == 0 and error.exit_code == 1
    for out in (outline.output, error.output):
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert "\\x1b[2J<U+202E>evil" in outline.output
    assert "up\\x9b31m" in error.output


def test_every_code_a_command_error_can_carry_is_in_the_readme():
    root = Path(__file__).resolve().parents[1]
    source = "".join(p.read_text(encoding="utf-8") for p in (root / "mine_report").rglob("*.py"))
    raised = set(re.findall(r'(?:\.of|ReportError)\("([A-Z]\d{3})"', source))
    readme = (root / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| ([A-Z]\d{3}) \|", readme, re.M))
    assert len(raised) > 20
    assert raised <= documented, sorted(raised - documented)


def test_a_reader_that_went_away_is_no_error(tmp_path):
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited
    try:
        done = subprocess.run([sys.executable, "-m", "mine_report", "plan", "--json"],
                              stdout=write_end, stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == ""


def test_validate_shows_escape_sequences_from_cells_as_symbols(tmp_path):
    import zipfile

    from workbooks import cell_of, edit_workbook, replace_member

    path = Path(shutil.copy(SAMPLES / "01-kanko-shinko.xlsx", tmp_path / "a.xlsx"))
    sheet, cell = cell_of(path, "1-1-1-i1", "status")
    edit_workbook(path, lambda wb: wb[sheet].__setitem__(cell, "MARKER"))
    # Excel's own escape for characters XML cannot carry: ESC [2J clears a terminal.
    with zipfile.ZipFile(path) as package:
        member = next(n for n in package.namelist() if b"MARKER" in package.read(n))
    replace_member(path, member, lambda data: data.replace(b"MARKER", b"_x001B_[2J_x202E_evil"))
    result = invoke("validate", str(path))
    assert result.exit_code == 1, result.output  # not a status from the list
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "[2J" in result.output and "evil" in result.output


def test_no_message_code_is_defined_twice():
    """A dict literal keeps the last of two equal keys silently: two features picking the
    same free code would make one of them print the other's message."""
    import ast

    import mine_report.common.messages as messages

    tree = ast.parse(Path(messages.__file__).read_text(encoding="utf-8"))
    keys = [k.value for node in ast.walk(tree) if isinstance(node, ast.Dict)
            for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
            and re.fullmatch(r"[A-Z]\d{3}", k.value)]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)


@pytest.mark.parametrize("command", [
    ["build", "--input", str(SAMPLES), "--output", "{tmp}/o"],
    ["template", "-o", "{tmp}/t.xlsx"],
    ["distribute", "--output", "{tmp}/d"],
])
def test_a_year_outside_the_plan_is_one_code_in_every_command(files, command):
    for year, code in (("R9", "G011"), ("2030", "G011"), ("昭和5年", "G010")):
        args = [a.replace("{tmp}", str(files)) for a in command] + ["--year", year]
        out = coded(invoke(*args), code, 2)
        assert not (files / "o").exists() and not (files / "d").exists()
        if code == "G011":
            assert "計画期間 (令和2年度〜令和6年度) の外" in out
