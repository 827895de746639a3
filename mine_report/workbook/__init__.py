"""The standard workbook sent to departments: where everything sits (layout, shared with
the intake), its sheets, styles, Japanese guide and live self-checks (template, sheets,
styles, guide, checks). Imports `common` and `plan` only: it writes and never
reads (last round's values for --prefill are read by `intake.prefill`)."""
