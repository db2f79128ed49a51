"""Area scores and delivery confidence (documented in docs/scoring.md).

Area score (0-100): every scored answer earns a health between 0 and 1 (yes/no: the healthy
answer 1, the other 0; a 1-5 scale: (level - 1) / 4, reversed when low is healthy; a choice: its
``score``; "don't know": the pack's ``dont_know_credit``). A question's weight multiplies its
health. Unanswered, hidden and "not applicable" answers count for nothing either way. A
respondent's area score is the weighted mean of their answers in that area (project questions
count for every respondent); the project's area score is the mean over respondents, rounded.
An area nobody answered has no score (None). The overall score is the mean of the area scores.

Delivery confidence walks the pack's five Gateway bands, best first, and gives the first band
whose limits the project meets: overall score at least ``min_overall`` and no more critical,
high and medium findings than the band allows. Red is the floor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gapcheck.answers import Answers, AnswerSet
from gapcheck.conditions import AnswerState
from gapcheck.pack import Pack, Question, QuestionType, Severity


@dataclass(frozen=True)
class Confidence:
    rating: str
    justification: str


def answer_health(
    question: Question, state: AnswerState, value: object, dont_know: float
) -> float | None:
    """The health of one answer, 0 to 1; None when it does not count toward a score."""
    if state is AnswerState.dont_know:
        return dont_know if _is_scored(question) else None
    if state is not AnswerState.answered:
        return None
    kind = question.type
    if kind is QuestionType.yes_no:
        return 1.0 if value == question.healthy else 0.0
    if kind is QuestionType.scale:
        assert isinstance(value, int)
        health = (value - 1) / 4
        return 1 - health if question.healthy in ("low", "no") else health
    if kind is QuestionType.single_choice:
        for choice in question.choices:
            if choice.id == value:
                return choice.score
    return None


def _is_scored(question: Question) -> bool:
    if question.weight == 0:
        return False
    if question.type in (QuestionType.yes_no, QuestionType.scale):
        return True
    return question.type is QuestionType.single_choice and any(
        choice.score is not None for choice in question.choices
    )


#: What each scored answer adds to its area's sums, by (question id, answer), the answer being
#: its value or AnswerState.dont_know: the area, weight * health, and weight.
_Adds = Mapping[tuple[str, object], tuple[str, float, float]]
#: A confidence band as plain numbers: rating, min overall, max critical, high, medium.
_Band = tuple[str, float, int, int, int]


@dataclass(frozen=True, slots=True)
class _ScoringPlan:
    """What scoring reads of a pack, worked out once per pack instead of once per answer."""

    pack: Pack
    area_ids: tuple[str, ...]
    adds: _Adds
    bands: tuple[_Band, ...]


#: Plans by id(pack); each keeps its pack alive, so an id is never reused for another pack.
_PLANS: dict[int, _ScoringPlan] = {}


def _plan(pack: Pack) -> _ScoringPlan:
    plan = _PLANS.get(id(pack))
    if plan is None or plan.pack is not pack:
        plan = _ScoringPlan(
            pack=pack,
            area_ids=tuple(area.id for area in pack.meta.areas),
            adds=_scoring_table(pack),
            bands=tuple(
                (band.rating, band.min_overall, band.max_critical, band.max_high, band.max_medium)
                for band in pack.meta.scoring.confidence
            ),
        )
        _PLANS[id(pack)] = plan
    return plan


def _scoring_table(pack: Pack) -> dict[tuple[str, object], tuple[str, float, float]]:
    """Every answer a scored question can take, with what it adds to its area's sums."""
    table: dict[tuple[str, object], tuple[str, float, float]] = {}
    dont_know = pack.meta.scoring.dont_know_credit
    for question_id, info in pack.questions.items():
        question = info.question
        area = info.area
        if area is None or not _is_scored(question):
            continue
        if question.type is QuestionType.yes_no:
            values: list[object] = ["yes", "no"]
        elif question.type is QuestionType.scale:
            values = [1, 2, 3, 4, 5]
        else:
            values = list(question.choice_ids)
        weight = question.weight
        for value in values:
            level = answer_health(question, AnswerState.answered, value, dont_know)
            if level is not None:
                table[question_id, value] = (area, weight * level, weight)
        table[question_id, AnswerState.dont_know] = (area, weight * dont_know, weight)
    return table


