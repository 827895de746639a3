"""The sample report as a committee member reads it (built with the CLI from the shipped
sample returns and read back with pdftotext): the summary answers what is off track and
why, better or worse than last year, will the targets be met; every page says it is
sample data; the 総評 and the committee's opinions are where they belong; the plan's last
year gives the final evaluation; and nothing under 9 pt in the body."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mine_report.cli import cli
from mine_report.outputs.committee import load_committee
from mine_report.plan.load import load_plan

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "examples" / "submissions"
FINAL = ROOT / "examples" / "submissions-final"
OPINIONS = ROOT / "examples" / "opinions.toml"


def norm(text: str) -> str:
    return "".join(text.split())


def build(input_dir: Path, out: Path, *extra: str):
    return CliRunner().invoke(cli, ["build", "--input", str(input_dir), "--output", str(out),
                                    "--jobs", "2", *extra])


def pages_of(pdf: Path, *args: str) -> list[str]:
    text = subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def interim(tmp_path_factory):
    out = tmp_path_factory.mktemp("interim")
    result = build(SAMPLES, out, "--opinions", str(OPINIONS), "--date", "2024-07-01")
    assert result.exit_code == 0, result.output
    pages = pages_of(out / "report.pdf", "-raw")  # drawing order: a wrapped cell stays whole
    layout = pages_of(out / "report.pdf", "-layout")

    def header(page: str) -> str:
        return next(line for line in page.splitlines() if line.strip())

    # Where a chapter starts: the first page whose running header names it.
    starts = {title: next(i for i, p in enumerate(layout) if i > 1 and title in header(p))
              for title in ("総括", "全指標の一覧", "重点戦略1")}
    return dict(out=out, pages=pages, layout=layout,
                summary=norm("".join(pages[starts["総括"]:starts["全指標の一覧"]])),
                overview=pages[starts["全指標の一覧"]:starts["重点戦略1"]],
                chapters=norm("".join(pages[starts["重点戦略1"]:])))


def test_every_page_header_says_sample_data(interim):
    for number, page in enumerate(interim["layout"][1:], start=2):
        header = next(line for line in page.splitlines() if line.strip())
        assert "【サンプルデータ】" in header, number


def test_given_date_is_printed(interim):
    assert "令和6年7月1日" in interim["pages"][0]


def test_summary_lists_off_track_kpis_with_their_issues_and_next_steps(interim):
    summary = interim["summary"]
    assert "遅れている指標と今後の方向性" in summary
    # A stalled sample KPI (D) with the planning division's own 課題 and 今後の方向性.
    for words in ("2-3-1-2", "要因・課題", "今後の方向性", "施策2-3-1"):
        assert words in summary, words
    assert re.search(r"[ABCD]→[ABCD]", summary)  # 「C→B」 beside this year's grade


def test_summary_compares_with_last_year_and_names_what_moved(interim):
    summary = interim["summary"]
    assert "前年度との比較（令和4年度→令和5年度）" in summary
    assert "評価が上がったKPI" in summary and "下がったKPI" in summary


def test_summary_says_which_targets_will_be_missed_and_how_it_knows(interim):
    summary = interim["summary"]
    assert "このままでは目標年度に未達の見込み" in summary
    assert "最小二乗法" in summary
    assert "計画期間の途中を目標年度とする指標" in summary
    for kid in ("4-2-1-1", "4-2-1-3", "5-2-1-1", "5-2-1-2"):
        assert kid in summary


def test_one_table_of_every_indicator_on_at_most_three_pages(interim):
    overview = interim["overview"]
    assert 1 <= len(overview) <= 3
    text = norm("".join(overview))
    plan = load_plan()
    for item in [*plan.goal_indicators, *plan.kpis]:
        assert item.id in text, item.id


def test_missing_baselines_are_graded_from_the_first_actual_as_reference(interim):
    assert "参考" in interim["summary"] + interim["chapters"]
    assert "計画に基準値がないため" in interim["chapters"]


def test_overall_assessment_and_opinions_are_printed_where_they_belong(interim):
    committee = load_committee(OPINIONS, load_plan())
    summary, chapters = interim["summary"], interim["chapters"]
    assert "総評" in summary and norm(committee.overall[0])[:40] in summary
    for o in committee.about("全体"):
        assert norm(o.opinion) in summary and norm(o.response) in summary
    for o in committee.about("1"):
        assert norm(o.opinion) in chapters and norm(o.opinion) not in summary
    assert "（対応を検討中）" in chapters  # an opinion without a response yet


def test_body_text_and_tables_are_at_least_nine_points(interim):
    words = subprocess.run(["pdftotext", "-bbox", "-f", "3", str(interim["out"] / "report.pdf"),
                            "-"], capture_output=True, text=True, check=True).stdout
    small = []
    for page in words.split("<page ")[1:]:
        for y0, y1, word in re.findall(
                r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', page):
            # The running header (top 20 mm) is set at 8.5 pt on purpose.
            if float(y0) > 20 * 72 / 25.4 and float(y1) - float(y0) < 8.9:
                small.append(word)
    assert not small, small[:20]


def test_bad_opinions_file_stops_before_anything_is_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('overal = "綴りの誤り"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = build(SAMPLES, out, "--opinions", str(bad))
    assert result.exit_code == 1
    assert "B033" in result.output and "overal" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_final_evaluation_of_the_plans_last_year(tmp_path):
    result = build(FINAL, tmp_path, "--negative-sign", "triangle")
    assert result.exit_code == 0, result.output
    assert "令和6年度の評価" in result.output
    raw = "".join(pages_of(tmp_path / "report.pdf"))
    text = norm(raw)
    assert "最終評価" in text and "計画期間終了時の達成状況" in text
    assert "目標に届かなかった指標" in text
    assert "このままでは目標年度に未達の見込み" not in text  # no projection after the end
    # Negative rates in the Japanese public style, explained on the method page.
    assert re.search(r"△\d+\.\d%", text)
    assert not re.search(r"(^|\s)-\d+\.\d%", raw, re.M)  # (the footer is 「- 12 / 72 -」)
    assert "率の「△」はマイナスを示します" in text
