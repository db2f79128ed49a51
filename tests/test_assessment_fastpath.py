"""The fast paths of assessment, scoring and the JSON report, pinned against the slow ones.

- The JSON of every sample and of generated portfolios (default and mini packs, with and
  without the answers appendix) is pinned by digest. The digests were taken from the code
  before the fast paths (commit 1b30d8c). After a deliberate change to the rules, the scoring,
  the result or ``gapcheck.synthetic``, print the new ones with
  ``.venv/bin/python -m tests.test_assessment_fastpath`` and review why they moved.
- The JSON renderer is compared byte for byte with orjson serialising the result whole.
- Findings must not depend on how the engine groups respondents into firings.
- The builders of the result's dataclasses must build what ``__init__`` builds.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from gapcheck.answers import Answers, AnswerSet, validate_answers
from gapcheck.assessment import (
    AnswerRow,
    AssessmentResult,
    EvidenceItem,
    Finding,
    PackRef,
    ProjectRef,
    RespondentRef,
    _answer_row,
    _answer_text,
    _evidence_item,
    _finding,
    _finding_fields,
    _findings,
    _plan,
    _result,
    assess,
    assess_file,
)
from gapcheck.conditions import AnswerState
from gapcheck.engine import Firing, compiled
from gapcheck.formats import OutputFormat, render
from gapcheck.formats.json_format import dumps
from gapcheck.loading import parse_document
from gapcheck.pack import Pack, load_pack
from gapcheck.synthetic import generate_answers, generate_portfolio
from tests.helpers import make_answers, mini_pack

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

#: sha256 over the JSON of each result of a group, with the answers appendix and without.
DIGESTS = {
    "samples": "fdb863d07f97569ffe65b7473b13b04a1328bb5288db9e2f23475c9985c89cce",
    "default-11": "cfb0d7a0e3b8aee8363bb27a62d48908cffa2f48f728939df2588e18f17cc104",
    "default-2026": "68953110b9cb9c4b79650c64db75bf8d160fa7f530a649d33fe627aba1294c29",
    "default-extremes": "a7de76fda12eedd9d10fefe38a8717bc8c4c791db2c3ed1d4a78b9363f420262",
    "mini-5": "12782340b4946db81ecf8ee1451047608d2090058f6fd6629b07f7e676388606",
}


def _validated(document: dict[str, Any], pack: Pack) -> Answers:
    raw = json.dumps(document).encode()
    return validate_answers(parse_document(raw, Path(f"{document['project']['id']}.json")), pack)


def _documents(group: str, pack: Pack) -> Iterator[dict[str, Any]]:
    if group == "default-extremes":
        for seed in range(20):
            for respondents, health in ((3, 0.05), (3, 0.95), (1, 0.3)):
                yield generate_answers(pack, seed, respondents=respondents, health=health)
    else:
        seed = int(group.split("-")[1])
        yield from generate_portfolio(pack, 100, seed)


@cache
def results(group: str) -> tuple[AssessmentResult, ...]:
    """Each group's results, with the answers appendix; assessed once per session."""
    if group == "samples":
        paths = sorted(SAMPLES.glob("*.yaml"))
        return tuple(assess_file(path, with_answers=True) for path in paths)
    pack = mini_pack() if group.startswith("mini") else load_pack()
    return tuple(
        assess(_validated(document, pack), pack, with_answers=True)
        for document in _documents(group, pack)
    )


def digest(group: str) -> str:
    hasher = hashlib.sha256()
    for result in results(group):
        hasher.update(render(result, OutputFormat.json))
        hasher.update(render(dataclasses.replace(result, answers=()), OutputFormat.json))
    return hasher.hexdigest()


@pytest.mark.parametrize("group", sorted(DIGESTS))
def test_results_are_those_of_before_the_fast_paths(group: str) -> None:
    assert digest(group) == DIGESTS[group]


def _model_dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(type(value).__name__)


def reference_json(result: AssessmentResult) -> bytes:
    """The result serialised whole, as orjson walks dataclasses: what the renderer must give."""
    return orjson.dumps(result, default=_model_dump, option=orjson.OPT_INDENT_2) + b"\n"


@pytest.mark.parametrize("group", sorted(DIGESTS))
def test_json_is_orjson_of_the_whole_result(group: str) -> None:
    for result in results(group):
        assert dumps(result) == reference_json(result)
        bare = dataclasses.replace(result, answers=())
        assert dumps(bare) == reference_json(bare)


def test_json_of_a_result_built_by_hand() -> None:
    # Not from assess: its recommendations are not the pack plan's shared tuples.
    finding = next(f for result in results("samples") for f in result.findings)
    copy = dataclasses.replace(finding, recommendations=tuple(finding.recommendations))
    result = dataclasses.replace(results("samples")[0], findings=(copy, finding))
    assert dumps(result) == reference_json(result)


# --- grouping of respondents into firings ----------------------------------------------------


def _split(firings: list[Firing]) -> list[Firing]:
    """Every firing as one firing per respondent, as the engine once reported them."""
    return [
        firing._replace(respondents=(index,))
        for firing in firings
        for index in firing.respondents or [None]
        if index is not None
    ] + [firing for firing in firings if not firing.respondents]


def _merged(firings: list[Firing]) -> list[Firing]:
    """Firings of one rule and alternative that differ only in their respondents, merged."""
    merged: dict[tuple[Any, ...], Firing] = {}
    for firing in firings:
        key = (*firing._replace(respondents=()),)
        if key in merged:
            both = sorted({*merged[key].respondents, *firing.respondents})
            merged[key] = merged[key]._replace(respondents=tuple(both))
        else:
            merged[key] = firing
    return list(merged.values())


