"""mine-report: KPI evaluation reports for a municipal revitalisation strategy."""

__version__ = "0.1.0"
