"""How the content of one input cell is read: actual values typed every way people type
numbers, not-measured marks, choices from a list and free text.

Each function returns what was taken and the findings (message code + placeholders) for
the reader to locate and report; nothing here knows about sheets or files.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from mine_report.common.fiscal import format_fiscal_year, parse_fiscal_year
from mine_report.common.numbers import NO_VALUE, format_number, written_text
from mine_report.intake.xlsxread import CellError, MissingFormulaValue
from mine_report.plan.model import Kpi
from mine_report.workbook.layout import NOT_MEASURED_MARKS, TEXT_LIMIT

#: How much of a long value a problem line shows.
SHOWN_LIMIT = 60
#: Actual values must stay below this in magnitude: Excel keeps 15 significant digits, and
#: a larger number (1e400, a 310-digit text) is no KPI value and no float can carry it to
#: the merged workbook. Non-finite values (inf, nan) are refused by the same check.
MAX_ACTUAL = Decimal(10) ** 15

_MARKS = frozenset(NOT_MEASURED_MARKS) | {unicodedata.normalize("NFKC", m) for m in NOT_MEASURED_MARKS}
# ASCII digits only (after NFKC, which maps full-width ones): \d would also take other
# scripts' digits, and Decimal would read them, for a value no spreadsheet shows as one.
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")
_GROUPED = re.compile(r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?\Z")
_SPACES = re.compile(r"\s+")
#: Minus-like characters people paste instead of "-" (NFKC leaves these alone).
_MINUSES = str.maketrans({"−": "-", "‐": "-", "‒": "-", "–": "-"})


@dataclass(frozen=True)
class Finding:
    """Something to report about a cell: a message code and its placeholders."""

    code: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ActualReading:
    """What an actual cell holds: blank, a number, a not-measured mark, or nothing usable."""

    state: str  # "blank", "number", "not_measured", "invalid"
    value: Decimal | None = None
    mark: str = ""
    findings: tuple[Finding, ...] = ()


def shown(raw: object) -> str:
    """A cell value as the person sees it, shortened for a problem line."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        text = repr(raw)
        text = text[:-2] if text.endswith(".0") else text
    elif isinstance(raw, dt.datetime):
        text = raw.strftime("%Y/%m/%d %H:%M") if (raw.hour or raw.minute) else raw.strftime("%Y/%m/%d")
    elif isinstance(raw, dt.time):
        text = raw.strftime("%H:%M")
    else:
        text = str(raw)
    text = text.replace("\r\n", " ").replace("\n", " ")
    return text if len(text) <= SHOWN_LIMIT else text[:SHOWN_LIMIT - 1] + "…"


def to_decimal(number: int | float) -> Decimal:
    """A cell number as the decimal the person typed (repr of a float is its shortest form)."""
    return Decimal(number) if isinstance(number, int) else Decimal(repr(number))


def is_mark(text: str) -> bool:
    return text in _MARKS or unicodedata.normalize("NFKC", text) in _MARKS


