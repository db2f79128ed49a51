"""The engine agrees with the reference evaluator (``tests/reference.py``) on generated answers.

Three packs: the mini test pack, the default pack, and a "shapes" pack (the mini pack plus rules
of condition shapes the other two don't use: answer tests grouped across a mixed ``any``, deep
negations, ``differ`` beside answer tests and beside another ``differ``, dates and non-integer
numbers, states, a third stratum), written to a temporary folder.

Hand-written examples pin outcomes of the reference evaluator itself, so it can be wrong too.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings

from gapcheck.answers import Answers, AnswerSet, validate_answers
from gapcheck.conditions import AnswerState, AnswerValue, describe
from gapcheck.engine import Firing, compiled
from gapcheck.pack import Pack, load_pack
from tests.helpers import MINI_PACK, make_answers, mini_pack
from tests.reference import reference_findings
from tests.strategies import answers_for

EXAMPLES = 1500

AGREEMENT = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- the shapes pack -------------------------------------------------------------------------

EXTRA_SECTION = """
  - id: extras
    title: Extras
    area: execution
    questions:
      - {id: rating, type: number, text: Rating, min: 0, max: 10, allow_not_applicable: true,
         visible_if: {any: [{q: goals, eq: "yes"}, {q: mood, state: not_applicable}]}}
      - {id: kickoff, type: date, text: Kickoff, required: false, allow_dont_know: false,
         visible_if: {not: {q: rating, lt: 2.5}}}
