"""Join separately rendered parts of the report into one PDF, with pikepdf.

The report is laid out in parts (cover and contents, each chapter) on several cores;
each part is a complete, tagged PDF/A-3a of its own. This module puts the pages one after the
other into the first part's file (which holds the metadata, the output intent and the
attached workbook) and then makes the whole read as one document:

* pages that the part laid out as a right-hand page but that fall on a left-hand page
  of the whole report (or the other way round) are moved sideways to the other side's
  margins (the text block is as wide on both sides, so only its position changes);
* the named destinations that links point to, and the bookmarks, are rebuilt for the
  whole report, each pointing at its page in the joined file;
* the page footers ("- 3 / 44 -"), which only the whole report can number, are drawn
  on every page from a small document of footers rendered for the final page count,
  marked as artifacts (not content a screen reader reads);
* the parts' structure trees (tagged PDF, PDF/A-3a) become one: see _Structure.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pikepdf

from mine_report.outputs.pdffonts import (
    share_font_dictionaries,
    share_font_programs,
    type0_fonts,
)

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
    page.contents_add(pikepdf.Stream(pdf, f"/Artifact BMC q {name} Do Q EMC\n".encode()))


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
    """One PDF of all parts in order, footers drawn over every page (see the module doc).

    The parts are taken one at a time: each is opened, its pages and structure tree are
    copied into the first part's file, and it is closed. qpdf keeps every object of an
    open file parsed in memory (some 1.5 KB for each of the 200,000 objects of a 780-KPI
    report), so holding all parts open until the end cost as much again as the joined
    file: the join of that report took the build's process to 905 MiB, now to about 580.
    (A copied stream keeps only what it needs to read its data from the closed part's
    bytes when the file is written: tests/test_pdfmerge.py.)
    """
    pdf = pikepdf.open(io.BytesIO(parts[0].pdf))
    structure = _Structure(pdf)
    dests: list[tuple[str, int, float, float]] = []
    bookmarks: list[_Bookmark] = []
    offset = 0
    for number, part in enumerate(parts):
        source = pdf if number == 0 else pikepdf.open(io.BytesIO(part.pdf))
        try:
            local = {page.obj.objgen: i for i, page in enumerate(source.pages)}
            names = source.Root.get("/Names", {}).get("/Dests", {}).get("/Names", [])
            for name, dest in zip(names[::2], names[1::2], strict=True):
                if str(name) in part.anchors:
                    dests.append((str(name), *_dest_target(dest, local, offset)))
            with source.open_outline() as outline:
                bookmarks += _read_bookmarks(outline.root, local, offset)
            if source is not pdf:
                with warnings.catch_warnings():
                    # pikepdf warns that named destinations are not carried over: they were
                    # read above and are rebuilt for the whole file below.
                    warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", Warning))
                    pdf.pages.extend(source.pages)
            structure.add(source, number, len(part.pages))
        finally:
            if source is not pdf:
                source.close()
        offset += len(part.pages)
    structure.finish()

    overlay = pikepdf.open(io.BytesIO(footers))
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
    pdf.Root.PageMode = pikepdf.Name.UseOutlines  # the bookmarks panel opens with the file

    fonts = type0_fonts(pdf)
    share_font_programs(pdf, fonts)
    share_font_dictionaries(pdf, fonts)
    _name_subsets(fonts)
    out = io.BytesIO()
    # Object streams: the structure tree is some 10,000 small objects (PDF/A-3 allows them).
    pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    overlay.close()
    pdf.close()
    return out.getvalue()


class _Structure:
    """Makes the parts' structure trees one tree of the joined file (when they are tagged),
    one part at a time (add), as each is copied in.

    WeasyPrint numbers each part's ParentTree from 0 (pages first, then link annotations)
    and gives table headers IDs made of its own object numbers; joined as they are, the
    keys and IDs of later parts would collide with the first part's. So each part's keys
    are shifted past the previous parts', its IDs get a part prefix (and its cells'
    Headers with them), and its top-level elements move under the first part's Document
    element, in page order. The ID tree WeasyPrint leaves out is added (finish), and table
    headers get their Scope (Column in the table head, Row in the body).
    """

    def __init__(self, pdf: pikepdf.Pdf):
        self.pdf = pdf
        self.root = pdf.Root.get("/StructTreeRoot")
        self.kids: list = []
        self.nums: list = []
        self.ids: list[tuple[bytes, pikepdf.Object]] = []
        self.base = self.page_index = 0

    def add(self, source: pikepdf.Pdf, number: int, count: int) -> None:
        """Join the structure of the part just copied (its `count` pages are the last ones)."""
        if self.root is None:
            return
        pdf = self.pdf
        tree = self.root if source is pdf else pdf.copy_foreign(source.Root.StructTreeRoot)
        document = self.root.K[0]
        part_doc = tree.K[0]
        part_nums = list(tree.ParentTree.Nums)
        keys = [int(k) for k in part_nums[::2]]
        parents = dict(zip(keys, part_nums[1::2], strict=True))
        for key, value in zip(keys, part_nums[1::2], strict=True):
            self.nums += [self.base + key, value]
        top = {kid.objgen for kid in part_doc.K}
        reached: dict[tuple[int, int], bool] = {}
        for page in pdf.pages[self.page_index:self.page_index + count]:
            _mark_untagged_as_artifacts(page, parents.get(int(page.obj.StructParents)),
                                        part_doc, top, reached)
            page.obj.StructParents = self.base + int(page.obj.StructParents)
            for annot in page.obj.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = self.base + int(annot.StructParent)
        for kid in part_doc.K:
            kid.P = document
            self.kids.append(kid)
            _walk_elements(kid, number, self.ids)
        self.page_index += count
        self.base += max(keys, default=-1) + 1

    def finish(self) -> None:
        if self.root is None:
            return
        pdf, root = self.pdf, self.root
        root.K[0].K = pikepdf.Array(self.kids)
        root.ParentTree = pdf.make_indirect(pikepdf.Dictionary(Nums=pikepdf.Array(self.nums)))
        root.ParentTreeNextKey = self.base
        names = pikepdf.Array()
        for key, element in sorted(self.ids, key=lambda item: item[0]):
            names.append(pikepdf.String(key))
            names.append(element)
        if self.ids:
            root.IDTree = pdf.make_indirect(pikepdf.Dictionary(Names=names))


_MARKED = re.compile(rb"/\w+\s*<<\s*/MCID\s+(\d+)\s*>>\s*BDC")


def _in_tree(elem: pikepdf.Object, document: tuple[int, int], top: set,
             reached: dict[tuple[int, int], bool]) -> bool:
    """Whether the element hangs, through its parents, from one of the Document's kids.
    `reached` remembers the answer for every element passed on the way (the elements of
    one part share their ancestors: each is walked once, not once per marked content)."""
    path = []
    answer = False
    while isinstance(elem, pikepdf.Dictionary):
        key = elem.objgen
        if key in reached:
            answer = reached[key]
            break
        if key != (0, 0):  # a direct object has no identity to remember it by
            path.append(key)
        parent = elem.get("/P")
        if parent is None or parent.objgen == document:
            answer = key in top
            break
        elem = parent
    for key in path:
        reached[key] = answer
    return answer


def _mark_untagged_as_artifacts(page: pikepdf.Page, mapped: pikepdf.Object | None,
                                document: pikepdf.Object, top: set,
                                reached: dict[tuple[int, int], bool]) -> None:
    """Turn marked content that the structure tree does not reach into an artifact.
    WeasyPrint tags the running headers (page margin boxes) as elements whose parent is
    the Document but which are not among its kids: a screen reader would meet content
    outside the tree on every page. Their ParentTree entries become null."""
    if not isinstance(mapped, pikepdf.Array):
        return
    orphans = {mcid for mcid, elem in enumerate(mapped)
               if not _in_tree(elem, document.objgen, top, reached)}
    if not orphans:
        return
    for mcid in orphans:
        mapped[mcid] = None
    contents = page.obj.Contents
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    for stream in streams:
        data = stream.read_bytes()
        fixed = _MARKED.sub(lambda m: b"/Artifact BMC" if int(m.group(1)) in orphans
                            else m.group(0), data)
        if fixed != data:
            stream.write(zlib.compress(fixed), filter=pikepdf.Name.FlateDecode)


def _walk_elements(element: pikepdf.Object, part: int,
                   ids: list[tuple[bytes, pikepdf.Object]]) -> None:
    """Prefix the IDs and Headers of one part's elements, give table headers a Scope."""
    # About 200,000 elements in a 780-KPI report: each is asked for its keys once (one call
    # into qpdf) rather than key by key.
    stack = [element]
    while stack:
        elem = stack.pop()
        if not isinstance(elem, pikepdf.Dictionary):
            continue
        keys = elem.keys()
        if "/S" not in keys:
            continue
        if "/ID" in keys:
            elem.ID = pikepdf.String(f"p{part}-" + str(elem.ID))
            ids.append((bytes(elem.ID), elem))
        attributes = elem.get("/A") if "/A" in keys else None
        if isinstance(attributes, pikepdf.Dictionary):
            if "/Headers" in attributes:
                attributes.Headers = pikepdf.Array(
                    [pikepdf.String(f"p{part}-" + str(h)) for h in attributes.Headers])
            if elem.S == "/TH":
                group = elem.P.get("/P") if "/P" in elem.P else None
                in_head = group is not None and group.get("/S") == "/THead"
                attributes.Scope = pikepdf.Name.Column if in_head else pikepdf.Name.Row
        if "/K" not in keys:
            continue
        children = elem.K
        if isinstance(children, pikepdf.Array):
            stack.extend(children)
        elif isinstance(children, pikepdf.Dictionary):
            stack.append(children)


def _name_subsets(fonts: Sequence[pikepdf.Dictionary]) -> None:
    """Give every embedded font subset a tag made from its own glyphs.

    Each part embeds its own subset of the same font under the same tag (WeasyPrint
    derives the tag from the font, not from the subset), and a viewer may take two fonts
    of one name for the same font and draw missing glyphs. The tag is the first six
    letters of a hash of the subset's data, so the bytes stay deterministic.
    """
    for obj in fonts:
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
