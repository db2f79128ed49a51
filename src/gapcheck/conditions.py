"""The condition language shared by rules (`when`) and questions (`visible_if`).

A small, closed language, written as YAML mappings:

- ``{all: [c, ...]}``, ``{any: [c, ...]}``, ``{not: c}``: combine conditions.
- ``{q: ID, OP: VALUE}``: compare respondent's (or the project's) answer to question ID.
  OP is one of ``eq ne lt lte gt gte in has``; ``has`` tests that a multiple-choice answer
  includes a choice. A comparison is false when the question has no real answer (unanswered,
  "don't know" or "not applicable"); ``not`` of it is then true.
- ``{q: ID, state: STATE}``: STATE is ``answered``, ``dont_know``, ``not_applicable`` or
  ``missing`` (no answer at all: optional and skipped, or hidden).
- ``{finding: ID}``: another rule's finding fired (rules only, never in ``visible_if``).
- ``{differ: ID}`` / ``{differ: ID, by: N}``: two respondents of the same project both answered
  question ID and their answers differ (by more than N for numbers, scales and dates, N in
  days for dates). Rules only; cannot be negated.

This module only parses and describes conditions; durable-rules evaluates them
(``gapcheck.engine``). Visibility of questions is evaluated by ``evaluate_visibility`` below,
which only accepts answer comparisons.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

#: A normalised answer value, as held in validated answers and facts.
#: yes_no -> "yes"/"no"; scale/number -> int/float; single_choice -> choice id;
#: multiple_choice -> tuple of choice ids; date -> datetime.date; text -> str.
AnswerValue = str | int | float | bool | dt.date | tuple[str, ...]


class AnswerState(str, Enum):
    answered = "answered"
    dont_know = "dont_know"
    not_applicable = "not_applicable"
    missing = "missing"


#: Special answers a respondent may give instead of a value.
SPECIAL_ANSWERS = (AnswerState.dont_know.value, AnswerState.not_applicable.value)

COMPARISON_OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "has")
ORDERING_OPERATORS = ("lt", "lte", "gt", "gte")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Compare(_Strict):
    """``{q: ID, OP: VALUE}``: exactly one operator."""

    q: str
    eq: Any = None
    ne: Any = None
    lt: Any = None
    lte: Any = None
    gt: Any = None
    gte: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    has: Any = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _one_operator(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            ops = [key for key in data if key in COMPARISON_OPERATORS]
            if len(ops) != 1:
                raise ValueError(
                    f"a comparison needs exactly one operator of {', '.join(COMPARISON_OPERATORS)}"
                    f" beside 'q', found {len(ops)}"
                )
            if data[ops[0]] is None:
                raise ValueError(f"operator '{ops[0]}' needs a value")
        return data

    @property
    def op(self) -> str:
        for name in COMPARISON_OPERATORS:
            if self.operand_for(name) is not None:
                return name
        raise AssertionError("validated comparison without operator")

    def operand_for(self, name: str) -> Any:
        return self.in_ if name == "in" else getattr(self, name)

    @property
    def operand(self) -> Any:
        return self.operand_for(self.op)


class StateIs(_Strict):
    """``{q: ID, state: STATE}``."""

    q: str
    state: AnswerState


class FindingRef(_Strict):
    """``{finding: ID}``."""

    finding: str


class Differ(_Strict):
    """``{differ: ID, by: N}``: two respondents disagree about one question."""

    differ: str
    by: float = Field(default=0, ge=0)


class All(_Strict):
    all: list[Condition] = Field(min_length=1)


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1)


class Not(_Strict):
    not_: Condition = Field(alias="not")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _condition_kind(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return type(value).__name__
    if not isinstance(value, Mapping):
        return None
    for key, kind in (
        ("all", "All"),
        ("any", "AnyOf"),
        ("not", "Not"),
        ("finding", "FindingRef"),
        ("differ", "Differ"),
    ):
        if key in value:
            return kind
    if "q" in value:
        return "StateIs" if "state" in value else "Compare"
    return None


Condition = Annotated[
    Annotated[All, Tag("All")]
    | Annotated[AnyOf, Tag("AnyOf")]
    | Annotated[Not, Tag("Not")]
    | Annotated[Compare, Tag("Compare")]
    | Annotated[StateIs, Tag("StateIs")]
    | Annotated[FindingRef, Tag("FindingRef")]
    | Annotated[Differ, Tag("Differ")],
    Discriminator(
        _condition_kind,
        custom_error_type="invalid_condition",
        custom_error_message=(
            "a condition is a mapping with one of: all, any, not, q (with an operator or"
            " state), finding, differ"
        ),
    ),
]

All.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()

ConditionNode = All | AnyOf | Not | Compare | StateIs | FindingRef | Differ


def walk(condition: ConditionNode) -> Iterator[ConditionNode]:
    """Every node of a condition, depth first, parents before children."""
    stack: list[ConditionNode] = [condition]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, All):
            stack.extend(reversed(node.all))
        elif isinstance(node, AnyOf):
            stack.extend(reversed(node.any))
        elif isinstance(node, Not):
            stack.append(node.not_)


def questions_read(condition: ConditionNode) -> list[str]:
    """Question ids a condition reads, in order of first appearance."""
    seen: dict[str, None] = {}
    for node in walk(condition):
        if isinstance(node, (Compare, StateIs)):
            seen.setdefault(node.q)
        elif isinstance(node, Differ):
            seen.setdefault(node.differ)
    return list(seen)


def findings_read(condition: ConditionNode) -> list[tuple[str, bool]]:
    """(finding id, negated) pairs a condition reads, in order of first appearance."""
    seen: dict[tuple[str, bool], None] = {}

    def visit(node: ConditionNode, negated: bool) -> None:
        if isinstance(node, FindingRef):
            seen.setdefault((node.finding, negated))
        elif isinstance(node, All):
            for child in node.all:
                visit(child, negated)
        elif isinstance(node, AnyOf):
            for child in node.any:
                visit(child, negated)
        elif isinstance(node, Not):
            visit(node.not_, not negated)

    visit(condition, False)
    return list(seen)


def differ_negated(condition: ConditionNode) -> bool:
    """Whether a ``differ`` sits under an odd number of ``not``: not allowed."""

    def visit(node: ConditionNode, negated: bool) -> bool:
        if isinstance(node, Differ):
            return negated
        if isinstance(node, All):
            return any(visit(child, negated) for child in node.all)
        if isinstance(node, AnyOf):
            return any(visit(child, negated) for child in node.any)
        if isinstance(node, Not):
            return visit(node.not_, not negated)
        return False

    return visit(condition, False)


def describe(condition: ConditionNode) -> str:
    """A compact one-line rendering of a condition, for listings and error messages."""
    if isinstance(condition, All):
        return "(" + " and ".join(describe(child) for child in condition.all) + ")"
    if isinstance(condition, AnyOf):
        return "(" + " or ".join(describe(child) for child in condition.any) + ")"
    if isinstance(condition, Not):
        return "not " + describe(condition.not_)
    if isinstance(condition, Compare):
        return f"{condition.q} {condition.op} {condition.operand!r}"
    if isinstance(condition, StateIs):
        return f"{condition.q} is {condition.state.value}"
    if isinstance(condition, FindingRef):
        return f"finding {condition.finding}"
    return f"respondents differ on {condition.differ}" + (
        f" by more than {condition.by:g}" if condition.by else ""
    )


def evaluate_visibility(
    condition: ConditionNode,
    values: Mapping[str, AnswerValue],
    states: Mapping[str, AnswerState],
    operand: Callable[[Compare], Any],
) -> bool:
    """Evaluate a ``visible_if`` condition over one respondent's (plus the project's) answers.

    ``operand`` gives a comparison's operand normalised like an answer to its question (YAML's
    bare ``yes`` is a boolean, the answer is "yes"): ``Pack.operand``.
    Only answer comparisons and states are allowed here (the pack loader rejects the rest):
    showing or hiding a question is part of reading the input, not of the diagnosis, which
    durable-rules alone performs.
    """
    if isinstance(condition, All):
        return all(evaluate_visibility(c, values, states, operand) for c in condition.all)
    if isinstance(condition, AnyOf):
        return any(evaluate_visibility(c, values, states, operand) for c in condition.any)
    if isinstance(condition, Not):
        return not evaluate_visibility(condition.not_, values, states, operand)
    if isinstance(condition, StateIs):
        return states.get(condition.q, AnswerState.missing) == condition.state
    if isinstance(condition, Compare):
        if condition.q not in values:
            return False
        return compare_values(condition.op, values[condition.q], operand(condition))
    raise TypeError(f"{describe(condition)} is not allowed in visible_if")


#: A compiled ``visible_if`` condition: (answer values, answer states) -> whether it holds.
VisibilityTest = Callable[[Mapping[str, AnswerValue], Mapping[str, AnswerState]], bool]

_ABSENT: Any = object()

#: ``compare_values`` as one function per operator, for compiled conditions.
_COMPARATORS: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "in": lambda value, operand: value in operand,
    "has": operator.contains,  # contains(value, operand) is `operand in value`
}


def compile_visibility(
    condition: ConditionNode, operand: Callable[[Compare], Any]
) -> VisibilityTest:
    """``evaluate_visibility`` of one condition as a closure, with the same result and errors.

    Walking the condition's models (isinstance checks, ``Compare.op``, the operand lookup) at
    every call is most of the cost of deciding visibility; the closure does that walk once.
    """
    if isinstance(condition, (All, AnyOf)):
        tests = tuple(
            compile_visibility(child, operand)
            for child in (condition.all if isinstance(condition, All) else condition.any)
        )
        if len(tests) == 1:
            return tests[0]
        if isinstance(condition, All):

            def all_hold(
                values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]
            ) -> bool:
                return all(test(values, states) for test in tests)

            return all_hold

        def any_holds(values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]) -> bool:
            return any(test(values, states) for test in tests)

        return any_holds
    if isinstance(condition, Not):
        negated = compile_visibility(condition.not_, operand)

        def does_not_hold(
            values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]
        ) -> bool:
            return not negated(values, states)

        return does_not_hold
    if isinstance(condition, StateIs):
        question_id, state = condition.q, condition.state

        def state_is(values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]) -> bool:
            return states.get(question_id, AnswerState.missing) == state

        return state_is
    if isinstance(condition, Compare):
        try:
            wanted = operand(condition)
        except Exception:
            # A bad operand (the pack loader rejects them) fails when evaluated, as it always did.
            return _evaluated_each_time(condition, operand)
        question_id, compare = condition.q, _COMPARATORS[condition.op]

        def compares(values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]) -> bool:
            value = values.get(question_id, _ABSENT)
            return value is not _ABSENT and bool(compare(value, wanted))

        return compares
    # Findings and differ are not allowed here: raise evaluate_visibility's TypeError when called.
    return _evaluated_each_time(condition, operand)


def _evaluated_each_time(
    condition: ConditionNode, operand: Callable[[Compare], Any]
) -> VisibilityTest:
    def evaluated(values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]) -> bool:
        return evaluate_visibility(condition, values, states, operand)

    return evaluated


def compare_values(op: str, value: Any, operand: Any) -> bool:
    """Apply one comparison operator to a normalised answer value and a normalised operand."""
    if op == "eq":
        return bool(value == operand)
    if op == "ne":
        return bool(value != operand)
    if op == "lt":
        return bool(value < operand)
    if op == "lte":
        return bool(value <= operand)
    if op == "gt":
        return bool(value > operand)
    if op == "gte":
        return bool(value >= operand)
    if op == "in":
        return value in operand
    if op == "has":
        return operand in value
    raise ValueError(f"unknown operator {op}")
