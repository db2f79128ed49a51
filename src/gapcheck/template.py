"""The answers template: a YAML answers file with every question of a pack, ready to fill in.

The template starts with a ``# yaml-language-server: $schema=...`` line so editors validate and
complete it against the JSON Schema (``gapcheck.schema``), then holds the envelope with empty
values, a ``context:`` block with the project questions and one respondent block with every
respondent question, in questionnaire order and grouped by section. Above each empty answer,
comments give the question's text, help, allowed answers, choices, whether it is required and,
for a conditional question, when it applies (from ``gapcheck.schema.describe_question``).

Every value is empty, and an empty value counts as unanswered: ``gapcheck assess`` on an
untouched template lists what is missing.
"""

from __future__ import annotations

import textwrap

from gapcheck.pack import Pack, Scope, Section
from gapcheck.schema import SCHEMA_FILE_NAME, condition_in_words, describe_question

WIDTH = 98

_HEADER = """\
Fill in the empty values, then check the file with: gapcheck assess {file}
An empty value counts as unanswered. Where a question allows it, answer dont_know or
not_applicable instead of a value. A question marked "only when ..." applies only to some
projects: leave it empty when it does not apply (an answer to it is reported as an error).
Copy the respondent block for each further person who answers; each answers for themself."""


def schema_line(schema_url: str) -> str:
    """The first line of the template, pointing editors at the JSON Schema."""
    if not schema_url or any(ch.isspace() or not ch.isprintable() for ch in schema_url):
        raise ValueError("a schema URL or path without spaces or control characters is expected")
    return f"# yaml-language-server: $schema={schema_url}"


def answers_template(pack: Pack, schema_url: str = SCHEMA_FILE_NAME, file: str = "FILE") -> str:
    """The answers template of ``pack`` as YAML text."""
    out: list[str] = [schema_line(schema_url), "#"]
    _comment(out, 0, f"gapcheck answers file: {pack.meta.title} ({pack.name} {pack.version})")
    out.append("#")
    for line in _HEADER.format(file=file).splitlines():
        out.append(f"# {line}")
    out.append("format_version: 1")
    out.append("project:")
    _field(
        out,
        2,
        "id",
        "Stable id of the project, the same on every assessment date: letters,"
        " digits, '.', '_' or '-', starting with a letter or digit. Required.",
    )
    _field(out, 2, "name", "The project's name. Required.")
    _field(out, 2, "client", "The client organisation. Required.")
    _field(out, 0, "assessed_on", "The date of the assessment, as YYYY-MM-DD. Required.")
    _field(out, 0, "assessor", "Who runs the assessment. Required.")
    out.append("")
    out.append("# Questions about the project as a whole, answered once.")
    out.append("context:")
    _sections(out, pack, Scope.project, 2)
    out.append("")
    out.append("# The people who answer, each for themself: copy the block for each respondent.")
    out.append("respondents:")
    _field(out, 2, "- name", "The respondent's name. Required.")
    _field(out, 4, "role", "Their role on the project. Required.")
    _field(out, 4, "team", "Their team. Optional.", value=' ""')
    out.append("    answers:")
    _sections(out, pack, Scope.respondent, 6)
    return "\n".join(out) + "\n"


def _sections(out: list[str], pack: Pack, scope: Scope, indent: int) -> None:
    first = True
    for section in pack.sections:
        if section.scope is not scope:
            continue
        if not first:
            out.append("")
        first = False
        _section_heading(out, pack, section, indent)
        for question in section.questions:
            doc = describe_question(pack, pack.questions[question.id])
            out.append(" " * indent + "#")
            for number, line in enumerate(doc.lines()):
                # Choice and scale-label lines keep their indentation under "Answer:".
                _comment(out, indent, line, keep_indent=number > 0 and line.startswith("  "))
            out.append(" " * indent + f"{question.id}:")


def _section_heading(out: list[str], pack: Pack, section: Section, indent: int) -> None:
    pad = " " * indent
    out.append(f"{pad}# {'=' * 4} {_one_line(section.title)} {'=' * 4}")
    if section.description:
        _comment(out, indent, _one_line(section.description))
    if section.visible_if is not None:
        _comment(
            out,
            indent,
            f"This section applies only when {condition_in_words(pack, section.visible_if)}.",
        )


def _field(out: list[str], indent: int, key: str, note: str, value: str = "") -> None:
    _comment(out, indent + (2 if key.startswith("- ") else 0), note)
    out.append(" " * indent + f"{key}:{value}")


def _comment(out: list[str], indent: int, text: str, *, keep_indent: bool = False) -> None:
    pad = " " * indent + "# "
    lead = ""
    if keep_indent:
        lead = text[: len(text) - len(text.lstrip())]
        text = text.lstrip()
    for line in textwrap.wrap(
        _one_line(text),
        width=max(WIDTH - len(pad), 40),
        initial_indent=lead,
        subsequent_indent=lead + ("    " if keep_indent else ""),
        break_on_hyphens=False,
    ) or [""]:
        out.append(pad + line)


def _one_line(text: str) -> str:
    # Comments hold one line each: no newline or control character may end them early.
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
