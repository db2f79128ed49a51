"""Synthetic answers files: realistic, valid, reproducible, for benchmarks, tests and demos.

``generate_answers(pack, seed)`` returns one answers file as a plain dict, exactly the format
``gapcheck.answers`` reads (the dict can be dumped to YAML or JSON as it is): every value is
a plain ``str``/``int``/``float``/``list``/``dict``, dates are ISO strings, multiple choice
answers are lists. ``generate_portfolio(pack, count, seed)`` yields many, with project ids
``proj-000000``, ``proj-000001``, ...

What makes the files look real:

- A project-level *health* in [0, 1] (random unless given) biases every answer: the healthy
  yes/no answer (``question.healthy``), the healthy end of a scale, choices by their ``score``,
  and numbers away from (or towards) the thresholds the pack's rules test. Each respondent's
  health varies a little around the project's.
- "don't know" where a question allows it (more often in unhealthy projects), a few "not
  applicable" where allowed, optional questions sometimes skipped.
- Hidden questions are never answered: ``visible_if`` is evaluated with
  ``gapcheck.conditions.evaluate_visibility`` in questionnaire order, over the same normalised
  values ``gapcheck.answers.validate_answers`` uses.
- 1 to 3 respondents; later ones mostly agree with the first, less so in unhealthy projects, and
  sometimes give dates far apart.

Everything comes from one ``random.Random`` per project (never the global one): the same pack,
seed and options give the same dict. The pack is compiled once into a per-question plan (cached
by the pack's content hash) so a project takes well under a millisecond.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gapcheck.answers import MAX_RESPONDENTS
from gapcheck.conditions import (
    All,
    AnswerState,
    AnswerValue,
    AnyOf,
    Compare,
    ConditionNode,
    Not,
    StateIs,
    evaluate_visibility,
    walk,
)
from gapcheck.pack import Pack, Question, QuestionType, Scope

__all__ = ["generate_answers", "generate_portfolio"]

# Question kinds as small ints: a chain of int comparisons is the cheapest dispatch in the loop.
_YES_NO, _SCALE, _NUMBER, _SINGLE, _MULTIPLE, _DATE, _TEXT = range(7)
_KIND_CODES = {
    QuestionType.yes_no: _YES_NO,
    QuestionType.scale: _SCALE,
    QuestionType.number: _NUMBER,
    QuestionType.single_choice: _SINGLE,
    QuestionType.multiple_choice: _MULTIPLE,
    QuestionType.date: _DATE,
    QuestionType.text: _TEXT,
}

#: Probability that an optional question is left out (free text: more often).
_SKIP_OPTIONAL = 0.15
_SKIP_OPTIONAL_TEXT = 0.45
#: "not applicable", where allowed.
_NOT_APPLICABLE = 0.04
#: Plausible width of a number's range when the question's own range is wide or open.
_NUMBER_SPAN = 1000
_FIRST_DAY = dt.date(2024, 1, 1).toordinal()
_DAYS = 3 * 365

_CLIENTS = tuple(
    (
        "Northwind Traders|Contoso|Fabrikam|Globex|Initech|Umbrella Logistics|Acme Corp|"
        "Tailspin Toys|Wide World Importers|Blue Yonder Airlines|Litware|Proseware|"
        "Adventure Works|Coho Winery|Lucerne Publishing|Margie's Travel|Alpine Ski House|"
        "Fourth Coffee|Woodgrove Bank|Trey Research|City Power & Light|Humongous Insurance|"
        "Graphic Design Institute|School of Fine Art|Wingtip Toys"
    ).split("|")
)
_SUBJECTS = tuple(
    (
        "CRM|ERP|e-commerce|customer portal|loyalty|warehouse|payroll|mobile app|data platform|"
        "brand|spring collection|smart thermostat|billing|onboarding|field service|analytics|"
        "supplier portal|website|subscription|HR system"
    ).split("|")
)
_ENDEAVOURS = tuple(
    (
        "launch|rollout|migration|campaign|replacement|redesign|programme|upgrade|pilot|"
        "expansion|go-live|transformation"
    ).split("|")
)
_FIRST_NAMES = tuple(
    (
        "Dana|Alex|Sam|Priya|Jonas|Mei|Tomás|Aisha|Olga|Kwame|Lena|Ravi|Sofia|Noah|Ines|Hiro|"
        "Fatima|Lukas|Chloé|Mateo|Yara|Ben|Zoe|Omar|Greta|Ken|Nadia|Pablo|Ruth|Emil"
    ).split("|")
)
_LAST_NAMES = tuple(
    (
        "Lee|Novak|Okafor|Schmidt|García|Tanaka|Kowalski|Haddad|Byrne|Silva|Johansson|Mensah|"
        "Rossi|Dubois|Patel|Nguyen|Kaur|Müller|Andersen|Costa|Ibrahim|Walsh|Park|Fischer|Moreau"
    ).split("|")
)
_ROLES = tuple(
    (
        "Implementation lead|Execution lead|Project manager|Product owner|Sponsor|"
        "Operations manager|Business analyst|Technical lead|Change manager|Marketing manager|"
        "Quality lead"
    ).split("|")
)
_TEAMS = tuple(
    (
        "Platform|Operations|PMO|Marketing|Sales|Engineering|Customer success|Finance|Supply chain|"
    ).split("|")
)
#: Free-text answers: one opening, one aim, one horizon.
_TEXT_OPENINGS = tuple(
    (
        "Replace the legacy system|Launch the new offer|Move all customers onto the platform|"
        "Standardise how the regions work|Bring the product to market|Roll out the process|"
        "Run the campaign|Consolidate the suppliers|Automate the manual steps|"
        "Open the new channel"
    ).split("|")
)
_TEXT_AIMS = tuple(
    (
        "to cut handling time by a third|to reach 500 paying customers|"
        "to reduce errors and rework|to grow revenue in the target segment|"
        "to meet the new regulation|so the support team can scale|to lower operating costs|"
        "to improve customer satisfaction scores|without disrupting daily operations|"
        "to replace spreadsheets with one shared tool"
    ).split("|")
)
_TEXT_HORIZONS = tuple(
    (
        "by the end of the quarter.|before the peak season.|within the financial year.|"
        "by the go-live date.|in two waves.|after the pilot confirms the approach.|this year.|"
        "before the old contract ends."
    ).split("|")
)


@dataclass(frozen=True)
class _Visibility:
    """A ``visible_if`` condition and the questions it reads (its result depends on no other)."""

    condition: ConditionNode
    reads: tuple[str, ...]
    #: Normalises a comparison's operand (``Pack.operand``).
    operand: Callable[[Compare], Any]


@dataclass(frozen=True)
class _Plan:
    """One question, precompiled for generation."""

    id: str
    kind: int
    question: Question
    required: bool
    skip: float
    dont_know: bool
    not_applicable: bool
    #: The section's and the question's visible_if conditions that are set (may be empty).
    visibility: tuple[_Visibility, ...]
    #: Visibility reads project (context) questions only: decided once per project.
    per_project: bool
    #: Some visible_if reads this question: keep its normalised value for visibility.
    tracked: bool
    healthy_high: bool
    choices: tuple[str, ...]
    #: Scored choices grouped by score, lowest score first: ((score, (ids...)), ...).
    levels: tuple[tuple[float, tuple[str, ...]], ...]
    unscored: tuple[str, ...]
    #: Numbers: (low, high) of healthy answers and of unhealthy ones, inclusive.
    healthy_range: tuple[float, float]
    unhealthy_range: tuple[float, float]
    integer: bool
    max_length: int


@dataclass(frozen=True)
class _CompiledPack:
    context: tuple[_Plan, ...]
    respondent: tuple[_Plan, ...]
    #: Memo of visibility results: (condition, answers and states of what it reads) -> visible.
    memo: dict[tuple[Any, ...], bool]


_CACHE: dict[str, _CompiledPack] = {}


def _compiled(pack: Pack) -> _CompiledPack:
    plan = _CACHE.get(pack.sha256)
    if plan is None:
        plan = _CACHE[pack.sha256] = _compile(pack)
    return plan


def _compile(pack: Pack) -> _CompiledPack:
    project_ids = {info.question.id for info in pack.project_questions()}
    tracked: set[str] = set()
    for section in pack.sections:
        for condition in (section.visible_if, *(q.visible_if for q in section.questions)):
            if condition is not None:
                tracked.update(_visibility_reads(condition))
    thresholds = _number_thresholds(pack)
    context: list[_Plan] = []
    respondent: list[_Plan] = []
    # One _Visibility per condition object: a section's condition is shared by its questions.
    wrapped: dict[int, _Visibility] = {}
    for info in pack.questions.values():
        question = info.question
        kind = _KIND_CODES[question.type]
        visibility = tuple(
            wrapped.setdefault(
                id(condition),
                _Visibility(
                    condition, tuple(dict.fromkeys(_visibility_reads(condition))), pack.operand
                ),
            )
            for condition in (info.section.visible_if, question.visible_if)
            if condition is not None
        )
        per_project = info.section.scope is Scope.respondent and all(
            read in project_ids for item in visibility for read in item.reads
        )
        scored: dict[float, list[str]] = {}
        for choice in question.choices:
            if choice.score is not None:
                scored.setdefault(choice.score, []).append(choice.id)
        healthy_range, unhealthy_range = _number_ranges(question, thresholds.get(question.id))
        plan = _Plan(
            id=question.id,
            kind=kind,
            question=question,
            required=question.required,
            skip=_SKIP_OPTIONAL_TEXT if kind == _TEXT else _SKIP_OPTIONAL,
            dont_know=question.allow_dont_know,
            not_applicable=question.allow_not_applicable,
            visibility=visibility,
            per_project=per_project and bool(visibility),
            tracked=question.id in tracked,
            healthy_high=question.healthy in ("yes", "high"),
            choices=question.choice_ids,
            levels=tuple((score, tuple(ids)) for score, ids in sorted(scored.items())),
            unscored=tuple(c.id for c in question.choices if c.score is None),
            healthy_range=healthy_range,
            unhealthy_range=unhealthy_range,
            integer=question.integer,
            max_length=question.max_length,
        )
        (context if info.section.scope is Scope.project else respondent).append(plan)
    return _CompiledPack(tuple(context), tuple(respondent), {})


def _visibility_reads(condition: ConditionNode) -> list[str]:
    return [node.q for node in walk(condition) if isinstance(node, (Compare, StateIs))]


def _number_thresholds(pack: Pack) -> dict[str, tuple[str, float]]:
    """For number questions the rules compare: (op, operand) of the first test that fires a rule.

    ``not`` is pushed inside, so ``op`` is always the direction that fires ("gt": high values
    are the unhealthy ones).
    """
    numbers = {
        qid for qid, info in pack.questions.items() if info.question.type is QuestionType.number
    }
    flipped = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
    found: dict[str, tuple[str, float]] = {}

    def visit(node: ConditionNode, negated: bool) -> None:
        if isinstance(node, Not):
            visit(node.not_, not negated)
        elif isinstance(node, (All, AnyOf)):
            for child in node.all if isinstance(node, All) else node.any:
                visit(child, negated)
        elif isinstance(node, Compare) and node.q in numbers and node.op in flipped:
            operand = node.operand
            if isinstance(operand, (int, float)) and not isinstance(operand, bool):
                op = flipped[node.op] if negated else node.op
                found.setdefault(node.q, (op, float(operand)))

    for loaded in pack.rules:
        visit(loaded.rule.when, False)
    return found


def _number_ranges(
    question: Question, threshold: tuple[str, float] | None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Inclusive (low, high) ranges of healthy and of unhealthy values of a number question."""
    if question.type is not QuestionType.number:
        return (0.0, 0.0), (0.0, 0.0)
    low = question.min if question.min is not None else 0.0
    high = question.max if question.max is not None else low + _NUMBER_SPAN
    if question.integer:
        low, high = float(math.ceil(low)), float(math.floor(high))
    if threshold is None:
        plausible = (low, min(high, low + _NUMBER_SPAN))
        return plausible, plausible
    op, value = threshold
    step = 1.0 if question.integer else 0.1
    if op in ("gt", "gte"):  # high values fire the rule
        if question.integer:
            first_bad = float(math.floor(value) + 1 if op == "gt" else math.ceil(value))
        else:
            first_bad = value + step if op == "gt" else value
        last_good = first_bad - step
        healthy = (max(low, last_good - _NUMBER_SPAN), last_good)
        unhealthy = (first_bad, min(high, first_bad + max(10.0, 3 * (first_bad - low))))
    else:  # low values fire the rule
        if question.integer:
            last_bad = float(math.ceil(value) - 1 if op == "lt" else math.floor(value))
        else:
            last_bad = value - step if op == "lt" else value
        first_good = last_bad + step
        healthy = (first_good, min(high, first_good + max(10.0, 3 * (first_good - low))))
        unhealthy = (max(low, last_bad - _NUMBER_SPAN), last_bad)
    healthy = (max(low, healthy[0]), min(high, healthy[1]))
    unhealthy = (max(low, unhealthy[0]), min(high, unhealthy[1]))
    # An empty side (the threshold sits at the edge of the range) falls back to the other.
    if healthy[0] > healthy[1]:
        healthy = unhealthy
    if unhealthy[0] > unhealthy[1]:
        unhealthy = healthy
    return healthy, unhealthy


