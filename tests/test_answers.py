"""Validation of answers against the questionnaire (beyond the CLI's message tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from gapcheck.answers import validate_answers
from gapcheck.conditions import AnswerState
from gapcheck.errors import InputError
from gapcheck.loading import parse_document
from tests.helpers import mini_pack


def answers_file(**respondent_answers: Any) -> dict[str, Any]:
    return {
        "format_version": 1,
        "project": {"id": "p-1", "name": "Project", "client": "Client"},
        "assessed_on": "2026-11-01",
        "assessor": "Assessor",
        "context": {"ptype": "alpha", "phase": "planning"},
        "respondents": [
            {
                "name": "Ann",
                "role": "Lead",
                "answers": {"goals": "yes", "mood": 3, **respondent_answers},
            }
        ],
    }


def validate(data: dict[str, Any]) -> Any:
    document = parse_document(orjson.dumps(data), Path("answers.json"))
    return validate_answers(document, mini_pack())


def test_bare_yes_in_visible_if_matches_a_yes_answer() -> None:
    # YAML reads the pack's `eq: yes` as a boolean; visibility must compare it as "yes".
    answers = validate(answers_file(goals_detail="Grow revenue"))
    assert answers.respondents[0].answers.values["goals_detail"] == "Grow revenue"
    with pytest.raises(InputError, match="goals_detail: answered, but the question does not apply"):
        validate(answers_file(goals="no", goals_detail="Grow revenue"))


def test_yes_no_spellings_normalise_and_specials_become_states() -> None:
    answers = validate(answers_file(goals=True, mood="dont_know"))
    respondent = answers.respondents[0].answers
    assert respondent.values["goals"] == "yes"
    assert respondent.state("mood") is AnswerState.dont_know
    assert "mood" not in respondent.values
    assert respondent.state("budget") is AnswerState.missing


def test_multiple_choice_is_canonical_and_checked() -> None:
    respondent = validate(answers_file(tools=["sheet", "jira"])).respondents[0].answers
    assert respondent.values["tools"] == ("jira", "sheet")
    with pytest.raises(InputError, match="a choice is listed twice"):
        validate(answers_file(tools=["jira", "jira"]))
    with pytest.raises(InputError, match="'excel' not among the offered choices"):
        validate(answers_file(tools=["excel"]))


def test_not_applicable_only_where_allowed() -> None:
    assert validate(answers_file(mood="not_applicable")).respondents[0].answers.state("mood") is (
        AnswerState.not_applicable
    )
    with pytest.raises(InputError, match="'not_applicable' is not allowed here"):
        validate(answers_file(goals="not_applicable"))


def test_dates_numbers_and_bounds() -> None:
    respondent = validate(answers_file(golive="2027-01-31", budget=12.5)).respondents[0].answers
    assert str(respondent.values["golive"]) == "2027-01-31"
    with pytest.raises(InputError, match="golive: '31/01/2027': not a date"):
        validate(answers_file(golive="31/01/2027"))
    with pytest.raises(InputError, match="budget: -1: below the minimum 0"):
        validate(answers_file(budget=-1))
    with pytest.raises(InputError, match=r"mood: 2\.5: not a whole number"):
        validate(answers_file(mood=2.5))
    with pytest.raises(InputError, match="mood: True: not a number"):
        validate(answers_file(mood=True))
