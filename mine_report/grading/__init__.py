"""From merged actuals to grades: merging the submissions (merge), the grading schemes as
data (schemes) and the rules in force (config), grading itself (grade), the baseline rule
and the projection to the target year. Imports `common` and `plan`."""
