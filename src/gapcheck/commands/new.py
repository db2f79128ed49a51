"""``gapcheck new FILE``: write an answers template to fill in."""

from __future__ import annotations

import click

from gapcheck.cli import _errors_as_messages, _fail


@click.command("new")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--schema-url",
    default=None,
    help="Where the template's '$schema' line points editors (a URL or a path relative to FILE)."
    " Default: answers.schema.json, written next to FILE.",
)
@click.option(
    "--no-schema",
    is_flag=True,
    help="Do not write answers.schema.json next to FILE (the '$schema' line stays).",
)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def new(file: str, schema_url: str | None, no_schema: bool, force: bool) -> None:
    """Write an answers template FILE (YAML) with every question, ready to fill in."""
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.fsutil import atomic_write
        from gapcheck.pack import load_pack
        from gapcheck.schema import SCHEMA_FILE_NAME, schema_bytes
        from gapcheck.template import answers_template, schema_line

        path = Path(file)
        if path.suffix.lower() not in (".yaml", ".yml"):
            _fail(f"{file}: the template is YAML: give a file name ending in .yaml")
        if path.exists() and not force:
            _fail(f"{file}: already exists; pass --force to replace it")
        url = schema_url if schema_url is not None else SCHEMA_FILE_NAME
        try:
            schema_line(url)
        except ValueError as error:
            _fail(f"--schema-url {url!r}: {error}")
        pack = load_pack()
        text = answers_template(pack, schema_url=url, file=path.name)
        written = [file]
        try:
            if schema_url is None and not no_schema:
                schema_path = path.parent / SCHEMA_FILE_NAME
                atomic_write(schema_path, schema_bytes(pack))
                written.append(str(schema_path))
            atomic_write(path, text.encode())
        except OSError as error:
            _fail(f"{error.filename or file}: cannot write: {error.strerror or error}")
        questions = len(pack.questions)
        click.echo(f"{questions} questions -> {', '.join(written)}", err=True)
