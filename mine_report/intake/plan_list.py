"""Turn a city's KPI list (an .xlsx or .csv table) into a plan file a person then edits.

Cities hold their strategy as a table: one row per indicator, the hierarchy in the columns
left of 指標名 (one column per level, headed by the level's name, blank cells repeating the
row above as with merged cells). `import_list` reads such a table, checks every row and
reports every problem with its row and column at once (ListError); only a list that is
valid as a whole becomes a plan (plan_from_dict checks it once more) and TOML text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl.utils.cell import get_column_letter

from mine_report.common.errors import (
    DataProblem,
    FiscalYearError,
    PlanError,
    ProblemsError,
    UsageError,
)
from mine_report.common.fileio import atomic_path
from mine_report.common.fiscal import parse_fiscal_year
from mine_report.common.messages import text
from mine_report.common.numbers import written_text
from mine_report.intake.files import load_bytes
from mine_report.intake.values import normalised_number, to_decimal
from mine_report.intake.xlsxread import Refused, open_workbook
from mine_report.plan.load import plan_from_dict
from mine_report.plan.model import DIRECTION_LABELS, LEVEL_COUNTS, Plan

REQUIRED = ("指標名", "単位", "基準値", "目標値")
OPTIONAL = ("番号", "基準年度", "目標年度", "方向", "累計", "区分", "担当課")
DIRECTIONS_BY_LABEL = {label: key for key, label in DIRECTION_LABELS.items()}
NO_BASELINE = frozenset({"", "―", "—", "-", "－", "ー", "‐", "–"})
CUMULATIVE_MARKS = frozenset({"○", "〇", "◯", "●"})
KINDS = {"": "kpi", "KPI": "kpi", "数値目標": "goal", "目標指標": "goal"}

_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ①…⑳
# \d and \s match full-width digits and spaces too: 「（１）」「１　」 are numbers as well
_LED_NUMBER = re.compile(r"^(?:[(（](?P<p>\d+)[)）]|(?P<n>\d+)(?:[\s.．、:：)）]|$))\s*(?P<rest>.*)$",
                         re.DOTALL)


class ListError(ProblemsError):
    """The KPI list has problems (each located by row and column)."""

    what = "指標の一覧"


@dataclass
class _Item:
    """One item of a hierarchy level as the list names it."""

    number: int | None
    title: str
    row: int
    id: str = ""
    department: str = ""
    children: dict[str, _Item] = field(default_factory=dict)
    kpis: list[dict] = field(default_factory=list)
    goals: list[dict] = field(default_factory=list)


def split_number(title: str, level_name: str = "") -> tuple[int | None, str]:
    """The number leading an item's title and the title without it: 「1 競争力のある…」,
    「(1)第一次産業の振興」, 「①…」, 「基本目標1 …」 → (1, the rest); (None, title) if none."""
    s = title.strip()
    if s[:1] in _CIRCLED:
        return _CIRCLED[s[0]], s[1:].strip()
    if level_name and s.startswith(level_name):
        s = s[len(level_name):].lstrip()
    m = _LED_NUMBER.match(s)
    if m and m["rest"].strip():
        return int(m["p"] or m["n"]), m["rest"].strip()
    return None, title.strip()


def read_rows(path: Path) -> list[list[object]]:
    """The table's rows (first row the headers), from .xlsx (its first sheet) or .csv
    (UTF-8 with or without BOM, else Shift_JIS/cp932 as Japanese Excel saves it)."""
    try:
        data = load_bytes(path)
    except Refused as refused:
        raise ListError(str(path), [DataProblem(refused.code, str(path),
                                                text(refused.code, **refused.values))]) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "cp932"):
            try:
                decoded = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise _one(path, "L002")
        return [list(row) for row in csv.reader(io.StringIO(decoded, newline=""))]
    if suffix in (".xlsx", ".xlsm"):
        try:
            package = open_workbook(data)
            sheet = package.read_sheet(package.sheet_names[0])
        except Refused as refused:
            raise ListError(str(path), [DataProblem(refused.code, str(path),
                                                    text(refused.code, **refused.values))]) from None
        except Exception:  # an odd workbook is a problem to report, not a crash
            raise _one(path, "L003") from None
        if not sheet.cells:
            return []
        last_row = max(r for r, _ in sheet.cells)
        last_col = max(c for _, c in sheet.cells)
        return [[sheet.at(r, c) for c in range(1, last_col + 1)] for r in range(1, last_row + 1)]
    raise _one(path, "L001", suffix=path.suffix or "（なし）")


def _one(path: Path, code: str, **values: object) -> ListError:
    return ListError(str(path), [DataProblem(code, str(path), text(code, **values))])


def _cell_text(value: object) -> str:
    """A cell as text, as written (titles and names keep their full-width letters)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _code_text(value: object) -> str:
    """A cell that holds one of a few words (区分, 方向, 累計): full-width forgiven."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _cell_text(value)))


def _header(value: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", _cell_text(value)))


class _ListReader:
    """Walks the rows, collecting problems located as 「3行目 D列（基準値）」."""

    def __init__(self, rows: list[list[object]], period: tuple[int, int] | None):
        # leading lines starting with # are notes on the list (its source, who wrote it):
        # the header row follows them, and rows keep their numbers in the file
        self.skip = next((i for i, r in enumerate(rows)
                          if not (r and _cell_text(r[0]).startswith("#"))), len(rows))
        self.header_row = self.skip + 1
        self.rows = rows
        self.period = period
        self.problems: list[DataProblem] = []
        self.columns: dict[str, int] = {}
        self.levels: list[tuple[str, int]] = []
        self.top: dict[str, _Item] = {}
        self.ids: dict[str, int] = {}

    def add(self, code: str, row: int, col: int | None = None, **values: object) -> None:
        if col is None:
            where = f"{row}行目"
        else:
            head = self.rows[self.skip]
            header = _cell_text(head[col]) if col < len(head) else ""
            where = f"{row}行目 {get_column_letter(col + 1)}列（{header}）"
        self.problems.append(DataProblem(code, where, text(code, **values)))

    def cell(self, row: list[object], name: str) -> object:
        col = self.columns.get(name)
        return row[col] if col is not None and col < len(row) else None

    # --- the header row ----------------------------------------------------------------

    def read_header(self) -> bool:
        if self.skip >= len(self.rows):
            self.add("L004", self.header_row)
            return False
        headers = [_header(h) for h in self.rows[self.skip]]
        for name in (*REQUIRED, *OPTIONAL):
            if name in headers:
                self.columns[name] = headers.index(name)
        missing = [name for name in REQUIRED if name not in self.columns]
        if missing:
            self.add("L005", self.header_row, names="・".join(missing))
            return False
        known = set(self.columns.values())
        self.levels = [(h, c) for c, h in enumerate(headers[:self.columns["指標名"]])
                       if c not in known and h]
        if len(self.levels) not in LEVEL_COUNTS:  # as many as a plan may have
            self.add("L006", self.header_row, count=len(self.levels),
                     names="・".join(h for h, _ in self.levels) or "なし")
            return False
        return True

    # --- the data rows -----------------------------------------------------------------

    def read(self) -> None:
        if not self.read_header():
            return
        current: list[str] = [""] * len(self.levels)
        for index, row in enumerate(self.rows[self.header_row:], start=self.header_row + 1):
            if all(_cell_text(v) == "" for v in row):
                continue
            # a blank level cell repeats the row above, until a higher level changes
            changed = False
            for depth, (_, col) in enumerate(self.levels):
                value = _cell_text(row[col]) if col < len(row) else ""
                if value:
                    changed = changed or value != current[depth]
                    current[depth] = value
                elif changed:
                    current[depth] = ""
            kind_text = _code_text(self.cell(row, "区分"))
            kind = KINDS.get(kind_text.upper() if kind_text.isascii() else kind_text)
            if kind is None:
                self.add("L010", index, self.columns["区分"], value=kind_text)
                continue
            filled = [d for d, v in enumerate(current) if v]
            deepest = filled[-1] if filled else -1
            if deepest < 0:
                self.add("L007", index, self.levels[0][1], level=self.levels[0][0])
                continue
            if kind == "goal" and deepest == len(self.levels) - 1:
                self.add("L008", index, self.levels[deepest][1], level=self.levels[deepest][0])
                continue
            if kind == "kpi" and deepest != len(self.levels) - 1:
                missing = len(filled)
                self.add("L007", index, self.levels[missing][1], level=self.levels[missing][0])
                continue
            item = self.item_path(current[:deepest + 1], index)
            indicator = self.indicator(row, index, item, kind)
            if indicator is not None:
                (item.goals if kind == "goal" else item.kpis).append(indicator)

    def item_path(self, titles: list[str], row: int) -> _Item:
        """The item for these level titles, top down, made on first sight."""
        siblings = self.top
        item = None
        for depth, title in enumerate(titles):
            number, rest = split_number(title, self.levels[depth][0])
            item = siblings.get(rest)
            if item is None:
                item = siblings[rest] = _Item(number, rest, row)
            siblings = item.children
        return item

    def number(self, row: list[object], index: int, name: str, unit: str,
               required: bool) -> tuple[Decimal | None, bool]:
        """(value, ok) of a number cell; a blank or ― baseline is no value."""
        raw = self.cell(row, name)
        col = self.columns[name]
        if isinstance(raw, bool):
            self.add("L011", index, col, value=raw)
            return None, False
        if isinstance(raw, int | float):
            return to_decimal(raw), True
        s = _cell_text(raw)
        if s in NO_BASELINE and not required:
            return None, True
        if not s:
            self.add("L012", index, col, what=name)
            return None, False
        value = normalised_number(s, unit)
        if value is None:
            self.add("L011", index, col, value=s)
            return None, False
        return value, True

    def year(self, row: list[object], index: int, name: str) -> int | None:
        raw = self.cell(row, name)
        if _cell_text(raw) == "":
            return None
        try:
            return parse_fiscal_year(int(raw) if isinstance(raw, float) and raw.is_integer() else raw)
        except FiscalYearError as exc:
            self.add("L013", index, self.columns[name], reason=exc.message)
            return 0

    def indicator(self, row: list[object], index: int, item: _Item, kind: str) -> dict | None:
        before = len(self.problems)
        name = _cell_text(self.cell(row, "指標名"))
        if not name:
            self.add("L012", index, self.columns["指標名"], what="指標名")
        unit = _cell_text(self.cell(row, "単位"))
        if not unit:
            self.add("L014", index, self.columns["単位"])
        baseline, _ = self.number(row, index, "基準値", unit, required=False)
        target, _ = self.number(row, index, "目標値", unit, required=True)
        baseline_year = self.year(row, index, "基準年度") if "基準年度" in self.columns else None
        target_year = self.year(row, index, "目標年度") if "目標年度" in self.columns else None
        direction_text = _code_text(self.cell(row, "方向"))
        direction = DIRECTIONS_BY_LABEL.get(direction_text)
        if direction_text and direction is None:
            self.add("L015", index, self.columns["方向"], value=direction_text)
        cumulative_text = _code_text(self.cell(row, "累計"))
        if cumulative_text and cumulative_text not in CUMULATIVE_MARKS:
            self.add("L016", index, self.columns["累計"], value=cumulative_text)
        department = _cell_text(self.cell(row, "担当課"))
        if kind == "kpi" and department:
            if item.department and item.department != department:
                self.add("L017", index, self.columns["担当課"], value=department,
                         first=item.department)
            item.department = item.department or department
        if len(self.problems) > before:
            return None
        if direction is None:  # as the numbers say; the person checks it in the TOML
            direction = ("increase" if baseline is None or target > baseline
                         else "decrease" if target < baseline else "maintain")
        return {
            "row": index, "number": _cell_text(self.cell(row, "番号")), "name": name,
            "unit": unit, "baseline": baseline, "baseline_year": baseline_year,
            "target": target, "target_year": target_year, "direction": direction,
            "cumulative": bool(cumulative_text),
            **({"department": department} if kind == "goal" and department else {}),
        }

    # --- ids and the plan ----------------------------------------------------------------

    def assign_ids(self) -> None:
        """Ids from the numbers leading the titles, else from the order; KPI ids from 番号
        when given (it must extend its measure's id), else from the order."""
        def walk(items: dict[str, _Item], prefix: str, depth: int) -> None:
            used: dict[int, _Item] = {}
            for order, item in enumerate(items.values(), start=1):
                n = item.number if item.number is not None else order
                if n in used:
                    self.add("L018", item.row, self.levels[depth][1], number=n,
                             first=used[n].title)
                used[n] = item
                item.id = f"{prefix}{n}"
                for k, goal in enumerate(item.goals, start=1):
                    goal["id"] = self.own_id(goal, f"G{item.id}-", k)
                for k, kpi in enumerate(item.kpis, start=1):
                    kpi["id"] = self.own_id(kpi, f"{item.id}-", k)
                walk(item.children, f"{item.id}-", depth + 1)
        walk(self.top, "", 0)

    def own_id(self, indicator: dict, prefix: str, order: int) -> str:
        number = unicodedata.normalize("NFKC", indicator["number"]).replace(" ", "")
        ident = number or f"{prefix}{order}"
        col = self.columns.get("番号")
        if number and not number.startswith(prefix):
            self.add("L019", indicator["row"], col, value=number, prefix=prefix)
        elif ident in self.ids:
            self.add("L020", indicator["row"], col, value=ident, first=self.ids[ident])
        else:
            self.ids[ident] = indicator["row"]
        return ident

    def plan_period(self, kpis: list[dict]) -> tuple[int, int] | None:
        if self.period:
            return self.period
        baselines = [k["baseline_year"] for k in kpis if k["baseline_year"]]
        targets = [k["target_year"] for k in kpis if k["target_year"]]
        if baselines and targets:
            return min(baselines) + 1, max(targets)
        self.add("L021", self.header_row)
        return None


def import_list(path: str | Path, *, title: str = "", municipality: str = "",
                period: tuple[int, int] | None = None) -> tuple[Plan, str]:
    """Read a KPI list; return the plan and its TOML text. Raise ListError with every
    problem (row and column) when the list is not valid as a whole."""
    path = Path(path)
    reader = _ListReader(read_rows(path), period)
    reader.read()
    if not reader.problems:
        reader.assign_ids()
    indicators = _indicators(reader.top)
    span = reader.plan_period(indicators) if not reader.problems else None
    if reader.problems or span is None:
        raise ListError(str(path), reader.problems)
    start, end = span
    for k in indicators:
        k["baseline_year"] = k["baseline_year"] or start - 1
        k["target_year"] = k["target_year"] or end
    located = _plan_data(reader, title or path.stem, municipality, start, end)
    data = _without_rows(located)
    try:
        plan = plan_from_dict(data, source=str(path))
    except PlanError as exc:  # what only the whole plan shows (a target year before its baseline …)
        raise ListError(str(path), _located(exc.problems, located)) from None
    return plan, plan_toml(data, source=path.name)


def _indicators(top: dict[str, _Item]) -> list[dict]:
    found: list[dict] = []

    def walk(items: dict[str, _Item]) -> None:
        for item in items.values():
            found.extend(item.goals)
            found.extend(item.kpis)
            walk(item.children)
    walk(top)
    return found


_KPI_FIELDS = ("id", "name", "unit", "baseline", "baseline_year", "target", "target_year",
               "direction", "cumulative", "department")


def _kpi_data(k: dict) -> dict:
    return {**{key: k[key] for key in _KPI_FIELDS if key in k and k[key] is not None},
            "_row": k["row"]}


def _without_rows(value: object) -> object:
    """The plan data without the list rows kept for locating problems."""
    if isinstance(value, dict):
        return {k: _without_rows(v) for k, v in value.items() if k != "_row"}
    if isinstance(value, list):
        return [_without_rows(v) for v in value]
    return value


def _plan_data(reader: _ListReader, title: str, municipality: str, start: int, end: int) -> dict:
    def measure(m: _Item) -> dict:
        return {"id": m.id, "title": m.title, **({"department": m.department} if m.department
                                                   else {}),
                "kpis": [_kpi_data(k) for k in m.kpis], "_row": m.row}

    def middle(p: _Item, depth: int) -> dict:
        """An item of a middle level: `policies` of the next level, or at the deepest
        middle level its `measures`."""
        entry: dict = {"id": p.id, "title": p.title, "_row": p.row,
                       **({"goal_indicators": [_kpi_data(g) for g in p.goals]} if p.goals
                          else {})}
        if depth == len(reader.levels) - 2:
            entry["measures"] = [measure(m) for m in p.children.values()]
        else:
            entry["policies"] = [middle(c, depth + 1) for c in p.children.values()]
        return entry

    strategies = []
    for s in reader.top.values():
        entry: dict = {"id": s.id, "title": s.title,
                       "goal_indicators": [_kpi_data(g) for g in s.goals], "_row": s.row}
        if len(reader.levels) > 2:
            entry["policies"] = [middle(p, 1) for p in s.children.values()]
        else:
            entry["measures"] = [measure(m) for m in s.children.values()]
        strategies.append(entry)
    return {
        "title": title,
        "municipality": municipality or text("L030"),
        "period": {"start": start, "end": end},
        "levels": [name for name, _ in reader.levels],
        "strategies": strategies,
    }


def _located(problems: list[DataProblem], data: dict) -> list[DataProblem]:
    """Plan problems (located by key path) located by the list's row instead."""
    located = []
    for p in problems:
        node: object = data
        row = 0
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", p.path):
            if isinstance(node, dict):
                node = node.get(part)
            elif isinstance(node, list) and part.startswith("["):
                node = node[int(part[1:-1])]
            if isinstance(node, dict):
                row = node.get("_row", row)
        located.append(DataProblem(p.code, f"{row}行目" if row else p.path, p.message))
    return located


def parse_period(value: str) -> tuple[int, int]:
    """「2025-2029」「R7-R11」「令和7年度〜令和11年度」 → (2025, 2029); UsageError (L032)
    for anything else."""
    parts = [p for p in re.split(r"\s*(?:-|〜|～|~|–|から)\s*", value.strip()) if p]
    try:
        start, end = (parse_fiscal_year(p) for p in parts) if len(parts) == 2 else (0, 0)
    except FiscalYearError:
        start = end = 0
    if not start or end < start:
        raise UsageError.of("L032", value=value)
    return start, end


def import_to_file(list_path: str | Path, output: str | Path, *, title: str = "",
                   municipality: str = "", period_text: str | None = None) -> str:
    """`plan import`: write the plan TOML (atomically, only when the whole list is valid);
    return the line that says what was written."""
    period = parse_period(period_text) if period_text else None
    plan, toml_text = import_list(list_path, title=title, municipality=municipality,
                                  period=period)
    with atomic_path(output) as tmp:
        tmp.write_text(toml_text, encoding="utf-8")
    return text("L031", path=output, levels=" → ".join(plan.levels), measures=len(plan.measures),
                kpis=len(plan.kpis), goals=len(plan.goal_indicators))


# --- writing the TOML ------------------------------------------------------------------


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return written_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _table(out: list[str], header: str, values: dict, keys: tuple[str, ...]) -> None:
    out.append(f"[[{header}]]")
    for key in keys:
        if key in values and values[key] is not None:
            out.append(f"{key} = {_toml_value(values[key])}")
    out.append("")


def plan_toml(data: dict, source: str = "") -> str:
    """The plan as TOML a person edits: a comment on how, the plan's fields in a stable
    order, one table per item in the list's order. load_plan reads it back to the plan."""
    levels = data["levels"]
    top, unit = levels[0], levels[-1]
    # one table name per level: strategies, strategies.policies, strategies.policies.policies …
    keys = ["strategies", *("strategies" + ".policies" * d for d in range(1, len(levels) - 1))]
    measures_key = keys[-1] + ".measures"
    out = [
        f"# {data['title']}",
        f"# mine-report plan import で {source} から作成した計画データです。",
        "#",
        "# 編集のしかた",
        f"# - levels は階層の名前（上から）。最後の {unit} が様式のシート 1 枚の単位です。",
        "# - " + " → ".join(f"{name} [[{key}]]" for name, key in zip(levels[:-1], keys, strict=True))
        + f" → {unit} [[{measures_key}]] → KPI [[{measures_key}.kpis]]。",
        "#   数値目標は " + "・".join(f"[[{key}.goal_indicators]]" for key in keys) + "。",
        "# - id は様式・報告書と結び付くので、様式を配った後は変えないこと。",
        "# - 基準値がない指標は baseline を書かない。年度は西暦の年度（令和7年度 = 2025）。",
        "# - direction: increase = 増やす、decrease = 減らす、maintain = 維持する目標。",
        "#   一覧に方向がなかった指標は基準値と目標値から推定しています。確かめてください。",
        "# - department: その施策を報告する担当課。",
        "",
        f"title = {_toml_value(data['title'])}",
        f"municipality = {_toml_value(data['municipality'])}",
        f"levels = {_toml_value(levels)}",
        "",
        "[period]",
        f"start = {data['period']['start']}",
        f"end = {data['period']['end']}",
        "",
    ]
    kpi_keys = ("id", "name", "unit", "baseline", "baseline_year", "target", "target_year",
                "direction", "cumulative")

    def measures(items: list[dict]) -> None:
        for m in items:
            _table(out, measures_key, m, ("id", "title", "department"))
            for k in m["kpis"]:
                _table(out, f"{measures_key}.kpis", k, kpi_keys)

    def middle(items: list[dict], depth: int) -> None:
        for p in items:
            out.append(f"# {'-' * (6 - depth)} {levels[depth]}{p['id']} {'-' * (6 - depth)}")
            _table(out, keys[depth], p, ("id", "title"))
            for g in p.get("goal_indicators", ()):
                _table(out, f"{keys[depth]}.goal_indicators", g, (*kpi_keys, "department"))
            if "measures" in p:
                measures(p["measures"])
            else:
                middle(p["policies"], depth + 1)

    for s in data["strategies"]:
        out += ["# " + "=" * 70, f"# {top}{s['id']}", "# " + "=" * 70]
        _table(out, "strategies", s, ("id", "title"))
        for g in s["goal_indicators"]:
            _table(out, "strategies.goal_indicators", g, (*kpi_keys, "department"))
        if "measures" in s:
            measures(s["measures"])
        else:
            middle(s["policies"], 1)
    return "\n".join(out).rstrip("\n") + "\n"
