"""What the engine sends durable-rules and how it reads the answers back: the facts' JSON texts
against plainly built dicts, and the respondents read from action messages against the messages
parsed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from gapcheck import engine
from gapcheck.answers import Answers, AnswerSet, validate_answers
from gapcheck.conditions import AnswerState, AnswerValue
from gapcheck.engine import (
    CompiledPack,
    _matched_respondents,
    _searched_respondents,
    compiled,
)
from gapcheck.loading import Document, read_document
from gapcheck.pack import Pack, QuestionType, Scope, load_pack
from gapcheck.synthetic import generate_portfolio
from tests.helpers import answer_set, make_answers, mini_pack

SAMPLES = sorted(Path(__file__).parent.parent.joinpath("samples").glob("*.yaml"))


def portfolio(pack: Pack, count: int, seed: int) -> list[Answers]:
    return [
        validate_answers(Document(Path(f"{index}.yaml"), raw, "", "yaml", ""), pack)
        for index, raw in enumerate(generate_portfolio(pack, count, seed=seed))
    ]


# --- facts -----------------------------------------------------------------------------------


def plain_fields(pack: Pack, question_ids: list[str], answers: AnswerSet) -> dict[str, Any]:
    """A fact's fields built the obvious way: the answers used as they are (in the answers'
    order), then converted ones (in ``question_ids`` order), then special answers."""
    fields: dict[str, Any] = {}
    kinds = {q: pack.questions[q].question.type for q in question_ids}
    converted = (QuestionType.date, QuestionType.text, QuestionType.multiple_choice)
    for question_id, value in answers.values.items():
        if question_id in kinds and kinds[question_id] not in converted:
            fields[question_id] = value
    for question_id in question_ids:
        if question_id not in answers.values or kinds[question_id] not in converted:
            continue
        value = answers.values[question_id]
        if kinds[question_id] is QuestionType.date:
            assert not isinstance(value, (str, int, float, tuple))
            fields[question_id] = value.toordinal()
        elif kinds[question_id] is QuestionType.text:
            fields[question_id] = 1
        else:
            assert isinstance(value, tuple)
            fields[question_id] = len(value)
            fields.update({f"{question_id}__{choice}": 1 for choice in value})
    for question_id, state in answers.states.items():
        if state is not AnswerState.answered and question_id in kinds:
            fields[f"{question_id}__s"] = state.value
    return fields


def plain_facts(compiled_pack: CompiledPack, answers: Answers) -> list[dict[str, Any]]:
    """The session's facts as dicts, built the obvious way."""
    pack = compiled_pack.pack
    project = {info.question.id for info in pack.project_questions()}
    read = compiled_pack._field_questions
    context = plain_fields(pack, [q for q in read if q in project], answers.context)
    respondent_ids = [q for q in read if q not in project]
    facts = [{"sid": "gapcheck", "id": "c", "kind": "ctx", **context}]
    for index, respondent in enumerate(answers.respondents):
        fields = plain_fields(pack, respondent_ids, respondent.answers)
        facts.append(
            {"sid": "gapcheck", "kind": "resp", "ri": index, "id": f"r{index}", **context, **fields}
        )
    groups: dict[str, list[str]] = {}
    for question_id, group in compiled_pack._peer_groups.items():
        groups.setdefault(group, []).append(question_id)
    if len(answers.respondents) > 1:
        for group, question_ids in groups.items():
            for index, respondent in enumerate(answers.respondents):
                fields = plain_fields(pack, question_ids, respondent.answers)
                facts.append(
                    {
                        "sid": "gapcheck",
                        "kind": "peer",
                        "ri": index,
                        "id": f"p{index}:{group}",
                        "pq": group,
                        **fields,
                    }
                )
    facts.append({"sid": "gapcheck", "id": "e", "kind": "end"})
    return facts


def validated_inputs() -> Iterator[tuple[str, CompiledPack, Answers]]:
    pack = load_pack()
    compiled_pack = compiled(pack)
    for path in SAMPLES:
        yield path.stem, compiled_pack, validate_answers(read_document(path), pack)
    for seed in (5, 17):
        for answers in portfolio(pack, 100, seed):
            yield f"generated-{seed}", compiled_pack, answers


def test_facts_are_the_plain_facts_serialised_byte_for_byte() -> None:
    specials = respondents = 0
    for name, compiled_pack, answers in validated_inputs():
        texts = compiled_pack.facts(answers)
        # Validated answers are in questionnaire order, so the texts match byte for byte.
        expected = [orjson.dumps(fact).decode() for fact in plain_facts(compiled_pack, answers)]
        assert texts == expected, name
        specials += sum("__s" in text for text in texts)
        respondents = max(respondents, len(answers.respondents))
    assert specials > 100, "no special answers: the test exercises too little"
    assert respondents >= 3


