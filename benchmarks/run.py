"""`make bench`: how fast and how lean the build is, against LibreOffice and calamine.

Prints one table and writes the same figures to output/bench.json. Never run by the
tests. Every timed run happens in a fresh subprocess (this script with --worker), so
the peak RSS reported is that run's own; the figure per row is the median of N runs
after one warm-up run. The build is timed by phase in-process, and end to end as users
run it (`mine-report build` in a new process: start-up, imports and the layout workers
included), cold and as a rebuild after one department re-sent its workbook (the layout
cache), each beside LibreOffice printing the merged workbook (runs taken in turns, so the
machine's load weighs on both alike); and the full build with the PDF by plan size.

    python benchmarks/run.py            # N=5 (2 for the PDF scaling); 78/780 KPIs, validate 10/100
    python benchmarks/run.py --quick    # N=1, same sizes
    python benchmarks/run.py --full     # adds 7,800 KPIs and validate 1,000 files
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The sample filler (tools/) sits beside the package and is not installed.
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT / "examples" / "submissions"
OUTPUT = ROOT / "output" / "bench.json"
YEAR = 2023
FILLED_YEARS = (2020, 2021, 2022, 2023)
STRATEGY_SHIFT = 5  # the shipped plan has strategies 1-5: copy c uses 1+5c … 5+5c

# --- worker side (runs in a fresh interpreter per measurement) ---------------------------


def _rss_mib() -> float:
    # ru_maxrss is KiB on Linux: the peak of this process so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_build(spec: dict) -> dict:
    """Time each phase of a build of spec["input"] against spec["plan"]; phases and RSS."""
    from mine_report.build import _evaluation_year
    from mine_report.grading.config import default_rules
    from mine_report.grading.grade import evaluate
    from mine_report.grading.merge import merge
    from mine_report.intake import checks
    from mine_report.outputs.export import OPEN_DATA_NAMES, write_open_data
    from mine_report.outputs.merged_xlsx import XLSX_NAME, write_merged_xlsx
    from mine_report.plan.load import load_plan, plan_from_json

    plan = (plan_from_json(Path(spec["plan"]).read_text("utf-8")) if spec.get("plan")
            else load_plan())
    rules = default_rules()
    out = Path(spec["out"])
    out.mkdir(parents=True, exist_ok=True)
    phases: dict[str, float] = {}
    rss: dict[str, float] = {"start": _rss_mib()}
    started = time.perf_counter()

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        phases[name] = now - since
        rss[name] = _rss_mib()
        return now

    t = started
    paths = checks.collect_paths([spec["input"]], plan)
    report = checks.validate_files(paths, plan)
    t = lap("read", t)
    submissions, left_out = report.usable()
    year = _evaluation_year(None, submissions, plan)
    warnings = [p for f in report.files for p in f.problems if not p.is_error]
    warnings += [p for p in report.cross_problems if not p.is_error]
    merged = merge(plan, submissions, year, warnings=warnings, left_out=left_out)
    evaluation = evaluate(plan, merged.actuals, year, rules, unsubmitted=merged.unsubmitted)
    t = lap("grade", t)
    write_merged_xlsx(out / XLSX_NAME, merged, evaluation)
    t = lap("xlsx", t)
    write_open_data(out, merged, evaluation)
    t = lap("json_csv", t)
    if spec.get("pdf"):
        from mine_report.outputs.report import render_report  # loaded when used, as build does

        # The public edition, as build makes by default: the open data attached.
        render_report(merged, evaluation, out, attachments=[out / n for n in OPEN_DATA_NAMES],
                      jobs=spec.get("jobs"))
        t = lap("pdf", t)
    phases["total"] = t - started
    # The PDF's parts are laid out by worker processes: their peak is reported beside ours.
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"phases": phases, "rss_mib": rss, "peak_rss_mib": _rss_mib(),
            "worker_peak_rss_mib": workers, "jobs": spec.get("jobs"),
            "files": len(paths), "errors": report.errors,
            "kpis": len(evaluation.kpis)}


def worker_validate(spec: dict) -> dict:
    """Time validate_files over spec["paths"]."""
    from mine_report.intake import checks
    from mine_report.plan.load import plan_from_json

    plan = plan_from_json(Path(spec["plan"]).read_text("utf-8"))
    paths = [Path(p) for p in spec["paths"]]
    started = time.perf_counter()
    report = checks.validate_files(paths, plan)
    seconds = time.perf_counter() - started
    return {"phases": {"total": seconds}, "peak_rss_mib": _rss_mib(),
            "files": len(paths), "errors": report.errors}


def worker_calamine(spec: dict) -> dict:
    """Time python-calamine reading every cell value of every sheet of the input files."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    cells = 0
    for path in sorted(Path(spec["input"]).glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            cells += sum(len(row) for row in wb.get_sheet_by_name(name).to_python())
    seconds = time.perf_counter() - started
    return {"phases": {"total": seconds}, "peak_rss_mib": _rss_mib(), "cells": cells}


def worker_soffice(spec: dict) -> dict:
    """Time LibreOffice converting the merged workbook to PDF (its own profile folder)."""
    out = Path(spec["out"])
    started = time.perf_counter()
    subprocess.run(["soffice", f"-env:UserInstallation=file://{spec['profile']}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), spec["input"]],
                   check=True, capture_output=True, timeout=600)
    seconds = time.perf_counter() - started
    if not (out / (Path(spec["input"]).stem + ".pdf")).exists():
        raise RuntimeError("soffice wrote no PDF")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"phases": {"total": seconds}, "peak_rss_mib": children}


def worker_command(spec: dict) -> dict:
    """Time `mine-report build` run as users run it (a new interpreter: start-up, imports and
    the layout workers included). spec["fresh"] is copied to spec["out"] first, untimed (a
    rebuild starts from the earlier build's folder and cache)."""
    out = Path(spec["out"])
    shutil.rmtree(out, ignore_errors=True)
    if spec.get("fresh"):
        shutil.copytree(spec["fresh"], out, symlinks=True)
    command = [str(Path(sys.executable).with_name("mine-report")), "build",
               "--input", spec["input"], "--output", str(out), *spec.get("args", [])]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600,
                          env={**os.environ, **spec.get("env", {})})
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"mine-report build failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    # The largest of the command's processes (its main process and the layout workers).
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    result = {"phases": {"total": seconds}, "peak_rss_mib": children}
    pdf = out / "report.pdf"
    if pdf.exists():
        import pikepdf

        with pikepdf.open(pdf) as opened:
            result["pages"] = len(opened.pages)
        result["pdf_bytes"] = pdf.stat().st_size
    return result


