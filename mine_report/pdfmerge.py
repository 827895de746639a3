"""Join separately rendered parts of the report into one PDF, with pikepdf.

The report is laid out in parts (cover and contents, each chapter) on several cores;
each part is a complete PDF/A-3b of its own. This module puts the pages one after the
other into the first part's file (which holds the metadata, the output intent and the
attached workbook) and then makes the whole read as one document:

* pages that the part laid out as a right-hand page but that fall on a left-hand page
  of the whole report (or the other way round) are moved sideways to the other side's
  margins (the text block is as wide on both sides, so only its position changes);
* the named destinations that links point to, and the bookmarks, are rebuilt for the
  whole report, each pointing at its page in the joined file;
* the page footers ("- 3 / 44 -"), which only the whole report can number, are drawn
  on every page from a small document of footers rendered for the final page count.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pikepdf

#: Less than this (in points) is the same position.
EPSILON = 0.01
_SUBSET = re.compile(r"/[A-Z]{6}\+(.+)")
_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


@dataclass(frozen=True)
class PageBox:
    """Where a page's text block lies: its side, page name, left edge and width (pt)."""

    side: str
    name: str
    x: float
    width: float


@dataclass(frozen=True)
class Part:
    """One laid out part: its PDF (empty when only laid out, not written), its pages and
    the anchors it really contains, each with the index of its page in the part."""

    pdf: bytes
    pages: tuple[PageBox, ...]
    anchors: Mapping[str, int]


def shifts(parts: Sequence[Part], overlay: Sequence[PageBox]) -> list[float] | None:
    """How far each page of the joined report moves sideways (pt), or None when some page's
    text block differs in width from the whole report's page there (then the part has to
    be laid out again on its real side)."""
    pages = [page for part in parts for page in part.pages]
    if len(pages) != len(overlay):
        raise ValueError(f"{len(pages)} pages laid out, {len(overlay)} footers")
    moves: list[float] = []
    for page, final in zip(pages, overlay, strict=True):
        if abs(page.width - final.width) > EPSILON:
            return None
        move = final.x - page.x
        moves.append(0.0 if abs(move) <= EPSILON else move)
    return moves


def _enclose(pdf: pikepdf.Pdf, page: pikepdf.Page, dx: float) -> None:
    """Wrap the page's drawing in q … Q, moved dx sideways: WeasyPrint leaves its own
    coordinate transformation in force, which must not apply to what is drawn after."""
    move = f"1 0 0 1 {dx:.4f} 0 cm\n" if dx else ""
    page.contents_add(pikepdf.Stream(pdf, f"q\n{move}".encode()), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"\nQ\n"))
    if not dx:
        return
    for annot in page.obj.get("/Annots", []):
        x1, y1, x2, y2 = (float(v) for v in annot.Rect)
        annot.Rect = pikepdf.Array([x1 + dx, y1, x2 + dx, y2])


def _draw_over(pdf: pikepdf.Pdf, page: pikepdf.Page, over: pikepdf.Page, name: str) -> None:
    """Draw the page `over` (same size) on top of `page`, as a form XObject of a fixed
    name (pikepdf's add_overlay picks a random one, which would change the bytes)."""
    resources = page.obj.get("/Resources")
    if resources is None:
        resources = page.obj.Resources = pikepdf.Dictionary()
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    resources.XObject[name] = pdf.copy_foreign(over.as_form_xobject())
    page.contents_add(pikepdf.Stream(pdf, f"q {name} Do Q\n".encode()))


def _dest_target(dest: pikepdf.Array, local: dict[tuple[int, int], int],
                 offset: int) -> tuple[int, float, float]:
    """(page index in the joined report, left, top) of an explicit /XYZ destination in a
    part whose pages are `local` (page object → index) and start at page `offset`."""
    return offset + local[dest[0].objgen], float(dest[2]), float(dest[3])


@dataclass
class _Bookmark:
    title: str
    page: int
    left: float
    top: float
    children: list[_Bookmark]


def _read_bookmarks(items, local: dict[tuple[int, int], int], offset: int) -> list[_Bookmark]:
    marks = []
    for item in items:
        page, left, top = _dest_target(item.destination, local, offset)
        marks.append(_Bookmark(str(item.title), page, left, top,
                               _read_bookmarks(item.children, local, offset)))
    return marks


def _make_bookmarks(marks: list[_Bookmark], moves: Sequence[float]) -> list[pikepdf.OutlineItem]:
    items = []
    for mark in marks:
        item = pikepdf.OutlineItem(mark.title, mark.page, pikepdf.PageLocation.XYZ,
                                   left=mark.left + moves[mark.page], top=mark.top)
        item.children.extend(_make_bookmarks(mark.children, moves))
        items.append(item)
    return items


def join(parts: Sequence[Part], footers: bytes, moves: Sequence[float]) -> bytes:
    """One PDF of all parts in order, footers drawn over every page (see the module doc)."""
    opened = [pikepdf.open(io.BytesIO(part.pdf)) for part in parts]
    overlay = pikepdf.open(io.BytesIO(footers))
    pdf = opened[0]
    dests: list[tuple[str, int, float, float]] = []
    bookmarks: list[_Bookmark] = []
    offset = 0
    for part, source in zip(parts, opened, strict=True):
        local = {page.obj.objgen: i for i, page in enumerate(source.pages)}
        names = source.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
        for name, dest in zip(names[::2], names[1::2], strict=True):
            if str(name) in part.anchors:
                dests.append((str(name), *_dest_target(dest, local, offset)))
        with source.open_outline() as outline:
            bookmarks += _read_bookmarks(outline.root, local, offset)
        if source is not pdf:
            pdf.pages.extend(source.pages)
        offset += len(source.pages)

    for index, (page, dx) in enumerate(zip(pdf.pages, moves, strict=True)):
        _enclose(pdf, page, dx)
        _draw_over(pdf, page, overlay.pages[index], f"/MineReportFooter{index + 1}")

    named = pikepdf.Array()
    for name, page, left, top in sorted(dests, key=lambda d: d[0].encode("utf-8")):
        named.append(pikepdf.String(name))
        named.append(pikepdf.Array([pdf.pages[page].obj, pikepdf.Name.XYZ,
                                    left + moves[page], top, 0]))
    if "/Names" not in pdf.Root:
        pdf.Root.Names = pikepdf.Dictionary()
    pdf.Root.Names.Dests = pdf.make_indirect(pikepdf.Dictionary(Names=named))
    with pdf.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(_make_bookmarks(bookmarks, moves))

    _name_subsets(pdf)
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    for source in opened:
        source.close()
    overlay.close()
    return out.getvalue()


def _name_subsets(pdf: pikepdf.Pdf) -> None:
    """Give every embedded font subset a tag made from its own glyphs.

    Each part embeds its own subset of the same font under the same tag (WeasyPrint
    derives the tag from the font, not from the subset), and a viewer may take two fonts
    of one name for the same font and draw missing glyphs. The tag is the first six
    letters of a hash of the subset's data, so the bytes stay deterministic.
    """
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Subtype") != "/Type0":
            continue
        descendant = obj.DescendantFonts[0]
        descriptor = descendant.get("/FontDescriptor")
        data = next((descriptor[k] for k in _FONT_FILES if descriptor is not None and k in descriptor),
                    None)
        match = _SUBSET.fullmatch(str(obj.BaseFont))
        if data is None or match is None:
            continue
        digest = hashlib.sha256(data.read_raw_bytes()).digest()
        tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
        name = pikepdf.Name(f"/{tag}+{match.group(1)}")
        obj.BaseFont = descendant.BaseFont = descriptor.FontName = name