ORDERLESS_CONTEXT: dict[str, AnswerValue] = {"size": 200, "phase": "execution", "ptype": "alpha"}


@pytest.mark.parametrize(
    "answers",
    [
        make_answers(ORDERLESS_CONTEXT, {"mood": 3, "goals": "yes", "tools": ("jira", "sheet")}),
        make_answers(
            {"ptype": "beta", "phase": "planning"},
            {"goals": "no", "mood": "not_applicable", "golive": "dont_know", "tools": ()},
            {"owner": "ann", "golive": dt.date(2026, 3, 1)},
            {},
        ),
        make_answers({}, {"notes": "not read by a rule", "beta_ready": "dont_know"}),
    ],
)
def test_facts_of_unvalidated_answers_hold_the_same_fields(answers: Answers) -> None:
    # Built by hand, answers need not be in questionnaire order: the fields are the same.
    compiled_pack = compiled(mini_pack())
    facts = [orjson.loads(text) for text in compiled_pack.facts(answers)]
    assert facts == plain_facts(compiled_pack, answers)


@pytest.mark.parametrize("wide", [True, False])
def test_fields_of_every_kind_of_question_either_way(wide: bool) -> None:
    pack = mini_pack()
    question_ids = ["goals", "mood", "tools", "golive", "notes", "owner"]
    encoding = dataclasses.replace(
        engine._encoding(pack, question_ids, Scope.respondent), wide=wide
    )
    answers = answer_set(
        {
            "goals": "no",
            "budget": 10,  # not a field: left out
            "stray": 3,  # no question of the pack: left out too
            "size": 10,  # a project question: left out too
            "mood": "dont_know",
            "tools": ("jira", "none"),
            "golive": dt.date(2026, 3, 1),
            "notes": "free text never enters the engine",
            "owner": "not_applicable",
        }
    )
    fields = engine._fields(encoding, answers)
    assert list(fields.items()) == list(plain_fields(pack, question_ids, answers).items())
    assert fields["notes"] == 1
    assert fields["tools__none"] == 1


# --- reading the respondents of an action message ------------------------------------------------

CONTEXT = '{"sid":"gapcheck","kind":"ctx"}'
FIRST = '{"sid":"gapcheck","kind":"resp","ri":0,"goals":"no"}'
SECOND = '{"sid":"gapcheck","kind":"resp","ri":1,"goals":"no","mood":2}'
BARE = '{"sid":"gapcheck","kind":"resp","ri":2}'  # no field after the index
RESPONDENT_TEXTS = [FIRST, SECOND, BARE] + [
    f'{{"sid":"gapcheck","kind":"resp","ri":{index},"goals":"no"}}' for index in range(3, 12)
]
ELEVENTH = RESPONDENT_TEXTS[10]
NAME = "no-goals#0"
START = len(NAME) + 5


def frames(*facts: str) -> str:
    return '{"' + NAME + '":[' + ",".join('{"r":' + fact + "}" for fact in facts) + "]}"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (frames(FIRST), 0b1),
        (frames(SECOND, FIRST), 0b11),
        (frames(FIRST, FIRST, SECOND), 0b11),  # one fact matched by two branches of an $or
        (frames(BARE, SECOND), 0b110),
        (frames(RESPONDENT_TEXTS[9], BARE), 1 << 9 | 1 << 2),
    ],
)
def test_reading_frames_finds_every_respondent(message: str, expected: int) -> None:
    assert _matched_respondents(message, START, RESPONDENT_TEXTS) == expected
    assert _searched_respondents(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        frames(FIRST).replace('"ri":0', '"ri":1'),  # not the text of respondent 1
        frames(FIRST, SECOND).replace('"goals":"no","mood"', '"goals": "no","mood"'),  # respaced
        frames(SECOND, ELEVENTH),  # respondents past 9 are searched for
        frames(SECOND).replace('{"r":', '{"x":'),  # another alias
        frames(BARE)[:-3] + ",}]}",  # the frame does not close where the fact ends
        '{"' + NAME + '":{"r":' + SECOND + "}}",  # a single frame, not a list
        frames(FIRST)[:-2] + ",{}]}",  # something after the frames
        frames(FIRST)[:-1],  # cut short
        '{"' + NAME + '":[{"r":{"sid"',  # cut shorter than a frame's head
    ],
)
def test_an_unexpected_layout_is_left_to_the_search(message: str) -> None:
    assert _matched_respondents(message, START, RESPONDENT_TEXTS) == 0
    assert _matched_respondents(message, START, RESPONDENT_TEXTS[:1]) == 0


def test_searching_finds_respondents_past_nine() -> None:
    assert _searched_respondents(frames(SECOND, ELEVENTH)) == 1 << 1 | 1 << 10


