"""Validation's fast path against its thorough path, which is the reference.

``validate_answers`` first tries ``_validate_plain``, which accepts only plainly valid files and
declines (None) at the first doubt; then ``_validate_thoroughly`` runs, the pydantic and
per-question checks that list every problem. The property pinned here: for any document, the
fast path either declines or returns exactly what the thorough path returns (every field, the
types of the values and the order of the answers), and the thorough path would not have raised.
The fast path must also really be taken for valid files: the samples and generated portfolios.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapcheck.answers import (
    Answers,
    AnswerSet,
    _validate_plain,
    _validate_thoroughly,
    validate_answers,
)
from gapcheck.conditions import (
    COMPARISON_OPERATORS,
    SPECIAL_ANSWERS,
    All,
    AnswerState,
    AnswerValue,
    AnyOf,
    Compare,
    ConditionNode,
    Not,
    StateIs,
    compile_visibility,
    evaluate_visibility,
    walk,
)
from gapcheck.errors import InputError
from gapcheck.loading import Document, parse_document, read_document
from gapcheck.pack import (
    NOT_PLAIN,
    Choice,
    Pack,
    Question,
    QuestionType,
    Scope,
    check_operand,
    load_pack,
    plain_normaliser,
)
from gapcheck.synthetic import generate_portfolio
from tests.helpers import mini_pack
from tests.strategies import answers_for

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def default_pack() -> Pack:
    return load_pack()


# --- comparing outcomes ------------------------------------------------------------------------


def _typed(mapping: Any) -> list[tuple[Any, str, Any]]:
    """A mapping as (key, type name, value) in order: 1 == 1.0 == True must not pass."""
    return [(key, type(value).__name__, value) for key, value in mapping.items()]


def snapshot(answers: Answers) -> tuple[Any, ...]:
    def answer_set(one: AnswerSet) -> tuple[Any, ...]:
        return (type(one).__name__, _typed(one.values), _typed(one.states))

    project = answers.project
    return (
        type(answers).__name__,
        answers.path,
        answers.sha256,
        type(project).__name__,
        _typed(project.__dict__),
        sorted(project.model_fields_set),
        project.__pydantic_extra__,
        type(answers.assessed_on).__name__,
        answers.assessed_on,
        type(answers.assessor).__name__,
        answers.assessor,
        answer_set(answers.context),
        [
            (
                type(respondent).__name__,
                _typed({"name": respondent.name, "role": respondent.role, "team": respondent.team}),
                answer_set(respondent.answers),
            )
            for respondent in answers.respondents
        ],
    )


def outcome(validate: Callable[[], Answers]) -> tuple[Any, ...]:
    """What a validation returns or raises, comparable."""
    try:
        answers = validate()
    except InputError as error:
        return ("InputError", str(error))
    except Exception as error:  # any other exception must be the same too
        return (type(error).__name__, str(error))
    return ("ok", snapshot(answers))


def check_document(document: Document, pack: Pack) -> bool:
    """Assert the fast path agrees with the thorough one; return whether it was taken."""
    thorough = outcome(lambda: _validate_thoroughly(document, pack))
    assert outcome(lambda: validate_answers(document, pack)) == thorough
    plain = _validate_plain(document, pack)
    if plain is None:
        return False
    assert thorough[0] == "ok", f"the fast path accepted what the thorough path refuses: {thorough}"
    assert snapshot(plain) == thorough[1]
    return True


def yaml_document(data: dict[str, Any]) -> Document:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return parse_document(text.encode("utf-8"), Path("answers.yaml"))


def json_document(data: dict[str, Any]) -> Document:
    return parse_document(orjson.dumps(data), Path("answers.json"))


def raw_document(data: dict[str, Any]) -> Document:
    """A document of any data, even what no file can hold (the text only gives error lines)."""
    try:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, UnicodeEncodeError):
        text = "{}\n"
    return Document(Path("answers.yaml"), data, text, "yaml", "0" * 64)


# --- valid files take the fast path ------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_samples_take_the_fast_path_with_the_same_answers(path: Path) -> None:
    assert check_document(read_document(path), default_pack())


@pytest.mark.parametrize("seed", [1, 2, 5, 11])
def test_generated_portfolios_take_the_fast_path_with_the_same_answers(seed: int) -> None:
    pack = default_pack()
    for data in generate_portfolio(pack, 25, seed):
        assert check_document(yaml_document(data), pack)
        assert check_document(json_document(data), pack)


def raw_answers(answers: Answers, draw: st.DrawFn) -> dict[str, Any]:
    """An answers file's data holding ``answers``, in one of the spellings a file may use."""

    def spelt(answer_set: AnswerSet) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for question_id, state in answer_set.states.items():
            if state is not AnswerState.answered:
                raw[question_id] = state.value
                continue
            value = answer_set.values[question_id]
            if isinstance(value, tuple):
                # A list, or one choice alone
                spellings = [list(value), *([value[0]] if len(value) == 1 else [])]
                raw[question_id] = draw(st.sampled_from(spellings))
            elif isinstance(value, dt.date):
                raw[question_id] = draw(st.sampled_from([value, value.isoformat()]))
            elif value in ("yes", "no") and draw(st.booleans()):
                raw[question_id] = value == "yes"
            else:
                raw[question_id] = value
        return raw

    return {
        "format_version": 1,
        "project": answers.project.model_dump(),
        "assessed_on": answers.assessed_on.isoformat(),
        "assessor": answers.assessor,
        "context": spelt(answers.context),
        "respondents": [
            {
                "name": respondent.name,
                "role": respondent.role,
                "team": respondent.team,
                "answers": spelt(respondent.answers),
            }
            for respondent in answers.respondents
        ],
    }


