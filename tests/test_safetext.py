"""Text leaving the tool: no control characters, bidi controls balanced (documents) or
shown as visible symbols (console), for any input."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mine_report.common.safetext import balance_bidi, for_document, for_terminal

OPENERS = "\u202a\u202b\u202d\u202e\u2066\u2067\u2068"
CLOSERS = "\u202c\u2069"
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: Text made mostly of the characters that matter here.
nasty = st.text(st.sampled_from([*OPENERS, *CLOSERS, "\x1b", "\x00", "\x9b", "\n", "\t",
                                 "a", "美", " "]) | st.characters(), max_size=60)


def balanced(text: str) -> bool:
    stack = []
    for char in text:
        if char in OPENERS:
            stack.append("\u2069" if char in "\u2066\u2067\u2068" else "\u202c")
        elif char in CLOSERS and (not stack or stack.pop() != char):
            return False
    return not stack


@settings(max_examples=300, derandomize=True)
@given(nasty)
def test_document_text_is_clean_and_balanced_and_keeps_the_rest(value):
    out = for_document(value)
    assert not CONTROLS.search(out)
    assert balanced(out)
    strip = re.compile(f"[{OPENERS}{CLOSERS}]")
    # Lone surrogates become U+FFFD (no encoder takes them); pairs are joined.
    joined = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    assert strip.sub("", out) == strip.sub("", CONTROLS.sub("", joined))


@settings(max_examples=300, derandomize=True)
@given(nasty)
def test_terminal_text_shows_every_control_visibly(value):
    out = for_terminal(value)
    assert not CONTROLS.search(out)
    assert not re.search(f"[{OPENERS}{CLOSERS}]", out)
    assert out.count("\n") == value.count("\n")


def test_examples():
    assert balance_bidi("a\u202eb") == "ab"
    assert balance_bidi("a\u202cb\u2069") == "ab"
    assert balance_bidi("\u2067x\u202ey\u2069z") == "\u2067xy\u2069z"
    assert balance_bidi("\u202bx\u2067y\u202cz\u2069") == "x\u2067yz\u2069"
    assert for_terminal("\x1b[2J\u202eevil\x7f\tx\n") == "\\x1b[2J<U+202E>evil\\x7f\tx\n"
    assert for_document("普通の文章\n改行") == "普通の文章\n改行"
