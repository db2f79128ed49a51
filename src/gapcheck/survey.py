"""Import survey exports (Google Forms, Microsoft Forms CSV) into answers files.

A mapping file (YAML) says which CSV column answers which question::

    source: google_forms            # or microsoft_forms, other: separator and date formats
    columns:                        # full header text -> question id, envelope field or ignore
      Timestamp: assessed_on
      Email Address: ignore
      Project code: project.id
      What kind of project is this?: project_type
    choices:                        # question id -> {answer text: choice id}
      project_type: {Software product launch: software_launch}
    defaults: {assessor: Claire Dunmore}

Each CSV row is one respondent; rows are grouped into projects by ``project.id`` (or by the
project's name when no column gives the id), and each project becomes one answers file
``<project-id>.yaml`` with all its respondents. Answer texts are matched to choices through the
mapping, then to the choice labels and ids; multiple-choice cells are split against the known
answer texts, longest first, so a label holding the separator stays whole. Every written file
is validated with ``validate_answers`` before it is kept. A row that cannot be imported is
reported with its row number (the header is row 1, as a spreadsheet shows it) and the reason;
the other rows and projects are still written.

CSV cells are only ever read as text: nothing is evaluated. The one CSV gapcheck writes, the
problems report (``problems_csv``), prefixes any cell that a spreadsheet would take for a
formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) with ``'``.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gapcheck.answers import PROJECT_ID, validate_answers
from gapcheck.conditions import SPECIAL_ANSWERS
from gapcheck.errors import InputError, Problem
from gapcheck.fsutil import atomic_write
from gapcheck.loading import format_location, parse_document, read_document
from gapcheck.pack import Pack, Question, QuestionType, Scope

MAX_CSV_BYTES = 16 * 1_048_576
IGNORE = "ignore"
UNMATCHED = "?"

EnvelopeTarget = Literal[
    "project.id",
    "project.name",
    "project.client",
    "respondent.name",
    "respondent.role",
    "respondent.team",
    "assessed_on",
    "assessor",
]
ENVELOPE_TARGETS: tuple[str, ...] = get_args(EnvelopeTarget)


class SurveySource(str, Enum):
    google_forms = "google_forms"
    microsoft_forms = "microsoft_forms"
    other = "other"


#: Multiple-choice separator and date formats (tried in order) of each survey tool's export.
SOURCE_SEPARATORS = {
    SurveySource.google_forms: ", ",
    SurveySource.microsoft_forms: ";",
    SurveySource.other: ";",
}
SOURCE_DATE_FORMATS = {
    # Google Forms: "2025/08/20 12:51:45 PM GMT+1" (download), "8/20/2025 12:51:45" (Sheets),
    # date questions as "2025-08-20" or "8/20/2025".
    SurveySource.google_forms: (
        "%Y/%m/%d %I:%M:%S %p",
        "%Y/%m/%d %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%Y-%m-%d",
        "%m/%d/%Y",
    ),
    # Microsoft Forms (Excel export saved as CSV): "8/20/25 12:51:45", dates "8/20/2025".
    SurveySource.microsoft_forms: (
        "%m/%d/%y %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%m/%d/%y %H:%M",
        "%m/%d/%Y %H:%M",
        "%m/%d/%Y",
        "%m/%d/%y",
        "%Y-%m-%d",
    ),
    SurveySource.other: ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S"),
}

#: Answer texts that mean "don't know" / "not applicable" for any question that allows them.
SPECIAL_TEXTS = {
    "don't know": "dont_know",
    "dont know": "dont_know",
    "do not know": "dont_know",
    "dont_know": "dont_know",
    "not applicable": "not_applicable",
    "n/a": "not_applicable",
    "not_applicable": "not_applicable",
}


class SurveyMapping(BaseModel):
    """A mapping file: how the columns and answer texts of one survey export become answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: SurveySource = SurveySource.other
    #: strptime formats tried in order; default: the source's.
    date_formats: list[str] | None = Field(default=None, min_length=1)
    #: Separator of multiple-choice answers in one cell; default: the source's.
    separator: str | None = Field(default=None, min_length=1)
    columns: dict[str, str] = Field(min_length=1)
    choices: dict[str, dict[str, str]] = Field(default_factory=dict)
    defaults: dict[EnvelopeTarget, str] = Field(default_factory=dict)

    @field_validator("columns")
    @classmethod
    def _normalised_headers(cls, columns: dict[str, str]) -> dict[str, str]:
        normalised: dict[str, str] = {}
        for header, target in columns.items():
            key = normalise_header(header)
            if key in normalised:
                raise ValueError(f"the column {key!r} is mapped twice")
            normalised[key] = target
        return normalised

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.date_formats or SOURCE_DATE_FORMATS[self.source])

    @property
    def split_on(self) -> str:
        return self.separator or SOURCE_SEPARATORS[self.source]


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyTable:
    path: Path
    headers: tuple[str, ...]
    #: (row number as a spreadsheet shows it, cells); the header is row 1.
    rows: tuple[tuple[int, tuple[str, ...]], ...]


