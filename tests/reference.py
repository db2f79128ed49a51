"""A reference evaluator of the rule condition language, for tests only.

It is written from the semantics of the condition language (``gapcheck.conditions``), not from
how ``gapcheck.engine`` compiles rules for durable-rules, and imports nothing from the engine: the
agreement test (``tests/test_reference_agreement.py``) checks the two against each other.

Semantics, as implemented here:

- A condition is brought to negation normal form and expanded into a disjunction of
  *alternatives*. Subtrees that read answers only (no ``finding``, no ``differ``) stay whole: each
  is one *answer test*. An alternative is a conjunction of answer tests, findings that must have
  fired, findings that must not have fired, and ``differ`` tests.
- An alternative holds when all its answer tests hold for ONE respondent (that respondent's own
  answers plus the project's context answers for project-scoped questions; if every question
  they read is project-scoped, for the context alone), every positive finding fired, no negated
  finding fired and every ``differ`` holds.
- A rule fires when some alternative of its condition holds.
- A comparison holds when the question is answered and the comparison of the answer with the
  (normalised) operand holds; a state test holds when the state equals the one named (``missing``:
  no answer at all).
- ``differ: q, by: N``: two distinct respondents both answered q and their answers differ (for
  N > 0: by more than N; days for dates).
- Findings are evaluated stratum by stratum (``LoadedRule.stratum``): a rule reads the findings
  fired in lower strata only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import combinations, groupby
from typing import Any

from gapcheck.answers import Answers, AnswerSet
from gapcheck.conditions import (
    All,
    AnswerState,
    AnswerValue,
    AnyOf,
    Compare,
    ConditionNode,
    Differ,
    FindingRef,
    Not,
    StateIs,
)
from gapcheck.pack import Pack, Scope, check_operand

__all__ = ["Alternative", "alternatives", "reference_findings"]


@dataclass(frozen=True)
class Alternative:
    """One way to satisfy a condition: every part of it must hold."""

    #: Answer-only subtrees, each with whether it is negated; all hold for one respondent.
    answer_tests: tuple[tuple[ConditionNode, bool], ...] = ()
    #: Findings that must have fired.
    present: frozenset[str] = frozenset()
    #: Findings that must not have fired.
    absent: frozenset[str] = frozenset()
    differs: tuple[Differ, ...] = ()

    def __and__(self, other: Alternative) -> Alternative:
        return Alternative(
            answer_tests=self.answer_tests + other.answer_tests,
            present=self.present | other.present,
            absent=self.absent | other.absent,
            differs=self.differs + other.differs,
        )


def _children(node: ConditionNode) -> Sequence[ConditionNode]:
    if isinstance(node, All):
        return node.all
    if isinstance(node, AnyOf):
        return node.any
    if isinstance(node, Not):
        return [node.not_]
    return []


def _answers_only(node: ConditionNode) -> bool:
    """Whether a subtree reads answers only (no finding, no differ anywhere in it)."""
    if isinstance(node, (FindingRef, Differ)):
        return False
    return all(_answers_only(child) for child in _children(node))


def alternatives(node: ConditionNode, negated: bool = False) -> list[Alternative]:
    """The condition (negated if asked) as a disjunction of alternatives."""
    if _answers_only(node):
        return [Alternative(answer_tests=((node, negated),))]
    if isinstance(node, Not):
        return alternatives(node.not_, not negated)
    if isinstance(node, FindingRef):
        if negated:
            return [Alternative(absent=frozenset({node.finding}))]
        return [Alternative(present=frozenset({node.finding}))]
    if isinstance(node, Differ):
        if negated:
            raise ValueError("'differ' cannot be negated")
        return [Alternative(differs=(node,))]
    if isinstance(node, (All, AnyOf)):
        # De Morgan: a negated `all` is an `any` of negations, and the other way round.
        conjunctive = isinstance(node, All) != negated
        parts = [alternatives(child, negated) for child in _children(node)]
        if not conjunctive:
            return [alternative for part in parts for alternative in part]
        result = [Alternative()]
        for part in parts:
            result = [left & right for left in result for right in part]
        return result
    raise TypeError(f"unexpected condition node {node!r}")


def _compare(op: str, value: AnswerValue, operand: Any) -> bool:
    if op == "eq":
        return bool(value == operand)
    if op == "ne":
        return bool(value != operand)
    if op == "in":
        return any(value == item for item in operand)
    if op == "has":
        assert isinstance(value, tuple)
        return operand in value
    # Ordering: numbers, scales and dates only (the pack loader refuses the rest).
    assert isinstance(value, (int, float, dt.date)), value
    assert isinstance(operand, dt.date) == isinstance(value, dt.date), (value, operand)
    if op == "lt":
        return bool(value < operand)
    if op == "lte":
        return bool(value <= operand)
    if op == "gt":
        return bool(value > operand)
    if op == "gte":
        return bool(value >= operand)
    raise ValueError(f"unknown operator {op}")


class _Evaluator:
    def __init__(self, pack: Pack, answers: Answers) -> None:
        self.pack = pack
        self.answers = answers

    def answer_set(self, question_id: str, own: AnswerSet | None) -> AnswerSet:
        if self.pack.questions[question_id].section.scope is Scope.project:
            return self.answers.context
        assert own is not None, f"'{question_id}' is answered per respondent"
        return own

    def test(self, node: ConditionNode, own: AnswerSet | None) -> bool:
        """An answer-only subtree, over one respondent's answers (None: the context alone)."""
        if isinstance(node, All):
            return all(self.test(child, own) for child in node.all)
        if isinstance(node, AnyOf):
            return any(self.test(child, own) for child in node.any)
        if isinstance(node, Not):
            return not self.test(node.not_, own)
        if isinstance(node, StateIs):
            return self.answer_set(node.q, own).state(node.q) is node.state
        if isinstance(node, Compare):
            answer_set = self.answer_set(node.q, own)
            if answer_set.state(node.q) is not AnswerState.answered:
                return False
            operand = check_operand(self.pack.questions[node.q].question, node)
            return _compare(node.op, answer_set.values[node.q], operand)
        raise TypeError(f"not an answer test: {node!r}")

    def differ(self, node: Differ) -> bool:
        values = [
            respondent.answers.values[node.differ]
            for respondent in self.answers.respondents
            if respondent.answers.state(node.differ) is AnswerState.answered
        ]
        for first, second in combinations(values, 2):
            if node.by == 0:
                if first != second:
                    return True
            elif isinstance(first, dt.date):
                assert isinstance(second, dt.date)
                if abs((first - second).days) > node.by:
                    return True
            else:
                assert isinstance(first, (int, float)), first
                assert isinstance(second, (int, float)), second
                if abs(first - second) > node.by:
                    return True
        return False

    def project_only(self, node: ConditionNode) -> bool:
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, (Compare, StateIs)) and (
                self.pack.questions[current.q].section.scope is not Scope.project
            ):
                return False
            stack.extend(_children(current))
        return True

    def holds(self, alternative: Alternative, fired: AbstractSet[str]) -> bool:
        if not alternative.present <= fired or alternative.absent & fired:
            return False
        if not all(self.differ(node) for node in alternative.differs):
            return False
        tests = alternative.answer_tests
        if not tests:
            return True
        if all(self.project_only(node) for node, _ in tests):
            return all(self.test(node, None) != negated for node, negated in tests)
        return any(
            all(self.test(node, respondent.answers) != negated for node, negated in tests)
            for respondent in self.answers.respondents
        )


def reference_findings(pack: Pack, answers: Answers) -> set[str]:
    """The ids of the rules whose condition holds for these answers."""
    evaluator = _Evaluator(pack, answers)
    fired: set[str] = set()
    by_stratum = sorted(pack.rules, key=lambda loaded: loaded.stratum)
    for _stratum, rules in groupby(by_stratum, key=lambda loaded: loaded.stratum):
        # Rules of one stratum see only the findings of the strata below it.
        lower = frozenset(fired)
        for loaded in rules:
            if any(
                evaluator.holds(alternative, lower)
                for alternative in alternatives(loaded.rule.when)
            ):
                fired.add(loaded.rule.id)
    return fired
