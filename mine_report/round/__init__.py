"""The yearly round around the intake: distributing workbooks per department (collection),
who has returned what (status) and the build history (history). Imports
`common`, `plan`, `workbook` and `intake`."""
