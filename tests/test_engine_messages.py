"""How the engine reads durable-rules' action messages: the respondents a rule matched."""

from __future__ import annotations

from pathlib import Path

import pytest

from gapcheck import engine
from gapcheck.answers import validate_answers
from gapcheck.engine import _respondent_indexes, _stepped_respondent_indexes, compiled
from gapcheck.loading import Document
from gapcheck.pack import load_pack
from gapcheck.synthetic import generate_portfolio

FIRST = '{"sid":"gapcheck","kind":"resp","ri":0,"goals":"no"}'
SECOND = '{"sid":"gapcheck","kind":"resp","ri":1,"goals":"no","mood":2}'
ELEVENTH = '{"sid":"gapcheck","kind":"resp","ri":10,"goals":"no"}'
LENGTHS = {0: len(FIRST), 1: len(SECOND), 10: len(ELEVENTH)}


def frames(*facts: str) -> str:
    return '{"no-goals#0":[' + ",".join('{"r":' + fact + "}" for fact in facts) + "]}"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (frames(FIRST), (0,)),
        (frames(SECOND, FIRST), (0, 1)),
        (frames(FIRST, FIRST, SECOND), (0, 1)),  # one fact matched by two branches of an $or
        (frames(ELEVENTH, SECOND), (1, 10)),
        ('{"no-goals#0":{"r":' + SECOND + "}}", (1,)),  # a single frame, not a list
    ],
)
def test_stepping_over_frames_reads_every_respondent(
    message: str, expected: tuple[int, ...]
) -> None:
    assert _stepped_respondent_indexes(message, LENGTHS) == expected
    assert _respondent_indexes(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        frames(FIRST).replace('"ri":0', '"ri":7'),  # a respondent whose length is unknown
        frames(FIRST, SECOND).replace('"goals":"no","mood"', '"goals": "no","mood"'),  # respaced
        '{"no-goals#0":[{"x":' + FIRST + "}]}",  # another alias
    ],
)
def test_an_unexpected_layout_is_left_to_the_search(message: str) -> None:
    assert _stepped_respondent_indexes(message, LENGTHS) == ()


def test_stepping_and_searching_give_the_same_firings(monkeypatch: pytest.MonkeyPatch) -> None:
    pack = load_pack()
    compiled_pack = compiled(pack)
    portfolio = [
        validate_answers(Document(Path(f"{index}.yaml"), raw, "", "yaml", ""), pack)
        for index, raw in enumerate(generate_portfolio(pack, 150, seed=41))
    ]
    assert sum(len(answers.respondents) > 1 for answers in portfolio) > 50
    stepped = [compiled_pack.run(answers) for answers in portfolio]
    monkeypatch.setattr(engine, "_stepped_respondent_indexes", lambda message, lengths: ())
    searched = [compiled_pack.run(answers) for answers in portfolio]
    assert stepped == searched
    several = [f for firings in stepped for f in firings if len(f.respondents) > 1]
    assert several, "no action named several respondents: the test exercises nothing"
