"""Phrase-level line breaking for the Japanese text of the report.

WeasyPrint breaks Japanese text between any two characters, so narrow table cells split
two-character words (割／合, 推／進) and paragraphs end on a lone 「す。」. CSS
`word-break: keep-all` would fix it in a browser but WeasyPrint ignores it. BudouX (a
small pure-Python model from Google, no dependencies) finds the phrase boundaries; each
short phrase is printed as an unbreakable span, so lines break only between phrases.
Long phrases stay breakable: a span wider than its cell would overflow it. Every span
costs layout time, so long texts (comments, descriptions) only keep the last phrase of
each paragraph whole (`last_phrase`), which is what stops a lone 「す。」 line; short
texts in narrow cells (names, titles) get every phrase kept whole (`phrases`).
"""

from __future__ import annotations

from functools import lru_cache

import budoux
from markupsafe import Markup, escape

#: Phrases up to this many characters are kept on one line.
MAX_PHRASE = 10


@lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


def _kept(phrase: str) -> str:
    if 1 < len(phrase) <= MAX_PHRASE:
        return f'<span class="ph">{escape(phrase)}</span>'
    return str(escape(phrase))


def _mark(text: str, every: bool) -> Markup:
    if not text:
        return Markup("")
    parser = _parser()
    out: list[str] = []
    for n, line in enumerate(str(text).split("\n")):
        if n:
            out.append("\n")
        parts = parser.parse(line) if line.strip() else [line]
        if every:
            out += [_kept(p) for p in parts]
        else:
            out += [str(escape("".join(parts[:-1]))), _kept(parts[-1])]
    return Markup("".join(out))


@lru_cache(maxsize=4096)
def phrases(text: str) -> Markup:
    """The text, escaped, with each short phrase in a `<span class="ph">` (no break inside).
    Line breaks in the text are kept; the result prints the same characters."""
    return _mark(text, every=True)


@lru_cache(maxsize=4096)
def last_phrase(text: str) -> Markup:
    """The text, escaped, with only the last phrase of each line kept whole."""
    return _mark(text, every=False)