def area_scores(pack: Pack, answers: Answers) -> dict[str, int | None]:
    """Each area of the pack, in the pack's order, with its 0-100 score or None."""
    plan = _plan(pack)
    adds = plan.adds
    # The context's answers count for every respondent, first: sum them once, start each
    # respondent from a copy (the same additions in the same order, so the same floats).
    context_earned: dict[str, float] = {}
    context_possible: dict[str, float] = {}
    _accumulate(adds, answers.context, context_earned, context_possible)
    per_area: dict[str, list[float]] = {area: [] for area in plan.area_ids}
    for respondent in answers.respondents:
        earned = context_earned.copy()
        possible = context_possible.copy()
        _accumulate(adds, respondent.answers, earned, possible)
        for area, total in possible.items():
            if total > 0:
                per_area[area].append(earned[area] / total)
    return {
        area: (round(100 * sum(shares) / len(shares)) if shares else None)
        for area, shares in per_area.items()
    }


def _accumulate(
    adds: _Adds, answer_set: AnswerSet, earned: dict[str, float], possible: dict[str, float]
) -> None:
    """Add an answer set's scored answers to per-area earned and possible sums."""
    answered = AnswerState.answered
    values = answer_set.values
    add_of = adds.get
    for question_id, state in answer_set.states.items():
        add = add_of((question_id, values[question_id] if state is answered else state))
        if add is not None:
            area, health, weight = add
            earned[area] = earned.get(area, 0.0) + health
            possible[area] = possible.get(area, 0.0) + weight


def overall_score(scores: Mapping[str, int | None]) -> int | None:
    present = [score for score in scores.values() if score is not None]
    return round(sum(present) / len(present)) if present else None


def confidence(
    pack: Pack, overall: int | None, severities: Iterable[Severity], weakest: Sequence[str]
) -> Confidence:
    counts = Counter(severities)
    return rate(
        pack,
        overall,
        counts[Severity.critical],
        counts[Severity.high],
        counts[Severity.medium],
        weakest[0] if weakest else None,
    )


def rate(
    pack: Pack, overall: int | None, critical: int, high: int, medium: int, weakest: str | None
) -> Confidence:
    """``confidence`` from the counts it reads: the findings per severity and the title of the
    weakest area (None: no area has a score)."""
    score = overall if overall is not None else 0
    bands = _plan(pack).bands
    chosen = bands[-1][0]
    for rating, min_overall, max_critical, max_high, max_medium in bands:
        if (
            score >= min_overall
            and critical <= max_critical
            and high <= max_high
            and medium <= max_medium
        ):
            chosen = rating
            break
    return Confidence(chosen, _justify(chosen, score, overall, critical, high, medium, weakest))


_LEADS = {
    "green": "Delivery appears highly likely",
    "amber-green": "Delivery appears probable",
    "amber": "Delivery appears feasible but significant issues need attention",
    "amber-red": "Delivery is in doubt",
    "red": "Delivery appears unachievable without urgent action",
}


def _justify(
    rating: str,
    score: int,
    overall: int | None,
    critical: int,
    high: int,
    medium: int,
    weakest: str | None,
) -> str:
    parts = []
    for count, severity in ((critical, "critical"), (high, "high"), (medium, "medium")):
        if count:
            parts.append(f"{count} {severity} finding{'s' if count > 1 else ''}")
    findings = ", ".join(parts) if parts else "no critical, high or medium finding"
    readiness = f"overall score {score}/100" if overall is not None else "no scored answers"
    weak = f"; weakest area: {weakest}" if weakest is not None and rating != "green" else ""
    return f"{_LEADS[rating]}: {findings}; {readiness}{weak}."