# --- generation ------------------------------------------------------------------------------


class _Project:
    """The state of one project being generated."""

    __slots__ = ("agree", "anchors", "assessed_on", "health", "rng")

    def __init__(self, rng: random.Random, health: float, assessed_on: int) -> None:
        self.rng = rng
        self.health = health
        self.assessed_on = assessed_on
        #: Probability that a later respondent gives the first one's answer.
        self.agree = 0.55 + 0.4 * health
        #: Each date question's "true" date (an ordinal), shared by the respondents.
        self.anchors: dict[str, int] = {}


def generate_answers(
    pack: Pack,
    seed: int,
    *,
    respondents: int | None = None,
    health: float | None = None,
    project_id: str | None = None,
) -> dict[str, Any]:
    """One valid answers file for ``pack``, as a plain dict; the same arguments, the same dict.

    ``respondents``: how many people answer (1 to 3 at random by default). ``health``: 0 (a
    project in trouble) to 1 (a healthy one); random by default. ``project_id`` defaults to
    ``proj-<seed>``.
    """
    if respondents is not None and not 1 <= respondents <= MAX_RESPONDENTS:
        raise ValueError(f"respondents must be between 1 and {MAX_RESPONDENTS}")
    if health is not None and not 0.0 <= health <= 1.0:
        raise ValueError("health must be between 0 and 1")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    plan = _compiled(pack)
    rand = rng.random
    health_value = rand() if health is None else health
    count = respondents if respondents is not None else 1 + int(rand() * 3)
    assessed_on = _FIRST_DAY + int(rand() * _DAYS)
    project = _Project(rng, health_value, assessed_on)

    context_values: dict[str, AnswerValue] = {}
    context_states: dict[str, AnswerState] = {}
    context = _answer_set(
        plan.context, project, health_value, context_values, context_states, None, memo=plan.memo
    )
    # Visibility of respondent questions that only read the context: decided once.
    memo = plan.memo
    visible_once = {
        item.id: _visible(item.visibility, context_values, context_states, memo)
        for item in plan.respondent
        if item.per_project
    }
    people: list[dict[str, Any]] = []
    first: dict[str, Any] | None = None
    names: set[str] = set()
    for _ in range(count):
        respondent_health = min(1.0, max(0.0, health_value + (rand() + rand() - 1.0) * 0.2))
        answers = _answer_set(
            plan.respondent,
            project,
            respondent_health,
            dict(context_values),
            dict(context_states),
            first,
            visible_once,
            memo,
        )
        if first is None:
            first = answers
        name = _pick_name(rng, names)
        people.append(
            {
                "name": name,
                "role": _ROLES[int(rand() * len(_ROLES))],
                "team": _TEAMS[int(rand() * len(_TEAMS))],
                "answers": answers,
            }
        )
    client = _CLIENTS[int(rand() * len(_CLIENTS))]
    subject = _SUBJECTS[int(rand() * len(_SUBJECTS))]
    endeavour = _ENDEAVOURS[int(rand() * len(_ENDEAVOURS))]
    short_client = client.split()[0].removesuffix("'s")
    return {
        "format_version": 1,
        "project": {
            "id": project_id if project_id is not None else f"proj-{seed:06d}",
            "name": f"{short_client} {subject} {endeavour}",
            "client": client,
        },
        "assessed_on": dt.date.fromordinal(assessed_on).isoformat(),
        "assessor": _pick_name(rng, names),
        "context": context,
        "respondents": people,
    }


