"""The build's output folder: checked before any work, written through a staging folder,
and left holding the outputs of exactly one build.

- Every output is written into a staging folder inside the output folder (same file
  system, so moving it into place is a rename). The staging folder is named
  `.mine-report-build-XXXXXXXX` and holds a `.lock` file that its build keeps locked
  (flock) while it runs; the kernel drops the lock when the process dies, even by
  SIGKILL. A later build removes staging folders whose lock it can take: only those,
  never anything else, and never the folder of a build that is still running.
- The tool owns a fixed set of names in the output folder (OWNED_NAMES). Each build
  replaces the ones it writes and removes the ones it did not write this time (the
  report.html of an earlier `--html` build), so the folder never mixes two builds.
  Any other file in the folder is left alone.
- If moving the outputs into place fails, the files already moved are put back as they
  were (the previous outputs are kept as hard links until the end).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from mine_report.common.errors import MineReportError, UsageError

STAGING_PREFIX = ".mine-report-build-"
#: mkdtemp's names: the prefix and eight characters of [a-z0-9_].
STAGING_NAME = re.compile(re.escape(STAGING_PREFIX) + r"[a-z0-9_]{8}")
LOCK_NAME = ".lock"
#: A staging folder without its lock file is one whose build died before taking the
#: lock (a moment after creating it); after this long it is surely not being set up.
UNLOCKED_GRACE_SECONDS = 3600


def check_not_overlapping(output_dir: Path, input_paths: Sequence[Path]) -> None:
    """Refuse (B008) an output folder that is an input folder, inside one, or holds one:
    outputs written there would be read as inputs, or replace them."""
    out = Path(output_dir).resolve()
    for path in input_paths:
        inp = Path(path).resolve()
        folder = inp.parent if inp.is_file() else inp
        if out == folder or out.is_relative_to(folder) or folder.is_relative_to(out):
            raise UsageError.of("B008", output=output_dir, input=path)


def unwritable(path: Path, exc: OSError | str) -> MineReportError:
    reason = exc if isinstance(exc, str) else (exc.strerror or str(exc))
    return MineReportError.of("B009", path=path, reason=reason)


def _lock(fd: int) -> bool:
    """Take the lock without waiting; False when another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def remove_stale(out: Path) -> list[Path]:
    """Remove the staging folders of builds that are no longer running; return them."""
    removed = []
    try:
        entries = list(out.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not STAGING_NAME.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        lock = entry / LOCK_NAME
        try:
            fd = os.open(lock, os.O_RDWR | os.O_NOFOLLOW)
        except FileNotFoundError:
            with contextlib.suppress(OSError):
                if time.time() - entry.stat().st_mtime > UNLOCKED_GRACE_SECONDS:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry)
            continue
        except OSError:  # a symlink or something else we did not make: not ours to judge
            continue
        try:
            if _lock(fd):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        except OSError:  # a file system without flock: cannot tell, so keep it
            pass
        finally:
            os.close(fd)
    return removed


@contextlib.contextmanager
def staging_folder(out: Path, owned: Iterable[str]) -> Iterator[Path]:
    """Make `out` (and its parents) if needed, clear stale staging folders and yield a new,
    locked staging folder in it; remove the staging folder at the end, and on failure
    also the folders this call created (when empty), so a failed build leaves nothing.

    Raises B009 when the folder cannot be made or written, or when one of the `owned`
    names in it is a folder (the build could neither replace nor remove it).
    """
    out = Path(out)
    created = _make_folders(out)
    fd = -1
    staging: Path | None = None
    try:
        for name in owned:
            target = out / name
            if target.is_dir() and not target.is_symlink():
                raise unwritable(target, "同じ名前のフォルダーがあります")
        remove_stale(out)
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
            # Locked under a temporary name, then renamed: another build never sees a
            # `.lock` it could take while this one is still setting up.
            fd = os.open(staging / ".lock.new", os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
            with contextlib.suppress(OSError):  # no flock here: the folder still works
                _lock(fd)
            os.rename(staging / ".lock.new", staging / LOCK_NAME)
        except OSError as exc:
            raise unwritable(out, exc) from None
        yield staging
    except BaseException:
        _remove(staging, fd)
        fd = -1
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        _remove(staging, fd)


def _remove(staging: Path | None, fd: int) -> None:
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)
    if fd >= 0:
        os.close(fd)


def _make_folders(out: Path) -> list[Path]:
    """Create `out` and its missing parents; return the ones created, outermost first."""
    missing = []
    folder = out.absolute()
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(out, exc) from None
    return list(reversed(missing))


def commit(staging: Path, out: Path, names: Sequence[str], owned: Iterable[str]) -> None:
    """Move `names` from staging into `out`, then remove the `owned` names this build did
    not write. On an error every file is put back as it was and B009 is raised."""
    previous = staging / ".previous"
    previous.mkdir()
    placed: list[str] = []
    target = out
    try:
        for name in names:
            target = out / name
            if target.is_file() or target.is_symlink():
                _keep(target, previous / name)
            os.replace(staging / name, target)
            placed.append(name)
        for name in sorted(set(owned) - set(names)):
            target = out / name
            if target.is_file() or target.is_symlink():
                _keep(target, previous / name)
                target.unlink()
                placed.append(name)
    except BaseException as exc:
        for name in reversed(placed):
            with contextlib.suppress(OSError):
                if (previous / name).exists() or (previous / name).is_symlink():
                    os.replace(previous / name, out / name)
                else:
                    (out / name).unlink()
        if isinstance(exc, OSError):
            raise unwritable(target, exc) from None
        raise


def _keep(target: Path, backup: Path) -> None:
    """Keep the previous file's content under `backup` without touching `target`."""
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:
        shutil.copy2(target, backup, follow_symlinks=False)
