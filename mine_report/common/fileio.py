"""Safe output files: write to a temporary file beside the target, then rename.

An interrupted or failed run therefore never leaves a partial file and never
destroys the previous output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from mine_report.common.errors import DataProblem, ProblemsError
from mine_report.common.messages import text

#: Used for document timestamps when SOURCE_DATE_EPOCH is not set, so that the same
#: inputs always give the same bytes.
FIXED_TIMESTAMP = dt.datetime(2020, 4, 1, tzinfo=dt.UTC)


def source_date_epoch() -> dt.datetime | None:
    """The time SOURCE_DATE_EPOCH names (reproducible builds), in UTC; None when it is
    unset or not a whole number of seconds. The one place the variable is read: each
    caller chooses its own fallback."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
    return None


def build_timestamp() -> dt.datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else a fixed date; never the clock."""
    return source_date_epoch() or FIXED_TIMESTAMP


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def stable_package(data: bytes, modified: dt.datetime,
                   entry_time: dt.datetime | None = None) -> bytes:
    """The same xlsx package with every zip member dated `entry_time` (default: `modified`)
    and the document's modified date set to `modified`, so the same content gives the same
    bytes (openpyxl stamps both with the clock when saving)."""
    when = modified.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    entry = entry_time or modified
    date_time = (max(entry.year, 1980), entry.month, entry.day, entry.hour, entry.minute,
                 entry.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            content = src.read(info)
            if info.filename == "docProps/core.xml":
                content = _MODIFIED.sub(rb"\g<1>" + when + rb"\g<2>", content)
            dst.writestr(member, content)
    return out.getvalue()


def temp_path_for(target: Path) -> Path:
    """A new, empty temporary file in the target's folder (same file system, so rename is atomic)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    # mkstemp makes the file private (0600); outputs are shared documents, so give them the
    # permissions any newly created file would get.
    os.chmod(name, 0o666 & ~_umask())
    return Path(name)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces target, on failure it is removed."""
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_toml(path: Path, error: type[ProblemsError], *, unreadable: str, syntax: str,
              missing: str | None = None, parse: Callable[[str], object] | None = None) -> dict:
    """Parse a TOML data file (plan or config) with numbers as Decimal; raise `error` with
    the given message code when the file cannot be read (`missing` when it does not exist)
    or is not valid (syntax, nesting too deep to parse, not a table at the top). `parse`
    reads another format instead (a JSON plan)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        code = missing or unreadable
        raise error(str(path), [DataProblem.of(code, "", reason=exc.strerror or exc)]) from None
    except OSError as exc:
        raise error(str(path), [
            DataProblem.of(unreadable, "", reason=exc.strerror or exc)]) from None
    parse = parse or (lambda source: tomllib.loads(source, parse_float=Decimal))
    try:
        data = parse(raw.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as exc:  # TOMLDecodeError, JSONDecodeError
        raise error(str(path), [DataProblem.of(syntax, "", reason=exc)]) from None
    except RecursionError:
        raise error(str(path), [DataProblem(syntax, "", text(syntax, reason=text("P020")))]) from None
    if not isinstance(data, dict):
        raise error(str(path), [DataProblem(syntax, "", text(syntax, reason=text("P021")))])
    return data
