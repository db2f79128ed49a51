"""Assess many answers files at once: every report, then a portfolio of small summaries.

``collect_inputs(names, outdir)`` finds the answers files (files, folders searched recursively,
globs); ``run_batch(paths, BatchOptions(...))`` assesses and renders each one in a fork pool of
worker processes and writes ``OUTDIR/<slug>.<ext>`` per project and format, atomically, then the
portfolio (:mod:`gapcheck.portfolio`). Workers take chunks of paths, write each report to a
hidden temporary file in OUTDIR and give back small per-project summary dicts, never whole
reports: the batch keeps only summaries. The main process alone names the reports (renames the
temporary files), so a slug two inputs share is never written by two workers. Each worker
loads the pack and compiles the engine once and runs one item at a time (durable-rules: one host
per process, never shared across threads). Ctrl-C is handled by the main process alone.

Failure isolation: a bad input or a failing render is recorded as that input's failure; a worker
process that dies is detected (the pool breaks), the items that were in flight are re-run one at
a time in a new pool to find the one that crashed, and the batch goes on with the rest.

Incremental: ``OUTDIR/.gapcheck-cache.jsonl`` maps each input to the sha256 of its bytes and its
summary, under a fingerprint of the pack, the report templates, gapcheck's version and the
formats. An unchanged input whose reports are all there, each of the size it was written with,
is neither assessed nor rendered again.
The entries completed are appended to the cache every few items (in a background thread) and at
the end, each time after one ``sync`` that makes the reports they vouch for durable (reports are
written without an fsync each), so a run killed at any point leaves no partial file and the
next run does only what is left.

Test-only hook: with ``GAPCHECK_TEST_CRASH_ON=<project id>`` in the environment a pool worker
that assesses that project exits at once (``os._exit(1)``), to test crash isolation. It has no
effect with ``jobs=1`` (no pool) and is not for users.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import gc
import glob
import hashlib
import importlib
import itertools
import multiprocessing
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from gapcheck import __version__
from gapcheck.errors import GapcheckError, InputError, NotAnswersError
from gapcheck.formats import OutputFormat
from gapcheck.fsutil import (
    Content,
    append_to,
    atomic_write,
    fill,
    sync_written,
    write_all,
    write_temporary,
)

if TYPE_CHECKING:
    from gapcheck.loading import Document
    from gapcheck.pack import Pack
    from gapcheck.portfolio import Portfolio, ProjectSummary

CACHE_NAME = ".gapcheck-cache.jsonl"
CACHE_VERSION = 3  # 2: report sizes instead of report hashes; 3: one line per entry, appended
#: Caches of earlier versions, removed when a batch starts.
OLD_CACHE_NAMES = (".gapcheck-cache.json",)
#: The cache is saved after this many completed items (and at the end), then at most once in
#: CACHE_SECONDS. A save appends the entries completed since the last one.
CACHE_EVERY = 50
CACHE_SECONDS = 1.0
#: The cache is written anew at the end of a batch when it holds more than this many lines per
#: entry (entries redone in earlier runs leave their old lines behind).
CACHE_LINES_PER_ENTRY = 2
#: A batch with more processes than one renders portfolio.html in a process of its own from
#: this many projects on (below, the fork costs more than it saves).
HTML_APART_MIN_PROJECTS = 1000
#: Children rendering the page's project rows, a slice each. With the children rendering the
#: JSON and the CSV and the batch's own process (the rest of the page), five processes share
#: the work: on two cores, none is left with much more to do than the others.
ROW_CHILDREN = 2
ANSWERS_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
#: Longest project-id part of a slug.
SLUG_ID_MAX = 60
#: Test-only: a pool worker assessing this project id exits at once (see the module docstring).
CRASH_HOOK = "GAPCHECK_TEST_CRASH_ON"
WORKER_CRASHED = "worker crashed while assessing or rendering this input"
_GLOB_CHARS = frozenset("*?[")

Summary = dict[str, Any]


@dataclass(frozen=True)
class BatchFailure:
    """An input that could not be assessed or rendered, and why."""

    input: str
    message: str


@dataclass(frozen=True)
class SkippedInput:
    """A file found in a folder or by a glob that is recognisably not answers (a survey mapping,
    a file of a pack, a result or a portfolio), and what it is."""

    input: str
    reason: str


@dataclass(frozen=True)
class BatchOptions:
    outdir: Path
    formats: tuple[OutputFormat, ...] = (OutputFormat.html,)
    #: Worker processes; 1 runs in this process (no pool).
    jobs: int = 1
    #: Redo every input, ignoring the cache.
    force: bool = False
    #: A Dask scheduler's address (``tcp://HOST:PORT``): assess on that cluster instead of a
    #: local pool (needs the ``gapcheck[dask]`` extra).
    scheduler: str | None = None
    #: The assessment pack folder (docs/pack-format.md); None: gapcheck's own.
    pack: Path | None = None


@dataclass
class BatchOutcome:
    #: One summary per assessed project, sorted by project id, date, input.
    summaries: list[Summary] = field(default_factory=list)
    failures: list[BatchFailure] = field(default_factory=list)
    #: Files found by searching that are not answers files; sorted by input.
    skipped: list[SkippedInput] = field(default_factory=list)
    assessed: int = 0
    unchanged: int = 0
    #: The portfolio files written.
    portfolio: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


Progress = Callable[[int, int], None]
#: What a worker says of an input that is recognisably another kind of gapcheck file.
NOT_ANSWERS = "not answers"


class InputFile(NamedTuple):
    """An input of a batch: its path as found, its path resolved (its key in the cache), and
    whether it was named itself rather than found in a folder or by a glob."""

    path: Path
    key: str
    named: bool


# --- inputs ---------------------------------------------------------------------------------


def collect_inputs(inputs: Sequence[str], outdir: Path) -> list[Path]:
    """Answers files named by files, folders (recursive) and globs: deduplicated and sorted.

    Hidden folders and OUTDIR are not searched. A name that matches nothing is an InputError.
    """
    return [path for path, _ in collect_input_keys(inputs, outdir)]


def collect_input_keys(inputs: Sequence[str], outdir: Path) -> list[tuple[Path, str]]:
    """:func:`collect_inputs` with each file's resolved path (its key in the batch's cache),
    which :func:`run_batch` then need not work out again."""
    return [(found.path, found.key) for found in collect_input_files(inputs, outdir)]


def collect_input_files(inputs: Sequence[str], outdir: Path) -> list[InputFile]:
    """:func:`collect_input_keys`, and whether each file was named itself (a file found both
    ways counts as named)."""
    outdir_resolved = outdir.resolve()
    resolve = Resolver()
    found: dict[str, Path] = {}
    named: set[str] = set()
    for name in inputs:
        is_pattern = any(char in name for char in _GLOB_CHARS)
        if is_pattern and not Path(name).exists():
            matches = [Path(match) for match in glob.glob(name, recursive=True)]
            if not matches:
                raise InputError.single(name, "no file matches this pattern")
        else:
            matches = [Path(name)]
        for match in matches:
            if match.is_dir():
                folder = match.resolve()
                if folder == outdir_resolved:
                    raise InputError.single(
                        name, "is the output folder", expected="a folder of answers files"
                    )
                for path, key in _walk_folder(match, str(folder), str(outdir_resolved)):
                    found.setdefault(key, path)
            elif match.exists() or match.is_symlink():
                key = resolve(match)
                if not is_pattern:
                    found.setdefault(key, match)
                    named.add(key)
                elif _is_answers_name(match.name) and not _is_inside(key, str(outdir_resolved)):
                    found.setdefault(key, match)
            else:
                raise InputError.single(
                    name, "no such file or folder", expected="answers files, folders or globs"
                )
    return [InputFile(found[key], key, key in named) for key in sorted(found)]


def _is_answers_name(name: str) -> bool:
    return not name.startswith(".") and os.path.splitext(name)[1].lower() in ANSWERS_SUFFIXES


def _is_inside(path: str, folder: str) -> bool:
    """Whether the resolved ``path`` is somewhere under the resolved ``folder``."""
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _walk_folder(folder: Path, resolved: str, outdir: str) -> Iterator[tuple[Path, str]]:
    """(path, resolved path) of the answers files under ``folder`` (already resolved as
    ``resolved``), in ``os.walk`` order: a folder's files by name, then its subfolders by name;
    hidden folders, OUTDIR and symlinked folders are not entered, unreadable ones are skipped.
    One ``scandir`` per folder: a file that is not a symlink costs no system call. Paths are
    made as ``folder / name``: half the time of parsing each whole path."""
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError:
        return
    subfolders = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            subfolders.append(entry)
            continue
        if not _is_answers_name(entry.name):
            continue
        with contextlib.suppress(OSError):
            if entry.is_symlink():
                if entry.is_file():
                    path = folder / entry.name
                    yield path, str(path.resolve())
            elif entry.is_file():
                yield folder / entry.name, os.path.join(resolved, entry.name)
    for entry in subfolders:
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        inner = os.path.join(resolved, entry.name)  # not a symlink: resolved already
        if inner != outdir:
            yield from _walk_folder(folder / entry.name, inner, outdir)


class Resolver:
    """``str(path.resolve())`` for many files in few folders: each folder is resolved once,
    then a file costs one ``lstat`` (a file that is a symlink is resolved in full)."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, path: Path) -> str:
        text = str(path)
        folder, name = os.path.split(text)
        if name in ("", ".", ".."):
            return str(path.resolve())
        try:
            if stat.S_ISLNK(os.lstat(text).st_mode):
                return str(path.resolve())
        except OSError:
            return str(path.resolve())
        resolved = self._folders.get(folder)
        if resolved is None:
            resolved = self._folders[folder] = str(Path(folder).resolve())
        return os.path.join(resolved, name)


