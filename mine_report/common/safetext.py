"""Text hygiene: what a cell, a plan value or a file name may carry that no encoder, page or
terminal should receive. One module for every side, so the rules cannot drift apart:

- `clean_text` is applied by the reader to every string read from a workbook, and again
  by the report's jinja environment to every value it prints (`for_document`), so no path
  from data to an output carries such characters. It joins surrogate pairs (Excel writes an
  emoji as two `_xHHHH_` escapes, one per UTF-16 half), replaces lone surrogates with
  U+FFFD (no UTF-8 encoder accepts them: xlsxwriter and the PDF would fail), removes C0/C1
  control characters other than tab and line breaks, and keeps only the bidi embeddings,
  overrides and isolates that are closed within their own line (an unclosed RLO would
  reverse everything after it, numbers included).
- `visible` (one console line) and `for_terminal` (a block of lines) are applied to what
  the console prints: control characters (ESC starts terminal escape sequences), bidi
  controls and lone surrogates (from undecodable file names) become `\\x1b`, `<U+202E>`,
  `\\udcff`, so a value can neither drive the terminal nor reorder the line.
"""

from __future__ import annotations

import re

#: C0 and C1 control characters and DEL, except tab, line feed and carriage return.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Explicit bidi formatting: LRE RLE PDF LRO RLO (U+202A–E), LRI RLI FSI PDI (U+2066–9).
_OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c",
            "\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}
_CLOSERS = frozenset(_OPENERS.values())
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Anything `clean_text` would change: most text has none and is returned as it is.
_UNCLEAN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff]")
#: What one console line must never print raw: controls (tab and line breaks too),
#: bidi controls, lone surrogates.
_UNSAFE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: The same for a block of lines, which keeps its tabs and line feeds.
_UNSAFE_BLOCK = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
                           "\ud800-\udfff]")


def is_clean(text: str) -> bool:
    """Whether `clean_text` would leave the text as it is."""
    return _UNCLEAN.search(text) is None


def clean_text(text: str) -> str:
    """A string made safe to keep, encode and print (see the module docstring).

    Text without anything to clean is returned as it is (the common case costs one scan,
    made here rather than through is_clean: the reader calls this for every string).
    """
    if _UNCLEAN.search(text) is None:
        return text
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _CONTROLS.sub("", text)
    if _BIDI.search(text):
        text = "\n".join(balance_bidi(line) for line in text.split("\n"))
    return text


#: Text for HTML and PDF is cleaned by the same rule as text read from a workbook.
for_document = clean_text


def balance_bidi(value: str) -> str:
    """`value` with only the bidi controls that are properly closed within it: an opener
    left open and a closer without its opener are dropped (an unclosed RLO is removed, not
    closed, so the text reads in its stored order), and a PDI that closes its isolate
    drops the embeddings still open inside it, as the bidi algorithm would end them.
    What is kept is properly nested. Linear however the text nests them."""
    if not _BIDI.search(value):
        return value
    keep = [True] * len(value)
    stack: list[tuple[str, int]] = []  # (closer, position) of each open opener
    open_isolates = 0
    for i, char in enumerate(value):
        if char in _OPENERS:
            stack.append((_OPENERS[char], i))
            open_isolates += _OPENERS[char] == "\u2069"
            keep[i] = False  # kept only once its closer is found
        elif char in _CLOSERS:
            if stack and stack[-1][0] == char:
                keep[stack.pop()[1]] = True
                open_isolates -= char == "\u2069"
            elif char == "\u2069" and open_isolates:
                while stack[-1][0] != char:  # embeddings left open inside the isolate
                    stack.pop()
                keep[stack.pop()[1]] = True
                open_isolates -= 1
            else:
                keep[i] = False
    return "".join(ch for ch, k in zip(value, keep, strict=True) if k)


def _escape(m: re.Match) -> str:
    code = ord(m[0])
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """One console line with every control (line breaks too), bidi control and lone
    surrogate shown as an escape instead of being sent to the terminal."""
    return _UNSAFE_LINE.sub(_escape, text)


def for_terminal(text: str) -> str:
    """A block of console lines: as `visible`, but tabs and line feeds stay."""
    return _UNSAFE_BLOCK.sub(_escape, text)
