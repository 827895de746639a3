"""A non-editable install finds its plan data and templates from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_elsewhere(tmp_path):
    wheels = tmp_path / "wheels"
    # Built from a copy of what the package is made of: setuptools keeps ./build/lib between
    # builds, so a module moved away would still ship from a checkout's stale build folder.
    source = tmp_path / "source"
    for name in ("setup.cfg", "setup.py", "pyproject.toml", "README.md", "mine_report", "templates"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (ROOT / name).exists():
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(wheels), str(source)],
        cwd=tmp_path, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("mine_report-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mine_report/data/mine-2nd-period.toml" in names
    # The demo tooling (tools/: sample filler and texts) stays out of the installed package.
    assert not [n for n in names if n.startswith("tools/") or "sample" in n.rsplit("/", 1)[-1]]
    assert any(n.startswith("mine_report/templates/") and n.endswith(".html") for n in names) or \
        not list((ROOT / "templates").glob("*.html"))
    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    # Dependencies come from the test environment; the package itself only from the wheel.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])}
    run = subprocess.run([sys.executable, "-I", "-c",
                          "import sys; sys.path[:0] = __import__('os').environ['PYTHONPATH'].split(__import__('os').pathsep);"
                          "import mine_report, mine_report.cli as c; print(mine_report.__file__); c.main()", "plan"],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert str(target) in run.stdout
    assert "KPI 78" in run.stdout
