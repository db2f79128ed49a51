"""Atomic writes: all or nothing, with the mode a plain open() would give."""

from __future__ import annotations

import itertools
import os
import stat
from pathlib import Path

import pytest

from gapcheck.fsutil import append_to, atomic_write, fill, sync_written, write_temporary


def test_writes_with_the_usual_mode(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        atomic_write(tmp_path / "report.html", b"<p>hi</p>")
    finally:
        os.umask(previous)
    path = tmp_path / "report.html"
    assert path.read_bytes() == b"<p>hi</p>"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "out.json"
    atomic_write(path, b"old")

    def broken_replace(source: str, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert [entry.name for entry in tmp_path.iterdir()] == ["out.json"]


def test_unsynced_writes_are_still_atomic_and_sync_written_flushes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    atomic_write(tmp_path / "a.json", b"{}", sync=False)
    assert synced == []
    assert (tmp_path / "a.json").read_bytes() == b"{}"
    assert [entry.name for entry in tmp_path.iterdir()] == ["a.json"]
    atomic_write(tmp_path / "b.json", b"[]")
    assert len(synced) == 1
    calls: list[str] = []
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    sync_written()
    assert calls == ["sync"]


def test_write_temporary_leaves_a_hidden_file_beside_the_target(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        temporary = write_temporary(tmp_path / "report.json", b"{}")
    finally:
        os.umask(previous)
    path = Path(temporary)
    assert path.parent == tmp_path
    assert path.name.startswith(".report.json.")
    assert path.name.endswith(".tmp")
    assert path.read_bytes() == b"{}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # what open() gives under that umask
    assert not (tmp_path / "report.json").exists()
    again = write_temporary(tmp_path / "report.json", b"[]")
    assert again != temporary  # each write its own file


def test_a_failed_temporary_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(handle: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(tmp_path / "out.json", b"data")
    assert list(tmp_path.iterdir()) == []


def test_a_short_write_is_completed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = os.write

    def at_most_three_bytes(handle: int, data: bytes) -> int:
        return real_write(handle, bytes(data[:3]))

    monkeypatch.setattr(os, "write", at_most_three_bytes)
    atomic_write(tmp_path / "out.txt", b"0123456789", sync=False)
    assert (tmp_path / "out.txt").read_bytes() == b"0123456789"


def test_a_taken_temporary_name_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gapcheck import fsutil

    monkeypatch.setattr(fsutil, "_unique", itertools.count())
    (tmp_path / f".a.json.{os.getpid()}-0.tmp").write_bytes(b"left by a killed process")
    temporary = write_temporary(tmp_path / "a.json", b"new")
    assert temporary == str(tmp_path / f".a.json.{os.getpid()}-1.tmp")
    assert (tmp_path / f".a.json.{os.getpid()}-0.tmp").read_bytes() == b"left by a killed process"


def test_fill_writes_into_an_empty_temporary(tmp_path: Path) -> None:
    temporary = write_temporary(tmp_path / "a.json", b"")
    fill(temporary, b"filled", sync=True)
    assert Path(temporary).read_bytes() == b"filled"
    with pytest.raises(FileNotFoundError):
        fill(tmp_path / "missing", b"x")


def test_append_to_adds_at_the_end_of_an_existing_file_only(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"one\n")
    append_to(log, b"two\n")
    append_to(log, b"")
    assert log.read_bytes() == b"one\ntwo\n"
    with pytest.raises(FileNotFoundError):
        append_to(tmp_path / "missing", b"x")
