"""Validation of answers against the questionnaire (beyond the CLI's message tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from gapcheck.answers import validate_answers
from gapcheck.assessment import assess_file
from gapcheck.conditions import AnswerState
from gapcheck.errors import InputError, NotAnswersError
from gapcheck.formats import OutputFormat, render
from gapcheck.loading import parse_document, read_document
from gapcheck.pack import load_pack
from tests.helpers import mini_pack

ROOT = Path(__file__).parent.parent


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


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("samples/surveys/google-forms.map.yaml", "a survey mapping file"),
        ("samples/surveys/microsoft-forms.map.yaml", "a survey mapping file"),
        ("rules/pack.yaml", "the pack.yaml of an assessment pack"),
        ("rules/foundation.rules.yaml", "a rules file of an assessment pack"),
        # Its scale labels have number keys, which answers refuse while reading: it is known
        # by the keys its lines start with.
        ("rules/questionnaire.yaml", "the questionnaire of an assessment pack"),
    ],
)
def test_other_gapcheck_files_are_named_for_what_they_are(path: str, what: str) -> None:
    with pytest.raises(NotAnswersError) as raised:
        validate_answers(read_document(ROOT / path), load_pack())
    assert len(raised.value.problems) == 1
    assert str(raised.value).startswith(f"{ROOT / path}: {what}")
    assert ", not an answers file (expected " in str(raised.value)
    assert raised.value.what_it_is() == f"{ROOT / path}: {raised.value.problems[0].message}"


def test_results_portfolios_and_schemas_are_named_for_what_they_are(tmp_path: Path) -> None:
    result = render(assess_file(ROOT / "samples" / "healthy-project.yaml"), OutputFormat.json)
    with pytest.raises(NotAnswersError, match=r"answers\.json: a gapcheck result \(the JSON"):
        validate_answers(parse_document(result, Path("answers.json")), mini_pack())
    portfolio = {"format_version": 1, "projects": [], "percentiles": {}, "failures": []}
    with pytest.raises(NotAnswersError, match=r"answers\.json: a gapcheck portfolio"):
        validate(portfolio)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "properties": {}}
    with pytest.raises(NotAnswersError, match=r"answers\.json: a JSON Schema \(as gapcheck"):
        validate(schema)


def test_answers_with_a_stray_key_of_another_kind_are_not_mistaken_for_it() -> None:
    # A survey mapping's "columns" in answers that have respondents: a plain problem.
    with pytest.raises(InputError) as raised:
        validate({**answers_file(), "columns": {}})
    assert type(raised.value) is InputError
    assert "columns: not a field of an answers file" in str(raised.value)
    # Nor is a mapping with only some of a kind's keys (a result's "generator" alone).
    with pytest.raises(InputError) as raised:
        validate({"generator": "gapcheck", "project": {}})
    assert type(raised.value) is InputError
