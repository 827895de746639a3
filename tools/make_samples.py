#!/usr/bin/env python3
"""Regenerate the invented sample submissions (same bytes every run): examples/submissions/
(令和5年度, an interim evaluation) and examples/submissions-final/ (令和6年度, the final one).

Usage: make samples (.venv/bin/python -m tools.make_samples from the repository root)
"""

from pathlib import Path

from mine_report.common import runtime

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    runtime.prepare()  # as the CLI does, before tools.samples imports openpyxl
    from mine_report.plan.load import load_plan
    from tools.samples import FINAL_DIR, FINAL_YEAR, SAMPLE_DIR, make_samples

    plan = load_plan()
    for path in [*make_samples(plan, ROOT / SAMPLE_DIR),
                 *make_samples(plan, ROOT / FINAL_DIR, year=FINAL_YEAR)]:
        print(path.relative_to(ROOT))
