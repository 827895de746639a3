"""The planning division's own words for the report: the 総評 (overall assessment) and the
review committee's opinions (推進会議・外部有識者の意見) with the city's response.

They come from a small TOML file the division writes (`build --opinions PATH`), because
they are written after the numbers are known and belong to no department workbook. The
file is optional: without it the report simply has no such pages. Every problem in it is
collected and reported at once (B03x), and nothing is written.

    overall = \"\"\"令和5年度は …\"\"\"          # 総評 (paragraphs separated by blank lines)

    [[opinions]]
    target = "全体"                  # or a strategy number: "1" … "5"
    by = "推進会議"                  # who said it (推進会議, 外部有識者 …)
    opinion = "観光の回復が …"
    response = "令和6年度は …"       # the city's response (optional)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mine_report.common.errors import DataProblem, ProblemsError
from mine_report.common.fileio import read_toml
from mine_report.common.messages import text
from mine_report.plan.model import Plan

#: The target of an opinion about the plan as a whole.
WHOLE_PLAN = "全体"
_TOP_KEYS = {"overall", "opinions"}
_OPINION_KEYS = {"target", "by", "opinion", "response"}


class CommitteeFileError(ProblemsError):
    """The 総評・意見 file is malformed."""

    what = "総評・意見ファイル"


@dataclass(frozen=True)
class Opinion:
    """One opinion of the committee and the city's response to it."""

    target: str  # 「全体」 or a strategy id
    by: str
    opinion: str
    response: str


@dataclass(frozen=True)
class CommitteeInput:
    """The 総評 paragraphs and the opinions, in the file's order."""

    overall: tuple[str, ...] = ()
    opinions: tuple[Opinion, ...] = ()

    def about(self, target: str) -> tuple[Opinion, ...]:
        """The opinions on one strategy (or on the whole plan)."""
        return tuple(o for o in self.opinions if o.target == target)


def paragraphs(value: str) -> tuple[str, ...]:
    """Text split into paragraphs at blank lines, each stripped."""
    return tuple(p.strip() for p in value.replace("\r\n", "\n").split("\n\n") if p.strip())


def load_committee(path: Path | None, plan: Plan) -> CommitteeInput:
    """Read the file (None: nothing was supplied, an empty input)."""
    if path is None:
        return CommitteeInput()
    data = read_toml(Path(path), CommitteeFileError, unreadable="B031", syntax="B032",
                     missing="B030")
    problems: list[DataProblem] = []

    def string(value: object, where: str, *, required: bool = False) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            problems.append(DataProblem("B034", where, text("B034")))
            return ""
        if required and not value.strip():
            problems.append(DataProblem("B036", where, text("B036")))
        return value.strip()

    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(DataProblem("B033", key, text("B033", keys="、".join(sorted(_TOP_KEYS)))))
    overall = paragraphs(string(data.get("overall"), "overall"))
    raw = data.get("opinions", [])
    if not isinstance(raw, list):
        problems.append(DataProblem("B037", "opinions", text("B037")))
        raw = []
    targets = {WHOLE_PLAN, *(s.id for s in plan.strategies)}
    opinions = []
    for n, item in enumerate(raw):
        where = f"opinions[{n}]"
        if not isinstance(item, dict):
            problems.append(DataProblem("B037", where, text("B037")))
            continue
        for key in sorted(set(item) - _OPINION_KEYS):
            problems.append(DataProblem("B033", f"{where}.{key}",
                                        text("B033", keys="、".join(sorted(_OPINION_KEYS)))))
        target = string(item.get("target", WHOLE_PLAN), f"{where}.target") or WHOLE_PLAN
        if target not in targets:
            problems.append(DataProblem("B035", f"{where}.target",
                                        text("B035", value=target,
                                             choices="、".join(sorted(targets)))))
        opinions.append(Opinion(target, string(item.get("by"), f"{where}.by"),
                                string(item.get("opinion"), f"{where}.opinion", required=True),
                                string(item.get("response"), f"{where}.response")))
    if problems:
        raise CommitteeFileError(str(path), problems)
    return CommitteeInput(overall, tuple(opinions))
