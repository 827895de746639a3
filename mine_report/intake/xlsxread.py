"""Low-level reading of a returned workbook: what kind of file it is, resource limits,
and one streaming pass per sheet that keeps what the checks need.

Every part is read with expat (pyexpat, the C parser defusedxml wraps) under the same
guards as defusedxml, made stricter: a document type declaration is refused outright
(Excel never writes one), so no entity is ever defined or expanded and nothing external
is fetched. Comments, processing instructions and CDATA are never markup, so a cell
hidden in a comment is not a cell, and the cost is linear in the file. Every part, cell
data and structure (workbook, relationships, styles) alike, goes through handlers that
keep only what the checks need (no element tree is built), and every element counts
against one budget per workbook (MAX_ELEMENTS), which bounds the time any file can take.
Why not openpyxl: its read-only mode cost 0.1–0.2 s per file before a single value was read, and
it does not tell whether a formula has a cached value, which cells hold error values, or
where the merged ranges are. Zip members are decompressed in bounded chunks against one
budget per package, so a member that lies about its size stops at the limit.
openpyxl's helpers decide which number formats are dates and convert serial dates.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pyexpat import ExpatError, ParserCreate
from typing import Protocol

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from mine_report.common.numbers import format_number
from mine_report.common.safetext import clean_text

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLS = 200
#: Uncompressed size above which a package is refused unread (a "zip bomb" guard).
MAX_EXPANDED_BYTES = 200 * 1024 * 1024
#: XML elements read from the sheets and shared strings of one workbook. Each costs a
#: Python call, so this, not the byte budget, bounds the time (200 MB of "<a/>" would be
#: 50 million calls): 500,000 take about 5 s on a busy machine. The blank template with
#: all 38 measures has about 19,000, a sample return about 4,500.
MAX_ELEMENTS = 500_000
#: Sheets of one workbook: the template has 41 (38 measures), and every sheet is looked
#: at for the measure id in its id cell.
MAX_SHEETS = 1_000
#: Merged ranges of one sheet: each is checked against every input cell, and real sheets
#: have a few dozen (the template none).
MAX_MERGED = 10_000
#: Characters of one cell's (or shared string's) XML text. Excel holds 32,767 characters
#: a cell; escapes (_x000D_) make the XML longer, hence the margin. Without it one cell of
#: 200 MB of text, packed into a few hundred KB, would be held several times over.
MAX_CELL_XML_CHARS = 4 * 32_767

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
#: Stream name present in an OLE2 container that holds an encrypted OOXML workbook.
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


class Refused(Exception):
    """The file cannot be read as a workbook; code and values name the message."""

    def __init__(self, code: str, **values: object):
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class CellError:
    """An Excel error value (#DIV/0!, #REF!, …) found in a cell."""

    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class MissingFormulaValue:
    """A formula whose result was never stored (saved without recalculation)."""

    formula: str

    def __str__(self) -> str:
        return self.formula


@dataclass
class SheetData:
    """The non-empty cells of one sheet, keyed by (row, column), and its merged ranges."""

    title: str
    cells: dict[tuple[int, int], object] = field(default_factory=dict)
    merged: list[str] = field(default_factory=list)
    #: Cells holding a number shown with a percent format: typing "40%" stores 0.4 so
    #: formatted, and the clerk saw 40 % (the reader decides what that means for a KPI).
    percent: set[tuple[int, int]] = field(default_factory=set)
    _columns: tuple[int, dict[int, list[tuple[int, object]]]] | None = field(
        default=None, init=False, repr=False, compare=False)

    def get(self, ref: str) -> object:
        return self.cells.get(split_ref(ref))

    def at(self, row: int, col: int) -> object:
        return self.cells.get((row, col))

    def column(self, col: int) -> list[tuple[int, object]]:
        """(row, value) of every non-empty cell in a column, top to bottom."""
        if self._columns is None or self._columns[0] != len(self.cells):
            # Indexed once (the checks ask for several columns of every sheet), and again
            # only if cells were added since.
            index: dict[int, list[tuple[int, object]]] = {}
            for (r, c), v in self.cells.items():
                index.setdefault(c, []).append((r, v))
            for entries in index.values():
                entries.sort(key=_first)
            self._columns = (len(self.cells), index)
        return list(self._columns[1].get(col, ()))


def _first(pair: tuple[int, object]) -> int:
    return pair[0]


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def split_ref(ref: str) -> tuple[int, int]:
    """(row, column) of an A1 reference such as "J8"; ValueError when it is not one."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m[2]), column_index_from_string(m[1].upper())


def cell_ref(row: int, col: int) -> str:
    return f"{get_column_letter(col)}{row}"


def col_index(letters: str) -> int:
    return column_index_from_string(letters.upper())


# --- what kind of file ------------------------------------------------------------------


def sniff(data: bytes) -> None:
    """Raise Refused unless the bytes look like an xlsx package (a zip file)."""
    if not data:
        raise Refused("E102")
    if data.startswith(CFB_MAGIC):
        # An OLE2 container: an old .xls, or an xlsx encrypted with a password.
        if ENCRYPTION_STREAM in data:
            raise Refused("E104")
        raise Refused("E103")
    if not data.startswith(ZIP_MAGIC):
        kind = ("CSV などのテキストファイル。様式のシートと管理用の記録が失われています"
                if _looks_like_text(data[:4096]) else "不明な形式")
        raise Refused("E105", kind=kind)


def _looks_like_text(head: bytes) -> bool:
    for encoding in ("utf-8", "cp932"):
        try:
            decoded = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\r\n\t\ufeff" for ch in decoded)
    return False


# --- text ------------------------------------------------------------------------------

_XESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def xml_text(text: str) -> str:
    """A string as Excel means it: its _xHHHH_ escapes resolved (ST_Xstring: control
    characters are written as _x000D_, a literal "_x" as _x005F_x, and a character
    outside the BMP as two escapes, one per UTF-16 half), then made safe to keep
    (safetext.clean_text joins those halves and drops what no encoder accepts)."""
    if "_x" in text:
        text = _XESCAPE.sub(_unescape, text)
    return clean_text(text)


def _unescape(match: re.Match) -> str:
    return chr(int(match[1], 16))


# --- XML of the structural parts --------------------------------------------------------


def _xml_error(part: str, exc: Exception) -> Refused:
    """E106 for a part that is not well-formed XML, located without Python's own text."""
    position = getattr(exc, "position", None)
    line, column = position if position else (getattr(exc, "lineno", 0), getattr(exc, "offset", 0))
    if isinstance(exc, _Forbidden):
        reason = f"{part} に DTD・実体の宣言があります"
    elif line:
        reason = f"{part} の XML が正しくありません (行 {line}、列 {column})"
    else:
        reason = f"{part} の XML が正しくありません"
    return Refused("E106", reason=reason)


def _elements(chunks: Iterable[bytes], part: str, wanted: frozenset[str],
              limit: int = MAX_ELEMENTS) -> tuple[list[tuple[str, dict]], int]:
    """The elements of a structural part whose local name is in `wanted`, in document
    order, as (local name, attributes), and with ("/" + name, {}) at the end of those
    named "/" + name in `wanted`; and how many elements the part has. Attribute names
    in a namespace come as "namespace-uri local"."""
    found: list[tuple[str, dict]] = []
    count = 0

    def start(name: str, attrs: dict) -> None:
        nonlocal count
        count += 1
        if count > limit:
            raise _too_many()
        local = name.rpartition(" ")[2]
        if local in wanted:
            found.append((local, attrs))

    def end(name: str) -> None:
        local = "/" + name.rpartition(" ")[2]
        if local in wanted:
            found.append((local, {}))

    _parse(chunks, part, start, end, None)
    return found, count


_QUOTED = re.compile(r'"[^"]*"|\\.')


def is_percent_format(code: str) -> bool:
    """Whether a number format shows its number as a percentage ("0%", "0.0%"): a % that
    is not quoted ("0\"%\"") nor escaped (0\\%), which are literal text."""
    return "%" in _QUOTED.sub("", code)


#: Excel keeps a number format code to 255 characters. A longer one is no format a
#: program wrote: it is read as General, so openpyxl's date test (a regular expression)
#: never runs over megabytes of it.
MAX_FORMAT_CODE = 255
#: styles.xml up to this size is parsed once per process and its answer kept (every
#: workbook made from one template carries the same one); a larger one is parsed each
#: time, charged to its workbook's element budget, and never kept.
SMALL_STYLES = 256 * 1024

NumberStyles = tuple[frozenset[int], frozenset[int], frozenset[int]]


def _number_styles(data: bytes, limit: int) -> tuple[NumberStyles, int]:
    """(date styles, duration styles, percent styles) of a styles.xml, and how many
    elements it has (at most `limit`, else Refused E116)."""
    if len(data) <= SMALL_STYLES:
        return _small_number_styles(data)
    return _read_number_styles(data, limit)


@functools.lru_cache(maxsize=8)
def _small_number_styles(data: bytes) -> tuple[NumberStyles, int]:
    # Cached by its bytes: parsing it was a fifth of a file's read (a refused file
    # raises, and nothing is cached).
    return _read_number_styles(data, MAX_ELEMENTS)


def _read_number_styles(data: bytes, limit: int) -> tuple[NumberStyles, int]:
    formats = dict(BUILTIN_FORMATS)
    xf_formats: list[int] = []  # numFmtId of each cell format (cellXfs/xf), in order
    in_xfs = False
    count = 0

    def start(name: str, attrs: dict) -> None:
        nonlocal count, in_xfs
        count += 1
        if count > limit:
            raise _too_many()
        local = name.rpartition(" ")[2]
        if local == "xf":
            if in_xfs:
                try:
                    xf_formats.append(int(attrs.get("numFmtId", "0")))
                except ValueError:
                    xf_formats.append(-1)
        elif local == "numFmt":
            try:
                code = attrs.get("formatCode", "")
                formats[int(attrs.get("numFmtId", ""))] = code if len(code) <= MAX_FORMAT_CODE else ""
            except ValueError:
                pass
        elif local == "cellXfs":
            in_xfs = True

    def end(name: str) -> None:
        nonlocal in_xfs
        if name.endswith("cellXfs") and name.rpartition(" ")[2] == "cellXfs":
            in_xfs = False

    # Only the numFmtIds are kept while parsing (numFmts may come after cellXfs in a
    # crafted file), and each format is judged once, however many styles use it.
    _parse([data], "xl/styles.xml", start, end, None)
    dates: set[int] = set()
    durations: set[int] = set()
    percents: set[int] = set()
    kinds: dict[int, str] = {}
    for index, format_id in enumerate(xf_formats):
        kind = kinds.get(format_id)
        if kind is None:
            code = formats.get(format_id, "")
            kind = ("" if not code else "duration" if is_date_format(code) and
                    is_timedelta_format(code) else "date" if is_date_format(code)
                    else "percent" if is_percent_format(code) else "")
            kinds[format_id] = kind
        if kind in ("date", "duration"):
            dates.add(index)
            if kind == "duration":
                durations.add(index)
        elif kind == "percent":
            percents.add(index)
    return (frozenset(dates), frozenset(durations), frozenset(percents)), count


# --- the package ------------------------------------------------------------------------

#: Bytes decompressed (and fed to expat) at a time.
CHUNK = 1024 * 1024
#: Uncompressed bytes of one part (a sheet, the shared strings, …). expat 2.5 scans an
#: unfinished token again from its start whenever more bytes arrive, so one huge
#: attribute or comment costs chunks² / 2 scans: 190 MB in 256 KB chunks took two minutes.
#: 16 parts of 1 MB bound that to a fraction of a second; a sheet of 200,000 numbers is
#: about 6 MB.
MAX_PART_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class SheetInfo:
    name: str
    path: str  # zip member, "" for a chart sheet
    state: str  # visible, hidden, veryHidden


class WorkbookSource(Protocol):
    """What the reader needs of a workbook, whatever its file format."""

    sheet_names: list[str]

    def read_sheet(self, name: str) -> SheetData: ...


#: The mimetype member that opens every OpenDocument spreadsheet (.ods) package.
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def open_workbook(data: bytes) -> WorkbookSource:
    """The workbook in these bytes, behind the interface the reader uses (sheet_names,
    read_sheet); Refused when it is not one. The one place that knows the file formats:
    an xlsx (or xlsm) package, or an OpenDocument spreadsheet (odsread), recognised by
    content, never by the file's name."""
    sniff(data)
    parts = ZipParts(data)
    if parts.mimetype() == ODS_MIMETYPE:
        from mine_report.intake.odsread import OdsPackage  # odsread builds on this module

        return OdsPackage(parts)
    return Package(parts)


def is_opendocument(data: bytes) -> bool:
    """Whether these bytes are an OpenDocument spreadsheet, decided as open_workbook
    decides, without reading a sheet (False for anything that is not a zip package)."""
    try:
        sniff(data)
        return ZipParts(data).mimetype() == ODS_MIMETYPE
    except Refused:
        return False


class ZipParts:
    """A zip package opened under the budgets: its members decompressed in bounded chunks
    (each member at most MAX_PART_BYTES, the package MAX_EXPANDED_BYTES however much the
    directory declares) and one element budget (MAX_ELEMENTS) its XML parts share."""

    def __init__(self, data: bytes):
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise Refused("E106", reason="zip ファイルとして読めません (途中で切れている可能性)") from None
        self.members = {i.filename: i for i in infos}
        # What the directory declares is checked first (cheap), what is really unpacked is
        # counted as it is unpacked (a member may declare less than it holds).
        self._budget = MAX_EXPANDED_BYTES
        if sum(i.file_size for i in infos) > self._budget:
            raise self._too_big()
        self.elements_left = MAX_ELEMENTS

    def mimetype(self) -> bytes:
        """The OpenDocument mimetype member's content (b"" when there is none)."""
        info = self.members.get("mimetype")
        if info is None or info.file_size > 200:
            return b""
        return (self.member("mimetype") or b"").strip()

    @staticmethod
    def _too_big() -> Refused:
        limit = MAX_EXPANDED_BYTES // (1024 * 1024)
        return Refused("E107", size=f"展開後 {limit} MB 超", limit=f"展開後 {limit} MB")

    def chunks(self, name: str) -> Iterator[bytes]:
        """A member's bytes in bounded chunks, charged to the package's budget."""
        info = self.members[name]
        left = MAX_PART_BYTES
        try:
            with self._zip.open(info) as stream:
                while True:
                    chunk = stream.read(CHUNK)
                    if not chunk:
                        return
                    self._budget -= len(chunk)
                    left -= len(chunk)
                    if self._budget < 0:
                        raise self._too_big()
                    if left < 0:
                        limit = MAX_PART_BYTES // (1024 * 1024)
                        raise Refused("E107", size=f"{name} が展開後 {limit} MB 超",
                                      limit=f"1 つの部分 {limit} MB")
                    yield chunk
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError,
                NotImplementedError, RuntimeError):
            raise Refused("E106", reason=f"{name} を展開できません") from None

    def member(self, name: str) -> bytes | None:
        if name not in self.members:
            return None
        return b"".join(self.chunks(name))

    def scan(self, name: str, wanted: frozenset[str]) -> list[tuple[str, dict]]:
        """_elements of a member (none when it is missing), charged to the budgets."""
        if name not in self.members:
            return []
        found, count = _elements(self.chunks(name), name, wanted, self.elements_left)
        self.elements_left -= count
        return found


