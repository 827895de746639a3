"""Process-wide settings the tool needs, made by the entry point (never as a side effect
of importing a module).

openpyxl writes through lxml whenever lxml is importable (pikepdf brings it), and its lxml
writer gives other bytes (non-ASCII text as character references, twice the size). What
we write with openpyxl (--annotate copies; the samples in tools/) must not depend on what
else is installed, so the command asks for openpyxl's own writer. openpyxl reads the
setting once, when it is first imported: `prepare()` must run before that, which is why
the CLI's `main()` calls it first and imports the commands' modules only afterwards.
A program that uses the library directly calls it the same way, first.
"""

from __future__ import annotations

import os
import sys


class TooLateError(RuntimeError):
    """openpyxl was imported, with its lxml writer, before prepare() ran."""


def prepare() -> None:
    """Use openpyxl's own XML writer unless the user chose otherwise (OPENPYXL_LXML)."""
    os.environ.setdefault("OPENPYXL_LXML", "False")
    openpyxl = sys.modules.get("openpyxl")
    if openpyxl is not None and openpyxl.LXML and os.environ["OPENPYXL_LXML"] != "True":
        raise TooLateError("openpyxl was imported before mine_report.common.runtime.prepare(): "
                           "its lxml writer would change the bytes of the workbooks we save")
