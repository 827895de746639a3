"""Joining laid out parts (pdfmerge.join) takes one part at a time and closes it: whatever
the parts' pages draw with (images, fonts, vector drawings) must be in the joined file,
and the join of the same parts is the same bytes."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pikepdf
import pytest

from mine_report.outputs import pdfmerge, weasy

pytestmark = pytest.mark.slow


def _png(path: Path, colour: tuple[int, int, int]) -> Path:
    """A 4×4 PNG of one colour (written here: no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\0" + bytes(colour) * 4 for _ in range(4))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def _part(folder: Path, n: int, pages: int) -> pdfmerge.Part:
    image = _png(folder / f"image{n}.png", (40 * n, 0, 0))
    body = "".join(
        f'<section style="break-before: page"><h1 id="p{n}-{i}">第{n}章 {i + 1}ページ</h1>'
        f'<p>美祢市の指標 {n}-{i}</p><img src="{image.name}" alt="図{n}" style="width: 2cm">'
        f'<svg width="40" height="20"><rect width="40" height="20" fill="#333"/></svg>'
        f'<a href="#p{n}-0">この章の先頭へ</a></section>'
        for i in range(pages))
    html = (f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>第{n}章</title>'
            '<style>body { font-family: "BIZ UDPGothic"; }</style></head>'
            f'<body>{body}</body></html>')
    document = weasy.HTML(string=html, base_url=folder.as_uri() + "/").render()
    anchors = {name: i for i, page in enumerate(document.pages) for name in page.anchors}
    return pdfmerge.Part(document.write_pdf(pdf_variant="pdf/a-3a"),
                         tuple(weasy.page_box(p) for p in document.pages), anchors)


def test_joined_parts_keep_every_stream_and_the_same_bytes(tmp_path):
    parts = [_part(tmp_path, n, pages) for n, pages in ((1, 2), (2, 1), (3, 3))]
    total = sum(len(p.pages) for p in parts)
    footers = weasy.HTML(string="".join('<div style="break-before: page">-</div>'
                                        for _ in range(total))).render().write_pdf()
    joined = pdfmerge.join(parts, footers, [0.0] * total)

    assert pdfmerge.join(parts, footers, [0.0] * total) == joined
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        assert len(pdf.pages) == total
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
                  and obj.get("/Subtype") == "/Image"]
        # Every part's picture is there, with its own colour, and every stream decodes.
        colours = {pikepdf.PdfImage(obj).read_bytes()[:3] for obj in images
                   if obj.get("/ColorSpace") == "/DeviceRGB"}
        assert {bytes((40 * n, 0, 0)) for n in (1, 2, 3)} <= colours
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                obj.read_bytes()
        # Each part's anchors lead to its own pages of the joined file.
        dests = dict(zip(map(str, pdf.Root.Names.Dests.Names[::2]),
                         pdf.Root.Names.Dests.Names[1::2], strict=True))
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
        assert pages[dests["p3-0"][0].objgen] == 3
        assert pages[dests["p2-0"][0].objgen] == 2
