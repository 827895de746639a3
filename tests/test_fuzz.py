"""Fuzzing the intake: the sample workbooks with their XML and zip structure mutated.

For every mutation, through the CLI: no traceback from `validate` or `build`, an exit code
of 0 or 1, a bounded time per file, every refused file named with a stable code while the
untouched file beside it is still checked cleanly, and no graded value other than the
value the cell shows. What a cell "shows" is taken from openpyxl, a reader that shares no
code with ours (when openpyxl cannot open the mutated file, only the other invariants
apply). Fixed seed and a bounded number of examples keep it to a few seconds.
"""

from __future__ import annotations

import io
import json
import re
import tempfile
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workbooks import SAMPLES_DIR

from mine_report.cli import cli
from mine_report.intake.reader import read_workbook
from mine_report.intake.values import normalised_number, to_decimal
from mine_report.plan.load import load_plan

SAMPLES = sorted(SAMPLES_DIR.glob("*.xlsx"))
#: The untouched file checked beside each mutated one (it fills no measure of the others).
GOOD = SAMPLES[0]
MUTABLE = SAMPLES[1:]
PLAN = load_plan(None)
#: The invariant's bound per file; far above what a sample takes (a tenth of a second).
SECONDS_PER_FILE = 10
FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=40,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Values put into a number cell's <v>, and fragments put between tags.
VALUES = ["1e400", "-1e400", "nan", "inf", "9" * 310, "1e-400", "-0", "０", "1,5", "",
          "12abc", "0x10", "1_000", "  7 ", "4" * 16, "-5", "2.5e3"]
FRAGMENTS = [
    '<!--<row r="8"><c r="M8"><v>999999</v></c></row>-->',
    "<!--" + "<c>" * 2000 + "-->",
    '<![CDATA[<c r="M8"><v>999999</v></c>]]>',
    '<?pi <c r="M8"><v>999999</v></c>?>',
    '<c r="M8"><v>777</v></c>',
    '<row r="8"><c r="M8" t="s"><v>-1</v></c></row>',
    '<c r="A1" t="inlineStr"><is><t>_xD800_\x1b[2J\u202e</t></is></c>',
    "&#xD800;", "&undefined;", "<", "]]>", "\x00", "<c>", "</c>", "</row>",
    '<!DOCTYPE x [<!ENTITY a "aaaa">]>', '<dimension ref="A1:ZZ99999"/>',
    '<mergeCell ref="A1:Z100"/>',
]

# Slow (hypothesis fuzzing of the samples' XML and zip structure): make check leaves it out, make test runs it.
pytestmark = pytest.mark.slow


def _zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


@st.composite
def xml_mutations(draw) -> tuple[str, bytes]:
    """(sample name, mutated bytes): one sheet or shared part changed at the XML level."""
    sample = draw(st.sampled_from(MUTABLE))
    members = _zip_members(sample.read_bytes())
    parts = sorted(n for n in members if n.startswith("xl/worksheets/")
                   or n in ("xl/workbook.xml", "xl/styles.xml", "xl/sharedStrings.xml"))
    name = draw(st.sampled_from(parts))
    text = members[name].decode("utf-8")
    kind = draw(st.sampled_from(["value", "value", "shadow", "shadow", "insert", "truncate",
                                 "delete"]))
    refs = re.findall(r'<c r="([A-Z]+[0-9]+)"', text)
    tags = [m.start() for m in re.finditer("<", text)] or [0]
    if kind == "value" and "<v>" in text:
        spots = [m.span(1) for m in re.finditer(r"<v>([^<]*)</v>", text)]
        start, end = draw(st.sampled_from(spots))
        value = draw(st.sampled_from(VALUES) | st.text(max_size=12))
        text = text[:start] + escape(value) + text[end:]
    elif kind == "shadow" and refs:
        # another value for a real cell: hidden in a comment, CDATA or a processing
        # instruction (never data), or as a second real cell (the later one counts)
        ref = draw(st.sampled_from(refs))
        cell = f'<c r="{ref}"><v>{draw(st.sampled_from(["999999", "1e400", "-1"]))}</v></c>'
        wrap = draw(st.sampled_from(["<!--{}-->", "<![CDATA[{}]]>", "<?pi {}?>", "{}"]))
        at = draw(st.sampled_from(tags))
        text = text[:at] + wrap.format(cell) + text[at:]
    elif kind in ("insert", "value", "shadow"):
        at = draw(st.sampled_from(tags))
        fragment = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=20))
        text = text[:at] + fragment + text[at:]
    elif kind == "truncate":
        text = text[:draw(st.integers(0, len(text)))]
    else:
        start = draw(st.integers(0, len(text)))
        text = text[:start] + text[start + draw(st.integers(1, 200)):]
    members[name] = text.encode("utf-8", "surrogatepass")
    return sample.name, _zip_of(members)


