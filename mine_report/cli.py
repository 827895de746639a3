"""The `mine-report` command line: click only; the work is done by the core modules."""

from __future__ import annotations

import os
import sys

import click

from mine_report import __version__, click_ja
from mine_report.common import runtime
from mine_report.common.errors import MineReportError, ProblemsError
from mine_report.common.safetext import for_terminal, visible
from mine_report.plan.load import load_plan, plan_to_json
from mine_report.plan.model import EDITIONS, PUBLIC
from mine_report.plan.outline import plan_outline

click_ja.install()  # click's own help and usage errors in Japanese, like every other message


class ReportedError(click.ClickException):
    """A core error, shown in Japanese with its code and without a traceback."""

    def __init__(self, error: MineReportError):
        super().__init__(str(error))
        self.error = error
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        out = file or sys.stderr
        click.echo(for_terminal(f"エラー: {self.error}"), file=out)
        if isinstance(self.error, ProblemsError):
            for problem in self.error.problems:
                click.echo(for_terminal(f"  {problem}"), file=out)


#: Exit status of a command stopped by Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED_EXIT = 130
#: Exit status when the reader of our output went away (128 + SIGPIPE), as shells report it.
BROKEN_PIPE_EXIT = 141
#: Set to show the Python traceback of an unexpected error instead of the G002 line.
DEBUG_VARIABLE = "MINE_REPORT_DEBUG"