"""

#: (rule id, condition in YAML flow style).
SHAPES: tuple[tuple[str, str], ...] = (
    (
        "shape-grouped-across-any",
        '{all: [{q: goals, eq: "no"}, {any: [{q: mood, lte: 2}, {finding: big-and-late}]}]}',
    ),
    ("shape-negated-mixed-all", '{not: {all: [{q: goals, eq: "yes"}, {finding: low-mood}]}}'),
    (
        "shape-deep-negation",
        "{all: [{not: {any: [{finding: no-goals}, {all: [{finding: big-and-late},"
        " {q: mood, eq: 1}]}]}}, {q: owner, ne: nobody}]}",
    ),
    (
        "shape-differ-and-answers",
        "{all: [{differ: mood, by: 1}, {q: tools, has: sheet}, {not: {finding: disagree}}]}",
    ),
    (
        "shape-differ-kinds",
        "{any: [{differ: budget, by: 1000}, {all: [{differ: goals}, {differ: golive}]},"
        " {differ: rating, by: 2.5}]}",
    ),
    ("shape-differ-context", "{all: [{q: phase, eq: execution}, {differ: owner}]}"),
    ("shape-differ-finding", "{all: [{differ: owner}, {finding: no-goals}]}"),
    (
        "shape-pure-negation",
        "{not: {any: [{q: size, gt: 100}, {q: mood, eq: 3}, {q: budget, state: missing}]}}",
    ),
    (
        "shape-dates",
        "{any: [{all: [{q: golive, gte: 2026-03-01}, {q: golive, lt: 2026-03-15}]},"
        ' {q: golive, in: [2026-04-01, "2026-05-01"]}, {q: golive, eq: 2026-06-01}]}',
    ),
    (
        "shape-numbers",
        "{any: [{q: budget, in: [500, 1500.5]}, {all: [{q: budget, gte: 2000.5},"
        " {q: budget, lte: 2500}]}, {q: budget, eq: 7000}, {all: [{q: rating, ne: 3},"
        " {q: rating, gt: 1.5}]}]}",
    ),
    (
        "shape-states",
        "{all: [{q: mood, state: not_applicable}, {not: {q: goals, state: answered}},"
        " {any: [{q: notes, state: missing}, {q: beta_ready, state: missing}]}]}",
    ),
    (
        "shape-context-and-respondent",
        "{all: [{any: [{q: ptype, eq: beta}, {q: size, lte: 2}]}, {not: {q: beta_ready,"
        ' eq: "yes"}}, {any: [{finding: no-goals}, {q: owner, in: [ann, bob]}]}]}',
    ),
    (
        "shape-context-only-mixed",
        "{all: [{q: phase, eq: planning}, {not: {finding: only-mood}},"
        " {not: {q: size, state: answered}}]}",
    ),
    (
        "shape-third-stratum",
        "{any: [{all: [{finding: chained-twice}, {q: mood, gte: 4}]},"
        " {all: [{not: {finding: shape-grouped-across-any}}, {not: {finding: derived-weak}},"
        " {q: tools, has: none}]}]}",
    ),
    (
        "shape-literals",
        "{any: [{all: [{q: beta_ready, eq: false}, {q: goals, in: [true]}]},"
        " {all: [{q: mood, in: [1, 5]}, {not: {q: budget, lt: 0.5}}, {q: size, ne: 100}]}]}",
    ),
    (
        "shape-kickoff",
        "{any: [{differ: kickoff, by: 6.5}, {all: [{q: kickoff, gt: 2026-02-10},"
        " {q: rating, state: not_applicable}]}]}",
    ),
)


def _shapes_rules() -> str:
    lines = ["rules:"]
    for rule_id, when in SHAPES:
        lines += [
            f"  - id: {rule_id}",
            "    title: Shape",
            "    area: foundation",
            "    severity: low",
            '    source: "Challenges and Pitfalls"',
            "    why: A condition shape.",
            f"    when: {when}",
            "    recommendations: [{action: Act, owner: Lead, timeframe: now, effort: low}]",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def shapes_pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    folder = tmp_path_factory.mktemp("shapes")
    (folder / "core.rules.yaml").write_bytes((MINI_PACK / "core.rules.yaml").read_bytes())
    meta = (MINI_PACK / "pack.yaml").read_text(encoding="utf-8")
    assert "\nname: mini\n" in meta
    (folder / "pack.yaml").write_text(meta.replace("\nname: mini\n", "\nname: shapes\n"))
    questionnaire = (MINI_PACK / "questionnaire.yaml").read_text(encoding="utf-8")
    (folder / "questionnaire.yaml").write_text(
        questionnaire.rstrip("\n") + "\n" + EXTRA_SECTION, encoding="utf-8"
    )
    (folder / "shapes.rules.yaml").write_text(_shapes_rules(), encoding="utf-8")
    return load_pack(folder)


# --- agreement -------------------------------------------------------------------------------


def _show_answers(answers: Answers) -> str:
    def one(answer_set: AnswerSet) -> str:
        parts = []
        for question_id, state in answer_set.states.items():
            shown = (
                repr(answer_set.values[question_id])
                if state is AnswerState.answered
                else state.value
            )
            parts.append(f"{question_id}={shown}")
        return ", ".join(parts) or "(nothing)"

    lines = [f"  context: {one(answers.context)}"]
    lines += [
        f"  respondent {index}: {one(respondent.answers)}"
        for index, respondent in enumerate(answers.respondents)
    ]
    return "\n".join(lines)


def _assert_agree(pack: Pack, answers: Answers, firings: Iterable[Firing]) -> set[str]:
    engine_ids = {firing.rule_id for firing in firings}
    reference_ids = reference_findings(pack, answers)
    if engine_ids != reference_ids:
        lines = [f"the engine and the reference disagree on pack '{pack.name}':"]
        for label, ids in (
            ("fired by the engine only", engine_ids - reference_ids),
            ("fired by the reference only", reference_ids - engine_ids),
        ):
            lines += [
                f"- {label}: {rule_id}: {describe(pack.rule(rule_id).rule.when)}"
                for rule_id in sorted(ids)
            ]
        lines.append("answers:")
        lines.append(_show_answers(answers))
        pytest.fail("\n".join(lines), pytrace=False)
    return reference_ids


def _check_agreement(pack: Pack) -> None:
    """Run the property over the pack; then check every rule both fired and stayed silent."""
    engine = compiled(pack)
    fired: Counter[str] = Counter()
    runs = [0]

    @AGREEMENT
    @given(answers=answers_for(pack))
    def agree(answers: Answers) -> None:
        fired.update(_assert_agree(pack, answers, engine.run(answers)))
        runs[0] += 1

    agree()
    never = [loaded.rule.id for loaded in pack.rules if fired[loaded.rule.id] == 0]
    always = [loaded.rule.id for loaded in pack.rules if fired[loaded.rule.id] == runs[0]]
    why = (
        f" over {runs[0]} generated answer sets. Agreement says nothing about a rule the"
        " generator doesn't exercise both ways: extend tests/strategies.py."
    )
    assert not never, f"rules that never fired: {', '.join(never)}{why}"
    assert not always, f"rules that always fired: {', '.join(always)}{why}"


def test_engine_agrees_with_reference_on_mini_pack() -> None:
    _check_agreement(mini_pack())


def test_engine_agrees_with_reference_on_default_pack() -> None:
    _check_agreement(load_pack())


def test_engine_agrees_with_reference_on_condition_shapes(shapes_pack: Pack) -> None:
    _check_agreement(shapes_pack)


# --- the generated answers are valid ---------------------------------------------------------


class _Document:
    """The few attributes of a loaded answers document that validation reads."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.path = None
        self.sha256 = "0" * 64

    def line_of(self, location: object) -> int | None:
        return None


