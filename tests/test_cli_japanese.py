"""click's own help and usage errors are in Japanese like every other message."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from mine_report.cli import cli

ENGLISH = ("Usage", "Show this message", "Options", "Error:", "Try '", "x>=", "default:",
           "No such", "Invalid value", "is not")


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["validate", "--help"],
                                  ["template", "--help"]])
def test_help_is_japanese(args):
    result = CliRunner().invoke(cli, args, prog_name="mine-report")
    assert result.exit_code == 0
    assert result.output.startswith("使い方: mine-report")
    assert "この説明を表示して終了します。" in result.output
    for word in ENGLISH:
        assert word not in result.output, word


@pytest.mark.parametrize(("args", "message"), [
    (["validate", "--jobs", "0"], "エラー: '--jobs' の値が正しくありません: 0 は範囲 (1 以上) の外です。"),
    (["validate", "--jobs", "x"], "エラー: '--jobs' の値が正しくありません: 'x' は数として読めません。"),
    (["validate", "--format", "xml"], "エラー: '--format' の値が正しくありません: 'xml' は"),
    (["nosuch"], "エラー: コマンド 'nosuch' はありません。"),
    (["validate", "--nosuch"], "エラー: オプション '--nosuch' はありません。"),
    (["build", "--input"], "エラー: オプション '--input' には値が必要です。"),
    (["build", "--input", "無い"], "エラー: [V001] 指定されたファイルまたはフォルダがありません: 無い"),
])
def test_usage_errors_are_japanese(args, message):
    result = CliRunner().invoke(cli, args, prog_name="mine-report")
    assert result.exit_code == 2, result.output
    assert message in result.output
    for word in ENGLISH:
        assert word not in result.output, (word, result.output)