@st.composite
def zip_mutations(draw) -> tuple[str, bytes]:
    """(sample name, mutated bytes): the package itself damaged."""
    sample = draw(st.sampled_from(MUTABLE))
    data = bytearray(sample.read_bytes())
    kind = draw(st.sampled_from(["cut", "flip", "drop", "rename"]))
    if kind == "cut":
        return sample.name, bytes(data[:draw(st.integers(0, len(data)))])
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
        return sample.name, bytes(data)
    members = _zip_members(bytes(data))
    name = draw(st.sampled_from(sorted(members)))
    if kind == "drop":
        del members[name]
    else:
        members[name.upper()] = members.pop(name)
    return sample.name, _zip_of(members)


def _visible(cell_value, unit: str) -> Decimal | None:
    """The number a person sees in a cell as openpyxl read it (None: no number)."""
    if isinstance(cell_value, bool) or cell_value is None:
        return None
    if isinstance(cell_value, (int, float)):
        return to_decimal(cell_value)
    if isinstance(cell_value, str):
        return normalised_number(cell_value.strip(), unit)
    return None


def _graded_values_are_visible(path: Path) -> None:
    from openpyxl import load_workbook

    submission, _problems = read_workbook(path, PLAN)
    if submission is None:
        return
    try:
        wb = load_workbook(path, data_only=True, read_only=False)
    except Exception:  # openpyxl cannot open it: no oracle for this mutation
        return
    for report in submission.measures:
        for actual in report.actuals:
            if actual.value is None:
                continue
            shown = wb[actual.source.sheet][actual.source.cell].value
            assert _visible(shown, PLAN.kpi(actual.kpi_id).unit) == actual.value, (actual, shown)


def _check(name: str, data: bytes, *, with_build: bool = False) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        (folder / GOOD.name).write_bytes(GOOD.read_bytes())
        mutated = folder / f"zz-{name}"
        mutated.write_bytes(data)
        started = time.perf_counter()
        result = CliRunner().invoke(cli, ["validate", "--format", "json", "--jobs", "1",
                                          str(folder)])
        assert time.perf_counter() - started < 2 * SECONDS_PER_FILE
        assert result.exception is None or isinstance(result.exception, SystemExit), \
            result.output
        assert result.exit_code in (0, 1), result.output
        doc = json.loads(result.stdout)
        files = {Path(f["path"]).name: f for f in doc["files"]}
        assert set(files) == {GOOD.name, mutated.name}
        assert files[GOOD.name]["problems"] == []  # the other file is still checked
        for problem in files[mutated.name]["problems"]:
            assert re.fullmatch(r"[EW]\d{3}", problem["code"]), problem
            assert problem["message"]
        _graded_values_are_visible(mutated)
        if with_build:
            out = Path(tmp) / "out"
            built = CliRunner().invoke(cli, ["build", "--input", str(folder), "--output",
                                             str(out), "--no-pdf", "--draft", "--jobs", "1"])
            assert built.exception is None or isinstance(built.exception, SystemExit), \
                built.output
            assert built.exit_code in (0, 1), built.output
            assert "Traceback" not in built.output


@FUZZ
@given(xml_mutations())
def test_xml_mutations_keep_the_invariants(mutation):
    _check(*mutation)


@settings(FUZZ, max_examples=25)
@given(zip_mutations())
def test_zip_mutations_keep_the_invariants(mutation):
    _check(*mutation)


@settings(FUZZ, max_examples=8)
@given(xml_mutations())
def test_build_survives_xml_mutations(mutation):
    _check(*mutation, with_build=True)