def _backwards(firings: list[Firing]) -> list[Firing]:
    """One firing per respondent, later alternatives and respondents first. Firings that only
    differ in what else they matched keep their order: the engine's order decides between them.
    """
    return sorted(
        _split(firings),
        key=lambda firing: (-firing.alternative, [-index for index in firing.respondents]),
    )


def _corpus_answers(pack: Pack, count: int, seed: int) -> list[Answers]:
    documents = [generate_answers(pack, seed + i, respondents=3) for i in range(count)]
    return [_validated(document, pack) for document in documents]


@pytest.mark.parametrize("pack", [load_pack(), mini_pack()], ids=["default", "mini"])
def test_findings_do_not_depend_on_how_respondents_are_grouped(pack: Pack) -> None:
    plan = _plan(pack)
    grouped = 0
    for answers in _corpus_answers(pack, 40, 500):
        firings = list(compiled(pack).run(answers))
        expected = _findings(plan, answers, firings)
        for regrouped in (_split(firings), _merged(_split(firings)), _backwards(firings)):
            assert _findings(plan, answers, regrouped) == expected
        grouped += sum(len(firing.respondents) > 1 for firing in _merged(firings))
    assert grouped > 0  # the corpus does group respondents


def _firing(rule_id: str, alternative: int, respondents: tuple[int, ...], **rest: Any) -> Firing:
    fields: dict[str, Any] = {
        "context_matched": False,
        "findings": (),
        "absent_findings": (),
        "pairs": (),
        "questions": ("goals",),
    }
    fields.update(rest)
    return Firing(rule_id, alternative, respondents, **fields)


def test_because_lines_keep_respondent_order_whatever_the_grouping() -> None:
    # Lines of absent findings come after the first respondent's evidence, as they did when
    # each firing named one respondent; alternatives first, whatever order they come in.
    pack = mini_pack()
    plan = _plan(pack)
    answers = make_answers(
        {"ptype": "alpha", "phase": "planning"},
        {"goals": "no"},
        {"goals": "dont_know"},
        {"goals": "yes"},
    )
    absent = {"absent_findings": ("low-mood",)}
    one_each = [
        _firing("no-goals", 0, (0,), **absent),
        _firing("no-goals", 0, (1,), **absent),
        _firing("no-goals", 0, (2,), **absent),
        _firing("no-goals", 1, (1,)),
    ]
    expected = _findings(plan, answers, one_each)
    assert expected[0].because[:2] == (
        'Person 0 (Role 0) answered "Goals clear?": no',
        'None of these was found: "Low mood"',
    )
    for firings in (
        [_firing("no-goals", 0, (0, 1, 2), **absent), _firing("no-goals", 1, (1,))],
        [
            _firing("no-goals", 1, (1,)),
            _firing("no-goals", 0, (0, 2), **absent),
            _firing("no-goals", 0, (1,), **absent),
        ],
    ):
        assert _findings(plan, answers, firings) == expected


# --- builders ---------------------------------------------------------------------------------


def _built_like_init(built: Any, by_init: Any) -> None:
    assert type(built) is type(by_init)
    assert built == by_init
    names = [field.name for field in dataclasses.fields(by_init)]
    assert list(vars(built)) == names  # every field, in order (orjson writes them so)
    assert list(vars(built).values()) == [getattr(by_init, name) for name in names]


def test_builders_build_what_init_builds() -> None:
    state = AnswerState.answered
    item = _evidence_item("q", "Q?", "Ann (Lead)", "yes", state)
    _built_like_init(item, EvidenceItem("q", "Q?", "Ann (Lead)", "yes", state))
    _built_like_init(
        _answer_row("q", "Q?", ("a", "b"), False), AnswerRow("q", "Q?", ("a", "b"), False)
    )
    pack = load_pack()
    derived = next(loaded for loaded in pack.rules if loaded.findings_read)
    rule = derived.rule
    recommendations = tuple(rule.recommendations)
    finding = _finding(_finding_fields(derived), (item,), ("why",), ("x",))
    _built_like_init(
        finding,
        Finding(
            rule.id,
            rule.title,
            rule.severity,
            rule.area,
            rule.why,
            rule.source,
            True,
            (item,),
            ("why",),
            ("x",),
            recommendations,
        ),
    )
    answers = make_answers({})
    arguments: dict[str, Any] = {
        "project": ProjectRef("p", "P", "C"),
        "respondents": (RespondentRef("Ann", "Lead", ""),),
        "pack": PackRef("pack", "1.0.0", "0" * 64),
        "scores": {"a": 1},
        "overall": 1,
        "confidence": "red",
        "justification": "j",
        "counts": {"critical": 1},
        "findings": (finding,),
    }
    _built_like_init(
        _result(answers=answers, sections=(), **arguments),
        AssessmentResult(
            format_version=1,
            generator=results("samples")[0].generator,
            assessed_on=answers.assessed_on,
            assessor=answers.assessor,
            answers_sha256=answers.sha256,
            answers=(),
            **arguments,
        ),
    )


def test_answer_texts_of_closed_questions_only_for_their_own_type() -> None:
    view = _plan(mini_pack()).questions["mood"]  # a 1-5 scale
    answered = AnswerState.answered
    assert _answer_text(view, AnswerSet({"mood": 3}, {"mood": answered}))[0] == "3 of 5"
    # 3.0 equals 3 but is shown as display_value shows it, not as the table's 3.
    assert _answer_text(view, AnswerSet({"mood": 3.0}, {"mood": answered}))[0] == "3.0 of 5"
    assert _answer_text(view, AnswerSet({}, {}))[0] == "no answer"


if __name__ == "__main__":
    for name in sorted(DIGESTS):
        print(f'    "{name}": "{digest(name)}",')
