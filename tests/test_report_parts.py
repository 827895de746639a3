"""The report's parts as data (templates/parts.toml): a user's template folder adds a
chapter with one file and one [[parts]] entry, and the contents follow."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from mine_report.common.errors import MineReportError
from mine_report.outputs import report
from mine_report.outputs.context import build_context
from mine_report.outputs.parts import PARTS_FILE, load_parts

pytestmark = pytest.mark.slow

EPOCH = "1719792000"
PACKAGED = report.default_templates_dir()
CHAPTER = """<section class="chapter" id="local">
<h1 class="chapter-title" data-running="地域の取組">地域の取組</h1>
<p>{{ report.municipality }}の地区ごとの取組を紹介します。&lt;b&gt;は文字のまま。</p>
</section>
"""


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def with_chapter(folder: Path) -> Path:
    """A template folder whose parts.toml adds 地域の取組 after the summary."""
    folder.mkdir()
    source = (PACKAGED / PARTS_FILE).read_text("utf-8")
    added = '[[parts]]\ntemplates = ["local.html"]\nanchor = "local"\ntitle = "地域の取組"\n\n'
    at = source.index('[[parts]]\ntemplates = ["overview.html"]')
    (folder / PARTS_FILE).write_text(source[:at] + added + source[at:], "utf-8")
    (folder / "local.html").write_text(CHAPTER, "utf-8")
    return folder


def render(out: Path, merged, evaluation, **options) -> list[Path]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        return report.render_report(merged, evaluation, out, jobs=2, **options)


def test_the_packaged_parts_are_the_reports_chapters(report_inputs):
    merged, evaluation = report_inputs
    context = build_context(merged, evaluation)
    env = report.make_environment([PACKAGED])
    parts = report.report_parts(context, env)
    assert parts[0] == [report.Section("cover.html"), report.Section("contents.html")]
    assert [p[0].template for p in parts[1:4]] == ["method.html", "summary.html",
                                                   "overview.html"]
    strategies = [p[0].strategy for p in parts if p[0].template == "strategy.html"]
    assert strategies == list(context.strategies)
    assert parts[-1] == [report.Section("appendix.html")]
    assert len(load_parts(env)) == 6


def test_a_users_chapter_is_laid_out_and_listed_in_the_contents(report_inputs, tmp_path):
    merged, evaluation = report_inputs
    own = with_chapter(tmp_path / "tpl")
    paths = render(tmp_path / "out", merged, evaluation, templates_dir=own, html=True)
    pdf = paths[0]
    pages = pdftotext(pdf).split("\f")
    contents = pdftotext(pdf, "-layout", "-f", "2", "-l", "2")
    lines = re.findall(r"^\s*(\S.*?)\s{2,}(\d+)\s*$", contents, re.M)
    titles = [title.split()[0] for title, _ in lines]
    assert titles[:4] == ["評価の方法", "総括", "地域の取組", "全指標の一覧"]
    page = int(dict((t.split()[0], p) for t, p in lines)["地域の取組"])
    # The chapter starts the page the contents name, after the summary's last page.
    assert "地区ごとの取組を紹介します" in pages[page - 1].replace("\n", "")
    assert "地区ごとの取組" not in pages[page - 2]
    assert "<b>は文字のまま" in pages[page - 1].replace("\n", "")
    # The web page has it too, in the contents and as a chapter.
    html = paths[1].read_text("utf-8")
    assert '<a href="#local">地域の取組' in html and 'id="local"' in html
    assert "&lt;b&gt;は文字のまま" in html


@pytest.mark.parametrize("text, reason", [
    ("parts = 3\n", "R012"),
    ("[[parts]]\ntemplates = []\n", "templates"),
    ('[[parts]]\ntemplates = ["cover.html"]\n[[parts]]\ntemplates = ["method.html"]\n', "anchor"),
    ('[[parts]]\ntemplates = ["cover.html"]\n[[parts]]\ntemplates = ["strategy.html"]\n'
     'each = "policy"\n', "each"),
    ('[[parts]]\ntemplates = ["cover.html"]\npage = 1\n', "page"),
    ("[[parts]\n", "TOML"),
])
def test_a_wrong_parts_file_is_r003_before_any_output(report_inputs, tmp_path, text, reason):
    merged, evaluation = report_inputs
    own = tmp_path / "tpl"
    own.mkdir()
    (own / PARTS_FILE).write_text(text, "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(MineReportError) as caught:
        render(out, merged, evaluation, templates_dir=own)
    message = str(caught.value)
    assert message.startswith(f"[R003] テンプレート {PARTS_FILE} を使えません")
    if reason == "R012":
        assert "[[parts]] の表" in message
    elif reason == "TOML":
        assert "line 1" in message
    else:
        assert f"の {reason} が正しくありません" in message
    assert list(out.iterdir()) == []
