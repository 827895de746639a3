"""Japanese fiscal years (年度): parse every notation people write, format for people.

A fiscal year runs April to March and is named by the calendar year it starts in.
平成 (H) 1 = 1989, H31 = 2019 = 令和元年度 (R1); 令和 (R) n = 2018 + n.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from mine_report.common.errors import FiscalYearError, UsageError

REIWA_OFFSET = 2018
HEISEI_OFFSET = 1988
HEISEI_LAST = 31
MIN_YEAR = 1989
MAX_YEAR = 2100

_ERA = re.compile(r"^(?P<era>R|令和|H|平成)(?P<n>元|\d{1,2})(?:年度|年)?$", re.IGNORECASE)
_WESTERN = re.compile(r"^(?:FY)?(?P<year>\d{4})(?:年度|年)?$", re.IGNORECASE)


def parse_fiscal_year(text: object) -> int:
    """Return the Western fiscal year for R5, R05, 令和5年度, 令和５年度, 令和元年度, H30,
    平成30年度, 2023 or ２０２３; raise FiscalYearError for anything else."""
    if isinstance(text, bool):
        raise FiscalYearError(f"年度として読めません: {text!r}")
    if isinstance(text, int):
        return _checked(text, str(text))
    raw = str(text)
    norm = unicodedata.normalize("NFKC", raw).strip().replace(" ", "")
    if not norm:
        raise FiscalYearError("年度が空です")
    m = _WESTERN.match(norm)
    if m:
        return _checked(int(m["year"]), raw)
    m = _ERA.match(norm)
    if not m:
        raise FiscalYearError(
            f"年度として読めません: 「{raw}」(例: 令和5年度、R5、2023)"
        )
    n = 1 if m["n"] == "元" else int(m["n"])
    era = m["era"].upper()
    if n < 1:
        raise FiscalYearError(f"年度として読めません: 「{raw}」(元年は 1 です)")
    if era in ("H", "平成"):
        if n > HEISEI_LAST:
            raise FiscalYearError(f"平成は31年度までです: 「{raw}」")
        return _checked(HEISEI_OFFSET + n, raw)
    return _checked(REIWA_OFFSET + n, raw)


def _checked(year: int, raw: str) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise FiscalYearError(f"年度が範囲外です: 「{raw}」({MIN_YEAR}〜{MAX_YEAR})")
    return year


def year_option(text: str, start: int, end: int) -> int:
    """A command's --year, in any notation parse_fiscal_year reads, inside the plan period
    start–end: every command reads its year here, so the same mistake gets the same code
    (G010 unreadable, G011 outside the plan; UsageError, exit 2)."""
    try:
        year = parse_fiscal_year(text)
    except FiscalYearError as exc:
        raise UsageError.of("G010", value=text, reason=exc.message) from None
    check_plan_year(year, start, end)
    return year


def check_plan_year(year: int, start: int, end: int) -> None:
    """Raise UsageError G011 when `year` is outside the plan period start–end."""
    if not start <= year <= end:
        raise UsageError.of("G011", year=format_fiscal_year(year),
                            start=format_fiscal_year(start), end=format_fiscal_year(end))


def format_fiscal_year(year: int) -> str:
    """令和5年度 for 2023, 令和元年度 for 2019, 平成30年度 for 2018."""
    if year > REIWA_OFFSET:
        n = year - REIWA_OFFSET
        return f"令和{'元' if n == 1 else n}年度"
    if year > HEISEI_OFFSET:
        n = year - HEISEI_OFFSET
        return f"平成{'元' if n == 1 else n}年度"
    return f"{year}年度"


def short_fiscal_year(year: int) -> str:
    """R5 for 2023, H30 for 2018: the compact form used in table headers."""
    if year > REIWA_OFFSET:
        return f"R{year - REIWA_OFFSET}"
    return f"H{year - HEISEI_OFFSET}"


_WEEKDAYS = "月火水木金土日"
REIWA_START = dt.date(2019, 5, 1)
_DATE = re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$")
_ERA_DATE = re.compile(r"^(?P<era>R|令和)(?P<n>元|\d{1,2})[年.](?P<m>\d{1,2})[月.](?P<d>\d{1,2})日?$",
                       re.IGNORECASE)


def parse_date(text: str) -> dt.date:
    """A calendar date as people type it: 2024-05-17, 2024/5/17, 令和6年5月17日, R6.5.17
    (full-width digits too); raise FiscalYearError for anything else."""
    norm = unicodedata.normalize("NFKC", str(text)).strip().replace(" ", "")
    m = _DATE.match(norm)
    year = int(m["y"]) if m else 0
    if not m:
        m = _ERA_DATE.match(norm)
        if m:
            year = REIWA_OFFSET + (1 if m["n"] == "元" else int(m["n"]))
    if m:
        try:
            return dt.date(year, int(m["m"]), int(m["d"]))
        except ValueError:
            pass
    raise FiscalYearError(f"日付として読めません: 「{text}」(例: 2024-05-17、令和6年5月17日)")


def era_date(day: dt.date) -> str:
    """令和6年7月1日 for 2024-07-01 (令和元年 from 2019-05-01; earlier dates in 西暦):
    a date as the report prints it."""
    if day >= REIWA_START:
        n = day.year - REIWA_OFFSET
        era = f"令和{'元' if n == 1 else n}年"
    else:
        era = f"{day.year}年"
    return f"{era}{day.month}月{day.day}日"


def format_date(day: dt.date) -> str:
    """令和6年5月17日（金） for 2024-05-17: a date as letters and notices print it, with
    its weekday."""
    return f"{era_date(day)}（{_WEEKDAYS[day.weekday()]}）"
