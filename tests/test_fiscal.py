import pytest

from mine_report.common.errors import FiscalYearError
from mine_report.common.fiscal import format_fiscal_year, parse_fiscal_year, short_fiscal_year


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


# --- the --year of every command, and dates -----------------------------------------------


def test_year_option_reads_any_notation_inside_the_plan():
    from mine_report.common.errors import UsageError
    from mine_report.common.fiscal import year_option

    assert year_option("令和５年度", 2020, 2024) == 2023
    with pytest.raises(UsageError) as outside:
        year_option("R9", 2020, 2024)
    assert outside.value.code == "G011" and outside.value.exit_code == 2
    assert "令和9年度" in str(outside.value) and "令和2年度〜令和6年度" in str(outside.value)
    with pytest.raises(UsageError) as unreadable:
        year_option("昭和5年", 2020, 2024)
    assert unreadable.value.code == "G010" and "昭和5年" in str(unreadable.value)


@pytest.mark.parametrize("day, text", [
    ((2024, 7, 1), "令和6年7月1日"), ((2019, 5, 1), "令和元年5月1日"),
    # before 令和 began (2019-05-01) the date is written in 西暦, never as 令和元年
    ((2019, 4, 30), "2019年4月30日"), ((2018, 12, 1), "2018年12月1日"),
])
def test_era_date(day, text):
    import datetime as dt

    from mine_report.common.fiscal import era_date, format_date

    assert era_date(dt.date(*day)) == text
    assert format_date(dt.date(*day)).startswith(text + "（")
