"""``gapcheck fill``: the questionnaire as an interview in the terminal (gapcheck.interview)."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

import click

from gapcheck.cli import EXIT_BAD_INPUT, _errors_as_messages, _fail, pack_option

if TYPE_CHECKING:
    from pathlib import Path

    from gapcheck.interview import Interview
    from gapcheck.pack import Pack

EXIT_INTERRUPTED = 130


@click.command("fill")
@click.argument("file", type=click.Path())
@click.option(
    "--respondent",
    metavar="NAME",
    default=None,
    help="Answer as this respondent: added to the file if new, resumed if already there."
    " Default: the file's first respondent (asked for a name if there is none).",
)
@click.option("--role", default=None, help="The respondent's role (asked if not given).")
@click.option("--team", default=None, help="The respondent's team (asked if not given).")
@click.option(
    "--review", is_flag=True, help="Walk through every answer again (Enter keeps an answer)."
)
@pack_option(
    "Interview with the questionnaire of this pack folder instead of gapcheck's own"
    " (to try a pack under development; the tests use a small one)."
)
def fill(
    file: str,
    respondent: str | None,
    role: str | None,
    team: str | None,
    review: bool,
    pack_folder: str | None,
) -> None:
    """Fill in an answers FILE in the terminal, one question at a time.

    Each question shows its choices (numbered), its scale and whether it is required. Type ? for
    its help, dk for "don't know", na for "not applicable" (where allowed), b to go back, or
    just Enter to keep the current answer or skip an optional question. Every accepted answer is
    saved at once, so Ctrl-C loses nothing: run the same command again to resume at the first
    unanswered question. At the end, gapcheck offers to assess the file.
    """
    with _errors_as_messages():
        from pathlib import Path

        from gapcheck.interview import Interview
        from gapcheck.pack import load_pack

        path = Path(file)
        pack = load_pack(Path(pack_folder)) if pack_folder is not None else load_pack()
        interview = Interview(
            pack, path, respondent=respondent, role=role, team=team, review=review
        )
        if sys.stdin.isatty():
            with contextlib.suppress(ImportError):  # not on every platform
                import readline  # noqa: F401 - line editing for input()
        try:
            _interview(interview)
            wanted = _ask("Assess now? [Y/n] ").strip().lower()
        except (KeyboardInterrupt, EOFError):
            click.echo()
            click.echo(
                f"Saved {interview.answered_count()} answers to {file};"
                " run the same command to resume.",
                err=True,
            )
            sys.exit(EXIT_INTERRUPTED)
        except OSError as error:
            _fail(f"{file}: cannot write: {error.strerror or error}")
        if wanted in ("", "y", "yes"):
            _assess(path, pack)
        else:
            click.echo(f"Assess it later with: gapcheck assess {file}")


def _ask(prompt: str) -> str:
    return input(prompt)


def _interview(interview: Interview) -> None:
    import shutil

    from gapcheck.interview import HelpShown, Rejected, question_lines

    who = interview.respondent.get("name")
    click.echo(
        f"Filling in {interview.path}" + (f" as {who}" if who else "") + "."
        " Type ? for help on a question, b to go back; Ctrl-C stops (answers are saved)."
    )
    while (step := interview.next_question()) is not None:
        click.echo()
        click.echo(interview.progress().line())
        for line in question_lines(step):
            click.echo(line)
        while True:
            result = interview.answer(_ask(_prompt(step.default)))
            if isinstance(result, Rejected):
                click.echo(f"  Not accepted: {result.reason}. Try again.")
            elif isinstance(result, HelpShown):
                width = min(shutil.get_terminal_size().columns, 100)
                for line in result.text.splitlines():
                    click.echo(click.wrap_text(line, width, "  ", "  "))
            else:
                break
    missing = interview.remaining_required()
    click.echo()
    if missing:  # defensive: the interview ends only when all are answered
        click.echo(f"{len(missing)} required questions are still unanswered.")
    click.echo(f"Done: {interview.answered_count()} answers saved to {interview.path}.")


def _prompt(default: str | None) -> str:
    return f"[{default}] > " if default is not None else "> "


def _assess(path: Path, pack: Pack) -> None:
    """What `gapcheck assess FILE` prints: the terminal summary."""
    from gapcheck.assessment import assess_file
    from gapcheck.errors import InputError
    from gapcheck.formats import OutputFormat, render

    try:
        result = assess_file(path, pack)
    except InputError as error:
        click.echo(f"Error: the answers are not complete yet: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    click.echo(render(result, OutputFormat.text).decode(), nl=False)