class Package:
    """An opened xlsx package: sheet names in workbook order and their cells on demand."""

    def __init__(self, data: bytes | ZipParts):
        self.parts = parts = data if isinstance(data, ZipParts) else ZipParts(data)
        self._members = parts.members
        if "xl/workbook.bin" in self._members:
            raise Refused("E105", kind="Excel バイナリブック (.xlsb)")
        if "xl/workbook.xml" not in self._members:
            if "Index/Document.iwa" in self._members:
                raise Refused("E105", kind="Apple Numbers の書類 (.numbers)。Numbers では"
                                           "「ファイル」→「書き出す」→「Excel」で書き出せます")
            raise Refused("E106", reason="Excel のブックではない zip ファイルです")
        self.sheets = self._read_sheet_list()
        if len(self.sheets) > MAX_SHEETS:
            raise Refused("E116", limit=f"シート {format_number(MAX_SHEETS, 0)} 枚")
        self.sheet_names = [s.name for s in self.sheets]
        self._sheet_info = {s.name: s for s in reversed(self.sheets)}  # the first of a name
        self._strings: list[str] | None = None
        self._styles: NumberStyles | None = None
        self._sheet_cache: dict[str, SheetData] = {}

    @property
    def elements_left(self) -> int:
        return self.parts.elements_left

    @elements_left.setter
    def elements_left(self, value: int) -> None:
        self.parts.elements_left = value

    def _chunks(self, name: str) -> Iterator[bytes]:
        return self.parts.chunks(name)

    def _scan(self, name: str, wanted: frozenset[str]) -> list[tuple[str, dict]]:
        return self.parts.scan(name, wanted)

    def _read_sheet_list(self) -> list[SheetInfo]:
        book = self._scan("xl/workbook.xml", frozenset({"workbookPr", "sheet"}))
        self.date1904 = any(attrs.get("date1904", "0").lower() in ("1", "true")
                            for local, attrs in book if local == "workbookPr")
        targets: dict[str, str] = {}
        for _local, attrs in self._scan("xl/_rels/workbook.xml.rels",
                                        frozenset({"Relationship"})):
            target = attrs.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join("xl", target))
            kind = attrs.get("Type", "").rsplit("/", 1)[-1]
            targets[attrs.get("Id", "")] = path if kind == "worksheet" else ""
        sheets = []
        for local, attrs in book:
            if local == "sheet":
                rid = next((v for k, v in attrs.items() if k == "id" or k.endswith(" id")), "")
                sheets.append(SheetInfo(clean_text(attrs.get("name", "")), targets.get(rid, ""),
                                        attrs.get("state", "visible")))
        return sheets

    @property
    def shared_strings(self) -> list[str]:
        if self._strings is None:
            name = _find_member(self._members, "xl/sharedStrings.xml")
            self._strings = []
            if name in self._members:
                handler = _SharedStrings(self._strings, self)
                _parse(self._chunks(name), name, handler.start, handler.end, handler.text)
        return self._strings

    @property
    def _number_styles(self) -> NumberStyles:
        """Style indexes whose number format is a date, a duration, a percentage."""
        if self._styles is None:
            data = self.parts.member("xl/styles.xml")
            empty: frozenset[int] = frozenset()
            self._styles = (empty, empty, empty)
            if data:
                self._styles, count = _number_styles(data, self.parts.elements_left)
                self.parts.elements_left -= count
                if self.parts.elements_left < 0:
                    raise _too_many()
        return self._styles

    def read_sheet(self, name: str) -> SheetData:
        """Every non-empty cell of a sheet and its merged ranges (parsed once, then kept).

        Raise Refused("E108") when the sheet uses more than MAX_ROWS rows or MAX_COLS
        columns, as soon as that is known, so an oversized sheet is never read in full.
        """
        if name not in self._sheet_cache:
            info = self._sheet_info.get(name)
            if info is None:
                raise KeyError(name)
            sheet = SheetData(name)
            if info.path:  # a chart sheet has no cells
                if info.path not in self._members:
                    raise Refused("E106", reason=f"シート「{name}」のデータがありません")
                dates, durations, percents = self._number_styles
                epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
                handler = _SheetHandler(sheet, self, dates, durations, epoch, percents)
                _parse(self._chunks(info.path), info.path, handler.start, handler.end,
                       handler.text)
                self.parts.elements_left = handler.left
            self._sheet_cache[name] = sheet
        return self._sheet_cache[name]


