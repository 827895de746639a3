"""The plan: what the city committed to (levels, items, KPIs, targets, revisions).

model holds the types; load reads and checks a plan file (TOML or `plan --json`);
versions gives the per-sheet digests a workbook carries; outline prints it. Imports only
`common`."""
