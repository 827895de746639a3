"""The grading rules in force: a scheme (mine_report.grading.schemes) from the defaults or a TOML
config file (`mine-report.toml`), and the per-KPI rules that pick another scheme for some KPIs.

Every problem in a config file is collected and reported at once (ConfigError), with
the key path, the value and why it is wrong. Rates are kept as exact Fractions
(0.8, not 80) so that a rate exactly on a boundary is graded without float error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fnmatch import fnmatchcase
from fractions import Fraction
from pathlib import Path

from mine_report.common.errors import ConfigError, DataProblem
from mine_report.common.fileio import read_toml
from mine_report.common.keypath import KeyPathChecker
from mine_report.common.keypath import join as _join
from mine_report.common.messages import text
from mine_report.common.numbers import number_text, percent_text
from mine_report.grading.schemes import (
    BASES,
    BUILTIN,
    DEFAULT_SCHEME,
    MAX_GRADES,
    MIN_GRADES,
    PALETTES,
    RATES,
    ROLLUPS,
    Band,
    BandSet,
    Grade,
    RollupRule,
    Scheme,
    builtin,
    readable_text_colour,
)
from mine_report.plan.model import ROLLUP_LEVELS, Kpi, Plan

#: Looked for in the working directory when no --config is given.
DEFAULT_CONFIG_NAME = "mine-report.toml"
UNGRADED_KEY = "ungraded"  # config key for 「－」 (a TOML bare key cannot be 「－」)

_HUNDRED = Fraction(100)


@dataclass(frozen=True)
class KpiRule:
    """Some KPIs graded by another scheme: those whose id matches one of `ids` (* and ?
    allowed) and, when `unit` is set, whose unit is `unit`."""

    ids: tuple[str, ...]
    unit: str
    scheme: Scheme
    label: str  # how the rule is named in words (the scheme's name)

    def matches(self, kpi: Kpi) -> bool:
        if self.unit and kpi.unit != self.unit:
            return False
        return not self.ids or any(fnmatchcase(kpi.id, p) for p in self.ids)


@dataclass(frozen=True)
class Rules:
    """How KPIs are graded and rolled up: the scheme in force, named schemes that plan
    KPIs (`grading = "name"`) may pick, and per-KPI rules (the first match wins, before
    the plan's choice). Every scheme shares the main scheme's grades and roll-up."""

    scheme: Scheme = field(default_factory=lambda: builtin(DEFAULT_SCHEME))
    schemes: dict[str, Scheme] = field(default_factory=dict)
    kpi_rules: tuple[KpiRule, ...] = ()
    #: The config file these rules came from ("" for the built-in defaults).
    source: str = field(default="", compare=False)

    @property
    def rate_name(self) -> str:
        """The name of the rate reported for increase/decrease KPIs (進捗率, 達成率 …)."""
        return self.scheme.rate_name()

    def named(self, name: str) -> Scheme | None:
        """A scheme by name: one of the config file's, else a built-in one re-dressed in
        this scheme's grades (None when unknown or its grades differ)."""
        if name in self.schemes:
            return self.schemes[name]
        if name in BUILTIN:
            other = builtin(name)
            if other.keys == self.scheme.keys:
                return replace(other, grades=self.scheme.grades, ungraded=self.scheme.ungraded,
                               rollup=self.scheme.rollup)
        return None

    def scheme_for(self, kpi: Kpi) -> Scheme:
        """The scheme a KPI is graded by."""
        for rule in self.kpi_rules:
            if rule.matches(kpi):
                return rule.scheme
        if kpi.grading:
            found = self.named(kpi.grading)
            if found is not None:
                return found
        return self.scheme

    def check_plan(self, plan: Plan) -> None:
        """Raise ConfigError when a plan KPI names a scheme these rules do not know."""
        problems = [DataProblem("C119", f"{k.id}.grading", text("C119", name=k.grading))
                    for k in (*plan.kpis, *plan.goal_indicators)
                    if k.grading and self.named(k.grading) is None]
        if problems:
            raise ConfigError(self.source or "<plan>", problems)

    def describe(self, levels: str = ROLLUP_LEVELS) -> list[str]:
        """The rules in force as plain Japanese sentences (for `config --show` and the report);
        `levels` as in Scheme.describe."""
        lines = self.scheme.describe(levels)
        for rule in self.kpi_rules:
            ids = "・".join(rule.ids)
            which = (text("C566", ids=ids, unit=rule.unit) if ids and rule.unit
                     else text("C565", ids=ids) if ids else text("C564", unit=rule.unit))
            lines.append(text("C563", which=which, name=rule.label,
                              changes="".join(_differences(self.scheme, rule.scheme))))
        return lines

    def to_toml(self) -> str:
        """The rules in force as a config file that load_rules reads back to equal Rules."""
        s = self.scheme
        out = [f"# {text('C540')}"]
        out += _scheme_toml(s, top=True)
        out += ["", f"[rollup]  # {text('C547')}", f"method = {_toml_str(s.rollup.method)}"]
        if s.rollup.level:
            out.append(f"level = {_toml_str(s.rollup.level)}")
        factor = Fraction(1) if s.rollup.method == "mean" else 1 / _HUNDRED
        out += ["", f"[measure_grade]  # {text('C544')}"]
        out += [f"{_toml_key(k)} = {number_text(v / factor)}" for k, v in s.rollup.bands]
        out += ["", f"# {text('C546')}", f"# {text('C545')}"]
        for g in (*s.grades, s.ungraded):
            key = UNGRADED_KEY if g is s.ungraded else _toml_key(g.key)
            out += [f"[grades.{key}]", f"label = {_toml_str(g.label)}"]
            if g is s.ungraded:
                out.append(f"mark = {_toml_str(g.key)}")
            else:
                out += [f"points = {number_text(g.points)}",
                        f"colour = {_toml_str(g.colour)}",
                        f"text_colour = {_toml_str(g.text_colour)}"]
            description = f"description = {_toml_str(s.description(g.key))}"
            # A derived description stays a comment, so editing a threshold later
            # cannot leave it stale.
            out += [description if g.description else f"# {description}", ""]
        for name, other in self.schemes.items():
            out += [f"[schemes.{_toml_key(name)}]", *_scheme_toml(other, top=False), ""]
        if self.kpi_rules:
            out.append(f"# {text('C548')}")
        for rule in self.kpi_rules:
            out += ["[[kpis]]"]
            if rule.ids:
                out.append(f"ids = [{', '.join(_toml_str(i) for i in rule.ids)}]")
            if rule.unit:
                out.append(f"unit = {_toml_str(rule.unit)}")
            out += [*_scheme_toml(rule.scheme, top=False), ""]
        return "\n".join(out).rstrip("\n") + "\n"


def _differences(main: Scheme, other: Scheme) -> list[str]:
    """The sentences of `other` that differ from `main`'s (what a per-KPI rule changes)."""
    mine = set(main.describe())
    return [line for line in other.describe()[1:] if line not in mine]


def _band_toml(band: Band, inherited: str) -> str:
    key = _toml_key(band.grade + ("_above" if band.strict else ""))
    value = percent_text(band.bound)
    if band.rate and band.rate != inherited:
        return f"{key} = {{ {'above' if band.strict else 'min'} = {value}, rate = {_toml_str(band.rate)} }}"
    return f"{key} = {value}"


def _bands_inline(bands: BandSet) -> str:
    return "{ " + ", ".join(_band_toml(b, bands.rate) for b in bands.bands) + " }"


def _scheme_toml(s: Scheme, *, top: bool) -> list[str]:
    """The keys that set a scheme: whole tables at the top, inline tables below it."""
    out = []
    if top:
        if s.base:
            out.append(f"scheme = {_toml_str(s.base)}  # {' | '.join(BUILTIN)}")
        out.append(f"grade_keys = [{', '.join(_toml_str(k) for k in s.keys)}]")
    out += [f"name = {_toml_str(s.name)}",
            f"formula = {_toml_str(s.main.rate)}  # {' | '.join(RATES)}",
            f"basis = {_toml_str(s.basis)}  # {' | '.join(BASES)}"]
    if s.shares:
        out.append(f"shares = [{', '.join(percent_text(x) for x in s.shares)}]")
    out += [f"maintain_formula = {_toml_str(s.maintain.rate)}",
            f"maintain_tolerance = {number_text(s.maintain.tolerance)}"]
    if not top:
        return [*out, f"thresholds = {_bands_inline(s.main)}",
                f"maintain = {_bands_inline(s.maintain)}"]
    out += ["", f"[thresholds]  # {text('C541')}"]
    out += [_band_toml(b, s.main.rate) for b in s.main.bands]
    out += ["", f"[maintain]  # {text('C542')}"]
    out += [_band_toml(b, s.maintain.rate) for b in s.maintain.bands]
    return out


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_str(key)


def rules_text(rules: Rules) -> str:
    """The rules in force as readable Japanese text (what `config --show` prints)."""
    head = (text("C560", source=rules.source) if rules.source
            else text("C561", name=DEFAULT_CONFIG_NAME))
    lines = [head, ""]
    lines += [f"・{sentence}" for sentence in rules.describe()]
    lines += ["", text("C562")]
    s = rules.scheme
    lines += [f"  {g.key}  {g.label}: {s.description(g.key)}（{number_text(g.points)}点、色 {g.colour}）"
              if g is not s.ungraded else f"  {g.key}  {g.label}: {s.description(g.key)}"
              for g in (*s.grades, s.ungraded)]
    return "\n".join(lines) + "\n"


def default_rules() -> Rules:
    """The built-in rules: Mine's scheme (progress from the baseline against the
    prorated target, A–D)."""
    return Rules()


def load_rules(path: str | Path | None = None) -> Rules:
    """Rules from a config file; None means ./mine-report.toml if it exists, else defaults.

    Raises ConfigError listing every problem found (unknown keys, wrong types, bad
    choices, thresholds out of order).
    """
    if path is None:
        path = Path(DEFAULT_CONFIG_NAME)
        if not path.is_file():
            return default_rules()
    path = Path(path)
    data = read_toml(path, ConfigError, unreadable="C001", syntax="C002", missing="C003")
    return rules_from_dict(data, source=str(path))


def rules_from_dict(data: dict, source: str = "<config>") -> Rules:
    """Build Rules from parsed TOML data; raise ConfigError with every problem found."""
    checker = _Checker()
    rules = checker.rules(data, source)
    if checker.problems:
        raise ConfigError(source, checker.problems)
    return rules


def _toml_str(value: str) -> str:
    # JSON string escapes (\", \\, \n, \uXXXX) are all valid in TOML basic strings.
    return json.dumps(value, ensure_ascii=False)


# --- reading a config file ------------------------------------------------------------------

#: Keys that set a scheme's judging, at the top and in [schemes.NAME] and [[kpis]].
_SCHEME_KEYS = ("scheme", "name", "formula", "basis", "shares", "thresholds", "maintain",
                "maintain_formula", "maintain_tolerance")
_TOP_KEYS = (*_SCHEME_KEYS, "grade_keys", "points", "measure_grade", "rollup", "grades",
             "schemes", "kpis")
_GRADE_ENTRY_KEYS = ("label", "description", "points", "colour", "text_colour")
_COLOUR = re.compile(r"#[0-9A-Fa-f]{6}")


class _Checker(KeyPathChecker):
    """Walks the parsed config, collecting every problem with its key path."""

    unknown_code = "C101"

    # --- values ------------------------------------------------------------------

    def table(self, data: dict, key: str, path: str = "") -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.add("C109", _join(path, key))
            return {}
        return value

    def choice(self, data: dict, key: str, path: str, allowed, code: str, default: str) -> str:
        value = data.get(key, default)
        if value not in allowed:
            self.add(code, _join(path, key), value=_shown(value))
            return default
        return value

    def number(self, data: dict, key: str, path: str, default, factor: Fraction = Fraction(1),
               negative: bool = False):
        """A finite number (≥ 0 unless negative), times factor (1/100: % → rate)."""
        if key not in data:
            return default
        value = data[key]
        if (isinstance(value, bool) or not isinstance(value, int | Decimal)
                or (isinstance(value, Decimal) and not value.is_finite())):
            self.add("C103", _join(path, key), value=_shown(value))
            return default
        if value < 0 and not negative:
            self.add("C107", _join(path, key), value=_shown(value))
            return default
        return Fraction(value) * factor

    def string(self, data: dict, key: str, path: str, default: str = "") -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            self.add("C102", _join(path, key), value=_shown(value))
            return default
        value = value.strip()
        if key in data and not value:
            self.add("C108", _join(path, key))
            return default
        if "\n" in value or "\r" in value:
            self.add("C110", _join(path, key))
            return default
        return value

    def ordered(self, path: str, items: list[tuple[str, Fraction]], factor: Fraction) -> None:
        """Each value must be ≥ the next one (A ≥ B ≥ C …); values shown in file units."""
        for (hk, hv), (lk, lv) in zip(items, items[1:], strict=False):
            if hv < lv:
                self.add("C106", path, higher=hk, hv=number_text(hv / factor),
                         lower=lk, lv=number_text(lv / factor))

    # --- parts of a scheme ---------------------------------------------------------------

    def bands(self, data: dict, key: str, path: str, start: BandSet, rate: str,
              keys: tuple[str, ...]) -> tuple[Band, ...]:
        """The bands of `key` laid over `start`'s, best grade first. A number is "≥ this %",
        a name ending in _above means "> this %", { min|above = %, rate = … } sets both."""
        where = _join(path, key)
        table = self.table(data, key, path)
        allowed = [*keys[:-1], *(f"{k}_above" for k in keys[:-1])]
        self.unknown(table, allowed, where)
        found = {b.grade: b for b in start.bands if b.grade in keys[:-1]}
        for name, value in table.items():
            if name not in allowed:
                continue
            grade = name.removesuffix("_above") if name not in keys else name
            strict = name != grade
            own_rate = ""
            if isinstance(value, dict):
                self.unknown(value, ("min", "above", "rate"), _join(where, name))
                own_rate = self.choice(value, "rate", _join(where, name), RATES, "C104", "")
                given = [k for k in ("min", "above") if k in value]
                if len(given) != 1:
                    self.add("C123", _join(where, name))
                    continue
                strict = given[0] == "above"
                value_key, holder, holder_path = given[0], value, _join(where, name)
            else:
                value_key, holder, holder_path = name, table, where
            bound = self.number(holder, value_key, holder_path, None, 1 / _HUNDRED,
                                negative=(own_rate or rate) == "change")
            if bound is not None:
                found[grade] = Band(grade, bound, strict, own_rate)
        result = tuple(found[k] for k in keys if k in found)
        for rate_key in dict.fromkeys(b.rate or rate for b in result):
            self.ordered(where, [(b.grade, b.bound) for b in result if (b.rate or rate) == rate_key],
                         1 / _HUNDRED)
        return result

    def base(self, data: dict, path: str, named: dict[str, Scheme] | None = None) -> Scheme | None:
        """The scheme named by `scheme` (the file's own first, then the built-in ones)."""
        if "scheme" not in data:
            return None
        name = data["scheme"]
        if named and name in named:
            return named[name]
        if not isinstance(name, str) or name not in BUILTIN:
            self.add("C116", _join(path, "scheme"), value=_shown(name),
                     names=" / ".join(BUILTIN))
            return None
        return builtin(name)

    def judging(self, data: dict, path: str, start: Scheme,
                keys: tuple[str, ...] | None = None) -> Scheme:
        """`start` with the judging keys of data laid over it (rates, basis, bands);
        keys are the grades the bands may name (start's own by default)."""
        keys = keys or start.keys
        formula = self.choice(data, "formula", path, RATES, "C104", start.main.rate)
        basis = self.choice(data, "basis", path, BASES, "C105", start.basis)
        shares = start.shares
        if "shares" in data:
            raw = data["shares"]
            if not isinstance(raw, list) or not raw:
                self.add("C117", _join(path, "shares"))
            else:
                read = [self.number({"v": v}, "v", _join(path, "shares"), None, 1 / _HUNDRED)
                        for v in raw]
                if None not in read:
                    if any(b < a for a, b in zip(read, read[1:], strict=False)):
                        self.add("C117", _join(path, "shares"))
                    shares = tuple(read)
        if basis == "shares" and not shares:
            self.add("C117", _join(path, "shares"))
            shares = (Fraction(1),)
        main = self.bands(data, "thresholds", path, start.main, formula, keys)
        maintain_rate = self.choice(data, "maintain_formula", path, RATES, "C104",
                                    start.maintain.rate)
        maintain = self.bands(data, "maintain", path, start.maintain, maintain_rate, keys)
        tolerance = self.number(data, "maintain_tolerance", path, start.maintain.tolerance)
        if not main:
            self.add("C118", _join(path, "thresholds"))
        return replace(start, name=self.string(data, "name", path, start.name),
                       basis=basis, shares=shares if basis == "shares" else (),
                       main=BandSet(formula, main),
                       maintain=BandSet(maintain_rate, maintain or main, tolerance))

    def grade_keys(self, data: dict, base: Scheme) -> tuple[str, ...]:
        if "grade_keys" not in data:
            return base.keys
        raw = data["grade_keys"]
        keys = tuple(k.strip() for k in raw if isinstance(k, str)) if isinstance(raw, list) else ()
        if (len(keys) != len(raw) if isinstance(raw, list) else True) or not all(keys) \
                or len(set(keys)) != len(keys) or not MIN_GRADES <= len(keys) <= MAX_GRADES \
                or UNGRADED_KEY in keys:
            self.add("C111", "grade_keys", low=MIN_GRADES, high=MAX_GRADES)
            return base.keys
        return keys

    def grades(self, data: dict, base: Scheme, keys: tuple[str, ...],
               replaced: bool) -> tuple[tuple[Grade, ...], Grade]:
        points_table = self.table(data, "points")
        self.unknown(points_table, keys, "points")
        table = self.table(data, "grades")
        self.unknown(table, [*keys, UNGRADED_KEY], "grades")
        palette = _palette(len(keys))
        out = []
        for i, key in enumerate(keys):
            path = f"grades.{key}"
            entry = table.get(key, {})
            if not isinstance(entry, dict):
                self.add("C109", path)
                entry = {}
            self.unknown(entry, _GRADE_ENTRY_KEYS, path)
            old = None if replaced else base.grade(key)
            points = self.number(points_table, key, "points", old.points if old else None)
            points = self.number(entry, "points", path, points)
            label = self.string(entry, "label", path, old.label if old else "")
            if not label or points is None:
                self.add("C120", path, missing="label" if not label else "points")
            colour = self.colour(entry, "colour", path, old.colour if old else palette[i][0])
            fg = (old.text_colour if old else palette[i][1]) if "colour" not in entry \
                else readable_text_colour(colour)
            out.append(Grade(key, label, points if points is not None else Fraction(0), colour,
                             self.colour(entry, "text_colour", path, fg),
                             self.string(entry, "description", path,
                                         old.description if old else "")))
        self.ordered("points", [(g.key, g.points) for g in out], Fraction(1))
        entry = table.get(UNGRADED_KEY, {})
        path = f"grades.{UNGRADED_KEY}"
        if not isinstance(entry, dict):
            self.add("C109", path)
            entry = {}
        self.unknown(entry, ("label", "description", "mark"), path)
        u = base.ungraded
        ungraded = replace(u, key=self.string(entry, "mark", path, u.key),
                           label=self.string(entry, "label", path, u.label),
                           description=self.string(entry, "description", path, u.description))
        if ungraded.key in keys:
            self.add("C111", f"{path}.mark", low=MIN_GRADES, high=MAX_GRADES)
        return tuple(out), ungraded

    def colour(self, entry: dict, key: str, path: str, default: str) -> str:
        value = self.string(entry, key, path, default)
        if not _COLOUR.fullmatch(value):
            self.add("C113", _join(path, key), value=_shown(value))
            return default
        return value.upper()

    def rollup(self, data: dict, base: Scheme, keys: tuple[str, ...], replaced: bool,
               grades: tuple[Grade, ...]) -> RollupRule:
        table = self.table(data, "rollup")
        self.unknown(table, ("method", "level"), "rollup")
        method = self.choice(table, "method", "rollup", ROLLUPS, "C114", base.rollup.method)
        level = base.rollup.level if base.rollup.level in keys else ""
        if "level" in table:
            level = self.choice(table, "level", "rollup", keys, "C112", level)
        if method == "share" and not level:
            self.add("C112", "rollup.level", value="")
        factor = Fraction(1) if method == "mean" else 1 / _HUNDRED
        bands_table = self.table(data, "measure_grade")
        self.unknown(bands_table, keys[:-1], "measure_grade")
        keep = not replaced and method == base.rollup.method
        found = dict(base.rollup.bands) if keep else {}
        for key in keys[:-1]:
            value = self.number(bands_table, key, "measure_grade", None, factor)
            if value is not None:
                found[key] = value
        bands = tuple((k, found[k]) for k in keys if k in found)
        self.ordered("measure_grade", list(bands), factor)
        if not bands and method == "mean":
            # Midway between the points of neighbouring grades (4,3,2,1 → 3.5, 2.5, 1.5).
            bands = tuple((a.key, (a.points + b.points) / 2)
                          for a, b in zip(grades, grades[1:], strict=False))
        elif not bands and method == "share":
            self.add("C118", "measure_grade")
        return RollupRule(method, bands if method != "worst" else (), level)

    # --- the whole file ------------------------------------------------------------------

    def rules(self, data: dict, source: str) -> Rules:
        self.unknown(data, _TOP_KEYS, "")
        base = self.base(data, "") or builtin(DEFAULT_SCHEME)
        keys = self.grade_keys(data, base)
        replaced = keys != base.keys
        start = base
        if replaced:
            # A new grade list: the base's bands do not carry over.
            empty = BandSet(base.main.rate, ())
            start = replace(base, main=empty, maintain=replace(empty, rate=base.maintain.rate))
        judged = self.judging(data, "", start, keys)
        grades, ungraded = self.grades(data, base, keys, replaced)
        rollup = self.rollup(data, base, keys, replaced, grades)
        scheme = replace(judged, grades=grades, ungraded=ungraded, rollup=rollup)
        named = {}
        for name, entry in self.table(data, "schemes").items():
            path = f"schemes.{name}"
            if not isinstance(entry, dict):
                self.add("C109", path)
                continue
            named[name] = self.sub_scheme(entry, path, scheme, named)
        kpi_rules = []
        entries = data.get("kpis", [])
        if not isinstance(entries, list):
            self.add("C109", "kpis")
            entries = []
        for i, entry in enumerate(entries):
            path = f"kpis[{i}]"
            if not isinstance(entry, dict):
                self.add("C109", path)
                continue
            rule = self.kpi_rule(entry, path, scheme, named)
            if rule is not None:
                kpi_rules.append(rule)
        return Rules(scheme, named, tuple(kpi_rules), source=source)

    def sub_scheme(self, entry: dict, path: str, main: Scheme, named: dict[str, Scheme],
                   extra: tuple[str, ...] = ()) -> Scheme:
        """A scheme for some KPIs: main's grades and roll-up, judging from `scheme` (a
        scheme named in this file, or a built-in one with the same grades) and the keys."""
        self.unknown(entry, (*_SCHEME_KEYS, *extra), path)
        start = main
        other = self.base(entry, path, named)
        if other is not None:
            if other.keys != main.keys:
                self.add("C122", _join(path, "scheme"), keys="・".join(other.keys),
                         main="・".join(main.keys))
            else:
                start = replace(other, grades=main.grades, ungraded=main.ungraded,
                                rollup=main.rollup)
        return replace(self.judging(entry, path, start), base="")

    def kpi_rule(self, entry: dict, path: str, main: Scheme,
                 named: dict[str, Scheme]) -> KpiRule | None:
        ids = entry.get("ids", [])
        if not isinstance(ids, list) or not all(isinstance(i, str) and i.strip() for i in ids):
            self.add("C121", _join(path, "ids"))
            ids = []
        unit = self.string(entry, "unit", path)
        if not ids and not unit:
            self.add("C121", _join(path, "ids"))
        scheme = self.sub_scheme(entry, path, main, named, extra=("ids", "unit"))
        if self.problems:
            return None
        return KpiRule(tuple(i.strip() for i in ids), unit, scheme, scheme.name)


def _palette(count: int) -> tuple[tuple[str, str], ...]:
    return PALETTES.get(count, PALETTES[MAX_GRADES])


def _shown(value: object) -> str:
    """A config value as the user wrote it, for messages."""
    if isinstance(value, str):
        return f"「{value}」"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
