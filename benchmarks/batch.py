"""Batch benchmark: ``gapcheck batch`` over N synthetic projects, as a user runs it.

    python benchmarks/batch.py [--count N] [--pdf-count M] [--no-pdf] [--keep DIR]

Generates N varied, valid answers files (``gapcheck.synthetic.generate_portfolio``, YAML) into a
temporary folder, then times the ``gapcheck batch`` command in a fresh process for:

- JSON reports plus portfolio with ``--jobs 1`` and ``--jobs 2`` (the speed-up of 2 over 1);
- a second JSON run with nothing changed (the incremental path: hashes only);
- HTML reports plus portfolio with ``--jobs 2``;
- PDF reports on the first M projects with ``--jobs 2``.

Prints projects per second, wall time and the peak RSS of the batch and its workers (the largest
process of the batch: ``ru_maxrss`` of the waited-for children). Targets (issue 5, 2 cores):
10,000 projects to JSON in under 6 s, to HTML in under 20 s, ``--jobs 2`` at least 1.7 times
``--jobs 1``, peak RSS under 300 MB. Figures that miss their target are marked; nothing fails.
Each report is written with fsync (``gapcheck.fsutil.atomic_write``): on a slow disk the writes,
not the assessment, set the pace; the user/sys CPU seconds printed show which it is.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from gapcheck.pack import load_pack
from gapcheck.synthetic import generate_portfolio

JSON_TARGET_S = 6.0  # for 10,000 projects
HTML_TARGET_S = 20.0
SPEEDUP_TARGET = 1.7
RSS_TARGET_MB = 300.0


@dataclass(frozen=True)
class Run:
    label: str
    projects: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    stderr_tail: str

    @property
    def rate(self) -> float:
        return self.projects / self.seconds if self.seconds else 0.0


def generate(folder: Path, count: int, seed: int) -> None:
    pack = load_pack()
    folder.mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    for index, answers in enumerate(generate_portfolio(pack, count, seed)):
        text = yaml.dump(answers, Dumper=dumper, sort_keys=False, allow_unicode=True)
        (folder / f"project-{index:06d}.yaml").write_text(text, encoding="utf-8")


def batch(label: str, inputs: list[Path], outdir: Path, *args: str) -> Run:
    """One ``gapcheck batch`` in a fresh process; its wall time, CPU and peak RSS."""
    command = [sys.executable, "-m", "gapcheck", "batch", *map(str, inputs), "-o", str(outdir)]
    command += ["--quiet", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if completed.returncode != 0:
        raise SystemExit(f"{label}: exit code {completed.returncode}\n{completed.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    projects = sum(1 for path in inputs for _ in (path.glob("*.yaml") if path.is_dir() else [1]))
    return Run(
        label,
        projects,
        seconds,
        cpu,
        after.ru_maxrss / 1024,  # KiB on Linux; the largest child so far
        completed.stderr.strip().splitlines()[-1],
    )


def show(run: Run, target_s: float | None = None) -> None:
    mark = ""
    if target_s is not None and run.seconds > target_s:
        mark = f"  below target (< {target_s:.1f} s)"
    print(
        f"{run.label:<34} {run.projects:>6} projects {run.seconds:8.2f} s"
        f" {run.rate:9.1f} projects/s  cpu {run.cpu_seconds:7.2f} s"
        f"  peak RSS {run.peak_rss_mb:6.1f} MB{mark}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--pdf-count", type=int, default=20)
    parser.add_argument("--no-pdf", action="store_true")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", type=Path, default=None, help="Keep the files in this folder.")
    options = parser.parse_args()

    root = options.keep or Path(tempfile.mkdtemp(prefix="gapcheck-batch-bench-"))
    try:
        inputs = root / "inputs"
        start = time.perf_counter()
        generate(inputs, options.count, options.seed)
        print(
            f"{options.count} synthetic projects in {time.perf_counter() - start:.1f} s;"
            f" {os.cpu_count()} cores; python {sys.version.split()[0]}"
        )
        scale = options.count / 10_000
        one = batch("json --jobs 1", [inputs], root / "json-1", "--format", "json", "--jobs", "1")
        show(one, JSON_TARGET_S * scale)
        two = batch("json --jobs 2", [inputs], root / "json-2", "--format", "json", "--jobs", "2")
        show(two, JSON_TARGET_S * scale)
        again = batch(
            "json --jobs 2, nothing changed", [inputs], root / "json-2", "--format", "json"
        )
        show(again)
        speedup = one.seconds / two.seconds if two.seconds else 0.0
        flag = "" if speedup >= SPEEDUP_TARGET else f"  below target (>= {SPEEDUP_TARGET})"
        print(f"speed-up of --jobs 2 over --jobs 1: {speedup:.2f}x{flag}")
        html = batch("html --jobs 2", [inputs], root / "html", "--format", "html", "--jobs", "2")
        show(html, HTML_TARGET_S * scale)
        if not options.no_pdf and options.pdf_count > 0:
            subset = sorted(inputs.glob("*.yaml"))[: options.pdf_count]
            pdf = batch("pdf --jobs 2", subset, root / "pdf", "--format", "pdf", "--jobs", "2")
            show(pdf)
        peak = max(run.peak_rss_mb for run in (one, two, again, html))
        flag = "" if peak < RSS_TARGET_MB else f"  above target (< {RSS_TARGET_MB:.0f} MB)"
        print(f"peak RSS of one batch process: {peak:.1f} MB{flag}")
    finally:
        if options.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
