"""report.html in a real browser: Debian's headless Chromium (driven over the DevTools
protocol, tests/cdp.py) at a phone's 390 px and a desktop's 1280 px, with axe-core (npm,
installed into node_modules/ by `make test`) checking accessibility."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cdp import Browser
from conftest import INJECTED_COMMENT

from mine_report.outputs import charts
from mine_report.outputs.context import build_context
from mine_report.outputs.report import render_html, template_dirs
from mine_report.plan.model import INTERNAL, PUBLIC

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SMALLEST, PHONE, DESKTOP = 320, 390, 1280

#: The figures one page needs, gathered in one evaluation.
MEASURE = """(() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  const charts = [...document.querySelectorAll('.charts')].filter(c => c.children.length >= 3)
    .map(c => [...c.children].slice(0, 3).map(box));
  const name = document.querySelector('table.kpi tbody th.name');
  const scroller = name.closest('.table-scroll');
  return {
    pageWidth: document.documentElement.scrollWidth, viewport: window.innerWidth,
    bodyWidth: document.body.scrollWidth,
    charts, nameWidth: name.getBoundingClientRect().width,
    scroller: [scroller.scrollWidth, scroller.clientWidth],
    countChart: box(document.querySelector('.count-chart')),
    content: box(document.querySelector('main')),
    targets: [...document.querySelectorAll('.toc a, .back-to-contents a, .skip-link')]
      .map(a => { const r = a.getBoundingClientRect(); return [a.textContent, r.width, r.height]; }),
    grades: [...document.querySelectorAll('.grade')].map(g => [g.textContent, g.getAttribute('role'), g.getAttribute('aria-label')]),
    headings: [...document.querySelectorAll('h1, h2, h3')].map(h => h.textContent),
    captions: [...document.querySelectorAll('table')].map(t => t.caption ? t.caption.textContent : null),
    mains: document.querySelectorAll('main').length,
    firstFocus: (() => { const a = document.querySelector('a[href], [tabindex]'); return [a.className, a.getAttribute('href')]; })(),
    backLinks: document.querySelectorAll('.back-to-contents a[href="#contents"]').length,
    contents: !!document.getElementById('contents'),
  };
})()"""
AXE_RUN = ("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
           "v => ({id: v.id, impact: v.impact, help: v.help,"
           " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))")


def web_page(report_inputs, folder: Path, edition: str) -> Path:
    """report.html as `build --html` writes it (render_report renders it with web=True)."""
    merged, evaluation = report_inputs
    context = build_context(merged, evaluation, edition=edition)
    path = folder / f"report-{edition}.html"
    path.write_text(render_html(context, template_dirs(None), web=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def pages(report_inputs, tmp_path_factory):
    """Each edition's page at each width, measured and checked by axe in one browser."""
    assert AXE.is_file(), "axe-core is missing: run `make test` (it runs npm ci)"
    folder = tmp_path_factory.mktemp("html")
    axe = AXE.read_text(encoding="utf-8")
    results = {}
    with Browser() as browser:
        for edition, widths in ((PUBLIC, (SMALLEST, PHONE, DESKTOP)), (INTERNAL, (PHONE,))):
            path = web_page(report_inputs, folder, edition)
            for width in widths:
                browser.open(path, width)
                measured = browser.evaluate(MEASURE)
                browser.evaluate(axe)
                measured["violations"] = browser.evaluate(AXE_RUN, wait=True)
                results[edition, width] = measured
    return results


@pytest.mark.parametrize(("edition", "width"), [(PUBLIC, SMALLEST), (PUBLIC, PHONE),
                                                (PUBLIC, DESKTOP), (INTERNAL, PHONE)])
def test_page_never_scrolls_sideways(pages, edition, width):
    page = pages[edition, width]
    assert page["viewport"] == width
    assert page["pageWidth"] <= width and page["bodyWidth"] <= width


@pytest.mark.parametrize(("edition", "width"), [(PUBLIC, PHONE), (PUBLIC, DESKTOP),
                                                (INTERNAL, PHONE)])
def test_axe_finds_no_serious_or_critical_violation(pages, edition, width):
    violations = pages[edition, width]["violations"]
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, ensure_ascii=False, indent=1)
    # What the page lacked before: a main landmark, content outside landmarks.
    assert not {v["id"] for v in violations} & {"landmark-one-main", "region"}


