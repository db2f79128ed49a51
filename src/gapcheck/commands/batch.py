"""``gapcheck batch``: assess a portfolio of answers files, every report plus a portfolio."""

from __future__ import annotations

import sys
import time

import click

from gapcheck.cli import _errors_as_messages, _fail, pack_option

#: Some inputs could not be assessed or rendered (the others were).
EXIT_SOME_FAILED = 3
FORMATS = ("html", "pdf", "json", "md")


class _ProgressBar:
    """items done/total, rate and time left, redrawn on one stderr line."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.first: int | None = None
        self.last_draw = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.first is None:
            self.first = done
        if done < total and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        elapsed = now - self.start
        rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
        left = f"{(total - done) / rate:.0f}s left" if rate > 0 else "--s left"
        width = 30
        filled = width * done // total if total else width
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        click.echo(f"\r[{bar}] {done}/{total}  {rate:.1f}/s  {left}   ", nl=False, err=True)
        if end:
            click.echo("", err=True)


@click.command("batch")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--outdir",
    type=click.Path(file_okay=False),
    required=True,
    help="Folder for the reports (<project>--<date>.<ext>) and portfolio files.",
)
@click.option(
    "--format",
    "formats",
    default="html",
    show_default=True,
    help="Comma-separated report formats: html, pdf, json, md.",
)
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes. Default: the number of cores; 1 runs in this process.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Where to assess: worker processes here, or a Dask cluster (needs gapcheck[dask]).",
)
@click.option(
    "--scheduler",
    default=None,
    help="The Dask scheduler's address, tcp://HOST:PORT (with --executor dask).",
)
@pack_option(
    "Assess with the questionnaire and rules of this pack folder instead of gapcheck's own"
    " (see docs/pack-format.md). Dask workers are sent its files."
)
@click.option("--force", is_flag=True, help="Assess and render every input, even unchanged ones.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def batch(
    inputs: tuple[str, ...],
    outdir: str,
    formats: str,
    jobs: int | None,
    executor: str,
    scheduler: str | None,
    pack_folder: str | None,
    force: bool,
    quiet: bool,
) -> None:
    """Assess many answers files (INPUTS: files, folders, globs) into reports and a portfolio.

    Writes OUTDIR/<project>--<date>.<ext> per project and format and the portfolio files.
    An unchanged input is not assessed again (OUTDIR/.gapcheck-cache.jsonl); --force redoes all.

    Exit codes: 0 every input assessed; 2 usage error or no inputs; 3 some inputs failed
    (listed on stderr and in the portfolio; every other input is still written). A file found
    in a folder or by a glob that is another kind of gapcheck file (a survey mapping, a pack's
    file, a result) is skipped and listed on stderr; named itself, it fails.
    """
    with _errors_as_messages():
        import os
        from pathlib import Path

        from gapcheck.batch import BatchOptions, collect_input_files, run_batch
        from gapcheck.formats import OutputFormat

        chosen: list[OutputFormat] = []
        for name in (part.strip().lower() for part in formats.split(",")):
            if name not in FORMATS:
                _fail(f"--format: unknown format '{name}' (expected html, pdf, json or md)")
            if OutputFormat(name) not in chosen:
                chosen.append(OutputFormat(name))
        if (executor == "dask") != (scheduler is not None):
            _fail("--executor dask and --scheduler tcp://HOST:PORT go together")
        target = Path(outdir)
        found = collect_input_files(inputs, target)
        if not found:
            _fail("no answers files (*.yaml, *.yml, *.json) found in the inputs")
        options = BatchOptions(
            outdir=target,
            formats=tuple(chosen),
            jobs=jobs if jobs is not None else (os.cpu_count() or 1),
            force=force,
            scheduler=scheduler,
            pack=None if pack_folder is None else Path(pack_folder),
        )
        show_progress = not quiet and _stderr_is_terminal()
        try:
            outcome = run_batch(
                [found_file.path for found_file in found],
                options,
                _ProgressBar() if show_progress else None,
                keys=[found_file.key for found_file in found],
                named={found_file.key for found_file in found if found_file.named},
            )
        except OSError as error:
            _fail(f"{outdir}: cannot write: {error.strerror or error}")
        for skipped in outcome.skipped:
            click.echo(f"Skipped: {skipped.reason}", err=True)
        for failure in outcome.failures:
            click.echo(f"Failed: {failure.message}", err=True)
        skipped_count = f", {len(outcome.skipped)} skipped" if outcome.skipped else ""
        click.echo(
            f"{outcome.assessed} assessed, {outcome.unchanged} unchanged,"
            f" {outcome.failed} failed{skipped_count} -> {outdir}",
            err=True,
        )
        if outcome.failures:
            sys.exit(EXIT_SOME_FAILED)
        if not outcome.summaries:
            _fail("no answers files in the inputs: every file found is of another kind (skipped)")


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
