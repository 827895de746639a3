"""Incremental rebuilds: the report's parts laid out by one build are reused by the next
(layout_cache), and the PDF is byte for byte the one a cold build makes."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from workbooks import cell_of, edit_workbook

from mine_report.cli import cli
from mine_report.outputs.layout_cache import CACHE_NAME, SUFFIX, PartCache
from mine_report.outputs.pdfmerge import PageBox, Part

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
EPOCH = "1719700000"
#: A time long before any build: entries touched or written by a later build stand out.
OLD = 1_000_000_000


def build(input_dir: Path, out: Path, *extra: str, epoch: str = EPOCH) -> None:
    result = CliRunner(env={"SOURCE_DATE_EPOCH": epoch}).invoke(
        cli, ["build", "--input", str(input_dir), "--output", str(out), "--jobs", "2", *extra])
    assert result.exit_code == 0, result.output


def entries(out: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in (out / CACHE_NAME).glob(f"*{SUFFIX}")}


def age_entries(out: Path) -> None:
    for path in (out / CACHE_NAME).glob(f"*{SUFFIX}"):
        os.utime(path, (OLD, OLD))


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """A cold build of the samples, its cache filled."""
    out = tmp_path_factory.mktemp("cold")
    build(SAMPLES, out)
    return out


@pytest.mark.slow
def test_rebuild_after_one_resent_workbook_matches_a_cold_build(cold, tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES, inputs)
    out = tmp_path / "out"
    shutil.copytree(cold, out)
    age_entries(out)
    before = entries(out)
    assert len(before) >= 5

    # The tourism department corrects one actual and sends its workbook again.
    path = inputs / "01-kanko-shinko.xlsx"
    sheet, cell = cell_of(path, "1-1-1-1", 2023)
    value = openpyxl.load_workbook(path)[sheet][cell].value
    edit_workbook(path, lambda wb: wb[sheet].__setitem__(cell, value + 7))
    build(inputs, out)

    after = entries(out)
    reused = [name for name in before if after.get(name, OLD) > OLD]
    laid_out = [name for name in after if name not in before]
    assert reused, "no part of the earlier build was reused"
    assert laid_out, "the corrected workbook's parts were not laid out again"
    assert len(reused) + len(laid_out) <= len(before) + 2  # cover, summary, a strategy …

    fresh = tmp_path / "fresh"
    build(inputs, fresh, "--no-cache")
    assert not (fresh / CACHE_NAME).exists()
    assert (out / "report.pdf").read_bytes() == (fresh / "report.pdf").read_bytes()
    assert (out / "report.pdf").read_bytes() != (cold / "report.pdf").read_bytes()


@pytest.mark.slow
def test_a_build_later_the_same_day_reuses_the_body(cold, tmp_path):
    """The report's time is in its metadata (the first part's only): the other parts of a
    build run a minute later are still reused, and the cover is laid out anew."""
    out = tmp_path / "out"
    shutil.copytree(cold, out)
    age_entries(out)
    before = entries(out)
    build(SAMPLES, out, epoch=str(int(EPOCH) + 60))
    after = entries(out)
    assert len([name for name in before if after.get(name, OLD) > OLD]) >= 5
    assert [name for name in after if name not in before]
    assert (out / "report.pdf").read_bytes() != (cold / "report.pdf").read_bytes()


@pytest.mark.slow
def test_a_changed_template_is_laid_out_again(cold, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(cold, out)
    age_entries(out)
    before = entries(out)
    templates = tmp_path / "templates"
    templates.mkdir()
    source = (TEMPLATES / "appendix.html").read_text("utf-8")
    marker = "付録の前書きを差し替えました"
    (templates / "appendix.html").write_text(
        source.replace('data-running="付録">', f'data-running="付録">{marker}', 1), "utf-8")
    build(SAMPLES, out, "--templates", str(templates))
    assert marker in pdf_text(out / "report.pdf").replace("\n", "")
    # A template folder's files are part of every key: nothing stale is reused.
    assert not [name for name in before if entries(out).get(name, OLD) > OLD]


def _part(pdf: bytes) -> Part:
    return Part(pdf, (PageBox("right", "", 56.7, 481.9),), {"summary": 0})


def test_damaged_entry_is_a_miss_and_removed(tmp_path):
    cache = PartCache(tmp_path / CACHE_NAME)
    cache.put("k1", _part(b"%PDF-1.7 one"))
    cache.save()
    again = PartCache(tmp_path / CACHE_NAME)
    assert again.get("k1") == _part(b"%PDF-1.7 one")
    path = tmp_path / CACHE_NAME / f"k1{SUFFIX}"
    path.write_bytes(path.read_bytes()[:-3] + b"two")
    assert again.get("k1") is None
    assert not path.exists()
    assert again.get("absent") is None
    assert (again.hits, again.misses) == (1, 2)


def test_folder_is_bounded_least_recently_used_first(tmp_path):
    folder = tmp_path / CACHE_NAME
    cache = PartCache(folder)
    for n in range(3):
        cache.put(f"k{n}", _part(bytes(1000)))
        cache.save()
        os.utime(folder / f"k{n}{SUFFIX}", (OLD + n, OLD + n))
    # k0 is the oldest, but it is used again: k1 and k2 go instead.
    assert PartCache(folder).get("k0") is not None
    size = (folder / f"k0{SUFFIX}").stat().st_size
    bounded = PartCache(folder, max_bytes=2 * size + size // 2)
    bounded.put("k3", _part(bytes(1000)))
    bounded.save()
    assert sorted(p.stem for p in folder.glob(f"*{SUFFIX}")) == ["k0", "k3"]