# --- slugs ----------------------------------------------------------------------------------

#: Already a slug: most project ids and every ISO date.
_PLAIN_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def id_slug(project_id: str) -> str:
    """A project id as a safe file-name part: ASCII lowercase letters, digits and single '-'."""
    if len(project_id) <= SLUG_ID_MAX and _PLAIN_SLUG.fullmatch(project_id):
        return project_id
    return _id_slug_of_any_text(project_id)


def _id_slug_of_any_text(project_id: str) -> str:
    text = unicodedata.normalize("NFKD", project_id).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    text = text[:SLUG_ID_MAX].rstrip("-")
    return text or "project"


def base_slug(project_id: str, assessed_on: str) -> str:
    """``<id>--<yyyy-mm-dd>``: the same project on another date is another report."""
    return f"{id_slug(project_id)}--{id_slug(assessed_on)}"


def path_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def unique_slug(base: str, key: str) -> str:
    """The slug of an input whose base slug another input also has."""
    return f"{base}--{path_hash(key)}"


# --- the worker -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _WorkerSetup:
    outdir: str
    formats: tuple[str, ...]
    in_pool: bool
    #: The pack folder, as this process sees it; None: gapcheck's own.
    pack: str | None = None


_STATE: dict[str, Any] = {}


def _init_worker(setup: _WorkerSetup) -> None:
    """Load the pack and compile the engine once per process."""
    from gapcheck.engine import compiled  # noqa: PLC0415 - heavy: durable-rules
    from gapcheck.pack import load_pack  # noqa: PLC0415
    from gapcheck.report import ReportOptions  # noqa: PLC0415 - heavy: jinja2

    if setup.in_pool and threading.current_thread() is threading.main_thread():
        # Ctrl-C is the main process's to handle: it cancels what is queued and waits for the
        # items in flight, whose writes are atomic. A worker interrupted inside the pool's
        # queues can deadlock the pool.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    pack = load_pack(None if setup.pack is None else Path(setup.pack))
    compiled(pack)
    formats = tuple(OutputFormat(name) for name in setup.formats)
    _STATE.update(
        setup=setup,
        pack=pack,
        options=ReportOptions(pack=pack),
        formats=formats,
        with_answers=any(chosen.is_report for chosen in formats),
    )


