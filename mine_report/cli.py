"""The `mine-report` command line: click only; the work is done by the core modules."""

from __future__ import annotations

import sys

import click

from mine_report import __version__
from mine_report.errors import MineReportError, ProblemsError
from mine_report.outline import plan_outline
from mine_report.plan import load_plan, plan_to_json


class ReportedError(click.ClickException):
    """A core error, shown in Japanese without a traceback."""

    def __init__(self, error: MineReportError):
        super().__init__(str(error))
        self.error = error
        self.exit_code = error.exit_code

    def show(self, file=None) -> None:
        out = file or sys.stderr
        click.echo(f"エラー: {self.error}", file=out)
        if isinstance(self.error, ProblemsError):
            for problem in self.error.problems:
                click.echo(f"  {problem}", file=out)


class MineReportGroup(click.Group):
    """Turns MineReportError from any command into a clean message and exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MineReportError as exc:
            raise ReportedError(exc) from None


plan_option = click.option(
    "--plan", "plan_path", type=click.Path(dir_okay=False), default=None,
    help="計画ファイル (TOML)。省略時は同梱の第2期美祢市総合戦略。")


@click.group(cls=MineReportGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mine-report")
def cli() -> None:
    """総合戦略 KPI の効果検証報告書を作るツール (mine-report)。"""


@cli.command()
@plan_option
@click.option("--json", "as_json", is_flag=True, help="計画全体を JSON で出力します。")
def plan(plan_path: str | None, as_json: bool) -> None:
    """計画 (重点戦略・戦略方針・施策・KPI) の一覧を表示します。"""
    loaded = load_plan(plan_path)
    click.echo(plan_to_json(loaded) if as_json else plan_outline(loaded), nl=not as_json)


@cli.command("config")
@click.option("--show", is_flag=True, help="使われる評価ルールを日本語で表示します。")
@click.option("--toml", "as_toml", is_flag=True,
              help="--show と併用: 使われる評価ルールを設定ファイル (TOML) の形で出力します。")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="評価基準の設定ファイル (TOML)。省略時は ./mine-report.toml があればそれを使用。")
def config_command(show: bool, as_toml: bool, config_path: str | None) -> None:
    """評価ルール (進捗率の式・区切り・点数・区分の名前) を確認します。"""
    from mine_report.config import load_rules, rules_text
    from mine_report.errors import UsageError
    from mine_report.messages import text

    if not show:
        raise UsageError(text("C202"))
    rules = load_rules(config_path)
    click.echo(rules.to_toml() if as_toml else rules_text(rules), nl=False)


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


@cli.command()
@click.option("--input", "input_dir", type=click.Path(exists=True, file_okay=False),
              default="input", show_default=True, help="返却された様式のフォルダ。")
@click.option("--output", "output_dir", type=click.Path(file_okay=False), default="output",
              show_default=True, help="出力先フォルダ。")
@click.option("--year", "year_text", default=None,
              help="評価年度 (令和5年度、R5、2023 など)。省略時は様式に記録された年度。")
@plan_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="評価基準の設定ファイル (TOML)。省略時は ./mine-report.toml があればそれを使用。")
@click.option("--draft", is_flag=True, help="誤りのある部分を除いて暫定版を作ります。")
@click.option("--html", "with_html", is_flag=True, help="report.html (ウェブ公開用) も出力します。")
@click.option("--templates", "templates_dir", type=click.Path(exists=True, file_okay=False),
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
@click.option("--no-pdf", is_flag=True, hidden=True, help="PDF を作りません (開発・計測用)。")
def build(input_dir: str, output_dir: str, year_text: str | None, plan_path: str | None,
          config_path: str | None, draft: bool, with_html: bool, templates_dir: str | None,
          jobs: int | None, issued_on, opinions_path: str | None, missing_baseline: str,
          negative_sign: str, no_pdf: bool) -> None:
    """返却された様式を点検・統合・評価し、統合ブック・JSON・CSV・報告書 PDF を出力します。"""
    from pathlib import Path

    from mine_report import build as building
    from mine_report.checks import format_report
    from mine_report.config import load_rules
    from mine_report.fiscal import parse_fiscal_year

    year = _year_option(year_text, parse_fiscal_year)
    plan = load_plan(plan_path)
    rules = load_rules(config_path)
    options = building.BuildOptions(
        input_paths=[Path(input_dir)], output_dir=Path(output_dir), year=year, draft=draft,
        pdf=not no_pdf, html=with_html,
        templates_dir=Path(templates_dir) if templates_dir else None, jobs=jobs,
        issued_on=issued_on.date() if issued_on else None,
        opinions=Path(opinions_path) if opinions_path else None,
        missing_baseline=missing_baseline, negative_sign=negative_sign)
    try:
        result = building.build(plan, rules, options, progress=TerminalProgress())
    except building.InputErrors as exc:
        click.echo(format_report(exc.report))
        raise
    click.echo(building.summary_line(result))


def _year_option(year_text: str | None, parse) -> int | None:
    from mine_report.errors import FiscalYearError, UsageError

    if year_text is None:
        return None
    try:
        return parse(year_text)
    except FiscalYearError as exc:
        raise UsageError(f"--year: {exc}") from None


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
def template(output: str, year_text: str | None, plan_path: str | None, measures: str | None,
             department: str, prefill_path: str | None) -> None:
    """各課に配る KPI 実績報告シート (Excel) を作ります。"""
    from mine_report.template import make_template

    written = make_template(output, load_plan(plan_path), year=year_text, measures=measures,
                            department=department, prefill_path=prefill_path)
    kpis = sum(len(m.kpis) for m in written)
    click.echo(f"{output} を書き出しました (施策 {len(written)}、KPI {kpis})")


#: Fewer files than this are read too quickly for a progress line to help.
VALIDATE_PROGRESS_MIN = 10


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@plan_option
@click.option("--strict", is_flag=True, help="警告もエラーとして扱います (終了コード 1)。")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="出力形式。")
@click.option("--annotate", "annotate_dir", type=click.Path(file_okay=False), default=None,
              help="問題のあるファイルごとに、問題のセルに色とメモを付けた写しをこのフォルダに作ります。")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="様式の読み込みに使う CPU の数。省略時は使えるすべての CPU。")
def validate(paths: tuple[str, ...], plan_path: str | None, strict: bool, output_format: str,
             annotate_dir: str | None, jobs: int | None) -> None:
    """返却された様式 (PATH: ファイルまたはフォルダ。省略時は input/) を点検します。

    問題をファイルごとにコード・セル・内容つきで表示します。終了コード: 0 = エラーなし、
    1 = エラーあり、2 = 使い方の誤り。
    """
    import json
    from pathlib import Path

    from mine_report import annotate, checks

    plan = load_plan(plan_path)
    targets = checks.collect_paths(paths or ("input",), plan)
    if not targets:
        from mine_report.errors import UsageError
        from mine_report.messages import text

        raise UsageError(text("V002", where="、".join(paths or ("input",))))
    if annotate_dir:
        annotate.check_out_dir(Path(annotate_dir), targets)
    show = (output_format == "text" and len(targets) >= VALIDATE_PROGRESS_MIN
            and sys.stdout.isatty() and sys.stderr.isatty())

    def progress(done: int, total: int) -> None:
        click.echo(f"\r点検中: {done}/{total}", nl=done >= total, err=True)

    report = checks.validate_files(targets, plan, strict=strict,
                                   progress=progress if show else None, jobs=jobs)
    if output_format == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(checks.format_report(report))
    if annotate_dir:
        from mine_report.messages import text

        written = annotate.annotate(report, Path(annotate_dir))
        click.echo(text("V015", count=len(written), path=annotate_dir),
                   err=output_format == "json")
        names = {p.name for p in written}
        missed = [Path(f.path).name for f in report.files
                  if report.problems_of(f) and Path(f.path).name not in names]
        if missed:
            click.echo(text("V016", names="、".join(missed)), err=output_format == "json")
    if report.errors:
        sys.exit(1)


def main() -> None:
    cli(prog_name="mine-report")
