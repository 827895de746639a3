"""Text from departments made safe for where it is shown: no control characters and no
unbalanced bidi overrides in the report, nothing a terminal would obey on the console.

The reader already cleans cell text when it is read; this is the second line, applied
where text leaves the tool (the report's jinja environment, the CLI's messages), so that
no path from data to an output can carry such characters.
"""

from __future__ import annotations

import re

#: C0 and C1 control characters, DEL; tab and line breaks are text.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Bidi embeddings/overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI).
_OPENERS = {"\u202a": "\u202c", "\u202b": "\u202c", "\u202d": "\u202c", "\u202e": "\u202c",
            "\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}
_CLOSERS = {"\u202c", "\u2069"}
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
#: Either kind: most text has neither, and is then returned as it is.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def balance_bidi(value: str) -> str:
    """`value` with every bidi override or isolate closed inside it: a closer without its
    opener is dropped, an opener left open is closed at the end, so the reordering can
    never run on into the text that follows."""
    if not _BIDI.search(value):
        return value
    out: list[str] = []
    stack: list[str] = []
    for char in value:
        if char in _OPENERS:
            stack.append(_OPENERS[char])
        elif char in _CLOSERS:
            if char not in stack:
                continue
            while stack:  # closing an outer one closes what is open inside it
                closer = stack.pop()
                if closer == char:
                    break
                out.append(closer)
        out.append(char)
    out.extend(reversed(stack))
    return "".join(out)


def is_safe(value: str) -> bool:
    """Whether the text has no control or bidi character at all."""
    return _UNSAFE.search(value) is None


def for_document(value: str) -> str:
    """Text for HTML/PDF: control characters removed, bidi controls balanced."""
    if is_safe(value):
        return value
    return balance_bidi(_CONTROLS.sub("", value))


def _picture(match: re.Match) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␛ for ESC
    return "␡" if code == 0x7F else f"<U+{code:04X}>"


def for_terminal(value: str) -> str:
    """Text for the console: control and bidi characters shown as visible symbols
    (ESC as ␛, RLO as <U+202E>), so a cell value can neither drive the terminal nor
    reorder the line it is printed on."""
    value = _CONTROLS.sub(_picture, value)
    return _BIDI.sub(lambda m: f"<U+{ord(m.group()):04X}>", value)
