"""The grading rules in force: defaults, or a TOML config file (`mine-report.toml`).

Every problem in a config file is collected and reported at once (ConfigError), with
the key path, the value and why it is wrong. Rates are kept as exact Fractions
(0.8, not 80) so that a rate exactly on a boundary is graded without float error.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from mine_report.errors import ConfigError, DataProblem
from mine_report.fileio import read_toml
from mine_report.messages import text

#: Looked for in the working directory when no --config is given.
DEFAULT_CONFIG_NAME = "mine-report.toml"

FORMULAS = ("progress", "ratio")
BASES = ("prorated", "final")
GRADE_LETTERS = ("A", "B", "C", "D")
UNGRADED_KEY = "ungraded"  # config key for 「－」 (a TOML bare key cannot be 「－」)

_HUNDRED = Fraction(100)


@dataclass(frozen=True)
class GradeRule:
    """One grade's label and one-line description, as the report prints them."""

    grade: str
    label: str
    description: str
    #: True when the description was derived from the thresholds rather than configured;
    #: it is then derived again whenever Rules are built, so it never goes stale.
    derived: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class Rules:
    """How KPIs are graded and rolled up.

    Rates are Fractions of 1 (Fraction(4, 5) is 80 %). For increase/decrease KPIs:
    A when rate ≥ a_min, B when rate ≥ b_min, C when rate > c_above, else D. For
    maintain KPIs (actual ÷ target): A ≥ maintain_a_min, B ≥ maintain_b_min,
    C ≥ maintain_c_min, else D. A measure's grade comes from its mean points:
    A ≥ measure_a_min, B ≥ measure_b_min, C ≥ measure_c_min, else D.
    """

    formula: str = "progress"
    basis: str = "prorated"
    a_min: Fraction = Fraction(1)
    b_min: Fraction = Fraction(4, 5)
    c_above: Fraction = Fraction(0)
    maintain_a_min: Fraction = Fraction(1)
    maintain_b_min: Fraction = Fraction(9, 10)
    maintain_c_min: Fraction = Fraction(4, 5)
    points: dict[str, Fraction] = field(default_factory=lambda: {
        "A": Fraction(4), "B": Fraction(3), "C": Fraction(2), "D": Fraction(1)})
    measure_a_min: Fraction = Fraction(7, 2)
    measure_b_min: Fraction = Fraction(5, 2)
    measure_c_min: Fraction = Fraction(3, 2)
    grades: tuple[GradeRule, ...] = ()
    ungraded: GradeRule = GradeRule("－", "", "")
    #: The config file these rules came from ("" for the built-in defaults).
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # Labels and descriptions not given are derived from the thresholds, so a city
        # that changes a threshold never prints a stale description.
        given = {g.grade: g for g in (*self.grades, self.ungraded)}
        filled = {}
        for letter, default in _derived_grade_rules(self).items():
            own = given.get(letter)
            label = own.label if own and own.label else default.label
            if own and own.description and not own.derived:
                filled[letter] = GradeRule(letter, label, own.description)
            else:
                filled[letter] = GradeRule(letter, label, default.description, derived=True)
        object.__setattr__(self, "grades", tuple(filled[g] for g in GRADE_LETTERS))
        object.__setattr__(self, "ungraded", filled["－"])

    @property
    def rate_name(self) -> str:
        """進捗率 (progress from the baseline) or 達成率 (simple ratio)."""
        return text("C510") if self.formula == "progress" else text("C511")

    def grade_rule(self, grade: str) -> GradeRule:
        """The label and description of "A" … "D" or 「－」."""
        if grade == self.ungraded.grade:
            return self.ungraded
        for rule in self.grades:
            if rule.grade == grade:
                return rule
        raise KeyError(grade)

    def describe(self) -> list[str]:
        """The rules in force as plain Japanese sentences (for `config --show` and the report)."""
        rate = self.rate_name
        goal = text("C532") if self.basis == "prorated" else text("C533")
        labels = {g.grade: g.label for g in self.grades}
        return [
            text("C520") if self.basis == "prorated" else text("C521"),
            text("C522" if self.formula == "progress" else "C523", goal=goal),
            text("C524", rate=rate, a=pct(self.a_min), b=pct(self.b_min), c=pct(self.c_above),
                 la=labels["A"], lb=labels["B"], lc=labels["C"], ld=labels["D"]),
            text("C525", a=pct(self.maintain_a_min), b=pct(self.maintain_b_min),
                 c=pct(self.maintain_c_min)),
            text("C526", b=pct(self.b_min)),
            text("C527", label=self.ungraded.label),
            text("C529", **{k.lower(): number_text(v) for k, v in self.points.items()}),
            text("C530", a=number_text(self.measure_a_min), b=number_text(self.measure_b_min),
                 c=number_text(self.measure_c_min)),
            text("C531"),
        ]

    def to_toml(self) -> str:
        """The rules in force as a config file that load_rules reads back to equal Rules."""
        out = [f"# {text('C540')}",
               f"formula = {_toml_str(self.formula)}  # progress | ratio",
               f"basis = {_toml_str(self.basis)}  # prorated | final",
               "",
               f"[thresholds]  # {text('C541')}",
               f"A = {percent_text(self.a_min)}",
               f"B = {percent_text(self.b_min)}",
               f"C_above = {percent_text(self.c_above)}",
               "",
               f"[maintain]  # {text('C542')}",
               f"A = {percent_text(self.maintain_a_min)}",
               f"B = {percent_text(self.maintain_b_min)}",
               f"C = {percent_text(self.maintain_c_min)}",
               "",
               f"[points]  # {text('C543')}"]
        out += [f"{k} = {number_text(self.points[k])}" for k in GRADE_LETTERS]
        out += ["",
                f"[measure_grade]  # {text('C544')}",
                f"A = {number_text(self.measure_a_min)}",
                f"B = {number_text(self.measure_b_min)}",
                f"C = {number_text(self.measure_c_min)}"]
        out += ["", f"# {text('C545')}"]
        for key, rule in [*((g.grade, g) for g in self.grades), (UNGRADED_KEY, self.ungraded)]:
            description = f"description = {_toml_str(rule.description)}"
            # A derived description stays a comment, so editing a threshold later
            # cannot leave it stale.
            out += [f"[grades.{key}]", f"label = {_toml_str(rule.label)}",
                    f"# {description}" if rule.derived else description, ""]
        return "\n".join(out)


