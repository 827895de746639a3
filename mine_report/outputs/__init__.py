"""What the tool publishes: the merged workbook (merged_xlsx), open data (export), the
round's status workbook (status_sheet), and the
report: its context (context, review, committee, charts), its parts (parts), layout through
WeasyPrint (report, weasy, layout_cache) and the joined PDF (pdfmerge, pdffonts). Imports
every stage before it, never the CLI."""
