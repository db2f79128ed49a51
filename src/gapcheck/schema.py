"""The JSON Schema of an answers file for a pack, and the one description of each question.

The envelope (format_version, project, assessed_on, assessor, respondents) comes from the
pydantic models in ``gapcheck.answers``; ``context`` and each respondent's ``answers`` get one
property per question of their scope, built from the pack: enums of choice ids (plus
``dont_know`` / ``not_applicable`` where the question allows them), numbers with their bounds,
dates as ``format: date``, multiple choice as arrays of unique choice ids. An empty answer
(``null``) is allowed everywhere, as in ``validate_answers``, where it counts as unanswered.

What the schema cannot say (a required answer is missing, a question does not apply to this
project) is checked by ``gapcheck assess``; the schema is for editors and other tools.

:func:`describe_question` is the one description of a question (text, help, allowed answers
from ``Question.expected()``, choices, whether it is required, when it applies); the schema's
``description`` fields and the answers template (``gapcheck.template``) both use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from gapcheck.answers import AnswersEnvelope
from gapcheck.conditions import (
    SPECIAL_ANSWERS,
    All,
    AnyOf,
    Compare,
    ConditionNode,
    Not,
    StateIs,
)
from gapcheck.pack import Pack, Question, QuestionInfo, QuestionType, Scope

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_FILE_NAME = "answers.schema.json"


@dataclass(frozen=True)
class QuestionDoc:
    """Everything a person (or an editor) needs to answer one question."""

    id: str
    text: str
    help: str
    #: What a valid answer looks like: ``Question.expected()``.
    answer: str
    #: (choice id, label) of a choice question; empty otherwise.
    choices: tuple[tuple[str, str], ...]
    #: Labels of a scale's levels, e.g. ``1: Opposed or unaware``.
    scale_labels: tuple[tuple[int, str], ...]
    unit: str
    required: bool
    #: When the question applies, in plain words ("only when phase is execution"); None: always.
    applies: str | None

    def lines(self) -> list[str]:
        """The description as lines of text: question, help, answer, choices, when."""
        lines = [self.text]
        if self.help:
            lines.append(self.help)
        lines.append(f"Answer: {self.answer}")
        if self.unit:
            lines.append(f"Unit: {self.unit}")
        lines.extend(f"  {choice_id}: {label}" for choice_id, label in self.choices)
        lines.extend(f"  {level}: {label}" for level, label in self.scale_labels)
        status = "Required" if self.required else "Optional"
        lines.append(f"{status}, {self.applies}." if self.applies else f"{status}.")
        return lines


def describe_question(pack: Pack, info: QuestionInfo) -> QuestionDoc:
    """The one description of a question, shared by the JSON Schema and the template."""
    question = info.question
    conditions = [c for c in (info.section.visible_if, question.visible_if) if c is not None]
    applies = None
    if conditions:
        applies = "only when " + " and ".join(condition_in_words(pack, c) for c in conditions)
    return QuestionDoc(
        id=question.id,
        text=_one_line(question.text),
        help=_one_line(question.help),
        answer=question.expected(),
        choices=tuple((choice.id, choice.label) for choice in question.choices),
        scale_labels=tuple(sorted(question.scale_labels.items())),
        unit=question.unit,
        required=question.required,
        applies=applies,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


_COMPARISON_WORDS = {
    "eq": "is",
    "ne": "is not",
    "lt": "is below",
    "lte": "is at most",
    "gt": "is above",
    "gte": "is at least",
    "has": "includes",
}

_STATE_WORDS = {
    "answered": "is answered",
    "dont_know": "is answered dont_know",
    "not_applicable": "is answered not_applicable",
    "missing": "is not answered",
}


def condition_in_words(pack: Pack, condition: ConditionNode) -> str:
    """A ``visible_if`` condition in plain words: ``phase is implementation or execution``."""
    if isinstance(condition, All):
        return " and ".join(_grouped(pack, child) for child in condition.all)
    if isinstance(condition, AnyOf):
        return " or ".join(_grouped(pack, child) for child in condition.any)
    if isinstance(condition, Not):
        return f"not ({condition_in_words(pack, condition.not_)})"
    if isinstance(condition, StateIs):
        return f"{condition.q} {_STATE_WORDS[condition.state.value]}"
    if isinstance(condition, Compare):
        operand = pack.operand(condition)
        if condition.op == "in":
            return f"{condition.q} is {_either(_shown(v) for v in operand)}"
        return f"{condition.q} {_COMPARISON_WORDS[condition.op]} {_shown(operand)}"
    raise TypeError(f"{type(condition).__name__} cannot appear in visible_if")


def _grouped(pack: Pack, condition: ConditionNode) -> str:
    text = condition_in_words(pack, condition)
    return f"({text})" if isinstance(condition, (All, AnyOf)) else text


def _either(values: Iterable[str]) -> str:
    items = list(values)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- the JSON Schema -----------------------------------------------------------------------------


def answer_schema(pack: Pack, info: QuestionInfo) -> dict[str, Any]:
    """The JSON Schema of one answer: its value, a special answer where allowed, or null."""
    question = info.question
    doc = describe_question(pack, info)
    specials = [s for s, ok in zip(SPECIAL_ANSWERS, question.allowed_specials(), strict=True) if ok]
    alternatives: list[dict[str, Any]] = [_value_schema(question)]
    if specials:
        alternatives.append({"enum": specials, "description": "no real answer"})
    alternatives.append({"type": "null", "description": "not answered yet"})
    return {
        "title": doc.text,
        "description": "\n".join(doc.lines()[1:]),
        "anyOf": alternatives,
    }


def _value_schema(question: Question) -> dict[str, Any]:
    kind = question.type
    if kind is QuestionType.yes_no:
        # YAML 1.1 readers (PyYAML) read a bare yes/no as a boolean, YAML 1.2 ones as text.
        return {"enum": ["yes", "no", True, False]}
    if kind is QuestionType.scale:
        return {"type": "integer", "minimum": 1, "maximum": 5}
    if kind is QuestionType.number:
        schema: dict[str, Any] = {"type": "integer" if question.integer else "number"}
        if question.min is not None:
            schema["minimum"] = _number(question.min)
        if question.max is not None:
            schema["maximum"] = _number(question.max)
        return schema
    if kind is QuestionType.single_choice:
        return {"enum": list(question.choice_ids)}
    if kind is QuestionType.multiple_choice:
        one = {"enum": list(question.choice_ids)}
        return {
            "anyOf": [
                {"type": "array", "items": one, "uniqueItems": True},
                one,  # one choice may be written as a single value
            ]
        }
    if kind is QuestionType.date:
        return {"type": "string", "format": "date"}
    return {"type": "string", "maxLength": question.max_length}


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() else value


def _answers_object(pack: Pack, infos: Iterable[QuestionInfo], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": {info.question.id: answer_schema(pack, info) for info in infos},
        "additionalProperties": False,
    }


def answers_json_schema(pack: Pack) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an answers file for ``pack``."""
    schema: dict[str, Any] = AnswersEnvelope.model_json_schema(mode="validation")
    defs = schema.setdefault("$defs", {})
    schema["properties"]["context"] = _answers_object(
        pack,
        (info for info in pack.questions.values() if info.section.scope is Scope.project),
        "Answers to the project-scoped questions, given once for the project.",
    )
    respondent = defs["RespondentEntry"]
    respondent["properties"]["answers"] = _answers_object(
        pack,
        (info for info in pack.questions.values() if info.section.scope is Scope.respondent),
        "This respondent's answers.",
    )
    for model in defs.values():
        model["additionalProperties"] = False
    schema["additionalProperties"] = False
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:gapcheck:answers:{pack.name}:{pack.version}",
        **{key: value for key, value in schema.items() if key != "title"},
        "title": f"gapcheck answers file: {pack.meta.title} ({pack.name} {pack.version})",
        "description": (
            "An answers file for gapcheck. The schema checks each value's shape; `gapcheck"
            " assess` also checks required answers and which questions apply to the project."
        ),
    }


def schema_bytes(pack: Pack) -> bytes:
    """The schema as indented JSON text with a final newline."""
    return orjson.dumps(answers_json_schema(pack), option=orjson.OPT_INDENT_2) + b"\n"