def _raw(answer_set: AnswerSet) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for question_id, state in answer_set.states.items():
        if state is AnswerState.answered:
            value = answer_set.values[question_id]
            raw[question_id] = list(value) if isinstance(value, tuple) else value
        else:
            raw[question_id] = state.value
    return raw


@pytest.mark.parametrize("which", ["mini", "default", "shapes"])
def test_generated_answers_pass_validation_unchanged(
    which: str, request: pytest.FixtureRequest
) -> None:
    """What the generator builds is what validate_answers would build from an answers file."""
    if which == "mini":
        pack = mini_pack()
    elif which == "default":
        pack = load_pack()
    else:
        pack = request.getfixturevalue("shapes_pack")

    @settings(AGREEMENT, max_examples=150)
    @given(answers=answers_for(pack))
    def valid(answers: Answers) -> None:
        data = {
            "format_version": 1,
            "project": answers.project.model_dump(),
            "assessed_on": answers.assessed_on,
            "assessor": answers.assessor,
            "context": _raw(answers.context),
            "respondents": [
                {"name": r.name, "role": r.role, "answers": _raw(r.answers)}
                for r in answers.respondents
            ],
        }
        validated = validate_answers(cast(Any, _Document(data)), pack)
        assert validated.context == answers.context
        assert [r.answers for r in validated.respondents] == [
            r.answers for r in answers.respondents
        ]

    valid()


# --- the reference evaluator, pinned by hand -------------------------------------------------

QUIET: dict[str, AnswerValue] = {"ptype": "alpha", "phase": "planning"}
CALM: dict[str, AnswerValue] = {"goals": "yes", "mood": 5}


def _both(pack: Pack, answers: Answers) -> tuple[set[str], set[str]]:
    """(reference findings, engine findings)."""
    return (
        reference_findings(pack, answers),
        {firing.rule_id for firing in compiled(pack).run(answers)},
    )


def _expect(pack: Pack, answers: Answers, expected: set[str]) -> None:
    reference, engine = _both(pack, answers)
    assert reference == expected, "the reference evaluator is wrong"
    assert engine == expected, "the engine is wrong"


def test_only_mood_fires_when_low_mood_fires_without_no_goals() -> None:
    answers = make_answers(QUIET, {"goals": "yes", "mood": 1, "tools": ("sheet",)})
    # only-mood also makes chained-twice fire (big-and-late is absent).
    _expect(mini_pack(), answers, {"low-mood", "only-mood", "chained-twice"})


def test_only_mood_silent_when_another_respondent_makes_no_goals_fire() -> None:
    answers = make_answers(QUIET, {"goals": "yes", "mood": 1}, {"goals": "no", "mood": 5})
    _expect(mini_pack(), answers, {"low-mood", "no-goals"})


def test_chained_twice_fires_through_derived_weak_despite_big_and_late() -> None:
    context: dict[str, AnswerValue] = {"ptype": "alpha", "phase": "execution", "size": 101}
    answers = make_answers(context, {"goals": "yes", "mood": 2})
    # derived-weak: executing with low mood; chained-twice then fires through derived-weak.
    _expect(
        mini_pack(),
        answers,
        {"low-mood", "big-and-late", "derived-weak", "only-mood", "chained-twice"},
    )