class RecordingNative:
    """durable's C functions, recording every action message they hand over."""

    def __init__(self, native: Any) -> None:
        self.native = native
        self.messages: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.native, name)

    def start_action_for_state(self, *args: Any) -> Any:
        started = self.native.start_action_for_state(*args)
        if started:
            self.messages.append(started[1])
        return started

    def complete_and_start_action(self, *args: Any) -> Any:
        message = self.native.complete_and_start_action(*args)
        if message:
            self.messages.append(message)
        return message


def parsed_firings(compiled_pack: CompiledPack, messages: list[str]) -> list[engine.Firing]:
    """The firings a session's messages say, each message parsed in full."""
    firings = []
    for message in messages:
        ((name, matches),) = orjson.loads(message).items()
        action = compiled_pack._actions[name]
        plan = action.plan
        if plan is None:
            continue  # the end rule
        if plan.shape != "full":
            respondents = {match["r"]["ri"] for match in matches if match["r"]["kind"] == "resp"}
            firings.append(firing(plan, tuple(sorted(respondents)), (), ()))
            continue
        for match in matches:  # per match, one firing per combination of findings it names
            answer = match.get("r", {})
            # The "found" fact flags each finding fired so far, in the order they fired.
            flagged = [key.removeprefix("is:") for key in match.get("d", {}) if key[:3] == "is:"]
            per_slot = [[fid for fid in flagged if fid in slot] for slot in plan.finding_slots]
            for findings in itertools.product(*per_slot):
                firings.append(
                    firing(
                        plan,
                        (answer["ri"],) if answer.get("kind") == "resp" else (),
                        findings,
                        tuple((q, match[x]["ri"], match[y]["ri"]) for q, x, y in plan.differs),
                    )
                )
    return firings


def firing(plan: Any, respondents: Any, findings: Any, pairs: Any) -> engine.Firing:
    return engine.Firing(
        plan.rule_id,
        plan.index,
        respondents,
        plan.uses_context,
        findings,
        plan.absent_findings,
        pairs,
        plan.answer_questions,
    )


@pytest.mark.parametrize("seed", [41, 42])
def test_firings_are_what_the_messages_say_parsed(
    monkeypatch: pytest.MonkeyPatch, seed: int
) -> None:
    pack = load_pack()
    compiled_pack = compiled(pack)
    recording = RecordingNative(engine._native)
    monkeypatch.setattr(engine, "_native", recording)
    several = findings = pairs = 0
    for answers in portfolio(pack, 150, seed):
        recording.messages.clear()
        firings = compiled_pack.run(answers)
        assert firings == parsed_firings(compiled_pack, recording.messages)
        several += sum(len(firing.respondents) > 1 for firing in firings)
        findings += sum(bool(firing.findings) for firing in firings)
        pairs += sum(bool(firing.pairs) for firing in firings)
    assert min(several, findings, pairs) > 50, "the test exercises little"


def test_reading_and_searching_give_the_same_firings(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack()
    compiled_pack = compiled(pack)
    inputs = portfolio(pack, 150, 41)
    assert sum(len(answers.respondents) > 1 for answers in inputs) > 50
    read = [compiled_pack.run(answers) for answers in inputs]
    monkeypatch.setattr(engine, "_matched_respondents", lambda message, position, texts: 0)
    for action in compiled_pack._actions.values():
        action.firings.clear()  # made afresh, from what the search finds
    searched = [compiled_pack.run(answers) for answers in inputs]
    assert read == searched
    several = [f for firings in read for f in firings if len(f.respondents) > 1]
    assert several, "no action named several respondents: the test exercises nothing"


def test_a_project_with_more_than_ten_respondents() -> None:
    calm: dict[str, AnswerValue] = {"goals": "yes", "mood": 5}
    unclear: dict[str, AnswerValue] = {"goals": "no", "mood": 5}
    respondents = [unclear if index in (0, 5, 11) else calm for index in range(12)]
    answers = make_answers({"ptype": "alpha", "phase": "planning"}, *respondents)
    firings = compiled(mini_pack()).run(answers)
    assert [f.respondents for f in firings if f.rule_id == "no-goals"] == [(0, 5, 11)]


def test_kept_firings_are_the_firings_made_afresh() -> None:
    pack = load_pack()
    compiled_pack = compiled(pack)
    inputs = portfolio(pack, 100, 7)
    kept = [compiled_pack.run(answers) for answers in inputs]
    fresh = []
    for answers in inputs:
        for action in compiled_pack._actions.values():
            action.firings.clear()
            action.read.clear()
            if action.messages is not None:
                action.messages.clear()
        fresh.append(compiled_pack.run(answers))
    assert kept == fresh
