"""The report's laid out parts, kept beside the outputs so that a rebuild lays out again
only the parts whose inputs changed.

The build is used as a loop: a department re-sends one workbook, the planning division
rebuilds and looks, and repeats. Most of the report's parts (report.report_parts) come
out the same, and laying them out with WeasyPrint is nearly all of a build's time.

* An entry is one laid out part (pdfmerge.Part: its PDF bytes, page boxes and anchors),
  filed under a key that report.py computes from everything the part's bytes depend on:
  the part's HTML (the context slice rendered through the templates, CSS inline), every
  file in the template folders, the installed fonts, the versions of this tool and of
  WeasyPrint and its libraries, the report's date and the attached files. Anything else
  is not seen, so the key errs on the side of a miss: a stale part is never reused.
* The folder (CACHE_NAME in the output folder) is not one of the build's owned names, so
  the output folder's clean-up leaves it alone; it is safe to delete at any time.
* Entries are plain data (a JSON header line, then the PDF), never pickles: a file that
  someone else put in the folder can at worst be a miss. Each entry carries the digest of
  its PDF and is checked when read; a damaged or foreign file is a miss and is removed.
* New entries are written only when the build has succeeded (save), each to a temporary
  name and renamed, so a failed or interrupted build adds nothing and two builds at once
  never see half an entry. The folder is kept under MAX_BYTES by removing the entries
  used least recently (a reused entry's time is refreshed).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from mine_report.common.fileio import atomic_path
from mine_report.outputs.pdfmerge import PageBox, Part

CACHE_NAME = ".mine-report-cache"
#: Bumped whenever an entry's layout or the key's recipe changes.
FORMAT = "mine-report-part-1"
SUFFIX = ".layout"
#: The folder's bound. The sample report's parts take some 3 MB; a 780-KPI plan's, 13 MB:
#: this keeps several rounds of a large plan and evicts beyond that.
MAX_BYTES = 256 * 1024 * 1024


class PartCache:
    """The cache folder of one output folder: get() during the layout, save() after the
    build has succeeded."""

    def __init__(self, folder: Path, max_bytes: int = MAX_BYTES):
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.pending: dict[str, Part] = {}
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def get(self, key: str) -> Part | None:
        """The part filed under key, or None (absent, damaged, or written by another format)."""
        path = self._path(key)
        try:
            data = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        part = _decode(data, key)
        if part is None:
            with contextlib.suppress(OSError):
                path.unlink()
            self.misses += 1
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # used now: evicted last
        self.hits += 1
        return part

    def put(self, key: str, part: Part) -> None:
        """Keep part to be written by save()."""
        self.pending[key] = part

    def save(self) -> None:
        """Write the new entries and evict the least recently used beyond max_bytes. A folder
        that cannot be written only means no reuse next time: never an error of the build."""
        pending, self.pending = self.pending, {}
        try:
            self.folder.mkdir(exist_ok=True)
            for key, part in pending.items():
                with atomic_path(self._path(key)) as tmp:
                    tmp.write_bytes(_encode(part, key))
        except OSError:
            return
        self.evict()

    def evict(self) -> None:
        """Remove the least recently used entries until the folder fits in max_bytes."""
        entries = []
        with contextlib.suppress(OSError):
            for path in self.folder.iterdir():
                if path.suffix == SUFFIX and path.is_file() and not path.is_symlink():
                    stat = path.stat()
                    entries.append((stat.st_mtime, path.name, stat.st_size, path))
        total = sum(size for _, _, size, _ in entries)
        for _, _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size


def _encode(part: Part, key: str) -> bytes:
    header = {"format": FORMAT, "key": key, "size": len(part.pdf),
              "sha256": hashlib.sha256(part.pdf).hexdigest(),
              "pages": [[p.side, p.name, p.x, p.width] for p in part.pages],
              "anchors": dict(part.anchors)}
    return json.dumps(header, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n" + part.pdf


def _decode(data: bytes, key: str) -> Part | None:
    head, newline, pdf = data.partition(b"\n")
    try:
        header = json.loads(head.decode("utf-8"))
        if (not newline or header["format"] != FORMAT or header["key"] != key
                or header["size"] != len(pdf)
                or header["sha256"] != hashlib.sha256(pdf).hexdigest()):
            return None
        pages = tuple(PageBox(str(side), str(name), float(x), float(width))
                      for side, name, x, width in header["pages"])
        anchors = {str(name): int(index) for name, index in header["anchors"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return Part(pdf, pages, anchors)
