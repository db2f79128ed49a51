"""Atomic writes: all or nothing, with the mode a plain open() would give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gapcheck.fsutil import atomic_write, sync_written


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
