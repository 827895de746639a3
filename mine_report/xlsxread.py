"""Low-level reading of a returned workbook: what kind of file it is, resource limits,
and one pass per sheet that keeps what the checks need.

Why not openpyxl's read-only mode: it parses every sheet once just to size it, and with
defusedxml (which it rightly uses when installed) every XML element goes through Python
handlers, so opening a full workbook costs 0.1–0.2 s before a single value is read. Here
the small structural parts (workbook, relationships, styles) are parsed with defusedxml,
and the cell data (sheets, shared strings) is tokenised with regular expressions, which
never expands entities or reads a DTD, so it is as safe and several times faster. The
checks also need what openpyxl's read-only cells do not give: whether a formula has a
cached value, which cells hold error values, and the merged ranges, all in the same pass.
openpyxl's helpers decide which number formats are dates and convert serial dates.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLS = 200
#: Uncompressed size above which a package is refused unread (a "zip bomb" guard).
MAX_EXPANDED_BYTES = 200 * 1024 * 1024

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
#: Stream name present in an OLE2 container that holds an encrypted OOXML workbook.
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


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

    def get(self, ref: str) -> object:
        return self.cells.get(split_ref(ref))

    def at(self, row: int, col: int) -> object:
        return self.cells.get((row, col))

    def column(self, col: int) -> list[tuple[int, object]]:
        """(row, value) of every non-empty cell in a column, top to bottom."""
        return sorted((r, v) for (r, c), v in self.cells.items() if c == col)


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
        kind = "テキストファイル (CSV など)" if _looks_like_text(data[:4096]) else "不明な形式"
        raise Refused("E105", kind=kind)


def _looks_like_text(head: bytes) -> bool:
    for encoding in ("utf-8", "cp932"):
        try:
            decoded = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        return all(ch.isprintable() or ch in "\r\n\t\ufeff" for ch in decoded)
    return False


# --- XML helpers ------------------------------------------------------------------------

_ENTITY = re.compile(r"&(#x[0-9A-Fa-f]+|#[0-9]+|lt|gt|amp|quot|apos);")
_XESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _entity(m: re.Match) -> str:
    name = m[1]
    if name[0] == "#":
        try:
            return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
        except (ValueError, OverflowError):
            return m[0]
    return _NAMED[name]


def xml_text(raw: bytes) -> str:
    """Character data of an element: XML entities and Excel's _xHHHH_ escapes resolved."""
    text = raw.decode("utf-8", errors="replace")
    if "&" in text:
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        # ST_Xstring: Excel writes control characters as _x000D_ and a literal "_x" as _x005F_x
        text = _XESCAPE.sub(lambda m: chr(int(m[1], 16)), text)
    return text


def _safe_tree(data: bytes, what: str):
    try:
        return SafeET.fromstring(data)
    except (SafeET.ParseError, DefusedXmlException, ValueError) as exc:
        raise Refused("E106", reason=f"{what}: {exc}") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@functools.lru_cache(maxsize=8)
def _date_styles(data: bytes) -> tuple[frozenset[int], frozenset[int]]:
    """(date styles, duration styles) of a styles.xml. Cached by its bytes: every workbook
    made from one template carries the same styles.xml, and parsing it was a fifth of a
    file's read (a refused file raises, and nothing is cached)."""
    dates: set[int] = set()
    durations: set[int] = set()
    root = _safe_tree(data, "xl/styles.xml")
    formats = dict(BUILTIN_FORMATS)
    for el in root.iter():
        if _local(el.tag) == "numFmt":
            try:
                formats[int(el.get("numFmtId", ""))] = el.get("formatCode", "")
            except ValueError:
                continue
    for el in root.iter():
        if _local(el.tag) == "cellXfs":
            for index, xf in enumerate(x for x in el if _local(x.tag) == "xf"):
                try:
                    code = formats.get(int(xf.get("numFmtId", "0")), "")
                except ValueError:
                    continue
                if code and is_date_format(code):
                    dates.add(index)
                    if is_timedelta_format(code):
                        durations.add(index)
    return frozenset(dates), frozenset(durations)


