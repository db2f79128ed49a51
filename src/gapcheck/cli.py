"""The ``gapcheck`` command: thin click commands over the library.

Heavy modules (pydantic models, the engine, durable-rules, templates) are imported inside the
commands, so ``gapcheck --help`` stays fast. Library errors become messages here, and only here.

Exit codes: 0 assessed; 1 a finding at or above ``--fail-on``; 2 bad input or usage;
70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from gapcheck import __version__

# pathlib is imported inside the commands: it is a noticeable share of start-up time.

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70

SEVERITIES = ("critical", "high", "medium", "low")


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@contextmanager
def _errors_as_messages() -> Iterator[None]:
    """Turn gapcheck's errors into one clear message and exit code 2; never a traceback."""
    from gapcheck.errors import GapcheckError, PackError

    try:
        yield
    except PackError as error:
        _fail(f"the assessment pack is invalid: {error}")
    except GapcheckError as error:
        _fail(str(error))
    except RecursionError:
        _fail("the input is nested too deeply")
    except MemoryError:
        _fail("the input is too large to process")


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as error:
            click.echo(
                f"Error: internal error ({type(error).__name__}: {error}). This is a bug in"
                " gapcheck; please report it with the input that caused it.",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gapcheck")
def main() -> None:
    """Is a project ready to implement, ready to execute, and what will derail it?

    gapcheck reads a questionnaire's answers about a project, diagnoses the pitfalls between
    implementing and executing with declarative rules, and reports what to do about them.
    """


@main.command()
@click.argument("file", type=click.Path())
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Output format. Default: from the extension of --output, else text.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the result to this file (atomically) instead of standard output.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Exit with code 1 when a finding of this severity or worse is found.",
)
def assess(file: str, output_format: str | None, output: str | None, fail_on: str | None) -> None:
    """Assess one answers FILE (YAML or JSON) and print or write the result."""
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.assessment import assess_file
        from gapcheck.formats import OutputFormat, format_for_path, render
        from gapcheck.fsutil import atomic_write
        from gapcheck.pack import Severity

        if output_format is not None:
            chosen = OutputFormat(output_format)
        elif output is not None:
            chosen = format_for_path(Path(output))
        else:
            chosen = OutputFormat.text
        result = assess_file(Path(file))
        data = render(result, chosen)
        if output is None:
            click.echo(data.decode(), nl=False)
        else:
            try:
                atomic_write(Path(output), data)
            except OSError as error:
                _fail(f"{output}: cannot write: {error.strerror or error}")
            click.echo(
                f"{result.project.id}: {result.confidence}, {len(result.findings)} findings"
                f" -> {output}",
                err=True,
            )
        if fail_on is not None and result.at_or_above(Severity(fail_on)):
            sys.exit(EXIT_FINDINGS)


@main.group()
def rules() -> None:
    """Inspect the rules of the assessment pack."""


@rules.command("list")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
def rules_list(output_format: str) -> None:
    """List every rule with its id, title, area and severity."""
    with _errors_as_messages():
        from gapcheck.pack import load_pack

        pack = load_pack()
        rows = [
            {
                "id": loaded.rule.id,
                "title": loaded.rule.title,
                "area": loaded.rule.area,
                "severity": loaded.rule.severity.value,
                "derived": bool(loaded.findings_read),
                "source": loaded.rule.source,
            }
            for loaded in pack.rules
        ]
        if output_format == "json":
            import orjson

            payload = {
                "pack": {"name": pack.name, "version": pack.version, "sha256": pack.sha256},
                "rules": rows,
            }
            click.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
            return
        click.echo(f"{pack.name} {pack.version}: {len(rows)} rules")
        width = max(len(loaded.rule.id) for loaded in pack.rules)
        for row in rows:
            click.echo(
                f"{row['id']:<{width}}  {row['severity']:<8}  {row['area']:<14}  {row['title']}"
            )
