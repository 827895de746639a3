"""Text hygiene at intake and on the console: what a cell or a file name may carry that no
encoder, page or terminal should receive.

Two functions, one per side:

- `clean_text` is applied by the reader to every string read from a workbook. It joins
  surrogate pairs (Excel writes an emoji as two `_xHHHH_` escapes, one per UTF-16 half),
  replaces lone surrogates with U+FFFD (no UTF-8 encoder accepts them: xlsxwriter and the
  PDF would fail), removes C0/C1 control characters other than tab and line breaks, and
  removes bidi embedding/override/isolate characters that are not closed in the same line
  (an unbalanced RLO reverses everything after it, numbers included).
- `visible` is applied to every line the console prints that quotes a cell value or a
  file name: control characters (ESC starts terminal escape sequences), bidi controls and
  lone surrogates (from undecodable file names) become `\\x1b`, `<U+202E>`, `\\udcff`.
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
#: What the console must never print raw: controls (tab and line breaks too: a console
#: line is one line), bidi controls, lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(text: str) -> str:
    """A workbook string made safe to keep, encode and print (see the module docstring).

    Text without anything to clean is returned as it is (the common case costs one scan).
    """
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if _CONTROLS.search(text):
        text = _CONTROLS.sub("", text)
    if _BIDI.search(text):
        text = "\n".join(_balanced_bidi(line) for line in text.split("\n"))
    return text


def _balanced_bidi(line: str) -> str:
    """The line without the bidi controls that are not matched within it: an opener with
    its closer is kept (that is ordinary right-to-left text), any other one is dropped.
    Embeddings/overrides (closed by PDF) and isolates (closed by PDI) are matched on
    their own stacks, so the cost stays linear however the text nests them."""
    stacks: dict[str, list[int]] = {"\u202c": [], "\u2069": []}  # closer → open positions
    keep = [True] * len(line)
    for i, ch in enumerate(line):
        if ch in _OPENERS:
            stacks[_OPENERS[ch]].append(i)
            keep[i] = False  # kept only once its closer is found
        elif ch in _CLOSERS:
            if stacks[ch]:
                keep[stacks[ch].pop()] = True
            else:
                keep[i] = False
    return "".join(ch for ch, k in zip(line, keep, strict=True) if k)


def _escape(m: re.Match) -> str:
    ch = m[0]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return f"<U+{code:04X}>"


def visible(text: str) -> str:
    """One console line with every control, bidi control and lone surrogate shown as an
    escape instead of being sent to the terminal."""
    return _UNSAFE.sub(_escape, text)
