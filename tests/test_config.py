"""Grading config files: defaults, ./mine-report.toml, every problem reported at once,
the effective TOML round-tripping, and `mine-report config --show` through the CLI."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from mine_report.cli import cli
from mine_report.common.errors import ConfigError
from mine_report.grading.config import default_rules, load_rules
from mine_report.grading.grade import grade_kpi
from mine_report.plan.load import load_plan
from mine_report.plan.model import Actual, Source


def write(folder: Path, body: str, name: str = "rules.toml") -> Path:
    path = folder / name
    path.write_text(body, encoding="utf-8")
    return path


def bands(band_set) -> list[tuple[str, Fraction, bool]]:
    return [(b.grade, b.bound, b.strict) for b in band_set.bands]


def points(scheme) -> dict[str, Fraction]:
    return {g.key: g.points for g in scheme.grades}


def codes(exc: pytest.ExceptionInfo[ConfigError]) -> list[tuple[str, str]]:
    return [(p.code, p.path) for p in exc.value.problems]


# --- where the rules come from --------------------------------------------------------------

def test_defaults_when_no_file_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rules = load_rules()
    assert rules == default_rules()
    s = rules.scheme
    assert (s.main.rate, s.basis) == ("progress", "prorated")
    assert bands(s.main) == [("A", 1, False), ("B", Fraction(4, 5), False), ("C", 0, True)]
    assert bands(s.maintain) == [("A", 1, False), ("B", Fraction(9, 10), False),
                                 ("C", Fraction(4, 5), False)]
    assert points(s) == {"A": 4, "B": 3, "C": 2, "D": 1}
    assert s.keys == ("A", "B", "C", "D")
    assert rules.source == ""


def test_mine_report_toml_in_the_working_directory_is_used(tmp_path, monkeypatch):
    write(tmp_path, 'formula = "ratio"\n', "mine-report.toml")
    monkeypatch.chdir(tmp_path)
    rules = load_rules()
    assert rules.scheme.main.rate == "ratio"
    assert rules.source == "mine-report.toml"


def test_every_setting_can_be_changed(tmp_path):
    path = write(tmp_path, """
formula = "ratio"
basis = "final"
[thresholds]
A = 100
B = 70.5
C_above = 50
[maintain]
A = 100
B = 95
C = 85
[points]
A = 10
B = 6
C = 3
D = 0
[measure_grade]
A = 8
B = 5
C = 2
[grades.A]
label = "達成"
description = "目標値に届いた"
[grades.ungraded]
label = "判定不可"
""")
    rules = load_rules(path)
    s = rules.scheme
    assert (s.main.rate, s.basis) == ("ratio", "final")
    assert bands(s.main)[1:] == [("B", Fraction(705, 1000), False), ("C", Fraction(1, 2), True)]
    assert bands(s.maintain)[1:] == [("B", Fraction(95, 100), False),
                                     ("C", Fraction(85, 100), False)]
    assert points(s) == {"A": 10, "B": 6, "C": 3, "D": 0}
    assert s.rollup.bands == (("A", 8), ("B", 5), ("C", 2))
    assert s.grade("A").label == "達成"
    assert s.description("A") == "目標値に届いた"
    assert s.grade("－").label == "判定不可"
    # not configured: derived from the thresholds in force
    assert s.description("B").startswith("達成率が70.5%以上100%未満")
    text = "\n".join(rules.describe())
    assert "達成率が100%以上はA（達成）" in text
    assert "A＝10点" in text
    assert "「－」（判定不可）" in text


def test_config_changes_a_grade(tmp_path):
    kpi = load_plan().kpi("1-1-1-1")
    value = Actual(kpi.id, 2022, Decimal("520"), Source("a.xlsx", "1-1-1", "J8"))
    assert grade_kpi(kpi, 2022, value, default_rules()).grade == "C"  # 76.8 %
    lenient = load_rules(write(tmp_path, "[thresholds]\nB = 75\n"))
    assert grade_kpi(kpi, 2022, value, lenient).grade == "B"


def test_equal_thresholds_are_allowed(tmp_path):
    rules = load_rules(write(tmp_path, "[thresholds]\nA = 80\nB = 80\n"))
    assert [b.bound for b in rules.scheme.main.bands[:2]] == [Fraction(4, 5)] * 2


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes('\ufeff[grades.C]\nlabel = "要努力"\n'.encode())
    assert load_rules(path).scheme.grade("C").label == "要努力"


# --- the effective TOML ------------------------------------------------------------------

def test_effective_toml_round_trips(tmp_path):
    assert load_rules(write(tmp_path, default_rules().to_toml(), "a.toml")) == default_rules()
    custom = load_rules(write(tmp_path, """