@st.composite
def valid_files(draw: st.DrawFn, pack: Pack) -> dict[str, Any]:
    return raw_answers(draw(answers_for(pack)), draw)


@PROPERTY
@given(st.data())
def test_valid_files_of_the_mini_pack_take_the_fast_path(data: st.DataObject) -> None:
    # The mini pack has a condition on an answer of the same set (goals_detail reads goals).
    pack = mini_pack()
    assert check_document(raw_document(data.draw(valid_files(pack))), pack)


@settings(PROPERTY, max_examples=100)
@given(st.data())
def test_valid_files_of_the_default_pack_take_the_fast_path(data: st.DataObject) -> None:
    pack = default_pack()
    assert check_document(raw_document(data.draw(valid_files(pack))), pack)


def test_both_kinds_of_visibility_are_exercised() -> None:
    # The default pack's respondent conditions read only the context (decided once per set);
    # the mini pack's goals_detail reads an answer of its own set (tested as the set is read).
    assert not default_pack().answer_plans[Scope.respondent].reads_own_answers
    assert mini_pack().answer_plans[Scope.respondent].reads_own_answers


# --- invalid and unusual files go the thorough way ---------------------------------------------

#: Values an answer or a field may take: valid, invalid, and unusual spellings of valid ones.
ODD_VALUES: tuple[Any, ...] = (
    None,
    "",
    [],
    {},
    " ",
    "yes",
    "no",
    "Yes",
    " yes ",
    True,
    False,
    0,
    1,
    3,
    5,
    6,
    -1,
    1.0,
    2.5,
    3.0,
    -0.0,
    1e308,
    math.inf,
    math.nan,
    2**53 + 1,
    10**400,
    "dont_know",
    "not_applicable",
    " dont_know",
    "2026-11-27",
    "2026-02-30",
    "20261127",
    "2026-11-27T00:00:00",
    dt.date(2026, 11, 27),
    dt.datetime(2026, 11, 27),
    1_700_000_000,
    "jira",
    ["jira"],
    ["jira", "jira"],
    ["jira", 1],
    ["sheet", "jira"],
    ("jira",),
    ["dont_know"],
    "x" * 5000,
    "\ud800",
    "a\x1c",
    "\x1ca",
    "a\u00a0",
    b"yes",
    [None],
    [[]],
    {"a": 1},
)


def odd_values(pack: Pack) -> st.SearchStrategy[Any]:
    choices = sorted(
        {choice for info in pack.questions.values() for choice in info.question.choice_ids}
    )
    return st.one_of(
        st.sampled_from(ODD_VALUES),
        st.sampled_from(choices),
        st.lists(st.sampled_from(choices), max_size=3),
    )