class MineReportGroup(click.Group):
    """The one place where errors become what the user sees: MineReportError as its coded
    Japanese message and exit status; Ctrl-C as a Japanese line and 130; anything
    unexpected as a coded line instead of a traceback (unless MINE_REPORT_DEBUG is set)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MineReportError as exc:
            raise ReportedError(exc) from None
        except KeyboardInterrupt:
            error = MineReportError.of("G001")
            error.exit_code = INTERRUPTED_EXIT
            raise ReportedError(error) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:  # `| head` stopped reading: not an error to report
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(BROKEN_PIPE_EXIT) from None
        except Exception as exc:
            if os.environ.get(DEBUG_VARIABLE):
                raise
            raise ReportedError(MineReportError.of(
                "G002", reason=f"{type(exc).__name__}: {exc}"[:300])) from None


plan_option = click.option(
    "--plan", "plan_path", type=click.Path(dir_okay=False), default=None,
    help="計画ファイル (TOML)。省略時は同梱の第2期美祢市総合戦略。")


@click.group(cls=MineReportGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mine-report")
def cli() -> None:
    """総合戦略 KPI の効果検証報告書を作るツール (mine-report)。"""


@cli.group(invoke_without_command=True)
@plan_option
@click.option("--json", "as_json", is_flag=True, help="計画全体を JSON で出力します。")
@click.pass_context
def plan(ctx: click.Context, plan_path: str | None, as_json: bool) -> None:
    """計画の構成 (計画の階層・施策・KPI) を表示します。"""
    if ctx.invoked_subcommand is not None:
        return
    loaded = load_plan(plan_path)
    click.echo(plan_to_json(loaded) if as_json else for_terminal(plan_outline(loaded)),
               nl=not as_json)


@plan.command("import")
@click.argument("list_path", metavar="LIST", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="書き出す計画ファイル (TOML)。")
@click.option("--title", default="", help="計画の名前 (省略時はファイル名)。")
@click.option("--municipality", default="", help="市町村名。")
@click.option("--period", "period_text", default=None,
              help="計画期間 (例: 2025-2029、R7-R11)。省略時は基準年度・目標年度から。")
def plan_import(list_path: str, output: str, title: str, municipality: str,
                period_text: str | None) -> None:
    """KPI の一覧 (.xlsx/.csv) から計画ファイルを作ります。"""
    from mine_report.intake.plan_list import import_to_file

    click.echo(import_to_file(list_path, output, title=title, municipality=municipality,
                              period_text=period_text))


@cli.command("config")
@click.option("--show", is_flag=True, help="使われる評価ルールを日本語で表示します。")
@click.option("--toml", "as_toml", is_flag=True,
              help="--show と併用: 使われる評価ルールを設定ファイル (TOML) の形で出力します。")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="評価基準の設定ファイル (TOML)。省略時は ./mine-report.toml があればそれを使用。")
def config_command(show: bool, as_toml: bool, config_path: str | None) -> None:
    """評価ルール (進捗率の式・区切り・点数・区分の名前) を確認します。"""
    from mine_report.common.errors import UsageError
    from mine_report.grading.config import load_rules, rules_text

    if not show:
        raise UsageError.of("C202")
    rules = load_rules(config_path)
    click.echo(rules.to_toml() if as_toml else for_terminal(rules_text(rules)), nl=False)


class TerminalProgress:
    """Progress on stderr, only when it is a terminal (never in pipes, logs or JSON mode)."""

    LABELS = {"read": "読み込み・点検", "grade": "評価", "write": "出力"}

    def __init__(self, enabled: bool | None = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled

    def __call__(self, what: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        label = self.LABELS.get(what, what)
        click.echo(f"\r{label}: {done}/{total}", nl=False, err=True)
        if done >= total:
            click.echo("", err=True)


def round_options(command):
    """--previous and --jump-factor, shared by validate and build (previous.py)."""
    command = click.option(
        "--jump-factor", type=click.FloatRange(min=0), default=2.0, show_default=True,
        help="実績値が、その指標の基準値・目標値・ほかの年度の値の最大のこの倍数を超えると警告"
             " (W502) します。0 で点検しません。")(command)
    return click.option(
        "--previous", "previous_path", type=click.Path(exists=True), default=None,
        help="前回の kpi_results.json、返却された様式、またはそのフォルダ。過去の年度の値が"
             "前回と変わっていれば警告 (W501) します。")(command)


def load_round(plan, previous_path: str | None, jump_factor: float):
    """(previous round's values or None, jump factor) from the shared options."""
    from decimal import Decimal
    from pathlib import Path

    from mine_report.intake.prefill import load_prefill_source

    previous = None
    if previous_path:
        previous = load_prefill_source(Path(previous_path), plan)
    return previous, Decimal(str(jump_factor))


@cli.command()
@click.option("--input", "input_dir", type=click.Path(),
              default="input", show_default=True, help="返却された様式のフォルダ。")
@click.option("--output", "output_dir", type=click.Path(), default="output",
              show_default=True, help="出力先フォルダ。")
@click.option("--year", "year_text", default=None,
              help="評価年度 (令和5年度、R5、2023 など)。省略時は様式に記録された年度。")
@plan_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="評価基準の設定ファイル (TOML)。省略時は ./mine-report.toml があればそれを使用。")
@click.option("--draft", is_flag=True, help="誤りのある部分を除いて暫定版を作ります。")
@click.option("--html", "with_html", is_flag=True, help="report.html (ウェブ公開用) も出力します。")
@click.option("--edition", type=click.Choice(EDITIONS), default=PUBLIC, show_default=True,
              help="public = 公開版 (担当者名・ファイル名・ハッシュなし、オープンデータを添付)、"
                   "internal = 内部版 (入力ファイルと確認結果の付録、統合ブックを添付)。")
@click.option("--templates", "templates_dir", type=click.Path(),
              default=None, help="報告書のテンプレートフォルダ (templates/ を写して編集したもの)。")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="様式の読み込みと報告書の組版に使う CPU の数。省略時は使えるすべての CPU。")