basis = "final"
[maintain]
B = 85
[grades.D]
label = "後退"
description = "基準値を下回った \\"要確認\\""
""", "b.toml"))
    again = load_rules(write(tmp_path, custom.to_toml(), "c.toml"))
    assert again == custom
    assert again.scheme.description("D") == '基準値を下回った "要確認"'


def test_derived_descriptions_follow_later_threshold_edits(tmp_path):
    effective = default_rules().to_toml()
    edited = effective.replace("[thresholds]", "[thresholds]\n# edited").replace(
        "B = 80", "B = 60")
    rules = load_rules(write(tmp_path, edited))
    assert rules.scheme.description("B").startswith("進捗率が60%以上100%未満")


# --- bad config files --------------------------------------------------------------------

BAD = """
formula = "simple"
basis = "yearly"
colour = "red"
[thresholds]
A = 80
B = 90
C_above = "zero"
[maintain]
A = -5
D = 10
[points]
A = 4
B = true
C = inf
[measure_grade]
A = 1.5
B = 2.5
[grades.A]
label = ""
description = 3
[grades.E]
label = "x"
"""


def test_bad_config_reports_every_problem(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_rules(write(tmp_path, BAD))
    assert codes(exc) == [
        ("C101", "colour"),
        ("C104", "formula"),
        ("C105", "basis"),
        ("C103", "thresholds.C_above"),
        ("C106", "thresholds"),
        ("C101", "maintain.D"),
        ("C107", "maintain.A"),
        ("C101", "grades.E"),
        ("C108", "grades.A.label"),
        ("C102", "grades.A.description"),
        ("C103", "points.B"),
        ("C103", "points.C"),
        ("C106", "measure_grade"),
    ]


def test_wrong_shapes(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_rules(write(tmp_path, 'thresholds = 5\n[grades]\nA = "x"\n'
                                   '[grades.B]\ndescription = "1行目\\n2行目"\n'))
    assert codes(exc) == [("C109", "thresholds"), ("C109", "grades.A"),
                          ("C110", "grades.B.description")]


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_rules(tmp_path / "none.toml")
    assert codes(exc) == [("C003", "")]
    with pytest.raises(ConfigError) as exc:
        load_rules(write(tmp_path, "formula = \n"))
    assert codes(exc) == [("C002", "")]


# --- the CLI -------------------------------------------------------------------------------

def test_cli_show_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["config", "--show"])
    assert result.exit_code == 0
    assert "既定値" in result.output
    assert "進捗率が100%以上はA（順調）、80%以上100%未満はB（概ね順調）" in result.output
    assert "  A  順調: 進捗率が100%以上" in result.output


def test_cli_show_config_file(tmp_path):
    path = write(tmp_path, '[grades.A]\nlabel = "目標達成"\n')
    result = CliRunner().invoke(cli, ["config", "--show", "--config", str(path)])
    assert result.exit_code == 0
    assert f"設定ファイル: {path}" in result.output
    assert "A  目標達成:" in result.output


def test_cli_show_toml_is_a_config_file(tmp_path):
    path = write(tmp_path, 'basis = "final"\n[points]\nD = 0\n')
    result = CliRunner().invoke(cli, ["config", "--show", "--toml", "--config", str(path)])
    assert result.exit_code == 0
    assert load_rules(write(tmp_path, result.output, "effective.toml")) == load_rules(path)


def test_cli_bad_config_lists_every_problem(tmp_path):
    path = write(tmp_path, BAD, "bad.toml")
    before = path.read_bytes()
    result = CliRunner().invoke(cli, ["config", "--show", "--config", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    assert lines[0] == f"エラー: 設定ファイル {path} に 13 件の問題があります"
    assert "  [C106] thresholds: 順序が正しくありません: A (80) は B (90) 以上にしてください" in lines
    assert "  [C101] colour: 不明な項目です (綴りを確認してください)" in lines
    assert len([line for line in lines if line.startswith("  [C")]) == 13
    assert path.read_bytes() == before


def test_cli_config_needs_show():
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 2
    assert "--show" in result.output