def likely_values(pack: Pack, question_id: str) -> st.SearchStrategy[Any]:
    """Answers a question may well take, spelt in the ways a file may spell them."""
    info = pack.questions.get(question_id)
    if info is None:
        return st.sampled_from(["yes", 1])
    question = info.question
    specials = st.sampled_from([*SPECIAL_ANSWERS, None, ""])
    kind = question.type
    if kind is QuestionType.yes_no:
        spelt = st.sampled_from(["yes", "no", True, False])
    elif kind in (QuestionType.scale, QuestionType.number):
        low = 1 if kind is QuestionType.scale else question.min
        high = 5 if kind is QuestionType.scale else question.max
        spelt = st.one_of(
            st.integers(int(low) - 1 if low is not None else -5, int(high) + 1 if high else 50),
            st.floats(allow_nan=False, min_value=(low or 0) - 1, max_value=(high or 50) + 1),
        )
    elif kind is QuestionType.single_choice:
        spelt = st.sampled_from(question.choice_ids)
    elif kind is QuestionType.multiple_choice:
        spelt = st.one_of(
            st.sampled_from(question.choice_ids), st.lists(st.sampled_from(question.choice_ids))
        )
    elif kind is QuestionType.date:
        spelt = st.dates(dt.date(2025, 1, 1), dt.date(2028, 1, 1)).flatmap(
            lambda day: st.sampled_from([day, day.isoformat(), f" {day.isoformat()}"])
        )
    else:
        spelt = st.text(max_size=5)
    return st.one_of(spelt, specials)


def answer_keys(pack: Pack) -> st.SearchStrategy[str]:
    known = list(pack.questions)
    return st.one_of(
        st.sampled_from(known),
        st.sampled_from([question_id[:-1] for question_id in known] + ["colour", " goals"]),
    )


#: Envelope fields and odd values for them.
ENVELOPE_VALUES: dict[str, tuple[Any, ...]] = {
    "format_version": (1, True, 1.0, "1", 2, None),
    "assessed_on": (
        "2026-11-01",
        dt.date(2026, 11, 1),
        dt.datetime(2026, 11, 1),
        "2026-11-01T00:00:00",
        "20261101",
        "2026-02-30",
        "0000-01-01",
        1_700_000_000,
        None,
    ),
    "assessor": ("A", "", " A", "A\n", "A" * 200, "A" * 201, "\ud800", "a\x1c", 5, None),
    "context": (None, [], {}, "x"),
    "respondents": (None, [], "x", [None], [{}], [{"name": "A", "role": "B"}] * 51),
    "colour": ("blue",),
}
PROJECT_VALUES: dict[str, tuple[Any, ...]] = {
    "id": ("p-1", " p-1", "p-1\n", "-p", "p" * 100, "p" * 101, "p.1_x", 5, None),
    "name": ("N", "", " N ", "N\n", "N" * 201, "\ud800", "a\x1c", "\x1ca", "a\u00a0", 5, None),
    "client": ("C", "", None),
    "extra": ("x",),
}
RESPONDENT_VALUES: dict[str, tuple[Any, ...]] = {
    "name": ("N", "", " N", "N" * 200, "N" * 201, None, 5),
    "role": ("R", "", "R\t"),
    "team": (None, "", " ", "T", " T", "T" * 201, 5, []),
    "answers": (None, [], {}, "x"),
    "extra": ("x",),
}


