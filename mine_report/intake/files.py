"""Taking in an input file: only a regular file is read, and never more than the limit.

A folder of returns can hold anything a person (or an attacker) put there: a named pipe
called x.xlsx (reading it would wait forever), a link to /dev/zero (endless), a link
loop, a subfolder. Each is refused with its own code before a byte is read, so the other
files are still checked. The file is opened once, and what is checked (its type and size)
is what is read: it cannot be swapped between the check and the read.
"""

from __future__ import annotations

import errno
import os
import stat
from fractions import Fraction
from pathlib import Path

from mine_report.common.numbers import format_number
from mine_report.intake.xlsxread import MAX_FILE_BYTES, Refused

#: What E101 says for the usual reasons a file cannot be opened (never the OS's English).
_OS_REASONS = {
    errno.ENOENT: "ファイルがありません (削除されたか、リンク先がありません)",
    errno.EACCES: "読み取りの権限がありません",
    errno.EPERM: "読み取りの権限がありません",
    errno.ELOOP: "シンボリックリンクが循環しています",
    errno.ENAMETOOLONG: "パスが長すぎます",
    errno.EIO: "読み取り中に入出力エラーが起きました",
    errno.EBUSY: "ほかのソフトが使用中です",
    errno.ETXTBSY: "ほかのソフトが使用中です",
    errno.ENXIO: "読み取れない種類のファイルです",
}


def os_reason(exc: OSError) -> str:
    """A short Japanese reason for an OS error (the errno's name when it is unusual)."""
    reason = _OS_REASONS.get(exc.errno or 0)
    if reason is None:
        reason = f"OS のエラー {errno.errorcode.get(exc.errno or 0, exc.errno)}"
    return reason


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "名前付きパイプ (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "デバイス"
    if stat.S_ISSOCK(mode):
        return "ソケット"
    return "特殊なファイル"


def load_bytes(path: Path) -> bytes:
    """The bytes of a regular file (or of a link to one), at most MAX_FILE_BYTES.

    Refused: E109 a folder, E115 anything else that is not a regular file, E107 larger
    than the limit (known from its size, and checked again by reading at most one byte
    more, since some files report no size), E101 it cannot be opened or read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: opening a pipe must not wait for a writer
    except IsADirectoryError:
        raise Refused("E109") from None
    except OSError as exc:
        raise Refused("E101", reason=os_reason(exc)) from None
    chunks: list[bytes] = []
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise Refused("E109")
        if not stat.S_ISREG(info.st_mode):
            raise Refused("E115", kind=_kind(info.st_mode))
        if info.st_size > MAX_FILE_BYTES:
            raise _too_large(info.st_size)
        left = MAX_FILE_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise Refused("E101", reason=os_reason(exc)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise _too_large(None)
    return data


def _too_large(size: int | None) -> Refused:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    shown = f"{limit} MB 超" if size is None else f"{format_number(Fraction(size, 1024 * 1024), 1)} MB"
    return Refused("E107", size=shown, limit=f"{limit} MB")
