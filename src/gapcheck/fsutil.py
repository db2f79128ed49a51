"""Atomic file writes: a reader never sees a half-written file, an interrupted run leaves none."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterable
from pathlib import Path

#: A new file, never an existing one (O_EXCL), not inherited by child processes.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
#: Tries at a free temporary name before giving up (a name is only taken when a killed process
#: with the same pid left its temporary file behind).
_NAME_TRIES = 1000
_unique = itertools.count()

#: What a file is written from: its bytes, or its bytes in pieces (written as they come, so the
#: whole never needs to be in memory at once).
Content = bytes | Iterable[bytes]


def atomic_write(path: Path | str, data: Content, *, sync: bool = True) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename.

    Readers and interrupted runs never see a partial file either way. ``sync`` also makes the
    content durable before the rename (fsync); a caller writing many files can pass False and
    call :func:`sync_written` once before it records them as done.
    """
    temporary = write_temporary(path, data, sync=sync)
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_temporary(path: Path | str, data: Content, *, sync: bool = False) -> str:
    """Write ``data`` to a new hidden file beside ``path``, ``.<name>.<unique>.tmp``, and return
    its path: the caller renames it to ``path`` (``os.replace``, atomic) or removes it.

    The file gets the mode a plain ``open()`` would give (0o666 less the umask, applied by the
    system: no umask juggling, which would race with other threads).
    """
    folder, name = os.path.split(os.fspath(path))
    pid = os.getpid()
    for _ in range(_NAME_TRIES):
        temporary = os.path.join(folder, f".{name}.{pid}-{next(_unique)}.tmp")
        try:
            handle = os.open(temporary, _CREATE, 0o666)
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(f"no free temporary file name beside {path}")
    try:
        _write_and_close(handle, data, sync)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return temporary


def fill(path: Path | str, data: Content, *, sync: bool = False) -> None:
    """Write ``data`` into the existing file at ``path``: an empty one from
    :func:`write_temporary` that another process fills in."""
    _write_and_close(os.open(path, os.O_WRONLY | os.O_CLOEXEC), data, sync)


def _write_and_close(handle: int, data: Content, sync: bool) -> None:
    try:
        if isinstance(data, bytes):
            write_all(handle, data)
        else:
            for piece in data:
                write_all(handle, piece)
        if sync:
            os.fsync(handle)
    finally:
        os.close(handle)


def append_to(path: Path | str, data: bytes) -> None:
    """Append ``data`` to the existing file at ``path`` (a reader may see a line cut short
    until the write is done: for logs read up to their last whole line)."""
    handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    try:
        write_all(handle, data)
    finally:
        os.close(handle)


def write_all(handle: int, data: bytes) -> None:
    with memoryview(data) as view:
        written = os.write(handle, view)
        while written < len(view):  # a short write: a signal, or more than 2 GiB at once
            written += os.write(handle, view[written:])


def sync_written() -> None:
    """Make every file written without ``sync`` durable (one sync for a whole batch of them)."""
    os.sync()
