"""The two front sheets of the standard workbook: 記入要領 (how to fill it) and 提出者情報."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from mine_report.common.fiscal import format_date, format_fiscal_year
from mine_report.plan.model import Measure, Plan
from mine_report.workbook.checks import (
    ALL_CLEAR,
    MARK,
    REMINDER_MARK,
    mark_status,
    short_status_formula,
)
from mine_report.workbook.layout import (
    GOALS_SHEET,
    GUIDE_SHEET,
    OUTLOOKS,
    STATUSES,
    SUBMITTER_FIELDS,
    SUBMITTER_SHEET,
    SheetMap,
)
from mine_report.workbook.styles import (
    CURRENT_FILL,
    INPUT_FILL,
    LATER_FILL,
    PREFILLED_FILL,
    Styles,
    absolute,
    cell,
    protect,
    row_height,
    set_print,
    split_cell,
)

SAMPLE_NOTICE = "サンプルデータ（架空の値）"
SAMPLE_EXPLANATION = ("このファイルは操作説明・試験用に作った架空の値です。"
                      "実際の実績ではありません。報告書などに引用しないでください。")

GUIDE_WIDTHS = (2, 24, 96, 22)

STATUS_MEANINGS = {
    "実施済み": "予定していた取組を完了した",
    "実施中": "継続して実施している（計画どおり進んでいる）",
    "一部実施": "予定の一部だけを実施した",
    "未着手": "まだ始めていない",
    "中止": "取りやめた（理由を取組内容・実績に記入）",
}
OUTLOOK_MEANINGS = {
    "拡充": "事業を広げる・強化する",
    "継続": "今の内容で続ける",
    "見直し": "内容や手法を改める",
    "縮小": "規模を小さくする",
    "廃止": "やめる",
}


def guide_items(year: int | None) -> list[tuple[str, str]]:
    """The numbered instructions of 記入要領 as (heading, explanation)."""
    year_text = format_fiscal_year(year) if year else "報告する年度"
    return [
        ("1. 記入するセル",
         "施策番号（1-1-1 など）のシートごとに、黄色のセルだけに記入します。"
         "色の付いていないセル（計画の値）は変更できません。"
         f"濃い黄色の列が今回記入する {year_text} の実績値です。"
         "灰色の列はまだ記入しない年度、緑色のセルは前回までに報告済みの値です。"),
        ("2. 実績値の書き方",
         "半角の数字だけを入力してください（例: 540、18.5）。"
         "単位（人、千円、% など）や桁区切りのカンマは不要です。"
         "% の指標は 40% なら「40」と入力します（0.4 ではありません）。"
         "累計の指標（累計欄が ○）は、その年度末時点の累計値を入力します。"
         "セルを選ぶと指標名と単位が表示されます。"),
        ("3. 値が分からないとき",
         "調査が未実施などで値が分からないときは「未把握」と入力し、"
         "理由を同じ行の備考欄に記入してください（例: 調査は隔年実施のため）。"
         "集計が終わっていないときは「集計中」と入力します。空欄のままにしないでください。"),
        ("4. 実施状況",
         "具体的な取組ごとに、一覧から選びます: "
         + "／".join(f"{s}（{STATUS_MEANINGS[s]}）" for s in STATUSES)
         + f"。取組内容・実績の欄には {year_text} に行ったことを具体的に記入します。"),
        ("5. 施策の評価",
         "「取組実績・成果」に今年度の取組と成果を、「課題」に目標達成に向けた課題を記入します。"
         "「今後の方向性」は一覧から選び（"
         + "／".join(f"{o}: {OUTLOOK_MEANINGS[o]}" for o in OUTLOOKS)
         + "）、その内容を下の欄に記入します。"),
        ("6. してはいけないこと",
         "行や列の挿入・削除、シート名の変更、シートのコピー・削除、セルの結合、"
         "計画の値の書き換えはしないでください。シートの保護は解除しないでください"
         "（パスワードは設定していません）。行の高さや列の幅は変えて構いません。"),
        ("7. 提出前チェック",
         "入力に問題があるとセルが赤くなり、右端の「チェック」列に × と内容（例: 令和5年度: 数値でない）が出ます。"
         "各シートの上部と、このシートの「提出前チェック」に残りの件数が出ます。"
         "すべて「問題なし」（担当していない施策は「未記入」）になってから提出してください。"),
        ("8. 提出",
         f"「{SUBMITTER_SHEET}」シートに担当課・担当者・連絡先・提出日を記入し、"
         "提出期限までに問い合わせ先へ電子メールで提出してください。"
         f"「{GOALS_SHEET}」シートは企画政策課が記入します。"),
    ]


def write_notice(ws: Worksheet, st: Styles, row: int, last_col: int) -> None:
    """The visible sample-data notice (invented values must never pass for real ones)."""
    ws.merge_range(row, 0, row, last_col, SAMPLE_NOTICE, st.notice)
    ws.set_row(row, 30)
    ws.merge_range(row + 1, 0, row + 1, last_col, SAMPLE_EXPLANATION, st.hint)


def write_guide_sheet(wb: Workbook, st: Styles, plan: Plan, measures: Sequence[Measure], *,
                      year: int | None, contact: str, sample: bool,
                      deadline: dt.date | None = None,
                      goals: bool = True) -> tuple[Worksheet, int]:
    """記入要領: instructions, colour legend, deadline (printed when given, else an input
    cell), contact, and room for the 提出前チェック list (written by write_check_summary
    once the sheets exist; with 目標指標 when the workbook has that sheet).

    Returns the sheet and the first row of that room.
    """
    ws = wb.add_worksheet(GUIDE_SHEET)
    for col, width in enumerate(GUIDE_WIDTHS):
        ws.set_column(col, col, width)
    ws.set_column(4, 6, 6, None, {"hidden": True})  # the summary's numbers
    last = len(GUIDE_WIDTHS) - 1
    ws.merge_range(0, 0, 0, last, f"{plan.title}　KPI 実績報告シート　記入要領", st.title)
    ws.set_row(0, 28)
    row = 1
    if sample:
        write_notice(ws, st, row, last)
        row += 2
    row += 1
    if year is not None:
        target = f"{format_fiscal_year(year)}（{year}年4月〜{year + 1}年3月）の実績"
    else:
        target = "各年度の実績（年度の指定なし）"
    info = (("対象年度", target), ("提出期限", format_date(deadline) if deadline else None),
            ("問い合わせ先", contact))
    for label, value in info:
        ws.write_string(row, 1, label, st.label)
        if value is None:
            # Filled by the planning division before the workbook is sent out.
            ws.write_blank(row, 2, None, st.input_date)
        else:
            ws.write_string(row, 2, value, st.plan_text)
        row += 1

    row += 1
    summary_row = row
    row += summary_rows(measures, goals) + 1
    ws.merge_range(row, 1, row, 2, "セルの色", st.section)
    row += 1
    # Locked look-alikes of the real cells: the legend itself is not an input.
    legend = (
        (INPUT_FILL, "記入", "記入するセル（この色のセルだけ入力できます）"),
        (CURRENT_FILL, "今回記入", "今回記入する年度の実績値"),
        (None, "計画", "計画の値・見出し（変更できません）"),
        (PREFILLED_FILL, "報告済み", "前回までに報告済みの実績値（変更できません）"),
        (LATER_FILL, "記入不要", "まだ記入しない年度（変更できません）"),
    )
    for fill, sample_text, meaning in legend:
        props = {"bg_color": fill} if fill else {}
        ws.write_string(row, 1, sample_text, st.make(border=1, align="center", **props))
        ws.write_string(row, 2, meaning, st.plan_text)
        row += 1

    row += 1
    ws.merge_range(row, 1, row, 2, "記入のしかた", st.section)
    row += 1
    for heading, explanation in guide_items(year):
        ws.write_string(row, 1, heading, st.label)
        ws.write_string(row, 2, explanation, st.plan_text)
        ws.set_row(row, row_height([(explanation, GUIDE_WIDTHS[2])]))
        row += 1

    set_print(ws)
    protect(ws)
    ws.activate()
    return ws, summary_row


def summary_rows(measures: Sequence[Measure], goals: bool = True) -> int:
    """Rows of the 提出前チェック list: heading, total, 提出者情報, 目標指標 (when the
    workbook has that sheet), one per measure."""
    return 3 + (1 if goals else 0) + len(measures)


def write_check_summary(wb: Workbook, ws: Worksheet, st: Styles, row: int,
                        sheets: Sequence[SheetMap], measures: Sequence[Measure], *,
                        department_cell: str, department: str, goals: bool = True) -> None:
    """提出前チェック on the front sheet: every sheet with its link and its status
    (あと N 件 / 問題なし / 未記入), and the total, all computed by formulas from each
    measure sheet's recorded check cells. Hidden columns E, F and G hold each row's count,
    whether it has input and its blanks (reminders, never counted as problems)."""
    ws.merge_range(row, 1, row, 3, "提出前チェック（提出する前に、すべて「問題なし」か確認してください）",
                   st.section)
    total_row = row + 1
    first = row + 2  # the 提出者情報 row, then 目標指標 (if any), then the measures
    first_measure = first + (2 if goals else 1)
    last = first_measure - 1 + len(sheets)
    counts, inputs = f"$E${first + 1}:$E${last + 1}", f"$F${first + 1}:$F${last + 1}"
    blanks = f"$G${first + 1}:$G${last + 1}"
    ws.write_string(total_row, 1, "全体", st.label)
    ws.merge_range(total_row, 2, total_row, 3, "", st.status)
    ws.write_formula(total_row, 2, (
        f'=IF(SUM({inputs})=0,"まだ何も記入されていません",IF(SUM({counts})=0,'
        f'IF(SUM({blanks})=0,"{ALL_CLEAR}（このまま提出できます）","{ALL_CLEAR}（空欄 "&SUM({blanks})&'
        f'" 箇所: 各シートの「チェック」列の {REMINDER_MARK} が記入漏れでないか確認）"),'
        f'"{MARK} あと "&SUM({counts})&" 件（"&'
        f'COUNTIF({counts},">0")&" シート）: シート名を押すと、そのシートに移動します"))'),
        st.status, "")
    mark_status(ws, total_row, 2, 3, f"SUM({counts})", f"IF(SUM({inputs})>0,1,0)", st)

    # 提出者情報: 担当課 is required (W203) once anything is entered, unless the template
    # already names the department.
    ws.write_url(first, 1, f"internal:'{SUBMITTER_SHEET}'!A1", string=SUBMITTER_SHEET)
    ws.write_string(first, 2, "担当課・担当者・連絡先・提出日", st.plan_text)
    submitter_ref = f"'{SUBMITTER_SHEET}'!{department_cell}"
    if department:
        ws.write_number(first, 4, 0)
    else:
        ws.write_formula(first, 4, f'=IF(AND(SUM({inputs})>0,LEN(TRIM({submitter_ref}))=0),1,0)',
                         None, "")
    ws.write_number(first, 5, 0)
    ws.write_formula(first, 3, f'=IF(E{first + 1}>0,"{MARK} 担当課が未記入",'
                               f'IF(SUM({inputs})>0,"{ALL_CLEAR}",""))', st.plan_text, "")
    ws.conditional_format(first, 3, first, 3, {
        "type": "formula", "criteria": f"=E{first + 1}>0", "format": st.open_items})
    if goals:
        ws.write_url(first + 1, 1, f"internal:'{GOALS_SHEET}'!A1", string=GOALS_SHEET)
        ws.write_string(first + 1, 2, "目標指標（基本目標の数値目標）: 企画政策課が記入",
                        st.plan_text)
        ws.write_number(first + 1, 4, 0)
        ws.write_number(first + 1, 5, 0)
    titles = {m.id: m.title for m in measures}
    for n, smap in enumerate(sheets):
        r = first_measure + n
        ref = f"'{smap.sheet}'!"
        ws.write_url(r, 1, f"internal:{ref}{smap.check_status_cell}", string=smap.sheet)
        ws.write_string(r, 2, titles.get(smap.measure_id, ""), st.plan_text)
        ws.write_formula(r, 4, f"={ref}{absolute(smap.check_count_cell)}", None, "")
        ws.write_formula(r, 5, f"={ref}{absolute(smap.check_input_cell)}", None, "")
        ws.write_formula(r, 6, f"={ref}{absolute(smap.check_blanks_cell)}", None, "")
        ws.write_formula(r, 3, short_status_formula(f"F{r + 1}", f"E{r + 1}", f"G{r + 1}"),
                         st.plan_text, "")
        mark_status(ws, r, 3, 3, f"E{r + 1}", f"F{r + 1}", st)

    # The same mark beside the 担当課 cell itself.
    sub = wb.get_worksheet_by_name(SUBMITTER_SHEET)
    if sub is not None and not department:
        drow, dcol = split_cell(department_cell)
        flag = f"'{GUIDE_SHEET}'!$E${first + 1}"
        sub.write_formula(drow, dcol + 2, f'=IF({flag}>0,"{MARK} 担当課を記入してください","")',
                          st.check, "")
        # Conditional formats refer to their own sheet only (Excel 2007 allows no other).
        mark = absolute(cell(drow, dcol + 2))
        sub.conditional_format(drow, dcol, drow, dcol, {
            "type": "formula", "criteria": f"=LEN({mark})>0", "format": st.problem})


def write_submitter_sheet(wb: Workbook, st: Styles, plan: Plan, *, department: str,
                          year: int | None, sample: bool) -> dict[str, str]:
    """提出者情報: the submitter's input cells; returns their A1 cells keyed like SUBMITTER_FIELDS."""
    ws = wb.add_worksheet(SUBMITTER_SHEET)
    for col, width in enumerate((18, 40, 60, 28)):
        ws.set_column(col, col, width)
    ws.merge_range(0, 0, 0, 2, "提出者情報", st.title)
    ws.set_row(0, 28)
    row = 1
    if sample:
        write_notice(ws, st, row, 2)
        row += 2
    row += 1
    ws.write_string(row, 0, "対象年度", st.label)
    ws.write_string(row, 1, format_fiscal_year(year) if year else "（指定なし）", st.plan_text)
    row += 2
    hints = {
        "department": "課の正式名称（例: 観光振興課）",
        "person": "記入した担当者の氏名",
        "phone": "内線番号があれば併記（例: 0837-00-0000 内線 000）",
        "email": "問い合わせに使える電子メールアドレス",
        "submitted_on": "提出した日（例: 2024/5/10）",
    }
    cells: dict[str, str] = {}
    for key, label in SUBMITTER_FIELDS.items():
        ws.write_string(row, 0, label, st.label)
        fmt = st.input_date if key == "submitted_on" else st.input_text
        if key == "department" and department:
            ws.write_string(row, 1, department, fmt)
        else:
            ws.write_blank(row, 1, None, fmt)
        ws.write_string(row, 2, hints.get(key, ""), st.hint)
        ws.set_row(row, 22)
        cells[key] = cell(row, 1)
        row += 1
    set_print(ws)
    protect(ws)
    return cells
