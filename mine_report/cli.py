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


def main() -> None:
    cli(prog_name="mine-report")
