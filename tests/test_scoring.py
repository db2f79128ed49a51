"""Area scores and delivery confidence, as docs/scoring.md defines them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from gapcheck.answers import Answers, validate_answers
from gapcheck.loading import parse_document
from gapcheck.pack import Pack, Severity, load_pack
from gapcheck.scoring import answer_health, area_scores, confidence, overall_score, rate
from gapcheck.synthetic import generate_portfolio
from tests.helpers import make_answers, mini_pack

CONTEXT = {"ptype": "alpha", "phase": "planning"}


def test_yes_no_and_scale_health_weighted_equally() -> None:
    # goals yes -> 1, mood 3 -> 0.5, owner ann -> 1 (choice score): (1 + 0.5 + 1) / 3
    scores = area_scores(
        mini_pack(), make_answers(CONTEXT, {"goals": "yes", "mood": 3, "owner": "ann"})
    )
    assert scores["foundation"] == round(100 * 2.5 / 3)


def test_unscored_types_and_not_applicable_do_not_count() -> None:
    answers = make_answers(
        CONTEXT, {"goals": "no", "mood": "not_applicable", "budget": 10, "notes": "x"}
    )
    assert area_scores(mini_pack(), answers)["foundation"] == 0


def test_dont_know_earns_the_pack_credit() -> None:
    answers = make_answers(CONTEXT, {"goals": "dont_know", "mood": 5})
    assert area_scores(mini_pack(), answers)["foundation"] == round(100 * (0.25 + 1) / 2)


def test_respondents_are_averaged_and_unanswered_areas_have_no_score() -> None:
    answers = make_answers(CONTEXT, {"goals": "yes", "mood": 5}, {"goals": "no", "mood": 1})
    scores = area_scores(mini_pack(), answers)
    assert scores["foundation"] == 50
    assert scores["leadership"] is None
    assert overall_score(scores) == 50
    assert overall_score({"a": None}) is None


def test_hidden_section_is_scored_only_when_answered() -> None:
    beta = {"ptype": "beta", "phase": "planning"}
    answers = make_answers(beta, {"goals": "yes", "mood": 5, "beta_ready": "no"})
    assert area_scores(mini_pack(), answers)["execution"] == 0


@pytest.mark.parametrize(
    ("overall", "severities", "rating"),
    [
        (90, [], "green"),
        (90, [Severity.medium, Severity.medium], "green"),
        (90, [Severity.medium] * 3, "amber-green"),
        (74, [], "amber-green"),
        (90, [Severity.high], "amber-green"),
        (90, [Severity.high] * 2, "amber"),
        (59, [], "amber"),
        (90, [Severity.critical], "amber-red"),
        (44, [], "amber-red"),
        (90, [Severity.critical] * 2, "red"),
        (29, [], "red"),
        (None, [], "red"),
    ],
)
def test_confidence_bands(overall: int | None, severities: list[Severity], rating: str) -> None:
    result = confidence(mini_pack(), overall, severities, ["Execution health"])
    assert result.rating == rating


def test_justification_names_what_decided_it() -> None:
    result = confidence(
        mini_pack(), 52, [Severity.critical, Severity.high, Severity.high], ["Leadership"]
    )
    assert result.justification == (
        "Delivery is in doubt: 1 critical finding, 2 high findings; overall score 52/100;"
        " weakest area: Leadership."
    )
    green = confidence(mini_pack(), 88, [], ["Leadership"])
    assert green.justification == (
        "Delivery appears highly likely: no critical, high or medium finding; overall score 88/100."
    )


def _reference_area_scores(pack: Pack, answers: Answers) -> dict[str, int | None]:
    """docs/scoring.md, answer by answer: what area_scores' per-pack tables must agree with."""
    dont_know = pack.meta.scoring.dont_know_credit
    per_area: dict[str, list[float]] = {area.id: [] for area in pack.meta.areas}
    for respondent in answers.respondents:
        earned: dict[str, float] = {}
        possible: dict[str, float] = {}
        for answer_set in (answers.context, respondent.answers):
            for question_id, state in answer_set.states.items():
                info = pack.questions[question_id]
                value = answer_set.values.get(question_id)
                health = answer_health(info.question, state, value, dont_know)
                if info.area is None or info.question.weight == 0 or health is None:
                    continue
                weight = info.question.weight
                earned[info.area] = earned.get(info.area, 0.0) + weight * health
                possible[info.area] = possible.get(info.area, 0.0) + weight
        for area, total in possible.items():
            if total > 0:
                per_area[area].append(earned[area] / total)
    return {
        area: round(100 * sum(shares) / len(shares)) if shares else None
        for area, shares in per_area.items()
    }


@pytest.mark.parametrize("pack", [load_pack(), mini_pack()], ids=["default", "mini"])
def test_area_scores_agree_with_the_formula_answer_by_answer(pack: Pack) -> None:
    scored = 0
    for document in generate_portfolio(pack, 150, 31):
        raw = json.dumps(document).encode()
        answers = validate_answers(parse_document(raw, Path("p.json")), pack)
        scores = area_scores(pack, answers)
        assert scores == _reference_area_scores(pack, answers)
        scored += sum(score is not None for score in scores.values())
    assert scored > 0


@pytest.mark.parametrize("overall", [None, 0, 29, 30, 44, 45, 59, 60, 74, 75, 100])
def test_rate_from_counts_is_confidence(overall: int | None) -> None:
    pack = mini_pack()
    for critical, high, medium in itertools.product(range(3), range(5), range(7)):
        severities = (
            [Severity.critical] * critical + [Severity.high] * high + [Severity.medium] * medium
        )
        for weakest in ([], ["Leadership"]):
            expected = confidence(pack, overall, [*severities, Severity.low], weakest)
            title = weakest[0] if weakest else None
            assert rate(pack, overall, critical, high, medium, title) == expected
