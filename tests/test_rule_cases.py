"""Per-rule fixtures: ``tests/rule_cases/<rule-id>.yaml``, discovered automatically.

Every rule of the default pack has one fixture file, named after the rule, listing cases that
must make the rule fire and near misses that must not::

    base: healthy-project        # a sample (samples/<name>.yaml) the cases start from
    cases:
      - name: budget not approved
        fires: true
        answers: {budget_secured: "no"}          # applied to every respondent
      - name: near miss, go-live 30 days apart
        fires: false
        base: two-respondents-disagree           # optional, per case
        context: {phase: implementation}         # the project's context answers
        respondents:                             # per respondent, by position
          - {}
          - {go_live_date: 2026-09-23}

Overrides replace single answers; ``null`` removes one (e.g. a question hidden by the new
phase). ``answers`` apply first, then each ``respondents`` entry. The case is written to a
temporary YAML file and assessed end to end with ``assess_file``; the test checks only whether
the fixture's rule is among the findings. Adding a rule without a fixture fails
``test_every_rule_has_a_fixture``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

from gapcheck.assessment import assess_file
from gapcheck.pack import load_pack

TESTS = Path(__file__).resolve().parent
CASES = TESTS / "rule_cases"
SAMPLES = TESTS.parent / "samples"
DEFAULT_BASE = "healthy-project"

Overrides = dict[str, Any]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RuleCase(_Strict):
    name: str = Field(min_length=1)
    fires: bool
    base: str | None = None
    context: Overrides = Field(default_factory=dict)
    answers: Overrides = Field(default_factory=dict)
    respondents: list[Overrides] = Field(default_factory=list)


class RuleFixture(_Strict):
    base: str = DEFAULT_BASE
    cases: list[RuleCase] = Field(min_length=2)


@dataclass(frozen=True)
class Case:
    rule_id: str
    base: str
    case: RuleCase

    @property
    def test_id(self) -> str:
        return f"{self.rule_id}: {self.case.name}"


def load_fixture(path: Path) -> RuleFixture:
    return RuleFixture.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def fixture_paths() -> list[Path]:
    return sorted(CASES.glob("*.yaml"))


def all_cases() -> list[Case]:
    return [
        Case(path.stem, case.base or fixture.base, case)
        for path in fixture_paths()
        for fixture in [load_fixture(path)]
        for case in fixture.cases
    ]


@cache
def _sample(name: str) -> dict[str, Any]:
    path = SAMPLES / f"{name}.yaml"
    assert path.exists(), f"unknown base sample {name!r}"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _apply(target: dict[str, Any], overrides: Mapping[str, Any]) -> None:
    for key, value in overrides.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = copy.deepcopy(value)


def build_answers(base: str, case: RuleCase) -> dict[str, Any]:
    """The base sample with the case's overrides applied; the sample itself is never changed."""
    data = copy.deepcopy(_sample(base))
    data.setdefault("context", {})
    _apply(data["context"], case.context)
    respondents: list[dict[str, Any]] = data["respondents"]
    assert len(case.respondents) <= len(respondents), (
        f"{len(case.respondents)} respondent overrides for a base with {len(respondents)}"
    )
    for index, respondent in enumerate(respondents):
        answers: dict[str, Any] = respondent.setdefault("answers", {})
        _apply(answers, case.answers)
        if index < len(case.respondents):
            _apply(answers, case.respondents[index])
    return data


CASE_LIST = all_cases()


@pytest.mark.parametrize("case", CASE_LIST, ids=[case.test_id for case in CASE_LIST])
def test_rule_case(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text(
        yaml.safe_dump(build_answers(case.base, case.case), sort_keys=False), encoding="utf-8"
    )
    found = [finding.id for finding in assess_file(path).findings]
    if case.case.fires:
        assert case.rule_id in found, f"{case.rule_id} did not fire; findings: {found}"
    else:
        assert case.rule_id not in found, f"{case.rule_id} fired; findings: {found}"


def test_every_rule_has_a_fixture() -> None:
    rules = {loaded.rule.id for loaded in load_pack().rules}
    fixtures = {path.stem for path in fixture_paths()}
    assert rules - fixtures == set(), "rules without tests/rule_cases/<rule-id>.yaml"
    assert fixtures - rules == set(), "fixtures for rules the default pack doesn't have"


@pytest.mark.parametrize("path", fixture_paths(), ids=[path.stem for path in fixture_paths()])
def test_fixture_has_a_firing_case_and_a_near_miss(path: Path) -> None:
    outcomes = {case.fires for case in load_fixture(path).cases}
    assert outcomes == {True, False}
