"""``gapcheck import``: answers files from a survey export (Google Forms, Microsoft Forms CSV).

Exit codes: 0 every row imported; 2 bad input or usage, or some rows or projects could not be
imported (each reported with its row number; the other projects are still written).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from gapcheck.cli import EXIT_BAD_INPUT, _errors_as_messages, _fail

if TYPE_CHECKING:
    from pathlib import Path


@click.command("import")
@click.argument("survey", type=click.Path(dir_okay=False))
@click.option(
    "--map",
    "mapping_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="The mapping file (YAML): column header -> question id, answer text -> choice id.",
)
@click.option(
    "--init",
    is_flag=True,
    help="Draft a mapping from SURVEY's headers instead of importing; lists what it could not"
    " match. Written to -o, else printed.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="The folder for the answers files (one <project-id>.yaml per project); with --init,"
    " the mapping file to write.",
)
@click.option("--force", is_flag=True, help="Replace files that already exist.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the rows that could not be imported to this CSV file (row, project,"
    " problem), safe to open in a spreadsheet.",
)
def import_survey(
    survey: str,
    mapping_file: str | None,
    init: bool,
    output: str | None,
    force: bool,
    report: str | None,
) -> None:
    """Import a survey export (CSV) into one answers file per project."""
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.pack import load_pack
        from gapcheck.survey import draft_mapping, import_survey, load_mapping, problems_csv
        from gapcheck.survey import read_survey as read_table

        pack = load_pack()
        if init:
            if mapping_file is not None or report is not None:
                _fail("--init drafts a mapping: --map and --report are for importing")
            draft = draft_mapping(read_table(Path(survey)), pack)
            if output is None:
                click.echo(draft.text, nl=False)
            else:
                target = Path(output)
                if target.exists() and not force:
                    _fail(f"{output}: already exists; pass --force to replace it")
                _write(target, draft.text.encode())
                click.echo(f"{draft.source.value} mapping draft -> {output}", err=True)
            for header in draft.unmatched_columns:
                click.echo(f"unmatched column: {header!r}", err=True)
            for question_id, text in draft.unmatched_answers:
                click.echo(f"unmatched answer of {question_id}: {text!r}", err=True)
            return
        if mapping_file is None or output is None:
            _fail("importing needs --map MAPPING.yaml and -o FOLDER (or --init to draft a mapping)")
        mapping = load_mapping(Path(mapping_file), pack)
        table = read_table(Path(survey))
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            _fail(f"{output}: not a folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            _fail(f"{output}: cannot create the folder: {error.strerror or error}")
        try:
            result = import_survey(table, mapping, pack, folder, force=force)
        except OSError as error:
            _fail(f"{error.filename or output}: cannot write: {error.strerror or error}")
        for written in result.written:
            rows = ", ".join(str(number) for number in written.rows)
            count = len(written.rows)
            click.echo(
                f"{written.project_id}: {count} respondent{'s' * (count != 1)} (rows {rows})"
                f" -> {written.path}",
                err=True,
            )
        for problem in result.problems:
            click.echo(problem.describe(), err=True)
        if report is not None:
            _write(Path(report), problems_csv(result.problems))
        if result.problems:
            _fail(
                f"{result.rows - result.imported_rows} of {result.rows} rows not imported"
                f" ({len(result.written)} projects written); see above",
                EXIT_BAD_INPUT,
            )


def _write(path: Path, data: bytes) -> None:
    from gapcheck.fsutil import atomic_write

    try:
        atomic_write(path, data)
    except OSError as error:
        _fail(f"{path}: cannot write: {error.strerror or error}")
