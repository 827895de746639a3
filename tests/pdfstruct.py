"""Programmatic checks of a tagged PDF's structure tree (no PDF/UA validator such as
veraPDF is installable here): what a screen reader relies on, checked element by element."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import pikepdf

_MCID = re.compile(rb"/MCID\s+(\d+)")


@dataclass
class Structure:
    """What the walk found: element types in reading order, problems, and counts."""

    types: Counter = field(default_factory=Counter)
    order: list[tuple[str, str]] = field(default_factory=list)  # (type, text) of headings
    problems: list[str] = field(default_factory=list)
    marked: dict[int, set[int]] = field(default_factory=dict)  # page index → MCIDs in tree


def walk(pdf: pikepdf.Pdf) -> Structure:
    """Check the tree from StructTreeRoot: parents, pages, MCIDs against the ParentTree,
    IDs against the IDTree, TH scope, figure alt text."""
    found = Structure()
    root = pdf.Root.StructTreeRoot
    pages = {p.obj.objgen: i for i, p in enumerate(pdf.pages)}
    parent_tree = root.ParentTree.Nums
    parents = {int(k): v for k, v in zip(parent_tree[::2], parent_tree[1::2], strict=True)}
    id_tree = root.get("/IDTree")
    ids = {}
    if id_tree is not None:
        names = id_tree.Names
        ids = {bytes(k): v for k, v in zip(names[::2], names[1::2], strict=True)}
    stack = [(kid, root) for kid in reversed(list(root.K))]
    while stack:
        elem, parent = stack.pop()
        if not isinstance(elem, pikepdf.Dictionary):
            continue
        if elem.get("/Type") == "/OBJR":
            continue
        kind = str(elem.S)[1:]
        found.types[kind] += 1
        if elem.P.objgen != parent.objgen:
            found.problems.append(f"{kind}: /P is not its parent")
        page = elem.get("/Pg")
        page_index = pages.get(page.objgen) if page is not None else None
        if page is not None and page_index is None:
            found.problems.append(f"{kind}: /Pg is not a page of the document")
        if kind == "Figure" and not str(elem.get("/Alt", "")).strip():
            found.problems.append("Figure without /Alt")
        attributes = elem.get("/A")
        if kind == "TH" and (not isinstance(attributes, pikepdf.Dictionary)
                             or "/Scope" not in attributes):
            found.problems.append("TH without /Scope")
        if isinstance(attributes, pikepdf.Dictionary) and "/Headers" in attributes:
            for header in attributes.Headers:
                target = ids.get(bytes(header))
                if target is None or target.get("/S") != "/TH":
                    found.problems.append(f"Headers {header} not in the IDTree")
        children = elem.get("/K")
        children = list(children) if isinstance(children, pikepdf.Array) else \
            ([] if children is None else [children])
        for child in children:
            if isinstance(child, int) or (isinstance(child, pikepdf.Object)
                                          and not isinstance(child, pikepdf.Dictionary)):
                mcid = int(child)
                if page_index is None:
                    found.problems.append(f"{kind}: MCID without /Pg")
                    continue
                found.marked.setdefault(page_index, set()).add(mcid)
                owner = parents.get(int(pdf.pages[page_index].obj.StructParents))
                if owner is None or mcid >= len(owner) or owner[mcid].objgen != elem.objgen:
                    found.problems.append(f"{kind}: MCID {mcid} on page {page_index + 1} "
                                          "not mapped back to it by the ParentTree")
        if kind in ("H1", "H2", "H3"):
            found.order.append((kind, page_index))
        stack.extend((child, elem) for child in reversed(children)
                     if isinstance(child, pikepdf.Dictionary))
    for index, page in enumerate(pdf.pages):
        streams = page.obj.Contents
        streams = list(streams) if isinstance(streams, pikepdf.Array) else [streams]
        used = {int(m) for s in streams for m in _MCID.findall(s.read_bytes())}
        if used != found.marked.get(index, set()):
            found.problems.append(f"page {index + 1}: marked content and tree differ")
    return found