def _init_pool_worker(setup: _WorkerSetup) -> None:
    _init_worker(setup)
    # What is loaded by now (modules, the pack, the compiled engine) lives as long as the
    # process: the cyclic GC need not scan it again at every full collection.
    gc.freeze()


@contextlib.contextmanager
def _frozen_gc() -> Iterator[None]:
    """``gc.freeze()`` (see _init_pool_worker) for the length of a batch, in a process that goes
    on afterwards (a batch without a pool freezes again once the engine is compiled). Undone at
    the end, unless the caller had frozen objects of its own."""
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        yield
    finally:
        if not frozen_before:  # the caller's own frozen objects, if any, stay frozen
            gc.unfreeze()


def _assess_one(item: Item) -> tuple[str, Any]:
    """Assess and render one input: ("ok", (summary, temporary report files by format)),
    ("failed", message) or (NOT_ANSWERS, (message, what it is)). Never raises."""
    shown, _ = item
    return _guarded(shown, lambda: _assess_and_write(shown))


def _guarded(shown: str, work: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", what ``work`` returns), ("failed", why), or for an input that is another kind of
    gapcheck file (NOT_ANSWERS, (why it fails, what it is)): one input's failure stays its
    own."""
    try:
        return "ok", work()
    except NotAnswersError as error:
        return NOT_ANSWERS, (str(error), error.what_it_is())
    except InputError as error:
        return "failed", str(error)
    except GapcheckError as error:
        return "failed", f"{shown}: {error}"
    except OSError as error:
        return "failed", f"{shown}: cannot read or write: {error.strerror or error}"
    except RecursionError:
        return "failed", f"{shown}: the input is nested too deeply"
    except Exception as error:  # one input's failure must not stop the batch
        return "failed", f"{shown}: internal error ({type(error).__name__}: {error})"


def _assess_and_write(shown: str) -> tuple[Summary, dict[str, str]]:
    """Assess one input and write its reports to temporary files in OUTDIR; the batch gives
    them their final names (:func:`_place`)."""
    from gapcheck.loading import read_document  # noqa: PLC0415

    summary, outputs = _assess_and_render(read_document(Path(shown)), shown)
    return summary, _write_temporaries(_STATE["setup"].outdir, summary["slug"], outputs)


def _write_temporaries(outdir: str, slug: str, outputs: dict[str, bytes]) -> dict[str, str]:
    """Each report in a temporary file beside its name-to-be: format -> temporary path."""
    temporaries: dict[str, str] = {}
    try:
        for ext, data in outputs.items():
            # Durability comes from one sync before the cache records this project (_Cache).
            temporaries[ext] = write_temporary(os.path.join(outdir, f"{slug}.{ext}"), data)
    except BaseException:
        _discard(temporaries.values())
        raise
    return temporaries


def _discard(paths: Iterable[str | Path]) -> None:
    """Remove these files, those already gone included."""
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _assess_and_render(document: Document, shown: str) -> tuple[Summary, dict[str, bytes]]:
    """The summary of one answers file and its reports by format. The summary's slug and file
    names use the base slug; the batch makes them unique (:func:`_place`)."""
    from gapcheck.answers import validate_answers  # noqa: PLC0415
    from gapcheck.assessment import assess  # noqa: PLC0415
    from gapcheck.formats import render  # noqa: PLC0415 - looked up each time: tests replace it

    setup: _WorkerSetup = _STATE["setup"]
    pack = _STATE["pack"]
    result = assess(validate_answers(document, pack), pack, with_answers=_STATE["with_answers"])
    if setup.in_pool and os.environ.get(CRASH_HOOK) == result.project.id:
        os._exit(1)  # test-only hook: see the module docstring
    assessed_on = result.assessed_on.isoformat()
    slug = base_slug(result.project.id, assessed_on)
    files: dict[str, str] = {}
    sizes: dict[str, int] = {}
    outputs: dict[str, bytes] = {}
    for chosen in _STATE["formats"]:
        if chosen is OutputFormat.json:
            # JSON results carry no answers (those are for the reports' appendix).
            plain = dataclasses.replace(result, answers=()) if result.answers else result
            data = render(plain, chosen)
        else:
            data = render(result, chosen, _STATE["options"])
        outputs[chosen.value] = data
        files[chosen.value] = f"{slug}.{chosen.value}"
        sizes[chosen.value] = len(data)
    summary = {
        "id": result.project.id,
        "name": result.project.name,
        "client": result.project.client,
        "assessed_on": assessed_on,
        "slug": slug,
        "input": shown,
        "input_sha256": document.sha256,
        "confidence": result.confidence,
        "overall": result.overall,
        "scores": dict(result.scores),
        "counts": dict(result.counts),
        "findings": [finding.id for finding in result.findings],
        "files": files,
        "sizes": sizes,
    }
    return summary, outputs


# --- the batch ------------------------------------------------------------------------------


def templates_fingerprint() -> str:
    """sha256 over gapcheck's version and its report templates."""
    digest = hashlib.sha256(__version__.encode())
    folder = resources.files("gapcheck") / "templates"
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.is_file():
            digest.update(entry.name.encode() + b"\0" + entry.read_bytes() + b"\0")
    return digest.hexdigest()


def _fingerprint(pack_sha256: str, formats: Sequence[OutputFormat]) -> dict[str, Any]:
    return {
        "cache_version": CACHE_VERSION,
        "pack_sha256": pack_sha256,
        "templates": templates_fingerprint(),
        "formats": sorted(chosen.value for chosen in formats),
    }


class _Cache:
    """``OUTDIR/.gapcheck-cache.jsonl``: the fingerprint on the first line, then one line per
    entry, ``[key, summary]``; a later line for a key supersedes an earlier one.

    Saves append the entries completed (or changed) since the last save, so a batch never
    rewrites what it saved before. The reports the cache vouches for were written without a
    sync each, so a save first makes them durable (one ``sync``), then appends: after a crash
    the cache never claims a report that is not on disk. During the run that sync waits for
    the disk, so it happens in a background thread while the batch goes on (at most one save at
    a time); the final save waits for it. A line cut short by a crash ends the reading: the
    entries after it are redone, and the file is written anew before anything is appended.
    The file is also written anew when its fingerprint differs, and at the end of a batch when
    old lines make up most of it.
    """

    def __init__(self, path: Path, fingerprint: dict[str, Any]) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self._head = orjson.dumps({"fingerprint": fingerprint}, option=orjson.OPT_SORT_KEYS)
        #: Keys completed or changed since the last save.
        self._unsaved: dict[str, None] = {}
        #: Entry lines in the file; None: the file must be written anew, not appended to.
        self._lines: int | None = None
        self._not_before = 0.0
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def load(self) -> dict[str, Summary]:
        """The entries saved under this fingerprint (none if the file is missing or another's),
        up to the first line that is not a whole entry."""
        try:
            lines = self.path.read_bytes().split(b"\n")
        except OSError:
            return {}
        if lines[0] != self._head:
            return {}
        entries: dict[str, Summary] = {}
        count = 0
        for line in lines[1:-1]:  # the last is what follows the final line break: b""
            try:
                key, summary = orjson.loads(line)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                return entries  # cut short: the next save writes the file anew
            if not isinstance(key, str) or not isinstance(summary, dict):
                return entries
            entries[key] = summary
            count += 1
        if not lines[-1]:
            self._lines = count  # whole: later saves append
        return entries

    def completed(self, key: str, entries: dict[str, Summary]) -> None:
        """One more item done: a background save every CACHE_EVERY items, at most once in
        CACHE_SECONDS. A failed save fails the batch."""
        self._unsaved[key] = None
        if len(self._unsaved) < CACHE_EVERY or time.monotonic() < self._not_before:
            return
        if self._thread is not None and self._thread.is_alive():
            return  # the disk is slower than the batch: save when this one is done
        self.save_in_background(entries)

    def changed(self, key: str) -> None:
        """An entry changed after it was completed: the next save records it again."""
        self._unsaved[key] = None

    def save_in_background(self, entries: dict[str, Summary]) -> None:
        """Start a save of the entries as they are now, once the previous one is done."""
        self.join()
        if self._error is not None:
            raise self._error
        payload, append = self._payload(entries)  # a snapshot, taken here: the entries change
        self._not_before = time.monotonic() + CACHE_SECONDS
        self._thread = threading.Thread(
            target=self._save_in_background, args=(payload, append), name="gapcheck-cache"
        )
        self._thread.start()

    def save(self, entries: dict[str, Summary]) -> None:
        """Save now, once a background save is done (whose error this save supersedes). Syncs
        even when there is nothing to record: files written since the last save are made
        durable too."""
        self.join()
        if self._error is not None:
            self._error = None
            self._lines = None
        if self._lines is not None and self._lines > CACHE_LINES_PER_ENTRY * len(entries):
            self._lines = None  # mostly old lines: write it anew
        payload, append = self._payload(entries)
        self._write(payload, append)

    def join(self) -> None:
        """Wait for the background save, if any (before a fork: no thread runs then)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _payload(self, entries: dict[str, Summary]) -> tuple[bytes, bool]:
        """The bytes to write and whether they are appended; counts them as saved."""
        append = self._lines is not None
        keys = list(self._unsaved) if append else list(entries)
        self._unsaved = {}
        lines = [
            orjson.dumps([key, entries[key]], option=orjson.OPT_SORT_KEYS)
            for key in keys
            if key in entries
        ]
        self._lines = (self._lines or 0) + len(lines)  # None (writing anew) counts from 0
        if not append:
            lines.insert(0, self._head)
        return b"".join(line + b"\n" for line in lines), append

    def _save_in_background(self, payload: bytes, append: bool) -> None:
        try:
            self._write(payload, append)
        except BaseException as error:  # raised in the main thread by the next save
            self._error = error

    def _write(self, payload: bytes, append: bool) -> None:
        sync_written()
        if not append:
            atomic_write(self.path, payload)
        elif payload:
            append_to(self.path, payload)


def _sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _unchanged(summary: Any, path: Path, outdir: str) -> bool:
    """Whether a cached input is the same and its reports are all there, each of the size it
    was written with (a report emptied or cut short, as a crash can leave it, is redone)."""
    if not isinstance(summary, dict) or summary.get("input_sha256") != _sha256_of(path):
        return False
    files, sizes = summary.get("files"), summary.get("sizes")
    return (
        isinstance(files, dict)
        and isinstance(sizes, dict)
        and files.keys() == sizes.keys()
        and all(
            isinstance(name, str) and "/" not in name and _size_of(outdir, name) == sizes[ext]
            for ext, name in files.items()
        )
    )


def _size_of(outdir: str, name: str) -> int | None:
    """The size of a regular file in ``outdir``, None for anything else or nothing."""
    try:
        status = os.stat(os.path.join(outdir, name))
    except (OSError, ValueError):
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def run_batch(
    paths: Sequence[Path],
    options: BatchOptions,
    progress: Progress | None = None,
    *,
    keys: Sequence[str] | None = None,
    named: Collection[str] | None = None,
) -> BatchOutcome:
    """Assess answers files (from :func:`collect_inputs`), write reports and the portfolio.
    ``keys``: the paths resolved, as :func:`collect_input_keys` gives them (else worked out).
    ``named``: the keys of the inputs named themselves (:func:`collect_input_files`), None: all
    were. An input recognisably not an answers file (a survey mapping, say) is skipped if it
    was found in a folder or by a glob, and fails if it was named."""
    if keys is not None and len(keys) != len(paths):
        raise ValueError("one key per path is expected")
    from gapcheck.pack import load_pack  # noqa: PLC0415 - heavy: pydantic

    outdir = options.outdir
    if not options.formats:
        raise InputError.single(outdir, "no output format", expected="html, pdf, json or md")
    pack = load_pack(options.pack)  # a broken pack is refused before OUTDIR is touched
    outdir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(outdir)
    _discard(outdir / name for name in OLD_CACHE_NAMES)
    with _frozen_gc():
        return _run(paths, keys, named, options, progress, pack)


def _run(
    paths: Sequence[Path],
    keys: Sequence[str] | None,
    named: Collection[str] | None,
    options: BatchOptions,
    progress: Progress | None,
    pack: Pack,
) -> BatchOutcome:
    outdir = options.outdir
    folder = str(outdir)
    fingerprint = _fingerprint(pack.sha256, options.formats)
    cache = _Cache(outdir / CACHE_NAME, fingerprint)
    cached = {} if options.force else cache.load()
    entries: dict[str, Summary] = {}
    #: Base slug -> the input that has it (the first one): later ones get unique slugs.
    holders: dict[str, str] = {}
    outcome = BatchOutcome()
    work: list[Item] = []
    for path, key in zip(paths, keys if keys is not None else map(Resolver(), paths), strict=True):
        if not _is_utf8(key):
            shown = key.encode("utf-8", "backslashreplace").decode("utf-8")
            message = f"{shown}: the file name is not valid UTF-8 (rename the file)"
            outcome.failures.append(BatchFailure(shown, message))
            continue
        summary = cached.get(key)
        if summary is not None and _unchanged(summary, path, folder):
            summary["input"] = str(path)
            entries[key] = summary
            holders.setdefault(base_slug(summary["id"], summary["assessed_on"]), key)
            outcome.unchanged += 1
        else:
            work.append((str(path), key))
    total = len(paths) - len(outcome.failures)
    done = outcome.unchanged
    if progress is not None:
        progress(done, total)

    def finished(item: Item, status: str, value: Any) -> None:
        nonlocal done
        shown, key = item
        if status == "ok":
            summary, temporaries = value
            status, value = _guarded(
                shown, lambda: _place(folder, key, summary, temporaries, holders)
            )
        if status == "ok":
            entries[key] = value
            outcome.assessed += 1
        elif status == NOT_ANSWERS:
            message, what_it_is = value
            if named is not None and key not in named:
                outcome.skipped.append(SkippedInput(shown, what_it_is))
            else:
                outcome.failures.append(BatchFailure(shown, message))
        else:
            outcome.failures.append(BatchFailure(shown, str(value)))
        done += 1
        cache.completed(key, entries)
        if progress is not None:
            progress(done, total)

    setup = _WorkerSetup(
        folder,
        tuple(chosen.value for chosen in options.formats),
        False,
        None if options.pack is None else str(options.pack),
    )
    # Imported now, not for the portfolio at the end: pool workers forked from here then find
    # the report module (jinja2) imported, and the end of the batch does not wait for it.
    importlib.import_module("gapcheck.portfolio")
    try:
        if options.scheduler is not None:
            _run_dask(work, options.scheduler, dataclasses.replace(setup, in_pool=True), finished)
        elif options.jobs <= 1 or len(work) <= 1:
            _init_worker(setup)
            gc.freeze()  # the pack and the compiled engine, as in a pool worker
            for item in work:
                finished(item, *_assess_one(item))
        else:
            jobs = min(options.jobs, len(work))
            pool_setup = dataclasses.replace(setup, in_pool=True)
            _run_pool(work, jobs, pool_setup, finished, before_fork=cache.join)
    except KeyboardInterrupt:
        cache.join()
        _remove_stale_temporaries(outdir)  # of the items in flight: never given a name
        cache.save(entries)  # the next run does only the rest
        raise
    _finalise_slugs(entries, outdir, cache.changed)
    cache.join()  # its temporary file is not stale
    _remove_stale_temporaries(outdir)  # of workers that crashed
    outcome.summaries = sorted(entries.values(), key=summary_order)
    outcome.failures.sort(key=lambda failure: failure.input)
    outcome.skipped.sort(key=lambda skipped: skipped.input)
    try:
        outcome.portfolio = write_portfolio_files(
            outdir,
            outcome,
            pack,
            sync=False,
            # The last reports go to disk while the portfolio is rendered: the final save's
            # sync (which makes the portfolio durable too) then has little left to wait for.
            meanwhile=lambda: cache.save_in_background(entries),
            html_apart=options.scheduler is None
            and options.jobs > 1
            and len(outcome.summaries) >= HTML_APART_MIN_PROJECTS,
        )
    finally:
        cache.save(entries)
    return outcome


def _place(
    outdir: str, key: str, summary: Summary, temporaries: dict[str, str], holders: dict[str, str]
) -> Summary:
    """Give a project's reports their final names: ``<base slug>.<ext>``, or with a hash of
    its input's path when another input already has that base slug (:func:`_finalise_slugs`
    then gives that one a hash too). Only the batch's own process names reports, so two
    workers never write the same file."""
    base = summary["slug"]
    slug = base if holders.setdefault(base, key) == key else unique_slug(base, key)
    files: dict[str, str] = {}
    try:
        for ext, temporary in temporaries.items():
            name = f"{slug}.{ext}"
            os.replace(temporary, os.path.join(outdir, name))
            files[ext] = name
    except BaseException:
        _discard(temporaries.values())
        raise
    summary["slug"] = slug
    summary["files"] = files
    return summary


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _remove_stale_temporaries(outdir: Path) -> None:
    """Remove the temporary files that writes left unfinished (``.<name>.<unique>.tmp``, as
    made by :func:`gapcheck.fsutil.write_temporary`): a killed run's, or those of reports never
    named (a crashed worker's, an interrupted run's). One batch at a time per OUTDIR."""
    with os.scandir(outdir) as scan:
        stale = [
            entry.path
            for entry in scan
            if entry.name.startswith(".") and entry.name.endswith(".tmp") and len(entry.name) > 4
        ]
    for path in stale:
        if os.path.isfile(path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


def summary_order(summary: Summary) -> tuple[str, str, str]:
    return (str(summary["id"]), str(summary["assessed_on"]), str(summary["input"]))


Item = tuple[str, str]
Finished = Callable[[Item, str, Any], None]
#: Items sent to a worker at once, at most: fewer round trips between processes (each costs the
#: main process, which shares the cores with the workers). 48 items of about 1 ms each: the
#: last chunks keep the workers' finishing times within some 50 ms of each other.
CHUNK_MAX = 48


def _assess_chunk(chunk: tuple[Item, ...]) -> list[tuple[str, Any]]:
    return [_assess_one(item) for item in chunk]


def _run_pool(
    work: Sequence[Item],
    jobs: int,
    setup: _WorkerSetup,
    finished: Finished,
    before_fork: Callable[[], None],
) -> None:
    """Run the work in a fork pool, in chunks; when a worker dies, find the item that killed it
    by re-running the items that were in flight one at a time, and go on in a new pool.
    ``before_fork`` stops this process's other threads: a fork copies only the calling one."""
    context = multiprocessing.get_context("fork")
    chunk_size = _chunk_size(len(work), jobs)
    pending = deque(work)
    suspects: deque[Item] = deque()
    while pending or suspects:
        before_fork()
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=context, initializer=_init_pool_worker, initargs=(setup,)
        )
        try:
            if _isolate(pool, suspects, finished):
                _drain(pool, pending, chunk_size, jobs * 2, finished, suspects)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