def _find_member(members: dict, name: str) -> str:
    if name in members:
        return name
    lowered = name.lower()  # some writers differ in case (xl/SharedStrings.xml)
    return next((m for m in members if m.lower() == lowered), name)


# --- streaming parse of cell data -------------------------------------------------------


class _Forbidden(Exception):
    """A DTD in a part: refused before anything in it could be declared or expanded."""


def _forbid(*_args: object) -> None:
    raise _Forbidden()


#: SpreadsheetML's namespaces (transitional, strict): an element in any other namespace
#: is not a cell to Excel, so it is not one here either.
_MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "http://purl.oclc.org/ooxml/spreadsheetml/main")
_NAMES = ("c", "v", "f", "is", "t", "rPh", "row", "sheetData", "mergeCell", "dimension", "si")
#: expat's "namespace local" name → local name, for the elements the handlers act on.
_TAGS = {f"{ns} {local}": local for ns in _MAIN_NS for local in _NAMES}


def _parse(chunks: Iterable[bytes], part: str, start: Callable, end: Callable,
           text: Callable | None) -> None:
    """Feed a part to expat chunk by chunk with these handlers (see _Forbidden)."""
    parser = ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartDoctypeDeclHandler = _forbid
    parser.EntityDeclHandler = _forbid
    parser.ExternalEntityRefHandler = _forbid
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except (ExpatError, _Forbidden) as exc:
        raise _xml_error(part, exc) from None


