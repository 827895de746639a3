"""Load a plan file (TOML) into the domain model, reporting every problem at once."""

from __future__ import annotations

import json
import reprlib
from decimal import Decimal
from importlib import resources
from pathlib import Path

from mine_report.common.errors import FiscalYearError, PlanError
from mine_report.common.fileio import read_toml
from mine_report.common.fiscal import parse_date, parse_fiscal_year
from mine_report.common.keypath import KeyPathChecker
from mine_report.common.keypath import join as _join
from mine_report.plan.model import (
    DIRECTIONS,
    LEVEL_COUNTS,
    MINE_LEVELS,
    Initiative,
    Kpi,
    Measure,
    Plan,
    Policy,
    Revision,
    Strategy,
    SubItem,
    json_number,
)

DEFAULT_PLAN = "mine-2nd-period.toml"

_KPI_KEYS = {"id", "name", "unit", "baseline", "baseline_year", "target", "target_year",
             "direction", "cumulative", "grading", "revisions"}
_REVISION_KEYS = {"date", "from_year", "reason", "target", "target_year", "baseline",
                  "baseline_year"}


def default_plan_path() -> Path:
    """The plan shipped with the package (Mine City's second-period strategy)."""
    return Path(str(resources.files("mine_report") / "data" / DEFAULT_PLAN))


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and check a plan file (TOML, or the JSON of `plan --json` when its name ends
    in .json); raise PlanError listing every problem found."""
    path = Path(path) if path is not None else default_plan_path()
    if path.suffix.lower() == ".json":
        data = read_toml(path, PlanError, unreadable="P001", syntax="P003", parse=_parse_json)
    else:
        data = read_toml(path, PlanError, unreadable="P001", syntax="P002")
    return plan_from_dict(data, source=str(path))


def _parse_json(source: str) -> object:
    return json.loads(source, parse_float=Decimal, parse_constant=_no_constant)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} は使えません")


def plan_from_json(raw: str, source: str = "<json>") -> Plan:
    """Read a plan from `mine-report plan --json` output."""
    return plan_from_dict(_parse_json(raw), source=source)


def plan_to_json(plan: Plan) -> str:
    return json.dumps(plan.to_dict(), ensure_ascii=False, indent=2, default=json_number) + "\n"


def plan_from_dict(data: dict, source: str = "<plan>") -> Plan:
    """Build a Plan from parsed data; raise PlanError with every problem found."""
    checker = _Checker()
    plan = checker.plan(data)
    if checker.problems:
        raise PlanError(source, checker.problems)
    return plan


#: A wrong value is quoted in the message up to this many characters.
SHOWN_LENGTH = 60


def _shown(value: object) -> object:
    """A value as quoted in a problem: a long one (a table pasted where a name belongs)
    cut short, so one mistake cannot fill the screen."""
    if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
        value = str(value)
        return value if len(value) <= SHOWN_LENGTH else value[:SHOWN_LENGTH] + "…"
    return reprlib.repr(value)


def _five_digits(code: str) -> bool:
    return len(code) >= 5 and code[:5].isascii() and code[:5].isdigit()


def municipality_check_digit(first_five: str) -> str:
    """The check digit of a 全国地方公共団体コード (総務省): weight the five digits 6, 5, 4, 3, 2,
    take the sum modulo 11, and the last digit of 11 minus it (35213 → 6: Mine City 352136)."""
    remainder = sum(int(c) * w for c, w in zip(first_five, (6, 5, 4, 3, 2), strict=True)) % 11
    return str((11 - remainder) % 10)


def is_municipality_code(code: str) -> bool:
    """Six ASCII digits ending in the right check digit."""
    return (len(code) == 6 and code.isascii() and code.isdigit()
            and municipality_check_digit(code[:5]) == code[5])


class _Checker(KeyPathChecker):
    """Walks the raw data, builds the model and collects problems with their key paths."""

    unknown_code = "P108"

    def __init__(self) -> None:
        super().__init__()
        self.seen: dict[str, str] = {}
        self.levels: tuple[str, ...] = MINE_LEVELS
        self.sub_levels: tuple[str, ...] = ()
        self.sheet_level_wrong = False

    def quote(self, value: object) -> object:
        return _shown(value)

    # -- leaves --
    def string(self, d: dict, key: str, path: str, required: bool = True) -> str:
        value = d.get(key)
        if value is None:
            if required:
                self.add("P101", _join(path, key))
            return ""
        if not isinstance(value, str):
            self.add("P102", _join(path, key), value=value)
            return ""
        value = value.strip()
        if required and not value:
            self.add("P109", _join(path, key))
        return value

    def number(self, d: dict, key: str, path: str, required: bool = True) -> Decimal | None:
        value = d.get(key)
        if value is None:
            if required:
                self.add("P101", _join(path, key))
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.add("P103", _join(path, key), value=value)
            return None
        return Decimal(value)

    def year(self, d: dict, key: str, path: str) -> int | None:
        value = d.get(key)
        if value is None:
            self.add("P101", _join(path, key))
            return None
        try:
            return parse_fiscal_year(value)
        except FiscalYearError as exc:
            self.add("P104", _join(path, key), value=value, reason=exc)
            return None

    def items(self, d: dict, key: str, path: str, required: bool = True) -> list[dict]:
        value = d.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add("P111", _join(path, key))
            return []
        if required and not value:
            self.add("P114", _join(path, key))
        return value

    def ident(self, d: dict, path: str, parent: str | None) -> str:
        value = self.string(d, "id", path)
        if not value:
            return value
        if value in self.seen:
            self.add("P106", _join(path, "id"), value=value, first=self.seen[value])
        else:
            self.seen[value] = _join(path, "id")
        if parent is not None and not value.startswith(parent):
            self.add("P110", _join(path, "id"), value=value, parent=parent)
        return value

    def municipality_code(self, d: dict) -> str:
        """The optional 全国地方公共団体コード: six digits whose last is the check digit."""
        value = d.get("municipality_code")
        if value is None:
            return ""
        code = str(value).strip()
        if not isinstance(value, str) or not is_municipality_code(code):
            hint = (f"。先頭5桁が正しければ {code[:5]}{municipality_check_digit(code[:5])}"
                    if _five_digits(code) else "")
            self.add("P115", "municipality_code", value=value, hint=hint)
            return ""
        return code

    # -- levels --
    def plan(self, d: dict) -> Plan:
        self.unknown(d, {"title", "municipality", "municipality_code", "issuer", "adopted",
                         "period", "levels", "sheet_level", "strategies",
                         "assignment_is_example"}, "")
        self.levels, self.sub_levels = self.sheet_split(self.level_names(d), d)
        example = d.get("assignment_is_example", False)
        if not isinstance(example, bool):
            self.add("P112", "assignment_is_example", value=example)
            example = False
        period = d.get("period")
        start = end = 0
        if not isinstance(period, dict):
            self.add("P101", "period")
        else:
            start = self.year(period, "start", "period") or 0
            end = self.year(period, "end", "period") or 0
            if start and end and end < start:
                self.add("P113", "period", start=start, end=end)
        # with no sheet level to cut at, every item below would be reported as misplaced:
        # the one P118 says it all
        strategies = () if self.sheet_level_wrong else tuple(
            self.strategy(s, f"strategies[{i}]")
            for i, s in enumerate(self.items(d, "strategies", "")))
        return Plan(
            title=self.string(d, "title", ""),
            municipality=self.string(d, "municipality", ""),
            municipality_code=self.municipality_code(d),
            issuer=self.string(d, "issuer", "", required=False),
            adopted=self.string(d, "adopted", "", required=False),
            period_start=start,
            period_end=end,
            strategies=strategies,
            assignment_is_example=example,
            levels=self.levels,
            sub_levels=self.sub_levels,
        )

    def level_names(self, d: dict) -> tuple[str, ...]:
        """The plan's level names, top first, the last being the sheet unit: two to five
        distinct non-blank names; Mine's when the plan does not say."""
        value = d.get("levels")
        if value is None:
            return MINE_LEVELS
        items = value if isinstance(value, list) else []
        names = tuple(v.strip() for v in items if isinstance(v, str))
        if (not items or len(names) != len(items) or len(names) not in LEVEL_COUNTS or not all(names)
                or len(set(names)) != len(names)):
            self.add("P116", "levels", value=value)
            return MINE_LEVELS
        return names

    def sheet_split(self, names: tuple[str, ...], d: dict) -> tuple[tuple[str, ...],
                                                                     tuple[str, ...]]:
        """The levels down to the sheet unit, and those below it: `sheet_level` names the
        level a workbook sheet reports (the deepest when the plan does not say); it may not
        be the top level, which has no sheet of its own."""
        value = d.get("sheet_level")
        if value is None:
            return names, ()
        name = value.strip() if isinstance(value, str) else value
        if name not in names[1:]:
            self.add("P118", "sheet_level", value=value, levels="・".join(names[1:]))
            self.sheet_level_wrong = True
            return names, ()
        cut = names.index(name) + 1
        return names[:cut], names[cut:]

    def strategy(self, d: dict, path: str) -> Strategy:
        below = "policies" if len(self.levels) > 2 else "measures"
        self.unknown(d, {"id", "title", "description", "goal_indicators", below}, path)
        sid = self.ident(d, path, None)
        goals = tuple(self.kpi(g, f"{path}.goal_indicators[{i}]", f"G{sid}-", owned=True)
                      for i, g in enumerate(self.items(d, "goal_indicators", path, required=False)))
        title = self.string(d, "title", path)
        if below == "policies":
            policies = tuple(q for i, p in enumerate(self.items(d, "policies", path))
                             for q in self.policy(p, f"{path}.policies[{i}]", f"{sid}-", 1))
        else:  # no middle level: the measures hang on the top level itself
            measures = tuple(self.measure(m, f"{path}.measures[{i}]", f"{sid}-")
                             for i, m in enumerate(self.items(d, "measures", path)))
            policies = (Policy(sid, title, "", measures, implicit=True),)
        return Strategy(sid, title, self.string(d, "description", path, required=False),
                        goals, policies)

    def policy(self, d: dict, path: str, parent: str, depth: int) -> list[Policy]:
        """An item of a middle level and, depth-first, the items under it: the deepest
        middle level holds `measures`, the others `policies` of the next level."""
        below = "measures" if depth == len(self.levels) - 2 else "policies"
        self.unknown(d, {"id", "title", "description", "goal_indicators", below}, path)
        pid = self.ident(d, path, parent)
        goals = tuple(self.kpi(g, f"{path}.goal_indicators[{i}]", f"G{pid}-", owned=True)
                      for i, g in enumerate(self.items(d, "goal_indicators", path, required=False)))
        title = self.string(d, "title", path)
        description = self.string(d, "description", path, required=False)
        if below == "policies":
            children = [q for i, c in enumerate(self.items(d, "policies", path))
                        for q in self.policy(c, f"{path}.policies[{i}]", f"{pid}-", depth + 1)]
            return [Policy(pid, title, description, (), goal_indicators=goals, depth=depth),
                    *children]
        measures = tuple(self.measure(m, f"{path}.measures[{i}]", f"{pid}-")
                         for i, m in enumerate(self.items(d, "measures", path)))
        return [Policy(pid, title, description, measures, goal_indicators=goals, depth=depth)]

    def measure(self, d: dict, path: str, parent: str) -> Measure:
        below = {"items"} if self.sub_levels else set()
        self.unknown(d, {"id", "title", "description", "department", "kpis", "initiatives",
                         *below}, path)
        mid = self.ident(d, path, parent)
        kpis = tuple(self.kpi(k, f"{path}.kpis[{i}]", f"{mid}-")
                     for i, k in enumerate(self.items(d, "kpis", path, required=False)))
        items = tuple(q for i, x in enumerate(self.items(d, "items", path, required=False))
                      for q in self.sub_item(x, f"{path}.items[{i}]", f"{mid}-", 1)) if below else ()
        initiatives = tuple(self.initiative(x, f"{path}.initiatives[{i}]", f"{mid}-")
                            for i, x in enumerate(self.items(d, "initiatives", path, required=False)))
        return Measure(mid, self.string(d, "title", path),
                       self.string(d, "description", path, required=False),
                       kpis + tuple(k for x in items for k in x.kpis), initiatives,
                       department=self.string(d, "department", path, required=False),
                       items=items)

    def sub_item(self, d: dict, path: str, parent: str, depth: int) -> list[SubItem]:
        """An item of a level below the sheet unit and, depth-first, the items under it."""
        deeper = depth < len(self.sub_levels)
        self.unknown(d, {"id", "title", "description", "kpis", *({"items"} if deeper else ())},
                     path)
        xid = self.ident(d, path, parent)
        kpis = tuple(self.kpi(k, f"{path}.kpis[{i}]", f"{xid}-")
                     for i, k in enumerate(self.items(d, "kpis", path, required=False)))
        children = [q for i, c in enumerate(self.items(d, "items", path, required=False))
                    for q in self.sub_item(c, f"{path}.items[{i}]", f"{xid}-", depth + 1)
                    ] if deeper else []
        return [SubItem(xid, self.string(d, "title", path),
                        self.string(d, "description", path, required=False), kpis, depth),
                *children]

    def initiative(self, d: dict, path: str, parent: str) -> Initiative:
        self.unknown(d, {"id", "title", "schedule"}, path)
        return Initiative(self.ident(d, path, parent), self.string(d, "title", path),
                          self.string(d, "schedule", path, required=False))

    def kpi(self, d: dict, path: str, parent: str, owned: bool = False) -> Kpi:
        """A KPI, or with owned=True a goal indicator (which may name its department)."""
        self.unknown(d, _KPI_KEYS | ({"department"} if owned else set()), path)
        kid = self.ident(d, path, parent)
        direction = d.get("direction")
        if direction is None:
            self.add("P101", f"{path}.direction")
        elif direction not in DIRECTIONS:
            self.add("P105", f"{path}.direction", value=direction)
        cumulative = d.get("cumulative", False)
        if not isinstance(cumulative, bool):
            self.add("P112", f"{path}.cumulative", value=cumulative)
            cumulative = False
        baseline_year = self.year(d, "baseline_year", path)
        target_year = self.year(d, "target_year", path)
        if baseline_year and target_year and target_year < baseline_year:
            self.add("P107", f"{path}.target_year",
                     target_year=target_year, baseline_year=baseline_year)
        return Kpi(
            id=kid,
            name=self.string(d, "name", path),
            unit=self.string(d, "unit", path),
            baseline=self.number(d, "baseline", path, required=False),
            baseline_year=baseline_year or 0,
            target=self.number(d, "target", path) or Decimal(0),
            target_year=target_year or 0,
            direction=direction if direction in DIRECTIONS else "increase",
            cumulative=cumulative,
            department=self.string(d, "department", path, required=False) if owned else "",
            grading=self.string(d, "grading", path, required=False) or "",
            revisions=tuple(self.revision(r, f"{path}.revisions[{i}]") for i, r in
                            enumerate(self.items(d, "revisions", path, required=False))),
        )

    def revision(self, d: dict, path: str) -> Revision:
        """A revision of a KPI's plan values: when (date), from which evaluated year, why,
        and at least one new value."""
        self.unknown(d, _REVISION_KEYS, path)
        date = d.get("date")
        from_year = 0
        if date is None:
            self.add("P101", f"{path}.date")
        else:
            try:
                day = parse_date(date.isoformat() if hasattr(date, "isoformat") else date)
                from_year = day.year if day.month >= 4 else day.year - 1
            except FiscalYearError as exc:
                self.add("P104", f"{path}.date", value=date, reason=exc)
        if "from_year" in d:
            from_year = self.year(d, "from_year", path) or from_year
        values = {k: self.number(d, k, path, required=False) for k in ("target", "baseline")}
        years = {k: self.year(d, k, path) if k in d else None
                 for k in ("target_year", "baseline_year")}
        if all(v is None for v in (*values.values(), *years.values())):
            self.add("P117", path)
        return Revision(date=str(date if not hasattr(date, "isoformat") else date.isoformat()),
                        from_year=from_year, reason=self.string(d, "reason", path),
                        **values, **years)
