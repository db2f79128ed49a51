"""Synthetic answers files: valid for their pack, reproducible, varied, and steered by health."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gapcheck.answers import Answers, validate_answers
from gapcheck.assessment import assess
from gapcheck.loading import parse_document
from gapcheck.pack import Pack, QuestionType, load_pack
from gapcheck.synthetic import generate_answers, generate_portfolio
from tests.helpers import mini_pack

PORTFOLIO = 500


@pytest.fixture(scope="module", params=["default", "mini"])
def pack(request: pytest.FixtureRequest) -> Pack:
    return load_pack() if request.param == "default" else mini_pack()


def _validated_json(document: dict[str, Any], pack: Pack) -> Answers:
    raw = json.dumps(document).encode()
    return validate_answers(parse_document(raw, Path(f"{document['project']['id']}.json")), pack)


def _validated_yaml(document: dict[str, Any], pack: Pack) -> Answers:
    raw = yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()
    return validate_answers(parse_document(raw, Path(f"{document['project']['id']}.yaml")), pack)


def _portfolio(pack: Pack, seed: int = 2026) -> list[dict[str, Any]]:
    return list(generate_portfolio(pack, PORTFOLIO, seed))


def test_every_generated_project_validates_as_json(pack: Pack) -> None:
    failures = []
    for document in _portfolio(pack):
        try:
            _validated_json(document, pack)
        except Exception as error:  # collect them all, then report
            failures.append(f"{document['project']['id']}: {error}")
    assert failures == []


def test_generated_projects_validate_as_yaml(pack: Pack) -> None:
    """YAML too: dates written as strings, yes/no quoted, no anchors or aliases."""
    for document in _portfolio(pack)[:100]:
        answers = _validated_yaml(document, pack)
        assert answers.project.id == document["project"]["id"]


# Visibility that depends on the respondent's own earlier answers, states, dates, multiple
# choice, and a whole section: added to the mini pack's questionnaire.
_TRICKY_BASICS = """
- {id: has_plan, type: yes_no, text: Plan, allow_not_applicable: true}
- {id: plan_date, type: date, text: Plan date, visible_if: {q: has_plan, eq: "yes"}}
- {id: plan_late, type: yes_no, text: Late, visible_if: {q: plan_date, gt: 2025-06-01}}
- {id: why_unknown, type: text, text: Why, visible_if: {q: has_plan, state: dont_know}}
- id: jira_admin
  type: yes_no
  text: Admin
  visible_if: {all: [{q: tools, has: jira}, {not: {q: mood, lte: 2}}]}
- id: team_feel
  type: scale
  text: Feel
  visible_if: {any: [{q: size, gt: 500}, {q: size, state: missing}]}
"""
_TRICKY_SECTION = """
id: followup
title: Follow-up
area: foundation
visible_if: {all: [{q: goals, eq: "no"}, {q: ptype, eq: alpha}]}
questions:
  - {id: goals_when, type: date, text: When, required: false}
  - id: goals_owner
    type: single_choice
    text: Who
    choices: [{id: a, label: A}, {id: b, label: B}]
