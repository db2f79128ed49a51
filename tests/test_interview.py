"""The interview behind `gapcheck fill`, without a terminal: order, visibility, checking, saving."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from gapcheck.answers import validate_answers
from gapcheck.errors import InputError
from gapcheck.interview import (
    Accepted,
    HelpShown,
    Interview,
    Rejected,
    WentBack,
    question_lines,
)
from gapcheck.loading import read_document
from gapcheck.pack import Pack, load_pack

MINI = Path(__file__).parent / "packs" / "mini"
TODAY = dt.date(2026, 11, 20)

#: A complete interview of the mini pack; keys not listed are answered with Enter.
SCRIPT = {
    "project.id": "acme-crm",
    "project.name": "ACME CRM launch",
    "project.client": "ACME Corp",
    "assessor": "Jane Doe",
    "context.ptype": "1",
    "context.phase": "2",
    "respondent.name": "Dana Lee",
    "respondent.role": "Implementation lead",
    "answers.goals": "y",
    "answers.mood": "4",
}


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(MINI)


def start(pack: Pack, path: Path, **options: Any) -> Interview:
    return Interview(pack, path, today=TODAY, **options)


def run(interview: Interview, script: Mapping[str, str], stop: str | None = None) -> list[str]:
    """Answer until the end (or until question `stop` is next); return the keys asked."""
    asked = []
    while (step := interview.next_question()) is not None and step.key != stop:
        asked.append(step.key)
        result = interview.answer(script.get(step.key, ""))
        assert isinstance(result, Accepted), (step.key, result)
    return asked


def saved(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_a_whole_interview_in_order_and_the_file_validates(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    interview = start(pack, path)
    asked = run(interview, SCRIPT)
    assert asked == [
        "project.id",
        "project.name",
        "project.client",
        "assessed_on",
        "assessor",
        "context.ptype",
        "context.phase",
        "context.size",
        "respondent.name",
        "respondent.role",
        "respondent.team",
        "answers.goals",
        "answers.mood",
        "answers.budget",
        "answers.tools",
        "answers.golive",
        "answers.owner",
        "answers.notes",
        "answers.goals_detail",  # visible: goals is yes
    ]  # beta_ready is hidden: the project is alpha
    assert saved(path) == {
        "format_version": 1,
        "project": {"id": "acme-crm", "name": "ACME CRM launch", "client": "ACME Corp"},
        "assessed_on": TODAY,
        "assessor": "Jane Doe",
        "context": {"ptype": "alpha", "phase": "execution", "size": None},
        "respondents": [
            {
                "name": "Dana Lee",
                "role": "Implementation lead",
                "team": "",
                "answers": {
                    "goals": "yes",
                    "mood": 4,
                    "budget": None,
                    "tools": None,
                    "golive": None,
                    "owner": None,
                    "notes": None,
                    "goals_detail": None,
                },
            }
        ],
    }
    answers = validate_answers(read_document(path), pack)
    assert answers.respondents[0].answers.values == {"goals": "yes", "mood": 4}
    assert answers.context.values == {"ptype": "alpha", "phase": "execution"}
    assert [p.name for p in tmp_path.iterdir()] == ["answers.yaml"]  # no temporary file left


def test_hidden_questions_are_skipped(pack: Pack, tmp_path: Path) -> None:
    interview = start(pack, tmp_path / "a.yaml")
    asked = run(
        interview,
        {**SCRIPT, "context.ptype": "2", "answers.goals": "n", "answers.beta_ready": "y"},
    )
    assert "answers.beta_ready" in asked  # the beta section applies
    assert "answers.goals_detail" not in asked  # goals is no


def test_each_answer_is_saved_at_once(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    interview = start(pack, path)
    assert not path.exists()
    assert interview.answer("acme") == Accepted("project.id", "acme")
    assert saved(path) == {
        "format_version": 1,
        "project": {"id": "acme"},
        "respondents": [{"answers": {}}],
    }
    interview.answer("ACME")
    assert saved(path)["project"] == {"id": "acme", "name": "ACME"}


@pytest.mark.parametrize(
    ("key", "typed", "reason"),
    [
        ("project.id", "acme crm", "not a valid project id (expected letters, digits"),
        ("project.name", "x" * 201, "longer than 200 characters"),
        ("assessed_on", "2026-02-30", "not a real date (expected a date as YYYY-MM-DD)"),
        ("assessed_on", "20 Nov", "not a date"),
        ("context.ptype", "3", "'3' is not one of the choices (expected a number from 1 to 2)"),
        ("context.ptype", "dk", "'don't know' is not allowed for this question"),
        ("context.size", "12.5", "'12.5': not a whole number"),
        ("context.size", "1001", "'1001': above the maximum 1000"),
        ("context.size", "lots", "'lots' is not a number (expected a whole number >= 1 and"),
        ("answers.goals", "maybe", "'maybe' is not yes or no (expected y or n, or dk"),
        ("answers.goals", "na", "'not applicable' is not allowed for this question"),
        ("answers.goals", "", "an answer is required (expected y or n, or dk (don't know))"),
        ("answers.mood", "6", "'6': above the maximum 5"),
        ("answers.mood", "nan", "'nan' is not a number"),
        ("answers.tools", "1,4", "'4' not among the choices (expected numbers from 1 to 3"),
        ("answers.tools", "1,1", "'1,1': a choice is listed twice"),
        ("answers.golive", "2027-1-5", "'2027-1-5' is not a date (expected a date as YYYY-MM-DD"),
        ("answers.golive", "2027-02-29", "'2027-02-29': not a date"),
    ],
)
def test_invalid_input_is_asked_again_with_the_reason(
    pack: Pack, tmp_path: Path, key: str, typed: str, reason: str
) -> None:
    path = tmp_path / "a.yaml"
    interview = start(pack, path)
    run(interview, SCRIPT, stop=key)
    before = path.read_bytes() if path.exists() else b""
    result = interview.answer(typed)
    assert isinstance(result, Rejected)
    assert reason in result.reason
    step = interview.next_question()
    assert step is not None
    assert step.key == key  # the same question again
    assert (path.read_bytes() if path.exists() else b"") == before  # nothing saved


@pytest.mark.parametrize(
    ("key", "typed", "stored", "shown"),
    [
        ("context.ptype", "beta", "beta", "Beta"),
        ("context.size", "250", 250, "250"),
        ("context.size", "dk", "dont_know", "don't know"),
        ("answers.goals", "YES", "yes", "yes"),
        ("answers.mood", "na", "not_applicable", "not applicable"),
        ("answers.budget", "1.5e3", 1500.0, "1500.0"),
        ("answers.tools", "3, 1", ["jira", "none"], "Jira, None"),
        ("answers.tools", "sheet", ["sheet"], "Spreadsheet"),
        ("answers.golive", "2027-02-01", dt.date(2027, 2, 1), "2027-02-01"),
        ("answers.owner", "2", "bob", "Bob"),
        ("answers.notes", "  Fine, «mostly»  ", "Fine, «mostly»", "Fine, «mostly»"),
    ],
)
def test_valid_input_is_stored_in_the_canonical_form(
    pack: Pack, tmp_path: Path, key: str, typed: str, stored: Any, shown: str
) -> None:
    path = tmp_path / "a.yaml"
    interview = start(pack, path)
    run(interview, SCRIPT, stop=key)
    assert interview.answer(typed) == Accepted(key, shown)
    where, _, question = key.partition(".")
    data = saved(path)
    holder = data["context"] if where == "context" else data["respondents"][0]["answers"]
    assert holder[question] == stored


def test_help_and_the_question_as_shown(pack: Pack, tmp_path: Path) -> None:
    interview = start(pack, tmp_path / "a.yaml")
    result = interview.answer("?")
    assert isinstance(result, HelpShown)
    assert "letters, digits, '.', '_' or '-'" in result.text
    run(interview, SCRIPT, stop="answers.mood")
    step = interview.next_question()
    assert step is not None
    assert question_lines(step) == [
        "Mood [required]",
        "  Scale: 1 = lowest ... 5 = highest",
        "  dk = don't know, na = not applicable",
    ]
    help_result = interview.answer("?")
    assert isinstance(help_result, HelpShown)
    assert "dk = don't know, na = not applicable" in help_result.text
    run(interview, SCRIPT, stop="answers.tools")
    step = interview.next_question()
    assert step is not None
    assert question_lines(step) == [
        "Tools [optional]",
        "  1. Jira",
        "  2. Spreadsheet",
        "  3. None",
        "  (any of them: numbers separated by commas, e.g. 1,3)",
        "  dk = don't know",
    ]


def test_scale_labels_are_explained(tmp_path: Path) -> None:
    pack = load_pack()
    interview = start(pack, tmp_path / "a.yaml")
    step = next(s for s in interview.steps() if s.key == "answers.objectives_understood")
    lines = question_lines(step)
    assert lines[1] == (
        "  Scale: 1 = Few could, and their answers would differ"
        " ... 5 = Everyone would say the same thing"
    )


def test_progress_counts_questions_and_sections(pack: Pack, tmp_path: Path) -> None:
    interview = start(pack, tmp_path / "a.yaml")
    first = interview.progress()
    assert first.line() == "Question 1 of 18, section 1 of 4: Project details"
    run(interview, SCRIPT, stop="context.phase")
    assert interview.progress().line() == "Question 7 of 18, section 2 of 4: Context"
    interview = start(pack, tmp_path / "b.yaml")
    run(interview, {**SCRIPT, "context.ptype": "2"}, stop="answers.goals")
    # The beta checklist now applies: one more question and one more section.
    assert interview.progress().line() == "Question 12 of 19, section 4 of 5: Basics"


def test_resume_at_the_first_unanswered_question(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    run(start(pack, path), SCRIPT, stop="respondent.role")
    resumed = start(pack, path)
    step = resumed.next_question()
    assert step is not None
    assert step.key == "respondent.role"
    # The skipped optional size is not asked again; the rest goes on as before.
    assert run(resumed, SCRIPT)[:2] == ["respondent.role", "respondent.team"]
    validate_answers(read_document(path), pack)
    assert start(pack, path).next_question() is None  # complete: nothing left to ask


def test_go_back_and_change_an_answer(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    interview = start(pack, path)
    assert interview.answer("b") == Rejected(
        "this is the first question: there is nothing to go back to"
    )
    run(interview, SCRIPT, stop="assessor")
    assert interview.answer("b") == WentBack("assessed_on")
    assert interview.answer("b") == WentBack("project.client")
    step = interview.next_question()
    assert step is not None
    assert step.current == "ACME Corp"
    assert interview.answer("ACME Corporation") == Accepted("project.client", "ACME Corporation")
    step = interview.next_question()
    assert step is not None
    assert step.key == "assessor"  # answered questions are passed over on the way forward
    assert saved(path)["project"]["client"] == "ACME Corporation"


def test_review_walks_through_every_answer(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    run(start(pack, path), SCRIPT)
    before = saved(path)
    review = start(pack, path, review=True)
    first = review.next_question()
    assert first is not None
    assert first.key == "project.id"
    assert first.current == "acme-crm"
    assert "  Current answer: acme-crm (Enter keeps it)" in question_lines(first)
    assert review.answer("") == Accepted("project.id", "acme-crm", kept=True)
    asked = run(review, {"answers.mood": "2"})
    assert len(asked) == 18  # every question again, not only the unanswered ones
    after = saved(path)
    assert after["respondents"][0]["answers"]["mood"] == 2
    after["respondents"][0]["answers"]["mood"] = 4
    assert after == before  # Enter kept every other answer


def test_answers_that_no_longer_apply_are_dropped(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    first = {**SCRIPT, "context.ptype": "2", "answers.goals_detail": "Grow"}
    run(start(pack, path), {**first, "answers.beta_ready": "n"})
    run(start(pack, path, respondent="Ann", role="Sponsor"), {**SCRIPT, "answers.beta_ready": "y"})
    data = saved(path)
    assert data["respondents"][0]["answers"]["goals_detail"] == "Grow"
    assert [r["answers"]["beta_ready"] for r in data["respondents"]] == ["no", "yes"]
    review = start(pack, path, review=True)
    run(review, {"context.ptype": "1", "answers.goals": "n"})
    data = saved(path)
    for respondent in data["respondents"]:
        assert "beta_ready" not in respondent["answers"]  # alpha: the beta checklist is hidden
    assert "goals_detail" not in data["respondents"][0]["answers"]  # goals is now no
    validate_answers(read_document(path), pack)


def test_several_respondents(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    run(start(pack, path), SCRIPT)
    second = start(pack, path, respondent="Sam Okafor", role="Head of service", team="Ops")
    asked = run(second, {"answers.goals": "n", "answers.mood": "2"})
    # The project's details and context are answered once; name, role and team were given.
    assert asked[0] == "answers.goals"
    assert "respondent.name" not in asked
    data = saved(path)
    assert [(r["name"], r["role"], r["team"]) for r in data["respondents"]] == [
        ("Dana Lee", "Implementation lead", ""),
        ("Sam Okafor", "Head of service", "Ops"),
    ]
    answers = validate_answers(read_document(path), pack)
    assert [r.answers.values["goals"] for r in answers.respondents] == ["yes", "no"]
    # Resumed by name, whatever the case: no third respondent.
    again = start(pack, path, respondent="sam okafor", review=True)
    step = again.next_question()
    assert step is not None
    assert step.key == "project.id"
    assert [s.current for s in again.steps() if s.key == "answers.goals"] == ["no"]
    assert len(saved(path)["respondents"]) == 2


def test_invalid_answers_in_the_file_are_asked_again(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    run(start(pack, path), SCRIPT)
    data = saved(path)
    data["assessed_on"] = "soon"
    data["respondents"][0]["answers"]["mood"] = 9
    data["respondents"][0]["answers"]["goals"] = "not_applicable"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    interview = start(pack, path)
    step = interview.next_question()
    assert step is not None
    assert step.key == "assessed_on"
    assert step.problem == "'soon': not a date"
    assert interview.answer("2026-11-19") == Accepted("assessed_on", "2026-11-19")
    step = interview.next_question()
    assert step is not None
    assert step.key == "answers.goals"
    assert step.problem == "'not_applicable': 'not applicable' is not allowed for this question"
    assert "  The answer in the file is not valid: " + step.problem in question_lines(step)
    interview.answer("y")
    step = interview.next_question()
    assert step is not None
    assert step.key == "answers.mood"
    assert step.problem == "9: above the maximum 5"
    interview.answer("3")
    # goals_detail applies again now that goals is yes (it was dropped while goals was invalid).
    step = interview.next_question()
    assert step is not None
    assert step.key == "answers.goals_detail"
    interview.answer("")
    assert interview.next_question() is None
    validate_answers(read_document(path), pack)


def test_a_json_file_is_written_as_json(pack: Pack, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    run(start(pack, path), SCRIPT)
    data = json.loads(path.read_text())
    assert data["assessed_on"] == TODAY.isoformat()
    validate_answers(read_document(path), pack)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "a.txt", "not an answers file name ('.txt') (expected a .yaml, .yml or .json file)"),
        ("format_version: 2\n", "a.yaml", "line 1, format_version: unsupported format version 2"),
        ("project: [1]\n", "a.yaml", "line 1, project: not a mapping"),
        ("respondents: {a: 1}\n", "a.yaml", "line 1, respondents: not a list"),
        ("respondents: [1]\n", "a.yaml", "respondents[0]: not a mapping"),
        ("respondents:\n- answers: [1]\n", "a.yaml", "line 2, respondents[0].answers: not a"),
        ("- 1\n", "a.yaml", "expected a mapping at the top level"),
    ],
)
def test_files_it_cannot_work_on(
    pack: Pack, tmp_path: Path, content: str | None, name: str, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError) as caught:
        start(pack, path)
    assert str(caught.value).startswith(str(path) + ": ")
    assert message in str(caught.value)


def test_bad_respondent_options(pack: Pack, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"--role '  ': empty"):
        start(pack, tmp_path / "a.yaml", respondent="Sam", role="  ")
