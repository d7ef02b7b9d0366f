"""Write a folder beside its final place, then swap it in; clean up after killed runs.

A writer builds ``.<name>.tmp-<pid>-<token>`` next to ``<name>`` and calls
:func:`swap_in`. On Linux an existing ``<name>`` is exchanged with the new folder
in one ``renameat2(RENAME_EXCHANGE)`` call, so a reader always finds either the
old complete folder or the new one (open files of the old one stay readable);
elsewhere it falls back to two renames. A run killed before the swap leaves only
its temporary folder, which :func:`remove_stale` deletes at the next run once
the process that owned it is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import secrets
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

_STALE_RE = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)-(?P<pid>\d+)(?:-[0-9a-f]+)?$")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def temp_beside(out: Path, kind: str = "tmp") -> Path:
    """A fresh, unused path ``.<name>.<kind>-<pid>-<token>`` in ``out``'s parent (not created)."""
    return out.parent / f".{out.name}.{kind}-{os.getpid()}-{secrets.token_hex(3)}"


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine's process table)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: Path, name: str | None = None, salvage: Callable[[Path], None] | None = None) -> list[Path]:
    """Delete temporary folders (``.<name>.tmp-<pid>…``/``.old-<pid>…``) in ``parent`` whose process is gone.

    ``name`` limits the sweep to one target; ``salvage`` is called on each stale
    folder before it is removed. Returns the folders removed.
    """
    removed = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for p in entries:
        m = _STALE_RE.match(p.name)
        if not m or (name is not None and m.group("name") != name) or pid_alive(int(m.group("pid"))):
            continue
        if salvage is not None and p.is_dir():
            salvage(p)
        shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc if hasattr(libc, "renameat2") else None
    except OSError:
        return None


def exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two existing paths (Linux ``renameat2``); False where not supported."""
    libc = _libc()
    if libc is None:
        return False
    rc = libc.renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def swap_in(tmp: Path, out: Path, keep_existing: bool = False) -> Path | None:
    """Put the complete folder ``tmp`` at ``out``; return the path of what was replaced (to delete) or None.

    With ``keep_existing`` an ``out`` that already exists (another process finished
    the same work first) is kept and ``tmp`` is returned for deletion instead.
    """
    for _ in range(10):
        if not out.exists():
            try:
                os.rename(tmp, out)  # fails if another writer created out meanwhile
                return None
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR, errno.ENOTDIR):
                    raise
        if keep_existing:
            return tmp
        if exchange(tmp, out):
            return tmp  # tmp now holds the old folder
        old = temp_beside(out, "old")
        try:
            os.rename(out, old)
        except FileNotFoundError:
            continue  # another writer moved it away first: try again
        try:
            os.rename(tmp, out)
        except OSError:
            continue  # another writer won the race: its folder stays, ours is retried
        return old
    raise OSError(errno.EBUSY, "could not swap in the new folder (too many concurrent writers)", str(out))


@contextlib.contextmanager
def sigterm_as_exit():
    """Inside this block SIGTERM raises ``SystemExit(143)`` (main thread only), so clean-up code runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise SystemExit(128 + signum)

    try:
        old = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not allowed here (e.g. embedded interpreter)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)
