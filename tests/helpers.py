"""Small builders shared by tests: answers without files, the mini pack."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from gapcheck.answers import Answers, AnswerSet, ProjectInfo, Respondent
from gapcheck.conditions import AnswerState, AnswerValue
from gapcheck.pack import Pack, load_pack

TESTS = Path(__file__).parent
MINI_PACK = TESTS / "packs" / "mini"
SPECIALS = ("dont_know", "not_applicable")


def python_output(code: str) -> str:
    """What a fresh Python process running ``code`` prints (it must exit with 0)."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout


def mini_pack() -> Pack:
    return load_pack(MINI_PACK)


def answer_set(raw: Mapping[str, AnswerValue]) -> AnswerSet:
    """Already-normalised answers; "dont_know" and "not_applicable" become states."""
    values = {key: value for key, value in raw.items() if value not in SPECIALS}
    states = {
        key: AnswerState(value) if value in SPECIALS else AnswerState.answered
        for key, value in raw.items()
    }
    return AnswerSet(values, states)


def make_answers(
    context: Mapping[str, AnswerValue], *respondents: Mapping[str, AnswerValue]
) -> Answers:
    return Answers(
        path=None,
        sha256="0" * 64,
        project=ProjectInfo(id="test", name="Test project", client="Test client"),
        assessed_on=dt.date(2026, 11, 1),
        assessor="Tester",
        context=answer_set(context),
        respondents=tuple(
            Respondent(f"Person {index}", f"Role {index}", "Team", answer_set(raw))
            for index, raw in enumerate(respondents)
        ),
    )