# --- the package ------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetInfo:
    name: str
    path: str  # zip member, "" for a chart sheet
    state: str  # visible, hidden, veryHidden


class Package:
    """An opened xlsx package: sheet names in workbook order and their cells on demand."""

    def __init__(self, data: bytes):
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise Refused("E106", reason=str(exc) or type(exc).__name__) from None
        self._members = {i.filename: i for i in infos}
        if "xl/workbook.bin" in self._members:
            raise Refused("E105", kind="Excel バイナリブック (.xlsb)")
        if "xl/workbook.xml" not in self._members:
            raise Refused("E106", reason="Excel のブックではない zip ファイルです")
        expanded = sum(i.file_size for i in infos)
        if expanded > MAX_EXPANDED_BYTES:
            raise Refused("E107", size=f"展開後 {expanded // (1024 * 1024)} MB",
                          limit=f"展開後 {MAX_EXPANDED_BYTES // (1024 * 1024)} MB")
        self.sheets = self._read_sheet_list()
        self.sheet_names = [s.name for s in self.sheets]
        self._strings: list[str] | None = None
        self._styles: tuple[frozenset[int], frozenset[int]] | None = None
        self._sheet_data: dict[str, bytes] = {}

    def _member(self, name: str) -> bytes | None:
        info = self._members.get(name)
        if info is None:
            return None
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise Refused("E106", reason=f"{name}: {exc}") from None

    def _read_sheet_list(self) -> list[SheetInfo]:
        root = _safe_tree(self._member("xl/workbook.xml") or b"", "xl/workbook.xml")
        self.date1904 = False
        for el in root.iter():
            if _local(el.tag) == "workbookPr":
                self.date1904 = el.get("date1904", "0").lower() in ("1", "true")
        targets: dict[str, str] = {}
        rels = self._member("xl/_rels/workbook.xml.rels")
        if rels is not None:
            for el in _safe_tree(rels, "workbook.xml.rels").iter():
                if _local(el.tag) == "Relationship":
                    target = el.get("Target", "")
                    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                        posixpath.join("xl", target))
                    kind = el.get("Type", "").rsplit("/", 1)[-1]
                    targets[el.get("Id", "")] = path if kind == "worksheet" else ""
        sheets = []
        for el in root.iter():
            if _local(el.tag) == "sheet":
                rid = el.get(f"{{{REL_NS}}}id") or el.get("id") or ""
                sheets.append(SheetInfo(el.get("name", ""), targets.get(rid, ""),
                                        el.get("state", "visible")))
        return sheets

    @property
    def shared_strings(self) -> list[str]:
        if self._strings is None:
            data = self._member(_find_member(self._members, "xl/sharedStrings.xml")) or b""
            self._strings = [_rich_text(m[1]) for m in _SI.finditer(data)]
        return self._strings

    @property
    def _date_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """Style indexes whose number format is a date, and those that are durations."""
        if self._styles is None:
            data = self._member("xl/styles.xml")
            self._styles = _date_styles(data) if data else (frozenset(), frozenset())
        return self._styles

    def _sheet_xml(self, name: str) -> bytes | None:
        """The XML of a sheet (None for a chart sheet), unzipped once: a sheet may be
        glanced at (peek) before it is read in full."""
        if name not in self._sheet_data:
            info = next((s for s in self.sheets if s.name == name), None)
            if info is None:
                raise KeyError(name)
            if not info.path:  # a chart sheet has no cells
                return None
            data = self._member(info.path)
            if data is None:
                raise Refused("E106", reason=f"シート「{name}」のデータがありません")
            self._sheet_data[name] = data
        return self._sheet_data[name]

    def _value_context(self) -> tuple[frozenset[int], frozenset[int], dt.datetime]:
        """What turning a cell into a value needs: date styles, duration styles, epoch."""
        dates, durations = self._date_styles
        return dates, durations, CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900

    def read_sheet(self, name: str) -> SheetData:
        """Every non-empty cell of a sheet and its merged ranges.

        Raise Refused("E108") when the sheet uses more than MAX_ROWS rows or MAX_COLS
        columns, as soon as that is known, so an oversized sheet is never read in full.
        """
        data = self._sheet_xml(name)
        if data is None:
            return SheetData(name)
        return _parse_sheet(data, name, self, *self._value_context())

    def peek(self, name: str, columns: Iterable[str], min_row: int = 1,
             rows: Iterable[int] = ()) -> dict[tuple[int, int], object] | None:
        """The non-empty cells of these columns (letters) from min_row down, or only in
        `rows` when given, found by their r attribute without reading the rest of the
        sheet; None when the sheet has cells without r (it is optional), and the caller
        must read the sheet in full."""
        data = self._sheet_xml(name)
        if data is None:
            return {}
        if _CELL_WITHOUT_R.search(data):
            return None
        letters = b"|".join(re.escape(c.upper().encode("ascii")) for c in columns)
        numbers = b"|".join(str(r).encode("ascii") for r in rows) or rb"\d+"
        pattern = re.compile(rb"<(" + _P + rb")c\b([^>]*?\br\s*=\s*[\"']\$?(" + letters
                             + rb")\$?(" + numbers + rb")[\"'][^>]*?)(?:/>|>(.*?)</\1c>)", re.S)
        values = self._value_context()
        cells: dict[tuple[int, int], object] = {}
        for m in pattern.finditer(data):
            attrs, letter, row, inner = m.group(2, 3, 4, 5)
            if not inner or int(row) < min_row:
                continue
            value = _cell_value(attrs, inner, self, *values)
            if value is not None:
                cells[(int(row), column_index_from_string(letter.decode("ascii")))] = value
        return cells


