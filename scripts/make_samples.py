#!/usr/bin/env python3
"""Regenerate the invented sample submissions in examples/submissions/ (same bytes every run).

Usage: .venv/bin/python scripts/make_samples.py
"""

from pathlib import Path

from mine_report.plan import load_plan
from mine_report.samples import make_samples

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    for path in make_samples(load_plan(), ROOT / "examples" / "submissions"):
        print(path.relative_to(ROOT))
