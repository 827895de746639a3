"""Exceptions raised by the core; the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass, field


class MineReportError(Exception):
    """Base for every error the CLI reports without a traceback.

    `code` is the stable message code (README's table); str() shows it first, so every
    command error names its code wherever it is printed. Like a validation Problem it
    has a severity (always "error": it stops the command) and, when made with `of`, the
    values its message was made from, for a program to use without parsing Japanese.
    """

    exit_code = 1
    severity = "error"

    def __init__(self, message: str = "", code: str = "",
                 values: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.values = dict(values or {})

    @classmethod
    def of(cls, code: str, **values: object):
        """The error for a message code, its placeholders filled."""
        from mine_report.common.messages import text

        return cls(text(code, **values), code, {k: str(v) for k, v in values.items()})

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}" if self.code else self.message


class UsageError(MineReportError):
    """The command was called with options that cannot work together."""

    exit_code = 2


class FiscalYearError(MineReportError, ValueError):
    """A text could not be read as a Japanese fiscal year."""


@dataclass(frozen=True)
class DataProblem:
    """One problem in a data file (plan or config), located by its key path."""

    code: str
    path: str
    message: str
    #: The values the message was made from (see `of`).
    values: dict[str, str] = field(default_factory=dict, compare=False)
    severity = "error"

    @classmethod
    def of(cls, code: str, path: str, **values: object) -> DataProblem:
        """The problem for a message code, its placeholders filled and its values kept."""
        from mine_report.common.messages import text

        return cls(code, path, text(code, **values), {k: str(v) for k, v in values.items()})

    def __str__(self) -> str:
        return f"[{self.code}] {self.path}: {self.message}"


class ProblemsError(MineReportError):
    """A data file has problems; all of them are carried, not only the first."""

    what = "ファイル"

    def __init__(self, source: str, problems: list[DataProblem]):
        self.source = source
        self.problems = problems
        super().__init__(f"{self.what} {source} に {len(problems)} 件の問題があります")


class PlanError(ProblemsError):
    """The plan file is malformed."""

    what = "計画ファイル"


class ConfigError(ProblemsError):
    """The grading config file is malformed."""

    what = "設定ファイル"
