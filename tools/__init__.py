"""Demo tooling kept beside the package, never installed: the invented sample returns
(`make samples`) and the filler the tests use to type into workbooks as a department would."""
