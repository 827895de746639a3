"""Numbers as the tool writes them: one rule for decimal places, rounding and number text.

Values stay exact everywhere (a Decimal as the person typed it, a Fraction out of grading);
they are rounded only here, when they are shown, and always half away from zero at a fixed
number of places (never float or banker's rounding). So the report, the CSV, the JSON and
the workbooks show the same digits for the same value, and a figure on a band edge prints
as the grade it got.

Two kinds of number text, on purpose:
- `format_number` (and `format_rate`, `format_points`, `format_actual`): a report figure at
  a fixed number of places, thousands grouped: 1,234.50, 76.8%.
- `number_text` (exact, normalised: 12.5) and `written_text` (as typed: 12.50): a value
  quoted back in a message or config, where rounding would misquote it.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - types only (model imports json_number from here)
    from mine_report.plan.model import Kpi

#: What is printed where there is no number (no value, no rate, no mean).
NO_VALUE = "－"
#: Rates (進捗率, 目標達成率) are shown as percentages with this many decimals.
RATE_PLACES = 1
#: Mean points are shown with this many decimals.
POINTS_PLACES = 2
#: Expected values (目安値) in the open data and the workbook: this many decimals.
EXPECTED_PLACES = 2


# --- decimal places ---------------------------------------------------------------------------


def decimal_places(value: Decimal | None) -> int:
    """How many decimals a value is written with (60.0 → 1, 540 → 0, None → 0)."""
    if value is None:
        return 0
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def kpi_places(kpi: Kpi) -> int:
    """The usual precision of a KPI: as many decimals as its plan values are written with."""
    return max(decimal_places(kpi.baseline), decimal_places(kpi.target))


# --- rounding ---------------------------------------------------------------------------------


def _round_half_up(value: Fraction, places: int) -> tuple[int, int]:
    """value rounded half away from zero to `places` decimals, as (sign, scaled integer)."""
    scaled = abs(value) * 10**places
    rounded = int(scaled + Fraction(1, 2))
    return (-1 if value < 0 and rounded else 1), rounded


def round_half_up(value: Fraction | Decimal, places: int) -> Decimal:
    """value rounded exactly, half away from zero, to `places` decimals (as the report shows it)."""
    sign, rounded = _round_half_up(Fraction(value), places)
    return Decimal(sign * rounded).scaleb(-places)


def percent(rate: Fraction | None) -> Decimal | None:
    """A rate as the percentage people read, rounded at RATE_PLACES (0.7684 → 76.8)."""
    return None if rate is None else round_half_up(rate * 100, RATE_PLACES)


# --- report figures ---------------------------------------------------------------------------


def format_number(value: Fraction | Decimal | None, places: int = 2) -> str:
    """A number rounded half-up to `places` decimals, thousands grouped ("1,526.33");
    NO_VALUE for None."""
    if value is None:
        return NO_VALUE
    sign, rounded = _round_half_up(Fraction(value), places)
    whole, part = divmod(rounded, 10**places)
    body = f"{whole:,}" + (f".{part:0{places}d}" if places else "")
    return ("-" if sign < 0 else "") + body


def format_rate(rate: Fraction | None) -> str:
    """A rate as a percentage rounded half-up at RATE_PLACES ("76.8%"); NO_VALUE for None."""
    if rate is None:
        return NO_VALUE
    return format_number(rate * 100, RATE_PLACES) + "%"


def format_points(points: Fraction | None) -> str:
    """Mean points rounded half-up at POINTS_PLACES ("3.25"); NO_VALUE for None."""
    return format_number(points, POINTS_PLACES)


def format_actual(value: Decimal | None, places: int) -> str:
    """An actual at the KPI's precision, or more decimals if the department wrote more
    (a report must not round away what was reported)."""
    if value is None:
        return NO_VALUE
    return format_number(value, max(places, decimal_places(value)))


def excel_format(places: int, *, grouped: bool = True, percent: bool = False) -> str:
    """The Excel number format that shows `places` decimals ("#,##0.00", "0.0%")."""
    whole = "#,##0" if grouped else "0"
    return whole + ("." + "0" * places if places else "") + ("%" if percent else "")


# --- values quoted back -----------------------------------------------------------------------


def number_text(value: Fraction | Decimal | int) -> str:
    """An exact number as plain decimal text: 4, 3.5, 12.5 (up to 6 decimals, then rounded)."""
    value = Fraction(value)
    sign = "-" if value < 0 else ""
    value = abs(value)
    whole, rest = divmod(value.numerator, value.denominator)
    if rest == 0:
        return f"{sign}{whole}"
    # Exact digits while the expansion ends within 6 places; else round half-up there.
    digits = int(value * 10**6 + Fraction(1, 2))
    body = f"{digits // 10**6}.{digits % 10**6:06d}".rstrip("0").rstrip(".")
    return f"{sign}{body}"


def percent_text(rate: Fraction) -> str:
    """A rate as a percentage number without the sign: Fraction(4, 5) → "80"."""
    return number_text(rate * 100)


def pct(rate: Fraction) -> str:
    """A rate as a percentage with its sign: Fraction(4, 5) → "80%"."""
    return f"{percent_text(rate)}%"


def written_text(value: Decimal) -> str:
    """A Decimal as the person wrote it: 540, 18.50 (no exponent, no digits added or dropped)."""
    return str(json_number(value)) if value == value.to_integral_value() else format(value, "f")


def json_number(value: object) -> int | float:
    """JSON form of a Decimal: an int when written without decimals, else a float."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and value.as_tuple().exponent >= 0:
            return int(value)
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