def rules_text(rules: Rules) -> str:
    """The rules in force as readable Japanese text (what `config --show` prints)."""
    head = (text("C560", source=rules.source) if rules.source
            else text("C561", name=DEFAULT_CONFIG_NAME))
    lines = [head, ""]
    lines += [f"・{sentence}" for sentence in rules.describe()]
    lines += ["", text("C562")]
    lines += [f"  {g.grade}  {g.label}: {g.description}" for g in (*rules.grades, rules.ungraded)]
    return "\n".join(lines) + "\n"


def default_rules() -> Rules:
    """The built-in rules (progress from the baseline against the prorated target)."""
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


# --- number formatting shared with the grading engine -----------------------------------


def number_text(value: Fraction | Decimal | int) -> str:
    """An exact number as plain decimal text: 4, 3.5, 12.5 (up to 6 decimals, then rounded)."""
    value = Fraction(value)
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole, rest = divmod(value.numerator, value.denominator)
    if rest == 0:
        return f"{sign}{whole}"
    # Exact digits while the expansion ends within 6 places; else round half-up there.
    scaled = value * 10**6
    digits = int(scaled + Fraction(1, 2))
    body = f"{digits // 10**6}.{digits % 10**6:06d}".rstrip("0").rstrip(".")
    return f"{sign}{body}"


def percent_text(rate: Fraction) -> str:
    """A rate as a percentage number without the sign: Fraction(4, 5) → "80"."""
    return number_text(rate * _HUNDRED)


def pct(rate: Fraction) -> str:
    """A rate as a percentage with its sign: Fraction(4, 5) → "80%"."""
    return f"{percent_text(rate)}%"


def _toml_str(value: str) -> str:
    # JSON string escapes (\", \\, \n, \uXXXX) are all valid in TOML basic strings.
    return json.dumps(value, ensure_ascii=False)


def _derived_grade_rules(rules: Rules) -> dict[str, GradeRule]:
    rate = rules.rate_name
    a, b, c = pct(rules.a_min), pct(rules.b_min), pct(rules.c_above)
    ma, mb, mc = pct(rules.maintain_a_min), pct(rules.maintain_b_min), pct(rules.maintain_c_min)
    return {
        "A": GradeRule("A", text("C501"), text("C551", rate=rate, a=a, ma=ma)),
        "B": GradeRule("B", text("C502"), text("C552", rate=rate, a=a, b=b, ma=ma, mb=mb)),
        "C": GradeRule("C", text("C503"), text("C553", rate=rate, b=b, c=c, mb=mb, mc=mc)),
        "D": GradeRule("D", text("C504"), text("C554", rate=rate, c=c, mc=mc)),
        "－": GradeRule("－", text("C505"), text("C555")),
    }


# --- reading a config file ------------------------------------------------------------------

