"""Render the evaluation report (効果検証報告書) as tagged PDF/A-3a, and optionally as one HTML page.

The jinja2 environment is made here and nowhere else (sandboxed, autoescape on,
undefined names are errors, templates read only from inside the template folders). WeasyPrint gets a URL fetcher that serves only files inside the template
folders: text from departments cannot make it read local files or the network.
Outputs are written to a temporary file in the output folder and renamed into place.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import importlib.resources
import io
import json
import mimetypes
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jinja2
import jinja2.meta
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from mine_report import __version__
from mine_report.common import parallel
from mine_report.common.errors import MineReportError
from mine_report.common.fileio import atomic_path
from mine_report.common.messages import text
from mine_report.common.safetext import for_document, is_clean
from mine_report.grading.merge import Merged
from mine_report.outputs import pdfmerge, weasy
from mine_report.outputs.charts import CHART_COLOURS
from mine_report.outputs.context import ReportContext, build_context, report_datetime
from mine_report.outputs.export import HTML_NAME, PDF_NAME
from mine_report.outputs.layout_cache import PartCache
from mine_report.outputs.linebreak import last_phrase, phrases
from mine_report.outputs.parts import Section, contents, expand, load_parts
from mine_report.outputs.weasy import URLFetcher, URLFetcherResponse
from mine_report.plan.model import PUBLIC

MAIN_TEMPLATE = "report.html"
#: The variant WeasyPrint writes: archival PDF/A-3 (it may carry the data files), level "a":
#: tagged, with a structure tree that pdfmerge joins across the parts.
PDF_VARIANT = "pdf/a-3a"
#: The footers are drawn over the pages as artifacts: their document needs no tags.
FOOTER_VARIANT = "pdf/a-3b"
#: The family every text in the report is set in; checked before rendering.
REQUIRED_FONT = "BIZ UDPGothic"
FONT_PACKAGES = ("fonts-morisawa-bizud-gothic", "fonts-morisawa-bizud-mincho")

Progress = Callable[[str], None]


class ReportError(MineReportError):
    """The report cannot be rendered; the message carries a stable R… code."""

    def __init__(self, code: str, **values: object):
        super().__init__(text(code, **values), code)


class FontMissingError(ReportError):
    """The Japanese font the report is set in is not installed."""


# --- fonts ---------------------------------------------------------------------------------


def installed_font_families() -> set[str]:
    """Every font family fontconfig knows, as WeasyPrint's own fontconfig sees it."""
    return weasy.font_families()


def font_files() -> list[tuple[str, int, int]]:
    """Every font file fontconfig knows (path, size, modification time in ns): what the
    layout cache sees of the fonts WeasyPrint may pick."""
    found = []
    for name in sorted(weasy.font_file_names()):
        try:
            stat = os.stat(name)
        except OSError:
            continue
        found.append((name, stat.st_size, stat.st_mtime_ns))
    return found


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


class ConfinedLoader(jinja2.BaseLoader):
    """Loads templates only from real files inside the template folders: a name with `..`
    is refused (jinja's own rule), and a symlink is followed only when it ends inside the
    same folder, so neither `{% include '../x' %}` nor a link to /etc/passwd is read."""

    def __init__(self, dirs: Sequence[Path]):
        self.roots = [Path(d).resolve() for d in dirs]

    def get_source(self, environment: jinja2.Environment, template: str):
        pieces = split_template_path(template)  # raises TemplateNotFound on `..`
        for root in self.roots:
            try:
                path = root.joinpath(*pieces).resolve(strict=True)
            except (OSError, RuntimeError):  # missing, or a symlink loop
                continue
            if not path.is_relative_to(root) or not path.is_file():
                continue
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeError) as exc:
                raise jinja2.TemplateError(f"{path}: {exc}") from None
            mtime = path.stat().st_mtime
            return source, str(path), lambda p=path, m=mtime: p.is_file() and p.stat().st_mtime == m
        raise jinja2.TemplateNotFound(template)


def _finalize(value: object) -> object:
    """Every `{{ … }}` output, before escaping: no control characters, bidi controls
    balanced (the reader cleans cell text already; this holds for any value)."""
    if not isinstance(value, str) or is_clean(value):
        return value
    if isinstance(value, Markup):
        return Markup(for_document(str(value)))
    return for_document(value)


