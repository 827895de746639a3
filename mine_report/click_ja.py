"""click's own words in Japanese: "Usage:", "Show this message and exit.", "[x>=1]",
"Error: No such option" and the like, so that help and usage errors speak the language
of every other message.

click marks these strings for gettext (`from gettext import gettext as _` in each of its
modules) but ships no Japanese catalogue, and a catalogue would need compiled .mo files
and the process locale. install() replaces those modules' `_`/`ngettext` with a lookup in
the table below (a string not in it stays as click wrote it) and describes number ranges
in words ("1 以上"). It touches click only in this process and is idempotent.
"""

from __future__ import annotations

import click.core
import click.decorators
import click.exceptions
import click.formatting
import click.parser
import click.types

JA = {
    "Usage:": "使い方:",
    "Options": "オプション",
    "Commands": "コマンド",
    "Positional arguments": "引数",
    "Show this message and exit.": "この説明を表示して終了します。",
    "Show the version and exit.": "版を表示して終了します。",
    "%(prog)s, version %(version)s": "%(prog)s 版 %(version)s",
    "Error: {message}": "エラー: {message}",
    "Try '{command} {option}' for help.": "説明は '{command} {option}' で表示できます。",
    "Invalid value for {param_hint}: {message}": "{param_hint} の値が正しくありません: {message}",
    "Invalid value: {message}": "値が正しくありません: {message}",
    "Missing argument": "引数がありません",
    "Missing option": "オプションがありません",
    "Missing parameter": "指定がありません",
    "Missing parameter: {param_name}": "指定がありません: {param_name}",
    "Missing {param_type}": "{param_type}がありません",
    "Missing command.": "コマンドを指定してください。",
    "No such command {name!r}.": "コマンド {name!r} はありません。",
    "No such option {name!r}.": "オプション {name!r} はありません。",
    "No such option: {name}": "オプション {name} はありません。",
    "Option {name!r} does not take a value.": "オプション {name!r} は値を取りません。",
    "Option {name!r} requires an argument.": "オプション {name!r} には値が必要です。",
    "Option {name!r} requires {nargs} arguments.": "オプション {name!r} には値が {nargs} 個必要です。",
    "Got unexpected extra argument ({args})": "余分な引数があります ({args})",
    "Got unexpected extra arguments ({args})": "余分な引数があります ({args})",
    "Did you mean {possibility}?": "{possibility} のことですか?",
    "(Did you mean one of: {possibilities}?)": "(次のどれかのことですか: {possibilities})",
    "{value!r} is not a valid {number_type}.": "{value!r} は数として読めません。",
    "{value} is not in the range {range}.": "{value} は範囲 ({range}) の外です。",
    "{value!r} is not one of {choices}.": "{value!r} は {choices} のどれでもありません。",
    "{value!r} is not {choice}.": "{value!r} は {choice} ではありません。",
    "Choose from:\n\t{choices}": "次から選んでください:\n\t{choices}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} がありません。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} はフォルダです。",
    "{name} {filename!r} is a file.": "{name} {filename!r} はファイルです。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} を読めません。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} に書き込めません。",
    "Could not open file {filename!r}: {message}": "ファイル {filename!r} を開けません: {message}",
    "default: {default}": "既定: {default}",
    "required": "必須",
    "Aborted!": "中止しました。",
}
# Metavars (PATH, INTEGER) stay as click writes them: click aligns help columns by
# character count, and wide characters there would push the descriptions out of line.


def _(message: str) -> str:
    return JA.get(message, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _(singular if n == 1 else plural)


def _describe_range(self) -> str:
    """A range in words: "1 以上", "0 以上 100 以下", "0 より大きい"."""
    parts = []
    if self.min is not None:
        parts.append(f"{self.min} より大きい" if self.min_open else f"{self.min} 以上")
    if self.max is not None:
        parts.append(f"{self.max} 未満" if self.max_open else f"{self.max} 以下")
    return " ".join(parts)


def install() -> None:
    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.types):
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext
    click.types._NumberRangeBase._describe_range = _describe_range
