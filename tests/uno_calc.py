"""Drive LibreOffice Calc through UNO the way a clerk works: open a workbook, type or paste
into cells, let Calc recalculate, read what the sheets show, save.

Run with the system Python that has the UNO bridge (Debian python3-uno), not the
project's venv:  /usr/bin/python3 tests/uno_calc.py WORKBOOK < steps.json > results.json

steps.json is a list of steps, each a list:
  ["open", path]                 close the workbook and open another (one office for many)
  ["type", sheet, cell, text]    typed as at the keyboard (Calc parses numbers: 540 → 540)
  ["keys", sheet, cell, text]    entered through Calc's input line, as the keyboard does,
                                 so Calc also applies the format it recognises ("40%" →
                                 0.4 shown 40%). Save after these steps, then
                                 use another run to open the saved file again: closing a
                                 document after them may crash this headless office
  ["paste", sheet, cell, text]   pasted as text (stays text, like paste-special text)
  ["clipboard", sheet, from, to] Ctrl+C on one cell, Ctrl+V on another (a normal paste:
                                 it brings the source cell's formats and validation along)
  ["value", sheet, cell, number] a number
  ["clear", sheet, cell]         Delete key
  ["unprotect", sheet]           the clerk removes the (password-less) sheet protection
  ["recalc"]                     recalculate (Calc also does it by itself)
  ["read", sheet, cell]          → {"cell": "sheet!cell", "text": shown text, "value": number,
                                    "validation": the data validation's type, e.g. ANY, CUSTOM}
  ["save", path]                 save as .xlsx (Calc's Excel 2007-365 filter), or as
                                 OpenDocument when the path ends in .ods
  ["clock"]                      → {"clock": seconds} (for timing the steps between two)
The output is the list of read results, as JSON.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # noqa: F401  (the system python3-uno bridge)
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    for _ in range(120):
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:  # LibreOffice still starting
            time.sleep(0.5)
    raise SystemExit("LibreOffice did not answer on its UNO pipe")


def main() -> None:
    workbook = Path(sys.argv[1]).resolve()
    steps = json.load(sys.stdin)
    profile = tempfile.mkdtemp(prefix="uno-profile-")
    pipe = f"mine_report_{os.getpid()}"
    office = subprocess.Popen(
        ["soffice", "--headless", "--invisible", "--norestore", "--nologo",
         f"-env:UserInstallation=file://{profile}", f"--accept=pipe,name={pipe};urp;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: soffice.bin is a grandchild
    results = []
    try:
        ctx = connect(pipe)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(workbook.as_uri(), "_blank", 0,
                                           (prop("Hidden", True),))
        sheets = doc.Sheets
        dispatch = ctx.ServiceManager.createInstanceWithContext(
            "com.sun.star.frame.DispatchHelper", ctx)
        for step in steps:
            kind, args = step[0], step[1:]
            if kind == "open":
                doc.close(True)
                doc = desktop.loadComponentFromURL(Path(args[0]).resolve().as_uri(), "_blank",
                                                   0, (prop("Hidden", True),))
                sheets = doc.Sheets
                continue
            if kind == "clock":
                results.append({"clock": time.perf_counter()})
                continue
            if kind == "recalc":
                doc.calculateAll()
                continue
            if kind == "save":
                target = Path(args[0]).resolve()
                kind_filter = "calc8" if target.suffix == ".ods" else "Calc MS Excel 2007 XML"
                doc.storeToURL(target.as_uri(), (prop("FilterName", kind_filter),))
                continue
            sheet = sheets.getByName(args[0])
            if kind == "unprotect":
                sheet.unprotect("")
                continue
            target = sheet.getCellRangeByName(args[1])
            if kind == "clipboard":
                controller = doc.getCurrentController()
                controller.setActiveSheet(sheet)
                controller.select(target)
                dispatch.executeDispatch(controller.getFrame(), ".uno:Copy", "", 0, ())
                controller.select(sheet.getCellRangeByName(args[2]))
                dispatch.executeDispatch(controller.getFrame(), ".uno:Paste", "", 0, ())
            elif kind == "type":
                target.setFormula(args[2])
            elif kind == "keys":
                controller = doc.getCurrentController()
                controller.setActiveSheet(sheet)
                controller.select(target)
                dispatch.executeDispatch(controller.getFrame(), ".uno:EnterString", "", 0,
                                         (prop("StringName", args[2]),))
            elif kind == "paste":
                target.setString(args[2])
            elif kind == "value":
                target.setValue(args[2])
            elif kind == "clear":
                target.setString("")
            elif kind == "read":
                validation = target.getPropertyValue("Validation").Type.value
                results.append({"cell": f"{args[0]}!{args[1]}", "text": target.getString(),
                                "value": target.getValue(), "validation": validation})
            else:
                raise SystemExit(f"unknown step {kind}")
        # The bridge drops as the office quits; and after an input-line entry ("keys") this
        # headless office may crash closing the document, when all is saved and read.
        with contextlib.suppress(Exception):
            doc.close(True)
        with contextlib.suppress(Exception):
            desktop.terminate()
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            office.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):  # whatever of it is still running
            os.killpg(office.pid, signal.SIGKILL)
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
