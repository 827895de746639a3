"""The report under hostile templates and hostile text: templates are read only from real
files inside their folders and run sandboxed; nothing from data reaches report.html with
control characters or unbalanced bidi overrides; an unbroken 32,767-character word wraps
on the page; a build leaves only its own outputs."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from workbooks import cell_of, edit_workbook

from mine_report.cli import cli
from mine_report.outputs import report
from mine_report.outputs.context import build_context
from mine_report.outputs.layout_cache import CACHE_NAME

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
EPOCH = "1719792000"
#: Where text may reach on an A4 page (595 pt wide), whatever the margins.
PAGE_WIDTH_PT = 595.0


def run_build(input_dir: Path, output_dir: Path, *extra: str):
    return CliRunner(env={"MINE_REPORT_DEBUG": "1", "SOURCE_DATE_EPOCH": EPOCH}).invoke(
        cli, ["build", "--input", str(input_dir), "--output", str(output_dir), "--jobs", "2",
              *extra])


def render(tmp_path: Path, report_inputs, templates: Path) -> list[Path]:
    merged, evaluation = report_inputs
    return report.render_report(merged, evaluation, tmp_path / "out", templates_dir=templates,
                                html=True, jobs=1)


# --- templates ------------------------------------------------------------------------------


@pytest.fixture
def own(tmp_path):
    folder = tmp_path / "tpl"
    folder.mkdir()
    return folder


def test_a_symlink_out_of_the_template_folder_is_not_read(own, tmp_path, report_inputs):
    (own / "passwd.txt").symlink_to("/etc/passwd")
    (own / "cover.html").write_text("<section>{% include 'passwd.txt' %}</section>",
                                    encoding="utf-8")
    with pytest.raises(report.ReportError, match=r"^\[R003\] テンプレート passwd.txt"):
        render(tmp_path, report_inputs, own)
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("name", ["../secret.html", "/etc/passwd", "sub/../../secret.html"])
def test_include_cannot_leave_the_template_folder(own, tmp_path, report_inputs, name):
    (tmp_path / "secret.html").write_text("SECRET", encoding="utf-8")
    (own / "cover.html").write_text(f"<section>{{% include '{name}' %}}</section>",
                                    encoding="utf-8")
    with pytest.raises(report.ReportError, match=r"^\[R003\]"):
        render(tmp_path, report_inputs, own)


def test_a_symlink_inside_the_folder_is_followed(own, tmp_path, report_inputs):
    (own / "real-cover.html").write_text(
        '<section class="cover"><h1>リンク先の表紙 {{ report.municipality }}</h1></section>',
        encoding="utf-8")
    (own / "cover.html").symlink_to(own / "real-cover.html")
    paths = render(tmp_path, report_inputs, own)
    assert "リンク先の表紙 美祢市" in paths[1].read_text(encoding="utf-8")


@pytest.mark.parametrize("expression", [
    "report.__class__.__mro__", "''.__class__.__mro__[1].__subclasses__()",
    "report.strategies.__class__.__init__.__globals__",
])
def test_templates_are_sandboxed(own, tmp_path, report_inputs, expression):
    (own / "cover.html").write_text(f"<section>{{{{ {expression} }}}}</section>",
                                    encoding="utf-8")
    with pytest.raises(report.ReportError, match=r"^\[R003\]"):
        render(tmp_path, report_inputs, own)


def test_the_pdf_renderer_fetches_nothing_through_a_symlink(own, tmp_path):
    (tmp_path / "outside.css").write_text("p {}", encoding="utf-8")
    (own / "style.css").symlink_to(tmp_path / "outside.css")
    fetcher = report.AssetFetcher([own])
    with pytest.raises(ValueError, match="テンプレートのフォルダー外"):
        fetcher.fetch((own / "style.css").as_uri())


# --- text from data -----------------------------------------------------------------------

NASTY = "前\x1b[31m赤\x00\x07\u202e逆順\u2066孤立\u202c\u2069閉じ過ぎ\u202c後"


def test_every_output_of_a_template_is_cleaned(report_inputs):
    env = report.make_environment([report.default_templates_dir()])
    out = env.from_string("<p title='{{ v }}'>{{ v }}|{{ v|safe }}|{{ v|upper }}</p>").render(v=NASTY)
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", out)
    for part in re.split(r"[|'<>]", out):
        depth = 0
        for char in part:
            depth += char in "\u202a\u202b\u202d\u202e\u2066\u2067\u2068"
            depth -= char in "\u202c\u2069"
            assert depth >= 0, ascii(part)
        assert depth == 0, ascii(part)
    assert "前[31m赤" in out and "後" in out


def test_controls_in_department_text_never_reach_report_html(tmp_path, report_inputs):
    merged, evaluation = report_inputs
    key, measure = next((k, m) for k, m in merged.measures.items() if m.report is not None)
    nasty = dataclasses.replace(measure, report=dataclasses.replace(measure.report, issues=NASTY))
    merged = dataclasses.replace(merged, measures={**merged.measures, key: nasty})
    html = report.render_html(build_context(merged, evaluation), [report.default_templates_dir()])
    assert "赤" in html and "閉じ過ぎ" in html
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", html)
    assert html.count("\u202e") == 1 and html.count("\u2066") == 1


# --- whole builds ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_words(tmp_path_factory):
    """A build whose 取組実績 is one 32,767-character word (Excel's cell limit) and whose
    first initiative's text (a table cell) is a 3,000-character one."""
    folder = tmp_path_factory.mktemp("long") / "in"
    shutil.copytree(SAMPLES, folder)
    path = folder / "01-kanko-shinko.xlsx"
    sheet, text_cell = cell_of(path, "1-1-1", "achievements")
    _, initiative_cell = cell_of(path, "1-1-1-i1", "text")

    def fill(wb):
        wb[sheet][text_cell] = "x" * 32767
        wb[sheet][initiative_cell] = "w" * 3000

    edit_workbook(path, fill)
    out = folder.parent / "out"
    result = run_build(folder, out, "--html")
    assert result.exit_code == 0, result.output
    return out


def test_a_32767_character_word_wraps_inside_the_page(long_words):
    pdf = long_words / "report.pdf"
    boxes = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes))
    assert right < PAGE_WIDTH_PT - 20, right  # inside the page and its margin
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert text.count("x" * 60) >= 32767 // 120  # printed in full, line after line
    assert text.count("w" * 20) >= 3000 // 60  # the table cell too
    html = (long_words / "report.html").read_text(encoding="utf-8")
    assert "x" * 32767 in html and "overflow-wrap" in html


