"""The standard workbook sent to departments: where everything sits (layout, shared with
the intake), its sheets, styles, Japanese guide and live self-checks (template, sheets,
styles, guide, checks). Imports `common` and `plan`; `template --prefill` reads last round's
results through the intake (a lazy import, the one arrow against the flow)."""