@pytest.mark.parametrize(("second", "expected"), [(30, set()), (31, {"disagree"})])
def test_differ_by_30_days_needs_more_than_30(second: int, expected: set[str]) -> None:
    first = dt.date(2026, 6, 1)
    answers = make_answers(
        QUIET,
        {**CALM, "golive": first},
        {**CALM, "golive": first + dt.timedelta(days=second)},
    )
    _expect(mini_pack(), answers, expected)


def test_differ_by_0_is_any_difference_of_answered_respondents() -> None:
    _expect(
        mini_pack(),
        make_answers(QUIET, {**CALM, "owner": "ann"}, {**CALM, "owner": "bob"}),
        {"disagree"},
    )
    # "don't know" is no answer: it differs from nothing.
    _expect(
        mini_pack(),
        make_answers(QUIET, {**CALM, "owner": "ann"}, {**CALM, "owner": "dont_know"}),
        set(),
    )


def test_comparison_on_dont_know_is_false_and_its_negation_true() -> None:
    # low-mood: mood lte 2 and not (tools has jira).
    pack = mini_pack()
    _expect(pack, make_answers(QUIET, {"goals": "yes", "mood": "dont_know"}), set())
    _expect(pack, make_answers(QUIET, {"goals": "yes", "mood": "not_applicable"}), set())
    dont_know_tools = make_answers(QUIET, {"goals": "yes", "mood": 1, "tools": "dont_know"})
    _expect(pack, dont_know_tools, {"low-mood", "only-mood", "chained-twice"})
    # beta-unready: beta_ready ne yes is false on "don't know" too.
    beta: dict[str, AnswerValue] = {"ptype": "beta", "phase": "planning"}
    _expect(pack, make_answers(beta, {**CALM, "beta_ready": "dont_know"}), set())
    _expect(pack, make_answers(beta, {**CALM, "beta_ready": "no"}), {"beta-unready"})


def test_answer_tests_of_one_rule_need_one_respondent() -> None:
    # Low mood from one respondent, no Jira from another: no one has both.
    answers = make_answers(
        QUIET,
        {"goals": "yes", "mood": 1, "tools": ("jira",)},
        {"goals": "yes", "mood": 5, "tools": ("sheet",)},
    )
    _expect(mini_pack(), answers, set())


def test_context_only_rule_reads_the_context() -> None:
    pack = mini_pack()
    for size, expected in ((100, set()), (101, {"big-and-late"})):
        context: dict[str, AnswerValue] = {"ptype": "alpha", "phase": "execution", "size": size}
        _expect(pack, make_answers(context, CALM), expected)


def test_answer_tests_grouped_across_a_mixed_any(shapes_pack: Pack) -> None:
    # goals eq no and (mood lte 2 or finding big-and-late): one respondent has "no goals",
    # another low mood, and big-and-late is silent: the alternative needs them in one person.
    answers = make_answers(QUIET, {"goals": "no", "mood": 5}, {"goals": "yes", "mood": 1})
    reference, engine = _both(shapes_pack, answers)
    assert "shape-grouped-across-any" not in reference
    assert "shape-grouped-across-any" not in engine
    answers = make_answers(QUIET, {"goals": "no", "mood": 1})
    reference, engine = _both(shapes_pack, answers)
    assert "shape-grouped-across-any" in reference
    assert "shape-grouped-across-any" in engine


def test_differ_and_answer_test_may_share_a_respondent(shapes_pack: Pack) -> None:
    # differ mood by 1 and (tools has sheet) and not disagree: respondent 0 both has a
    # spreadsheet and is one side of the disagreement on mood.
    answers = make_answers(
        QUIET,
        {"goals": "yes", "mood": 2, "tools": ("sheet",)},
        {"goals": "yes", "mood": 5, "tools": ("jira",)},
    )
    reference, engine = _both(shapes_pack, answers)
    assert "shape-differ-and-answers" in reference
    assert "shape-differ-and-answers" in engine


def test_two_differs_may_share_a_respondent(shapes_pack: Pack) -> None:
    # differ goals and differ golive: the same two respondents disagree on both.
    answers = make_answers(
        QUIET,
        {"goals": "yes", "mood": 4, "golive": dt.date(2026, 3, 1)},
        {"goals": "no", "mood": 4, "golive": dt.date(2026, 4, 2)},
    )
    reference, engine = _both(shapes_pack, answers)
    assert "shape-differ-kinds" in reference
    assert "shape-differ-kinds" in engine
