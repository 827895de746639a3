"""The one door to WeasyPrint: everything the report uses of it, its internals included.

Two things the report needs are not in WeasyPrint's public API: where a laid out page's
text block sits (pdfmerge aligns the footers and joined parts with it: `Page._page_box`)
and the fonts fontconfig knows (its cffi binding, `weasyprint.text.ffi`, is the
fontconfig that will pick the fonts, so asking it gives the answer that matters). Both may
change in any major release, so they are reached only here, and setup.cfg bounds
WeasyPrint to the majors in SUPPORTED_MAJORS; tests/test_weasy.py fails by name when the
installed version or the internals leave that bound.
"""

from __future__ import annotations

import warnings

from mine_report.outputs.pdfmerge import PageBox

# Without libharfbuzz-subset0 WeasyPrint still works (it subsets fonts with fontTools, more
# slowly) but warns at import; users of the command should not see a Python warning. The
# filter holds for this import only, never for the rest of the process.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="HarfBuzz-Subset will be required",
                            category=UserWarning)
    import weasyprint
    from weasyprint.text.ffi import ffi, fontconfig
    from weasyprint.urls import URLFetcher, URLFetcherResponse

#: The WeasyPrint majors this adapter is written against: 68 brought the URLFetcher class;
#: 70 is the one tested. setup.cfg's install_requires says the same (a test compares them).
SUPPORTED_MAJORS = range(68, 71)

VERSION: str = weasyprint.__version__
HTML = weasyprint.HTML
Attachment = weasyprint.Attachment

__all__ = ["HTML", "SUPPORTED_MAJORS", "VERSION", "Attachment", "URLFetcher",
           "URLFetcherResponse", "font_families", "font_file_names", "page_box"]


def page_box(page) -> PageBox:
    """Where a page of a rendered `weasyprint.Document` puts its text block, in PDF
    points (private: `Page._page_box`, in CSS px)."""
    box = page._page_box
    return PageBox(side=box.page_type.side, name=box.page_type.name or "",
                   x=box.content_box_x() * 0.75, width=box.width * 0.75)


def _fonts():
    """fontconfig's set of system fonts (or NULL) and the config that owns it."""
    config = ffi.gc(fontconfig.FcInitLoadConfigAndFonts(), fontconfig.FcConfigDestroy)
    return config, fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)


def font_families() -> set[str]:
    """Every font family fontconfig knows, as WeasyPrint's own fontconfig sees it."""
    _config, fonts = _fonts()
    families: set[str] = set()
    if fonts == ffi.NULL:
        return families
    value = ffi.new("FcChar8 **")
    for i in range(fonts.nfont):
        n = 0
        while fontconfig.FcPatternGetString(fonts.fonts[i], b"family", n, value) == 0:
            families.add(ffi.string(value[0]).decode("utf-8", "replace"))
            n += 1
    return families


def font_file_names() -> set[str]:
    """The path of every font file fontconfig knows."""
    _config, fonts = _fonts()
    files: set[str] = set()
    value = ffi.new("FcChar8 **")
    for i in range(0 if fonts == ffi.NULL else fonts.nfont):
        if fontconfig.FcPatternGetString(fonts.fonts[i], b"file", 0, value) == 0:
            files.add(ffi.string(value[0]).decode("utf-8", "surrogateescape"))
    return files
