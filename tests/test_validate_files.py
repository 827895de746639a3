"""validate: files that are not usable workbooks, resource limits and unsafe XML. Each is
one clear error, never a traceback, and the other files are still checked."""

from __future__ import annotations

import shutil
import subprocess
import zipfile

import pytest
from workbooks import (
    cfb_bytes,
    file_state,
    problems_of,
    replace_member,
    run_validate,
    validate_json,
)


def single_error(doc: dict, name: str) -> dict:
    problems = problems_of(doc, name)
    assert len(problems) == 1, problems
    assert problems[0]["severity"] == "error"
    return problems[0]


def test_each_unusable_file_is_one_error_and_the_others_are_still_checked(returned):
    folder = returned.parent
    good = returned.read_bytes()
    (folder / "empty.xlsx").write_bytes(b"")
    (folder / "random.xlsx").write_bytes(bytes(range(256)) * 8)
    (folder / "old.xls").write_bytes(cfb_bytes(["Workbook", "\x05SummaryInformation"]))
    (folder / "csv.xlsx").write_text("番号,実績値\n1-1-1-1,540\n", encoding="cp932")
    (folder / "truncated.xlsx").write_bytes(good[: len(good) // 2])
    (folder / "locked.xlsx").write_bytes(cfb_bytes(["EncryptionInfo", "EncryptedPackage"]))
    (folder / "folder.xlsx").mkdir()
    with zipfile.ZipFile(folder / "zipped-report.xlsx", "w") as other_zip:
        other_zip.writestr("報告.txt", "zip で圧縮した別のファイル")
    before = {p.name: file_state(p) for p in folder.iterdir() if p.is_file()}

    code, doc = validate_json(str(folder))

    assert code == 1
    expected = {"empty.xlsx": "E102", "random.xlsx": "E105", "old.xls": "E103",
                "csv.xlsx": "E105", "truncated.xlsx": "E106", "locked.xlsx": "E104",
                "folder.xlsx": "E109", "zipped-report.xlsx": "E106"}
    for name, error in expected.items():
        assert single_error(doc, name)["code"] == error, name
    assert "テキスト" in single_error(doc, "csv.xlsx")["message"]
    assert "xlsx" in single_error(doc, "old.xls")["message"]
    assert "パスワード" in single_error(doc, "locked.xlsx")["message"]
    assert problems_of(doc, returned.name) == []
    assert doc["summary"] == {"files": 9, "errors": 8, "warnings": 0}
    assert {p.name: file_state(p) for p in folder.iterdir() if p.is_file()} == before


def test_text_output_names_each_bad_file_without_traceback(tmp_path, returned):
    (returned.parent / "empty.xlsx").write_bytes(b"")
    result = run_validate(str(returned.parent))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "empty.xlsx" in result.stdout and "  E102  エラー\n" in result.stdout
    assert "2 ファイルを点検: エラー 1 件、警告 0 件" in result.stdout


def test_file_over_the_size_limit_is_refused_unread(tmp_path):
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: nothing is written, the size is what counts
    code, doc = validate_json(str(big))
    assert code == 1
    problem = single_error(doc, "big.xlsx")
    assert problem["code"] == "E107" and "20 MB" in problem["message"]
    assert doc["files"][0]["sha256"] == ""  # refused before reading


@pytest.mark.parametrize(("row", "col"), [(10_001, 1), (5, 201)])
def test_sheet_beyond_the_row_or_column_limit_is_refused(returned, row, col):
    from workbooks import edit_workbook

    edit_workbook(returned, lambda wb: wb["1-1-3"].cell(row, col, "はみ出し"))
    before = file_state(returned)
    code, doc = validate_json(str(returned))
    assert code == 1
    problem = single_error(doc, returned.name)
    assert problem["code"] == "E108" and problem["sheet"] == "1-1-3"
    assert "1-1-3" in problem["message"] and "10000" in problem["message"]
    assert file_state(returned) == before


def without_declaration(xml: bytes) -> bytes:
    return xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml


def test_entity_declarations_are_refused(returned):
    bomb = (b'<?xml version="1.0"?>\n<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n')

    def inject(data: bytes) -> bytes:
        return bomb + without_declaration(data)

    replace_member(returned, "xl/workbook.xml", inject)
    code, doc = validate_json(str(returned))
    assert code == 1
    assert single_error(doc, returned.name)["code"] == "E106"


def test_entities_in_cell_text_are_never_expanded(returned):
    text = "人材の確保。".encode()
    with zipfile.ZipFile(returned) as package:
        member = next(n for n in package.namelist() if text in package.read(n))

    def inject(data: bytes) -> bytes:
        laughs = b"".join(b'<!ENTITY l%d "&l%d;&l%d;&l%d;&l%d;&l%d;">' % ((n,) + (n - 1,) * 5)
                          for n in range(1, 12))
        return (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "lol">' + laughs + b"]>"
                + without_declaration(data).replace(text, b"&l11;", 1))

    replace_member(returned, member, inject)
    code, doc = validate_json(str(returned))
    # A sheet with a DTD is refused before anything in it is declared: no program that
    # writes xlsx writes one, so nothing is lost, and no entity is ever expanded.
    assert code == 1
    problem = single_error(doc, returned.name)
    assert problem["code"] == "E106" and "DTD" in problem["message"]


@pytest.mark.slow
def test_real_xls_saved_by_libreoffice_is_reported(returned, tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "xls"
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                    "--convert-to", "xls", "--outdir", str(out), str(returned)],
                   check=True, capture_output=True, timeout=180)
    xls = out / (returned.stem + ".xls")
    code, doc = validate_json(str(xls))
    assert code == 1
    assert single_error(doc, xls.name)["code"] == "E103"
