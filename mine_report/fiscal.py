"""Japanese fiscal years (年度): parse every notation people write, format for people.

A fiscal year runs April to March and is named by the calendar year it starts in.
平成 (H) 1 = 1989, H31 = 2019 = 令和元年度 (R1); 令和 (R) n = 2018 + n.
"""

from __future__ import annotations

import re
import unicodedata

from mine_report.errors import FiscalYearError

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
