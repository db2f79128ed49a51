"""Hypothesis strategies for valid answers to a pack's questionnaire, built without files.

``answers_for(pack)`` draws 1 to 3 respondents and, for every question, a state and a value the
way ``gapcheck.answers.validate_answers`` would accept them:

- hidden questions (their section's or their own ``visible_if`` is false, evaluated in
  questionnaire order over the context and the respondent's earlier answers) are missing;
- a visible question is answered most of the time, else "don't know" or "not applicable" where
  the question allows them, or missing where it is optional;
- values come from small pools built from the pack itself: every operand a condition compares the
  question with (and its neighbours, so ``gt``/``gte`` both hold and fail), the bounds of number
  questions, and pairs ``by`` and ``by + 1`` apart for ``differ`` tests; dates lie in a small
  range around the ones rules name.

Respondents often copy the first respondent's answer, or answer just either side of the edge of a
``differ`` test from it, so they agree often and differ sometimes. Each example also draws how
often questions get no value, and a bias toward healthy answers (from the questionnaire's
``healthy`` and choice scores; for numbers, a guess: the least): without it nearly every finding
fires, and the rules that need the absence of findings never would.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from gapcheck.answers import Answers, AnswerSet, ProjectInfo, Respondent
from gapcheck.conditions import (
    AnswerState,
    AnswerValue,
    Compare,
    ConditionNode,
    Differ,
    walk,
)
from gapcheck.pack import Pack, QuestionInfo, QuestionType, Scope, check_operand

__all__ = ["QuestionPlan", "answers_for", "plans_for"]

#: Where dates are drawn around when no rule names one.
DATE_ANCHOR = dt.date(2026, 6, 1)
TEXTS = ("Some notes.", "Other notes.")

#: An answer as drawn: its state and, when answered, its value.
Drawn = tuple[AnswerState, AnswerValue | None]
MISSING: Drawn = (AnswerState.missing, None)


@dataclass(frozen=True)
class QuestionPlan:
    info: QuestionInfo
    #: Values an answer takes (normalised, valid for the question); never empty.
    pool: tuple[AnswerValue, ...]
    #: The healthiest answer, when the questionnaire says which one it is.
    healthy: AnswerValue | None
    #: The ``by`` of every ``differ`` test on the question.
    gaps: tuple[float, ...] = ()

    @property
    def id(self) -> str:
        return self.info.question.id


def _conditions(pack: Pack) -> list[ConditionNode]:
    conditions: list[ConditionNode] = [loaded.rule.when for loaded in pack.rules]
    for section in pack.sections:
        if section.visible_if is not None:
            conditions.append(section.visible_if)
        conditions.extend(q.visible_if for q in section.questions if q.visible_if is not None)
    return conditions


def _operands_and_gaps(pack: Pack) -> tuple[dict[str, list[Any]], dict[str, set[float]]]:
    """Per question: the normalised operands conditions compare it with; the `by` of differs."""
    operands: dict[str, list[Any]] = {}
    gaps: dict[str, set[float]] = {}
    for condition in _conditions(pack):
        for node in walk(condition):
            if isinstance(node, Compare):
                operand = check_operand(pack.questions[node.q].question, node)
                found = operand if node.op == "in" else [operand]
                operands.setdefault(node.q, []).extend(found)
            elif isinstance(node, Differ):
                gaps.setdefault(node.differ, set()).add(node.by)
    return operands, gaps


def _valid(info: QuestionInfo, candidates: list[Any]) -> tuple[AnswerValue, ...]:
    """The candidates the question accepts, normalised, without duplicates, in order."""
    seen: dict[Any, AnswerValue] = {}
    for candidate in candidates:
        try:
            value = info.question.normalise(candidate)
        except ValueError:
            continue
        # Keep 100 and 100.0 apart: both are valid answers to a non-integer number question.
        seen.setdefault((type(value), value), value)
    return tuple(seen.values())


def _number_pool(info: QuestionInfo, operands: list[Any], gaps: set[float]) -> list[Any]:
    question = info.question
    anchors: list[float] = [n for n in (question.min, question.max) if n is not None]
    anchors.extend(float(operand) for operand in operands)
    if not anchors:
        anchors = [0.0, 10.0]
    candidates: list[Any] = []
    steps = (-1.0, 0.0, 1.0) if question.integer else (-1.0, -0.5, 0.0, 0.5, 1.0)
    for anchor in anchors:
        for step in steps:
            number = anchor + step
            candidates.append(int(number) if number.is_integer() else number)
        if not question.integer and anchor.is_integer():
            candidates.append(float(anchor))  # a whole number written as a float
    low, high = min(anchors), max(anchors)
    for gap in sorted(gaps):
        # Two answers exactly `gap` apart must not differ; `gap + 1` apart must.
        for whole in (gap, float(math.floor(gap))):
            candidates.extend([low + whole, low + whole + 1, high - whole, high - whole - 1])
    return [candidate for candidate in candidates if math.isfinite(candidate)]


def _date_pool(operands: list[Any], gaps: set[float]) -> list[Any]:
    anchors = [operand for operand in operands if isinstance(operand, dt.date)] or [DATE_ANCHOR]
    candidates: list[Any] = []
    for anchor in anchors:
        candidates.extend(anchor + dt.timedelta(days=step) for step in (-1, 0, 1))
    base = anchors[0]
    for gap in sorted(gaps | {30}):
        days = math.floor(gap)
        candidates.extend(base + dt.timedelta(days=step) for step in (days, days + 1))
    return candidates


def _healthy(info: QuestionInfo, pool: tuple[AnswerValue, ...]) -> AnswerValue | None:
    question = info.question
    if question.type is QuestionType.number:
        # Not in the questionnaire: a guess, since counts of problems are healthy at their least.
        return min(value for value in pool if isinstance(value, (int, float)))
    if question.type is QuestionType.yes_no:
        return question.healthy
    if question.type is QuestionType.scale:
        return 1 if question.healthy in ("no", "low") else 5
    if question.type is QuestionType.single_choice:
        scored = [choice for choice in question.choices if choice.score is not None]
        if scored:
            return max(scored, key=lambda choice: choice.score or 0.0).id
    return None


def plans_for(pack: Pack) -> list[QuestionPlan]:
    """A value pool for every question of the pack, in questionnaire order."""
    operands, gaps = _operands_and_gaps(pack)
    plans = []
    for info in pack.questions.values():
        question = info.question
        kind = question.type
        mine = operands.get(question.id, [])
        candidates: list[Any]
        if kind is QuestionType.yes_no:
            candidates = ["yes", "no"]
        elif kind is QuestionType.scale:
            candidates = [1, 2, 3, 4, 5]
        elif kind is QuestionType.number:
            candidates = _number_pool(info, mine, gaps.get(question.id, set()))
        elif kind is QuestionType.single_choice:
            candidates = list(question.choice_ids)
        elif kind is QuestionType.multiple_choice:
            ids = question.choice_ids
            # Each choice alone, each pair and all of them (an empty list is no answer at all).
            candidates = [[choice] for choice in ids]
            candidates += [[a, b] for index, a in enumerate(ids) for b in ids[index + 1 :]]
            candidates.append(list(ids))
        elif kind is QuestionType.date:
            candidates = _date_pool(mine, gaps.get(question.id, set()))
        else:
            candidates = list(TEXTS)
        pool = _valid(info, candidates)
        assert pool, f"no valid value for question '{question.id}'"
        gaps_of = tuple(sorted(gaps.get(question.id, set())))
        plans.append(QuestionPlan(info, pool, _healthy(info, pool), gaps_of))
    return plans


def _visible(
    pack: Pack, info: QuestionInfo, values: Mapping[str, Any], states: Mapping[str, Any]
) -> bool:
    return pack.visible(info.question.id, values, states)


def _draw_answer(draw: st.DrawFn, plan: QuestionPlan, health: int, unsure: int) -> Drawn:
    """A fresh answer to a visible question."""
    question = plan.info.question
    if plan.healthy is not None and health and (health >= 20 or draw(st.integers(0, 19)) < health):
        return (AnswerState.answered, plan.healthy)
    if unsure and draw(st.integers(0, 9)) < unsure:
        # Not a value: a special answer, or none at all, where the question allows it.
        others: list[Drawn] = []
        if question.allow_dont_know:
            others.append((AnswerState.dont_know, None))
        if question.allow_not_applicable:
            others.append((AnswerState.not_applicable, None))
        if not question.required:
            others.append(MISSING)
        if others:
            return draw(st.sampled_from(others))
    return (AnswerState.answered, draw(st.sampled_from(plan.pool)))


def _near(draw: st.DrawFn, plan: QuestionPlan, other: Drawn) -> Drawn | None:
    """An answer on either side of the edge of a ``differ`` test from another answer."""
    state, value = other
    if state is not AnswerState.answered or not plan.gaps:
        return None
    gap = draw(st.sampled_from(plan.gaps))
    sign = draw(st.sampled_from([1, -1]))
    if isinstance(value, dt.date):
        days = math.floor(gap) + draw(st.sampled_from([0, 1]))
        return (AnswerState.answered, value + dt.timedelta(days=sign * days))
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    offset = gap + draw(st.sampled_from([0.0, 1.0, 0.5, -0.5]))
    try:
        shifted = plan.info.question.normalise(value + sign * offset)
    except ValueError:
        return None
    return (AnswerState.answered, shifted)


def _allowed(plan: QuestionPlan, answer: Drawn) -> bool:
    """Whether a visible question may take this answer (for copies of another's answer)."""
    question = plan.info.question
    state = answer[0]
    if state is AnswerState.missing:
        return not question.required
    if state is AnswerState.dont_know:
        return question.allow_dont_know
    if state is AnswerState.not_applicable:
        return question.allow_not_applicable
    return True


def _answer_set(
    draw: st.DrawFn,
    pack: Pack,
    plans: list[QuestionPlan],
    context: AnswerSet | None,
    health: int,
    unsure: int,
    first: Mapping[str, Drawn] | None,
) -> tuple[AnswerSet, dict[str, Drawn]]:
    values: dict[str, AnswerValue] = {}
    states: dict[str, AnswerState] = {}
    drawn: dict[str, Drawn] = {}
    # Visibility reads the project's answers and this set's earlier ones, as validation does.
    seen_values: dict[str, AnswerValue] = dict(context.values) if context else {}
    seen_states: dict[str, AnswerState] = dict(context.states) if context else {}
    for plan in plans:
        if not _visible(pack, plan.info, seen_values, seen_states):
            drawn[plan.id] = MISSING
            continue
        answer: Drawn | None = None
        if first is not None:
            # Agree with the first respondent, answer near them (on the edge of a `differ`
            # test), or answer afresh.
            how = draw(st.integers(0, 3))
            copied = first[plan.id]
            if how == 2:
                answer = _near(draw, plan, copied)
            if how in (1, 2) and answer is None and _allowed(plan, copied):
                answer = copied
        if answer is None:
            answer = _draw_answer(draw, plan, health, unsure)
        drawn[plan.id] = answer
        state, value = answer
        if state is AnswerState.missing:
            continue
        states[plan.id] = seen_states[plan.id] = state
        if state is AnswerState.answered:
            assert value is not None
            values[plan.id] = seen_values[plan.id] = value
    return AnswerSet(values, states), drawn


PROJECT = ProjectInfo(id="generated", name="Generated project", client="Generated client")


def answers_for(pack: Pack, max_respondents: int = 3) -> st.SearchStrategy[Answers]:
    """Valid answers to the pack's questionnaire: 1 to ``max_respondents`` respondents."""
    plans = plans_for(pack)
    project_plans = [plan for plan in plans if plan.info.section.scope is Scope.project]
    respondent_plans = [plan for plan in plans if plan.info.section.scope is not Scope.project]

    @st.composite
    def build(draw: st.DrawFn) -> Answers:
        # Out of 20: how often a question with a known healthy answer gets it.
        health = draw(st.sampled_from([0, 10, 17, 19, 20]))
        # Out of 10: how often a question gets no value (a special answer or none).
        unsure = draw(st.sampled_from([2, 0, 1, 4, 7]))
        context, _ = _answer_set(draw, pack, project_plans, None, health, unsure, None)
        count = draw(st.integers(1, max_respondents))
        respondents = []
        first: dict[str, Drawn] | None = None
        for index in range(count):
            answer_set, drawn = _answer_set(
                draw, pack, respondent_plans, context, health, unsure, first
            )
            first = first or drawn
            respondents.append(Respondent(f"Person {index}", f"Role {index}", "Team", answer_set))
        return Answers(
            path=None,
            sha256="0" * 64,
            project=PROJECT,
            assessed_on=dt.date(2026, 11, 1),
            assessor="Hypothesis",
            context=context,
            respondents=tuple(respondents),
        )

    return build()
