"""Checking parsed TOML or JSON (a plan, a grading config) key by key.

The plan and the config are both walked by a checker that builds the model and collects
every problem with its key path (`strategies[0].measures[1].kpis[2].target`), so that a
file is reported in full at once and never stops at its first mistake. This is the part
the two walkers share; each adds the keys of its own file.
"""

from __future__ import annotations

from mine_report.common.errors import DataProblem
from mine_report.common.messages import text


def join(path: str, key: str) -> str:
    """The key path of `key` inside `path` ("" is the top level)."""
    return f"{path}.{key}" if path else key


class KeyPathChecker:
    """Collects problems (code, key path, message) while a subclass walks the data."""

    #: The message code for a key the file's schema does not know.
    unknown_code = ""

    def __init__(self) -> None:
        self.problems: list[DataProblem] = []

    def quote(self, value: object) -> object:
        """A value as a message quotes it (a subclass may shorten long ones)."""
        return value

    def add(self, code: str, path: str, **values: object) -> None:
        shown = {k: self.quote(v) for k, v in values.items()}
        self.problems.append(DataProblem(code, path, text(code, **shown)))

    def unknown(self, data: dict, allowed, path: str) -> None:
        """One problem for every key of `data` not in `allowed` (a misspelt key)."""
        for key in data:
            if key not in allowed:
                self.add(self.unknown_code, join(path, key))
