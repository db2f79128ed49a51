"""The ``gapcheck`` command: thin click commands over the library.

Heavy modules (pydantic models, the engine, durable-rules, templates) are imported inside the
commands, so ``gapcheck --help`` stays fast. Library errors become messages here, and only here.

Exit codes: 0 assessed; 1 a finding at or above ``--fail-on``; 2 bad input or usage;
70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import atexit
import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click

from gapcheck import __version__
from gapcheck.formats import OutputFormat  # light: an enum, nothing it renders with

# pathlib is imported inside the commands: it is a noticeable share of start-up time.

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 70

SEVERITIES = ("critical", "high", "medium", "low")


_Command = TypeVar("_Command", bound=Callable[..., Any])


def pack_option(help_text: str) -> Callable[[_Command], _Command]:
    """The ``--pack DIR`` option of every command that reads a pack, into ``pack_folder``."""
    return click.option(
        "--pack",
        "pack_folder",
        type=click.Path(exists=True, file_okay=False),
        default=None,
        help=help_text,
    )


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


#: Commands that live in modules of their own under gapcheck.commands, as "module:function".
#: Such a module imports only click at the top (the rest inside the command), because
#: `gapcheck --help` imports it to show the command's one-line help.
LAZY_COMMANDS: dict[str, str] = {
    "import": "gapcheck.commands.survey:import_survey",
    "new": "gapcheck.commands.new:new",
    "schema": "gapcheck.commands.schema:schema",
    "form": "gapcheck.commands.form:form",
    "fill": "gapcheck.commands.fill:fill",
    "batch": "gapcheck.commands.batch:batch",
}


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            import importlib

            module_name, attribute = LAZY_COMMANDS[name].split(":")
            loaded = getattr(importlib.import_module(module_name), attribute)
            assert isinstance(loaded, click.Command)
            command = loaded
        return command

    def invoke(self, ctx: click.Context) -> Any:
        # The process ends after the command: the interpreter's last garbage collections would
        # only walk objects on their way out (some 30 ms, more after a large batch). Frozen,
        # they are skipped; what is not in a reference cycle is still freed as usual.
        atexit.unregister(gc.freeze)
        atexit.register(gc.freeze)
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
    type=click.Choice([member.value for member in OutputFormat]),
    default=None,
    help="Output format: a terminal summary (text), the result for machines (json), or a report"
    " for a client (html, md, pdf). Default: from the extension of --output, else text.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    default=None,
    help="Write the result to this file (atomically) instead of standard output; '-' is"
    " standard output. html, md and pdf reports need it.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Exit with code 1 when a finding of this severity or worse is found.",
)
@click.option(
    "--page-size",
    type=click.Choice(["a4", "letter"]),
    default=None,
    help="Page size of a pdf report (and of an html report when printed). Default: a4.",
)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="A folder of report templates overriding gapcheck's (run in Jinja's sandbox);"
    " see docs/reports.md.",
)
@click.option(
    "--brand",
    type=click.Path(dir_okay=False),
    default=None,
    help="A brand file (YAML or JSON) for reports: firm_name, logo, primary_colour, accent_colour.",
)
@pack_option(
    "Assess with the questionnaire and rules of this pack folder instead of gapcheck's own"
    " (see docs/pack-format.md)."
)
def assess(
    file: str,
    output_format: str | None,
    output: str | None,
    fail_on: str | None,
    page_size: str | None,
    templates: str | None,
    brand: str | None,
    pack_folder: str | None,
) -> None:
    """Assess one answers FILE (YAML or JSON) and print or write the result or a report."""
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.assessment import assess_file
        from gapcheck.formats import format_for_path, render
        from gapcheck.fsutil import atomic_write
        from gapcheck.pack import Severity, load_pack

        to_stdout = output is None or output == "-"
        if output_format is not None:
            chosen = OutputFormat(output_format)
        elif not to_stdout:
            chosen = format_for_path(Path(str(output)))
        else:
            chosen = OutputFormat.text
        if chosen.is_report and output is None:
            _fail(
                f"a {chosen.value} report is written to a file: pass -o report.{chosen.value}"
                " (or -o - for standard output)"
            )
        if chosen.is_binary and to_stdout and _stdout_is_terminal():
            _fail(
                f"a {chosen.value} report is binary and is not written to a terminal:"
                f" pass -o report.{chosen.value}, or redirect standard output"
            )
        report_flags = [
            flag
            for flag, value in (("--page-size", page_size), ("--templates", templates))
            if value is not None
        ] + (["--brand"] if brand is not None else [])
        if report_flags and not chosen.is_report:
            _fail(
                f"{', '.join(report_flags)}: only for html, md and pdf reports, not {chosen.value}"
            )

        pack = load_pack(Path(pack_folder)) if pack_folder is not None else load_pack()
        options = None
        if chosen.is_report:
            from gapcheck.report import Brand, PageSize, ReportOptions, load_brand

            options = ReportOptions(
                templates=Path(templates) if templates is not None else None,
                brand=load_brand(Path(brand)) if brand is not None else Brand(),
                page_size=PageSize(page_size or "a4"),
                pack=pack,
            )
        result = assess_file(Path(file), pack, with_answers=chosen.is_report)
        if chosen is OutputFormat.pdf and options is not None:
            from gapcheck.formats.pdf import render_pdf

            pdf = render_pdf(result, options)
            for url in pdf.refused:
                click.echo(
                    f"Warning: the PDF does not include {url}: reports load no external resource",
                    err=True,
                )
            data = pdf.data
        else:
            data = render(result, chosen, options)
        if to_stdout:
            if chosen.is_binary:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            else:
                click.echo(data.decode(), nl=False)
        else:
            try:
                atomic_write(Path(str(output)), data)
            except OSError as error:
                _fail(f"{output}: cannot write: {error.strerror or error}")
            click.echo(
                f"{result.project.id}: {result.confidence}, {len(result.findings)} findings"
                f" -> {output}",
                err=True,
            )
        if fail_on is not None and result.at_or_above(Severity(fail_on)):
            sys.exit(EXIT_FINDINGS)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


@main.group()
def rules() -> None:
    """Inspect the rules of the assessment pack."""


@rules.command("list")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text")
@pack_option("List the rules of this pack folder instead of gapcheck's own.")
def rules_list(output_format: str, pack_folder: str | None) -> None:
    """List every rule with its id, title, area and severity."""
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.pack import load_pack

        pack = load_pack(Path(pack_folder)) if pack_folder is not None else load_pack()
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