def test_a_build_without_html_removes_the_html_of_the_build_before(long_words, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(long_words, out)
    (out / "memo.txt").write_text("the user's", encoding="utf-8")
    assert (out / "report.html").exists()
    result = run_build(SAMPLES, out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        CACHE_NAME, "kpi_merged.xlsx", "kpi_metadata.json", "kpi_results.csv",
        "kpi_results.json", "kpi_values.csv", "memo.txt", "report.pdf", "round_history.jsonl"]
    assert "x" * 1000 not in subprocess.run(["pdftotext", str(out / "report.pdf"), "-"],
                                            capture_output=True, text=True).stdout


def test_a_template_error_mid_build_keeps_the_previous_outputs(long_words, tmp_path, own):
    out = tmp_path / "out"
    shutil.copytree(long_words, out)
    def files() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    before = files(), sorted(os.listdir(out / CACHE_NAME))
    (own / "strategy.html").write_text("{{ s.no_such_field }}", encoding="utf-8")
    result = run_build(SAMPLES, out, "--templates", str(own))
    assert result.exit_code == 1 and "[R003]" in result.output
    assert "Traceback" not in result.output
    assert (files(), sorted(os.listdir(out / CACHE_NAME))) == before
    # No staging folder is left; the layout cache of the earlier build is kept as it was.
    assert [name for name in os.listdir(out) if name.startswith(".")] == [CACHE_NAME]
