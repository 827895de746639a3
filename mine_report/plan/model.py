"""The domain model every step speaks: the plan, what departments submit, problems found.

Numbers are Decimal exactly as people wrote them, so grading can be exact.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import Literal

from mine_report.common.numbers import json_number

Direction = Literal["increase", "decrease", "maintain"]
DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "maintain")
DIRECTION_LABELS = {"increase": "増加", "decrease": "減少", "maintain": "維持"}
#: The two editions of the outputs. The public one (the default: the website, the committee)
#: carries no staff names, file names, hashes or cell addresses and attaches the open data
#: to the PDF; the internal one (the planning division's record) lists the input files and
#: the checks and attaches the merged workbook.
PUBLIC, INTERNAL = "public", "internal"
EDITIONS = (PUBLIC, INTERNAL)

#: The levels of Mine's second-period plan, top first; the last is the unit of a workbook
#: sheet. A plan declares its own names, from two (基本目標 → 施策 → KPI, the shape of most
#: small towns' strategies) to five levels.
MINE_LEVELS = ("重点戦略", "戦略方針", "具体的施策")
#: How many levels a plan may have: the top and the sheet unit, and up to three between.
LEVEL_COUNTS = range(2, 6)

#: What grading rolls up, as the rules' sentences name it when no plan is at hand
#: (`config --show`): Mine's levels from the measure up, the measure called 施策.
ROLLUP_LEVELS = "施策・戦略方針・重点戦略"

#: Who fills the goal indicators (目標指標) unless the plan names another owner.
PLANNING_DIVISION = "企画政策課"

Severity = Literal["error", "warning"]


# --- the plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """A revision of a KPI's plan values (目標値 and/or 基準値) made mid-period: in force
    for the evaluation of `from_year` and later years. Fields left None keep their value."""

    date: str  # when it was decided, as the plan writes it (2021-12-01, 令和3年12月 …)
    from_year: int  # the first fiscal year graded against it
    reason: str
    target: Decimal | None = None
    target_year: int | None = None
    baseline: Decimal | None = None
    baseline_year: int | None = None

    def to_dict(self) -> dict:
        return {"date": self.date, "from_year": self.from_year, "reason": self.reason,
                **{k: json_number(v) if isinstance(v, Decimal) else v
                   for k in ("target", "target_year", "baseline", "baseline_year")
                   if (v := getattr(self, k)) is not None}}


@dataclass(frozen=True)
class Kpi:
    """A KPI (重要業績評価指標) or a strategy goal indicator (目標指標)."""

    id: str
    name: str
    unit: str
    baseline: Decimal | None
    baseline_year: int
    target: Decimal
    target_year: int
    direction: Direction
    cumulative: bool = False
    #: The owner of a goal indicator as the plan names it ("" = the planning division).
    #: Not part of Plan.digest: reassigning work must not invalidate sent workbooks.
    department: str = ""
    #: The name of the grading scheme this KPI uses ("" = the scheme in force).
    grading: str = ""
    #: Revisions of the plan values, oldest first; the fields above are the values as
    #: first adopted.
    revisions: tuple[Revision, ...] = ()

    def in_force(self, year: int | None) -> Kpi:
        """This KPI with the plan values in force for evaluating `year` (every revision
        from that year or earlier applied, in order; None: all of them, as the plan now
        stands). Grading, the template and the reader all ask this, so they agree."""
        applied = self.revisions_in_force(year)
        if not applied:
            return self
        changes: dict[str, object] = {}
        for r in applied:
            changes.update({k: v for k in ("target", "target_year", "baseline", "baseline_year")
                            if (v := getattr(r, k)) is not None})
        return replace(self, **changes)

    def revisions_in_force(self, year: int | None) -> tuple[Revision, ...]:
        return tuple(r for r in self.revisions if year is None or r.from_year <= year)

    @property
    def is_percent(self) -> bool:
        return self.unit == "%"

    @property
    def allows_negative(self) -> bool:
        """Whether a negative actual can make sense: a change or a balance (増減・収支・変化),
        or a KPI whose plan values are negative. The template's validation and the reader's
        check both ask this, so Excel and the validator never disagree."""
        if any(word in self.name for word in ("増減", "収支", "変化")):
            return True
        return (self.baseline is not None and self.baseline < 0) or self.target < 0


@dataclass(frozen=True)
class Initiative:
    """A concrete initiative (具体的な取組) with its R2–R6 schedule text."""

    id: str
    title: str
    schedule: str


@dataclass(frozen=True)
class SubItem:
    """An item of a level below the sheet unit (a 事業 when departments fill one sheet per
    施策): a grouping inside its measure's sheet, holding its own KPIs.

    Measure.items lists them depth-first (each before its children, `depth` 1 being the
    level right under the sheet unit), like Strategy.policies."""

    id: str
    title: str
    description: str
    kpis: tuple[Kpi, ...]
    depth: int = 1


@dataclass(frozen=True)
class Measure:
    """A measure (具体的施策): one sheet of the department workbook."""

    id: str
    title: str
    description: str
    #: Every KPI on the sheet, in plan order: the measure's own, then those of its
    #: sub-items depth-first, so grading, the reader and the outputs see one list whatever
    #: the plan's sheet level.
    kpis: tuple[Kpi, ...]
    initiatives: tuple[Initiative, ...]
    #: 担当課: the department that reports this measure ("" = not assigned in the plan).
    #: Not part of Plan.digest: reassigning work must not invalidate sent workbooks.
    department: str = ""
    #: The items of the levels below the sheet unit, depth-first (Plan.sub_levels).
    items: tuple[SubItem, ...] = ()

    @property
    def own_kpis(self) -> tuple[Kpi, ...]:
        """The KPIs on the measure itself, not on one of its sub-items."""
        held = {k.id for i in self.items for k in i.kpis}
        return tuple(k for k in self.kpis if k.id not in held)

    def item_chain(self, kpi_id: str) -> tuple[SubItem, ...]:
        """The sub-items a KPI sits under, top first (empty for the measure's own)."""
        chain: list[SubItem] = []
        for item in self.items:
            del chain[item.depth - 1:]
            chain.append(item)
            if any(k.id == kpi_id for k in item.kpis):
                return tuple(chain)
        return ()


@dataclass(frozen=True)
class Policy:
    """An item of a level between the top and the sheet unit (戦略方針 for Mine).

    A plan of four or five levels has two or three such levels: Strategy.policies lists
    their items depth-first (each before its children, `depth` saying its level), and only
    the deepest ones hold measures. So every walk of `s.policies` then `p.measures` meets
    every measure once, in plan order, whatever the plan's shape; Plan.ancestors and
    Plan.measures_under give the tree's relations."""

    id: str
    title: str
    description: str
    measures: tuple[Measure, ...]
    #: A plan of two levels has no middle level: each top-level item then holds one
    #: implicit policy (its own id and title), which no output shows as a level of its own.
    #: It keeps `strategy.policies` / `plan.measures` true for every shape.
    implicit: bool = False
    #: 数値目標 on this level (many plans set them on two levels).
    goal_indicators: tuple[Kpi, ...] = ()
    #: Its level: the index into Plan.levels (1 = the level right under the top).
    depth: int = 1


@dataclass(frozen=True)
class Strategy:
    """A priority strategy (重点戦略) with its goal indicators."""

    id: str
    title: str
    description: str
    goal_indicators: tuple[Kpi, ...]
    policies: tuple[Policy, ...]

    @property
    def measures(self) -> list[Measure]:
        return [m for p in self.policies for m in p.measures]

    @property
    def every_goal_indicator(self) -> list[Kpi]:
        """Its own goal indicators, then those of its policies."""
        return [*self.goal_indicators, *(g for p in self.policies for g in p.goal_indicators)]


@dataclass(frozen=True)
class Plan:
    """A whole revitalisation strategy (総合戦略)."""

    title: str
    municipality: str
    issuer: str
    adopted: str
    period_start: int
    period_end: int
    strategies: tuple[Strategy, ...]
    #: The departments named in the plan are an example to adapt (the shipped Mine plan).
    assignment_is_example: bool = False
    #: 全国地方公共団体コード (six digits with its check digit), for open data; "" if unknown.
    municipality_code: str = ""
    #: The names of the plan's levels, top first, the last being the unit of a workbook
    #: sheet: MINE_LEVELS, or two names for a plan without a middle level.
    levels: tuple[str, ...] = MINE_LEVELS
    #: The levels below the sheet unit (`sheet_level` in the plan file names the sheet
    #: unit), top first: groupings inside a sheet (Measure.items). Empty by default.
    sub_levels: tuple[str, ...] = ()
    _index: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
    #: item id → its ancestors above it, top first (implicit policies left out).
    _ancestors: dict[str, tuple] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index = self._index
        for s in self.strategies:
            index[s.id] = s
            self._ancestors[s.id] = ()
            for g in s.goal_indicators:
                index[g.id] = g
            chain: list[Strategy | Policy] = [s]
            for p in s.policies:
                del chain[p.depth:]  # depth-first: drop the levels left behind
                if not p.implicit:
                    index[p.id] = p
                    self._ancestors[p.id] = tuple(chain)
                    chain.append(p)
                for g in p.goal_indicators:
                    index[g.id] = g
                for m in p.measures:
                    index[m.id] = m
                    self._ancestors[m.id] = tuple(chain)
                    for k in m.kpis:
                        index[k.id] = k
                    for item in m.items:
                        index[item.id] = item
                    for i in m.initiatives:
                        index[i.id] = i

    @property
    def strategy_level(self) -> str:
        """The name of the top level (重点戦略, 基本目標 …)."""
        return self.levels[0]

    @property
    def policy_level(self) -> str:
        """The name of the first level under the top (戦略方針 …), "" when the plan has
        only two levels."""
        return self.levels[1] if len(self.levels) > 2 else ""

    @property
    def middle_levels(self) -> tuple[str, ...]:
        """The names of the levels between the top and the sheet unit (none to three)."""
        return self.levels[1:-1]

    @property
    def measure_level(self) -> str:
        """The name of the level a workbook sheet reports (具体的施策, 施策 …)."""
        return self.levels[-1]

    @property
    def measure_label(self) -> str:
        """The sheet unit as headings name it: 施策 for a level called …施策 (Mine's report
        says 施策1-1-1 for a 具体的施策) unless another level is called 施策, else the
        level's own name (事業1-2 …)."""
        if self.measure_level.endswith("施策") and "施策" not in self.levels[:-1]:
            return "施策"
        return self.measure_level

    @property
    def rollup_levels(self) -> str:
        """The levels grades are rolled up over, sheet unit first, for the rules' sentences
        (施策・戦略方針・重点戦略 for Mine)."""
        return "・".join([self.measure_label, *reversed(self.levels[:-1])])

    @property
    def all_levels(self) -> tuple[str, ...]:
        """Every level's name, top first, those below the sheet unit included."""
        return self.levels + self.sub_levels

    def level_name(self, item: Strategy | Policy | Measure | SubItem) -> str:
        """The name of the level an item belongs to (重点戦略, 戦略方針, 具体的施策 …)."""
        if isinstance(item, Strategy):
            return self.levels[0]
        if isinstance(item, Policy):
            return self.levels[item.depth]
        if isinstance(item, SubItem):
            return self.sub_levels[item.depth - 1]
        return self.measure_level

    def ancestors(self, item_id: str) -> tuple[Strategy | Policy, ...]:
        """The items above a measure or policy, top first (a plan of two levels: just its
        strategy)."""
        return self._ancestors[item_id]

    def measures_under(self, item_id: str) -> list[Measure]:
        """Every measure in the subtree of a strategy or policy, in plan order."""
        return [m for m in self.measures if any(a.id == item_id for a in self.ancestors(m.id))
                or m.id == item_id]

    @property
    def years(self) -> list[int]:
        """The plan's fiscal years, e.g. 2020 … 2024."""
        return list(range(self.period_start, self.period_end + 1))

    @property
    def policies(self) -> list[Policy]:
        return [p for s in self.strategies for p in s.policies]

    @property
    def measures(self) -> list[Measure]:
        return [m for s in self.strategies for m in s.measures]

    @property
    def kpis(self) -> list[Kpi]:
        return [k for m in self.measures for k in m.kpis]

    @property
    def goal_indicators(self) -> list[Kpi]:
        return [g for s in self.strategies for g in s.every_goal_indicator]

    def initiatives(self) -> Iterator[Initiative]:
        for m in self.measures:
            yield from m.initiatives

    def get(self, item_id: str) -> object | None:
        """The strategy, policy, measure, KPI, goal indicator or initiative with this id."""
        return self._index.get(item_id)

    def measure(self, measure_id: str) -> Measure:
        found = self._index.get(measure_id)
        if not isinstance(found, Measure):
            raise KeyError(measure_id)
        return found

    def kpi(self, kpi_id: str) -> Kpi:
        found = self._index.get(kpi_id)
        if not isinstance(found, Kpi):
            raise KeyError(kpi_id)
        return found

    def parents(self, measure_id: str) -> tuple[Strategy, Policy]:
        """The strategy and policy a measure belongs to."""
        for s in self.strategies:
            for p in s.policies:
                if any(m.id == measure_id for m in p.measures):
                    return s, p
        raise KeyError(measure_id)

    def goal_owner(self, goal: Kpi) -> str:
        """The department that fills a goal indicator (the planning division by default)."""
        return goal.department or PLANNING_DIVISION

    def departments(self) -> list[str]:
        """Every department the plan assigns work to, in plan order (measures first,
        then the owners of goal indicators)."""
        names = [m.department for m in self.measures if m.department]
        names += [self.goal_owner(g) for g in self.goal_indicators]
        return list(dict.fromkeys(names))

    def to_dict(self, *, assignment: bool = True) -> dict:
        """The plan as plain JSON-able data (the shape of `mine-report plan --json`).

        assignment=False leaves out who reports what (担当課), as the digest does."""
        def owner(item: Measure | Kpi) -> dict:
            return {"department": item.department} if assignment and item.department else {}

        def kpis(items: tuple[Kpi, ...]) -> list[dict]:
            return [{**kpi_to_dict(k), **owner(k)} for k in items]

        extra = ({"assignment_is_example": True}
                 if assignment and self.assignment_is_example else {})

        def measures(items: tuple[Measure, ...]) -> list[dict]:
            return [measure_to_dict(m, assignment=assignment) for m in items]

        def below(s: Strategy) -> dict:
            if not self.policy_level:
                return {"measures": measures(tuple(s.measures))}
            # each level's items under "policies", the deepest level's under "measures"
            def entry(p: Policy) -> dict:
                below_it = ({"policies": []} if p.depth < len(self.levels) - 2
                            else {"measures": measures(p.measures)})
                return {"id": p.id, "title": p.title, "description": p.description,
                        # only when set, so plans without them keep their exact JSON
                        **({"goal_indicators": kpis(p.goal_indicators)} if p.goal_indicators
                           else {}),
                        **below_it}
            return {"policies": nest(((p.depth, entry(p)) for p in s.policies), "policies")}

        return {
            "title": self.title,
            "municipality": self.municipality,
            **({"municipality_code": self.municipality_code} if self.municipality_code else {}),
            "issuer": self.issuer,
            "adopted": self.adopted,
            "period": {"start": self.period_start, "end": self.period_end},
            # only when not Mine's, so the shipped plan keeps its exact JSON and digest
            **({"levels": list(self.all_levels)} if self.all_levels != MINE_LEVELS else {}),
            **({"sheet_level": self.measure_level} if self.sub_levels else {}),
            "strategies": [
                {
                    "id": s.id,
                    "title": s.title,
                    "description": s.description,
                    "goal_indicators": kpis(s.goal_indicators),
                    **below(s),
                }
                for s in self.strategies
            ],
            **extra,
        }

    @cached_property
    def digest(self) -> str:
        """sha256 of the canonical JSON of the plan: recorded in templates to detect plan changes.

        Who reports what (担当課) is left out, so assigning or moving a measure does not
        turn workbooks already sent out into E113; so is the municipality code, which
        identifies the publisher of the open data and appears in no workbook. Cached: every
        workbook read compares against it, and it costs a full JSON dump."""
        data = self.to_dict(assignment=False)
        data.pop("municipality_code", None)
        return _digest(data)

    def sheet_digest(self, measure_id: str) -> str:
        """sha256 of what one measure sheet was made from: the plan's years and the measure
        with its KPIs and initiatives (not who reports it). Recorded per sheet, so a plan
        changed elsewhere (a title, another measure, a new indicator) still reads the
        workbooks already sent out; only a change to their own measures makes them E113."""
        return _digest({"years": [self.period_start, self.period_end],
                        "measure": measure_to_dict(self.measure(measure_id), assignment=False)})

    def goals_digest(self, goal_ids: Iterable[str]) -> str:
        """sheet_digest for the 目標指標 sheet holding these goal indicators."""
        return _digest({"years": [self.period_start, self.period_end],
                        "goals": [kpi_to_dict(self.kpi(g)) for g in goal_ids]})


def _digest(data: object) -> str:
    canonical = json.dumps(data, ensure_ascii=False, sort_keys=True,
                           separators=(",", ":"), default=json_number)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def measure_to_dict(m: Measure, *, assignment: bool = True) -> dict:
    """A measure as plain data (the shape of `plan --json`); assignment=False leaves out
    its 担当課, as the digests do."""
    def kpis(items: Iterable[Kpi]) -> list[dict]:
        return [{**kpi_to_dict(k), **({"department": k.department} if assignment and
                                      k.department else {})} for k in items]

    return {
        "id": m.id,
        "title": m.title,
        "description": m.description,
        **({"department": m.department} if assignment and m.department else {}),
        "kpis": kpis(m.own_kpis),
        # only when set, so plans whose sheet unit is the deepest level keep their JSON
        **({"items": _nest_items(m.items, kpis)} if m.items else {}),
        "initiatives": [{"id": i.id, "title": i.title, "schedule": i.schedule}
                        for i in m.initiatives],
    }


def _nest_items(items: tuple[SubItem, ...],
                kpis: Callable[[Iterable[Kpi]], list[dict]]) -> list[dict]:
    """A measure's depth-first sub-items back into their nesting ("items" only on those
    with items under them)."""
    parents = {a.id for a, b in zip(items, items[1:], strict=False) if b.depth > a.depth}
    return nest(((x.depth, {"id": x.id, "title": x.title, "description": x.description,
                            "kpis": kpis(x.kpis), **({"items": []} if x.id in parents else {})})
                 for x in items), "items")


def nest(pairs: Iterable[tuple[int, dict]], key: str) -> list[dict]:
    """Depth-first (depth, entry) pairs back into their nesting: each entry goes into the
    `key` list of the last entry one level up (depth 1: the top list). An entry without
    `key` holds nothing. Strategy.policies and Measure.items are both kept this way."""
    top: list[dict] = []
    open_lists: list[list[dict]] = [top]
    for depth, entry in pairs:
        del open_lists[depth:]
        open_lists[-1].append(entry)
        open_lists.append(entry.get(key, []))
    return top


def kpi_to_dict(k: Kpi) -> dict:
    return {
        "id": k.id,
        "name": k.name,
        "unit": k.unit,
        "baseline": None if k.baseline is None else json_number(k.baseline),
        "baseline_year": k.baseline_year,
        "target": json_number(k.target),
        "target_year": k.target_year,
        "direction": k.direction,
        "cumulative": k.cumulative,
        # only when set, so plans without them keep their exact JSON
        **({"grading": k.grading} if k.grading else {}),
        **({"revisions": [r.to_dict() for r in k.revisions]} if k.revisions else {}),
    }


# --- what departments submit ------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a value came from: file name, sheet and A1 cell."""

    file: str
    sheet: str
    cell: str

    def to_dict(self) -> dict:
        return {"file": self.file, "sheet": self.sheet, "cell": self.cell}


@dataclass(frozen=True)
class Actual:
    """One KPI's actual value (実績値) for one fiscal year as a department reported it.

    value is None when the cell was blank or marked not measured (未把握 …);
    not_measured says which, with the reason taken from 備考.
    """

    kpi_id: str
    year: int
    value: Decimal | None
    source: Source
    not_measured: bool = False
    reason: str = ""
    #: Marked 集計中: not measured *yet* (the figure is being compiled), to follow up.
    pending: bool = False


@dataclass(frozen=True)
class InitiativeReport:
    """The status (実施状況) and text (取組内容・実績) of one initiative."""

    initiative_id: str
    status: str
    text: str
    source: Source


@dataclass(frozen=True)
class MeasureReport:
    """Everything one workbook says about one measure."""

    measure_id: str
    sheet: str
    actuals: tuple[Actual, ...]
    initiatives: tuple[InitiativeReport, ...]
    achievements: str = ""  # 取組実績・成果
    issues: str = ""  # 課題
    outlook: str = ""  # 今後の方向性 (choice: 拡充 / 継続 / 見直し / 縮小 / 廃止)
    outlook_text: str = ""  # 今後の方向性 (free text)
    notes: tuple[tuple[str, str], ...] = ()  # (kpi_id, 備考)

    def actual(self, kpi_id: str, year: int) -> Actual | None:
        for a in self.actuals:
            if a.kpi_id == kpi_id and a.year == year:
                return a
        return None


@dataclass(frozen=True)
class Submission:
    """One returned workbook, read and normalised."""

    path: str
    sha256: str
    department: str
    person: str = ""
    phone: str = ""
    email: str = ""
    submitted_on: str = ""
    year: int | None = None  # the evaluation year recorded in the template
    sample: bool = False  # made from invented sample data
    measures: tuple[MeasureReport, ...] = ()
    goal_actuals: tuple[Actual, ...] = ()

    @property
    def name(self) -> str:
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file, located to the cell."""

    code: str
    severity: Severity
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    kpi: str = ""
    value: str = ""
    #: The other values the message was made from (placeholder name → text), so a
    #: program can use them without parsing the Japanese sentence.
    values: dict[str, str] = field(default_factory=dict, compare=False)
    #: The measure the problem concerns (its id; layout.GOALS_ID for the goal-indicator
    #: sheet; "" for the whole file), recorded where the problem is found, never inferred
    #: later from a sheet's name, which a department may have changed: a draft build
    #: leaves out exactly that part.
    measure_id: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "kpi": self.kpi,
            "value": self.value,
            "values": dict(self.values),
            "measure_id": self.measure_id,
            "message": self.message,
        }
