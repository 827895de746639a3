"""mine-report: KPI evaluation reports for a municipal revitalisation strategy.

Importing the package changes nothing in the process; the entry point calls
`mine_report.common.runtime.prepare()` (see there) before any command runs.
"""

__version__ = "0.1.0"
