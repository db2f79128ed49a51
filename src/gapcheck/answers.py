"""Answers files: the envelope model and validation of every answer against the questionnaire.

An answers file (YAML or JSON)::

    format_version: 1
    project: {id: acme-crm, name: ACME CRM launch, client: ACME Corp}
    assessed_on: 2026-11-20
    assessor: Jane Doe
    context:            # the project-scoped questions, answered once
      project_type: software_launch
    respondents:        # one or more people, each answering the respondent questions
      - {name: Dana Lee, role: Implementation lead, team: Platform, answers: {...}}

Every problem in a file is collected and reported at once, each with its field and line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gapcheck.conditions import SPECIAL_ANSWERS, AnswerState, AnswerValue
from gapcheck.errors import InputError, Problem
from gapcheck.loading import Document, format_location, refuse_other_kind
from gapcheck.pack import NOT_PLAIN, AnswerCheck, AnswerPlan, Pack, QuestionInfo, Scope

FORMAT_VERSION = 1
PROJECT_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
MAX_RESPONDENTS = 50
#: The longest name, role, team, assessor, project name or client.
MAX_TEXT_LENGTH = 200


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ProjectInfo(_Strict):
    id: str = Field(pattern=PROJECT_ID, description="Stable id: the same project on every date.")
    name: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    client: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class RespondentEntry(_Strict):
    name: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    role: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    team: str = Field(default="", max_length=MAX_TEXT_LENGTH)
    answers: dict[str, Any] = Field(default_factory=dict)

    @field_validator("team", mode="before")
    @classmethod
    def _no_team(cls, value: Any) -> Any:
        # The team is optional: an empty `team:` in YAML means none.
        return "" if value is None else value


class AnswersEnvelope(_Strict):
    format_version: Literal[1]
    project: ProjectInfo
    assessed_on: dt.date
    assessor: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)
    context: dict[str, Any] = Field(default_factory=dict)
    respondents: list[RespondentEntry] = Field(min_length=1, max_length=MAX_RESPONDENTS)


@dataclass(frozen=True)
class AnswerSet:
    """Normalised answers of one respondent, or of the project's context questions."""

    values: Mapping[str, AnswerValue]
    states: Mapping[str, AnswerState]

    def state(self, question_id: str) -> AnswerState:
        return self.states.get(question_id, AnswerState.missing)


@dataclass(frozen=True)
class Respondent:
    name: str
    role: str
    team: str
    answers: AnswerSet

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})"


@dataclass(frozen=True)
class Answers:
    """A validated answers file, every value of its question's one type."""

    path: Path | None
    sha256: str
    project: ProjectInfo
    assessed_on: dt.date
    assessor: str
    context: AnswerSet
    respondents: tuple[Respondent, ...]


def _envelope_problems(error: ValidationError, document: Document) -> list[Problem]:
    problems = []
    for item in error.errors():
        location = tuple(part for part in item["loc"] if isinstance(part, (str, int)))
        message = item["msg"]
        expected = None
        if item["type"] == "missing" or item.get("input", ...) is None:
            message = "missing"
        elif item["type"] == "extra_forbidden":
            message = "not a field of an answers file"
            expected = _envelope_expectation(location[:-1])
        elif item["type"] == "literal_error" and location == ("format_version",):
            message = f"unsupported format version {item.get('input')!r}"
            expected = str(FORMAT_VERSION)
        elif item["type"] == "string_pattern_mismatch":
            message = "not a valid project id"
            expected = "letters, digits, '.', '_' or '-', starting with a letter or digit"
        problems.append(
            Problem(
                message,
                field=format_location(location),
                line=document.line_of(location),
                expected=expected,
            )
        )
    return problems


def _envelope_expectation(parent: Sequence[str | int]) -> str:
    models: dict[tuple[str, ...], type[BaseModel]] = {
        (): AnswersEnvelope,
        ("project",): ProjectInfo,
    }
    key = tuple(str(part) for part in parent if isinstance(part, str))
    model = models.get(key, RespondentEntry if key == ("respondents",) else AnswersEnvelope)
    return "one of " + ", ".join(model.model_fields)


