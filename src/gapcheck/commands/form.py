"""``gapcheck form``: the questionnaire as one self-contained HTML page for a client."""

from __future__ import annotations

import click

from gapcheck.cli import _errors_as_messages, _fail, pack_option


@click.command("form")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="Write the form to this HTML file (atomically).",
)
@pack_option("An assessment pack folder to take the questions from. Default: gapcheck's own.")
def form(output: str, pack_folder: str | None) -> None:
    """Write the questionnaire as one HTML page a client fills in offline and downloads the
    answers of (a JSON answers file `gapcheck assess` reads)."""
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.form import render_form
        from gapcheck.fsutil import atomic_write
        from gapcheck.pack import load_pack

        pack = load_pack(Path(pack_folder) if pack_folder is not None else None)
        html = render_form(pack)
        try:
            atomic_write(Path(output), html.encode("utf-8"))
        except OSError as error:
            _fail(f"{output}: cannot write: {error.strerror or error}")
        questions = len(pack.questions)
        click.echo(
            f"{pack.name} {pack.version}: a form of {questions} questions -> {output}", err=True
        )
