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
import struct
import zlib
from collections import defaultdict

import pikepdf
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables.DefaultTable import DefaultTable

_SUBSET = re.compile(r"/(?:[A-Z]{6}\+)?(.+)")
#: Per-glyph device tables that would not match the merged glyphs (all optional).
_DROP = ("hdmx", "VDMX", "LTSH")


def _glyphs(font: TTFont) -> list[bytes]:
    """The raw glyph records of a TrueType font, by glyph id (b"" for an empty glyph)."""
    data, loca = font.reader["glyf"], font.reader["loca"]
    count = font["maxp"].numGlyphs
    if font["head"].indexToLocFormat:
        offsets = struct.unpack(f">{count + 1}L", loca[:4 * (count + 1)])
    else:
        offsets = [2 * o for o in struct.unpack(f">{count + 1}H", loca[:2 * (count + 1)])]
    return [data[offsets[i]:offsets[i + 1]] for i in range(count)]


def _metrics(font: TTFont, table: str, count_field: str, header: str) -> list[tuple[int, int]]:
    """(advance, side bearing) by glyph id from a raw hmtx or vmtx table."""
    data, count = font.reader[table], font["maxp"].numGlyphs
    full = getattr(font[header], count_field)
    pairs = list(struct.iter_unpack(">Hh", data[:4 * full]))
    bearings = struct.unpack(f">{count - full}h", data[4 * full:4 * full + 2 * (count - full)])
    return pairs + [(pairs[-1][0], b) for b in bearings]


def _merge_programs(programs: list[bytes]) -> bytes:
    """One TrueType font holding every glyph of the given subsets of one font.

    Glyph records are copied as bytes: every subset was cut from the same font with the
    same options and the same glyph ids, so a glyph present in two subsets is the same
    record. An empty glyph (a space) keeps the largest advance any subset gives it (a
    subset gives the glyphs it does not use no advance)."""
    fonts = [TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
             for data in programs]
    count = max(f["maxp"].numGlyphs for f in fonts)
    glyphs = [b""] * count
    tables = [("hmtx", "numberOfHMetrics", "hhea")]
    if all("vmtx" in f and "vhea" in f for f in fonts):
        tables.append(("vmtx", "numberOfVMetrics", "vhea"))
    metrics = {table: [(0, 0)] * count for table, _, _ in tables}
    for font in fonts:
        for gid, record in enumerate(_glyphs(font)):
            if record and not glyphs[gid]:
                glyphs[gid] = record
        for table, field_name, header in tables:
            merged = metrics[table]
            for gid, pair in enumerate(_metrics(font, table, field_name, header)):
                if pair[0] > merged[gid][0]:
                    merged[gid] = pair
    base = fonts[0]
    glyf, offsets = bytearray(), []
    for record in glyphs:
        offsets.append(len(glyf))
        glyf += record + b"\0" * (-len(record) % 4)
    offsets.append(len(glyf))
    _raw(base, "glyf", bytes(glyf))
    _raw(base, "loca", struct.pack(f">{count + 1}L", *offsets))
    base["head"].indexToLocFormat = 1
    for table, field_name, header in tables:
        pairs = metrics[table]
        _raw(base, table, b"".join(struct.pack(">Hh", *pair) for pair in pairs))
        setattr(base[header], field_name, count)
        if header == "hhea":
            base[header].advanceWidthMax = max(a for a, _ in pairs)
        else:
            base[header].advanceHeightMax = max(a for a, _ in pairs)
    maxp = base["maxp"]
    maxp.numGlyphs = count
    for name in ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours",
                 "maxComponentElements", "maxComponentDepth", "maxSizeOfInstructions"):
        if hasattr(maxp, name):
            setattr(maxp, name, max(getattr(f["maxp"], name) for f in fonts))
    for tag in _DROP:
        if tag in base:
            del base[tag]
    out = io.BytesIO()
    base.save(out, reorderTables=False)
    return out.getvalue()


def _raw(font: TTFont, tag: str, data: bytes) -> None:
    table = DefaultTable(tag)
    table.data = data
    font[tag] = table


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
        merged = _merge_programs([d.FontFile2.read_bytes() for d in descriptors.values()])
        stream = pikepdf.Stream(pdf, zlib.compress(merged, 9))
        stream.Filter = pikepdf.Name.FlateDecode
        stream.Length1 = len(merged)
        shared = next(iter(descriptors.values()))
        shared.FontFile2 = stream
        for f in cid_fonts:
            f.FontDescriptor = shared
        saved += len(descriptors) - 1
    return saved