def normalise_header(text: str) -> str:
    return " ".join(text.split())


def read_survey(path: Path) -> SurveyTable:
    """Read a CSV export: UTF-8 with or without a BOM, delimiter sniffed from the header."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_CSV_BYTES + 1)
    except IsADirectoryError as error:
        raise InputError.single(path, "is a directory", expected="a CSV file") from error
    except OSError as error:
        raise InputError.single(path, f"cannot read: {error.strerror or error}") from error
    if len(raw) > MAX_CSV_BYTES:
        raise InputError.single(path, "too large", expected="a CSV file of at most 16 MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError.single(
            path,
            f"not UTF-8 (byte {error.start})",
            expected="a CSV saved as 'CSV UTF-8' (Excel) or downloaded from the survey tool",
        ) from error
    if not text.strip():
        raise InputError.single(path, "empty", expected="a header row and one row per response")
    try:
        records = list(
            csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
        )
    except csv.Error as error:
        raise InputError.single(path, f"not valid CSV: {error}") from error
    headers = tuple(normalise_header(cell) for cell in records[0])
    seen: set[str] = set()
    for header in headers:
        if header and header in seen:
            raise InputError.single(
                path, f"the column {header!r} appears twice", line=1, expected="unique headers"
            )
        seen.add(header)
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line, as spreadsheets leave at the end
        cells = tuple(record) + ("",) * (len(headers) - len(record))
        rows.append((number, cells))
    return SurveyTable(path, headers, tuple(rows))


def _delimiter(text: str) -> str:
    """The delimiter that reads the first records as a table: ',', ';' (Excel in many locales)
    or tab. ``csv.Sniffer`` alone is fooled by unquoted commas in ';'-separated question texts,
    so each candidate is tried: rows as wide as the header first, then the widest header."""
    sample = text[:65536]
    best, best_score = ",", (False, 0)
    for delimiter in (",", ";", "\t"):
        try:
            records = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter))
        except csv.Error:
            continue
        records = [r for r in records[:50] if any(cell.strip() for cell in r)]
        complete = records[:-1] if len(sample) < len(text) else records  # the last may be cut
        width = len(records[0]) if records else 0
        score = (all(len(r) == width for r in complete), width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --- the mapping -----------------------------------------------------------------------------


def load_mapping(path: Path, pack: Pack) -> SurveyMapping:
    """Read and check a mapping file against the pack; InputError listing every problem."""
    document = read_document(path)
    try:
        mapping = SurveyMapping.model_validate(document.data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = tuple(part for part in item["loc"] if isinstance(part, (str, int)))
            message = "missing" if item["type"] == "missing" else item["msg"]
            if item["type"] == "extra_forbidden":
                message = "not a field of a mapping file"
            problems.append(
                Problem(message, field=format_location(location), line=document.line_of(location))
            )
        raise InputError(path, problems) from error
    problems = []

    def problem(location: tuple[str, ...], message: str, expected: str | None = None) -> None:
        problems.append(
            Problem(
                message,
                field=format_location(location),
                line=document.line_of(location),
                expected=expected,
            )
        )

    targets: dict[str, str] = {}
    for header, target in mapping.columns.items():
        if target == IGNORE:
            continue
        if target not in pack.questions and target not in ENVELOPE_TARGETS:
            close = difflib.get_close_matches(target, [*pack.questions, *ENVELOPE_TARGETS], 1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problem(
                ("columns", header),
                f"{target!r} is not a question id, an envelope field or ignore{hint}",
                "a question id, one of " + ", ".join(ENVELOPE_TARGETS) + ", or ignore",
            )
        elif target in targets:
            problem(("columns", header), f"{target!r} is also the target of {targets[target]!r}")
        else:
            targets[target] = header
    for key, value in mapping.defaults.items():
        if value.strip() in ("", UNMATCHED):
            problem(("defaults", key), f"{value!r} is a placeholder", "a value, or no entry")
    if "project.id" not in targets and "project.name" not in targets:
        problem(
            ("columns",), "no column gives the project", "a column mapped to project.id or name"
        )
    for question_id, answers in mapping.choices.items():
        info = pack.questions.get(question_id)
        if info is None:
            problem(("choices", question_id), f"unknown question {question_id!r}")
            continue
        allowed = _answer_ids(info.question)
        for text, choice in answers.items():
            if choice not in allowed:
                problem(
                    ("choices", question_id, text),
                    f"{choice!r} is not an answer of {question_id}",
                    "one of " + ", ".join(allowed),
                )
    if problems:
        raise InputError(path, problems)
    return mapping


def _answer_ids(question: Question) -> tuple[str, ...]:
    specials = tuple(
        s for s, ok in zip(SPECIAL_ANSWERS, question.allowed_specials(), strict=True) if ok
    )
    if question.type is QuestionType.yes_no:
        return ("yes", "no", *specials)
    return (*question.choice_ids, *specials)


# --- converting cells ------------------------------------------------------------------------


def _key(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).casefold()


@dataclass
class _Answers:
    """Known answer texts of one question: mapping first, then labels, ids and specials."""

    by_text: dict[str, str]
    #: The texts a respondent could have picked, for messages.
    shown: tuple[str, ...]

    @classmethod
    def of(cls, question: Question, mapped: Mapping[str, str]) -> _Answers:
        by_text: dict[str, str] = {}
        allowed = _answer_ids(question)
        for text, special in SPECIAL_TEXTS.items():
            if special in allowed:
                by_text[text] = special
        for answer in allowed:
            by_text[_key(answer)] = answer
        for choice in question.choices:
            by_text[_key(choice.label)] = choice.id
        for text, answer in mapped.items():
            by_text[_key(text)] = answer
        labels = {"yes": "Yes", "no": "No", "dont_know": "Don't know"}
        labels |= {"not_applicable": "Not applicable", **question.choice_labels}
        shown = [text for text, answer in mapped.items() if answer in allowed]
        shown += [labels[answer] for answer in allowed if answer not in mapped.values()]
        return cls(by_text, tuple(shown))

    def get(self, text: str) -> str | None:
        return self.by_text.get(_key(text))

    def split(self, cell: str, separator: str) -> list[str]:
        """Split a multiple-choice cell against the known texts, longest first."""
        rest = " ".join(cell.split())
        texts = sorted(self.by_text, key=len, reverse=True)
        sep = separator.strip() or separator
        found: list[str] = []
        while rest:
            folded = _key(rest)
            for text in texts:
                after = folded[len(text) :]
                if folded.startswith(text) and (
                    not after.strip() or after.lstrip().startswith(sep)
                ):
                    found.append(self.by_text[text])
                    rest = rest[len(text) :].lstrip()
                    break
            else:
                piece = rest.split(sep, 1)[0].strip()
                offered = "; ".join(self.shown)
                raise ValueError(f"{piece!r} is not a known answer (expected any of: {offered})")
            if rest.startswith(sep):
                rest = rest[len(sep) :].lstrip()
        return found


def parse_date(text: str, formats: Sequence[str]) -> dt.date:
    """A date from a survey export, with or without a time and a trailing time zone."""
    cleaned = re.sub(r"\s+(GMT|UTC)([+-]\d{1,2}(:?\d{2})?)?$", "", text.strip())
    cleaned = re.sub(r"\s+[A-Z]{2,5}$", "", cleaned) if cleaned[-1:].isalpha() else cleaned
    for candidate in (cleaned, text.strip()):
        for date_format in formats:
            try:
                return dt.datetime.strptime(candidate, date_format).date()
            except ValueError:
                continue
    raise ValueError(f"{text!r} is not a date in a known format ({', '.join(formats)})")


def convert_cell(question: Question, cell: str, answers: _Answers, mapping: SurveyMapping) -> Any:
    """One CSV cell as an answer value (the value is validated later); ValueError if it can't."""
    text = cell.strip()
    special = answers.get(text)
    if special in SPECIAL_ANSWERS:
        return special
    kind = question.type
    if kind in (QuestionType.yes_no, QuestionType.single_choice):
        if special is None:
            offered = "; ".join(answers.shown)
            raise ValueError(f"{text!r} is not a known answer (expected one of: {offered})")
        return special
    if kind is QuestionType.multiple_choice:
        return answers.split(text, mapping.split_on)
    if kind in (QuestionType.scale, QuestionType.number):
        number = text.replace("\u00a0", "").replace(" ", "")
        try:
            return int(number)
        except ValueError:
            pass
        try:
            return float(number)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    if kind is QuestionType.date:
        return parse_date(text, mapping.formats)
    return cell  # free text, kept exactly as written (a leading '=' included)