def _find_member(members: dict, name: str) -> str:
    if name in members:
        return name
    lowered = name.lower()  # some writers differ in case (xl/SharedStrings.xml)
    return next((m for m in members if m.lower() == lowered), name)


# --- cell data tokenisers ---------------------------------------------------------------

_P = rb"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
_SI = re.compile(rb"<" + _P + rb"si\b[^>]*?(?:/>|>(.*?)</" + _P + rb"si>)", re.S)
_T = re.compile(rb"<" + _P + rb"t\b[^>]*?(?:/>|>(.*?)</" + _P + rb"t>)", re.S)
_RPH = re.compile(rb"<" + _P + rb"rPh\b.*?</" + _P + rb"rPh>", re.S)
_TOKEN = re.compile(rb"<(" + _P + rb")(?:c\b([^>]*?)(?:/>|>(.*?)</\1c>)"
                    rb"|(row|mergeCell|dimension)\b([^>]*?)/?>)", re.S)
_CELL_WITHOUT_R = re.compile(rb"<" + _P + rb"c\b(?![^>]*?\br\s*=)")
_ATTR_R = re.compile(rb"""\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
_ATTR_ROW = re.compile(rb"""\br\s*=\s*["']([^"']*)["']""")
_ATTR_T = re.compile(rb"""\bt\s*=\s*["']([^"']*)["']""")
_ATTR_S = re.compile(rb"""\bs\s*=\s*["']([^"']*)["']""")
_ATTR_REF = re.compile(rb"""\bref\s*=\s*["']([^"']*)["']""")
_V = re.compile(rb"<" + _P + rb"v\b[^>]*?(?:/>|>(.*?)</" + _P + rb"v>)", re.S)
_F = re.compile(rb"<" + _P + rb"f\b[^>]*?(?:/>|>(.*?)</" + _P + rb"f>)", re.S)
_IS = re.compile(rb"<" + _P + rb"is\b[^>]*?(?:/>|>(.*?)</" + _P + rb"is>)", re.S)


def _rich_text(inner: bytes | None) -> str:
    """The text of a shared or inline string: its runs joined, furigana (rPh) left out."""
    if not inner:
        return ""
    if b"rPh" in inner:
        inner = _RPH.sub(b"", inner)
    return "".join(xml_text(m[1]) for m in _T.finditer(inner) if m[1])


def _too_big(title: str, rows: int, cols: int) -> None:
    if rows > MAX_ROWS or cols > MAX_COLS:
        raise Refused("E108", sheet=title, rows=rows, cols=cols,
                      max_rows=MAX_ROWS, max_cols=MAX_COLS)


def _parse_sheet(data: bytes, title: str, package: Package, dates: frozenset[int],
                 durations: frozenset[int], epoch: dt.datetime) -> SheetData:
    sheet = SheetData(title)
    cells = sheet.cells
    row = col = 0
    for m in _TOKEN.finditer(data):
        cell_attrs, inner, tag, attrs = m.group(2, 3, 4, 5)
        if tag is None:  # a cell
            if not inner:  # empty (formatting only): just keep count for cells without r
                col += 1
                continue
            ref = _ATTR_R.search(cell_attrs)
            if ref is not None:
                row, col = int(ref[2]), column_index_from_string(ref[1].decode().upper())
            else:
                col += 1
            value = _cell_value(cell_attrs, inner, package, dates, durations, epoch)
            if value is None:
                continue
            if row > MAX_ROWS or col > MAX_COLS:
                _too_big(title, row, col)
            cells[(row, col)] = value
        elif tag == b"row":
            r = _ATTR_ROW.search(attrs)
            try:
                row = int(float(r[1])) if r else row + 1
            except ValueError:
                raise Refused("E106", reason=f"シート「{title}」の行番号 {r[1]!r}") from None
            col = 0
        elif tag == b"mergeCell":
            ref = _ATTR_REF.search(attrs)
            if ref:
                sheet.merged.append(ref[1].decode("ascii", errors="replace"))
        else:  # dimension: refuse an oversized sheet before reading its cells
            ref = _ATTR_REF.search(attrs)
            try:
                _min_col, _min_row, max_col, max_row = range_boundaries(
                    ref[1].decode("ascii") if ref else "")
            except (ValueError, TypeError, UnicodeDecodeError):
                continue
            if max_row is not None and max_col is not None:
                _too_big(title, max_row, max_col)
    return sheet


def _cell_value(attrs: bytes, inner: bytes, package: Package,
                dates: frozenset[int], durations: frozenset[int], epoch: dt.datetime) -> object:
    """The Python value of a cell, CellError / MissingFormulaValue, or None when empty."""
    t = _ATTR_T.search(attrs)
    kind = t[1] if t else b"n"
    if kind == b"inlineStr":
        m = _IS.search(inner)
        return (_rich_text(m[1]) if m else "") or None
    vm = _V.search(inner)
    v = vm[1] if vm else None
    if not v:
        fm = _F.search(inner)
        if fm is not None:
            return MissingFormulaValue("=" + xml_text(fm[1] or b""))
        return None
    if kind == b"s":
        try:
            return package.shared_strings[int(v)] or None
        except (IndexError, ValueError):
            return CellError("#REF!")
    if kind == b"str":
        return xml_text(v) or None
    if kind == b"e":
        return CellError(xml_text(v))
    if kind == b"b":
        return v.strip() in (b"1", b"true")
    text = v.decode("ascii", errors="replace").strip()
    if kind == b"d":
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return text
    try:
        number: int | float = float(text) if any(ch in text for ch in ".eE") else int(text)
    except ValueError:
        return text
    style = _ATTR_S.search(attrs) if dates else None
    if style:
        try:
            style_id = int(style[1])
        except ValueError:
            return number
        if style_id in dates:
            try:
                return from_excel(number, epoch, timedelta=style_id in durations)
            except (OverflowError, ValueError):
                return CellError("#VALUE!")
    return number