@st.composite
def mutated(draw: st.DrawFn, pack: Pack, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a few answers or fields changed, added or removed."""
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(["answer", "answer", "answer", "envelope", "project", "who"]))
        respondents = data.get("respondents")
        if where == "answer":
            holders = [data] + (
                [entry for entry in respondents if isinstance(entry, dict)]
                if isinstance(respondents, list)
                else []
            )
            holder = draw(st.sampled_from(holders))
            field = "context" if holder is data else "answers"
            answers = holder.get(field)
            if not isinstance(answers, dict):
                continue
            scope = Scope.project if holder is data else Scope.respondent
            own = st.sampled_from(list(pack.questions_by_scope[scope]))
            key = draw(st.one_of(own, own, answer_keys(pack)))
            if key in answers and draw(st.booleans()):
                del answers[key]
            else:
                answers[key] = draw(st.one_of(likely_values(pack, key), odd_values(pack)))
        elif where == "envelope":
            field = draw(st.sampled_from(sorted(ENVELOPE_VALUES)))
            if field in data and draw(st.integers(0, 3)) == 0:
                del data[field]
            else:
                data[field] = draw(st.sampled_from(ENVELOPE_VALUES[field]))
        elif where == "project" and isinstance(data.get("project"), dict):
            field = draw(st.sampled_from(sorted(PROJECT_VALUES)))
            data["project"][field] = draw(st.sampled_from(PROJECT_VALUES[field]))
        elif where == "who" and isinstance(respondents, list) and respondents:
            entry = draw(st.sampled_from(respondents))
            if isinstance(entry, dict):
                field = draw(st.sampled_from(sorted(RESPONDENT_VALUES)))
                if field in entry and draw(st.integers(0, 3)) == 0:
                    del entry[field]
                else:
                    entry[field] = draw(st.sampled_from(RESPONDENT_VALUES[field]))
    return data


@PROPERTY
@given(st.data())
def test_changed_files_of_the_mini_pack_agree(data: st.DataObject) -> None:
    pack = mini_pack()
    check_document(raw_document(data.draw(mutated(pack, data.draw(valid_files(pack))))), pack)


@PROPERTY
@given(st.data())
def test_changed_files_of_the_default_pack_agree(data: st.DataObject) -> None:
    pack = default_pack()
    base = next(generate_portfolio(pack, 1, data.draw(st.integers(0, 50))))
    check_document(raw_document(data.draw(mutated(pack, base))), pack)


def test_the_property_sees_both_outcomes() -> None:
    # The mutations above must reach both paths, or the property could pass vacuously.
    pack = mini_pack()
    taken = []
    for seed in range(40):
        base = next(generate_portfolio(pack, 1, seed))
        for key, value in (("goals", "maybe"), ("goals", True), ("mood", 3.0), ("mood", 2)):
            changed = {**base, "respondents": [dict(entry) for entry in base["respondents"]]}
            changed["respondents"][0]["answers"] = {**base["respondents"][0]["answers"], key: value}
            taken.append(check_document(raw_document(changed), pack))
    assert any(taken)
    assert not all(taken)


def _healthy_sample() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "samples" / "healthy-project.yaml").read_text())
    return data


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for part in path[:-1]:
            target = target[part]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


_DELETE = object()
ANSWERS = ("respondents", 0, "answers")

#: The invalid files of tests/test_cli.py and tests/test_answers.py, and a few more.
INVALID: dict[str, Callable[[dict[str, Any]], None]] = {
    "unknown question": _set((*ANSWERS, "budget_secure"), "yes"),
    "out of range": _set((*ANSWERS, "objectives_understood"), 9),
    "not yes or no": _set((*ANSWERS, "budget_secured"), "maybe"),
    "choice not offered": _set((*ANSWERS, "success_measures"), "vibes"),
    "required missing": _set((*ANSWERS, "objectives_defined"), _DELETE),
    "required empty": _set((*ANSWERS, "objectives_defined"), ""),
    "hidden question answered": _set((*ANSWERS, "sw_bug_triage"), "yes"),
    "context question under a respondent": _set((*ANSWERS, "phase"), "execution"),
    "respondent question in the context": _set(("context", "tasks_tracked"), "yes"),
    "format version": _set(("format_version",), 7),
    "client missing": _set(("project", "client"), _DELETE),
    "extra field": _set(("colour",), "blue"),
    "bad project id": _set(("project", "id"), "-x"),
    "empty name": _set(("respondents", 0, "name"), ""),
    "special not allowed": _set((*ANSWERS, "objectives_defined"), "not_applicable"),
    "not a date": _set(("assessed_on",), "27/11/2026"),
    "no respondents": _set(("respondents",), []),
    "answers not a mapping": _set((*ANSWERS,), ["yes"]),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_files_are_refused_with_the_thorough_messages(name: str) -> None:
    data = _healthy_sample()
    assert data["context"]["project_type"] != "software_launch"
    INVALID[name](data)
    document = yaml_document(data)
    assert _validate_plain(document, default_pack()) is None
    with pytest.raises(InputError) as raised:
        validate_answers(document, default_pack())
    with pytest.raises(InputError) as reference:
        _validate_thoroughly(document, default_pack())
    assert str(raised.value) == str(reference.value)
    assert raised.value.problems == reference.value.problems


MINI_INVALID: tuple[tuple[str, Any], ...] = (
    ("goals_detail", "Grow"),  # hidden: goals is "no" below
    ("tools", ["jira", "jira"]),
    ("tools", ["excel"]),
    ("goals", "not_applicable"),
    ("golive", "31/01/2027"),
    ("budget", -1),
    ("mood", 2.5),
    ("mood", True),
)


@pytest.mark.parametrize(("key", "value"), MINI_INVALID)
def test_invalid_answers_of_the_mini_pack_are_refused(key: str, value: Any) -> None:
    data = {
        "format_version": 1,
        "project": {"id": "p-1", "name": "Project", "client": "Client"},
        "assessed_on": "2026-11-01",
        "assessor": "Assessor",
        "context": {"ptype": "alpha", "phase": "planning"},
        "respondents": [
            {"name": "Ann", "role": "Lead", "answers": {"goals": "no", "mood": 3, key: value}}
        ],
    }
    document = json_document(data)
    assert _validate_plain(document, mini_pack()) is None
    assert check_document(document, mini_pack()) is False
    with pytest.raises(InputError):
        validate_answers(document, mini_pack())


# --- the parts: normalisers and compiled conditions --------------------------------------------


@pytest.mark.parametrize("pack_of", [default_pack, mini_pack], ids=["default", "mini"])
def test_plain_normalisers_agree_with_normalise(pack_of: Callable[[], Pack]) -> None:
    pack = pack_of()
    choices = {choice for info in pack.questions.values() for choice in info.question.choice_ids}
    values = [*ODD_VALUES, *sorted(choices), *([choice] for choice in sorted(choices))]
    plain_seen = 0
    for info in pack.questions.values():
        question = info.question
        plain = plain_normaliser(question)
        for value in values:
            normalised = plain(value)
            if normalised is NOT_PLAIN:
                continue
            plain_seen += 1
            assert not (isinstance(value, str) and value in SPECIAL_ANSWERS)
            expected = question.normalise(value)
            assert (type(normalised), normalised) == (type(expected), expected), (
                question.id,
                value,
            )
    assert plain_seen > len(pack.questions)


def test_an_answer_spelt_like_a_special_answer_is_not_plain() -> None:
    # A choice id or a text may be spelt dont_know: the special answer is checked first, as in
    # _validate_set, so the plain normalisers leave it to the caller.
    choices = [Choice(id="dont_know", label="?"), Choice(id="ann", label="Ann")]
    single = Question(id="who", type=QuestionType.single_choice, text="Who?", choices=choices)
    several = single.model_copy(update={"type": QuestionType.multiple_choice})
    text = Question(id="notes", type=QuestionType.text, text="Notes")
    assert plain_normaliser(single)("dont_know") is NOT_PLAIN
    assert plain_normaliser(single)("ann") == "ann"
    assert plain_normaliser(several)("dont_know") is NOT_PLAIN
    assert plain_normaliser(several)("ann") == ("ann",)
    assert plain_normaliser(several)(["ann", "dont_know"]) == ("dont_know", "ann")
    assert plain_normaliser(text)("dont_know") is NOT_PLAIN
    assert plain_normaliser(text)("not_applicable") is NOT_PLAIN
    assert plain_normaliser(text)("Some notes") == "Some notes"


def _visibility_conditions(pack: Pack) -> list[ConditionNode]:
    found: list[ConditionNode] = []
    for conditions in pack.visibility_conditions.values():
        for condition in conditions:
            found.extend(walk(condition))
    return found


@st.composite
def answers_seen(
    draw: st.DrawFn, pack: Pack
) -> tuple[dict[str, AnswerValue], dict[str, AnswerState]]:
    """Values and states as validation holds them, for the questions conditions read."""
    values: dict[str, AnswerValue] = {}
    states: dict[str, AnswerState] = {}
    for node in _visibility_conditions(pack):
        if not isinstance(node, Compare) or draw(st.integers(0, 3)) == 0:
            continue
        question = pack.questions[node.q].question
        operand = pack.operand(node)
        pool = operand if node.op == "in" else [operand]
        if question.type is QuestionType.multiple_choice:
            pool = [(operand,), (), tuple(question.choice_ids)]
        elif question.type is QuestionType.single_choice:
            pool = list(question.choice_ids)
        elif question.type in (QuestionType.number, QuestionType.scale):
            pool = [*pool, *(item + 1 for item in pool), *(item - 1 for item in pool)]
        state = draw(st.sampled_from(list(AnswerState)))
        states[node.q] = state
        if state is AnswerState.answered:
            values[node.q] = draw(st.sampled_from(pool))
    return values, states


@pytest.mark.parametrize("pack_of", [default_pack, mini_pack], ids=["default", "mini"])
@settings(PROPERTY, max_examples=150)
@given(st.data())
def test_compiled_visibility_agrees_with_evaluate_visibility(
    pack_of: Callable[[], Pack], data: st.DataObject
) -> None:
    pack = pack_of()
    values, states = data.draw(answers_seen(pack))
    for condition in _visibility_conditions(pack):
        compiled = compile_visibility(condition, pack.operand)
        assert compiled(values, states) is evaluate_visibility(
            condition, values, states, pack.operand
        )
    for question_id, conditions in pack.visibility_conditions.items():
        expected = all(
            evaluate_visibility(condition, values, states, pack.operand) for condition in conditions
        )
        assert pack.visible(question_id, values, states) is expected


#: Operands to try for each kind of question (check_operand keeps those that fit).
OPERANDS: tuple[Any, ...] = (True, False, "yes", "no", 0, 1, 2.5, 3, 5, 1000, -1, "2027-01-31")


def _operand_pool(question: Question) -> list[Any]:
    return [*OPERANDS, *question.choice_ids]


@st.composite
def conditions(draw: st.DrawFn, pack: Pack, depth: int = 3) -> ConditionNode:
    """A visible_if condition of any shape over the pack's questions (not text ones)."""
    kind = draw(st.sampled_from(["compare", "compare", "state", "all", "any", "not"]))
    if depth > 0 and kind in ("all", "any"):
        children = draw(st.lists(conditions(pack, depth - 1), min_size=1, max_size=3))
        return All(all=children) if kind == "all" else AnyOf(any=children)
    if depth > 0 and kind == "not":
        return Not(not_=draw(conditions(pack, depth - 1)))
    question_ids = [
        question_id
        for question_id, info in pack.questions.items()
        if info.question.type is not QuestionType.text
    ]
    question = pack.questions[draw(st.sampled_from(question_ids))].question
    if kind == "state":
        return StateIs(q=question.id, state=draw(st.sampled_from(list(AnswerState))))
    for _ in range(20):
        op = draw(st.sampled_from(COMPARISON_OPERATORS))
        operand = draw(st.sampled_from(_operand_pool(question)))
        node = Compare.model_validate({"q": question.id, op: [operand] if op == "in" else operand})
        try:
            check_operand(question, node)
        except ValueError:
            continue
        return node
    return StateIs(q=question.id, state=AnswerState.missing)


@st.composite
def answers_read(
    draw: st.DrawFn, pack: Pack
) -> tuple[dict[str, AnswerValue], dict[str, AnswerState]]:
    values: dict[str, AnswerValue] = {}
    states: dict[str, AnswerState] = {}
    for question_id, info in pack.questions.items():
        state = draw(st.sampled_from(list(AnswerState)))
        if state is AnswerState.missing:
            continue
        states[question_id] = state
        if state is AnswerState.answered:
            question = info.question
            candidates = [*_operand_pool(question), [*question.choice_ids[:2]]]
            normalised = []
            for candidate in candidates:
                with contextlib.suppress(ValueError):
                    normalised.append(question.normalise(candidate))
            values[question_id] = draw(st.sampled_from(normalised))
    return values, states


@settings(PROPERTY, max_examples=400)
@given(st.data())
def test_compiled_conditions_of_every_shape_agree(data: st.DataObject) -> None:
    pack = mini_pack()

    def operand(node: Compare) -> Any:
        # Not Pack.operand: it remembers operands by id(), and these nodes come and go.
        return check_operand(pack.questions[node.q].question, node)

    condition = data.draw(conditions(pack))
    values, states = data.draw(answers_read(pack))
    expected = evaluate_visibility(condition, values, states, operand)
    assert compile_visibility(condition, operand)(values, states) is expected


def _result(evaluate: Callable[[], bool]) -> tuple[str, Any]:
    try:
        return ("returned", evaluate())
    except Exception as error:  # the same exception, or the same result
        return (type(error).__name__, str(error))


def test_compiled_rule_conditions_raise_like_evaluate_visibility() -> None:
    # Findings and differ are not allowed in visible_if: both refuse them when they are reached.
    pack = default_pack()
    values: dict[str, AnswerValue] = {"project_type": "software_launch", "phase": "execution"}
    states = dict.fromkeys(values, AnswerState.answered)
    results = []
    for loaded in pack.rules:
        condition = loaded.rule.when
        compiled = compile_visibility(condition, pack.operand)
        expected = _result(
            functools.partial(evaluate_visibility, condition, values, states, pack.operand)
        )
        assert _result(functools.partial(compiled, values, states)) == expected
        results.append(expected[0])
    assert {"returned", "TypeError"} <= set(results)