WORKERS = {"build": worker_build, "validate": worker_validate, "calamine": worker_calamine,
           "soffice": worker_soffice, "command": worker_command}

# --- driver side ---------------------------------------------------------------------------


def run_worker(kind: str, spec: dict) -> dict:
    """One measurement in a fresh interpreter; its JSON result."""
    done = subprocess.run([sys.executable, __file__, "--worker", kind, json.dumps(spec)],
                          capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(kind: str, spec: dict, runs: int, warm_up: bool = True) -> dict:
    """Warm-up run (unless the measurement is long enough not to need one: a 7,800-KPI
    build takes most of half an hour), then `runs` runs: median seconds per phase,
    highest peak RSS."""
    if warm_up:
        run_worker(kind, spec)
    return _figure(kind, _summary([run_worker(kind, spec) for _ in range(runs)], runs))


def measure_side_by_side(a: tuple[str, dict], b: tuple[str, dict], runs: int) -> tuple[dict, dict]:
    """Two measurements taken in turns (a, b, a, b …), so that whatever else the machine is
    doing weighs on both alike: a figure compared with another is measured beside it."""
    for kind, spec in (a, b):
        run_worker(kind, spec)  # warm-up
    results: tuple[list, list] = ([], [])
    for _ in range(runs):
        for into, (kind, spec) in zip(results, (a, b), strict=True):
            into.append(run_worker(kind, spec))
    return tuple(_figure(kind, _summary(r, runs))  # type: ignore[return-value]
                 for r, (kind, _spec) in zip(results, (a, b), strict=True))


def _summary(results: list[dict], runs: int) -> dict:
    phases = {name: statistics.median(r["phases"][name] for r in results)
              for name in results[0]["phases"]}
    summary = {k: v for k, v in results[-1].items() if k not in ("phases", "peak_rss_mib")}
    summary["phases"] = phases
    summary["peak_rss_mib"] = max(r["peak_rss_mib"] for r in results)
    summary["runs"] = runs
    return summary


def scaled_plan(copies: int) -> dict:
    """The shipped plan's data repeated `copies` times, each copy with its own ids."""
    from mine_report.plan.load import load_plan

    base = load_plan().to_dict()
    data = copy.deepcopy(base)
    data["strategies"] = []
    for c in range(copies):
        for strategy in copy.deepcopy(base["strategies"]):
            old = strategy["id"]
            new = str(int(old) + STRATEGY_SHIFT * c)
            strategy["id"] = new
            for goal in strategy["goal_indicators"]:
                goal["id"] = goal["id"].replace(f"G{old}-", f"G{new}-", 1)
            for policy in strategy["policies"]:
                policy["id"] = _reprefix(policy["id"], old, new)
                for measure_ in policy["measures"]:
                    measure_["id"] = _reprefix(measure_["id"], old, new)
                    for item in measure_["kpis"] + measure_["initiatives"]:
                        item["id"] = _reprefix(item["id"], old, new)
            data["strategies"].append(strategy)
    return data


def _reprefix(ident: str, old: str, new: str) -> str:
    assert ident.startswith(f"{old}-"), ident
    return f"{new}{ident[len(old):]}"


def _make_filled(job: tuple[str, str, list[str], str, int, list[str]]) -> None:
    """One department workbook: a template for these measures, every actual typed in, and
    the goal indicators `goals` filled as well (only in the planning division's)."""
    from mine_report.plan.load import plan_from_json
    from mine_report.workbook.template import write_template
    from tools.samples import WorkbookFiller

    plan_path, path, measure_ids, department, seed, goals = job
    plan = _plan_cache.get(plan_path) or plan_from_json(Path(plan_path).read_text("utf-8"))
    _plan_cache[plan_path] = plan
    percent = {k.id for k in plan.kpis + plan.goal_indicators if k.is_percent}
    write_template(path, plan, year=YEAR, measure_ids=measure_ids, department=department)
    filler = WorkbookFiller(path)
    wanted = set(goals)
    for n, kpi_id in enumerate(sorted(filler.by_kpi)):
        if kpi_id.startswith("G") and kpi_id not in wanted:
            continue  # the goal sheet is left blank, as in a department's real return
        for year in FILLED_YEARS:
            # distinct, plausible numbers per workbook; nothing for the checks to flag
            # (percentages stay within 0-100)
            value = (seed * 7 + n * 3 + year) % 80
            filler.actual(kpi_id, year, Decimal(10 + value if kpi_id in percent else 100 + value))
    filler.save(path)


_plan_cache: dict[str, object] = {}


def make_set(folder: Path, copies: int, per: str, limit: int | None = None) -> tuple[Path, int]:
    """Write a plan of `copies` copies and its filled workbooks (one per strategy or per
    policy, so no two workbooks share a measure) into folder; (plan json path, files)."""
    from mine_report.plan.model import json_number

    folder.mkdir(parents=True, exist_ok=True)
    data = scaled_plan(copies)
    plan_path = folder / "plan.json"
    plan_path.write_text(json.dumps(data, ensure_ascii=False, default=json_number), "utf-8")
    groups = []
    for s in data["strategies"]:
        if per == "strategy":
            groups.append((s["id"], [m["id"] for p in s["policies"] for m in p["measures"]]))
        else:
            groups += [(p["id"], [m["id"] for m in p["measures"]]) for p in s["policies"]]
    # The goal sheet is the planning division's: one workbook fills it, the others leave
    # it blank (two filled goal sheets that differ are an error, E401).
    goals = [g["id"] for s in data["strategies"] for g in s["goal_indicators"]]
    groups = [(gid, mids, goals if n == 0 else []) for n, (gid, mids) in enumerate(groups)]
    groups = groups[:limit]
    inputs = folder / "input"
    inputs.mkdir(exist_ok=True)
    jobs = [(str(plan_path), str(inputs / f"{n:04d}-{gid}.xlsx"), mids, f"部署{gid}", n, goals)
            for n, (gid, mids, goals) in enumerate(groups)]
    # Generation is not measured: spread it over the cores.
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(_make_filled, jobs, chunksize=4))
    return plan_path, len(jobs)


