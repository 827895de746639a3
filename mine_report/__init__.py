"""mine-report: KPI evaluation reports for a municipal revitalisation strategy."""

import os

# openpyxl writes through lxml whenever lxml is importable (pikepdf brings it), and its
# lxml writer gives other bytes (non-ASCII text as character references, twice the size).
# What we write with openpyxl (samples, --annotate copies) must not depend on what else
# is installed: use openpyxl's own writer unless the user has chosen otherwise. This runs
# before any of our modules imports openpyxl.
os.environ.setdefault("OPENPYXL_LXML", "False")

__version__ = "0.1.0"