def make_environment(dirs: Sequence[Path]) -> jinja2.Environment:
    """The one jinja2 environment of the report: sandboxed (a template may read the
    report's values but not reach Python internals), autoescaped, strict about unknown
    names, loading only real files inside the template folders."""
    env = SandboxedEnvironment(
        loader=ConfinedLoader(dirs),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    # Japanese line breaks between phrases (linebreak.py).
    env.filters["phrases"] = phrases
    env.filters["last_phrase"] = last_phrase
    # The chart legend in report.css uses the charts' colours, defined once in charts.py.
    env.globals["chart_colours"] = CHART_COLOURS
    return env


def report_parts(context: ReportContext, env: jinja2.Environment) -> list[list[Section]]:
    """The report in the parts that are laid out separately (in parallel, and reused from
    the layout cache one by one), as parts.toml declares them (report_parts.py). Each part
    starts on a new page, so laying it out alone gives the same pages."""
    return expand(load_parts(env), context)


@contextlib.contextmanager
def _template_errors(name: str) -> Iterator[None]:
    """Template errors (missing file, syntax, an unknown name in a user's template) as R003."""
    try:
        yield
    except jinja2.TemplateNotFound as exc:
        raise ReportError("R003", name=exc.name, reason=text("R010")) from None
    except jinja2.TemplateSyntaxError as exc:
        raise ReportError("R003", name=exc.filename or exc.name or name,
                          reason=f"{exc.lineno} 行目: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise ReportError("R003", name=name, reason=str(exc)) from None


def lays_out_sections(env: jinja2.Environment) -> bool:
    """Whether the main template builds its body from `sections`. A user's report.html
    that does not (written for an older version, or a one-off layout) is laid out whole,
    as one part."""
    with _template_errors(MAIN_TEMPLATE):
        source = env.loader.get_source(env, MAIN_TEMPLATE)[0]
        return "sections" in jinja2.meta.find_undeclared_variables(env.parse(source))


def render_html(context: ReportContext, dirs: Sequence[Path], *,
                env: jinja2.Environment | None = None,
                sections: Sequence[Section] | None = None, toc: Mapping[str, object] | None = None,
                stubs: Sequence[str] = (), page_css: str = "", web: bool = False) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG; `web` adds the
    screen's stylesheet and links, see render_report); or, for the PDF,
    only `sections`, with the contents' page numbers `toc` (anchor → number), empty
    anchors `stubs` for links into other parts, and extra CSS `page_css`. `env` (made
    from `dirs` when not given) keeps the compiled templates between calls."""
    env = env or make_environment(dirs)
    specs = load_parts(env)
    if sections is None:
        sections = [section for part in expand(specs, context) for section in part]
    with _template_errors("parts.toml"):
        entries = contents(specs, context, env)
    return _render(env, MAIN_TEMPLATE, report=context, sections=sections, contents=entries,
                   toc=toc, stubs=stubs, page_css=Markup(page_css), web=web)


def render_page(name: str, **values: object) -> str:
    """A stand-alone page of the packaged templates (e.g. status.html), through the same
    environment and error handling as the report."""
    return _render(make_environment([default_templates_dir()]), name, **values)


def _render(env: jinja2.Environment, name: str, **values: object) -> str:
    with _template_errors(name):
        return env.get_template(name).render(**values)


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


# --- laying out the parts in parallel ------------------------------------------------------
# Each part of the report is laid out and written by WeasyPrint in a worker process, then
# pdfmerge joins them. What only the whole report knows is filled in afterwards: the
# contents' page numbers (the cover-and-contents part is laid out again with them, which
# is quick) and the footers with "page / pages" (drawn from a document of footers only).
# The parts are the same whatever the number of workers, so the PDF's bytes are too.

#: CSS added to every part: the footer is drawn later over the joined pages; anchors
#: that only exist in other parts are empty spans of no height.
PART_CSS = (
    "@page { @bottom-center { content: none; } }\n"
    ".link-stubs { height: 0; margin: 0; padding: 0; overflow: hidden; }\n")
#: CSS of the footers document: nothing but the page margin's footer.
FOOTER_CSS = (
    "@page { @top-left { content: none; } @top-right { content: none; } }\n"
    "body { string-set: none; }\n"
    ".page { break-before: page; height: 1px; }\n"
    ".page:first-child { break-before: auto; }\n")
#: Page names (from the CSS `page` property) that the footers document may repeat.
_PAGE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_HREF = re.compile(r'href="#([^"]+)"')
_ID = re.compile(r'\sid="([^"]+)"')
#: Page numbers of the contents before they are known: as wide as any real number
#: (.toc-page has a fixed width), so the contents take the same pages.
PLACEHOLDER_PAGE = "888"


class _Placeholders(dict):
    def __missing__(self, key: str) -> str:
        return PLACEHOLDER_PAGE


@dataclass(frozen=True)
class _Job:
    """What a worker needs to lay out one part (picklable)."""

    html: str
    dirs: tuple[Path, ...]
    stubs: frozenset[str] = frozenset()
    write: bool = True
    attachments: tuple[tuple[str, bytes], ...] = ()
    issued: dt.datetime | None = None
    variant: str = PDF_VARIANT


def _lay_out(job: _Job) -> pdfmerge.Part:
    """Worker: lay out one part with WeasyPrint and (when asked) write its PDF (tagged PDF/A-3a; the footers untagged)."""
    fetcher = AssetFetcher(job.dirs)
    document = weasy.HTML(string=job.html, base_url=job.dirs[0].as_uri() + "/",
                               url_fetcher=fetcher).render()
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name not in job.stubs:
                anchors.setdefault(name, index)
    pdf = b""
    if job.write:
        # Dates fixed to the report's date: a file's ctime would change the PDF's bytes.
        files = [weasy.Attachment(
            file_obj=io.BytesIO(data), name=name, created=job.issued, modified=job.issued,
            description=_attachment_description(name), relationship="Data",
            url_fetcher=fetcher)
            for name, data in job.attachments]
        pdf = document.write_pdf(pdf_variant=job.variant, attachments=files)
    return pdfmerge.Part(pdf, tuple(weasy.page_box(p) for p in document.pages), anchors)


# --- reusing the parts of the last build (layout_cache) --------------------------------------

#: The libraries whose versions a laid out part's bytes depend on.
LAYOUT_LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "tinyhtml5", "cssselect2", "fonttools",
                    "pillow", "pyphen", "cffi")
#: This tool's own code that makes a part (the version alone does not change between
#: developers' edits).
_LAYOUT_SOURCES = ("report.py", "pdfmerge.py", "layout_cache.py", "weasy.py")


def _library_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return ""


def layout_environment(dirs: Sequence[Path]) -> str:
    """A digest of everything outside a part's HTML that its layout may depend on: this
    tool (version and layout code), WeasyPrint and its libraries, the installed fonts,
    fontconfig's settings and every file in the template folders (the HTML already holds
    the templates' text and the report's date, SOURCE_DATE_EPOCH's or not, which nothing
    else reads; the folders also hold what the fetcher serves).
    A change in any of them makes every part a miss."""
    digest = hashlib.sha256()

    def add(*values: object) -> None:
        digest.update(repr(values).encode("utf-8", "surrogateescape") + b"\0")

    add("tool", __version__, weasy.VERSION,
        *(_library_version(name) for name in LAYOUT_LIBRARIES))
    here = Path(__file__).resolve().parent
    for name in _LAYOUT_SOURCES:
        add(name, hashlib.sha256((here / name).read_bytes()).hexdigest())
    add("env", *(os.environ.get(name) for name in
                 ("FONTCONFIG_FILE", "FONTCONFIG_PATH", "FONTCONFIG_SYSROOT")))
    add("fonts", *font_files())
    for root in dirs:
        root = Path(root).resolve()
        add("dir", str(root))
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if any(p.startswith(".") or p == "__pycache__" for p in relative.parts):
                continue
            if path.is_file():
                add(str(relative), hashlib.sha256(path.read_bytes()).hexdigest())
    return digest.hexdigest()


def _job_key(environment: str, job: _Job) -> str:
    """The cache key of one part: the environment's digest and everything in the job."""
    digest = hashlib.sha256()
    for value in (environment, job.html, [str(d) for d in job.dirs], sorted(job.stubs),
                  job.write, [(name, hashlib.sha256(data).hexdigest())
                              for name, data in job.attachments],
                  job.issued.isoformat() if job.issued else None, job.variant):
        digest.update(json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\0")
    return digest.hexdigest()


class _Layouts:
    """Lays out jobs on the pool, or takes them from the cache when their key is there.
    The pool's workers are started only by the first miss."""

    def __init__(self, pool: Executor, cache: PartCache | None, environment: str):
        self.pool = pool
        self.cache = cache
        self.environment = environment

    def submit(self, job: _Job) -> Future:
        if self.cache is None:
            return self.pool.submit(_lay_out, job)
        key = _job_key(self.environment, job)
        part = self.cache.get(key)
        if part is not None:
            future: Future = Future()
            future.set_result(part)
            return future
        future = self.pool.submit(_lay_out, job)
        cache = self.cache
        future.add_done_callback(
            lambda done: cache.put(key, done.result())
            if not done.cancelled() and done.exception() is None else None)
        return future


def _attachment_description(name: str) -> str:
    """The merged workbook (internal edition) or one of the open data files (public)."""
    return text("R020") if name.endswith(".xlsx") else text("B045", name=name)


def _stubs(html_text: str) -> frozenset[str]:
    """Anchors this part links to but does not contain."""
    return frozenset(_HREF.findall(html_text)) - frozenset(_ID.findall(html_text))


def _part_job(env: jinja2.Environment, context: ReportContext, dirs: Sequence[Path],
              sections: Sequence[Section], *,
              toc: Mapping[str, object] | None = None, side: str | None = None,
              write: bool = True, attachments: tuple[tuple[str, bytes], ...] = (),
              issued: dt.datetime | None = None) -> _Job:
    css = PART_CSS + (f"html {{ break-before: {side}; }}\n" if side else "")
    html_text = render_html(context, dirs, env=env, sections=sections, toc=toc, page_css=css)
    stubs = _stubs(html_text)
    if stubs:  # a second pass, now that the part's own ids are known
        html_text = render_html(context, dirs, env=env, sections=sections, toc=toc,
                                page_css=css, stubs=sorted(stubs))
    return _Job(html_text, tuple(dirs), stubs, write, attachments, issued)


def _footers_job(env: jinja2.Environment, dirs: Sequence[Path], context: ReportContext,
                 pages: Sequence[pdfmerge.PageBox]) -> _Job:
    """A document of as many pages as the report, with the report's page rules and
    nothing on them but the footers."""
    css = _render(env, "report.css")
    names = sorted({p.name for p in pages if _PAGE_NAME.fullmatch(p.name)})
    css += FOOTER_CSS + "".join(f".page-{n} {{ page: {n}; }}\n" for n in names)
    body = "".join(
        f'<div class="page page-{p.name}"></div>' if p.name in names else '<div class="page"></div>'
        for p in pages)
    html_text = (f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8">'
                 f'<title>{escape(for_document(context.plan_title))}</title>'
                 f'<style>{css}</style></head><body>{body}</body></html>')
    return _Job(html_text, tuple(dirs), variant=FOOTER_VARIANT)


def _read_attachments(attachments: Sequence[Path]) -> tuple[tuple[str, bytes], ...]:
    files = []
    for path in attachments:
        try:
            files.append((Path(path).name, Path(path).read_bytes()))
        except OSError as exc:
            raise ReportError("R004", path=path, reason=exc.strerror or exc) from None
    return tuple(files)


def render_pdf(context: ReportContext, dirs: Sequence[Path], issued: dt.datetime,
               attachments: Sequence[Path] = (), *, jobs: int | None = None,
               env: jinja2.Environment | None = None,
               progress: Progress | None = None, cache: PartCache | None = None) -> bytes:
    """The tagged PDF/A-3a of the report, laid out part by part on up to `jobs` processes;
    parts whose inputs are unchanged are taken from `cache` (see layout_cache), and the
    parts laid out now are put in it (written by cache.save())."""
    say = progress or (lambda message: None)
    env = env or make_environment(dirs)
    files = _read_attachments(attachments)
    parts = report_parts(context, env)
    if not lays_out_sections(env):
        parts = [[section for part in parts for section in part]]
    try:
        return _render_parts(env, context, dirs, issued, files, parts, jobs, say, cache)
    except BrokenProcessPool:
        raise ReportError("R007") from None


def _render_parts(env: jinja2.Environment, context: ReportContext, dirs: Sequence[Path],
                  issued: dt.datetime, files: tuple[tuple[str, bytes], ...],
                  parts: list[list[Section]], jobs: int | None, say: Progress,
                  cache: PartCache | None = None) -> bytes:
    front = dict(env=env, context=context, dirs=dirs, sections=parts[0])
    placeholder = _part_job(**front, toc=_Placeholders(), write=False)
    # The joined file keeps the first part's metadata only: the other parts are dated by
    # the day alone, so that a rebuild later the same day can reuse them (layout_cache).
    body = replace(context, issued_iso=context.issued_iso[:10] + "T00:00:00Z")
    bodies = [_part_job(env, body, dirs, sections) for sections in parts[1:]]
    environment = layout_environment(dirs) if cache is not None else ""
    with parallel.executor(jobs, len(parts)) as executor:
        pool = _Layouts(executor, cache, environment)
        # Longest first keeps the cores busy to the end; results are kept in order.
        order = sorted(range(len(bodies)), key=lambda i: -len(bodies[i].html))
        pending = {i: pool.submit(bodies[i]) for i in order}
        first = pool.submit(placeholder).result()
        laid = [pending[i].result() for i in range(len(bodies))]
        say(text("R033", parts=len(parts)))
        if cache is not None and cache.hits:
            say(text("R034", reused=cache.hits, parts=len(parts)))

        def number(front_part: pdfmerge.Part, front_boxes, laid: list[pdfmerge.Part]):
            """The contents with real page numbers and the footers, for these parts."""
            for _ in range(3):  # the contents' numbers never change its length; checked anyway
                offsets, start = [], len(front_boxes)
                for part in laid:
                    offsets.append(start)
                    start += len(part.pages)
                toc = {name: str(offset + index + 1)
                       for part, offset in zip([front_part, *laid], [0, *offsets], strict=True)
                       for name, index in part.anchors.items()}
                all_pages = [*front_boxes, *(p for part in laid for p in part.pages)]
                cover = pool.submit(_part_job(**front, toc=toc, attachments=files,
                                              issued=issued))
                footers = pool.submit(_footers_job(env, dirs, context, all_pages))
                head, footers = cover.result(), footers.result()
                if len(head.pages) == len(front_boxes):
                    return head, footers, offsets
                front_boxes = head.pages
            # pragma: no cover - a template whose contents change length with the numbers
            raise ReportError("R006")

        head, footers, offsets = number(first, first.pages, laid)
        # A part's side only depends on the parts before it, so each round settles at least
        # the first part that did not fit: as many rounds as parts always suffice.
        for _ in range(len(parts) + 1):
            moves = pdfmerge.shifts([head, *laid], footers.pages)
            if moves is not None:
                break
            # Left and right pages differ in width in these templates: lay out again each
            # part whose pages do not fit, on the side it really starts on.
            counts = [len(part.pages) for part in laid]
            for i, (part, at) in enumerate(zip(laid, offsets, strict=True)):
                final = footers.pages[at:at + len(part.pages)]
                if any(abs(p.width - f.width) > pdfmerge.EPSILON
                       for p, f in zip(part.pages, final, strict=True)):
                    laid[i] = pool.submit(_part_job(env, body, dirs, parts[i + 1],
                                                    side=final[0].side)).result()
            if [len(part.pages) for part in laid] != counts:
                # On its other side a part took more or fewer pages: number everything again
                # (the parts after it may now start on the other side too).
                head, footers, offsets = number(head, head.pages, laid)
        else:  # pragma: no cover - parts that never settle on their sides
            raise ReportError("R006")
        done = [head, *laid]
    return pdfmerge.join(done, footers.pdf, moves)


def _write(target: Path, data: bytes) -> None:
    try:
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise ReportError("R005", path=target, reason=exc.strerror or exc) from None


def render_report(merged: Merged, evaluation, out_dir: Path, *,
                  templates_dir: Path | None = None, html: bool = False,
                  attachments: Sequence[Path] = (), jobs: int | None = None,
                  progress: Progress | None = None, edition: str = PUBLIC,
                  issued_on: dt.date | None = None, committee=None,
                  negative_sign: str = "minus", cache: PartCache | None = None) -> list[Path]:
    """Write out_dir/report.pdf (and report.html when html is True) in the given edition
    (report_context.EDITIONS); return the paths.

    Checks the fonts and the templates before any output is made; each file is written
    to a temporary file in out_dir and renamed, so no partial file is ever left.
    issued_on dates the report (else SOURCE_DATE_EPOCH or today, in Japan time);
    committee (committee.CommitteeInput) carries the 総評 and the committee's opinions;
    negative_sign is how negative rates are printed (report_context.NEGATIVE_SIGNS);
    cache (layout_cache.PartCache) keeps the laid out parts for the next build: the
    caller saves it once the outputs are in place.
    """
    say = progress or (lambda message: None)
    check_fonts()
    dirs = template_dirs(templates_dir)
    issued = report_datetime(issued_on)
    say(text("R030"))
    context = build_context(merged, evaluation, issued=issued, edition=edition,
                            committee=committee, negative_sign=negative_sign)
    env = make_environment(dirs)
    html_text = render_html(context, dirs, env=env, web=True) if html else ""
    say(text("R031"))
    pdf = render_pdf(context, dirs, issued, attachments, jobs=jobs, env=env, progress=say,
                     cache=cache)
    out_dir = Path(out_dir)
    written = [out_dir / PDF_NAME]
    _write(written[0], pdf)
    if html:
        written.append(out_dir / HTML_NAME)
        _write(written[1], html_text.encode("utf-8"))
    say(text("R032", files="、".join(p.name for p in written)))
    return written