#: The results being gathered: written as they grow (see say), so that a run cut short
#: (a --full run takes most of an hour) still leaves every figure it measured.
_RESULTS: dict = {}
PARTIAL = OUTPUT.with_name("bench.partial.json")


def say(message: str) -> None:
    """Announce the next step, after saving what is measured so far to PARTIAL."""
    if _RESULTS:
        _write_json(PARTIAL, _RESULTS)
    print(message, file=sys.stderr, flush=True)


def _write_json(path: Path, results: dict) -> None:
    from mine_report.common.fileio import atomic_path

    path.parent.mkdir(exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", "utf-8")


def _figure(kind: str, summary: dict) -> dict:
    """Print a measurement's figure as soon as it is taken (the table comes at the end)."""
    say(f"  {kind}: {summary['phases']['total']:.3f} s, largest process "
        f"{summary['peak_rss_mib']:.0f} MiB")
    return summary


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run per figure")
    parser.add_argument("--full", action="store_true",
                        help="also 7,800 KPIs and validate over 1,000 workbooks (slow to generate)")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5, --quick 1)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, spec = args.worker
        print(json.dumps(WORKERS[kind](json.loads(spec))))
        return
    runs = args.runs or (1 if args.quick else 5)
    results = _RESULTS
    results.update({"runs": runs, "python": platform.python_version(),
                    "machine": f"{platform.machine()} {os.cpu_count()} cpu", "notes": []})
    notes: list[str] = results["notes"]
    work = Path(tempfile.mkdtemp(prefix="mine-report-bench-"))
    try:
        _run(args, runs, work, results, notes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _write_json(OUTPUT, results)
    PARTIAL.unlink(missing_ok=True)
    print_table(results)
    print(f"\nwritten: {OUTPUT.relative_to(ROOT)}")


def _run(args, runs: int, work: Path, results: dict, notes: list[str]) -> None:
    # 1. the sample build, phase by phase
    say(f"sample build ({runs} run(s) + warm-up) …")
    sample_out = work / "sample-out"
    sample = measure("build", {"input": str(SAMPLES), "out": str(sample_out), "pdf": True}, runs)
    results["sample"] = sample
    say("sample PDF on one process (--jobs 1) …")
    serial = measure("build", {"input": str(SAMPLES), "out": str(work / "serial-out"),
                               "pdf": True, "jobs": 1}, runs)
    results["sample_jobs1"] = {"pdf": serial["phases"]["pdf"],
                               "total": serial["phases"]["total"],
                               "peak_rss_mib": serial["peak_rss_mib"]}

    # 2. anchors, each beside what it is compared with: the command as users run it, cold
    # (--no-cache) and rebuilding after one department re-sent its workbook
    merged_xlsx = sample_out / "kpi_merged.xlsx"
    lo = ("soffice", {"input": str(merged_xlsx), "out": str(work / "soffice-out"),
                      "profile": str(work / "lo-profile")})
    cold = ("command", {"input": str(SAMPLES), "out": str(work / "command-out"),
                        "args": ["--no-cache"], "env": COMMAND_ENV})
    warm = ("command", rebuild_spec(work))
    if shutil.which("soffice"):
        say("the command, cold, beside LibreOffice …")
        results["soffice"], results["command"] = measure_side_by_side(lo, cold, runs)
        say("the rebuild after one re-sent workbook, beside LibreOffice …")
        results["soffice_warm"], results["rebuild"] = measure_side_by_side(lo, warm, runs)
    else:
        notes.append("soffice not found: LibreOffice anchor skipped")
        results["command"] = measure(*cold, runs)
        results["rebuild"] = measure(*warm, runs)
    try:
        import python_calamine  # noqa: F401
        say("calamine anchor …")
        results["calamine"] = measure("calamine", {"input": str(SAMPLES)}, runs)
    except ImportError:
        notes.append("python-calamine not importable: calamine anchor skipped "
                     "(pip install -e '.[bench]')")

    # 3. scaling by plan size: read+validate+grade+xlsx+JSON/CSV, no PDF
    copies = [1, 10] + ([100] if args.full else [])
    if not args.full:
        notes.append("7,800 KPIs and validate over 1,000 workbooks skipped: run with --full")
    results["scaling"] = []
    for k in copies:
        say(f"scaling: generating {78 * k} KPIs …")
        plan_path, files = make_set(work / f"scale-{k}", k, "strategy")
        say(f"scaling: measuring {78 * k} KPIs ({files} workbooks) …")
        row = measure("build", {"input": str(work / f"scale-{k}" / "input"),
                                "plan": str(plan_path), "out": str(work / f"scale-{k}-out"),
                                "pdf": False}, runs, warm_up=k < 100)
        row["copies"] = k
        results["scaling"].append(row)

    # the full build with the PDF: fewer runs at the larger sizes (each is long)
    results["pdf_scaling"] = []
    pdf_scaling(work, copies, max(1, min(runs, 2)), results["pdf_scaling"])

    # validate over N workbooks, one per policy (distinct measures: no conflicts)
    results["validate"] = []
    sets = [(10, 10), (100, 10)] + ([(1000, 100)] if args.full else [])
    made: dict[int, Path] = {}
    for n, k in sets:
        if k not in made:
            say(f"validate: generating per-policy workbooks for {78 * k} KPIs …")
            need = max(m for m, kk in sets if kk == k)
            made[k], _ = make_set(work / f"validate-{k}", k, "policy", limit=need)
        paths = sorted(str(p) for p in (made[k].parent / "input").glob("*.xlsx"))[:n]
        say(f"validate: {n} workbooks …")
        row = measure("validate", {"plan": str(made[k]), "paths": paths}, runs,
                      warm_up=n < 1000)
        row["plan_kpis"] = 78 * k
        results["validate"].append(row)
    results["live_checks"] = live_checks(work, notes)
    results["targets"] = targets(results)


#: A fixed report date: a rebuild a day later would date the report anew (and lay out
#: the cover again), which is right for users but not for a measurement.
COMMAND_ENV = {"SOURCE_DATE_EPOCH": "1719700000"}
#: The correction the rebuild row makes: one actual of one department's workbook (not the
#: KPI that the method chapter takes as its worked example, which changes that chapter too).
RESENT = ("04-kosodate-shien.xlsx", "2-1-1-2")


def rebuild_spec(work: Path) -> dict:
    """The warm rebuild: the output folder (and its cache) of a build of the samples, then
    one department corrects one actual and sends its workbook again."""
    from tools.samples import WorkbookFiller

    inputs = work / "rebuild-in"
    shutil.copytree(SAMPLES, inputs)
    base = work / "rebuild-base"
    say("the rebuild: a first build of the samples …")
    run_worker("command", {"input": str(inputs), "out": str(base), "env": COMMAND_ENV})
    name, kpi = RESENT
    filler = WorkbookFiller(inputs / name)
    filler.actual(kpi, YEAR, Decimal(987))
    filler.save(inputs / name)
    return {"input": str(inputs), "out": str(work / "rebuild-out"), "fresh": str(base),
            "env": COMMAND_ENV}


def pdf_scaling(work: Path, copies: list[int], runs: int, rows: list[dict]) -> list[dict]:
    """The whole build, PDF included, as users run the command (cold), by plan size; each
    row appended to `rows` as soon as it is measured."""
    for k in copies:
        folder = work / f"scale-{k}"
        if not (folder / "plan.json").exists():
            make_set(folder, k, "strategy")
        say(f"scaling with the PDF: {78 * k:,} KPIs …")
        row = measure("command", {"input": str(folder / "input"), "out": str(work / f"pdf-{k}"),
                                  "args": ["--plan", str(folder / "plan.json"), "--no-cache"],
                                  "env": COMMAND_ENV}, runs, warm_up=k < 100)
        row["copies"] = k
        rows.append(row)
    return rows


def live_checks(work: Path, notes: list[str]) -> dict | None:
    """The template's live checks in LibreOffice (driven through UNO by tests/uno_calc.py):
    a full recalculation of the whole-plan template, and one edit plus reading the front
    sheet's total, the cost a clerk pays per keystroke-and-Enter."""
    script = ROOT / "tests" / "uno_calc.py"
    probe = subprocess.run(["/usr/bin/python3", "-c", "import uno"], capture_output=True)
    if not shutil.which("soffice") or probe.returncode != 0:
        notes.append("LibreOffice UNO bridge (python3-uno) not found: live checks skipped")
        return None
    from mine_report.plan.load import load_plan
    from mine_report.workbook.template import write_template

    path = work / "live-checks.xlsx"
    write_template(path, load_plan(), year=YEAR)
    edits = 20
    steps: list = [["clock"], *[["recalc"]] * 5, ["clock"]]
    for i in range(edits):
        steps += [["type", "5-2-1", "M8", "abc" if i % 2 == 0 else "5"], ["read", "記入要領", "C8"]]
    steps.append(["clock"])
    say("live checks in LibreOffice …")
    done = subprocess.run(["/usr/bin/python3", str(script), str(path)], input=json.dumps(steps),
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HOME": str(work)})
    if done.returncode != 0:
        notes.append(f"live checks failed: {done.stderr[-300:]}")
        return None
    clocks = [r["clock"] for r in json.loads(done.stdout) if "clock" in r]
    return {"full_recalc_s": (clocks[1] - clocks[0]) / 5,
            "edit_s": (clocks[2] - clocks[1]) / edits}


def targets(r: dict) -> list[dict]:
    """Where each target stands."""
    sample = r["sample"]["phases"]
    rows = []

    def add(name: str, value: float | None, limit: float, unit: str) -> None:
        rows.append({"target": name, "value": value, "limit": limit, "unit": unit,
                     "met": None if value is None else value <= limit})

    lo = r.get("soffice", {}).get("phases", {}).get("total")
    add("total ÷ LibreOffice PDF", sample["total"] / lo if lo else None, 1.0, "×")
    command = r.get("command", {}).get("phases", {}).get("total")
    add("command ÷ LibreOffice PDF", command / lo if lo and command else None, 1.0, "×")
    lo_warm = r.get("soffice_warm", {}).get("phases", {}).get("total")
    rebuild = r.get("rebuild", {}).get("phases", {}).get("total")
    add("rebuild ÷ LibreOffice PDF", rebuild / lo_warm if lo_warm and rebuild else None,
        0.25, "×")
    cal = r.get("calamine", {}).get("phases", {}).get("total")
    add("read ÷ calamine", sample["read"] / cal if cal else None, 3.0, "×")
    by_copies = {row["copies"]: row for row in r["scaling"]}
    base = by_copies[1]["phases"]["total"]
    for k, limit in ((10, 10.0), (100, 100.0)):
        row = by_copies.get(k)
        add(f"{78 * k:,} KPIs ÷ 78 KPIs time", row["phases"]["total"] / base if row else None,
            limit, "×")
    with_pdf = {row["copies"]: row for row in r.get("pdf_scaling", [])}
    if 1 in with_pdf:
        small = with_pdf[1]
        for k, limit in ((10, 10.0), (100, 100.0)):
            row = with_pdf.get(k)
            add(f"{78 * k:,} KPIs with PDF ÷ 78", row["phases"]["total"] / small["phases"]["total"]
                if row else None, limit, "×")
        mid = with_pdf.get(10)
        add("peak RSS at 780 KPIs with PDF", mid["peak_rss_mib"] if mid else None, 1024.0, "MiB")
        growth = (mid["pdf_bytes"] / small["pdf_bytes"]) / (mid["pages"] / small["pages"]) \
            if mid else None
        add("PDF size ÷ pages growth (780)", growth, 1.0, "×")
    big = by_copies.get(100)
    add("peak RSS at 7,800 KPIs", big["peak_rss_mib"] if big else None, 500.0, "MiB")
    v1000 = next((v for v in r["validate"] if v["files"] == 1000), None)
    add("validate 1,000 workbooks", v1000["phases"]["total"] if v1000 else None, 30.0, "s")
    live = r.get("live_checks") or {}
    add("LibreOffice edit with live checks", live.get("edit_s"), 0.05, "s")
    return rows


def print_table(r: dict) -> None:
    lines = [f"mine-report benchmark — median of {r['runs']} run(s) after a warm-up, "
             f"Python {r['python']}, {r['machine']}", ""]
    s = r["sample"]
    lines.append(f"Sample build: examples/submissions ({s['files']} workbooks, "
                 f"{s['kpis']} KPIs/goal indicators graded)")
    lines.append(f"  {'phase':<16}{'seconds':>10}{'RSS after (MiB)':>18}")
    labels = {"read": "read+validate", "grade": "merge+grade", "xlsx": "merged xlsx",
              "json_csv": "JSON+CSV", "pdf": "PDF", "total": "total"}
    for key, label in labels.items():
        if key in s["phases"]:
            after = s["rss_mib"].get(key, s["peak_rss_mib"])
            lines.append(f"  {label:<16}{s['phases'][key]:>10.3f}{after:>18.1f}")
    lines.append(f"  peak RSS {s['peak_rss_mib']:.1f} MiB"
                 + (f" (largest PDF worker {s['worker_peak_rss_mib']:.1f} MiB)"
                    if s.get("worker_peak_rss_mib") else ""))
    if "sample_jobs1" in r:
        one = r["sample_jobs1"]
        lines.append(f"  on one process (--jobs 1): PDF {one['pdf']:.3f} s, total {one['total']:.3f} s,"
                     f" peak RSS {one['peak_rss_mib']:.1f} MiB")
    lines.append("")
    lines.append("Anchors")
    if "soffice" in r:
        lo = r["soffice"]["phases"]["total"]
        lines.append(f"  soffice --convert-to pdf kpi_merged.xlsx   {lo:8.3f} s   "
                     f"ours total ÷ it = {s['phases']['total'] / lo:.2f}×")
    if "calamine" in r:
        cal = r["calamine"]["phases"]["total"]
        lines.append(f"  calamine, all cells of the {s['files']} inputs   {cal:8.3f} s   "
                     f"ours read ÷ it = {s['phases']['read'] / cal:.2f}×")
    lines.append("")
    lines.append("The command as users run it (`mine-report build`, a new process; median wall time)")
    for key, lo_key, label in (("command", "soffice", "cold (--no-cache)"),
                               ("rebuild", "soffice_warm", "rebuild, one workbook re-sent")):
        if key not in r:
            continue
        t = r[key]["phases"]["total"]
        beside = r.get(lo_key, {}).get("phases", {}).get("total")
        ratio = f"   LibreOffice beside it {beside:.3f} s, ratio {t / beside:.2f}×" if beside else ""
        lines.append(f"  {label:<31}{t:8.3f} s   largest process "
                     f"{r[key]['peak_rss_mib']:.0f} MiB{ratio}")
    if r.get("pdf_scaling"):
        lines.append("")
        lines.append("Scaling with the PDF (the command, cold)")
        lines.append(f"  {'KPIs':>6}{'seconds':>10}{'growth':>9}{'pages':>7}{'PDF MB':>9}"
                     f"{'MB/page':>9}{'largest process MiB':>21}")
        first = r["pdf_scaling"][0]["phases"]["total"]
        for row in r["pdf_scaling"]:
            t = row["phases"]["total"]
            mb = row.get("pdf_bytes", 0) / 1e6
            pages = row.get("pages", 0)
            lines.append(f"  {78 * row['copies']:>6,}{t:>10.3f}{t / first:>8.1f}×{pages:>7}"
                         f"{mb:>9.2f}{mb / pages if pages else 0:>9.3f}"
                         f"{row['peak_rss_mib']:>21.1f}")
    lines.append("")
    lines.append("Scaling (read+validate+grade+xlsx+JSON/CSV, no PDF)")
    lines.append(f"  {'KPIs':>6}{'workbooks':>11}{'seconds':>10}{'growth':>9}{'peak RSS MiB':>14}")
    base = r["scaling"][0]["phases"]["total"]
    for row in r["scaling"]:
        t = row["phases"]["total"]
        lines.append(f"  {78 * row['copies']:>6,}{row['files']:>11}{t:>10.3f}"
                     f"{t / base:>8.1f}×{row['peak_rss_mib']:>14.1f}")
    lines.append("")
    lines.append("validate (validate_files), one workbook per policy")
    lines.append(f"  {'workbooks':>9}{'plan KPIs':>11}{'seconds':>10}{'per file ms':>13}"
                 f"{'peak RSS MiB':>14}")
    for row in r["validate"]:
        t = row["phases"]["total"]
        lines.append(f"  {row['files']:>9}{row['plan_kpis']:>11,}{t:>10.3f}"
                     f"{1000 * t / row['files']:>13.1f}{row['peak_rss_mib']:>14.1f}")
    live = r.get("live_checks")
    if live:
        lines.append("")
        lines.append("Live checks in LibreOffice (whole-plan template, 38 measure sheets)")
        lines.append(f"  full recalculation {live['full_recalc_s']:.3f} s, "
                     f"one edit + front-sheet total {live['edit_s']:.4f} s")
    lines.append("")
    lines.append("Targets")
    for t in r["targets"]:
        value = "—" if t["value"] is None else f"{t['value']:.2f} {t['unit']}"
        lines.append(f"  {t['target']:<32}{value:>14}  (≤ {t['limit']:g} {t['unit']})"
                     f"  {verdict(t['met'])}")
    for note in r["notes"]:
        lines.append(f"note: {note}")
    print("\n".join(lines))


if __name__ == "__main__":
    from mine_report.common import runtime

    runtime.prepare()  # as the CLI does, before anything imports openpyxl
    main()
