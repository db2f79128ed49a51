"""gapcheck batch: inputs, slugs, outputs, failure isolation, incremental runs, determinism."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gc
import glob
import importlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from pypdf import PdfReader

import gapcheck.batch
import gapcheck.fsutil
import gapcheck.pack
from gapcheck.batch import (
    CACHE_NAME,
    CRASH_HOOK,
    BatchOptions,
    base_slug,
    collect_input_keys,
    collect_inputs,
    id_slug,
    path_hash,
    run_batch,
)
from gapcheck.cli import main
from gapcheck.errors import RenderError
from gapcheck.formats import OutputFormat
from tests.helpers import MINI_PACK, mini_pack
from tests.support import require

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
PORTFOLIO = ("portfolio.csv", "portfolio.html", "portfolio.json")
HEALTHY = ROOT / "samples" / "healthy-project.yaml"
#: The answers format allows [A-Za-z0-9._-] in project ids; slugs take any text.
HOSTILE_ID = "CON..__--..Evil.." + "X" * 80
ANY_TEXT = "../../etc/Passwd <script>alert(1)</script> Ünïcodé" + "x" * 200


def input_key(path: Path) -> str:
    """The cache key of an input: its absolute, resolved path (batch.Resolver's result)."""
    return str(path.resolve())


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def write(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    """Every sample, a bad file, a hostile project id, the healthy project on a second date and
    a copy of it in another folder (same id and date: a slug collision), a hidden folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    for sample in SAMPLES:
        shutil.copy(sample, folder / sample.name)
    (folder / "bad.yaml").write_text("format_version: 1\nproject: [unclosed\n")
    hostile = load(HEALTHY)
    hostile["project"]["id"] = HOSTILE_ID
    write(folder / "nested" / "hostile.yaml", hostile)
    later = load(HEALTHY)
    later["assessed_on"] = "2026-11-20"
    write(folder / "nested" / "healthy-later.yml", later)
    shutil.copy(HEALTHY, folder / "nested" / "healthy-copy.yaml")
    write(folder / ".hidden" / "ignored.yaml", load(HEALTHY))
    (folder / "notes.txt").write_text("not an answers file")
    return folder


def outputs_of(outdir: Path) -> dict[str, bytes]:
    """Every file a batch wrote, by name, but its cache (which records input paths)."""
    return {p.name: p.read_bytes() for p in outdir.iterdir() if p.name != CACHE_NAME}


def report_files(outdir: Path) -> list[str]:
    return sorted(p.name for p in outdir.iterdir() if not p.name.startswith("."))


def test_slugs_are_safe_file_names() -> None:
    slug = id_slug(ANY_TEXT)
    assert slug.startswith("etc-passwd-script-alert-1-script-unicodexxx")
    assert len(slug) <= 60
    assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert id_slug("../..") == "project"
    assert id_slug(HOSTILE_ID) == "con-evil-" + "x" * 51
    assert base_slug("Kestrel", "2026-10-14") == "kestrel--2026-10-14"


def test_inputs_files_folders_globs_deduplicated_sorted(portfolio: Path, tmp_path: Path) -> None:
    outdir = portfolio / "out"
    outdir.mkdir()
    write(outdir / "stale.yaml", load(HEALTHY))  # inside OUTDIR: never an input
    found = collect_inputs(
        [
            str(portfolio),
            str(portfolio / "*.yaml"),
            str(portfolio / "bad.yaml"),
            str(portfolio / "**" / "*.yaml"),
        ],
        outdir,
    )
    names = [str(path.relative_to(portfolio)) for path in found]
    assert names == sorted(names, key=lambda name: str((portfolio / name).resolve()))
    assert len(names) == len(set(names)) == len(SAMPLES) + 4
    assert "nested/hostile.yaml" in names
    assert "nested/healthy-later.yml" in names
    assert not any(name.startswith((".hidden", "out")) for name in names)
    assert "notes.txt" not in names


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Two answers files beside files of other kinds a consultant's folder may hold: the survey
    mappings and exports they came from, a copy of a pack, a result and a portfolio written
    by gapcheck elsewhere, the answers' JSON Schema."""
    folder = tmp_path / "clients"
    folder.mkdir()
    shutil.copy(HEALTHY, folder / HEALTHY.name)
    shutil.copy(SAMPLES[0], folder / SAMPLES[0].name)
    shutil.copytree(ROOT / "samples" / "surveys", folder / "surveys")
    shutil.copytree(ROOT / "rules", folder / "our-pack")
    result = run("assess", str(HEALTHY), "--format", "json")
    (folder / "old-results").mkdir()
    (folder / "old-results" / "kestrel.json").write_text(result.stdout)
    elsewhere = tmp_path / "elsewhere"
    assert run("batch", str(HEALTHY), "-o", str(elsewhere), "--format", "json").exit_code == 0
    shutil.copy(elsewhere / "portfolio.json", folder / "old-results" / "portfolio.json")
    # The schema beside the answers, for an editor's completion.
    (folder / "answers.schema.json").write_text(run("schema").stdout)
    return folder


#: The files of other kinds in mixed_folder, by path in it, and what each is said to be.
OTHER_KINDS = {
    "answers.schema.json": "a JSON Schema (as gapcheck schema writes for editors)",
    "old-results/kestrel.json": "a gapcheck result (the JSON report of an assessment)",
    "old-results/portfolio.json": "a gapcheck portfolio (the portfolio.json of a batch)",
    "our-pack/bridging.rules.yaml": "a rules file of an assessment pack",
    "our-pack/derived.rules.yaml": "a rules file of an assessment pack",
    "our-pack/execution.rules.yaml": "a rules file of an assessment pack",
    "our-pack/foundation.rules.yaml": "a rules file of an assessment pack",
    "our-pack/implementation.rules.yaml": "a rules file of an assessment pack",
    "our-pack/pack.yaml": "the pack.yaml of an assessment pack",
    "our-pack/project-types.rules.yaml": "a rules file of an assessment pack",
    "our-pack/questionnaire.yaml": "the questionnaire of an assessment pack",
    "surveys/google-forms.map.yaml": "a survey mapping file (for gapcheck import --map)",
    "surveys/microsoft-forms.map.yaml": "a survey mapping file (for gapcheck import --map)",
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_files_of_other_kinds_found_in_folders_are_skipped(
    mixed_folder: Path, tmp_path: Path, jobs: str
) -> None:
    outdir = tmp_path / "out"
    result = run("batch", str(mixed_folder), "-o", str(outdir), "--format", "json", "--jobs", jobs)
    assert result.exit_code == 0, result.output
    skipped = [
        f"Skipped: {mixed_folder / name}: {what}, not an answers file\n"
        for name, what in OTHER_KINDS.items()
    ]
    assert result.stderr == "".join(skipped) + (
        f"2 assessed, 0 unchanged, 0 failed, {len(OTHER_KINDS)} skipped -> {outdir}\n"
    )
    portfolio = json.loads((outdir / "portfolio.json").read_text())
    assert len(portfolio["projects"]) == 2
    assert portfolio["failures"] == []
    assert len(report_files(outdir)) == 2 + len(PORTFOLIO)
    # A glob is a search too; a second run skips them again and assesses nothing.
    again = run("batch", str(mixed_folder / "**" / "*.*"), "-o", str(outdir), "--format", "json")
    assert again.exit_code == 0, again.output
    assert again.stderr.endswith(
        f"0 assessed, 2 unchanged, 0 failed, {len(OTHER_KINDS)} skipped -> {outdir}\n"
    )


def test_a_file_of_another_kind_named_itself_fails(mixed_folder: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    mapping = mixed_folder / "surveys" / "google-forms.map.yaml"
    result = run("batch", str(mapping), str(HEALTHY), "-o", str(outdir), "--format", "json")
    assert result.exit_code == 3, result.output
    message = (
        f"{mapping}: a survey mapping file (for gapcheck import --map), not an answers file"
        " (expected an answers file: gapcheck import SURVEY --map MAPPING -o FOLDER writes them)"
    )
    assert result.stderr == f"Failed: {message}\n1 assessed, 0 unchanged, 1 failed -> {outdir}\n"
    portfolio = json.loads((outdir / "portfolio.json").read_text())
    assert portfolio["failures"] == [{"input": str(mapping), "reason": message}]
    # The library's run_batch, told nothing of how its inputs were found: all were named.
    outcome = run_batch([mapping], BatchOptions(outdir=tmp_path / "lib", jobs=1))
    assert [failure.message for failure in outcome.failures] == [message]
    assert outcome.skipped == []


def test_inputs_of_other_kinds_only_is_an_error(mixed_folder: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    result = run("batch", str(mixed_folder / "surveys"), "-o", str(outdir))
    assert result.exit_code == 2, result.output
    assert result.stderr.endswith(
        f"0 assessed, 0 unchanged, 0 failed, 2 skipped -> {outdir}\n"
        "Error: no answers files in the inputs: every file found is of another kind (skipped)\n"
    )


def test_inputs_found_are_told_from_inputs_named(mixed_folder: Path, tmp_path: Path) -> None:
    named = mixed_folder / HEALTHY.name
    found = gapcheck.batch.collect_input_files(
        [str(mixed_folder / "surveys"), str(mixed_folder / "*.yaml"), str(named)], tmp_path / "o"
    )
    assert [
        (path.relative_to(mixed_folder).as_posix(), is_named) for path, _, is_named in found
    ] == [
        (SAMPLES[0].name, False),
        (HEALTHY.name, True),  # named, and found by the glob too
        ("surveys/google-forms.map.yaml", False),
        ("surveys/microsoft-forms.map.yaml", False),
    ]


def test_batch_writes_every_report_and_isolates_a_bad_input(
    portfolio: Path, tmp_path: Path
) -> None:
    outdir = tmp_path / "out"
    result = run("batch", str(portfolio), "-o", str(outdir), "--format", "json,md", "--jobs", "1")
    assert result.exit_code == 3, result.output
    assert f"Failed: {portfolio / 'bad.yaml'}: line 3: invalid YAML" in result.stderr
    assert f"{len(SAMPLES) + 3} assessed, 0 unchanged, 1 failed -> {outdir}" in result.stderr
    names = report_files(outdir)
    assert "kestrel-repairs-insourcing--2026-11-20.json" in names
    assert "kestrel-repairs-insourcing--2026-11-20.md" in names
    # The same id and date from two inputs: both slugs carry a hash of their input's path.
    for copy in (HEALTHY.name, "nested/healthy-copy.yaml"):
        suffix = path_hash(input_key(portfolio / copy))
        assert f"kestrel-repairs-insourcing--2026-10-14--{suffix}.json" in names
    assert "kestrel-repairs-insourcing--2026-10-14.json" not in names
    hostile = [name for name in names if name.startswith("con-evil-xxx")]
    assert len(hostile) == 2
    assert all(len(name) < 90 for name in hostile)
    assert len(names) == 2 * (len(SAMPLES) + 3) + 3  # and portfolio.json, .csv, .html
    assert {"portfolio.json", "portfolio.csv", "portfolio.html"} <= set(names)
    assert list(tmp_path.rglob("*.tmp")) == []
    data = json.loads((outdir / "portfolio.json").read_text())
    # The portfolio shows each project's latest assessment: the samples and the hostile id.
    assert len(data["projects"]) == len(SAMPLES) + 1
    kestrel = next(p for p in data["projects"] if p["id"] == "kestrel-repairs-insourcing")
    assert kestrel["assessed_on"] == "2026-11-20"
    assert kestrel["assessments"] == 3
    assert kestrel["reports"] == {
        "json": "kestrel-repairs-insourcing--2026-11-20.json",
        "md": "kestrel-repairs-insourcing--2026-11-20.md",
    }
    assert data["failures"] == [
        {"input": str(portfolio / "bad.yaml"), "reason": AnyStartingWith(str(portfolio))}
    ]
    # The JSON report is the same as `gapcheck assess --format json`.
    single = run("assess", str(portfolio / HEALTHY.name), "--format", "json")
    suffix = path_hash(input_key(portfolio / HEALTHY.name))
    report = outdir / f"kestrel-repairs-insourcing--2026-10-14--{suffix}.json"
    assert report.read_text() == single.stdout


class AnyStartingWith(str):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and other.startswith(self)

    __hash__ = str.__hash__


def test_one_html_report(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    result = run("batch", str(HEALTHY), "-o", str(outdir), "--format", "html", "--quiet")
    assert result.exit_code == 0, result.output
    html = (outdir / "kestrel-repairs-insourcing--2026-10-14.html").read_text()
    assert "<html" in html
    assert "Responsive repairs insourcing" in html
    assert result.stderr == f"1 assessed, 0 unchanged, 0 failed -> {outdir}\n"


def test_a_failing_render_affects_only_its_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gapcheck.formats

    real_render = gapcheck.formats.render

    def render(result: Any, chosen: OutputFormat, options: Any = None) -> bytes:
        if result.project.id == "meridian-dc-bristol" and chosen is OutputFormat.md:
            raise RenderError("the template broke")
        return real_render(result, chosen, options)

    monkeypatch.setattr(gapcheck.formats, "render", render)
    outdir = tmp_path / "out"
    options = BatchOptions(outdir=outdir, formats=(OutputFormat.json, OutputFormat.md), jobs=1)
    outcome = run_batch(SAMPLES, options)
    meridian = ROOT / "samples" / "two-respondents-disagree.yaml"
    assert [(f.input, f.message) for f in outcome.failures] == [
        (str(meridian), f"{meridian}: the template broke")
    ]
    assert outcome.assessed == len(SAMPLES) - 1
    assert len(list(outdir.glob("*.md"))) == len(SAMPLES) - 1


def test_progress_bar_on_a_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gapcheck.commands.batch as command

    monkeypatch.setattr(command, "_stderr_is_terminal", lambda: True)
    args = ["batch", str(HEALTHY), str(SAMPLES[0]), "--format", "json", "--jobs", "1"]
    shown = run(*args, "-o", str(tmp_path / "a"))
    assert shown.exit_code == 0
    assert "\r[" + "#" * 30 + "] 2/2  " in shown.stderr
    assert "s left" in shown.stderr
    quiet = run(*args, "-o", str(tmp_path / "b"), "--quiet")
    assert quiet.stderr == f"2 assessed, 0 unchanged, 0 failed -> {tmp_path / 'b'}\n"


def test_one_small_pdf(tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        require(False, "WeasyPrint (and pango) are not installed: `make test` does it")
    outdir = tmp_path / "out"
    result = run("batch", str(HEALTHY), "-o", str(outdir), "--format", "pdf")
    assert result.exit_code == 0, result.output
    pdf = (outdir / "kestrel-repairs-insourcing--2026-10-14.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Responsive repairs insourcing" in text


@pytest.mark.parametrize("chunk", [1, 4])
def test_a_crashed_worker_affects_only_its_project(
    portfolio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(gapcheck.batch, "_chunk_size", lambda items, jobs: chunk)
    monkeypatch.setenv(CRASH_HOOK, "meridian-dc-bristol")
    outdir = tmp_path / "out"
    result = run("batch", str(portfolio), "-o", str(outdir), "--format", "json", "--jobs", "2")
    assert result.exit_code == 3, result.output
    crashed = [line for line in result.stderr.splitlines() if "worker crashed" in line]
    assert len(crashed) == 1
    assert f"{len(SAMPLES) + 2} assessed, 0 unchanged, 2 failed" in result.stderr
    names = report_files(outdir)
    assert not any(name.startswith("meridian") for name in names)
    assert len(names) == len(SAMPLES) + 2 + 3
    data = json.loads((outdir / "portfolio.json").read_text())
    assert len(data["failures"]) == 2
    assert any("worker crashed" in f["reason"] for f in data["failures"])
    # The next run (no crash) does only the project that crashed and the bad file.
    monkeypatch.delenv(CRASH_HOOK)
    again = run("batch", str(portfolio), "-o", str(outdir), "--format", "json", "--jobs", "2")
    assert f"1 assessed, {len(SAMPLES) + 2} unchanged, 1 failed" in again.stderr


def test_second_run_renders_nothing_and_force_redoes_all(portfolio: Path, tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    args = ["batch", str(portfolio), "-o", str(outdir), "--format", "json,md", "--jobs", "1"]
    first = run(*args)
    assert first.exit_code == 3
    reports = [name for name in report_files(outdir) if not name.startswith("portfolio.")]
    assert len(reports) == 2 * (len(SAMPLES) + 3)
    stamps = {name: (outdir / name).stat().st_mtime_ns for name in reports}
    portfolio_before = (outdir / "portfolio.json").read_bytes()
    second = run(*args)
    assert f"0 assessed, {len(SAMPLES) + 3} unchanged, 1 failed" in second.stderr
    assert stamps == {name: (outdir / name).stat().st_mtime_ns for name in reports}
    assert (outdir / "portfolio.json").read_bytes() == portfolio_before
    # An edited input is assessed again; the others are not.
    edited = load(portfolio / "deep-trouble.yaml")
    edited["assessor"] = "Someone else"
    write(portfolio / "deep-trouble.yaml", edited)
    third = run(*args)
    assert f"1 assessed, {len(SAMPLES) + 2} unchanged, 1 failed" in third.stderr
    forced = run(*args, "--force")
    assert f"{len(SAMPLES) + 3} assessed, 0 unchanged, 1 failed" in forced.stderr
    # A report deleted by hand is rendered again.
    (outdir / "kestrel-repairs-insourcing--2026-11-20.md").unlink()
    fourth = run(*args)
    assert f"1 assessed, {len(SAMPLES) + 2} unchanged, 1 failed" in fourth.stderr
    assert (outdir / "kestrel-repairs-insourcing--2026-11-20.md").is_file()
    # So is one emptied or cut short, as a crash before its data reached the disk leaves it.
    emptied, cut = reports[0], reports[-1]
    (outdir / emptied).write_bytes(b"")
    (outdir / cut).write_bytes((outdir / cut).read_bytes()[:-1])
    fifth = run(*args)
    assert f"2 assessed, {len(SAMPLES) + 1} unchanged, 1 failed" in fifth.stderr
    assert all((outdir / name).stat().st_size > 1 for name in (emptied, cut))


def test_a_new_colliding_input_renames_the_earlier_report(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(HEALTHY, folder / "a.yaml")
    outdir = tmp_path / "out"
    assert run("batch", str(folder), "-o", str(outdir), "--format", "json").exit_code == 0
    assert report_files(outdir) == ["kestrel-repairs-insourcing--2026-10-14.json", *PORTFOLIO]
    shutil.copy(HEALTHY, folder / "b.yaml")
    result = run("batch", str(folder), "-o", str(outdir), "--format", "json")
    assert "1 assessed, 1 unchanged, 0 failed" in result.stderr
    assert report_files(outdir) == sorted(
        [
            f"kestrel-repairs-insourcing--2026-10-14--{path_hash(input_key(folder / n))}.json"
            for n in ("a.yaml", "b.yaml")
        ]
        + list(PORTFOLIO)
    )


def test_same_inputs_give_byte_identical_json(portfolio: Path, tmp_path: Path) -> None:
    outputs = []
    for name, jobs in (("one", "1"), ("two", "2")):
        outdir = tmp_path / name
        run("batch", str(portfolio), "-o", str(outdir), "--format", "json", "--jobs", jobs)
        outputs.append(outputs_of(outdir))
    assert outputs[0] == outputs[1]


def test_library_without_the_cli(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    outcome = run_batch(
        [HEALTHY], BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1)
    )
    assert (outcome.assessed, outcome.unchanged, outcome.failed) == (1, 0, 0)
    assert outcome.summaries[0]["slug"] == "kestrel-repairs-insourcing--2026-10-14"
    assert outcome.summaries[0]["confidence"] == "green"
    assert sorted(outcome.portfolio) == [outdir / name for name in PORTFOLIO]
    assert set(outcome.summaries[0]) == {
        "id", "name", "client", "assessed_on", "slug", "input", "input_sha256", "confidence",
        "overall", "scores", "counts", "findings", "files", "sizes",
    }  # fmt: skip
    assert outcome.summaries[0]["files"] == {"json": "kestrel-repairs-insourcing--2026-10-14.json"}
    data = (outdir / "kestrel-repairs-insourcing--2026-10-14.json").read_bytes()
    assert outcome.summaries[0]["sizes"] == {"json": len(data)}
    with pytest.raises(ValueError, match="one key per path"):
        run_batch([HEALTHY], BatchOptions(outdir=outdir, formats=(OutputFormat.json,)), keys=[])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere.yaml"], "Error: nowhere.yaml: no such file or folder"),
        (["nothing-*.yaml"], "Error: nothing-*.yaml: no file matches this pattern"),
        ([".", "--format", "docx"], "Error: --format: unknown format 'docx'"),
        (["out"], "Error: out: is the output folder (expected a folder of answers files)"),
        ([".", "--executor", "dask"], "Error: --executor dask and --scheduler tcp://HOST:PORT"),
        ([".", "--scheduler", "tcp://h:1"], "Error: --executor dask and --scheduler tcp://"),
    ],
)
def test_usage_errors(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    result = run("batch", *args, "-o", "out")
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_a_broken_cache_or_other_formats_redo_everything(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    args = ["batch", str(HEALTHY), str(SAMPLES[0]), "-o", str(outdir), "--jobs", "1"]
    assert run(*args, "--format", "json").exit_code == 0
    assert "0 assessed, 2 unchanged" in run(*args, "--format", "json").stderr
    assert "2 assessed, 0 unchanged" in run(*args, "--format", "json,md").stderr
    (outdir / CACHE_NAME).write_text("{not json")
    assert "2 assessed, 0 unchanged" in run(*args, "--format", "json,md").stderr
    assert "0 assessed, 2 unchanged" in run(*args, "--format", "md,json").stderr


def test_a_file_name_that_is_not_utf8_is_a_failure_of_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(HEALTHY, folder / "good.yaml")
    with open(os.fsencode(folder) + b"/bad-\xff.yaml", "wb") as stream:
        stream.write(HEALTHY.read_bytes())
    outdir = tmp_path / "out"
    result = run("batch", str(folder), "-o", str(outdir), "--format", "json")
    assert result.exit_code == 3
    assert f"Failed: {folder}/bad-\\udcff.yaml: the file name is not valid UTF-8" in result.stderr
    assert "1 assessed, 0 unchanged, 1 failed" in result.stderr
    data = json.loads((outdir / "portfolio.json").read_text())
    assert data["failures"][0]["input"] == f"{folder}/bad-\\udcff.yaml"


def test_no_inputs_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = run("batch", str(tmp_path / "empty"), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: no answers files (*.yaml, *.yml, *.json) found in the inputs\n"
    )


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT])
def test_a_run_killed_mid_way_leaves_no_partial_file_and_the_next_completes(
    tmp_path: Path, signum: int
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    text = HEALTHY.read_text()
    assert "id: kestrel-repairs-insourcing\n" in text
    count = 120
    for index in range(count):
        own = text.replace("id: kestrel-repairs-insourcing\n", f"id: project-{index:04d}\n")
        (folder / f"p{index:04d}.yaml").write_text(own)
    outdir = tmp_path / "out"
    command = [sys.executable, "-m", "gapcheck", "batch", str(folder), "-o", str(outdir)]
    command += ["--format", "json", "--jobs", "2"]
    process = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's Ctrl-C signals
        preexec_fn=_default_sigint,  # noqa: PLW1509 - no threads here
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        # Kill once the cache has been saved at least once (it is saved every CACHE_EVERY items).
        if (outdir / CACHE_NAME).is_file():
            break
        time.sleep(0.005)
    try:
        os.killpg(process.pid, signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever happened, leave no process behind
    if signum == signal.SIGINT:
        assert process.returncode == 130
        assert stderr.endswith("Interrupted.\n")
        assert list(outdir.glob(".*.tmp")) == []
    else:
        assert process.returncode == -signal.SIGKILL
    written = list(outdir.glob("*.json"))
    assert 0 < len(written) < count, "the run was not killed mid-way"
    # Every file there is whole (a process killed mid-write leaves at most a hidden temporary
    # file, which the next run removes).
    for path in written:
        json.loads(path.read_bytes())
    rerun = subprocess.run(command, capture_output=True, text=True, check=False)
    assert rerun.returncode == 0, rerun.stderr
    counts = re.search(r"(\d+) assessed, (\d+) unchanged, 0 failed", rerun.stderr)
    assert counts is not None, rerun.stderr
    assessed, unchanged = int(counts[1]), int(counts[2])
    assert assessed + unchanged == count
    assert unchanged > 0, (stderr, rerun.stderr)
    assert assessed < count
    assert len(list(outdir.glob("project-*.json"))) == count
    assert list(outdir.glob("*.tmp")) == []
    assert list(outdir.glob(".*.tmp")) == []


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _dask() -> Any:
    try:
        return importlib.import_module("distributed")
    except ImportError:
        require(False, "Dask is not installed: `pip install -e '.[dev]'` installs it")


@pytest.fixture(scope="module")
def dask_scheduler() -> Iterator[str]:
    """A LocalCluster of two worker processes, one thread each; a task that kills its worker
    fails at once (no retries), so a crash test stays fast."""
    distributed = _dask()
    dask = importlib.import_module("dask")
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
    ):
        yield str(cluster.scheduler_address)


def test_dask_gives_the_same_outputs_as_local_workers(
    portfolio: Path, tmp_path: Path, dask_scheduler: str
) -> None:
    outputs = []
    for name, extra in (("local", ["--jobs", "2"]), ("dask", ["--executor", "dask"])):
        outdir = tmp_path / name
        if name == "dask":
            extra += ["--scheduler", dask_scheduler]
        result = run("batch", str(portfolio), "-o", str(outdir), "--format", "json", *extra)
        assert result.exit_code == 3, result.output
        assert f"{len(SAMPLES) + 3} assessed, 0 unchanged, 1 failed" in result.stderr
        outputs.append(outputs_of(outdir))
    assert outputs[0] == outputs[1]


def test_dask_skips_files_of_other_kinds_as_local_workers_do(
    mixed_folder: Path, tmp_path: Path, dask_scheduler: str
) -> None:
    stderr = []
    for name, extra in (("local", ["--jobs", "2"]), ("dask", ["--executor", "dask"])):
        if name == "dask":
            extra += ["--scheduler", dask_scheduler]
        outdir = tmp_path / "out"  # the same OUTDIR, forced: the same summary line
        result = run("batch", str(mixed_folder), "-o", str(outdir), "--force", *extra)
        assert result.exit_code == 0, result.output
        stderr.append(result.stderr)
    assert stderr[0].count("Skipped: ") == len(OTHER_KINDS)
    assert stderr[0] == stderr[1]


def test_dask_a_worker_dying_mid_run_affects_only_its_project(
    portfolio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cluster of its own, started with the hook in its environment: every worker process,
    # the ones Dask starts to replace the dead ones included, inherits it, so the input
    # crashes its worker however often it runs (the other inputs never do).
    distributed = _dask()
    dask = importlib.import_module("dask")
    monkeypatch.setenv(CRASH_HOOK, "meridian-dc-bristol")
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
    ):
        outdir = tmp_path / "out"
        scheduler = str(cluster.scheduler_address)
        args = ["--executor", "dask", "--scheduler", scheduler, "--format", "json"]
        result = run("batch", str(portfolio), "-o", str(outdir), *args)
    assert result.exit_code == 3, result.output
    crashed = [line for line in result.stderr.splitlines() if "worker crashed" in line]
    assert crashed == [
        f"Failed: {portfolio / 'two-respondents-disagree.yaml'}: worker crashed while"
        " assessing or rendering this input"
    ]
    assert f"{len(SAMPLES) + 2} assessed, 0 unchanged, 2 failed" in result.stderr
    assert not any(name.startswith("meridian") for name in report_files(outdir))


# --- --pack: a pack of the consultant's own ---------------------------------------------------


def mini_answers(folder: Path, count: int) -> Path:
    """Answers files for the mini pack (tests/packs/mini); every second one has unclear goals."""
    for index in range(count):
        write(
            folder / f"mini-{index}.yaml",
            {
                "format_version": 1,
                "project": {"id": f"mini-{index}", "name": f"Mini {index}", "client": "Client"},
                "assessed_on": "2026-11-01",
                "assessor": "Tester",
                "context": {"ptype": "alpha", "phase": "execution"},
                "respondents": [
                    {
                        "name": "Ann",
                        "role": "Lead",
                        "team": "Delivery",
                        "answers": {"goals": "no" if index % 2 else "yes", "mood": 4},
                    }
                ],
            },
        )
    return folder


def test_batch_with_a_pack_of_ones_own(tmp_path: Path) -> None:
    inputs = mini_answers(tmp_path / "in", 4)
    outputs = []
    for jobs in ("1", "2"):
        outdir = tmp_path / f"out-{jobs}"
        result = run(
            "batch", str(inputs), "-o", str(outdir), "--format", "json", "--jobs", jobs,
            "--pack", str(MINI_PACK),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert "4 assessed, 0 unchanged, 0 failed" in result.stderr
        reports = {p.name: json.loads(p.read_bytes()) for p in outdir.glob("mini-*.json")}
        assert len(reports) == 4
        assert {report["pack"]["name"] for report in reports.values()} == {mini_pack().name}
        findings = {
            report["project"]["id"]: [finding["id"] for finding in report["findings"]]
            for report in reports.values()
        }
        assert sorted(project for project, ids in findings.items() if "no-goals" in ids) == [
            "mini-1",
            "mini-3",
        ]
        summary = json.loads((outdir / "portfolio.json").read_bytes())
        assert summary["pack"]["sha256"] == mini_pack().sha256
        outputs.append(outputs_of(outdir))
    assert outputs[0] == outputs[1]
    # The same answers with gapcheck's own pack are refused: its questions are other ones.
    result = run("batch", str(inputs), "-o", str(tmp_path / "own"), "--format", "json")
    assert result.exit_code == 3, result.output
    assert "0 assessed, 0 unchanged, 4 failed" in result.stderr


def test_changing_the_pack_redoes_every_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = mini_answers(tmp_path / "in", 2)
    copy = tmp_path / "pack"
    shutil.copytree(MINI_PACK, copy)
    outdir = tmp_path / "out"
    args = ["batch", str(inputs), "-o", str(outdir), "--format", "json", "--pack", str(copy)]
    assert "2 assessed, 0 unchanged" in run(*args).stderr
    assert "0 assessed, 2 unchanged" in run(*args).stderr
    rules = copy / "core.rules.yaml"
    rules.write_text(rules.read_text().replace("title:", "title: Now", 1))
    # Each gapcheck command is a process of its own; here they share one, and its cache of
    # loaded packs (by folder) would still hold the pack as it was.
    monkeypatch.setattr(gapcheck.pack, "_PACK_CACHE", {})
    assert "2 assessed, 0 unchanged" in run(*args).stderr


def test_a_broken_pack_is_a_usage_error_and_writes_nothing(tmp_path: Path) -> None:
    inputs = mini_answers(tmp_path / "in", 1)
    broken = tmp_path / "pack"
    shutil.copytree(MINI_PACK, broken)
    (broken / "questionnaire.yaml").write_text("sections: [unclosed\n")
    outdir = tmp_path / "out"
    result = run("batch", str(inputs), "-o", str(outdir), "--pack", str(broken))
    assert result.exit_code == 2, result.output
    assert "questionnaire.yaml" in result.stderr
    assert "Traceback" not in result.output
    assert not outdir.exists()


def test_dask_workers_are_sent_the_pack(tmp_path: Path, dask_scheduler: str) -> None:
    inputs = mini_answers(tmp_path / "in", 3)
    outputs = []
    for name, extra in (("local", ["--jobs", "1"]), ("dask", ["--executor", "dask"])):
        outdir = tmp_path / name
        if name == "dask":
            extra += ["--scheduler", dask_scheduler]
        args = ["--format", "json", "--pack", str(MINI_PACK), *extra]
        result = run("batch", str(inputs), "-o", str(outdir), *args)
        assert result.exit_code == 0, result.output
        outputs.append(outputs_of(outdir))
    assert outputs[0] == outputs[1]
    (unclear,) = [data for name, data in outputs[1].items() if name.startswith("mini-1--")]
    assert b'"no-goals"' in unclear
    # Each worker that was sent the pack keeps it in its own scratch folder, which Dask
    # cleans up even after the worker is killed.
    with _dask().Client(dask_scheduler) as client:
        placed = client.run(_pack_folders)
    folders = [folder for found in placed.values() for folder in found]
    assert folders, "no worker was sent the pack"
    for found in placed.values():
        assert all(inside for _, inside in found.items())


def _pack_folders(dask_worker: Any) -> dict[str, bool]:
    """In a Dask worker: its unpacked pack folders, each with whether it is in the worker's
    scratch folder."""
    scratch = Path(dask_worker.local_directory).resolve()
    return {
        folder: scratch in Path(folder).resolve().parents
        for folder in gapcheck.batch._UNPACKED.values()
    }


# --- fast paths against the obvious ones ------------------------------------------------------


def _reference_collect_inputs(inputs: list[str], outdir: Path) -> list[Path]:
    """collect_inputs as it was first written: os.walk, and Path.resolve() for every file."""

    def is_answers_file(path: Path) -> bool:
        return path.suffix.lower() in {".yaml", ".yml", ".json"} and not path.name.startswith(".")

    def walk(folder: Path, outdir: Path) -> Iterator[Path]:
        for root, dirs, files in os.walk(folder):
            here = Path(root)
            dirs[:] = sorted(
                name
                for name in dirs
                if not name.startswith(".") and (here / name).resolve() != outdir
            )
            for name in sorted(files):
                path = here / name
                if is_answers_file(path) and path.is_file():
                    yield path

    outdir_resolved = outdir.resolve()
    found: dict[Path, Path] = {}
    for name in inputs:
        pattern = any(char in name for char in "*?[")
        if pattern and not Path(name).exists():
            matches = [Path(match) for match in glob.glob(name, recursive=True)]
        else:
            matches = [Path(name)]
        for match in matches:
            if match.is_dir():
                for path in walk(match, outdir_resolved):
                    found.setdefault(path.resolve(), path)
            elif not pattern or (
                is_answers_file(match) and outdir_resolved not in match.resolve().parents
            ):
                found.setdefault(match.resolve(), match)
    return [found[key] for key in sorted(found, key=str)]


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Answers files among others, hidden ones, symlinks to files and folders (some broken), a
    symlink to a file in the same folder (one file, two names), OUTDIR inside the inputs."""
    monkeypatch.chdir(tmp_path)
    healthy = HEALTHY.read_bytes()
    for name in (
        "in/a.yaml",
        "in/B.YML",
        "in/c.json",
        "in/x..yaml",
        "in/notes.txt",
        "in/.hidden.yaml",
        "in/.hid/h.yaml",
        "in/sub/d.yaml",
        "in/sub/deeper/e.yml",
        "in/out/g.yaml",
        "other/f.yaml",
        "other/deep/z.yaml",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(healthy)
    (tmp_path / "in" / "sub" / "folder.yaml").mkdir()
    (tmp_path / "in" / "to-f.yaml").symlink_to(tmp_path / "other" / "f.yaml")
    (tmp_path / "in" / "sub" / "relative.yaml").symlink_to(Path("..") / "a.yaml")
    (tmp_path / "in" / "broken.yaml").symlink_to(tmp_path / "nowhere.yaml")
    (tmp_path / "in" / "to-other").symlink_to(tmp_path / "other")
    (tmp_path / "in" / "zz-a.yaml").symlink_to("a.yaml")
    (tmp_path / "linked-in").symlink_to(tmp_path / "in")
    return tmp_path


@pytest.mark.parametrize(
    "inputs",
    [
        ["in"],
        ["./in/"],
        ["linked-in"],
        ["in/*.yaml", "in/**/*.yml"],
        ["in/**/*.yaml"],
        ["in/sub/../a.yaml", "in/to-f.yaml", "in/zz-a.yaml", "other"],
        ["{root}/in", "{root}/linked-in/sub/d.yaml"],
    ],
)
def test_collect_inputs_finds_what_the_obvious_walk_finds(tree: Path, inputs: list[str]) -> None:
    names = [name.format(root=tree) for name in inputs]
    outdir = Path("in/out")
    found = collect_inputs(names, outdir)
    assert found == _reference_collect_inputs(names, outdir)
    assert found, "nothing found: the comparison would prove nothing"
    # The keys handed to run_batch are the paths resolved, as run_batch would resolve them.
    with_keys = collect_input_keys(names, outdir)
    assert [path for path, _ in with_keys] == found
    assert [key for _, key in with_keys] == [str(path.resolve()) for path in found]


def test_the_resolver_resolves_as_pathlib_does(tree: Path) -> None:
    resolve = gapcheck.batch.Resolver()
    names = [
        "in/a.yaml",
        "./in/a.yaml",
        "in/sub/../a.yaml",
        "in/to-f.yaml",
        "in/sub/relative.yaml",
        "in/zz-a.yaml",
        "in/broken.yaml",
        "in/missing.yaml",
        "linked-in/sub/d.yaml",
        "in/to-other/deep/z.yaml",
        str(tree / "in" / "c.json"),
        "in/sub/..",
        "notes.yaml",
    ]
    for name in names * 2:  # the second time from the folder cache
        assert resolve(Path(name)) == str(Path(name).resolve()), name


def test_plain_project_ids_are_their_own_slugs() -> None:
    from gapcheck.pack import load_pack
    from gapcheck.synthetic import generate_portfolio

    fast, general = gapcheck.batch.id_slug, gapcheck.batch._id_slug_of_any_text
    ids = [load(path)["project"]["id"] for path in SAMPLES]
    ids += [answers["project"]["id"] for answers in generate_portfolio(load_pack(), 20, 3)]
    ids += ["2026-10-14", "a", "a-b", "a--b", "-a", "a-", "A-b", "a_b", "a.b", "é", ""]
    ids += ["x" * 60, "x" * 61, "x" * 59 + "-y", HOSTILE_ID, ANY_TEXT]
    rng = random.Random(11)
    alphabet = "abcz09-AZ._ é"
    ids += ["".join(rng.choices(alphabet, k=rng.randint(0, 70))) for _ in range(2000)]
    for project_id in ids:
        assert fast(project_id) == general(project_id), project_id


def test_answers_names_as_paths_see_them() -> None:
    names = ["a.yaml", "a.YML", "a.json", "a.yaml.", "a.b.yaml", "a..yaml", ".a.yaml", ".yaml"]
    names += ["a", "a.txt", "yaml", "a.json5", "a.yaml.bak", "-.yml"]
    for name in names:
        expected = Path(name).suffix.lower() in {".yaml", ".yml", ".json"}
        assert gapcheck.batch._is_answers_name(name) == (expected and not name.startswith("."))


# --- writing, durability, the cache ------------------------------------------------------------


def _cache_file_entries(path: Path) -> dict[str, Any]:
    """The entries in a cache file as any reader sees them: up to the last whole line, later
    lines superseding earlier ones."""
    lines = path.read_bytes().split(b"\n")
    assert "fingerprint" in json.loads(lines[0])
    return dict(json.loads(line) for line in lines[1:-1])


def test_the_cache_is_saved_after_a_sync_that_covers_every_file_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outdir = tmp_path / "out"
    events: list[tuple[str, set[str]]] = []

    def recorded(real: Callable[..., None]) -> Callable[..., None]:
        def write(path: Path, data: bytes, **options: Any) -> None:
            real(path, data, **options)
            if Path(path).name == CACHE_NAME:
                entries = _cache_file_entries(Path(path)).values()
                reports = {name for entry in entries for name in entry["files"].values()}
                events.append(("cache", reports))

        return write

    monkeypatch.setattr(gapcheck.batch, "atomic_write", recorded(gapcheck.fsutil.atomic_write))
    monkeypatch.setattr(gapcheck.batch, "append_to", recorded(gapcheck.fsutil.append_to))
    monkeypatch.setattr(
        gapcheck.batch, "sync_written", lambda: events.append(("sync", set(os.listdir(outdir))))
    )
    monkeypatch.setattr(gapcheck.batch, "CACHE_EVERY", 2)
    monkeypatch.setattr(gapcheck.batch, "CACHE_SECONDS", 0.0)
    run_batch(SAMPLES, BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1))
    saves = [index for index, (event, _) in enumerate(events) if event == "cache"]
    assert len(saves) >= 3  # during the run, and at the end
    for index in saves:
        assert events[index - 1][0] == "sync"
        assert events[index][1] <= events[index - 1][1]  # every report it names was synced
    # The last save names every report. The final save syncs after the portfolio too, and
    # writes nothing when everything was saved before.
    reports = set(report_files(outdir)) - set(PORTFOLIO)
    assert len(reports) == len(SAMPLES)
    assert events[saves[-1]] == ("cache", reports)
    last_sync = max(index for index, (event, _) in enumerate(events) if event == "sync")
    assert last_sync >= len(events) - 2
    assert reports | set(PORTFOLIO) <= events[last_sync][1]


def test_saves_append_only_what_is_new_and_a_rerun_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outdir = tmp_path / "out"
    monkeypatch.setattr(gapcheck.batch, "CACHE_EVERY", 2)
    monkeypatch.setattr(gapcheck.batch, "CACHE_SECONDS", 0.0)
    options = BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1)
    run_batch(SAMPLES, options)
    cache = outdir / CACHE_NAME
    lines = cache.read_bytes().split(b"\n")
    assert len(lines) == 1 + len(SAMPLES) + 1  # the fingerprint, one line per entry, b""
    assert len(_cache_file_entries(cache)) == len(SAMPLES)
    written = cache.stat().st_mtime_ns, cache.read_bytes()
    assert run_batch(SAMPLES, options).unchanged == len(SAMPLES)
    assert (cache.stat().st_mtime_ns, cache.read_bytes()) == written


def test_a_cache_cut_short_keeps_its_whole_lines_and_is_written_anew(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    options = BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1)
    run_batch(SAMPLES, options)
    cache = outdir / CACHE_NAME
    whole = cache.read_bytes()
    cache.write_bytes(whole[: whole.rindex(b"\n", 0, -1) + 10])  # the last line cut short
    outcome = run_batch(SAMPLES, options)
    assert (outcome.assessed, outcome.unchanged) == (1, len(SAMPLES) - 1)
    assert sorted(cache.read_bytes().split(b"\n")) == sorted(whole.split(b"\n"))


def test_a_cache_with_mostly_old_lines_is_written_anew(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    run_batch(SAMPLES, BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1))
    cache = outdir / CACHE_NAME
    lines = cache.read_bytes().split(b"\n")
    # As if every entry had been redone twice in earlier runs, one of them into another slug.
    stale = [json.loads(line) for line in lines[1:-1]]
    for _key, summary in stale:
        summary["slug"] += "-old"
    old = [json.dumps(entry).encode() for entry in stale]
    cache.write_bytes(b"\n".join([lines[0], *old, *old, *lines[1:]]))
    outcome = run_batch(
        SAMPLES[:2], BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1)
    )
    assert outcome.unchanged == 2
    assert len(cache.read_bytes().split(b"\n")) == 1 + 2 + 1


def test_an_old_cache_is_removed(tmp_path: Path) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    (outdir / ".gapcheck-cache.json").write_text("{}")
    run_batch(SAMPLES[:1], BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1))
    assert not (outdir / ".gapcheck-cache.json").exists()


def test_a_background_save_that_failed_fails_the_next_and_a_full_save_supersedes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gapcheck.batch, "sync_written", lambda: None)
    cache = gapcheck.batch._Cache(tmp_path / "missing" / CACHE_NAME, {"v": 1})
    cache.completed("k", {"k": {"id": "a"}})
    cache.save_in_background({"k": {"id": "a"}})
    with pytest.raises(FileNotFoundError):
        cache.save_in_background({"k": {"id": "b"}})
    cache.path = tmp_path / CACHE_NAME
    cache.save({"k": {"id": "c"}})
    assert cache.path.read_bytes() == b'{"fingerprint":{"v":1}}\n["k",{"id":"c"}]\n'
    cache.changed("k")
    cache.save_in_background({"k": {"id": "d"}})
    cache.join()
    assert _cache_file_entries(cache.path) == {"k": {"id": "d"}}
    assert gapcheck.batch._Cache(cache.path, {"v": 1}).load() == {"k": {"id": "d"}}
    assert gapcheck.batch._Cache(cache.path, {"v": 2}).load() == {}


def test_reports_a_worker_wrote_but_never_handed_over_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = gapcheck.batch._write_temporaries

    def dies_after_writing(outdir: str, slug: str, outputs: dict[str, bytes]) -> dict[str, str]:
        temporaries = real(outdir, slug, outputs)
        if slug.startswith("meridian"):
            raise RuntimeError("gone")  # as a worker that dies before its result is sent
        return temporaries

    monkeypatch.setattr(gapcheck.batch, "_write_temporaries", dies_after_writing)
    outdir = tmp_path / "out"
    outcome = run_batch(SAMPLES, BatchOptions(outdir=outdir, formats=(OutputFormat.json,), jobs=1))
    assert outcome.failed == 1
    assert not any(name.startswith("meridian") for name in report_files(outdir))
    assert [p.name for p in outdir.iterdir() if p.name.startswith(".")] == [CACHE_NAME]


def test_a_report_that_cannot_be_named_fails_alone_and_leaves_no_temporary(
    tmp_path: Path,
) -> None:
    outdir = tmp_path / "out"
    outdir.mkdir()
    kept = gapcheck.fsutil.write_temporary(outdir / "a--2026-01-01.json", b"{}")
    holders: dict[str, str] = {}
    summary: dict[str, Any] = {"slug": "a--2026-01-01", "files": {}}
    vanished = str(outdir / ".gone.tmp")
    with pytest.raises(FileNotFoundError):
        gapcheck.batch._place(
            str(outdir), "/in/a.yaml", summary, {"md": vanished, "json": kept}, holders
        )
    assert list(outdir.iterdir()) == []
    summary = {"slug": "a--2026-01-01", "files": {}}
    other = gapcheck.fsutil.write_temporary(outdir / "a--2026-01-01.json", b"[]")
    placed = gapcheck.batch._place(str(outdir), "/in/b.yaml", summary, {"json": other}, holders)
    assert placed["slug"] == f"a--2026-01-01--{path_hash('/in/b.yaml')}"  # a's slug is taken
    assert placed["files"] == {"json": f"{placed['slug']}.json"}


def test_a_batch_leaves_the_callers_garbage_collector_as_it_was(tmp_path: Path) -> None:
    options = BatchOptions(outdir=tmp_path / "out", formats=(OutputFormat.json,), jobs=1)
    assert gc.get_freeze_count() == 0
    run_batch([HEALTHY], options)
    assert gc.get_freeze_count() == 0
    callers: list[object] = [[]]
    gc.freeze()
    try:
        run_batch([HEALTHY], dataclasses.replace(options, force=True))
        # The caller's frozen objects stay frozen (get_objects lists the unfrozen ones).
        assert not any(tracked is callers for tracked in gc.get_objects())
    finally:
        gc.unfreeze()
    assert any(tracked is callers for tracked in gc.get_objects())


def _portfolio_of_samples(tmp_path: Path) -> Any:
    """The portfolio of the samples and of an input that failed (both kinds of rows)."""
    from gapcheck.assessment import PackRef, assess_file
    from gapcheck.pack import load_pack
    from gapcheck.portfolio import Failure, build_portfolio, summarize

    pack = load_pack()
    summaries = [
        summarize(assess_file(path, pack), path.stem, str(path), {"json": f"{path.stem}.json"})
        for path in SAMPLES
    ]
    ref = PackRef(pack.name, pack.version, pack.sha256)
    failures = [Failure(str(tmp_path / "bad <b>.yaml"), "not <i>valid</i>")]
    return build_portfolio(summaries, failures, ref, pack.area_titles, {"f": "F"})


def _record_page_renders(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Log each render of the portfolio page ("whole"), of the page in pieces ("pieces"), of a
    part of it ("frame", "project_rows", "heatmap_rows"), and of the portfolio's JSON
    and CSV ("json", "csv"; whole or in pieces), with the process's pid, in ``log`` (a file: a
    child's memory is its own)."""
    import gapcheck.portfolio

    def logged(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def render(*args: Any, **kwargs: Any) -> Any:
            what = args[1] if name == "part" else name
            with log.open("a") as stream:
                stream.write(f"{what} {os.getpid()}\n")
            return real(*args, **kwargs)

        return render

    for function, name in (
        ("render_portfolio_html", "whole"),
        ("iter_portfolio_html", "pieces"),
        ("render_portfolio_html_part", "part"),
        ("render_json", "json"),
        ("iter_json", "json"),
        ("render_csv", "csv"),
        ("iter_csv", "csv"),
    ):
        real = getattr(gapcheck.portfolio, function)
        monkeypatch.setattr(gapcheck.portfolio, function, logged(name, real))


#: The renders of the project rows by the children that render the page's rows apart (one
#: piece each: fewer than PIECE_PROJECTS projects).
ROWS_APART = [("project_rows", False)] * gapcheck.batch.ROW_CHILDREN
#: The other renders of a portfolio written apart: the JSON and CSV by children, the page's
#: frame and the heatmap's rows by the batch's own process.
PAGE_APART = [("csv", False), ("frame", True), ("heatmap_rows", True), ("json", False)]
#: The renders of a portfolio written in one process: JSON, CSV and the page, in pieces.
PAGE_HERE = [
    ("csv", True),
    ("frame", True),
    ("heatmap_rows", True),
    ("json", True),
    ("pieces", True),
    ("project_rows", True),
]


def _renders(log: Path) -> list[tuple[str, bool]]:
    """(what was rendered, whether by this process), sorted; the log is emptied."""
    pairs = [line.split() for line in log.read_text().splitlines()]
    log.unlink()
    return sorted((what, int(pid) == os.getpid()) for what, pid in pairs)


def _portfolio_written_here(tmp_path: Path) -> tuple[Any, Path]:
    """The samples' portfolio, and a folder where write_portfolio (one process) wrote it: what
    the portfolio rendered apart is compared with."""
    import gapcheck.portfolio

    portfolio = _portfolio_of_samples(tmp_path)
    here = tmp_path / "here"
    here.mkdir()
    gapcheck.portfolio.write_portfolio(here, portfolio)
    return portfolio, here


def test_the_portfolio_page_rendered_apart_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gapcheck.portfolio

    portfolio, here = _portfolio_written_here(tmp_path)
    apart = tmp_path / "apart"
    fallbacks = tmp_path / "rows-fallback", tmp_path / "json-fallback"
    for folder in (apart, *fallbacks):
        folder.mkdir()
    log = tmp_path / "renders"
    _record_page_renders(monkeypatch, log)
    called: list[int] = []
    written = gapcheck.batch._write_portfolio_html_apart(
        apart, portfolio, False, lambda: called.append(os.getpid())
    )
    assert called == [os.getpid()]
    assert [path.name for path in written] == ["portfolio.json", "portfolio.csv", "portfolio.html"]
    assert _renders(log) == [*PAGE_APART, *ROWS_APART]
    # A child that fails: this process renders its part itself (the whole page, or the JSON).
    parent = os.getpid()

    def fails_in_a_child(real: Callable[..., Any]) -> Callable[..., Any]:
        def render(*args: Any, **kwargs: Any) -> Any:
            if os.getpid() != parent:
                raise RenderError("template portfolio.html: broken in the child")
            return real(*args, **kwargs)

        return render

    with monkeypatch.context() as patch:
        real_part = gapcheck.portfolio.render_portfolio_html_part
        patch.setattr(gapcheck.portfolio, "render_portfolio_html_part", fails_in_a_child(real_part))
        gapcheck.batch._write_portfolio_html_apart(fallbacks[0], portfolio, False, None)
    assert _renders(log) == [*PAGE_APART, ("whole", True)]
    with monkeypatch.context() as patch:
        real_json = gapcheck.portfolio.iter_json
        patch.setattr(gapcheck.portfolio, "iter_json", fails_in_a_child(real_json))
        gapcheck.batch._write_portfolio_html_apart(fallbacks[1], portfolio, False, None)
    # (the child's failed try is not logged: it fails before the logging render is called)
    assert _renders(log) == [
        ("csv", False),
        ("frame", True),
        ("heatmap_rows", True),
        ("json", True),  # this process's, not the child's
        *ROWS_APART,
    ]
    for name in PORTFOLIO:
        expected = (here / name).read_bytes()
        for folder in (apart, *fallbacks):
            assert (folder / name).read_bytes() == expected, (folder.name, name)
    for folder in (apart, *fallbacks):  # the children's temporary files are gone
        assert sorted(p.name for p in folder.iterdir()) == sorted(PORTFOLIO)


def test_a_portfolio_whose_forks_fail_is_rendered_here_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio, here = _portfolio_written_here(tmp_path)
    apart = tmp_path / "apart"
    apart.mkdir()
    real_fork = os.fork
    forks: list[int] = []  # the children's pids

    def third_fails() -> int:
        if len(forks) == 2:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", third_fails)
    called: list[int] = []
    gapcheck.batch._write_portfolio_html_apart(apart, portfolio, False, lambda: called.append(1))
    assert called == [1]
    for name in PORTFOLIO:
        assert (apart / name).read_bytes() == (here / name).read_bytes(), name
    assert sorted(p.name for p in apart.iterdir()) == sorted(PORTFOLIO)  # no temporary left
    assert len(forks) == 2
    for pid in forks:  # each child that was started has been waited for
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_a_portfolio_json_that_cannot_be_rendered_anywhere_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gapcheck.portfolio

    def broken(*args: Any) -> bytes:
        raise RenderError("portfolio.json: broken")

    portfolio = _portfolio_of_samples(tmp_path)
    outdir = tmp_path / "out"
    outdir.mkdir()
    monkeypatch.setattr(gapcheck.portfolio, "iter_json", broken)
    with pytest.raises(RenderError, match="broken"):
        gapcheck.batch._write_portfolio_html_apart(outdir, portfolio, False, None)
    assert list(outdir.iterdir()) == []


def test_the_rows_are_copied_into_the_page_without_copy_file_range_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio, here = _portfolio_written_here(tmp_path)
    apart = tmp_path / "apart"
    apart.mkdir()

    def unsupported(*args: Any) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", unsupported)
    gapcheck.batch._write_portfolio_html_apart(apart, portfolio, True, None)
    assert (apart / "portfolio.html").read_bytes() == (here / "portfolio.html").read_bytes()


def test_a_portfolio_page_that_cannot_be_rendered_apart_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gapcheck.portfolio

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RenderError("template portfolio.html: broken")

    portfolio = _portfolio_of_samples(tmp_path)
    outdir = tmp_path / "out"
    outdir.mkdir()
    monkeypatch.setattr(gapcheck.portfolio, "render_portfolio_html", broken)
    monkeypatch.setattr(gapcheck.portfolio, "render_portfolio_html_part", broken)
    with pytest.raises(RenderError, match="broken"):
        gapcheck.batch._write_portfolio_html_apart(outdir, portfolio, False, None)
    assert list(outdir.iterdir()) == []


def test_a_batch_with_two_processes_renders_the_page_apart_with_the_same_outputs(
    portfolio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "renders"
    _record_page_renders(monkeypatch, log)
    monkeypatch.setattr(gapcheck.batch, "HTML_APART_MIN_PROJECTS", 0)
    outputs = []
    renders = []
    for name, jobs in (("one", "1"), ("two", "2")):
        outdir = tmp_path / name
        run("batch", str(portfolio), "-o", str(outdir), "--format", "json", "--jobs", jobs)
        outputs.append(outputs_of(outdir))
        renders.append(_renders(log))
    assert outputs[0] == outputs[1]
    assert renders == [PAGE_HERE, sorted([*PAGE_APART, *ROWS_APART])]
