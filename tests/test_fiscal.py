import pytest

from mine_report.errors import FiscalYearError
from mine_report.fiscal import format_fiscal_year, parse_fiscal_year, short_fiscal_year


@pytest.mark.parametrize("text, year", [
    ("R5", 2023), ("R05", 2023), ("r5", 2023), ("令和5年度", 2023), ("令和５年度", 2023),
    ("令和元年度", 2019), ("R1", 2019), ("H30", 2018), ("H31", 2019), ("平成30年度", 2018),
    ("平成元年度", 1989), ("2023", 2023), ("２０２３", 2023), ("2023年度", 2023), (" R6 ", 2024),
    ("Ｒ６", 2024), (2022, 2022), ("令和 5 年度", 2023),
])
def test_parse(text, year):
    assert parse_fiscal_year(text) == year


@pytest.mark.parametrize("text", [
    "", "R", "令和", "H32", "平成32年度", "R0", "昭和60年", "5", "20233", "1900", "abc", "R5.1", True, None,
])
def test_parse_errors(text):
    with pytest.raises(FiscalYearError) as info:
        parse_fiscal_year(text)
    assert str(info.value)  # a Japanese message, never empty


@pytest.mark.parametrize("year, text, short", [
    (2023, "令和5年度", "R5"), (2019, "令和元年度", "R1"), (2018, "平成30年度", "H30"), (2024, "令和6年度", "R6"),
])
def test_format(year, text, short):
    assert format_fiscal_year(year) == text
    assert short_fiscal_year(year) == short
    assert parse_fiscal_year(text) == year