@click.option("--date", "issued_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="報告書の発行日 (例: 2024-07-01)。省略時は今日 (日本時間)。")
@click.option("--opinions", "opinions_path", type=click.Path(dir_okay=False), default=None,
              help="総評と推進会議・外部有識者の意見を書いたファイル (TOML)。省略時は載せません。")
@click.option("--missing-baseline", type=click.Choice(["first-actual", "zero"]),
              default="first-actual", show_default=True,
              help="計画に基準値がない KPI の基準値: first-actual = 最初の実績値 (評価は参考)、zero = 0。")
@click.option("--negative-sign", type=click.Choice(["minus", "triangle", "black-triangle"]),
              default="minus", show_default=True,
              help="報告書での負の率の書き方: minus = -40.0%、triangle = △40.0%、black-triangle = ▲40.0%。")
@click.option("--no-cache", is_flag=True,
              help="前回の組版を再利用せず、報告書をすべて組版し直します (出力フォルダーの "
                   ".mine-report-cache は削除しても構いません)。")
@click.option("--no-pdf", is_flag=True, hidden=True, help="PDF を作りません (開発・計測用)。")
@round_options
def build(input_dir: str, output_dir: str, year_text: str | None, plan_path: str | None,
          config_path: str | None, draft: bool, with_html: bool, templates_dir: str | None,
          jobs: int | None, issued_on, opinions_path: str | None, missing_baseline: str,
          negative_sign: str, no_cache: bool, no_pdf: bool, edition: str,
          previous_path: str | None, jump_factor: float) -> None:
    """返却された様式を点検・統合・評価し、統合ブック・JSON・CSV・報告書 PDF を出力します。"""
    from pathlib import Path

    from mine_report import build as building
    from mine_report.common.fiscal import year_option
    from mine_report.grading.config import load_rules
    from mine_report.intake.checks import format_report

    plan = load_plan(plan_path)
    year = (year_option(year_text, plan.period_start, plan.period_end)
            if year_text is not None else None)
    rules = load_rules(config_path)
    previous, factor = load_round(plan, previous_path, jump_factor)
    options = building.BuildOptions(
        input_paths=[Path(input_dir)], output_dir=Path(output_dir), year=year, draft=draft,
        pdf=not no_pdf, html=with_html, edition=edition,
        templates_dir=Path(templates_dir) if templates_dir else None, jobs=jobs,
        issued_on=issued_on.date() if issued_on else None,
        opinions=Path(opinions_path) if opinions_path else None,
        missing_baseline=missing_baseline, negative_sign=negative_sign, cache=not no_cache,
        previous=previous, jump_factor=factor)
    try:
        result = building.build(plan, rules, options, progress=TerminalProgress())
    except building.InputErrors as exc:
        click.echo(for_terminal(format_report(exc.report)))
        raise
    for line in building.notes(result, input_dir):
        click.echo(for_terminal(line))
    click.echo(for_terminal(building.summary_line(result)))


@cli.command()
@click.option("-o", "--output", "output", default="kpi_template.xlsx", show_default=True,
              help="書き出すファイル。")
@click.option("--year", "year_text", default=None,
              help="評価年度 (令和5年度、R5、2023 など)。その列を強調し、後の年度は入力不可にします。")
@plan_option
@click.option("--measures", default=None,
              help="含める施策番号をカンマ区切りで (例: 1-1-1,1-1-2)。省略時は全施策。")
@click.option("--department", default="", help="担当課名。提出者情報に記入済みにします。")
@click.option("--prefill", "prefill_path", default=None,
              help="前回の記入済みファイル。前年度までの実績値を記入して入力不可にします (--year が必要)。")
@click.option("--unlock-past", is_flag=True,
              help="--prefill で記入した前回の値を入力可能のままにします (過去の値の修正用)。")
def template(output: str, year_text: str | None, plan_path: str | None, measures: str | None,
             department: str, prefill_path: str | None, unlock_past: bool) -> None:
    """各課に配る KPI 実績報告シート (Excel) を作ります。"""
    from mine_report.common.messages import text
    from mine_report.intake.prefill import load_prefill
    from mine_report.workbook.template import make_template, template_request

    plan = load_plan(plan_path)
    request = template_request(output, plan, year=year_text, measures=measures,
                               department=department, prefill_path=prefill_path,
                               unlock_past=unlock_past)
    prefill = load_prefill(prefill_path, plan) if prefill_path is not None else None
    gaps: list[str] = []
    written = make_template(output, plan, request, prefill, gaps)
    if gaps:
        click.echo(text("T010", measures="、".join(gaps)))
    kpis = sum(len(m.kpis) for m in written)
    click.echo(for_terminal(f"{output} を書き出しました (施策 {len(written)}、KPI {kpis})"))


#: Fewer files than this are read too quickly for a progress line to help.
VALIDATE_PROGRESS_MIN = 10


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@plan_option
@click.option("--strict", is_flag=True, help="警告もエラーとして扱います (終了コード 1)。")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="出力形式。")
@click.option("--annotate", "annotate_dir", type=click.Path(), default=None,
              help="問題のあるファイルごとに、問題のセルに色とメモを付けた写しをこのフォルダに作ります。")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="様式の読み込みに使う CPU の数。省略時は使えるすべての CPU。")
