"""kpi_merged.xlsx: the planning division's merged workbook (xlsxwriter).

Every number is written as a number, every department text as a string (never a
formula), and nothing here computes a rate or a grade: it all comes from the Evaluation.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import xlsxwriter

from mine_report.common.fileio import build_timestamp
from mine_report.common.fiscal import format_fiscal_year
from mine_report.common.numbers import POINTS_PLACES, RATE_PLACES, decimal_places, excel_format
from mine_report.grading.grade import Evaluation, KpiResult, Rollup
from mine_report.grading.merge import Merged
from mine_report.grading.schemes import tint
from mine_report.plan.model import DIRECTION_LABELS

XLSX_NAME = "kpi_merged.xlsx"

#: Chart patterns for the second grade on (the best grade is solid) and for the ungraded
#: mark, so the bars can be told apart in black-and-white print.
_PATTERNS = ("light_upward_diagonal", "light_vertical", "percent_20", "dark_downward_diagonal",
             "light_grid", "wide_upward_diagonal")
_UNGRADED_PATTERN = "light_horizontal"


class _Book:
    """The workbook with its shared formats."""

    def __init__(self, path: Path, merged: Merged, evaluation: Evaluation):
        self.wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                                  "strings_to_urls": False,
                                                  "strings_to_numbers": False})
        self.wb.set_properties({
            "title": f"{merged.plan.title} {format_fiscal_year(evaluation.year)} KPI評価結果",
            "author": merged.plan.municipality,
            "company": merged.plan.municipality,
            "created": build_timestamp().replace(tzinfo=None),
        })
        self.merged = merged
        self.evaluation = evaluation
        f = self.wb.add_format
        self.title = f({"bold": True, "font_size": 13})
        self.head = f({"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True,
                       "valign": "vcenter", "align": "center"})
        self.text = f({"text_wrap": True, "valign": "top", "border": 1})
        self.center = f({"align": "center", "valign": "top", "border": 1})
        self.int = f({"num_format": excel_format(0), "valign": "top", "border": 1})
        self.dec = {n: f({"num_format": excel_format(n), "valign": "top", "border": 1})
                    for n in (1, 2, 3)}
        self.pct = f({"num_format": excel_format(RATE_PLACES, grouped=False, percent=True),
                      "valign": "top", "border": 1})
        self.points = f({"num_format": excel_format(POINTS_PLACES, grouped=False),
                         "valign": "top", "border": 1})
        scheme = evaluation.scheme
        #: Light tints of the scheme's colours: the letter is always printed, colour only adds.
        self.fills = {g.key: tint(g.colour) for g in (*scheme.grades, scheme.ungraded)}
        self.grade_fmt = {g: f({"bg_color": c, "bold": True}) for g, c in self.fills.items()}
        suffix = "【暫定版】" if merged.draft else ""
        suffix += "（サンプルデータ：架空の値）" if merged.sample else ""
        self.suffix = suffix

    def sheet(self, name: str, title: str, headers: list[tuple[str, float]]):
        """A sheet with a title line, a header row (row 3), frozen headers, A4 print set-up."""
        ws = self.wb.add_worksheet(name)
        ws.write_string(0, 0, f"{format_fiscal_year(self.evaluation.year)} {title}{self.suffix}",
                        self.title)
        for col, (label, width) in enumerate(headers):
            ws.write_string(2, col, label, self.head)
            ws.set_column(col, col, width)
        ws.set_row(2, 32)
        ws.freeze_panes(3, 0)
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(2)
        ws.set_footer("&L&A&R&P / &N")
        if self.merged.draft:
            ws.set_header("&C暫定版")
        return ws

    def number(self, ws, row: int, col: int, value: Decimal | Fraction | None) -> None:
        if value is None:
            ws.write_blank(row, col, None, self.int)
            return
        if isinstance(value, Fraction):
            ws.write_number(row, col, float(value), self.dec[2] if value.denominator != 1 else self.int)
            return
        places = decimal_places(value)
        ws.write_number(row, col, float(value), self.dec[min(places, 3)] if places else self.int)

    def rate(self, ws, row: int, col: int, value: Fraction | None) -> None:
        if value is None:
            ws.write_blank(row, col, None, self.pct)
        else:
            ws.write_number(row, col, float(value), self.pct)

    def string(self, ws, row: int, col: int, value: str, fmt=None) -> None:
        # write_string: department text such as "=HYPERLINK(…)" stays text.
        ws.write_string(row, col, value or "", fmt or self.text)

    def grades(self, ws, first_row: int, last_row: int, col: int) -> None:
        if last_row < first_row:
            return
        for g in self.fills:
            ws.conditional_format(first_row, col, last_row, col, {
                "type": "cell", "criteria": "==", "value": f'"{g}"', "format": self.grade_fmt[g]})

    def finish(self, ws, last_row: int, last_col: int) -> None:
        ws.autofilter(2, 0, max(last_row, 2), last_col)


def write_merged_xlsx(path: Path, merged: Merged, evaluation: Evaluation) -> None:
    """Write the merged workbook to path (the caller handles the atomic rename)."""
    book = _Book(path, merged, evaluation)
    _summary(book)
    _kpi_list(book)
    _goals(book)
    _initiatives(book)
    _comments(book)
    _submissions(book)
    _inputs(book)
    if merged.left_out:
        _left_out(book)
    book.wb.close()


def _summary(book: _Book) -> None:
    plan, ev = book.merged.plan, book.evaluation
    keys = ev.scheme.count_keys
    headers = [(plan.strategy_level, 8), ("名称", 50), *[(g, 7) for g in keys], ("評価数", 8),
               ("平均点", 8), ("総合評価", 9)]
    ws = book.sheet("総括", "KPI評価の総括", headers)
    rows: list[tuple[str, str, Rollup]] = [
        (s.id, s.title, ev.strategies[s.id]) for s in plan.strategies]
    rows.append(("合計", "全KPI", ev.total))
    for i, (sid, title, r) in enumerate(rows):
        row = 3 + i
        book.string(ws, row, 0, sid, book.center)
        book.string(ws, row, 1, title)
        for j, g in enumerate(keys):
            ws.write_number(row, 2 + j, r.counts[g], book.int)
        after = 2 + len(keys)
        ws.write_number(row, after, r.graded, book.int)
        if r.mean_points is None:
            ws.write_blank(row, after + 1, None, book.points)
        else:
            ws.write_number(row, after + 1, float(r.mean_points), book.points)
        book.string(ws, row, after + 2, r.grade, book.center)
    last = 3 + len(rows) - 1
    book.grades(ws, 3, last, 2 + len(keys) + 2)
    note = last + 2
    ws.write_string(note, 0, "評価の基準", book.title)
    for k, line in enumerate(ev.rules.describe(plan.rollup_levels)):
        ws.write_string(note + 1 + k, 0, line)
    chart = book.wb.add_chart({"type": "bar", "subtype": "stacked"})
    # Patterns as well as colours, so the bars can be told apart in black-and-white print.
    patterns = dict(zip(ev.scheme.keys[1:], _PATTERNS, strict=False))
    patterns[ev.scheme.ungraded.key] = _UNGRADED_PATTERN
    for j, g in enumerate(keys):
        series = {
            "name": g,
            # strategies only: the total's bar would dwarf them
            "categories": ["総括", 3, 1, last - 1, 1],
            "values": ["総括", 3, 2 + j, last - 1, 2 + j],
            "border": {"color": "#404040"},
            "data_labels": {"value": True, "num_format": "0;;;"},
        }
        if g in patterns:
            series["pattern"] = {"pattern": patterns[g], "fg_color": "#404040",
                                 "bg_color": book.fills[g]}
        else:
            series["fill"] = {"color": book.fills[g]}
        chart.add_series(series)
    chart.set_title({"name": f"{plan.strategy_level}別の評価の内訳（KPI数）"})
    chart.set_y_axis({"reverse": True, "num_font": {"size": 8}})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 720, "height": 320})
    ws.insert_chart(note + len(ev.rules.describe(plan.rollup_levels)) + 2, 0, chart)


def _kpi_columns(book: _Book) -> list[tuple[str, float]]:
    years = [y for y in book.merged.plan.years if y <= book.evaluation.year]
    plan = book.merged.plan
    # one column for the top level and one for the level right above the measure (its id
    # carries the levels between, as every id extends its parent's); a plan without a
    # middle level keeps the column (blank), so the columns never move
    above = plan.middle_levels[-1] if plan.middle_levels else "－"
    # a plan whose sheet unit is above the deepest level adds one column: the item below
    # it that holds the KPI (its id carries the levels between)
    below = [("・".join(plan.sub_levels), 24)] if plan.sub_levels else []
    return [(plan.strategy_level, 6), (above, 6), (plan.measure_label, 7),
            (f"{plan.measure_label}名", 24), *below, ("KPI番号", 9),
            ("指標名", 30), ("単位", 7), ("方向", 6), ("累計", 6), ("基準値", 10),
            ("基準年度", 11), ("目標値", 10), ("目標年度", 11),
            *[(f"{format_fiscal_year(y)}\n実績値", 11) for y in years],
            ("目安値", 10), ("進捗率", 9), ("目標達成率", 9), ("評価", 6), ("前年度の評価", 8),
            ("評価なしの理由", 22), ("担当課", 14), ("入力ファイル", 22), ("シート", 8), ("セル", 7)]


def _kpi_rows(book: _Book, ws, results: list[KpiResult], department_of, with_parents: bool) -> int:
    plan, ev = book.merged.plan, book.evaluation
    years = [y for y in plan.years if y <= ev.year]
    row = 3
    # The grade columns follow the year columns (known even when there are no rows,
    # e.g. a plan without goal indicators).
    first = 5 if plan.sub_levels else 4  # the KPI number's column
    grade_col = first + 9 + len(years) + 3
    for r in results:
        k, g = r.kpi, r.current
        if with_parents:
            strategy, *middle = plan.ancestors(r.measure_id)
            measure = plan.measure(r.measure_id)
            cells = [strategy.id, middle[-1].id if middle else "", measure.id,
                     measure.title]
            if plan.sub_levels:
                chain = measure.item_chain(k.id)
                cells.append(f"{chain[-1].id}　{chain[-1].title}" if chain else "")
        else:
            sid = k.id[1:].split("-")[0]
            cells = [sid, "", "", "目標指標", *([""] if plan.sub_levels else [])]
        for col, value in enumerate(cells):
            book.string(ws, row, col, value, book.center if col < 3 else None)
        book.string(ws, row, first + 0, k.id, book.center)
        book.string(ws, row, first + 1, k.name)
        book.string(ws, row, first + 2, k.unit, book.center)
        book.string(ws, row, first + 3, DIRECTION_LABELS[k.direction], book.center)
        book.string(ws, row, first + 4, "累計" if k.cumulative else "", book.center)
        book.number(ws, row, first + 5, k.baseline)
        book.string(ws, row, first + 6, format_fiscal_year(k.baseline_year), book.center)
        book.number(ws, row, first + 7, k.target)
        book.string(ws, row, first + 8, format_fiscal_year(k.target_year), book.center)
        col = first + 9
        for y in years:
            h = r.by_year.get(y)
            book.number(ws, row, col, h.actual if h else None)
            col += 1
        book.number(ws, row, col, g.expected)
        book.rate(ws, row, col + 1, g.progress_rate)
        book.rate(ws, row, col + 2, g.final_rate)
        book.string(ws, row, col + 3, g.grade, book.center)
        prev = r.previous
        book.string(ws, row, col + 4, prev.grade if prev else "", book.center)
        book.string(ws, row, col + 5, g.reason)
        book.string(ws, row, col + 6, department_of(r))
        src = g.actual_source
        book.string(ws, row, col + 7, Path(src.file).name if src else "")
        book.string(ws, row, col + 8, src.sheet if src else "", book.center)
        book.string(ws, row, col + 9, src.cell if src else "", book.center)
        row += 1
    book.grades(ws, 3, row - 1, grade_col)
    book.grades(ws, 3, row - 1, grade_col + 1)
    return row - 1


def _kpi_list(book: _Book) -> None:
    headers = _kpi_columns(book)
    ws = book.sheet("KPI一覧", "KPI一覧（重要業績評価指標）", headers)
    measures = book.merged.measures
    last = _kpi_rows(book, ws, list(book.evaluation.kpis.values()),
                     lambda r: measures[r.measure_id].department, with_parents=True)
    book.finish(ws, last, len(headers) - 1)
    ws.freeze_panes(3, 6)


def _goals(book: _Book) -> None:
    headers = _kpi_columns(book)
    ws = book.sheet("目標指標", "目標指標（基本目標の数値目標）", headers)
    last = _kpi_rows(book, ws, list(book.evaluation.goals.values()),
                     lambda r: book.merged.goal_department, with_parents=False)
    book.finish(ws, last, len(headers) - 1)


def _initiatives(book: _Book) -> None:
    headers = [("施策", 7), ("取組番号", 10), ("取組名", 36), ("工程（令和2〜6年度）", 36),
               ("実施状況", 10), ("取組内容・実績", 50), ("担当課", 14)]
    ws = book.sheet("取組状況", "具体的な取組の実施状況", headers)
    row = 3
    for mm in book.merged.measures.values():
        reports = {i.initiative_id: i for i in (mm.report.initiatives if mm.report else ())}
        for ini in mm.measure.initiatives:
            rep = reports.get(ini.id)
            values = [mm.measure.id, ini.id, ini.title, ini.schedule,
                      rep.status if rep else ("未提出" if not mm.submitted else ""),
                      rep.text if rep else "", mm.department]
            for col, v in enumerate(values):
                book.string(ws, row, col, v, book.center if col in (0, 1, 4) else None)
            row += 1
    book.finish(ws, row - 1, len(headers) - 1)


def _comments(book: _Book) -> None:
    headers = [("施策", 7), ("施策名", 28), ("担当課", 14), ("施策の評価", 8),
               ("取組実績・成果", 50), ("課題", 40), ("今後の方向性", 9), ("今後の方向性（記述）", 40)]
    ws = book.sheet("コメント", "施策ごとの取組実績・課題・今後の方向性", headers)
    row = 3
    for mid, mm in book.merged.measures.items():
        rep = mm.report
        values = [mid, mm.measure.title, mm.department, book.evaluation.measures[mid].grade,
                  rep.achievements if rep else "", rep.issues if rep else "",
                  rep.outlook if rep else "", rep.outlook_text if rep else ""]
        for col, v in enumerate(values):
            book.string(ws, row, col, v, book.center if col in (0, 3, 6) else None)
        row += 1
    book.grades(ws, 3, row - 1, 3)
    book.finish(ws, row - 1, len(headers) - 1)


def _submissions(book: _Book) -> None:
    headers = [("施策", 7), ("施策名", 36), ("状況", 8), ("担当課", 16), ("入力ファイル", 30),
               ("KPI数", 7)]
    ws = book.sheet("提出状況", "施策ごとの提出状況", headers)
    row = 3
    for mid, mm in book.merged.measures.items():
        book.string(ws, row, 0, mid, book.center)
        book.string(ws, row, 1, mm.measure.title)
        book.string(ws, row, 2, "提出済" if mm.submitted else "未提出", book.center)
        # A missing measure shows who owes it (the plan's 担当課), so it can be chased.
        book.string(ws, row, 3, mm.department or mm.measure.department)
        book.string(ws, row, 4, mm.file)
        ws.write_number(row, 5, len(mm.measure.kpis), book.int)
        row += 1
    book.finish(ws, row - 1, len(headers) - 1)


def _inputs(book: _Book) -> None:
    headers = [("入力ファイル", 30), ("担当課", 16), ("担当者", 12), ("SHA-256", 66),
               ("施策", 24), ("コード", 7), ("シート", 8), ("セル", 7), ("KPI", 9), ("警告", 60)]
    ws = book.sheet("入力ファイル", "入力ファイルと点検結果（警告）", headers)
    row = 3
    for f in book.merged.inputs:
        base = [f.name, f.department, f.submitter, f.sha256, "、".join(f.measure_ids)]
        for w in f.warnings or (None,):
            extra = [w.code, w.sheet, w.cell, w.kpi, w.message] if w else ["", "", "", "", ""]
            for col, v in enumerate(base + extra):
                book.string(ws, row, col, v)
            row += 1
    book.finish(ws, row - 1, len(headers) - 1)


def _left_out(book: _Book) -> None:
    headers = [("除外した対象", 30), ("理由", 80)]
    ws = book.sheet("除外した内容", "暫定版で除外した内容", headers)
    for i, (what, why) in enumerate(book.merged.left_out):
        book.string(ws, 3 + i, 0, what)
        book.string(ws, 3 + i, 1, why)
