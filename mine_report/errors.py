"""Exceptions raised by the core; the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class MineReportError(Exception):
    """Base for every error the CLI reports without a traceback."""

    exit_code = 1


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
