"""Render the evaluation report (効果検証報告書) as PDF/A-3b, and optionally as one HTML page.

The jinja2 environment is made here and nowhere else (autoescape on, undefined names
are errors). WeasyPrint gets a URL fetcher that serves only files inside the template
folders: text from departments cannot make it read local files or the network.
Outputs are written to a temporary file in the output folder and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import io
import mimetypes
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2

from mine_report.errors import MineReportError
from mine_report.fileio import atomic_path
from mine_report.merge import Merged
from mine_report.messages import text
from mine_report.report_context import ReportContext, build_context, report_datetime

# Without libharfbuzz-subset0 WeasyPrint still works (it subsets fonts with fontTools, more
# slowly) but warns at import; users of the command should not see a Python warning.
warnings.filterwarnings("ignore", message="HarfBuzz-Subset will be required",
                        category=UserWarning)
import weasyprint  # noqa: E402
from weasyprint.text.ffi import ffi, fontconfig  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

PDF_NAME = "report.pdf"
HTML_NAME = "report.html"
MAIN_TEMPLATE = "report.html"
#: The variant WeasyPrint writes: archival PDF/A-3b, which may carry the data file.
PDF_VARIANT = "pdf/a-3b"
#: The family every text in the report is set in; checked before rendering.
REQUIRED_FONT = "BIZ UDPGothic"
FONT_PACKAGES = ("fonts-morisawa-bizud-gothic", "fonts-morisawa-bizud-mincho")

Progress = Callable[[str], None]


class ReportError(MineReportError):
    """The report cannot be rendered; the message carries a stable R… code."""

    def __init__(self, code: str, **values: object):
        self.code = code
        super().__init__(f"[{code}] {text(code, **values)}")


class FontMissingError(ReportError):
    """The Japanese font the report is set in is not installed."""


# --- fonts ---------------------------------------------------------------------------------


def installed_font_families() -> set[str]:
    """Every font family fontconfig knows, as WeasyPrint's own fontconfig sees it."""
    # WeasyPrint's cffi binding of fontconfig is the library that will pick the fonts,
    # so asking it (rather than a separate fc-list) gives the answer that matters.
    config = ffi.gc(fontconfig.FcInitLoadConfigAndFonts(), fontconfig.FcConfigDestroy)
    fonts = fontconfig.FcConfigGetFonts(config, fontconfig.FcSetSystem)
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


def check_fonts() -> None:
    """Raise FontMissingError (R001) naming the Debian packages when BIZ UDPGothic is
    not installed: a PDF of empty boxes must never be produced."""
    if REQUIRED_FONT not in installed_font_families():
        raise FontMissingError("R001", font=REQUIRED_FONT, packages=" ".join(FONT_PACKAGES))


# --- templates ------------------------------------------------------------------------------


def default_templates_dir() -> Path:
    """The packaged templates (package `mine_report.templates`, the repo's templates/)."""
    return Path(str(importlib.resources.files("mine_report.templates")))


def template_dirs(templates_dir: Path | None) -> list[Path]:
    """Where templates are looked up: the user's folder first, then the packaged one, so a
    user folder only needs the files it changes."""
    default = default_templates_dir()
    if templates_dir is None:
        return [default]
    templates_dir = Path(templates_dir)
    if not templates_dir.is_dir():
        raise ReportError("R002", path=templates_dir)
    return [templates_dir.resolve(), default]


def make_environment(dirs: Sequence[Path]) -> jinja2.Environment:
    """The one jinja2 environment of the report: autoescaped, strict about unknown names."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs], encoding="utf-8"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(context: ReportContext, dirs: Sequence[Path]) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG)."""
    env = make_environment(dirs)
    try:
        return env.get_template(MAIN_TEMPLATE).render(report=context)
    except jinja2.TemplateNotFound as exc:
        raise ReportError("R003", name=exc.name, reason=text("R010")) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ReportError("R003", name=exc.filename or exc.name or MAIN_TEMPLATE,
                          reason=f"{exc.lineno} 行目: {exc.message}") from None
    except jinja2.TemplateError as exc:  # e.g. an undefined name in a user's template
        raise ReportError("R003", name=MAIN_TEMPLATE, reason=str(exc)) from None


# --- WeasyPrint -------------------------------------------------------------------------------


class AssetFetcher(URLFetcher):
    """Serves file: URLs inside the template folders and refuses everything else
    (other files, http(s), data:, ftp), so rendering never reads outside our assets."""

    def __init__(self, roots: Sequence[Path]):
        super().__init__(allowed_protocols=("file",))
        self.roots = [Path(r).resolve() for r in roots]

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(text("R011", url=url))
        path = Path(unquote(parts.path)).resolve()
        if not any(path.is_relative_to(root) for root in self.roots) or not path.is_file():
            raise ValueError(text("R011", url=url))
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})


def render_pdf(html_text: str, dirs: Sequence[Path], issued: dt.datetime,
               attachments: Sequence[Path] = (), fetcher: AssetFetcher | None = None) -> bytes:
    """Lay out the HTML with WeasyPrint and return the PDF/A-3b bytes, data files attached."""
    fetcher = fetcher or AssetFetcher(dirs)
    files = []
    for path in attachments:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ReportError("R004", path=path, reason=exc.strerror or exc) from None
        # Dates fixed to the report's date: a file's ctime would change the PDF's bytes.
        files.append(weasyprint.Attachment(
            file_obj=io.BytesIO(data), name=Path(path).name, created=issued, modified=issued,
            description=text("R020"), relationship="Data", url_fetcher=fetcher))
    document = weasyprint.HTML(string=html_text, base_url=dirs[0].as_uri() + "/",
                               url_fetcher=fetcher)
    return document.write_pdf(pdf_variant=PDF_VARIANT, attachments=files)


def _write(target: Path, data: bytes) -> None:
    try:
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise ReportError("R005", path=target, reason=exc.strerror or exc) from None


def render_report(merged: Merged, evaluation, out_dir: Path, *,
                  templates_dir: Path | None = None, html: bool = False,
                  attachments: Sequence[Path] = (),
                  progress: Progress | None = None) -> list[Path]:
    """Write out_dir/report.pdf (and report.html when html is True); return the paths.

    Checks the fonts and the templates before any output is made; each file is written
    to a temporary file in out_dir and renamed, so no partial file is ever left.
    """
    say = progress or (lambda message: None)
    check_fonts()
    dirs = template_dirs(templates_dir)
    issued = report_datetime()
    say(text("R030"))
    context = build_context(merged, evaluation, issued=issued)
    html_text = render_html(context, dirs)
    say(text("R031"))
    pdf = render_pdf(html_text, dirs, issued, attachments)
    out_dir = Path(out_dir)
    written = [out_dir / PDF_NAME]
    _write(written[0], pdf)
    if html:
        written.append(out_dir / HTML_NAME)
        _write(written[1], html_text.encode("utf-8"))
    say(text("R032", files="、".join(p.name for p in written)))
    return written