class _SharedStrings:
    """Handlers collecting the shared strings: each <si>'s <t> runs joined, furigana
    (<rPh>) left out."""

    def __init__(self, out: list[str], package: Package):
        self.package = package
        self.out = out
        self.parts: list[str] | None = None
        self.capture = False
        self.phonetic = 0
        self.chars = 0

    def start(self, name: str, _attrs: dict) -> None:
        self.package.elements_left -= 1
        if self.package.elements_left < 0:
            raise _too_many()
        tag = _TAGS.get(name)
        if tag == "si":
            self.parts = []
            self.chars = 0
        elif tag == "t" and self.parts is not None and not self.phonetic:
            self.capture = True
        elif tag == "rPh":
            self.phonetic += 1

    def end(self, name: str) -> None:
        tag = _TAGS.get(name)
        if tag == "t":
            self.capture = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "si" and self.parts is not None:
            self.out.append(xml_text("".join(self.parts)))
            self.parts = None

    def text(self, data: str) -> None:
        if self.capture:
            self.chars += len(data)
            if self.chars > MAX_CELL_XML_CHARS:
                raise Refused("E117", sheet="", cell=f"共有文字列 {len(self.out) + 1} 番")
            self.parts.append(data)  # type: ignore[union-attr]


def _too_many() -> Refused:
    return Refused("E116", limit=f"XML の要素 {format_number(MAX_ELEMENTS, 0)} 個")