_SECTIONS = {
    "thresholds": (("A", "a_min"), ("B", "b_min"), ("C_above", "c_above")),
    "maintain": (("A", "maintain_a_min"), ("B", "maintain_b_min"), ("C", "maintain_c_min")),
    "measure_grade": (("A", "measure_a_min"), ("B", "measure_b_min"), ("C", "measure_c_min")),
}
#: Sections whose numbers are percentages in the file and rates in Rules.
_PERCENT_SECTIONS = {"thresholds", "maintain"}
_TOP_KEYS = {"formula", "basis", "thresholds", "maintain", "points", "measure_grade", "grades"}


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    """Walks the parsed config, collecting every problem with its key path."""

    def __init__(self) -> None:
        self.problems: list[DataProblem] = []

    def add(self, code: str, path: str, **values: object) -> None:
        self.problems.append(DataProblem(code, path, text(code, **values)))

    def table(self, data: dict, key: str) -> dict:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.add("C109", key)
            return {}
        return value

    def unknown(self, data: dict, allowed: set[str] | list[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                self.add("C101", _join(path, key))

    def choice(self, data: dict, key: str, allowed: tuple[str, ...], code: str,
               default: str) -> str:
        value = data.get(key, default)
        if value not in allowed:
            self.add(code, key, value=_shown(value))
            return default
        return value

    def number(self, data: dict, key: str, path: str, default: Fraction,
               factor: Fraction) -> Fraction:
        """A finite number ≥ 0, times factor (1/100 turns the file's percentages into rates)."""
        if key not in data:
            return default
        value = data[key]
        if (isinstance(value, bool) or not isinstance(value, int | Decimal)
                or (isinstance(value, Decimal) and not value.is_finite())):
            self.add("C103", _join(path, key), value=_shown(value))
            return default
        if value < 0:
            self.add("C107", _join(path, key), value=_shown(value))
            return default
        return Fraction(value) * factor

    def ordered(self, path: str, names: list[str], values: list[Fraction],
                factor: Fraction) -> None:
        """Each value must be ≥ the next one (A ≥ B ≥ C …); values shown in file units."""
        for i in range(len(values) - 1):
            if values[i] < values[i + 1]:
                self.add("C106", path, higher=names[i], hv=number_text(values[i] / factor),
                         lower=names[i + 1], lv=number_text(values[i + 1] / factor))

    def grade_text(self, data: dict, key: str, path: str) -> str:
        value = data.get(key, "")
        if not isinstance(value, str):
            self.add("C102", _join(path, key), value=_shown(value))
            return ""
        value = value.strip()
        if key in data and not value:
            self.add("C108", _join(path, key))
        if "\n" in value or "\r" in value:
            self.add("C110", _join(path, key))
            return ""
        return value

    def rules(self, data: dict, source: str) -> Rules:
        defaults = default_rules()
        self.unknown(data, _TOP_KEYS, "")
        values: dict[str, object] = {
            "formula": self.choice(data, "formula", FORMULAS, "C104", defaults.formula),
            "basis": self.choice(data, "basis", BASES, "C105", defaults.basis),
        }
        for section, keys in _SECTIONS.items():
            table = self.table(data, section)
            self.unknown(table, [k for k, _ in keys], section)
            factor = 1 / _HUNDRED if section in _PERCENT_SECTIONS else Fraction(1)
            read = [self.number(table, key, section, getattr(defaults, attr), factor)
                    for key, attr in keys]
            self.ordered(section, [k for k, _ in keys], read, factor)
            values.update({attr: v for (_, attr), v in zip(keys, read, strict=True)})
        points_table = self.table(data, "points")
        self.unknown(points_table, GRADE_LETTERS, "points")
        points = {k: self.number(points_table, k, "points", defaults.points[k], Fraction(1))
                  for k in GRADE_LETTERS}
        self.ordered("points", list(GRADE_LETTERS), list(points.values()), Fraction(1))
        values["points"] = points
        grades_table = self.table(data, "grades")
        allowed = [*GRADE_LETTERS, UNGRADED_KEY]
        self.unknown(grades_table, allowed, "grades")
        rules: list[GradeRule] = []
        for key in allowed:
            path = f"grades.{key}"
            entry = grades_table.get(key, {})
            if not isinstance(entry, dict):
                self.add("C109", path)
                entry = {}
            self.unknown(entry, ["label", "description"], path)
            rules.append(GradeRule("－" if key == UNGRADED_KEY else key,
                                   self.grade_text(entry, "label", path),
                                   self.grade_text(entry, "description", path)))
        return Rules(grades=tuple(rules[:-1]), ungraded=rules[-1], source=source, **values)


def _shown(value: object) -> str:
    """A config value as the user wrote it, for messages."""
    if isinstance(value, str):
        return f"「{value}」"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

