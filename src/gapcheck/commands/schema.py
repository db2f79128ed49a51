"""``gapcheck schema``: the JSON Schema of an answers file."""

from __future__ import annotations

import click

from gapcheck.cli import _errors_as_messages, _fail


@click.command("schema")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Write the schema to this file (atomically) instead of standard output.",
)
def schema(output: str | None) -> None:
    """Print the JSON Schema of an answers file for the assessment pack."""
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.fsutil import atomic_write
        from gapcheck.pack import load_pack
        from gapcheck.schema import schema_bytes

        data = schema_bytes(load_pack())
        if output is None or output == "-":
            click.echo(data.decode(), nl=False)
            return
        try:
            atomic_write(Path(output), data)
        except OSError as error:
            _fail(f"{output}: cannot write: {error.strerror or error}")
        click.echo(f"answers schema -> {output}", err=True)
