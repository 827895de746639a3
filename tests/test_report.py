"""The evaluation report PDF/HTML, rendered from a realistic graded year (conftest's
report_inputs) and checked with the real PDF tools a reader's computer would use."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pikepdf
import pytest
from conftest import INJECTED_COMMENT, REPORT_UNSUBMITTED
from pdfstruct import walk

from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.numbers import format_actual, format_rate, kpi_places
from mine_report.outputs import report
from mine_report.outputs.context import build_context

pytestmark = pytest.mark.slow

EPOCH = "1719792000"  # 2024-07-01 00:00 UTC
TESTS = Path(__file__).resolve().parent


def norm(text: str) -> str:
    """Text without any whitespace: table cells wrap long names over several lines."""
    return "".join(text.split())


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


class RecordingFetcher(report.AssetFetcher):
    """The real fetcher, noting every URL WeasyPrint asks for and what it got."""

    calls: list[tuple[str, bool]] = []

    def fetch(self, url, headers=None):
        try:
            response = super().fetch(url, headers)
        except ValueError:
            self.calls.append((url, False))
            raise
        self.calls.append((url, True))
        return response


def data_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    wb.active.append(["KPI", "実績値"])
    wb.active.append(["1-1-1-1", 511])
    wb.save(path)
    return path


def render(out: Path, merged, evaluation, **options) -> list[Path]:
    """Render in this process (jobs=1), so that the fetcher's calls are recorded here;
    test_same_inputs_give_identical_bytes renders on two processes and compares."""
    options.setdefault("jobs", 1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.setattr(report, "AssetFetcher", RecordingFetcher)
        RecordingFetcher.calls = []
        return report.render_report(merged, evaluation, out, **options)


@pytest.fixture(scope="module")
def built(tmp_path_factory, report_inputs):
    """The report rendered once (PDF + HTML, the data workbook attached)."""
    merged, evaluation = report_inputs
    out = tmp_path_factory.mktemp("output")
    attachment = data_workbook(out / "kpi_merged.xlsx")
    messages: list[str] = []
    paths = render(out, merged, evaluation, html=True, attachments=[attachment],
                   progress=messages.append)
    text = pdftotext(out / "report.pdf")
    raw = pdftotext(out / "report.pdf", "-raw")  # drawing order: a wrapped cell stays together
    layout = pdftotext(out / "report.pdf", "-layout")
    return dict(out=out, paths=paths, pdf=out / "report.pdf", html=out / "report.html",
                text=text, raw=raw, pages=text.split("\f")[:-1], layout=layout.split("\f")[:-1],
                fetched=list(RecordingFetcher.calls),
                attachment=attachment, messages=messages, merged=merged, evaluation=evaluation)


def test_writes_pdf_and_html_and_says_so(built):
    assert built["paths"] == [built["pdf"], built["html"]]
    assert built["pdf"].read_bytes().startswith(b"%PDF-1.7")
    assert built["messages"][-1].endswith("report.pdf、report.html")
    assert not [p for p in built["out"].iterdir() if p.name.endswith(".part")]


def test_page_count_is_sane_and_every_page_is_a4(built):
    info = subprocess.run(["pdfinfo", str(built["pdf"])], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    assert 30 <= pages <= 80
    assert pages == len(built["pages"])
    assert re.search(r"^Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info, re.M)


def test_metadata_language_and_pdfa(built):
    info = subprocess.run(["pdfinfo", str(built["pdf"])], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^Title:\s+第2期美祢市.*令和5年度 効果検証報告書$", info, re.M)
    assert re.search(r"^Author:\s+美祢市$", info, re.M)
    assert re.search(r"^Subject:\s+\S.*効果検証", info, re.M)
    assert re.search(r"^CreationDate:\s+Mon Jul  1 00:00:00 2024", info, re.M)
    qdf = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(built["pdf"]), "-"],
                         capture_output=True, check=True).stdout
    assert b"/Lang (ja)" in qdf
    assert b'pdfaid:part="3"' in qdf and b'pdfaid:conformance="A"' in qdf
    assert b"/OutputIntents" in qdf and b"/GTS_PDFA1" in qdf
    assert b"/AFRelationship /Data" in qdf  # PDF/A-3: the attached data the tables show
    check = subprocess.run(["qpdf", "--check", str(built["pdf"])], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_only_embedded_biz_ud_fonts(built):
    listing = subprocess.run(["pdffonts", str(built["pdf"])], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert listing
    for line in listing:
        name, emb = line.split()[0], line.split()[-5]
        assert emb == "yes", line
        assert "BIZ-UD" in name, line


def test_each_font_subset_has_its_own_name(built):
    # Every part embeds its own subset of the same font: one name for two subsets could
    # make a viewer draw glyphs from the wrong one.
    with pikepdf.open(built["pdf"]) as pdf:
        subsets: dict[str, set[bytes]] = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0":
                descriptor = obj.DescendantFonts[0].FontDescriptor
                assert descriptor.FontName == obj.BaseFont
                subsets.setdefault(str(obj.BaseFont), set()).add(
                    descriptor.FontFile2.read_bytes())
    assert len(subsets) >= 2
    assert all(len(data) == 1 for data in subsets.values()), sorted(subsets)


def test_each_font_is_embedded_once_across_the_joined_parts(built):
    with pikepdf.open(built["pdf"]) as pdf:
        programs: dict[str, set[tuple[int, int]]] = {}
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0":
                descriptor = obj.DescendantFonts[0].FontDescriptor
                family = str(obj.BaseFont).split("+")[-1]
                programs.setdefault(family, set()).add(descriptor.FontFile2.objgen)
    assert sorted(programs) == ["BIZ-UDPGothic", "BIZ-UDPGothic-Bold"]
    assert all(len(p) == 1 for p in programs.values()), programs


def test_tagged_pdf_has_one_sound_structure_tree(built):
    info = subprocess.run(["pdfinfo", str(built["pdf"])], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    html = built["html"].read_text(encoding="utf-8")
    strategies = built["merged"].plan.strategies
    with pikepdf.open(built["pdf"]) as pdf:
        found = walk(pdf)
        assert pdf.Root.PageMode == "/UseOutlines"  # the bookmarks panel opens
        assert pdf.Root.ViewerPreferences.DisplayDocTitle  # the title, not the file name
        assert pdf.Root.MarkInfo.Marked
        alts = [str(e.Alt) for e in _figures(pdf.Root.StructTreeRoot)]
    assert found.problems == []
    # cover, method, summary, the table of every indicator, one per strategy, appendix;
    # in the order of the pages: one H1 for each in the HTML
    assert found.types["H1"] == html.count("<h1") == 5 + len(strategies)
    assert [page for _, page in found.order] == sorted(page for _, page in found.order)
    assert found.types["Figure"] == html.count("<svg") == len(alts)
    assert found.types["TH"] > 500 and found.types["Table"] > 50
    first = built["evaluation"].kpis["1-1-1-1"].kpi
    alt = next(a for a in alts if a.startswith(first.name))
    assert "基準値 499（H30）" in alt and "目標値 540（R6）" in alt and "実績 R2" in alt
    assert any(a.startswith("重点戦略別の評価の内訳。重点戦略1：A ") for a in alts)


def _figures(root):
    stack = list(root.K)
    while stack:
        elem = stack.pop()
        if isinstance(elem, pikepdf.Dictionary) and "/S" in elem:
            if elem.S == "/Figure":
                yield elem
            kids = elem.get("/K")
            if isinstance(kids, pikepdf.Array):
                stack.extend(kids)


def test_every_page_but_the_cover_has_its_number_in_the_footer(built):
    pages = built["layout"]  # physical layout: the footer is the last line
    assert not re.search(r"- \d+ / \d+ -", pages[0])
    for number, page in enumerate(pages[1:], start=2):
        last = [line for line in page.splitlines() if line.strip()][-1]
        assert last.strip() == f"- {number} / {len(pages)} -", (number, last)


def test_right_and_left_pages_keep_the_binding_margin_on_the_inside(built):
    # Odd pages are right-hand pages: 25 mm on the left, 15 mm on the right; even pages
    # the other way round, whichever part of the report was laid out where.
    words = subprocess.run(["pdftotext", "-bbox", str(built["pdf"]), "-"], capture_output=True,
                           text=True, check=True).stdout
    pages = words.split("<page ")[1:]
    mm = 72 / 25.4
    for number, page in enumerate(pages, start=1):
        if number == 1:
            continue  # the cover is centred
        left = min(float(x) for x in re.findall(r'xMin="([\d.]+)"', page))
        expected = 25 * mm if number % 2 else 15 * mm
        assert abs(left - expected) < 1.5, (number, left / mm)


def test_contents_links_and_bookmarks_lead_to_their_pages(built):
    entries = dict((title.split()[0], page) for title, page in contents_entries(built))
    with pikepdf.open(built["pdf"]) as pdf:
        index = {page.obj.objgen: i + 1 for i, page in enumerate(pdf.pages)}
        names = pdf.Root.Names.Dests.Names
        dests = {str(n): index[d[0].objgen] for n, d in zip(names[::2], names[1::2], strict=True)}
        links = [str(a.Dest) for a in pdf.pages[1].obj.Annots if a.Subtype == "/Link"]
        with pdf.open_outline() as outline:
            marks = {str(item.title): index[item.destination[0].objgen]
                     for item in outline.root}
            policies = {str(child.title): index[child.destination[0].objgen]
                        for item in outline.root for child in item.children}
    strategies = built["merged"].plan.strategies
    assert len(set(links)) == len(entries)  # the title and its page number both link
    assert dests["method"] == entries["評価の方法"] and dests["appendix"] == entries["付録"]
    for s in strategies:
        assert f"strategy-{s.id}" in links
        assert dests[f"strategy-{s.id}"] == entries[f"重点戦略{s.id}"]
        # Bookmarks read as the headings do, number and title apart, no grade after them.
        assert marks[f"重点戦略{s.id}　{s.title}"] == entries[f"重点戦略{s.id}"]
        for p in s.policies:
            assert dests[f"policy-{p.id}"] == entries[f"戦略方針{p.id}"]
            assert policies[f"戦略方針{p.id}　{p.title}"] == entries[f"戦略方針{p.id}"]


def test_data_workbook_is_attached(built, tmp_path):
    listed = subprocess.run(["pdfdetach", "-list", str(built["pdf"])], capture_output=True,
                            text=True, check=True).stdout
    assert "kpi_merged.xlsx" in listed
    subprocess.run(["pdfdetach", "-saveall", "-o", str(tmp_path), str(built["pdf"])], check=True)
    assert (tmp_path / "kpi_merged.xlsx").read_bytes() == built["attachment"].read_bytes()


def test_text_has_title_every_kpi_and_cover_details(built):
    text = norm(built["text"])
    plan = built["merged"].plan
    assert "令和5年度効果検証報告書" in text
    cover = norm(built["pages"][0])
    assert norm(plan.title) in cover
    assert norm(f"{plan.municipality}{plan.issuer}") in cover
    assert "令和6年7月1日" in cover  # SOURCE_DATE_EPOCH 2024-07-01
    assert "暫定版" not in cover and "サンプルデータ" not in cover
    raw = norm(built["raw"])
    missing = [k.id for k in plan.kpis + plan.goal_indicators if norm(k.name) not in raw]
    assert missing == []


def test_summary_table_has_every_grade_count(built):
    evaluation = built["evaluation"]
    summary = next(i for i, p in enumerate(built["pages"]) if p.lstrip().startswith(
        built["merged"].plan.title) and "重点戦略別の評価" in p)
    layout = pdftotext(built["pdf"], "-layout", "-f", str(summary + 1), "-l", str(summary + 1))
    rows = {f"重点戦略{sid}": r for sid, r in evaluation.strategies.items()}
    rows["KPI 全体"] = evaluation.total
    rows["目標指標"] = evaluation.goal_total
    for label, rollup in rows.items():
        numbers = [str(n) for n in rollup.counts.values()] + [str(rollup.total)]
        pattern = re.escape(label) + r"\D*?" + r"\s+".join(numbers) + r"\s"
        assert re.search(pattern, layout), (label, numbers)


def contents_entries(built) -> list[tuple[str, int]]:
    """(title, page) of every line of the contents page, as printed."""
    contents = pdftotext(built["pdf"], "-layout", "-f", "2", "-l", "2")
    return [(title, int(page)) for title, page in
            re.findall(r"^\s*(\S.*?)\s{2,}(\d+)\s*$", contents, re.M)]


def test_contents_page_numbers_match_where_chapters_start(built):
    pages = built["pages"]
    plan = built["merged"].plan
    entries = contents_entries(built)
    expected_titles = (["評価の方法", "総括", "全指標の一覧"]
                       + [t for s in plan.strategies
                          for t in [f"重点戦略{s.id}", *(f"戦略方針{p.id}" for p in s.policies)]]
                       + ["付録"])
    assert [title.split()[0] for title, _ in entries] == expected_titles
    numbers = [page for _, page in entries]
    assert numbers == sorted(numbers) and numbers[0] == 3
    for title, page in entries:
        heading = norm(title)
        text = norm(pages[page - 1])
        assert heading in text, (title, page)
        if title.startswith("戦略方針"):
            # Mid-page heading: it must not already be on the page before.
            if page - 1 > 2:
                assert heading not in norm(pages[page - 2]), (title, page)
        else:
            # A chapter starts a page: its heading comes right after the running header.
            assert text.index(heading) < len(norm(plan.title)) + 2 * len(heading) + 10, title


def test_running_header_names_the_current_chapter(built):
    plan = built["merged"].plan
    entries = [(t, p) for t, p in contents_entries(built) if not t.startswith("戦略方針")]
    starts = [p for _, p in entries] + [len(built["pages"]) + 1]
    for (title, first), end in zip(entries, starts[1:], strict=True):
        for page in range(first, end):
            header = next(line for line in built["layout"][page - 1].splitlines() if line.strip())
            left, right = header.strip().split(maxsplit=1)
            assert left == plan.title, page
            assert norm(right).startswith(norm(title.split()[0])), (page, header)
    strategy3 = next(p for t, p in entries if t.startswith("重点戦略3"))
    # A long chapter title wraps within the header's right-hand box (two lines at most).
    header = [line for line in built["layout"][strategy3].splitlines() if line.strip()][:2]
    assert norm(plan.strategies[2].title) in norm("".join(header))


def test_department_text_is_printed_literally_and_nothing_is_fetched(built):
    assert norm(INJECTED_COMMENT) in norm(built["text"])
    assert built["fetched"] == []
    html = built["html"].read_text(encoding="utf-8")
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "<img" not in html


def test_html_is_self_contained(built):
    html = built["html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ja">' in html
    assert "<style>" in html and html.count("<svg") >= 85
    for external in ("<link", "<script", "<img", ' src="', "url("):
        assert external not in html, external


def test_no_line_starts_with_closing_punctuation(built):
    bad = [line for line in built["text"].splitlines() if line and line[0] in "、。」）"]
    assert bad == []


def test_unsubmitted_measure_is_reported(built):
    text = norm(built["text"])
    measure = built["merged"].plan.measure(REPORT_UNSUBMITTED)
    assert norm(f"施策{measure.id}{measure.title}") in text
    assert "この施策の調査票は提出されていない" in text
    appendix = pdftotext(built["pdf"], "-layout", "-f", str(len(built["pages"])))
    assert re.search(rf"{measure.id}\s+{re.escape(measure.title)}\s+重点戦略2", appendix)


def test_worked_example_uses_the_engines_numbers(built):
    evaluation = built["evaluation"]
    context = build_context(built["merged"], evaluation)
    example = "".join(context.example)
    kpi_id = re.search(r"（(\d+-\d+-\d+-\d+)）", example)[1]
    graded = evaluation.kpis[kpi_id].current
    assert format_rate(graded.progress_rate) in example
    assert format_actual(graded.actual, kpi_places(graded.kpi)) in example
    assert f"評価は「{graded.grade}」" in example
    assert norm(example) in norm(built["text"])


def test_same_inputs_give_identical_bytes(built, tmp_path):
    # Another process with another hash seed, and the parts laid out on two worker
    # processes instead of one: no set or dict order, nor which worker laid out which
    # part, may leak into the bytes.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pathlib import Path\n"
        "from conftest import make_report_inputs\n"
        "from mine_report.outputs.report import render_report\n"
        "merged, evaluation = make_report_inputs()\n"
        "render_report(merged, evaluation, Path(sys.argv[2]), html=True,"
        " attachments=[Path(sys.argv[3])], jobs=2)\n")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": "12345"}
    run = subprocess.run([sys.executable, "-c", script, str(TESTS), str(tmp_path),
                          str(built["attachment"])], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "report.pdf").read_bytes() == built["pdf"].read_bytes()
    assert (tmp_path / "report.html").read_bytes() == built["html"].read_bytes()


def test_cover_flags_draft_and_sample(report_inputs):
    merged, evaluation = report_inputs
    flagged = dataclasses.replace(merged, draft=True, sample=True)
    html = report.render_html(build_context(flagged, evaluation), report.template_dirs(None))
    cover = html[html.index('<header class="cover">'):html.index("</header>")]
    assert "暫定版" in cover and "サンプルデータ" in cover
    plain = report.render_html(build_context(merged, evaluation), report.template_dirs(None))
    assert "暫定版" not in plain[plain.index('<header class="cover">'):]


def test_report_names_the_plans_own_issuer(report_inputs):
    merged, evaluation = report_inputs
    other = dataclasses.replace(merged.plan, municipality="架空町", issuer="企画課",
                                title="架空町総合戦略")
    html = report.render_html(build_context(dataclasses.replace(merged, plan=other), evaluation),
                              report.template_dirs(None))
    assert "架空町　企画課" in html and "美祢市" not in html.split('<header class="cover">')[1].split("</header>")[0]
    assert f"{format_fiscal_year(evaluation.year)} 効果検証報告書" in html


# --- user templates and the URL fetcher ------------------------------------------------------


def test_user_templates_override_and_only_their_assets_are_fetched(report_inputs, tmp_path):
    merged, evaluation = report_inputs
    own = tmp_path / "mytemplates"
    own.mkdir()
    (own / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10"/></svg>', encoding="utf-8")
    # A tiny report that tries every way out; the rest of the package templates stay.
    (own / "report.html").write_text(
        '<!DOCTYPE html><html lang="ja"><head><title>{{ report.title }}</title>'
        '<style>{% include "report.css" %}</style></head><body>'
        '<h1>{{ report.municipality }}の独自様式</h1><img src="logo.svg" alt="logo">'
        '<img src="file:///etc/passwd" alt="x"><img src="http://example.com/x.png" alt="y">'
        '<img src="../escape.svg" alt="z">'
        '{% include "method.html" %}</body></html>', encoding="utf-8")
    (tmp_path / "escape.svg").write_text((own / "logo.svg").read_text(), encoding="utf-8")
    out = tmp_path / "out"
    paths = render(out, merged, evaluation, templates_dir=own)
    assert paths == [out / "report.pdf"]
    text = pdftotext(paths[0])
    # Without `sections` the template is laid out whole, once: nothing repeated per part.
    assert text.count("美祢市の独自様式") == 1 and "評価の方法" in text
    served = {url.rsplit("/", 1)[-1]: ok for url, ok in RecordingFetcher.calls}
    assert served == {"logo.svg": True, "passwd": False, "x.png": False, "escape.svg": False}


def test_left_pages_of_another_width_are_laid_out_on_their_own_side(report_inputs, tmp_path):
    # A user's style whose left-hand pages have a wider text block: a part laid out from a
    # right-hand page cannot just be moved over, so it is laid out again on its real side.
    merged, evaluation = report_inputs
    own = tmp_path / "wide-left"
    own.mkdir()
    css = (report.default_templates_dir() / "report.css").read_text(encoding="utf-8")
    (own / "report.css").write_text(
        css + "\n@page :left { margin-left: 10mm; margin-right: 10mm; }\n", encoding="utf-8")
    paths = render(tmp_path / "out", merged, evaluation, templates_dir=own, jobs=2)
    words = subprocess.run(["pdftotext", "-bbox", str(paths[0]), "-"], capture_output=True,
                           text=True, check=True).stdout
    layout = pdftotext(paths[0], "-layout").split("\f")[:-1]
    mm = 72 / 25.4
    for number, page in enumerate(words.split("<page ")[1:], start=1):
        if number == 1:
            continue
        left = min(float(x) for x in re.findall(r'xMin="([\d.]+)"', page))
        right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', page))
        if number % 2:
            assert abs(left - 25 * mm) < 3, (number, left / mm)
        else:  # the wider block reaches beyond where a right-hand page's text could
            assert abs(left - 10 * mm) < 3, (number, left / mm)
        assert right < 595 - 9 * mm, (number, right / mm)
        footer = [line for line in layout[number - 1].splitlines() if line.strip()][-1]
        assert footer.strip() == f"- {number} / {len(layout)} -"


def test_fetcher_refuses_everything_outside_the_template_folders(tmp_path):
    fetcher = report.AssetFetcher([tmp_path])
    (tmp_path / "a.css").write_text("p {}", encoding="utf-8")
    assert fetcher.fetch((tmp_path / "a.css").as_uri()).read() == b"p {}"
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://example.com/",
                "data:text/plain,hi", (tmp_path / "missing.css").as_uri(),
                (tmp_path / ".." / "x").as_uri()):
        with pytest.raises(ValueError, match="R011|テンプレートのフォルダー外"):
            fetcher.fetch(url)


def test_missing_templates_folder_is_a_clear_error(report_inputs, tmp_path):
    merged, evaluation = report_inputs
    with pytest.raises(report.ReportError, match=r"^\[R002\] テンプレートのフォルダーがありません"):
        report.render_report(merged, evaluation, tmp_path, templates_dir=tmp_path / "nope")
    assert list(tmp_path.iterdir()) == []


def test_broken_user_template_fails_before_any_output_and_keeps_the_old_report(
        report_inputs, tmp_path):
    merged, evaluation = report_inputs
    own = tmp_path / "tpl"
    own.mkdir()
    (own / "cover.html").write_text("<section>\n{% if report.title %}\n</section>\n",
                                    encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"old report")
    with pytest.raises(report.ReportError, match=r"^\[R003\] テンプレート .*cover.html.* 行目"):
        report.render_report(merged, evaluation, out, templates_dir=own)
    assert (out / "report.pdf").read_bytes() == b"old report"
    assert sorted(p.name for p in out.iterdir()) == ["report.pdf"]
    (own / "cover.html").write_text("{{ report.no_such_field }}", encoding="utf-8")
    with pytest.raises(report.ReportError, match=r"^\[R003\].*no_such_field"):
        report.render_report(merged, evaluation, out, templates_dir=own)


def test_missing_attachment_is_a_clear_error(report_inputs, tmp_path):
    merged, evaluation = report_inputs
    with pytest.raises(report.ReportError, match=r"^\[R004\].*kpi_merged.xlsx"):
        report.render_report(merged, evaluation, tmp_path,
                             attachments=[tmp_path / "kpi_merged.xlsx"])
    assert not (tmp_path / "report.pdf").exists()


def test_missing_font_stops_before_rendering(tmp_path):
    # A fontconfig with no font folders at all: what a server without fonts looks like.
    conf = tmp_path / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
                    f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>",
                    encoding="utf-8")
    out = tmp_path / "out"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pathlib import Path\n"
        "from conftest import make_report_inputs\n"
        "from mine_report.outputs.report import FontMissingError, render_report\n"
        "merged, evaluation = make_report_inputs()\n"
        "try:\n"
        "    render_report(merged, evaluation, Path(sys.argv[2]))\n"
        "except FontMissingError as exc:\n"
        "    print(exc)\n"
        "    sys.exit(3)\n")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONWARNINGS": "ignore"}
    run = subprocess.run([sys.executable, "-c", script, str(TESTS), str(out)], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 3, run.stdout + run.stderr
    message = run.stdout.strip()
    assert message.startswith("[R001] ")
    assert "BIZ UDPGothic" in message
    assert "fonts-morisawa-bizud-gothic" in message and "fonts-morisawa-bizud-mincho" in message
    assert "Traceback" not in run.stderr
    assert not out.exists() or list(out.iterdir()) == []


def test_fonts_are_found_here():
    report.check_fonts()  # the test machine has the fonts (make fonts installs them)
    assert report.REQUIRED_FONT in report.installed_font_families()


def test_tables_continued_on_a_new_page_repeat_their_header(built):
    plan = built["merged"].plan
    tables = 1 + sum(bool(s.goal_indicators) for s in plan.strategies) + len(plan.measures)
    mentions = norm(built["raw"]).count("基準値(年度)")  # a header cell of every KPI table
    # Each KPI table prints its header once, plus once more on every page it runs onto.
    assert mentions > tables