@round_options
def validate(paths: tuple[str, ...], plan_path: str | None, strict: bool, output_format: str,
             annotate_dir: str | None, jobs: int | None, previous_path: str | None,
             jump_factor: float) -> None:
    """返却された様式 (PATH: ファイルまたはフォルダ。省略時は input/) を点検します。

    問題をファイルごとにコード・セル・内容つきで表示します。終了コード: 0 = エラーなし、
    1 = エラーあり、2 = 使い方の誤り。
    """
    import json
    from pathlib import Path

    from mine_report.intake import annotate, checks

    plan = load_plan(plan_path)
    previous, factor = load_round(plan, previous_path, jump_factor)
    skipped: list[tuple[str, str]] = []
    targets = checks.collect_paths(paths or ("input",), plan, skipped)
    if not targets:
        from mine_report.common.errors import UsageError
        from mine_report.common.messages import text

        raise UsageError.of("V002", where="、".join(paths or ("input",)))
    if annotate_dir:
        annotate.check_out_dir(Path(annotate_dir), targets)
    show = (output_format == "text" and len(targets) >= VALIDATE_PROGRESS_MIN
            and sys.stdout.isatty() and sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        click.echo(f"\r点検中: {done}/{total}", nl=done >= total, err=True)

    report = checks.validate_files(targets, plan, strict=strict,
                                   progress=progress if show else None, jobs=jobs,
                                   previous=previous, jump_factor=factor)
    report.skipped = skipped
    if not report.files:  # the folders held nothing but the blank template
        from mine_report.common.errors import UsageError

        raise UsageError.of("V002", where="、".join(paths or ("input",)))
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(for_terminal(checks.format_report(report)))
    if annotate_dir:
        from mine_report.common.messages import text

        written = annotate.annotate(report, Path(annotate_dir))
        click.echo(text("V015", count=len(written), path=annotate_dir),
                   err=output_format == "json")
        converted = [f"{Path(src).name} → {copy.name}" for src, copy in written.items()
                     if copy.suffix != Path(src).suffix]
        if converted:
            click.echo(visible(text("V017", names="、".join(converted))),
                       err=output_format == "json")
        missed = [Path(f.path).name for f in report.files
                  if report.problems_of(f) and f.path not in written]
        if missed:
            click.echo(visible(text("V016", names="、".join(missed))),
                       err=output_format == "json")
    if report.errors:
        sys.exit(1)


def _date_option(value: str | None, code: str):
    from mine_report.common.errors import FiscalYearError, UsageError
    from mine_report.common.fiscal import parse_date

    if value is None:
        return None
    try:
        return parse_date(value)
    except FiscalYearError as exc:
        raise UsageError.of(code, reason=exc) from None


@cli.command()
@click.option("--year", "year_text", required=True,
              help="評価年度 (令和5年度、R5、2023 など)。")
@click.option("--output", "output_dir", type=click.Path(file_okay=False), required=True,
              help="様式と配布記録を書き出すフォルダ。")
@click.option("--prefill", "prefill_path", type=click.Path(exists=True), default=None,
              help="前回の kpi_results.json、記入済みの様式、またはその返却フォルダ。前年度までの値を記入します。")
@click.option("--deadline", "deadline_text", default=None,
              help="提出期限 (2024-05-17、令和6年5月17日 など)。記入要領に印刷します。")
@click.option("--contact", default="", help="問い合わせ先の担当・内線 (例: 担当 岡田 内線 102)。")
@click.option("--unlock-past", is_flag=True,
              help="--prefill で記入した前回の値を入力可能のままにします (過去の値の修正用)。")
@plan_option
def distribute(year_text: str, output_dir: str, prefill_path: str | None,
               deadline_text: str | None, contact: str, unlock_past: bool,
               plan_path: str | None) -> None:
    """担当課ごとに様式を作り、配布記録 (配布記録.json・配布記録.txt) を書き出します。"""
    from pathlib import Path

    from mine_report.common.fiscal import year_option
    from mine_report.common.messages import text
    from mine_report.round.collection import distribute as distributing

    plan = load_plan(plan_path)
    year = year_option(year_text, plan.period_start, plan.period_end)
    deadline = _date_option(deadline_text, "D004")
    gaps: list[str] = []
    manifest = distributing(plan, year, Path(output_dir),
                            prefill_path=Path(prefill_path) if prefill_path else None,
                            deadline=deadline, contact=contact.strip(),
                            unlock_past=unlock_past, gaps=gaps)
    for a in manifest.assignments:
        goals = f"、目標指標 {len(a.goal_ids)}" if a.goal_ids else ""
        click.echo(f"{a.file}\t施策 {len(a.measure_ids)}{goals}")
    if gaps:
        click.echo(text("T010", measures="、".join(gaps)))
    click.echo(text("D010", count=len(manifest.assignments), path=output_dir))
    if manifest.unassigned:
        click.echo(text("D011", measures="、".join(manifest.unassigned)), err=True)
    if manifest.assignment_is_example:
        click.echo(text("D012"), err=True)


@cli.command()
@click.argument("returns_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="状況を JSON で出力します。")
@click.option("--manifest", "manifest_path", type=click.Path(exists=True), default=None,
              help="distribute の配布記録 (配布記録.json、またはそのフォルダ)。")
@click.option("--reminders", "reminders_dir", type=click.Path(file_okay=False), default=None,
              help="期限を過ぎて未提出の課ごとの督促文 (.txt) を書き出すフォルダ。")
@click.option("--sheet", "sheet_dir", type=click.Path(file_okay=False), default=None,
              help="状況表 (提出状況.xlsx・提出状況.html) を書き出すフォルダ。")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), default=None,
              help="build が出力した round_history.jsonl (提出の経過を表示します)。")