def _too_big(title: str, rows: int, cols: int) -> None:
    if rows > MAX_ROWS or cols > MAX_COLS:
        raise Refused("E108", sheet=title, rows=rows, cols=cols,
                      max_rows=MAX_ROWS, max_cols=MAX_COLS)


_DIGITS = "0123456789"


@functools.lru_cache(maxsize=16384)
def _position(ref: str) -> tuple[int, int] | None:
    """(row, column) of a cell's r attribute ("J8"), None when it is not a reference
    (then the cell follows the previous one, as when r is left out). Cached: workbooks
    made from one template share their references."""
    ref = ref.replace("$", "")
    letters = ref.rstrip(_DIGITS)
    digits = ref[len(letters):]
    if not 0 < len(letters) <= 3 or not digits or not digits.isascii():
        return None
    try:
        return int(digits), column_index_from_string(letters.upper())
    except ValueError:
        return None


class _SheetHandler:
    """Handlers that fill a SheetData: <c> inside <row> inside <sheetData>, the
    <mergeCell> ranges, and an early refusal from <dimension> or any cell out of range."""

    def __init__(self, sheet: SheetData, package: Package, dates: frozenset[int],
                 durations: frozenset[int], epoch: dt.datetime,
                 percents: frozenset[int] = frozenset()):
        self.sheet = sheet
        self.package = package
        self.left = package.parts.elements_left  # written back when the sheet is read
        self.context = (dates, durations, epoch)
        self.percents = percents
        self.in_data = False
        self.row = 0
        self.col = 0
        self.cell: dict | None = None  # the open <c>'s attributes
        self.v: list[str] | None = None
        self.f: list[str] | None = None
        self.inline: list[str] | None = None
        self.capture: list[str] | None = None
        self.phonetic = 0
        self.nested = 0  # <c> inside a <c>: not a cell, and must not end the open one
        self.chars = 0  # characters captured for the open cell

    def start(self, name: str, attrs: dict) -> None:
        # Called for every element of the sheet: the budget is a plain attribute, and the
        # tests run from the most to the least frequent element (<c>, <v>, <row>).
        self.left -= 1
        if self.left < 0:
            raise _too_many()
        tag = _TAGS.get(name)
        if tag is None:
            return
        if self.cell is not None:  # inside a cell
            if tag == "v":
                self.v = self.capture = []
            elif tag == "f":
                self.f = self.capture = []
            elif tag == "is":
                self.inline = []
            elif tag == "t" and self.inline is not None and not self.phonetic:
                self.capture = self.inline
            elif tag == "rPh":
                self.phonetic += 1
            elif tag == "c":
                self.nested += 1
        elif tag == "c":
            if self.in_data:
                self.cell = attrs
                self.chars = 0
                ref = attrs.get("r")
                where = _position(ref) if ref else None
                if where is None:
                    self.col += 1
                else:
                    self.row, self.col = where
        elif tag == "row":
            if self.in_data:
                r = attrs.get("r")
                try:
                    self.row = int(float(r)) if r else self.row + 1
                except (ValueError, OverflowError):
                    raise Refused("E106", reason=f"シート「{self.sheet.title}」の行番号が正しくありません") from None
                self.col = 0
        elif tag == "sheetData":
            self.in_data = True
        elif tag == "mergeCell":
            if attrs.get("ref"):
                self.sheet.merged.append(attrs["ref"])
                if len(self.sheet.merged) > MAX_MERGED:
                    raise Refused("E116", limit=f"シート「{self.sheet.title}」のセルの結合 "
                                                f"{format_number(MAX_MERGED, 0)} 個")
        elif tag == "dimension":  # refuse an oversized sheet before reading its cells
            try:
                _c, _r, max_col, max_row = range_boundaries(attrs.get("ref", ""))
            except (ValueError, TypeError):
                return
            if max_row is not None and max_col is not None:
                _too_big(self.sheet.title, max_row, max_col)

    def end(self, name: str) -> None:
        tag = _TAGS.get(name)
        if tag is None:
            return
        if tag == "c":
            if self.nested:
                self.nested -= 1
            elif self.cell is not None:
                # most cells are empty (formatting only): nothing to convert
                if self.v is not None or self.f is not None or self.inline is not None:
                    self._keep()
                    self.v = self.f = self.inline = self.capture = None
                self.cell = None
        elif tag == "v" or tag == "f" or (tag == "t" and self.capture is self.inline):
            self.capture = None
        elif tag == "rPh":
            if self.phonetic:
                self.phonetic -= 1
        elif tag == "sheetData":
            self.in_data = False

    def _keep(self) -> None:
        """Store the value of the <c> that just ended (when it has one)."""
        value = self._value()
        if value is None:
            return
        row, col = self.row, self.col
        if row > MAX_ROWS or col > MAX_COLS:
            _too_big(self.sheet.title, row, col)
        self.sheet.cells[(row, col)] = value
        if (self.percents and type(value) in (int, float)
                and self._style() in self.percents):
            self.sheet.percent.add((row, col))

    def text(self, data: str) -> None:
        if self.capture is not None:
            self.chars += len(data)
            if self.chars > MAX_CELL_XML_CHARS:
                raise Refused("E117", sheet=self.sheet.title, cell=cell_ref(self.row, self.col))
            self.capture.append(data)

    def _style(self) -> int:
        try:
            return int((self.cell or {}).get("s", "0"))
        except ValueError:
            return -1

    def _value(self) -> object:
        attrs = self.cell
        assert attrs is not None
        kind = attrs.get("t", "n")
        if kind == "inlineStr":
            return xml_text("".join(self.inline)) or None if self.inline is not None else None
        v = "".join(self.v) if self.v is not None else ""
        if not v:
            if self.f is not None:
                return MissingFormulaValue("=" + xml_text("".join(self.f)))
            return None
        if kind == "s":
            return self._shared(v)
        return cell_value(kind, v, attrs.get("s"), *self.context)

    def _shared(self, v: str) -> object:
        strings = self.package.shared_strings
        try:
            index = int(v.strip())
        except ValueError:
            index = -1
        if not 0 <= index < len(strings):
            # No program writes this: the file is damaged (or crafted), and no cell may
            # silently show another cell's text.
            raise Refused("E114", sheet=self.sheet.title, cell=cell_ref(self.row, self.col),
                          index=v.strip()[:20], count=len(strings))
        return strings[index] or None


