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


def area_scores(pack: Pack, answers: Answers) -> dict[str, int | None]:
    """Each area of the pack, in the pack's order, with its 0-100 score or None."""
    dont_know = pack.meta.scoring.dont_know_credit
    per_area: dict[str, list[float]] = {area.id: [] for area in pack.meta.areas}
    for respondent in answers.respondents:
        sums: dict[str, list[float]] = {}
        for answer_set in (answers.context, respondent.answers):
            _accumulate(pack, answer_set, dont_know, sums)
        for area, (earned, possible) in sums.items():
            if possible > 0:
                per_area[area].append(earned / possible)
    return {
        area: (round(100 * sum(shares) / len(shares)) if shares else None)
        for area, shares in per_area.items()
    }


@dataclass(frozen=True)
class _Scored:
    area: str
    weight: float
    #: Health of each possible answer value; "don't know" is looked up as AnswerState.dont_know.
    health: Mapping[object, float]


_TABLES: dict[str, dict[str, _Scored]] = {}


def _scoring_table(pack: Pack) -> dict[str, _Scored]:
    """Every scored question with the health of each answer it can take, once per pack."""
    table = _TABLES.get(pack.sha256)
    if table is None:
        table = {}
        dont_know = pack.meta.scoring.dont_know_credit
        for question_id, info in pack.questions.items():
            question = info.question
            if info.area is None or not _is_scored(question):
                continue
            if question.type is QuestionType.yes_no:
                values: list[object] = ["yes", "no"]
            elif question.type is QuestionType.scale:
                values = [1, 2, 3, 4, 5]
            else:
                values = list(question.choice_ids)
            health: dict[object, float] = {}
            for value in values:
                level = answer_health(question, AnswerState.answered, value, dont_know)
                if level is not None:
                    health[value] = level
            health[AnswerState.dont_know] = dont_know
            table[question_id] = _Scored(info.area, question.weight, health)
        _TABLES[pack.sha256] = table
    return table


def _accumulate(
    pack: Pack, answer_set: AnswerSet, dont_know: float, sums: dict[str, list[float]]
) -> None:
    table = _scoring_table(pack)
    values = answer_set.values
    for question_id, state in answer_set.states.items():
        scored = table.get(question_id)
        if scored is None:
            continue
        key = values[question_id] if state is AnswerState.answered else state
        health = scored.health.get(key)
        if health is None:
            continue
        totals = sums.setdefault(scored.area, [0.0, 0.0])
        totals[0] += scored.weight * health
        totals[1] += scored.weight


def overall_score(scores: Mapping[str, int | None]) -> int | None:
    present = [score for score in scores.values() if score is not None]
    return round(sum(present) / len(present)) if present else None


def confidence(
    pack: Pack, overall: int | None, severities: Iterable[Severity], weakest: Sequence[str]
) -> Confidence:
    counts = Counter(severities)
    critical, high, medium = (
        counts[Severity.critical],
        counts[Severity.high],
        counts[Severity.medium],
    )
    score = overall if overall is not None else 0
    bands = pack.meta.scoring.confidence
    chosen = bands[-1]
    for band in bands:
        if (
            score >= band.min_overall
            and critical <= band.max_critical
            and high <= band.max_high
            and medium <= band.max_medium
        ):
            chosen = band
            break
    return Confidence(chosen.rating, _justify(chosen.rating, score, overall, counts, weakest))


def _justify(
    rating: str, score: int, overall: int | None, counts: Counter[Severity], weakest: Sequence[str]
) -> str:
    parts = []
    for severity in (Severity.critical, Severity.high, Severity.medium):
        if counts[severity]:
            plural = "s" if counts[severity] > 1 else ""
            parts.append(f"{counts[severity]} {severity.value} finding{plural}")
    findings = ", ".join(parts) if parts else "no critical, high or medium finding"
    readiness = f"overall score {score}/100" if overall is not None else "no scored answers"
    weak = f"; weakest area: {weakest[0]}" if weakest and rating != "green" else ""
    lead = {
        "green": "Delivery appears highly likely",
        "amber-green": "Delivery appears probable",
        "amber": "Delivery appears feasible but significant issues need attention",
        "amber-red": "Delivery is in doubt",
        "red": "Delivery appears unachievable without urgent action",
    }[rating]
    return f"{lead}: {findings}; {readiness}{weak}."