def validate_answers(document: Document, pack: Pack) -> Answers:
    """Validate a loaded document against the pack; raise InputError listing every problem."""
    if not isinstance(document.data, dict):
        raise InputError.single(
            document.path,
            f"expected a mapping at the top level, found {type(document.data).__name__}",
        )
    answers = _validate_plain(document, pack)
    if answers is not None:
        return answers
    return _validate_thoroughly(document, pack)


def _validate_thoroughly(document: Document, pack: Pack) -> Answers:
    """Validate with pydantic and per-question checks that collect every problem and its line.

    The reference for ``_validate_plain``: equal results for valid files, and the only path
    that reports problems.
    """
    data = document.data
    refuse_other_kind(data, document.path)
    try:
        envelope = AnswersEnvelope.model_validate(data)
    except ValidationError as error:
        # Check the answers too, wherever they are well formed, so one run lists every problem
        # (an untouched `gapcheck new` template: the empty details and every missing answer).
        problems = _envelope_problems(error, document)
        raw_context = data.get("context")
        raw_respondents = data.get("respondents")
        _validate_answers(
            document,
            pack,
            raw_context if isinstance(raw_context, dict) else {},
            [
                entry.get("answers") if isinstance(entry, dict) else None
                for entry in (raw_respondents if isinstance(raw_respondents, list) else [])
            ],
            problems,
        )
        raise InputError(document.path, _in_file_order(problems)) from error

    problems = []
    context, answer_sets = _validate_answers(
        document,
        pack,
        envelope.context,
        [entry.answers for entry in envelope.respondents],
        problems,
    )
    if problems:
        raise InputError(document.path, problems)
    respondents = [
        Respondent(entry.name, entry.role, entry.team, answer_set)
        for entry, answer_set in zip(envelope.respondents, answer_sets, strict=True)
    ]
    return Answers(
        path=document.path,
        sha256=document.sha256,
        project=envelope.project,
        assessed_on=envelope.assessed_on,
        assessor=envelope.assessor,
        context=context,
        respondents=tuple(respondents),
    )


# --- The fast path ------------------------------------------------------------------------------
#
# Almost every file is valid, and for a valid file pydantic and the per-question bookkeeping of
# the thorough path (problem lists, did-you-mean, a copy of every answer mapping) cost several
# times what the checks themselves do. ``_validate_plain`` accepts only what is plainly valid,
# where the thorough path is certain to return an equal ``Answers``; at the first doubt it
# returns None and the thorough path runs, to report the problems exactly as it always has.

_ENVELOPE_FIELDS = frozenset(AnswersEnvelope.model_fields)
_REQUIRED_ENVELOPE_FIELDS = frozenset(
    name for name, info in AnswersEnvelope.model_fields.items() if info.is_required()
)
_RESPONDENT_FIELDS = frozenset(RespondentEntry.model_fields)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_EMPTY_ANSWERS: tuple[Any, ...] = ("", [])
_ANSWERED = AnswerState.answered
_ABSENT: Any = object()


