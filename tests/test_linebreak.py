"""Japanese phrase-level line breaking (BudouX): the text is the same, short phrases are
unbreakable, long ones stay breakable, and department text stays escaped."""

from __future__ import annotations

import re

from mine_report.outputs.linebreak import MAX_PHRASE, last_phrase, phrases


def spans(markup: str) -> list[str]:
    return re.findall(r'<span class="ph">(.*?)</span>', markup)


def plain(markup: str) -> str:
    return re.sub(r"<[^>]+>", "", markup)


def test_every_short_phrase_is_kept_whole_and_the_text_is_unchanged():
    name = "地域おこし協力隊の定住割合"
    marked = phrases(name)
    assert plain(marked) == name
    # The two-character word the report used to split (割／合) is inside one phrase.
    assert spans(marked) == ["地域おこし協力隊の", "定住割合"]
    # A compound longer than MAX_PHRASE stays breakable: kept whole it would overflow a cell.
    long = "キャッシュレス決済導入店舗割合"
    assert len(long) > MAX_PHRASE and spans(phrases(long)) == []


def test_a_paragraph_keeps_only_its_last_phrase_whole():
    text = "関係機関と連携し、取組を継続します。\n次年度も実施する予定です。"
    marked = last_phrase(text)
    assert plain(marked) == text
    kept = spans(marked)
    assert len(kept) == 2 and kept[0].endswith("します。") and kept[1].endswith("です。")


def test_markup_in_department_text_stays_text():
    marked = phrases('<img src="file:///etc/passwd">の設置')
    assert "<img" not in marked and "&lt;img" in marked
    assert phrases("") == "" and last_phrase("") == ""
