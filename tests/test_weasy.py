"""The WeasyPrint adapter (mine_report/outputs/weasy.py): the bound, the internals, the one door,
and the process-wide settings that no import makes by itself."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path

from mine_report.outputs import weasy

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "mine_report"


def _declared_bound() -> str:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    (line,) = [r.strip() for r in cfg["options"]["install_requires"].splitlines()
               if r.strip().startswith("weasyprint")]
    return line


def test_setup_cfg_bounds_weasyprint_to_the_adapters_majors():
    majors = weasy.SUPPORTED_MAJORS
    assert _declared_bound() == f"weasyprint>={majors.start},<{majors.stop}", (
        "setup.cfg and mine_report/outputs/weasy.py.SUPPORTED_MAJORS must name the same WeasyPrint "
        "majors")


def test_installed_weasyprint_is_inside_the_bound():
    major = int(weasy.VERSION.split(".")[0])
    assert major in weasy.SUPPORTED_MAJORS, (
        f"WeasyPrint {weasy.VERSION} is outside {_declared_bound()}: check the internals "
        "mine_report/outputs/weasy.py reaches (Page._page_box, weasyprint.text.ffi) against this "
        "version, then move SUPPORTED_MAJORS and setup.cfg together")


def test_the_internals_the_adapter_reaches_still_answer():
    page = weasy.HTML(string="<style>@page { size: A4; margin: 20mm 25mm }</style><p>x</p>"
                      ).render().pages[0]
    box = weasy.page_box(page)
    # A4 is 595.28 pt wide; 25 mm margins leave 453.5 pt of text block from 70.9 pt.
    assert (box.side, round(box.x, 1), round(box.width, 1)) == ("right", 70.9, 453.5)
    assert "BIZ UDPGothic" in weasy.font_families()
    files = weasy.font_file_names()
    assert files and all(Path(f).is_absolute() for f in files)


def test_only_the_adapter_imports_weasyprint():
    importers = [p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
                 if re.search(r"^\s*(from|import) weasyprint\b", p.read_text(encoding="utf-8"),
                              re.MULTILINE)]
    assert importers == ["outputs/weasy.py"]


def _python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "OPENPYXL_LXML"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)


def test_importing_the_package_sets_nothing_for_the_process():
    """No environment variable or warnings filter is set by an import (WeasyPrint's import
    warning is silenced for that import only)."""
    run = _python("import os, warnings; before = list(warnings.filters); "
                  "import mine_report.cli, mine_report.outputs.report, mine_report.intake.annotate; "
                  "assert 'OPENPYXL_LXML' not in os.environ, 'env set at import'; "
                  "assert warnings.filters == before, 'warnings filter set at import'")
    assert run.returncode == 0, run.stderr


def test_prepare_before_openpyxl_gives_its_own_writer():
    """What the CLI's main() does: prepare first, then the commands import openpyxl."""
    run = _python("import mine_report.cli; from mine_report.common import runtime; runtime.prepare(); "
                  "import mine_report.intake.annotate, openpyxl; print(openpyxl.LXML)")
    assert (run.returncode, run.stdout.strip()) == (0, "False"), run.stderr


def test_prepare_refuses_when_openpyxl_already_writes_through_lxml():
    code = ("import os; os.environ['OPENPYXL_LXML'] = 'True'; import openpyxl; "
            "del os.environ['OPENPYXL_LXML']; "
            "from mine_report.common import runtime\n"
            "try:\n    runtime.prepare()\nexcept runtime.TooLateError:\n    print('refused')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ("refused" if "lxml" in _installed() else "")


def _installed() -> str:
    run = subprocess.run([sys.executable, "-c", "import lxml; print('lxml')"],
                         capture_output=True, text=True)
    return run.stdout