def _chunk_size(items: int, jobs: int) -> int:
    """Chunks small enough that every worker gets several (balance), at most CHUNK_MAX."""
    return max(1, min(CHUNK_MAX, items // (jobs * 8)))


def _isolate(
    pool: concurrent.futures.ProcessPoolExecutor, suspects: deque[Item], finished: Finished
) -> bool:
    """Run the suspects one at a time: a crash now is that item's. False if the pool broke."""
    while suspects:
        item = suspects.popleft()
        try:
            status, value = pool.submit(_assess_one, item).result()
        except BrokenProcessPool:
            finished(item, "failed", f"{item[0]}: {WORKER_CRASHED}")
            return False
        except Exception as error:  # e.g. a result that cannot be pickled
            finished(item, "failed", f"{item[0]}: {type(error).__name__}: {error}")
            continue
        finished(item, status, value)
    return True


def _drain(
    pool: concurrent.futures.ProcessPoolExecutor,
    queue: deque[Item],
    chunk_size: int,
    window: int,
    finished: Finished,
    suspects: deque[Item],
) -> None:
    """Run the queue in chunks, at most ``window`` chunks in flight (memory stays flat); when
    the pool breaks, move the items that were in flight to ``suspects`` and return."""
    Future = concurrent.futures.Future[list[tuple[str, Any]]]
    in_flight: dict[Future, tuple[Item, ...]] = {}

    def settle(future: Future, chunk: tuple[Item, ...]) -> bool:
        if future.exception() is not None:
            suspects.extend(chunk)
            return False
        for item, (status, value) in zip(chunk, future.result(), strict=True):
            finished(item, status, value)
        return True

    while queue or in_flight:
        broken = False
        while queue and len(in_flight) < window:
            chunk = tuple(queue.popleft() for _ in range(min(chunk_size, len(queue))))
            try:
                in_flight[pool.submit(_assess_chunk, chunk)] = chunk
            except BrokenProcessPool:
                queue.extendleft(reversed(chunk))
                broken = True
                break
        done: Iterable[Future] = ()
        if in_flight:
            done, _ = concurrent.futures.wait(
                in_flight, return_when=concurrent.futures.FIRST_COMPLETED
            )
        for future in sorted(done, key=lambda f: in_flight[f]):
            broken = not settle(future, in_flight.pop(future)) or broken
        if broken:
            concurrent.futures.wait(in_flight)
            for future, chunk in sorted(in_flight.items(), key=lambda pair: pair[1]):
                settle(future, chunk)
            return


#: Dask tasks in flight at once, at most (memory stays flat).
DASK_WINDOW = 64
_DASK_LOCK = threading.Lock()


#: A pack folder's files as (name, bytes), sent to Dask workers.
PackFiles = tuple[tuple[str, bytes], ...]


def _dask_task(
    shown: str, raw: bytes, setup: _WorkerSetup, pack_files: PackFiles | None = None
) -> tuple[str, Any]:
    """On a Dask worker: assess an input sent as bytes, return its summary and its reports
    (the client writes them: workers need no access to the inputs, the pack folder or OUTDIR).
    One at a time per process: durable-rules has one host per process."""
    from gapcheck.loading import parse_document  # noqa: PLC0415

    with _DASK_LOCK:
        if pack_files is not None:
            setup = dataclasses.replace(setup, pack=_unpacked(pack_files))
        if _STATE.get("setup") != setup:
            _init_worker(setup)
        return _guarded(shown, lambda: _assess_and_render(parse_document(raw, Path(shown)), shown))


def _pack_files(folder: Path) -> PackFiles:
    """The files of a pack folder that load_pack reads, to send to workers that cannot see it."""
    from gapcheck.pack import is_pack_file  # noqa: PLC0415 - heavy: pydantic

    return tuple(
        (entry.name, entry.read_bytes())
        for entry in sorted(folder.iterdir(), key=lambda entry: entry.name)
        if entry.is_file() and is_pack_file(entry.name)
    )


#: Pack folders written on this (worker) process, by the sha256 of what was sent.
_UNPACKED: dict[str, str] = {}


def _unpacked(pack_files: PackFiles) -> str:
    """A private folder holding the pack files sent to this worker (written once per content,
    removed when the process ends); load_pack then reads it like any pack folder. In a Dask
    worker it is made in the worker's own scratch folder, which Dask removes even after the
    worker was killed (when the next worker starts on that machine)."""
    digest = hashlib.sha256()
    for name, data in pack_files:
        digest.update(name.encode() + b"\0" + data + b"\0")
    key = digest.hexdigest()
    if key not in _UNPACKED:
        folder = tempfile.mkdtemp(prefix="gapcheck-pack-", dir=_dask_scratch_folder())
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        for name, data in pack_files:
            if "/" in name or "\\" in name or name.startswith("."):
                raise InputError.single(name, "not a pack file name")
            atomic_write(os.path.join(folder, name), data, sync=False)
        _UNPACKED[key] = folder
    return _UNPACKED[key]


def _dask_scratch_folder() -> str | None:
    """The local folder of the Dask worker running this task; None outside one."""
    try:
        from distributed import get_worker  # noqa: PLC0415 - optional: gapcheck[dask]
    except ImportError:
        return None
    try:
        return str(get_worker().local_directory)
    except ValueError:  # not in a worker
        return None


def _run_dask(
    work: Sequence[Item], scheduler: str, setup: _WorkerSetup, finished: Finished
) -> None:
    """Assess on a Dask cluster; reports come back and are written here, as they arrive.

    A worker that dies takes every task it held with it (KilledWorker), not only the one that
    killed it. Those are suspects: once the rest is done, each is run again alone, and only a
    task that kills its worker again is that input's failure ("worker crashed")."""
    try:
        # Untyped: used through Any.
        distributed: Any = importlib.import_module("distributed")
    except ImportError:
        raise InputError.single(
            "--executor dask", "needs Dask: pip install 'gapcheck[dask]'"
        ) from None
    try:
        client = distributed.Client(scheduler, timeout=10)
    except (OSError, TimeoutError) as error:
        raise InputError.single(
            "--scheduler", f"cannot reach the Dask scheduler at {scheduler}: {error}"
        ) from None
    with client:
        # A pack of the user's goes to every worker once; each task names it.
        pack_files = (
            None
            if setup.pack is None
            # In a list: scatter sends a tuple's items apart, the whole is wanted here.
            else client.scatter([_pack_files(Path(setup.pack))], broadcast=True)[0]
        )
        pending = deque(work)
        items: dict[Any, Item] = {}
        suspects: list[Item] = []

        def submit(item: Item) -> Any:
            try:
                raw = Path(item[0]).read_bytes()
            except OSError as error:
                finished(item, "failed", f"{item[0]}: cannot read: {error.strerror or error}")
                return None
            future = client.submit(_dask_task, item[0], raw, setup, pack_files, pure=False)
            items[future] = item
            return future

        def collect(future: Any, *, suspect_again: bool) -> None:
            item = items.pop(future)
            try:
                status, value = future.result()
            except Exception as error:  # KilledWorker, or the task could not run
                crashed = type(error).__name__ == "KilledWorker"
                if crashed and suspect_again:
                    suspects.append(item)
                else:
                    reason = WORKER_CRASHED if crashed else f"{type(error).__name__}: {error}"
                    finished(item, "failed", f"{item[0]}: {reason}")
            else:
                if status == "ok":
                    summary, outputs = value
                    status, value = _guarded(
                        item[0],
                        lambda: (
                            summary,
                            _write_temporaries(setup.outdir, summary["slug"], outputs),
                        ),
                    )
                finished(item, status, value)
            future.release()

        started: list[Any] = []
        while pending and len(started) < DASK_WINDOW:
            future = submit(pending.popleft())
            if future is not None:
                started.append(future)
        running = distributed.as_completed(started)
        for future in running:
            collect(future, suspect_again=True)
            while pending:
                follow = submit(pending.popleft())
                if follow is not None:
                    running.add(follow)
                    break
        for item in suspects:  # one at a time: a crash now is this input's own
            future = submit(item)
            if future is not None:
                distributed.wait([future])
                collect(future, suspect_again=False)


def _finalise_slugs(
    entries: dict[str, Summary], outdir: Path, changed: Callable[[str], None]
) -> None:
    """Give each project its final slug: ``<id>--<date>``, or with a short hash of its input's
    path when other inputs share it. Depends only on the set of inputs: deterministic.
    ``changed`` is called with the key of each entry changed."""
    groups: dict[str, list[str]] = {}
    for key, summary in entries.items():
        groups.setdefault(base_slug(summary["id"], summary["assessed_on"]), []).append(key)
    for base, keys in groups.items():
        for key in keys:
            summary = entries[key]
            slug = base if len(keys) == 1 else unique_slug(base, key)
            if summary["slug"] == slug:
                continue
            files = {}
            for ext, old in summary["files"].items():
                new = f"{slug}.{ext}"
                with contextlib.suppress(FileNotFoundError):  # the next run renders it again
                    os.replace(outdir / old, outdir / new)
                files[ext] = new
            summary["slug"] = slug
            summary["files"] = files
            changed(key)


# --- the portfolio --------------------------------------------------------------------------


def write_portfolio_files(
    outdir: Path,
    outcome: BatchOutcome,
    pack: Pack,
    *,
    sync: bool = True,
    meanwhile: Callable[[], None] | None = None,
    html_apart: bool = False,
) -> list[Path]:
    """portfolio.json, .csv and .html (:mod:`gapcheck.portfolio`) from the summaries; ``sync``
    as for :func:`gapcheck.portfolio.write_portfolio`. ``meanwhile`` is called once the
    portfolio is built, before it is rendered. ``html_apart``: the HTML page's project rows
    (most of the time) are rendered in a forked process while this one renders the rest, for a
    batch allowed more than one process (so it has a core to spare); the files are the same."""
    from gapcheck.assessment import PackRef  # noqa: PLC0415
    from gapcheck.portfolio import (  # noqa: PLC0415 - heavy: jinja2
        Failure,
        build_portfolio,
        write_portfolio,
    )

    portfolio = build_portfolio(
        [project_summary(summary) for summary in outcome.summaries],
        [Failure(failure.input, failure.message) for failure in outcome.failures],
        PackRef(pack.name, pack.version, pack.sha256),
        pack.area_titles,
        {loaded.rule.id: loaded.rule.title for loaded in pack.rules},
    )
    if html_apart:
        return _write_portfolio_html_apart(outdir, portfolio, sync, meanwhile)
    if meanwhile is not None:
        meanwhile()
    return write_portfolio(outdir, portfolio, sync=sync)


def _write_portfolio_html_apart(
    outdir: Path, portfolio: Portfolio, sync: bool, meanwhile: Callable[[], None] | None
) -> list[Path]:
    """write_portfolio, with forked children rendering while this process renders the rest
    of the page (:func:`gapcheck.portfolio.render_portfolio_html_part`): the page's project
    rows (its largest part), in ROW_CHILDREN slices, the JSON and the CSV, each into a
    temporary file, as this process writes the heatmap's rows into one. Each is written in
    pieces (:data:`gapcheck.portfolio.PIECE_PROJECTS` projects at a time), and the kernel
    copies the rows into the page. Should a child fail, its part is rendered here, which raises
    what it raises (before any file is written, as write_portfolio does); should a fork fail,
    everything is. Forks before ``meanwhile``, which may start a thread: a fork copies only the
    calling thread."""
    from gapcheck.portfolio import (  # noqa: PLC0415
        CSV_NAME,
        HTML_NAME,
        JSON_NAME,
        iter_csv,
        iter_json,
        iter_rows_html,
        render_portfolio_html,
        render_portfolio_html_part,
        write_portfolio,
    )

    json_path, csv_path, html_path = outdir / JSON_NAME, outdir / CSV_NAME, outdir / HTML_NAME
    count = len(portfolio.projects)
    cuts = [count * part // ROW_CHILDREN for part in range(ROW_CHILDREN + 1)]

    def rows(first: int, end: int) -> Callable[[], Iterator[bytes]]:
        return lambda: iter_rows_html(portfolio, "project_rows", slice(first, end))

    files: dict[Path, Callable[[], Iterator[bytes]]] = {
        json_path: (lambda: iter_json(portfolio)),
        csv_path: (lambda: iter_csv(portfolio)),
    }
    # A crash leaves the temporary files for _remove_stale_temporaries.
    started: list[tuple[int, str]] = []
    try:
        for first, end in itertools.pairwise(cuts):
            started.append(_render_in_child(html_path, rows(first, end), sync=False))
        for path, render in files.items():
            started.append(_render_in_child(path, render, sync=sync))
    except OSError:  # no fork (no memory, too many processes): everything here
        for child in started:
            _rendered(child)
        _discard(temporary for _, temporary in started)
        if meanwhile is not None:
            meanwhile()
        return write_portfolio(outdir, portfolio, sync=sync)
    children = started[:ROW_CHILDREN]
    file_children = dict(zip(files, started[ROW_CHILDREN:], strict=True))
    heatmap: str | None = None
    try:
        try:
            if meanwhile is not None:
                meanwhile()
            before, between, after = render_portfolio_html_part(portfolio, "frame")
            heatmap = write_temporary(html_path, iter_rows_html(portfolio, "heatmap_rows"))
        finally:
            rows_rendered = [_rendered(child) for child in children]
            rendered = {path: _rendered(child) for path, child in file_children.items()}
        # A part a child failed to render is rendered here, before any file is made.
        redone = {path: b"".join(files[path]()) for path, done in rendered.items() if not done}
        if all(rows_rendered):
            page = write_temporary(html_path, before.encode("utf-8"))
            try:
                _append_files(
                    page,
                    [*(Path(file) for _, file in children), between.encode(), Path(heatmap)],
                    after.encode(),
                    sync,
                )
            except BaseException:
                _discard([page])
                raise
        else:
            page = write_temporary(html_path, render_portfolio_html(portfolio).encode(), sync=sync)
    except BaseException:
        _discard(temporary for _, temporary in started)
        if heatmap is not None:
            _discard([heatmap])
        raise
    _discard([heatmap, *(temporary for _, temporary in children)])
    for path, (_, temporary) in file_children.items():
        if path in redone:
            _discard([temporary])
            atomic_write(path, redone[path], sync=sync)
        else:
            os.replace(temporary, path)
    os.replace(page, html_path)
    return [json_path, csv_path, html_path]


def _render_in_child(path: Path, render: Callable[[], Content], *, sync: bool) -> tuple[int, str]:
    """Fork a child that writes what ``render`` returns to a new temporary file beside
    ``path``: (its pid, the file). The file is made here, before the fork: the parent always
    knows what to remove. See :func:`_rendered`."""
    temporary = write_temporary(path, b"")
    try:
        child = os.fork()
    except OSError:
        os.unlink(temporary)
        raise
    if child == 0:
        status = 1
        try:
            fill(temporary, render(), sync=sync)
            status = 0
        finally:
            os._exit(status)  # nothing of the parent's to flush or clean up here
    return child, temporary


def _rendered(child: tuple[int, str]) -> bool:
    """Wait for a child of :func:`_render_in_child`: whether its file is complete."""
    _, status = os.waitpid(child[0], 0)
    return os.waitstatus_to_exitcode(status) == 0


def _append_files(path: str, sources: Sequence[Path | bytes], tail: bytes, sync: bool) -> None:
    """Append ``sources`` (files, and bytes between them), then ``tail``, to the file at
    ``path``: the files in the kernel where it can (copy_file_range), without reading them into
    memory."""
    handle = os.open(path, os.O_WRONLY)  # not O_APPEND: copy_file_range refuses it
    try:
        os.lseek(handle, 0, os.SEEK_END)
        for source in sources:
            if isinstance(source, bytes):
                write_all(handle, source)
                continue
            with open(source, "rb") as stream:
                size = os.fstat(stream.fileno()).st_size
                copied = 0
                try:
                    while copied < size:
                        step = os.copy_file_range(stream.fileno(), handle, size - copied)
                        if step == 0:
                            break
                        copied += step
                except (AttributeError, OSError):  # not Linux, or not between these files
                    stream.seek(copied)
                    write_all(handle, stream.read())
        write_all(handle, tail)
        if sync:
            os.fsync(handle)
    finally:
        os.close(handle)


def project_summary(summary: Summary) -> ProjectSummary:
    """A batch summary (plain data, as cached) as the portfolio's :class:`ProjectSummary`."""
    from gapcheck.portfolio import ProjectSummary  # noqa: PLC0415

    return ProjectSummary(
        project_id=summary["id"],
        project_name=summary["name"],
        client=summary["client"],
        assessed_on=dt.date.fromisoformat(summary["assessed_on"]),
        slug=summary["slug"],
        input=summary["input"],
        confidence=summary["confidence"],
        overall=summary["overall"],
        scores=summary["scores"],
        counts=summary["counts"],
        findings=tuple(summary["findings"]),
        reports=summary["files"],
    )


__all__ = [
    "BatchFailure",
    "BatchOptions",
    "BatchOutcome",
    "InputFile",
    "SkippedInput",
    "collect_input_files",
    "collect_input_keys",
    "collect_inputs",
    "run_batch",
]