@click.option("--today", "today_text", default=None,
              help="この日付の時点として判定します (既定: 今日)。")
@plan_option
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="様式の読み込みに使う CPU の数。省略時は使えるすべての CPU。")
def status(returns_dir: str, as_json: bool, manifest_path: str | None,
           reminders_dir: str | None, sheet_dir: str | None, history_path: str | None,
           today_text: str | None, plan_path: str | None, jobs: int | None) -> None:
    """返却フォルダ (RETURNS_DIR) を点検し、課・施策ごとの提出状況を表示します。"""
    import json
    from pathlib import Path

    from mine_report.common.errors import UsageError
    from mine_report.common.messages import text
    from mine_report.round import status as round_status
    from mine_report.round.collection import load_manifest
    from mine_report.round.history import load_history

    plan = load_plan(plan_path)
    today = _date_option(today_text, "S004")
    manifest = load_manifest(Path(manifest_path)) if manifest_path else None
    if manifest and not manifest.fits(plan):
        raise UsageError.of("S003", path=manifest_path, title=manifest.plan_title)
    if not Path(returns_dir).is_dir():
        raise UsageError.of("V001", path=returns_dir)
    if reminders_dir and Path(reminders_dir).resolve() == Path(returns_dir).resolve():
        raise UsageError.of("S006", path=reminders_dir)
    records = load_history(Path(history_path))[1] if history_path else []
    state = round_status.collect_status(plan, Path(returns_dir), manifest=manifest,
                                        today=today, history=records, jobs=jobs)
    notices = []
    if sheet_dir:
        from mine_report.outputs.status_sheet import write_status_sheet

        written = write_status_sheet(state, Path(sheet_dir))
        notices.append(text("S019", files="、".join(str(p) for p in written)))
    if reminders_dir:
        from mine_report.outputs.status_sheet import write_reminders

        written = write_reminders(state, Path(reminders_dir))
        notices.append(text("S018", count=len(written), path=reminders_dir))
    if as_json:
        click.echo(json.dumps(state.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(round_status.status_text(state), nl=False)
    for notice in notices:
        click.echo(notice, err=as_json)


def main() -> None:
    runtime.prepare()  # before any command imports openpyxl
    cli(prog_name="mine-report")