def _validate_plain(document: Document, pack: Pack) -> Answers | None:
    """The ``Answers`` of a plainly valid file (equal to the thorough path's); None if in doubt."""
    data: dict[str, Any] = document.data
    if not (data.keys() <= _ENVELOPE_FIELDS and data.keys() >= _REQUIRED_ENVELOPE_FIELDS):
        return None
    format_version = data["format_version"]
    project = data["project"]
    assessed_on = _plain_date(data["assessed_on"])
    assessor = data["assessor"]
    context_answers = data.get("context", _ABSENT)
    entries = data["respondents"]
    if (
        type(format_version) is not int
        or format_version != FORMAT_VERSION
        or type(project) is not dict
        or assessed_on is None
        or not _plain_text(assessor, 1)
        or not (context_answers is _ABSENT or type(context_answers) is dict)
        or type(entries) is not list
        or not 1 <= len(entries) <= MAX_RESPONDENTS
    ):
        return None
    try:
        project_info = ProjectInfo.model_validate(project)
    except ValidationError:
        return None
    plans = pack.answer_plans
    context = _plain_answer_set(
        {} if context_answers is _ABSENT else context_answers, plans[Scope.project], None
    )
    if context is None:
        return None
    respondent_plan = plans[Scope.respondent]
    # The same for every respondent: which questions the project's answers leave to answer.
    applicable = respondent_plan.applicable(context.values, context.states)
    respondents = []
    for entry in entries:
        if type(entry) is not dict or not entry.keys() <= _RESPONDENT_FIELDS:
            return None
        name = entry.get("name", _ABSENT)
        role = entry.get("role", _ABSENT)
        team = entry.get("team")
        answers = entry.get("answers", _ABSENT)
        if team is None:  # absent, or an empty `team:`: no team
            team = ""
        if not (
            _plain_text(name, 1)
            and _plain_text(role, 1)
            and _plain_text(team, 0)
            and (answers is _ABSENT or type(answers) is dict)
        ):
            return None
        answer_set = _plain_answer_set(
            {} if answers is _ABSENT else answers, respondent_plan, context, applicable
        )
        if answer_set is None:
            return None
        respondents.append(Respondent(name, role, team, answer_set))
    return Answers(
        path=document.path,
        sha256=document.sha256,
        project=project_info,
        assessed_on=assessed_on,
        assessor=assessor,
        context=context,
        respondents=tuple(respondents),
    )


def _plain_text(value: Any, min_length: int) -> bool:
    """Whether pydantic takes ``value`` as it is for a stripped str field of these lengths.

    pydantic strips fewer characters than str.strip (not U+001C to U+001F), so a value that
    str.strip leaves alone pydantic leaves alone too; it refuses lone surrogates.
    """
    return (
        type(value) is str
        and min_length <= len(value) <= MAX_TEXT_LENGTH
        and value.strip() == value
        and (value.isascii() or _SURROGATE.search(value) is None)
    )


def _plain_date(value: Any) -> dt.date | None:
    """The date pydantic makes of a date or a YYYY-MM-DD string; None for anything else."""
    if type(value) is dt.date:
        return value
    if type(value) is str and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _plain_answer_set(
    raw: dict[str, Any],
    plan: AnswerPlan,
    context: AnswerSet | None,
    applicable: tuple[Sequence[AnswerCheck], frozenset[str]] | None = None,
) -> AnswerSet | None:
    """``_validate_set`` for answers without a problem; None at the first problem.

    ``applicable``: ``plan.applicable`` for the context, if already known.
    """
    if not raw.keys() <= plan.question_ids:
        return None  # unknown questions, or questions of the other scope
    base_values = context.values if context is not None else {}
    base_states = context.states if context is not None else {}
    if applicable is None:
        applicable = plan.applicable(base_values, base_states)
    checks, hidden = applicable
    if not hidden.isdisjoint(raw.keys()) and any(
        not (raw[question_id] is None or raw[question_id] in _EMPTY_ANSWERS)
        for question_id in hidden.intersection(raw.keys())
    ):
        return None  # an answer to a question that does not apply
    # Conditions left to test here read this set's answers and the project's, so the project's
    # are put in first (the two share no question) and taken out at the end; what remains is in
    # questionnaire order, as in _validate_set.
    merged = plan.reads_own_answers and context is not None
    values: dict[str, AnswerValue] = dict(base_values) if merged else {}
    states: dict[str, AnswerState] = dict(base_states) if merged else {}
    for question_id, required, visible, normalise, specials in checks:
        value = raw.get(question_id)
        # Only a falsy value can be empty ("" or []): the usual, truthy one skips the test.
        if not value and (value is None or value in _EMPTY_ANSWERS):
            if required and (visible is None or visible(values, states)):
                return None
            continue
        if visible is not None and not visible(values, states):
            return None
        normalised = normalise(value)
        if normalised is NOT_PLAIN:
            # A special answer the question takes, else something to check thoroughly (a
            # truthy value that is not plain data goes this way too, so it is never taken for
            # an empty one above).
            state = specials.get(value) if type(value) is str else None
            if state is None:
                return None
            states[question_id] = state
            continue
        values[question_id] = normalised
        states[question_id] = _ANSWERED
    if merged:
        for question_id in base_values:
            del values[question_id]
        for question_id in base_states:
            del states[question_id]
    return AnswerSet(values, states)