"""


@pytest.fixture(scope="module")
def tricky_pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    folder = tmp_path_factory.mktemp("tricky")
    mini = Path(__file__).parent / "packs" / "mini"
    for name in ("pack.yaml", "core.rules.yaml"):
        (folder / name).write_bytes((mini / name).read_bytes())
    # The C loader, as the pack loader uses: the pure-Python one rejects "?}" in flow mappings.
    questionnaire = yaml.load((mini / "questionnaire.yaml").read_text(), Loader=yaml.CSafeLoader)
    basics = next(s for s in questionnaire["sections"] if s["id"] == "basics")
    basics["questions"].extend(yaml.safe_load(_TRICKY_BASICS))
    questionnaire["sections"].append(yaml.safe_load(_TRICKY_SECTION))
    (folder / "questionnaire.yaml").write_text(yaml.safe_dump(questionnaire, sort_keys=False))
    return load_pack(folder)


def test_visibility_on_earlier_answers_is_respected(tricky_pack: Pack) -> None:
    shown: dict[str, int] = {}
    for document in generate_portfolio(tricky_pack, 400, 77):
        _validated_json(document, tricky_pack)
        for answers in _answer_sets([document]):
            for question in answers:
                shown[question] = shown.get(question, 0) + 1
    for question in ("plan_date", "plan_late", "why_unknown", "jira_admin", "team_feel"):
        assert shown.get(question), f"{question} never shown"
    assert shown.get("goals_owner"), "the follow-up section never shown"


def test_generated_dict_is_the_answers_file_format(pack: Pack) -> None:
    document = generate_answers(pack, 7)
    assert set(document) == {
        "format_version",
        "project",
        "assessed_on",
        "assessor",
        "context",
        "respondents",
    }
    assert document["format_version"] == 1
    assert set(document["project"]) == {"id", "name", "client"}
    assert document["project"]["id"] == "proj-000007"
    dt.date.fromisoformat(document["assessed_on"])
    for respondent in document["respondents"]:
        assert set(respondent) == {"name", "role", "team", "answers"}
    _assert_plain(document)


def _assert_plain(value: Any) -> None:
    """Only what JSON and YAML write as they are: no dates, tuples, enums or shared lists."""
    seen: set[int] = set()

    def visit(item: Any) -> None:
        if isinstance(item, dict):
            assert all(isinstance(key, str) for key in item)
            for child in item.values():
                visit(child)
        elif isinstance(item, list):
            assert id(item) not in seen, "a list is shared: YAML would write an alias"
            seen.add(id(item))
            for child in item:
                visit(child)
        else:
            assert type(item) in (str, int, float), repr(item)

    visit(value)


def test_same_seed_same_dict(pack: Pack) -> None:
    assert generate_answers(pack, 123) == generate_answers(pack, 123)
    assert generate_answers(pack, 123, respondents=3, health=0.2) == generate_answers(
        pack, 123, respondents=3, health=0.2
    )
    assert list(generate_portfolio(pack, 50, 9)) == list(generate_portfolio(pack, 50, 9))
    assert generate_answers(pack, 123) != generate_answers(pack, 124)
    assert list(generate_portfolio(pack, 20, 9)) != list(generate_portfolio(pack, 20, 10))


def test_portfolio_items_can_be_regenerated_alone(pack: Pack) -> None:
    portfolio = list(generate_portfolio(pack, 5, 3))
    assert portfolio[4] == generate_answers(pack, (3 << 32) | 4, project_id="proj-000004")


def test_generation_leaves_the_global_random_state_alone(pack: Pack) -> None:
    state = random.getstate()
    list(generate_portfolio(pack, 20, 1))
    assert random.getstate() == state


def test_project_ids_are_unique_and_valid(pack: Pack) -> None:
    ids = [document["project"]["id"] for document in generate_portfolio(pack, 1000, 5)]
    assert len(set(ids)) == len(ids)
    assert ids[:2] == ["proj-000000", "proj-000001"]


def test_options_are_honoured(pack: Pack) -> None:
    for respondents in (1, 2, 5):
        document = generate_answers(pack, 11, respondents=respondents)
        assert len(document["respondents"]) == respondents
        _validated_json(document, pack)
    for health in (0.0, 1.0):
        _validated_json(generate_answers(pack, 11, health=health), pack)
    with pytest.raises(ValueError, match="health"):
        generate_answers(pack, 1, health=1.5)
    with pytest.raises(ValueError, match="respondents"):
        generate_answers(pack, 1, respondents=0)


def _answer_sets(documents: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for document in documents:
        yield document["context"]
        for respondent in document["respondents"]:
            yield respondent["answers"]


def test_portfolio_is_varied(pack: Pack) -> None:
    documents = _portfolio(pack)
    counts = {len(document["respondents"]) for document in documents}
    assert counts == {1, 2, 3}
    values = [value for answers in _answer_sets(documents) for value in answers.values()]
    assert "dont_know" in values
    if any(info.question.allow_not_applicable for info in pack.questions.values()):
        assert "not_applicable" in values
    optional = [info.question.id for info in pack.questions.values() if not info.question.required]
    answered = {question for answers in _answer_sets(documents) for question in answers}
    skipped = [
        question
        for question in optional
        if any(question not in answers for answers in _answer_sets(documents))
    ]
    assert skipped, "optional questions are sometimes left out"
    assert answered, "and answered"
    for info in pack.questions.values():
        if info.question.type is QuestionType.multiple_choice:
            assert any(
                isinstance(answers.get(info.question.id), list)
                for answers in _answer_sets(documents)
            )


def test_respondents_sometimes_disagree(pack: Pack) -> None:
    """On dates by more than a month, and on single choices."""
    dates = [i.question.id for i in pack.respondent_questions() if i.question.type.value == "date"]
    choices = [
        i.question.id
        for i in pack.respondent_questions()
        if i.question.type is QuestionType.single_choice
    ]
    date_gaps = choice_splits = agreements = 0
    for document in _portfolio(pack):
        people = [r["answers"] for r in document["respondents"]]
        for first, other in itertools.pairwise(people):
            for question in dates:
                a, b = first.get(question), other.get(question)
                if a and b and "dont_know" not in (a, b) and "not_applicable" not in (a, b):
                    gap = abs((dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days)
                    date_gaps += gap > 30
            for question in choices:
                if question in first and question in other:
                    split = first[question] != other[question]
                    choice_splits += split
                    agreements += not split
    if dates:
        assert date_gaps > 0
    assert choice_splits > 0
    assert agreements > choice_splits, "people of one project mostly agree"


def test_health_moves_the_findings(pack: Pack) -> None:
    def mean_findings(health: float) -> float:
        total = 0
        for seed in range(100):
            document = generate_answers(pack, seed, health=health)
            total += len(assess(_validated_json(document, pack), pack).findings)
        return total / 100

    unhealthy, healthy = mean_findings(0.1), mean_findings(0.9)
    assert healthy < unhealthy