def normalised_number(text: str, unit: str) -> Decimal | None:
    """The number in a text such as "１２３", "1,234", " 540 千人", "40%"; None if there is none.

    Only the KPI's own unit may trail the number: "540人" for a 千人 KPI is not a number.
    """
    s = unicodedata.normalize("NFKC", text).translate(_MINUSES)
    s = _SPACES.sub("", s)
    unit = _SPACES.sub("", unicodedata.normalize("NFKC", unit))
    if unit and unit not in _MARKS and s.endswith(unit) and len(s) > len(unit):
        s = s[:-len(unit)]
    if _GROUPED.match(s):
        s = s.replace(",", "")
    if not _NUMBER.match(s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def read_actual(raw: object, kpi: Kpi) -> ActualReading:
    """Interpret an actual cell (実績値) of a KPI."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ActualReading("blank")
    if isinstance(raw, MissingFormulaValue):
        return ActualReading("invalid", findings=(Finding("E306"),))
    if isinstance(raw, CellError):
        return ActualReading("invalid", findings=(Finding("E305"),))
    if isinstance(raw, bool):
        return ActualReading("invalid", findings=(Finding("E301"),))
    if isinstance(raw, (dt.datetime, dt.date, dt.time, dt.timedelta)):
        return ActualReading("invalid", findings=(Finding("E304"),))
    findings: list[Finding] = []
    if isinstance(raw, (int, float)):
        value = to_decimal(raw)
    else:
        text = str(raw).strip()
        if is_mark(text):
            return ActualReading("not_measured", mark=text)
        value = normalised_number(text, kpi.unit)
        if value is None:
            return ActualReading("invalid", findings=(_not_a_number(text, kpi),))
        findings.append(Finding("W301", {"taken": written_text(value)}))
    return _in_range(value, kpi, findings)


_WITH_UNIT = re.compile(r"^([+-]?[0-9][0-9,]*(?:\.[0-9]+)?)([^0-9.,+-]+)\Z")


def _not_a_number(text: str, kpi: Kpi) -> Finding:
    """E311 when the text is a number followed by a unit other than the KPI's ("500人" for
    a 箇所 KPI: which did the clerk count?), else E301."""
    s = _SPACES.sub("", unicodedata.normalize("NFKC", text).translate(_MINUSES))
    m = _WITH_UNIT.match(s)
    if m and normalised_number(m[1], "") is not None:
        return Finding("E311", {"unit": m[2], "expected": kpi.unit or "なし"})
    return Finding("E301")


def percent_shown(raw: object, kpi: Kpi) -> ActualReading:
    """A number stored with a percent format in a % KPI: "40%" typed in Excel or
    LibreOffice is stored as 0.4 and shown as 40 %; the clerk meant 40 (reported W306,
    so nobody is surprised). Anything but a number is read as read_actual reads it."""
    if not isinstance(raw, (int, float)) or isinstance(raw, bool):
        return read_actual(raw, kpi)
    stored = to_decimal(raw)
    if not stored.is_finite():
        return read_actual(raw, kpi)
    value = as_percent(stored)
    return _in_range(value, kpi, [Finding("W306", {"percent": written_text(value)})])


def as_percent(fraction: Decimal) -> Decimal:
    """A fraction as the percentage it shows: 0.4 → 40, 0.255 → 25.5 (no trailing zeros)."""
    value = (fraction * 100).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _in_range(value: Decimal, kpi: Kpi, findings: list[Finding]) -> ActualReading:
    """The number read, unless it is out of what the KPI can hold."""
    if not value.is_finite() or abs(value) >= MAX_ACTUAL:
        return ActualReading("invalid", findings=(Finding("E309", {"limit": "1,000兆"}),))
    if value < 0 and not kpi.allows_negative:
        return ActualReading("invalid", findings=(Finding("E302"),))
    if kpi.is_percent and value > 100:
        return ActualReading("invalid", findings=(Finding("E303"),))
    return ActualReading("number", value=value, findings=tuple(findings))


def looks_like_fraction(value: Decimal, others: list[Decimal]) -> bool:
    """0.4 typed for 40 %: a % value below 1 while the KPI's other values are all above 1."""
    return 0 < value < 1 and bool(others) and all(o > 1 for o in others)


def read_text(raw: object) -> tuple[str, list[Finding]]:
    """A free-text cell as text (numbers and dates as shown); long texts are reported."""
    if raw is None:
        return "", []
    if isinstance(raw, MissingFormulaValue):
        return "", [Finding("E306")]
    if isinstance(raw, CellError):
        return "", [Finding("E305")]
    if isinstance(raw, dt.datetime):
        text = raw.strftime("%Y-%m-%d") if not (raw.hour or raw.minute) else raw.isoformat(" ")
    elif isinstance(raw, float):
        text = shown(raw)
    else:
        text = str(raw)
    text = text.strip()
    if len(text) > TEXT_LIMIT:
        return text, [Finding("W305", {"length": format_number(len(text), 0),
                                       "limit": format_number(TEXT_LIMIT, 0)})]
    return text, []


def read_choice(raw: object, choices: tuple[str, ...], code: str) -> tuple[str, list[Finding]]:
    """A cell that must hold one of `choices` (full-width/half-width and spaces forgiven)."""
    text, findings = read_text(raw)
    if findings or not text:
        return "", [f for f in findings if f.code != "W305"]
    norm = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    for choice in choices:
        if norm == unicodedata.normalize("NFKC", choice):
            return choice, []
    return "", [Finding(code, {"choices": "・".join(choices)})]


# --- plan values printed on the sheet ----------------------------------------------------


def plan_value_text(kpi: Kpi, field_name: str) -> str:
    """The plan value of a KPI field as the template prints it."""
    value = getattr(kpi, field_name)
    if field_name in ("baseline_year", "target_year"):
        return format_fiscal_year(value)
    if field_name in ("baseline", "target"):
        return NO_VALUE if value is None else written_text(value)
    return str(value)


def plan_value_matches(kpi: Kpi, field_name: str, raw: object) -> bool:
    """Whether a plan cell still holds the plan's value (notation differences forgiven)."""
    expected = getattr(kpi, field_name)
    if field_name in ("baseline_year", "target_year"):
        try:
            return parse_fiscal_year(raw if isinstance(raw, (int, str)) else str(raw)) == expected
        except ValueError:
            return False
    if field_name in ("baseline", "target"):
        if expected is None:
            return raw is None or (isinstance(raw, str) and (not raw.strip() or is_mark(raw.strip())))
        if isinstance(raw, bool) or raw is None:
            return False
        if isinstance(raw, (int, float)):
            return to_decimal(raw) == expected
        found = normalised_number(str(raw), kpi.unit)
        return found is not None and found == expected
    if raw is None:
        return not expected
    return _same_text(str(raw), str(expected))


def _same_text(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return _SPACES.sub("", unicodedata.normalize("NFKC", s))

    return norm(a) == norm(b)
