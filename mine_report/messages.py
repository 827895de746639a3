"""Every Japanese message shown to users, keyed by its stable code.

Codes: P = plan file, C = grading config, E/W = workbook checks (E errors, W warnings),
G = general command errors. The README lists every code.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # plan file
    "P001": "計画ファイルを読めません: {reason}",
    "P002": "計画ファイルの書式 (TOML) が正しくありません: {reason}",
    "P101": "必須の項目がありません",
    "P102": "文字列ではありません (値: {value})",
    "P103": "数値ではありません (値: {value})",
    "P104": "年度として読めません (値: {value}): {reason}",
    "P105": "方向は increase (増加)・decrease (減少)・maintain (維持) のいずれかです (値: {value})",
    "P106": "ID「{value}」が重複しています (最初の出現: {first})",
    "P107": "目標年度 ({target_year}) が基準年度 ({baseline_year}) より前です",
    "P108": "不明な項目です (綴りを確認してください)",
    "P109": "空欄にはできません",
    "P110": "ID「{value}」は上位の ID「{parent}」で始まる必要があります",
    "P111": "一覧 (配列) ではありません",
    "P112": "true か false で指定してください (値: {value})",
    "P113": "計画期間の終了年度 ({end}) が開始年度 ({start}) より前です",
    "P114": "少なくとも1件必要です",
}


def text(code: str, **values: object) -> str:
    """The Japanese message for a code, with its placeholders filled."""
    return MESSAGES[code].format(**values)