# --- importing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int | None  # None: a problem of a whole project
    project: str
    message: str

    def describe(self) -> str:
        where = f"row {self.row}" if self.row is not None else f"project {self.project}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class WrittenProject:
    project_id: str
    path: Path
    rows: tuple[int, ...]


@dataclass
class ImportResult:
    written: list[WrittenProject] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    rows: int = 0

    @property
    def imported_rows(self) -> int:
        return sum(len(written.rows) for written in self.written)


@dataclass
class _Row:
    number: int
    envelope: dict[str, Any]
    context: dict[str, Any]
    answers: dict[str, Any]


_RESERVED_NAMES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))} | {
    f"lpt{i}" for i in range(10)
}


def project_id_of(text: str) -> str:
    """A project id from a cell: lower case, runs of other characters as '-'."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.strip().casefold()).strip("-._")[:100]
    return slug.rstrip("-._")


def file_name_for(project_id: str) -> str:
    """``<project-id>.yaml``; a name Windows reserves (con, nul, ...) gets a ``project-`` prefix."""
    reserved = project_id.split(".", maxsplit=1)[0] in _RESERVED_NAMES
    stem = f"project-{project_id}" if reserved else project_id
    return f"{stem}.yaml"


def import_survey(
    table: SurveyTable,
    mapping: SurveyMapping,
    pack: Pack,
    out_dir: Path,
    *,
    force: bool = False,
) -> ImportResult:
    """Write one answers file per project of ``table`` into ``out_dir``; report bad rows."""
    _check_columns(table, mapping)
    result = ImportResult(rows=len(table.rows))
    columns = [
        (index, mapping.columns[header]) for index, header in enumerate(table.headers) if header
    ]
    known = {
        target: _Answers.of(pack.questions[target].question, mapping.choices.get(target, {}))
        for _, target in columns
        if target in pack.questions
    }
    projects: dict[str, list[_Row]] = {}
    for number, cells in table.rows:
        row = _read_row(number, cells, columns, mapping, pack, known, result)
        if row is None:
            continue
        projects.setdefault(row.envelope["project.id"], []).append(row)
    for project_id, rows in projects.items():
        _write_project(project_id, rows, table.path.name, pack, out_dir, force, result)
    result.problems.sort(key=lambda p: (p.row is None, p.row or 0, p.project))
    return result


def _check_columns(table: SurveyTable, mapping: SurveyMapping) -> None:
    mapped = mapping.columns
    unmapped = [header for header in table.headers if header and header not in mapped]
    missing = [header for header in mapped if header not in table.headers]
    problems = []
    if unmapped:
        problems.append(
            Problem(
                "columns not in the mapping: " + "; ".join(map(repr, unmapped)),
                line=1,
                expected="each column mapped to a question id, an envelope field or ignore",
            )
        )
    if missing:
        problems.append(
            Problem(
                "mapped columns not in the file: " + "; ".join(map(repr, missing)),
                line=1,
                expected="the exact header texts of this export",
            )
        )
    if problems:
        raise InputError(table.path, problems)


def _read_row(
    number: int,
    cells: Sequence[str],
    columns: Sequence[tuple[int, str]],
    mapping: SurveyMapping,
    pack: Pack,
    known: Mapping[str, _Answers],
    result: ImportResult,
) -> _Row | None:
    envelope: dict[str, Any] = {str(key): value for key, value in mapping.defaults.items()}
    context: dict[str, Any] = {}
    answers: dict[str, Any] = {}
    reasons: list[str] = []
    for index, target in columns:
        cell = cells[index] if index < len(cells) else ""
        if target == IGNORE or not cell.strip():
            continue
        if target in ENVELOPE_TARGETS:
            envelope[target] = " ".join(cell.split())
            continue
        info = pack.questions[target]
        try:
            value = convert_cell(info.question, cell, known[target], mapping)
        except ValueError as error:
            reasons.append(f"{target}: {error}")
            continue
        (context if info.section.scope is Scope.project else answers)[target] = value
    raw_id = envelope.get("project.id") or envelope.get("project.name") or ""
    project_id = project_id_of(str(raw_id))
    if not raw_id:
        reasons.insert(0, "no project given")
    elif not re.match(PROJECT_ID, project_id):
        reasons.insert(0, f"{raw_id!r} cannot be made a project id")
    envelope["project.id"] = project_id
    if "assessed_on" in envelope and not isinstance(envelope["assessed_on"], dt.date):
        try:
            envelope["assessed_on"] = parse_date(envelope["assessed_on"], mapping.formats)
        except ValueError as error:
            reasons.append(f"assessed_on: {error}")
    if not envelope.get("respondent.role"):
        reasons.append("respondent.role: empty, and the mapping's defaults give none")
    if not envelope.get("respondent.name") or envelope["respondent.name"].casefold() in (
        "anonymous",
    ):
        envelope["respondent.name"] = f"Respondent (row {number})"
    if reasons:
        for reason in reasons:
            result.problems.append(RowProblem(number, project_id or "?", reason))
        return None
    return _Row(number, envelope, context, answers)


def _document(rows: Sequence[_Row], context: Mapping[str, Any], project_id: str) -> dict[str, Any]:
    def first(key: str) -> Any:
        return next((row.envelope[key] for row in rows if row.envelope.get(key)), None)

    dates = [row.envelope["assessed_on"] for row in rows if row.envelope.get("assessed_on")]
    return {
        "format_version": 1,
        "project": {
            "id": project_id,
            "name": first("project.name") or first("project.id"),
            "client": first("project.client"),
        },
        "assessed_on": max(dates) if dates else None,
        "assessor": first("assessor"),
        "context": dict(context),
        "respondents": [
            {
                "name": row.envelope["respondent.name"],
                "role": row.envelope.get("respondent.role"),
                "team": row.envelope.get("respondent.team", ""),
                "answers": row.answers,
            }
            for row in rows
        ],
    }


def _dump(document: Mapping[str, Any], source: str, rows: Sequence[int]) -> bytes:
    numbers = ", ".join(str(number) for number in rows)
    header = f"# Imported by gapcheck import from {source} (rows {numbers}).\n"
    body = yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return (header + body).encode()


def _validate(data: bytes, path: Path, pack: Pack) -> list[Problem]:
    try:
        validate_answers(parse_document(data, path), pack)
    except InputError as error:
        return list(error.problems)
    return []


def _write_project(
    project_id: str,
    rows: list[_Row],
    table_name: str,
    pack: Pack,
    out_dir: Path,
    force: bool,
    result: ImportResult,
) -> None:
    path = out_dir / file_name_for(project_id)
    source = "".join(ch if ch.isprintable() else "?" for ch in table_name)
    # Context answers: the first given wins; a row that contradicts it is not imported.
    context: dict[str, Any] = {}
    given_by: dict[str, int] = {}
    kept: list[_Row] = []
    for row in rows:
        clash = [
            f"{qid}: {value!r} differs from {context[qid]!r} given in row {given_by[qid]}"
            for qid, value in row.context.items()
            if qid in context and context[qid] != value
        ]
        if clash:
            for message in clash:
                result.problems.append(RowProblem(row.number, project_id, message))
            continue
        for qid, value in row.context.items():
            context.setdefault(qid, value)
            given_by.setdefault(qid, row.number)
        kept.append(row)
    # Each respondent alone, with the project's context: a row's own problems are its own.
    good: list[_Row] = []
    for row in kept:
        alone = _dump(_document([row], context, project_id), source, [row.number])
        problems = [
            p for p in _validate(alone, path, pack) if (p.field or "").startswith("respondents")
        ]
        if problems:
            for item in problems:
                result.problems.append(RowProblem(row.number, project_id, _problem_text(item)))
        else:
            good.append(row)
    if not good:
        return
    data = _dump(_document(good, context, project_id), source, [row.number for row in good])
    problems = _validate(data, path, pack)
    if problems:
        numbers = ", ".join(str(row.number) for row in good)
        for item in problems:
            text = _problem_text(item)
            result.problems.append(RowProblem(None, project_id, f"(rows {numbers}) {text}"))
        return
    if path.exists() and not force:
        result.problems.append(
            RowProblem(None, project_id, f"{path} already exists; pass --force to replace it")
        )
        return
    atomic_write(path, data)
    result.written.append(WrittenProject(project_id, path, tuple(row.number for row in good)))


def _problem_text(problem: Problem) -> str:
    """A validation problem of a generated file, named by question (no file lines)."""
    where = (problem.field or "").replace("respondents[0].answers.", "")
    where = where.replace("respondents[0].", "respondent.")
    text = f"{where}: {problem.message}" if where else problem.message
    return text + (f" (expected {problem.expected})" if problem.expected else "")


# --- the problems report (the one CSV gapcheck writes) ---------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet cannot take for a formula: a leading ``'`` where one could start."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def problems_csv(problems: Sequence[RowProblem]) -> bytes:
    """The problems as CSV (row, project, problem), every text cell spreadsheet-safe."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["row", "project", "problem"])
    for item in problems:
        writer.writerow(
            [
                item.row if item.row is not None else "",
                spreadsheet_safe(item.project),
                spreadsheet_safe(item.message),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode()


# --- drafting a mapping (--init) ---------------------------------------------------------------

_KNOWN_HEADERS: dict[str, str] = {
    "timestamp": "assessed_on",
    "completion time": "assessed_on",
    "id": IGNORE,
    "start time": IGNORE,
    "email address": IGNORE,
    "email": IGNORE,
    "name": "respondent.name",
    "last modified time": IGNORE,
    "total points": IGNORE,
    "score": IGNORE,
}
_ENVELOPE_HEADERS: dict[str, str] = {
    "project id": "project.id",
    "project code": "project.id",
    "project": "project.name",
    "project name": "project.name",
    "client": "project.client",
    "client organisation": "project.client",
    "client organization": "project.client",
    "your name": "respondent.name",
    "your role": "respondent.role",
    "your role on the project": "respondent.role",
    "role": "respondent.role",
    "your team": "respondent.team",
    "team": "respondent.team",
    "assessor": "assessor",
}


@dataclass(frozen=True)
class MappingDraft:
    text: str
    source: SurveySource
    unmatched_columns: tuple[str, ...]
    #: (question id, answer text) pairs the draft could not match to a choice.
    unmatched_answers: tuple[tuple[str, str], ...]


def detect_source(headers: Sequence[str]) -> SurveySource:
    if headers[:1] == ("Timestamp",):
        return SurveySource.google_forms
    if tuple(headers[:3]) == ("ID", "Start time", "Completion time"):
        return SurveySource.microsoft_forms
    return SurveySource.other


def match_header(header: str, pack: Pack) -> str | None:
    """The target a header most likely means: a known column, an envelope field or a question."""
    key = _key(header).rstrip(" :?*")
    if key in _KNOWN_HEADERS:
        return _KNOWN_HEADERS[key]
    by_text = {_key(info.question.text): qid for qid, info in pack.questions.items()}
    if _key(header) in by_text:
        return by_text[_key(header)]
    close = difflib.get_close_matches(_key(header), list(by_text), n=1, cutoff=0.85)
    if close:
        return by_text[close[0]]
    close = difflib.get_close_matches(key, list(_ENVELOPE_HEADERS), n=1, cutoff=0.85)
    return _ENVELOPE_HEADERS[close[0]] if close else None


def draft_mapping(table: SurveyTable, pack: Pack) -> MappingDraft:
    """A mapping drafted from the headers (matched to question texts) and the answers found."""
    source = detect_source(table.headers)
    columns: dict[str, str] = {}
    unmatched: list[str] = []
    used: set[str] = set()
    for header in table.headers:
        if not header:
            continue
        target = match_header(header, pack)
        if target is None or (target != IGNORE and target in used):
            unmatched.append(header)
            columns[header] = UNMATCHED
            continue
        used.add(target)
        columns[header] = target
    provisional = SurveyMapping(source=source, columns={"x": IGNORE})
    unmatched_answers: list[tuple[str, str]] = []
    for index, header in enumerate(table.headers):
        info = pack.questions.get(columns.get(header, ""))
        if info is None or info.question.type not in (
            QuestionType.yes_no,
            QuestionType.single_choice,
            QuestionType.multiple_choice,
        ):
            continue
        known = _Answers.of(info.question, {})
        found: dict[str, str] = {}
        for _, cells in table.rows:
            cell = cells[index].strip() if index < len(cells) else ""
            if not cell:
                continue
            pieces = [cell]
            if info.question.type is QuestionType.multiple_choice:
                try:
                    known.split(cell, provisional.split_on)
                except ValueError:
                    pieces = [p.strip() for p in cell.split(provisional.split_on.strip())]
                else:
                    continue
            for piece in pieces:
                answer = known.get(piece)
                if answer is None and piece not in found:
                    unmatched_answers.append((info.question.id, piece))
                found.setdefault(piece, answer or UNMATCHED)
    unmatched_choices: dict[str, dict[str, str]] = {}
    for question_id, text in unmatched_answers:
        unmatched_choices.setdefault(question_id, {})[text] = UNMATCHED
    lines = [
        "# Survey mapping drafted by gapcheck import --init: check every line.",
        f'# "{UNMATCHED}" marks what could not be matched: replace it with a question id, an',
        "# envelope field (" + ", ".join(ENVELOPE_TARGETS[:4]) + ",",
        "# " + ", ".join(ENVELOPE_TARGETS[4:]) + ") or ignore; in choices, with a choice id.",
        "# Answer texts equal to a choice's label (or Yes, No, Don't know, Not applicable) need no",
        "# entry in choices. Then: gapcheck import SURVEY.csv --map THIS-FILE -o answers/",
        f"source: {source.value}",
        "columns:",
        *(f"  {_quoted(header)}: {_quoted(target)}" for header, target in columns.items()),
    ]
    if unmatched_choices:
        lines.append("choices:")
        for question_id, texts in unmatched_choices.items():
            lines.append(f"  {question_id}:")
            lines.extend(f"    {_quoted(text)}: {_quoted(value)}" for text, value in texts.items())
    lines += ["defaults:", f"  assessor: {_quoted(UNMATCHED)}  # who runs the assessment"]
    return MappingDraft(
        text="\n".join(lines) + "\n",
        source=source,
        unmatched_columns=tuple(unmatched),
        unmatched_answers=tuple(unmatched_answers),
    )


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is a subset of it)."""
    return json.dumps(text, ensure_ascii=False)
