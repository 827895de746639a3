"""The public and the internal edition of `mine-report build` on the sample submissions:
what each report says about the inputs, and what each PDF carries as attachments."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from mine_report.cli import cli
from mine_report.outputs.export import OPEN_DATA_NAMES
from tools.samples import DEPARTMENTS

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
EPOCH = "1719792000"


def build(out: Path, *extra: str) -> Path:
    result = CliRunner(env={"SOURCE_DATE_EPOCH": EPOCH}).invoke(
        cli, ["build", "--input", str(SAMPLES), "--output", str(out), "--jobs", "2", *extra])
    assert result.exit_code == 0, result.output
    return out


def attachments(pdf: Path, folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    subprocess.run(["pdfdetach", "-saveall", "-o", str(folder), str(pdf)], check=True,
                   capture_output=True)
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def public(tmp_path_factory):
    return build(tmp_path_factory.mktemp("public"), "--html")


def test_public_pdf_attaches_the_open_data_as_written(public, tmp_path):
    files = attachments(public / "report.pdf", tmp_path / "detached")
    assert sorted(files) == sorted(OPEN_DATA_NAMES)
    for name, data in files.items():
        assert data == (public / name).read_bytes(), name


def test_public_report_names_no_staff_files_or_hashes(public):
    text = "".join(pdftotext(public / "report.pdf").split())
    html = (public / "report.html").read_text(encoding="utf-8")
    for dept in DEPARTMENTS:
        person = "".join(dept.person.split())
        assert person not in text and dept.person not in html, dept.person
        assert dept.file not in text and dept.file not in html, dept.file
        assert dept.department in text  # departments are public, people are not
    assert "SHA-256" not in text and "SHA-256" not in html
    assert "報告した課" in text


def test_public_pdf_is_tagged_and_smaller_than_before(public):
    info = subprocess.run(["pdfinfo", str(public / "report.pdf")], capture_output=True,
                          text=True, check=True).stdout
    assert "Tagged:          yes" in info
    # 1.53 MB untagged with a font program per part before; 1.07 MB tagged now.
    assert (public / "report.pdf").stat().st_size < 1_500_000


def test_internal_pdf_keeps_the_appendix_and_attaches_the_merged_workbook(tmp_path):
    out = build(tmp_path / "internal", "--edition", "internal")
    files = attachments(out / "report.pdf", tmp_path / "detached")
    assert sorted(files) == ["kpi_merged.xlsx"]
    assert files["kpi_merged.xlsx"] == (out / "kpi_merged.xlsx").read_bytes()
    text = "".join(pdftotext(out / "report.pdf").split())
    assert "内部資料" in text and "SHA-256" in text
    assert "".join(DEPARTMENTS[0].person.split()) in text
