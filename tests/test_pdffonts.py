"""pdffonts: subsets of one font from separately rendered PDFs merge into one program that
holds every glyph of each, and a joined PDF then embeds each font once."""

from __future__ import annotations

import io
import subprocess

import pikepdf
import pytest
import weasyprint
from fontTools.ttLib import TTFont

from mine_report.outputs.pdffonts import (
    _glyphs,
    _merge_programs,
    share_font_dictionaries,
    share_font_programs,
)

pytestmark = pytest.mark.slow

PAGE = ('<html lang="ja"><body style="font-family: \'BIZ UDPGothic\'">'
        '<p>{text}</p><p style="font-weight: bold">{bold}</p></body></html>')


def render(text: str, bold: str) -> bytes:
    return weasyprint.HTML(string=PAGE.format(text=text, bold=bold)).write_pdf()


def programs(pdf: pikepdf.Pdf) -> dict[str, bytes]:
    found = {}
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0":
            descriptor = obj.DescendantFonts[0].FontDescriptor
            found[str(obj.BaseFont).split("+")[-1]] = descriptor.FontFile2.read_bytes()
    return found


def drawn(program: bytes) -> set[int]:
    return {gid for gid, record in enumerate(_glyphs(TTFont(io.BytesIO(program), lazy=True)))
            if record}


def test_merged_program_holds_every_glyph_of_each_subset():
    first = programs(pikepdf.open(io.BytesIO(render("美祢市の三洞入洞者数", "評価A"))))
    second = programs(pikepdf.open(io.BytesIO(render("秋吉台ジオパーク 2024", "概ね順調"))))
    for family in first:
        a, b = first[family], second[family]
        assert drawn(a) - drawn(b) and drawn(b) - drawn(a)  # two different subsets
        merged = _merge_programs([a, b])
        assert drawn(merged) == drawn(a) | drawn(b)
        font = TTFont(io.BytesIO(merged))
        glyphs_a = _glyphs(TTFont(io.BytesIO(a), lazy=True))
        merged_glyphs = _glyphs(font)
        for gid in drawn(a):  # the same record, at most padded to four bytes
            assert merged_glyphs[gid].startswith(glyphs_a[gid])
        assert font["hmtx"].metrics  # parses as a font again


def test_joined_pdf_shares_one_program_per_font():
    pdf = pikepdf.open(io.BytesIO(render("美祢市", "評価A")))
    other = pikepdf.open(io.BytesIO(render("秋吉台", "概ね順調")))
    pdf.pages.extend(other.pages)
    assert share_font_programs(pdf) == 2  # one program left out per font
    out = io.BytesIO()
    pdf.save(out)
    joined = pikepdf.open(io.BytesIO(out.getvalue()))
    files = {obj.DescendantFonts[0].FontDescriptor.FontFile2.objgen for obj in joined.objects
             if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"}
    assert len(files) == 2
    text = subprocess.run(["pdftotext", "-", "-"], input=out.getvalue(), capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert all(word in text for word in ("美祢市", "評価A", "秋吉台", "概ね順調"))


def test_joined_pdf_shares_one_width_and_unicode_map_per_font():
    """Glyph ids mean the same glyph in every part: one W array and one ToUnicode map per
    font, the union of the parts', and every part's text still extracts as written."""
    words = [("美祢市の三洞入洞者数", "評価A"), ("秋吉台ジオパーク 2024", "概ね順調"),
             ("美祢市", "評価D")]
    pdf = pikepdf.open(io.BytesIO(render(*words[0])))
    for text, bold in words[1:]:
        pdf.pages.extend(pikepdf.open(io.BytesIO(render(text, bold))).pages)
    share_font_programs(pdf)
    before = io.BytesIO()
    pdf.save(before)
    assert share_font_dictionaries(pdf) == 4  # two fonts, three parts
    out = io.BytesIO()
    pdf.save(out)
    assert len(out.getvalue()) < len(before.getvalue())
    joined = pikepdf.open(io.BytesIO(out.getvalue()))
    fonts = [obj for obj in joined.objects
             if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"]
    assert len(fonts) == 6
    assert len({f.DescendantFonts[0].objgen for f in fonts}) == 2
    assert len({f.ToUnicode.objgen for f in fonts}) == 2
    for page, (text, bold) in enumerate(words, start=1):
        got = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-", "-"],
                             input=out.getvalue(), capture_output=True, check=True).stdout
        assert got.decode("utf-8").split() == [*text.split(), bold]


def test_fonts_whose_maps_disagree_are_left_apart():
    pdf = pikepdf.open(io.BytesIO(render("美祢市", "評価A")))
    pdf.pages.extend(pikepdf.open(io.BytesIO(render("美祢市", "評価A"))).pages)
    share_font_programs(pdf)
    font = next(obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary)
                and obj.get("/Subtype") == "/Type0" and "Bold" not in str(obj.BaseFont))
    data = font.ToUnicode.read_bytes()
    first = data.index(b"beginbfchar\n") + len(b"beginbfchar\n")
    line = data[first:data.index(b"\n", first)]
    font.ToUnicode.write(data.replace(line, line[:7] + b"<0041>", 1))  # one glyph read as A
    assert share_font_dictionaries(pdf) == 1  # the bold font only