#: A number as SpreadsheetML writes it in <v> (xsd:double without INF/NaN), ASCII only.
_XSD_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def xsd_number(text: str) -> int | float | None:
    """The number a spreadsheet stored (xlsx <v>, ods office:value), None when the text
    is none: Python's int() and float() also take "1_000", "٣", "０" and "nan", which no
    spreadsheet writes, and such text is kept as text for the checks to report. An
    integer stays an int (exact however long); 1e400 becomes inf (E309 reports it)."""
    if not _XSD_NUMBER.match(text):
        return None
    return float(text) if "." in text or "e" in text or "E" in text else int(text)


def cell_value(kind: str, v: str, style: str | None, dates: frozenset[int],
               durations: frozenset[int], epoch: dt.datetime) -> object:
    """The Python value of a cell's <v> text by its type (t) and style (s): a number, a
    string, a bool, a date, CellError. A number no float can hold (1e400) is kept as the
    float inf or nan: the checks report it (E309), it is never graded."""
    if kind == "str":
        return xml_text(v) or None
    if kind == "e":
        return CellError(xml_text(v))
    if kind == "b":
        return v.strip() in ("1", "true")
    text = v.strip()
    if kind == "d":
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return clean_text(text)
    number = xsd_number(text)
    if number is None:
        return clean_text(text)
    if style and dates:
        try:
            style_id = int(style)
        except ValueError:
            return number
        if style_id in dates:
            if isinstance(number, float) and not math.isfinite(number):
                return CellError("#VALUE!")
            try:
                return from_excel(number, epoch, timedelta=style_id in durations)
            except (OverflowError, ValueError):
                return CellError("#VALUE!")
    return number
