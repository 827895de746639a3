"""What comes back: bytes read safely (files), xlsx and ods read into cells (xlsxread,
odsread), cells into a Submission with problems (reader, values, checks), last round's values
(prefill) and the comparison with them (previous), annotated copies for the clerk (annotate), and a city's
KPI list read into a plan (plan_list). Imports `common`, `plan` and `workbook` (layout)."""