def generate_portfolio(
    pack: Pack, count: int, seed: int, *, health: float | None = None
) -> Iterator[dict[str, Any]]:
    """``count`` answers files, ids ``proj-000000`` upwards; the same seed, the same files.

    Project ``i`` is ``generate_answers(pack, (seed << 32) | i, project_id=f"proj-{i:06d}")``
    (with ``health`` if given), so any one of them can be regenerated alone.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    for index in range(count):
        yield generate_answers(
            pack, (seed << 32) | index, health=health, project_id=f"proj-{index:06d}"
        )


def _pick_name(rng: random.Random, taken: set[str]) -> str:
    rand = rng.random
    for _ in range(20):
        first = _FIRST_NAMES[int(rand() * len(_FIRST_NAMES))]
        name = f"{first} {_LAST_NAMES[int(rand() * len(_LAST_NAMES))]}"
        if name not in taken:
            break
    taken.add(name)
    return name


def _answer_set(
    plans: Sequence[_Plan],
    project: _Project,
    health: float,
    visible_values: dict[str, AnswerValue],
    visible_states: dict[str, AnswerState],
    first: Mapping[str, Any] | None,
    visible_once: Mapping[str, bool] | None = None,
    memo: dict[tuple[Any, ...], bool] | None = None,
) -> dict[str, Any]:
    """One respondent's (or the context's) raw answers, in questionnaire order.

    ``visible_values``/``visible_states`` start as the context's normalised answers and grow
    with this set's, exactly as ``validate_answers`` builds them (only for questions some
    ``visible_if`` reads: no other question can change a visibility).
    """
    rand = project.rng.random
    agree = project.agree
    dont_know_rate = 0.01 + 0.14 * (1.0 - health) ** 2
    answers: dict[str, Any] = {}
    for item in plans:
        if item.visibility:
            if item.per_project and visible_once is not None:
                visible = visible_once[item.id]
            else:
                visible = _visible(item.visibility, visible_values, visible_states, memo)
            if not visible:
                continue
        if not item.required and rand() < item.skip:
            continue
        value: Any
        if first is not None and item.id in first and rand() < agree:
            value = first[item.id]
            if item.kind == _MULTIPLE and isinstance(value, list):
                value = list(value)  # never share one list: YAML would write an alias
            elif item.kind == _DATE and value not in ("dont_know", "not_applicable"):
                value = _date(project, item, True)
        else:
            value = _draw(item, project, health, dont_know_rate)
        answers[item.id] = value
        if item.tracked:
            if value in ("dont_know", "not_applicable"):
                visible_states[item.id] = AnswerState(value)
            else:
                visible_values[item.id] = item.question.normalise(value)
                visible_states[item.id] = AnswerState.answered
    return answers


_MEMO_LIMIT = 100_000


def _visible(
    conditions: Sequence[_Visibility],
    values: Mapping[str, AnswerValue],
    states: Mapping[str, AnswerState],
    memo: dict[tuple[Any, ...], bool] | None,
) -> bool:
    """Whether every condition holds, by ``evaluate_visibility``, memoised.

    A condition's result depends only on the answers and states of the questions it reads, so
    those (with the condition's identity) are the memo key.
    """
    for item in conditions:
        if memo is None:
            visible = evaluate_visibility(item.condition, values, states, item.operand)
        else:
            key = (id(item), *[(values.get(q), states.get(q)) for q in item.reads])
            cached = memo.get(key)
            if cached is None:
                if len(memo) >= _MEMO_LIMIT:
                    memo.clear()
                cached = memo[key] = evaluate_visibility(
                    item.condition, values, states, item.operand
                )
            visible = cached
        if not visible:
            return False
    return True


def _draw(item: _Plan, project: _Project, health: float, dont_know_rate: float) -> Any:
    """One fresh answer to one question, biased by ``health``."""
    rand = project.rng.random
    if item.dont_know and rand() < dont_know_rate:
        return "dont_know"
    if item.not_applicable and rand() < _NOT_APPLICABLE:
        return "not_applicable"
    kind = item.kind
    if kind == _YES_NO:
        healthy = rand() < 0.08 + 0.86 * health
        return "yes" if healthy == item.healthy_high else "no"
    if kind == _SCALE:
        level = int(1.5 + 4.0 * health + (rand() + rand() - 1.0) * 1.8)
        level = 1 if level < 1 else 5 if level > 5 else level
        return level if item.healthy_high else 6 - level
    if kind == _SINGLE:
        levels = item.levels
        if not levels or (item.unscored and rand() < 0.1):
            pool = item.unscored or item.choices
            return pool[int(rand() * len(pool))]
        target = health + (rand() - 0.5) * 0.6
        best = levels[0][1]
        distance = 2.0
        for score, ids in levels:
            gap = abs(score - target)
            if gap < distance:
                distance, best = gap, ids
        return best[int(rand() * len(best))] if len(best) > 1 else best[0]
    if kind == _NUMBER:
        low, high = item.healthy_range if rand() < 0.1 + 0.85 * health else item.unhealthy_range
        if item.integer or (low.is_integer() and high.is_integer() and rand() < 0.7):
            # Log-uniform: small values are the common ones (team sizes, counts of things).
            return int(low) + int(math.exp(rand() * math.log(high - low + 1.0))) - 1
        number = round(low + rand() * (high - low), 1)
        return low if number < low else high if number > high else number
    if kind == _MULTIPLE:
        choices = item.choices
        picked = [choice for choice in choices if rand() < 0.4]
        if not picked:
            picked = [choices[int(rand() * len(choices))]]
        return picked
    if kind == _DATE:
        return _date(project, item, False)
    text = (
        f"{_TEXT_OPENINGS[int(rand() * len(_TEXT_OPENINGS))]}"
        f" {_TEXT_AIMS[int(rand() * len(_TEXT_AIMS))]}"
        f" {_TEXT_HORIZONS[int(rand() * len(_TEXT_HORIZONS))]}"
    )
    return text[: item.max_length]


def _date(project: _Project, item: _Plan, agreeing: bool) -> str:
    """A date near the project's "true" one; far from it (over 30 days) when not agreeing."""
    rand = project.rng.random
    anchor = project.anchors.get(item.id)
    if anchor is None:
        anchor = project.anchors[item.id] = project.assessed_on + 14 + int(rand() * 300)
        return dt.date.fromordinal(anchor).isoformat()
    if agreeing:
        shift = int(rand() * 21) - 10
    else:
        shift = (31 + int(rand() * 120)) * (1 if rand() < 0.6 else -1)
    return dt.date.fromordinal(anchor + shift).isoformat()
