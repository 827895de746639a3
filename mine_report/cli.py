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


def main() -> None:
    cli(prog_name="mine-report")