def _validate_answers(
    document: Document,
    pack: Pack,
    context_answers: Mapping[str, Any],
    respondent_answers: Sequence[Mapping[str, Any] | None],
    problems: list[Problem],
) -> tuple[AnswerSet, list[AnswerSet]]:
    """Validate the context's answers, then each respondent's (None: not a mapping, skipped)."""
    project_infos = pack.questions_by_scope[Scope.project]
    respondent_infos = pack.questions_by_scope[Scope.respondent]
    context = _validate_set(
        pack,
        context_answers,
        project_infos,
        respondent_infos,
        ("context",),
        None,
        document,
        problems,
    )
    answer_sets = []
    for index, answers in enumerate(respondent_answers):
        if not isinstance(answers, Mapping):
            answer_sets.append(AnswerSet({}, {}))
            continue
        answer_sets.append(
            _validate_set(
                pack,
                answers,
                respondent_infos,
                project_infos,
                ("respondents", index, "answers"),
                context,
                document,
                problems,
            )
        )
    return context, answer_sets


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: problem.line or 0)


def _validate_set(
    pack: Pack,
    raw: Mapping[str, Any],
    infos: Mapping[str, QuestionInfo],
    other_scope: Mapping[str, QuestionInfo],
    location: tuple[str | int, ...],
    context: AnswerSet | None,
    document: Document,
    problems: list[Problem],
) -> AnswerSet:
    values: dict[str, AnswerValue] = {}
    states: dict[str, AnswerState] = {}
    given: dict[str, Any] = {}

    def problem(question_id: str | None, message: str, expected: str | None = None) -> None:
        where = (*location, question_id) if question_id else location
        problems.append(
            Problem(
                message,
                field=format_location(where),
                line=document.line_of(where),
                expected=expected,
            )
        )

    for question_id, value in raw.items():
        if question_id in infos:
            given[question_id] = value
            continue
        if question_id in other_scope:
            home = "each respondent's answers" if location == ("context",) else "context"
            problem(question_id, f"'{question_id}' is answered under {home}, not here")
            continue
        suggestion = difflib.get_close_matches(question_id, list(infos), n=1, cutoff=0.6)
        hint = f"; did you mean '{suggestion[0]}'?" if suggestion else ""
        problem(question_id, f"unknown question '{question_id}'{hint}")

    # Visibility is decided in questionnaire order, over the project's answers and earlier ones.
    visible_values: dict[str, AnswerValue] = dict(context.values) if context else {}
    visible_states: dict[str, AnswerState] = dict(context.states) if context else {}
    for question_id, info in infos.items():
        question = info.question
        visible = pack.visible(question_id, visible_values, visible_states)
        value = given.get(question_id)
        if value is None or value in ("", []):
            if visible and question.required:
                problem(question_id, "required answer missing", question.expected())
            continue
        if not visible:
            problem(
                question_id,
                "answered, but the question does not apply to this project"
                " (its visible_if condition is false); remove the answer",
            )
            continue
        if isinstance(value, str) and value in SPECIAL_ANSWERS:
            allowed = dict(zip(SPECIAL_ANSWERS, question.allowed_specials(), strict=True))
            if not allowed[value]:
                problem(question_id, f"'{value}' is not allowed here", question.expected())
                continue
            states[question_id] = AnswerState(value)
            visible_states[question_id] = AnswerState(value)
            continue
        try:
            normalised = question.normalise(value)
        except ValueError as error:
            problem(question_id, f"{_shown(value)}: {error}", question.expected())
            continue
        values[question_id] = normalised
        states[question_id] = AnswerState.answered
        visible_values[question_id] = normalised
        visible_states[question_id] = AnswerState.answered
    return AnswerSet(values, states)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
