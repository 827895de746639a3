"""Embed each font once in the joined report, instead of once per part.

Every part of the report is a PDF of its own, so each embeds its own subset of BIZ UDP
Gothic (regular and bold): 17 subsets, about 0.7 MB, for two fonts. WeasyPrint subsets
with the glyph ids of the full font kept (HarfBuzz's RETAIN_GIDS, CIDToGIDMap Identity),
so the subsets of one font are slices of the same glyph table: one font program holding
every glyph any part uses serves all of them. Their descriptors become one, which
points at the merged program; then (share_font_dictionaries) their widths and ToUnicode
maps become one too, since glyph ids mean the same glyph in every part: each part keeps
only a small Type0 dictionary pointing at the shared ones.
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
    # Whole lists at a time (every subset keeps all of the font's glyph ids, some 20,000):
    # the first non-empty record of a glyph, the largest advance with its bearing.
    for font in fonts:
        records = _glyphs(font)
        records += [b""] * (count - len(records))
        glyphs = [kept or record for kept, record in zip(glyphs, records, strict=True)]
        for table, field_name, header in tables:
            pairs = _metrics(font, table, field_name, header)
            pairs += [(0, 0)] * (count - len(pairs))
            metrics[table] = [pair if pair[0] > kept[0] else kept
                              for kept, pair in zip(metrics[table], pairs, strict=True)]
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


def type0_fonts(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every Type0 font dictionary of the file, in object order. A look at every object
    (200,000 in a 780-KPI report, 0.6 s): the join makes it once for all its font steps."""
    return [obj for obj in pdf.objects
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Subtype") == "/Type0"]


def share_font_programs(pdf: pikepdf.Pdf, fonts: list[pikepdf.Dictionary] | None = None) -> int:
    """Give all subsets of one TrueType font one descriptor and one merged program;
    return how many font programs were left out. `fonts`: type0_fonts(pdf), if known."""
    groups: dict[str, list[pikepdf.Object]] = defaultdict(list)
    for obj in type0_fonts(pdf) if fonts is None else fonts:
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


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_BLOCK = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
_CMAP_HEAD = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
              b"/CIDSystemInfo\n<< /Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
              b"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
              b"1 begincodespacerange\n<0000> <ffff>\nendcodespacerange\n")
_CMAP_TAIL = b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"


def _unicode_map(data: bytes) -> dict[int, bytes] | None:
    """glyph id → UTF-16BE hex of a ToUnicode CMap written with bfchar entries only (as
    WeasyPrint writes them); None for any other form (then the fonts are left apart)."""
    if b"bfrange" in data:
        return None
    return {int(cid, 16): uni.lower() for block in _BLOCK.findall(data)
            for cid, uni in _BFCHAR.findall(block)}


def _widths(array: pikepdf.Array) -> dict[int, int] | None:
    """glyph id → width from a CIDFont's W array of `first [w1 w2 …]` runs (WeasyPrint's
    form); None for the `first last w` form."""
    found: dict[int, int] = {}
    items = list(array)
    if len(items) % 2:
        return None
    for first, run in zip(items[::2], items[1::2], strict=True):
        if not isinstance(run, pikepdf.Array):
            return None
        for offset, width in enumerate(run):
            found[int(first) + offset] = int(width)
    return found


def share_font_dictionaries(pdf: pikepdf.Pdf,
                            fonts: list[pikepdf.Dictionary] | None = None) -> int:
    """Give all Type0 fonts of one program one CIDFont (one W array) and one ToUnicode map,
    the union of theirs; return how many were shared. Fonts whose maps disagree on a glyph
    (one glyph read as two characters) are left as they are. `fonts`: type0_fonts(pdf),
    if known."""
    groups: dict[tuple[int, int], list[pikepdf.Dictionary]] = defaultdict(list)
    for obj in type0_fonts(pdf) if fonts is None else fonts:
        if "/ToUnicode" in obj:
            descriptor = obj.DescendantFonts[0].get("/FontDescriptor")
            if descriptor is not None and "/FontFile2" in descriptor:
                groups[descriptor.FontFile2.objgen].append(obj)
    shared = 0
    for fonts in groups.values():
        if len(fonts) < 2:
            continue
        unicode: dict[int, bytes] = {}
        widths: dict[int, int] = {}
        usable = True
        for font in fonts:
            cmap = _unicode_map(font.ToUnicode.read_bytes())
            cid_font = font.DescendantFonts[0]
            width = _widths(cid_font.get("/W", pikepdf.Array()))
            if cmap is None or width is None or any(
                    unicode.get(cid, uni) != uni for cid, uni in cmap.items()) or any(
                    widths.get(cid, w) != w for cid, w in width.items()):
                usable = False
                break
            unicode.update(cmap)
            widths.update(width)
        if not usable:
            continue
        cid_font = pdf.make_indirect(fonts[0].DescendantFonts[0])
        cid_font.W = _width_array(widths)
        to_unicode = pikepdf.Stream(pdf, zlib.compress(_cmap(unicode), 9))
        to_unicode.Filter = pikepdf.Name.FlateDecode
        for font in fonts:
            font.DescendantFonts = pikepdf.Array([cid_font])
            font.ToUnicode = to_unicode
        shared += len(fonts) - 1
    return shared


def _width_array(widths: dict[int, int]) -> pikepdf.Array:
    items: list = []
    for cid in sorted(widths):
        if items and cid == items[-2] + len(items[-1]):
            items[-1].append(widths[cid])
        else:
            items += [cid, [widths[cid]]]
    return pikepdf.Array([pikepdf.Array(v) if isinstance(v, list) else v for v in items])


def _cmap(unicode: dict[int, bytes]) -> bytes:
    cids = sorted(unicode)
    blocks = []
    for start in range(0, len(cids), 100):  # at most 100 entries per block
        chunk = cids[start:start + 100]
        lines = b"".join(b"<%04x> <%s>\n" % (cid, unicode[cid]) for cid in chunk)
        blocks.append(b"%d beginbfchar\n%sendbfchar\n" % (len(chunk), lines))
    return _CMAP_HEAD + b"".join(blocks) + _CMAP_TAIL
