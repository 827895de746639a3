"""The build's output folder: refused when it cannot be written or overlaps the input,
left holding the outputs of exactly one build, never left with another build's junk.
Failed and interrupted builds (an error, Ctrl-C, SIGKILL) keep the previous outputs."""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from mine_report.cli import cli
from mine_report.common import staging

SAMPLES = Path(__file__).resolve().parents[1] / "examples" / "submissions"
ROOT = Path(__file__).resolve().parents[1]
# round_history.jsonl is the round's record, kept and appended to across builds (history.py).
OUTPUTS = ["kpi_merged.xlsx", "kpi_metadata.json", "kpi_results.csv", "kpi_results.json",
           "kpi_values.csv", "round_history.jsonl"]


def run_build(input_dir: Path, output_dir: Path | str, *extra: str):
    # MINE_REPORT_DEBUG: an unexpected exception fails the test with its traceback instead
    # of being turned into the G002 line, so these tests see only real handling.
    return CliRunner(env={"MINE_REPORT_DEBUG": "1"}).invoke(
        cli, ["build", "--input", str(input_dir), "--output", str(output_dir), "--no-pdf", *extra])


def state(folder: Path) -> dict[str, bytes]:
    """Every entry of the folder (hidden ones too) with its bytes; folders as b'<dir>'."""
    return {p.name: p.read_bytes() if p.is_file() else b"<dir>" for p in folder.iterdir()}


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A folder holding the outputs of one successful build (copy it before changing)."""
    out = tmp_path_factory.mktemp("previous") / "out"
    result = run_build(SAMPLES, out)
    assert result.exit_code == 0, result.output
    assert sorted(state(out)) == OUTPUTS
    return out


def test_output_overlapping_the_input_is_refused(tmp_path):
    inputs = Path(shutil.copytree(SAMPLES, tmp_path / "in"))
    before = state(inputs)
    for out in (inputs, inputs / "sub", inputs.parent, Path(os.path.relpath(inputs))):
        result = run_build(inputs, out)
        assert result.exit_code == 2, (out, result.output)
        assert "エラー: [B008]" in result.output and "Traceback" not in result.output
        assert state(inputs) == before
    assert sorted(p.name for p in inputs.parent.iterdir()) == ["in"]


@pytest.mark.parametrize("where", ["under-a-file", "/proc/mine-report-test", "/proc",
                                   "/sys/kernel/mine-report-test"])
def test_unwritable_output_is_a_coded_error_before_any_work(tmp_path, where):
    if where == "under-a-file":
        (tmp_path / "file.txt").write_text("not a folder")
        where = str(tmp_path / "file.txt" / "out")
    result = run_build(SAMPLES, where)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"エラー: [B009] 出力先に書き込めません: {where}")
    assert "Traceback" not in result.output
    assert "点検" not in result.output  # refused before the workbooks were read


def test_an_owned_name_taken_by_a_folder_is_refused_and_nothing_changes(previous, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    (out / "report.html").mkdir()
    (out / "report.html" / "mine.txt").write_text("the user's", encoding="utf-8")
    before = state(out)
    result = run_build(SAMPLES, out)
    assert result.exit_code == 1 and "[B009]" in result.output and "report.html" in result.output
    assert state(out) == before
    assert (out / "report.html" / "mine.txt").read_text(encoding="utf-8") == "the user's"


def test_a_failed_build_into_a_new_folder_leaves_no_folder(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "broken.xlsx").write_bytes(b"not a workbook")
    result = run_build(inputs, tmp_path / "new" / "out")
    assert result.exit_code == 1 and "[B001]" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_owned_files_this_build_did_not_write_are_removed_others_kept(previous, tmp_path):
    # What an earlier `build --html` left (the real sequence is in test_report_safety).
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    (out / "report.html").write_text("<p>earlier build</p>", encoding="utf-8")
    (out / "report.pdf").write_bytes(b"%PDF earlier build")
    (out / "memo.txt").write_text("the user's own file", encoding="utf-8")
    (out / "report.html.bak").write_text("also the user's", encoding="utf-8")
    result = run_build(SAMPLES, out)
    assert result.exit_code == 0, result.output
    assert sorted(state(out)) == sorted([*OUTPUTS, "memo.txt", "report.html.bak"])
    assert (out / "memo.txt").read_text(encoding="utf-8") == "the user's own file"


def _lock_holder(path: Path) -> subprocess.Popen:
    """Another process holding the lock of a staging folder, as a running build does."""
    code = ("import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR)\n"
            "fcntl.flock(fd, fcntl.LOCK_EX)\n"
            "print('locked', flush=True)\n"
            "time.sleep(120)\n")
    holder = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_staging_folders_of_dead_builds_are_removed_and_nothing_else(previous, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    dead = out / ".mine-report-build-dead0001"
    (dead / ".previous").mkdir(parents=True)
    (dead / ".lock").write_bytes(b"")
    (dead / "kpi_merged.xlsx").write_bytes(b"half written")
    running = out / ".mine-report-build-live0001"
    running.mkdir()
    (running / ".lock").write_bytes(b"")
    (running / "report.pdf").write_bytes(b"being written")
    # Look-alikes the tool did not make: kept whatever they hold.
    (out / ".mine-report-build-notours-x").mkdir()
    (out / ".mine-report-build-file0001").write_text("a file", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".lock").write_bytes(b"")
    (elsewhere / "precious.txt").write_text("keep", encoding="utf-8")
    (out / ".mine-report-build-link0001").symlink_to(elsewhere)
    holder = _lock_holder(running / ".lock")
    try:
        result = run_build(SAMPLES, out)
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 0, result.output
    assert not dead.exists()
    assert (running / "report.pdf").read_bytes() == b"being written"
    assert (out / ".mine-report-build-notours-x").is_dir()
    assert (out / ".mine-report-build-file0001").read_text(encoding="utf-8") == "a file"
    assert (elsewhere / "precious.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(state(out)) == sorted([
        *OUTPUTS, running.name, ".mine-report-build-notours-x", ".mine-report-build-file0001",
        ".mine-report-build-link0001"])
    # Once its build has ended, the next build removes it too.
    assert staging.remove_stale(out) == [running]


def test_a_failed_move_into_place_puts_every_file_back(previous, tmp_path, monkeypatch):
    # A disk error on the second rename: the first output must not stay new.
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    (out / "report.html").write_text("<p>earlier</p>", encoding="utf-8")
    before = state(out)
    work = out / "work"
    work.mkdir()
    for name in OUTPUTS:
        (work / name).write_bytes(b"new " + name.encode())
    real_replace, calls = os.replace, []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(staging.os, "replace", failing_replace)
    with pytest.raises(staging.MineReportError, match=rf"^\[B009\] .*{re.escape(OUTPUTS[1])}"):
        staging.commit(work, out, OUTPUTS, [*OUTPUTS, "report.html", "report.pdf"])
    monkeypatch.undo()
    shutil.rmtree(work)
    assert state(out) == before


def _start_build(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mine_report", "build", "--input", str(SAMPLES), "--output",
         str(out), *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True)


def _wait_for_staging(out: Path, proc: subprocess.Popen, holding: str | None = None) -> Path:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        for entry in out.iterdir():
            if entry.name.startswith(staging.STAGING_PREFIX) and (
                    holding is None or (entry / holding).exists()):
                return entry
        time.sleep(0.02)
    raise AssertionError(f"no staging folder seen (exit {proc.poll()})")


@pytest.mark.slow
def test_ctrl_c_exits_130_in_japanese_and_keeps_the_previous_outputs(previous, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    before = state(out)
    proc = _start_build(out, "--jobs", "2")
    _wait_for_staging(out, proc, holding="kpi_merged.xlsx")  # laying out the PDF now
    os.killpg(proc.pid, signal.SIGINT)  # what the terminal does: the whole process group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout + stderr
    assert "[G001] 中断しました" in stderr
    assert "Traceback" not in stdout + stderr and "Aborted" not in stdout + stderr
    assert state(out) == before


@pytest.mark.slow
def test_sigkill_mid_build_keeps_the_previous_outputs_and_the_next_build_cleans_up(
        previous, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(previous, out)
    (out / "report.pdf").write_bytes(b"%PDF the previous report")
    before = state(out)
    proc = _start_build(out, "--jobs", "2")
    left = _wait_for_staging(out, proc, holding="kpi_merged.xlsx")  # laying out the PDF now
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert {k: v for k, v in state(out).items() if k != left.name} == before
    assert (left / "kpi_merged.xlsx").exists()  # the junk a killed build leaves
    result = run_build(SAMPLES, out)
    assert result.exit_code == 0, result.output
    assert sorted(state(out)) == OUTPUTS  # no staging folder, and no report.pdf of before


def test_staging_lock_is_held_while_the_build_runs(tmp_path):
    out = tmp_path / "out"
    with staging.staging_folder(out, ()) as folder:
        fd = os.open(folder / staging.LOCK_NAME, os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
        assert staging.remove_stale(out) == []
    assert list(out.iterdir()) == []
