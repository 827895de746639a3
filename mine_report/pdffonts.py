"""Embed each font once in the joined report, instead of once per part.

Every part of the report is a PDF of its own, so each embeds its own subset of BIZ UDP
Gothic (regular and bold): 17 subsets, about 0.7 MB, for two fonts. WeasyPrint subsets
with the glyph ids of the full font kept (HarfBuzz's RETAIN_GIDS, CIDToGIDMap Identity),
so the subsets of one font are slices of the same glyph table: one font program holding
every glyph any part uses serves all of them. Each part keeps its own font dictionary
(its widths and ToUnicode map, which are small); their descriptors become one, which
points at the merged program.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import defaultdict

import pikepdf
from fontTools.ttLib import TTFont

_SUBSET = re.compile(r"/(?:[A-Z]{6}\+)?(.+)")
#: Per-glyph device tables that would not match the merged glyphs (all optional).
_DROP = ("hdmx", "VDMX", "LTSH")


def _used_glyphs(cid_font: pikepdf.Object) -> set[int]:
    """The glyph ids a font dictionary's /W array gives widths for: those its part draws
    (WeasyPrint writes /W as [first [w1 w2 …] first [w …] …])."""
    used: set[int] = set()
    widths = list(cid_font.get("/W", []))
    for first, run in zip(widths[::2], widths[1::2], strict=False):
        if isinstance(run, pikepdf.Array):
            used.update(range(int(first), int(first) + len(run)))
    return used


def _merge_programs(programs: list[bytes], used: list[set[int]]) -> bytes:
    """One TrueType font with each used glyph taken from a subset that has it."""
    fonts = [TTFont(io.BytesIO(data)) for data in programs]
    base_index = max(range(len(fonts)), key=lambda i: fonts[i]["maxp"].numGlyphs)
    base = fonts[base_index]
    glyf, hmtx = base["glyf"], base["hmtx"]
    vmtx = base.get("vmtx")
    order = base.getGlyphOrder()
    for index, (font, gids) in enumerate(zip(fonts, used, strict=True)):
        if index == base_index:
            continue
        other, other_order = font["glyf"], font.getGlyphOrder()
        todo = [gid for gid in gids if gid < len(other_order)]
        while todo:
            gid = todo.pop()
            if gid >= len(order):
                continue
            glyph, target = other[other_order[gid]], order[gid]
            if glyf[target].numberOfContours != 0:
                continue  # the base has this glyph already
            if glyph.numberOfContours == 0 and hmtx[target][0]:
                continue  # empty in both (a space), with its advance known
            glyf[target] = glyph
            hmtx[order[gid]] = font["hmtx"][other_order[gid]]
            if vmtx is not None and "vmtx" in font:
                vmtx[order[gid]] = font["vmtx"][other_order[gid]]
            if glyph.isComposite():
                todo += [font.getGlyphID(name) for name in glyph.getComponentNames(other)]
    for tag in _DROP:
        if tag in base:
            del base[tag]
    out = io.BytesIO()
    base.save(out, reorderTables=False)
    return out.getvalue()


def share_font_programs(pdf: pikepdf.Pdf) -> int:
    """Give all subsets of one TrueType font one descriptor and one merged program;
    return how many font programs were left out."""
    groups: dict[str, list[pikepdf.Object]] = defaultdict(list)
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Subtype") != "/Type0":
            continue
        cid_font = obj.DescendantFonts[0]
        descriptor = cid_font.get("/FontDescriptor")
        match = _SUBSET.fullmatch(str(cid_font.get("/BaseFont", "")))
        if descriptor is None or "/FontFile2" not in descriptor or match is None:
            continue
        groups[match.group(1)].append(cid_font)
    saved = 0
    for cid_fonts in groups.values():
        descriptors = {f.FontDescriptor.objgen: f.FontDescriptor for f in cid_fonts}
        if len(descriptors) < 2:
            continue
        programs = {d.FontFile2.objgen: d.FontFile2.read_bytes() for d in descriptors.values()}
        used: dict[tuple[int, int], set[int]] = defaultdict(set)
        for f in cid_fonts:
            used[f.FontDescriptor.FontFile2.objgen] |= _used_glyphs(f)
        keys = list(programs)
        merged = _merge_programs([programs[k] for k in keys], [used[k] for k in keys])
        stream = pikepdf.Stream(pdf, zlib.compress(merged, 9))
        stream.Filter = pikepdf.Name.FlateDecode
        stream.Length1 = len(merged)
        shared = next(iter(descriptors.values()))
        shared.FontFile2 = stream
        for f in cid_fonts:
            f.FontDescriptor = shared
        saved += len(descriptors) - 1
    return saved