def test_phone_tables_scroll_in_their_box_with_a_readable_name_column(pages):
    page = pages[PUBLIC, PHONE]
    wide, visible = page["scroller"]
    assert wide > visible  # the KPI table is wider than a phone: its box scrolls
    assert page["nameWidth"] >= 9 * 16 * 0.95  # 9 em, not a character per line


def test_charts_one_per_row_on_a_phone_and_three_on_a_desktop(pages):
    for first, second, third in pages[PUBLIC, PHONE]["charts"]:
        assert first[1] < second[1] < third[1]  # stacked
    phone_content = pages[PUBLIC, PHONE]["content"][2]
    assert pages[PUBLIC, PHONE]["countChart"][2] >= phone_content * 0.95  # full width
    for first, second, third in pages[PUBLIC, DESKTOP]["charts"]:
        assert first[1] == second[1] == third[1]  # side by side
        assert first[0] < second[0] < third[0]


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_links_are_touch_targets_of_24_px(pages, width):
    targets = pages[PUBLIC, width]["targets"]
    assert len(targets) > 20
    small = [t for t in targets if t[2] < 24 or t[1] < 24]
    # The skip link is off-screen until focused; its box is still full size.
    assert small == []


def test_landmarks_skip_link_and_links_back_to_the_contents(pages, report_inputs):
    page = pages[PUBLIC, PHONE]
    assert page["mains"] == 1 and page["contents"]
    assert page["firstFocus"] == ["skip-link", "#main"]
    # method, summary, the table of every indicator, strategies, appendix
    chapters = 4 + len(report_inputs[0].plan.strategies)
    assert page["backLinks"] == chapters


def test_every_table_has_a_caption(pages):
    captions = pages[PUBLIC, PHONE]["captions"]
    assert captions and all(c and c.strip() for c in captions)


def test_grade_badges_have_names_and_headings_no_glued_grade(pages, report_inputs):
    _, evaluation = report_inputs
    scheme = evaluation.scheme
    labels = {g.key: g.label for g in scheme.grades}
    grades = pages[PUBLIC, PHONE]["grades"]
    assert {letter for letter, _, _ in grades} >= set(labels)
    for letter, role, name in grades:
        assert role == "img"
        if letter in labels:
            assert name == f"評価{letter}（{labels[letter]}）"
        else:
            assert name == scheme.ungraded.label
    for heading in pages[PUBLIC, PHONE]["headings"]:
        assert not re.search(r"[A-D－]$", heading.strip()), heading


def test_public_page_names_no_staff_files_or_hashes(report_inputs, tmp_path):
    merged, _ = report_inputs
    public = web_page(report_inputs, tmp_path, PUBLIC).read_text(encoding="utf-8")
    internal = web_page(report_inputs, tmp_path, INTERNAL).read_text(encoding="utf-8")
    for f in merged.inputs:
        assert f.submitter in internal and f.name in internal and f.sha256[:12] in internal
        assert f.submitter not in public, f.submitter
        assert f.name not in public and f.sha256[:12] not in public
    assert "内部資料" in internal and "内部資料" not in public
    assert "&lt;img" in public and INJECTED_COMMENT.split("<")[0] in public


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def six_digits(colour: str) -> str:
    """#FFF → #FFFFFF."""
    return "#" + "".join(c * 2 for c in colour[1:]) if len(colour) == 4 else colour


CUD = {"#FF4B00", "#FFF100", "#03AF7A", "#005AFF", "#4DC4FF", "#FF8082", "#F6AA00",
       "#990099", "#804000"}


def test_grade_colours_are_cud_with_readable_letters():
    """Every default palette (3 to 7 grades) and the Mine scheme's badges are CUD colours
    with letters at 4.5:1 or more; the page gets them as CSS from the scheme."""
    from mine_report.grading.schemes import PALETTES, builtin

    for palette in PALETTES.values():
        for fill, text in palette:
            assert fill in CUD
            assert contrast(text, fill) >= 4.5, fill
    scheme = builtin("mine")
    css = scheme.css()
    for key, (fill, text) in scheme.colours.items():
        assert fill in CUD or key == scheme.ungraded.key
        assert contrast(text, fill) >= 4.5, key
        assert fill.lower() in css.lower()
    for colour in (charts.ACTUAL_COLOUR, charts.TARGET_COLOUR):
        assert colour in CUD and contrast(colour, "#FFFFFF") >= 4.5
