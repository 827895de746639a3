"""The report's parts as data: templates/parts.toml (or the one in a user's template folder).

The list of parts (cover and contents, the method, the summary, one chapter per top-level
item of the plan, the appendix …) decides what is laid out together, what the layout cache
can reuse on its own, and what the contents list. Keeping it in the template folder lets a
user's folder add a chapter (its template and one [[parts]] entry) and the contents follow,
without touching the code. The file is read through the report's own jinja2 loader, so it
is looked up like any template: the user's folder first, then the packaged one.
"""

from __future__ import annotations

import tomllib
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import jinja2
from markupsafe import Markup

from mine_report.common.errors import MineReportError
from mine_report.common.messages import text

PARTS_FILE = "parts.toml"
#: What `each` may repeat a part over: the plan's top-level items (context.strategies).
EACH = ("strategy",)
_KEYS = {"templates", "anchor", "title", "each"}


class PartsError(MineReportError):
    """parts.toml cannot be used (R003, with the reason)."""

    def __init__(self, reason: str):
        super().__init__(text("R003", name=PARTS_FILE, reason=reason), "R003")


@dataclass(frozen=True)
class Section:
    """One template of the report body; strategy.html is given its strategy as `s`."""

    template: str
    strategy: object | None = None


@dataclass(frozen=True)
class PartSpec:
    """One [[parts]] entry of parts.toml."""

    templates: tuple[str, ...]
    anchor: str = ""
    title: str = ""
    each: str = ""


@dataclass(frozen=True)
class ContentsEntry:
    """One line of the contents: kind is "chapter" or "policy" (the CSS class toc-KIND)."""

    kind: str
    anchor: str
    title: str | Markup


def load_parts(env: jinja2.Environment) -> list[PartSpec]:
    """The parts declared in parts.toml, checked; PartsError (R003) names what is wrong."""
    try:
        source = env.loader.get_source(env, PARTS_FILE)[0]
    except jinja2.TemplateNotFound:
        raise PartsError(text("R010")) from None
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PartsError(str(exc)) from None
    entries = data.get("parts")
    if not isinstance(entries, list) or not entries:
        raise PartsError(text("R012"))
    return [_spec(n, entry) for n, entry in enumerate(entries, 1)]


def _spec(n: int, entry: object) -> PartSpec:
    if not isinstance(entry, dict):
        raise PartsError(text("R012"))
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise PartsError(text("R013", n=n, key=unknown[0]))
    templates = entry.get("templates")
    if (not isinstance(templates, list) or not templates
            or not all(isinstance(t, str) and t for t in templates)):
        raise PartsError(text("R013", n=n, key="templates"))
    values = {key: entry.get(key, "") for key in ("anchor", "title", "each")}
    for key, value in values.items():
        if not isinstance(value, str):
            raise PartsError(text("R013", n=n, key=key))
    if values["each"] and values["each"] not in EACH:
        raise PartsError(text("R013", n=n, key="each"))
    if n > 1 and not values["each"] and not (values["anchor"] and values["title"]):
        raise PartsError(text("R013", n=n, key="anchor" if not values["anchor"] else "title"))
    return PartSpec(tuple(templates), **values)


def expand(specs: Sequence[PartSpec], context) -> list[list[Section]]:
    """The parts to lay out, `each` repeated over the plan's top-level items."""
    parts: list[list[Section]] = []
    for spec in specs:
        items = context.strategies if spec.each else (None,)
        parts += [[Section(t, item) for t in spec.templates] for item in items]
    return parts


#: Each environment's compiled part titles: contents() runs once for every part laid out
#: (twice for most), and compiling a title costs more than rendering it.
_TITLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(env: jinja2.Environment, source: str) -> jinja2.Template:
    titles = _TITLES.setdefault(env, {})
    if source not in titles:
        titles[source] = env.from_string(source)
    return titles[source]


def contents(specs: Sequence[PartSpec], context, env: jinja2.Environment) -> list[ContentsEntry]:
    """The contents' lines: one per part after the front matter (its title rendered with
    `report`), and for an `each` part its item's heading and title and its policies."""
    entries: list[ContentsEntry] = []
    for spec in specs[1:]:
        if not spec.each:
            # Rendered (and escaped) by the sandboxed environment: Markup, not escaped again.
            title = Markup(_compiled(env, spec.title).render(report=context))
            entries.append(ContentsEntry("chapter", spec.anchor, title))
            continue
        for s in context.strategies:
            entries.append(ContentsEntry("chapter", s.anchor, f"{s.heading}\u3000{s.title}"))
            # A middle level below the first is indented by its depth (report.css).
            entries += [ContentsEntry("policy" if p.depth == 1 else f"policy toc-depth-{p.depth}",
                                      p.anchor, f"{p.heading}\u3000{p.title}")
                        for p in s.policies if not p.implicit]
    return entries
