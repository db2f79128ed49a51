"""The assessment pack: questionnaire and rules as data, validated at load time.

A pack is a folder holding ``pack.yaml`` (name, version, areas, article sections, scoring),
``questionnaire.yaml`` (sections of questions) and any number of ``*.rules.yaml`` files.
Everything is checked with strict pydantic models, then cross-checked (every question, choice and
finding a rule or condition names must exist and be of the right type). A broken pack raises
``PackError`` naming the file and the rule: nothing is ever skipped silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gapcheck.conditions import (
    SPECIAL_ANSWERS,
    All,
    AnswerState,
    AnswerValue,
    AnyOf,
    Compare,
    Condition,
    ConditionNode,
    Differ,
    FindingRef,
    Not,
    StateIs,
    VisibilityTest,
    compile_visibility,
    differ_negated,
    findings_read,
    questions_read,
    walk,
)
from gapcheck.errors import PackError

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:
    from importlib.abc import Traversable

QUESTION_ID = r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"
RULE_ID = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
#: Field names the engine uses in its facts; questions may not take them.
#: The largest whole number an answer may hold: exact as JSON and as a float (2**53 - 1).
MAX_EXACT_INTEGER = 2**53 - 1
RESERVED_QUESTION_IDS = frozenset({"id", "sid", "kind", "ri", "fid", "n", "pq", "stage"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(str, Enum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"

    @property
    def rank(self) -> int:
        """0 for critical, 3 for low: sorts the most severe first."""
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = (Severity.critical, Severity.high, Severity.medium, Severity.low)


class Timeframe(str, Enum):
    now = "now"
    next_2_weeks = "next-2-weeks"
    next_30_days = "next-30-days"
    next_quarter = "next-quarter"

    @property
    def label(self) -> str:
        return {
            "now": "now",
            "next-2-weeks": "next 2 weeks",
            "next-30-days": "next 30 days",
            "next-quarter": "next quarter",
        }[self.value]


class Effort(str, Enum):
    low = "low"
    medium = "medium"
    high = "high"


class QuestionType(str, Enum):
    yes_no = "yes_no"
    scale = "scale"
    number = "number"
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    date = "date"
    text = "text"


class Scope(str, Enum):
    """Who answers a section: once for the project, or each respondent."""

    project = "project"
    respondent = "respondent"


# --- pack.yaml -------------------------------------------------------------------------------


class Area(Strict):
    id: str = Field(pattern=RULE_ID)
    title: str = Field(min_length=1)
    description: str = ""


class ConfidenceBand(Strict):
    """The lowest overall score a rating allows, and how many findings of each severity."""

    rating: str
    min_overall: float = Field(ge=0, le=100)
    max_critical: int = Field(ge=0)
    max_high: int = Field(ge=0)
    max_medium: int = Field(ge=0)


class Scoring(Strict):
    dont_know_credit: float = Field(default=0.25, ge=0, le=1)
    #: Best rating first; the first band a project satisfies is its rating; the last is the floor.
    confidence: list[ConfidenceBand] = Field(min_length=5, max_length=5)

    @field_validator("confidence")
    @classmethod
    def _gateway_ladder(cls, bands: list[ConfidenceBand]) -> list[ConfidenceBand]:
        ratings = [band.rating for band in bands]
        if ratings != list(CONFIDENCE_RATINGS):
            raise ValueError(f"confidence bands must be, in order: {', '.join(CONFIDENCE_RATINGS)}")
        return bands


CONFIDENCE_RATINGS = ("green", "amber-green", "amber", "amber-red", "red")


class PackMeta(Strict):
    name: str = Field(min_length=1)
    version: str = Field(pattern=r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
    title: str
    description: str = ""
    source: str = Field(description="The text the pack is built from.")
    areas: list[Area] = Field(min_length=1)
    #: Section headings of the source article a rule may cite.
    article_sections: list[str] = Field(min_length=1)
    scoring: Scoring


# --- questionnaire.yaml ----------------------------------------------------------------------


class Choice(Strict):
    id: str = Field(pattern=QUESTION_ID)
    label: str = Field(min_length=1)
    #: Health of this choice toward the area score, 0 (bad) to 1 (good); None: not scored.
    score: float | None = Field(default=None, ge=0, le=1)


class Question(Strict):
    id: str = Field(pattern=QUESTION_ID)
    type: QuestionType
    text: str = Field(min_length=1)
    help: str = ""
    required: bool = True
    visible_if: Condition | None = None
    weight: float = Field(default=1.0, ge=0)
    area: str | None = None
    choices: list[Choice] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None
    integer: bool = False
    unit: str = ""
    #: yes_no: which answer is healthy; scale: whether 5 is the healthy end.
    healthy: str = "yes"
    scale_labels: dict[int, str] = Field(default_factory=dict)
    allow_dont_know: bool = True
    allow_not_applicable: bool = False
    max_length: int = Field(default=4000, ge=1, le=100_000)

    @cached_property
    def choice_ids(self) -> tuple[str, ...]:
        return tuple(choice.id for choice in self.choices)

    @cached_property
    def choice_labels(self) -> dict[str, str]:
        return {choice.id: choice.label for choice in self.choices}

    def expected(self) -> str:
        """What a valid answer looks like, for error messages and the editor template."""
        specials = [s for s, ok in zip(SPECIAL_ANSWERS, self.allowed_specials(), strict=True) if ok]
        tail = f", or {' / '.join(specials)}" if specials else ""
        if self.type is QuestionType.yes_no:
            return f"yes or no{tail}"
        if self.type is QuestionType.scale:
            return f"a whole number from 1 to 5{tail}"
        if self.type is QuestionType.number:
            kind = "a whole number" if self.integer else "a number"
            bounds = []
            if self.min is not None:
                bounds.append(f">= {self.min:g}")
            if self.max is not None:
                bounds.append(f"<= {self.max:g}")
            return f"{kind}{' ' + ' and '.join(bounds) if bounds else ''}{tail}"
        if self.type is QuestionType.single_choice:
            return f"one of: {', '.join(self.choice_ids)}{tail}"
        if self.type is QuestionType.multiple_choice:
            return f"a list of any of: {', '.join(self.choice_ids)}{tail}"
        if self.type is QuestionType.date:
            return f"a date as YYYY-MM-DD{tail}"
        return f"text of at most {self.max_length} characters{tail}"

    def allowed_specials(self) -> tuple[bool, bool]:
        return (self.allow_dont_know, self.allow_not_applicable)

    def normalise(self, value: Any) -> AnswerValue:
        """Turn a raw answer into its one canonical type, or raise ValueError saying why.

        One type per question keeps durable-rules away from its mixed-type comparisons, where
        ``"10" > 5`` is false and ``1 == True`` is true.
        """
        kind = self.type
        if kind is QuestionType.yes_no:
            # YAML 1.1 reads a bare yes/no/true/false as a boolean; accept both spellings.
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, str) and value.strip().lower() in ("yes", "no"):
                return value.strip().lower()
            raise ValueError("not a yes/no answer")
        if kind in (QuestionType.scale, QuestionType.number):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError("not a number")
            if not isinstance(value, int) and not math.isfinite(value):
                raise ValueError("not a finite number")
            if kind is QuestionType.scale or self.integer:
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError("not a whole number")
                value = int(value)
            low, high = (1, 5) if kind is QuestionType.scale else (self.min, self.max)
            if low is not None and value < low:
                raise ValueError(f"below the minimum {low:g}")
            if high is not None and value > high:
                raise ValueError(f"above the maximum {high:g}")
            if isinstance(value, int) and abs(value) > MAX_EXACT_INTEGER:
                # Beyond 2**53 a number is no longer exact as JSON or as a float.
                raise ValueError(f"too large a number (at most {MAX_EXACT_INTEGER:,} either way)")
            number: int | float = value
            return number
        if kind is QuestionType.single_choice:
            if not isinstance(value, str) or value not in self.choice_ids:
                raise ValueError("not one of the offered choices")
            return value
        if kind is QuestionType.multiple_choice:
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
                raise ValueError("not a list of choices")
            unknown = [item for item in items if item not in self.choice_ids]
            if unknown:
                raise ValueError(f"{', '.join(map(repr, unknown))} not among the offered choices")
            if len(set(items)) != len(items):
                raise ValueError("a choice is listed twice")
            # Canonical order: the questionnaire's, so equal answers compare equal.
            return tuple(choice for choice in self.choice_ids if choice in items)
        if kind is QuestionType.date:
            if isinstance(value, dt.datetime):
                raise ValueError("a date and time; give the date only")
            if isinstance(value, dt.date):
                return value
            if isinstance(value, str):
                try:
                    return dt.date.fromisoformat(value.strip())
                except ValueError:
                    pass
            raise ValueError("not a date")
        if not isinstance(value, str):
            raise ValueError("not text")
        if len(value) > self.max_length:
            raise ValueError(f"longer than {self.max_length} characters")
        return value


class Section(Strict):
    id: str = Field(pattern=QUESTION_ID)
    title: str = Field(min_length=1)
    description: str = ""
    scope: Scope = Scope.respondent
    #: Default area of the section's questions; None: not scored (for example the context).
    area: str | None = None
    #: Shown only when this holds (for example the checklist of one project type).
    visible_if: Condition | None = None
    questions: list[Question] = Field(min_length=1)


class QuestionnaireFile(Strict):
    sections: list[Section] = Field(min_length=1)


# --- *.rules.yaml ----------------------------------------------------------------------------


class Recommendation(Strict):
    action: str = Field(min_length=1)
    owner: str = Field(min_length=1, description="The role that owns the action.")
    timeframe: Timeframe
    effort: Effort


class Rule(Strict):
    id: str = Field(pattern=RULE_ID)
    title: str = Field(min_length=1)
    area: str
    severity: Severity
    source: str = Field(description="The article section the rule comes from.")
    why: str = Field(min_length=1, description="Why it matters, in the article's terms.")
    when: Condition
    #: Questions shown as evidence; by default every question the condition reads.
    evidence: list[str] | None = None
    recommendations: list[Recommendation] = Field(min_length=1)


class RulesFile(Strict):
    rules: list[Rule] = Field(min_length=1)


# --- the loaded pack -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionInfo:
    question: Question
    section: Section
    #: Effective area (question's own, else its section's); None: not scored.
    area: str | None


@dataclass(frozen=True)
class LoadedRule:
    rule: Rule
    path: Path
    #: 0 for rules that read answers only; else one more than the findings it depends on.
    stratum: int
    evidence: tuple[str, ...]
    findings_read: tuple[str, ...]


@dataclass(frozen=True)
class Pack:
    meta: PackMeta
    sections: tuple[Section, ...]
    rules: tuple[LoadedRule, ...]
    sha256: str
    location: str
    questions: Mapping[str, QuestionInfo] = field(repr=False)
    _operands: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.meta.name

    @property
    def version(self) -> str:
        return self.meta.version

    def rule(self, rule_id: str) -> LoadedRule:
        return self.rules_by_id[rule_id]

    @cached_property
    def rules_by_id(self) -> dict[str, LoadedRule]:
        return {loaded.rule.id: loaded for loaded in self.rules}

    @cached_property
    def rule_order(self) -> dict[str, int]:
        """Each rule's place in the pack: the tie-break of the findings' order."""
        return {loaded.rule.id: index for index, loaded in enumerate(self.rules)}

    @cached_property
    def area_titles(self) -> dict[str, str]:
        return {area.id: area.title for area in self.meta.areas}

    def operand(self, node: Compare) -> Any:
        """A comparison's operand, normalised like an answer to its question."""
        key = id(node)
        if key not in self._operands:
            self._operands[key] = check_operand(self.questions[node.q].question, node)
        return self._operands[key]

    def visible(
        self,
        question_id: str,
        values: Mapping[str, AnswerValue],
        states: Mapping[str, AnswerState],
    ) -> bool:
        """Whether a question applies, given the answers so far (its section's and own
        ``visible_if``)."""
        test = self.visibility_tests.get(question_id)
        return True if test is None else test(values, states)  # most questions always apply

    @cached_property
    def visibility_conditions(self) -> dict[str, tuple[ConditionNode, ...]]:
        """Each question's ``visible_if`` conditions (its section's, then its own), if any."""
        return {
            question_id: conditions
            for question_id, info in self.questions.items()
            if (
                conditions := tuple(
                    condition
                    for condition in (info.section.visible_if, info.question.visible_if)
                    if condition is not None
                )
            )
        }

    @cached_property
    def visibility_tests(self) -> dict[str, VisibilityTest]:
        """Each question's ``visibility_conditions``, compiled into one test (all must hold).

        Questions with the same conditions (a section's, most often) share one test object.
        """
        shared: dict[tuple[int, ...], VisibilityTest] = {}
        tests: dict[str, VisibilityTest] = {}
        for question_id, conditions in self.visibility_conditions.items():
            key = tuple(map(id, conditions))
            if key not in shared:
                shared[key] = _all_hold(
                    [compile_visibility(condition, self.operand) for condition in conditions]
                )
            tests[question_id] = shared[key]
        return tests

    @cached_property
    def questions_by_scope(self) -> dict[Scope, dict[str, QuestionInfo]]:
        """The questions answered once per project, and those each respondent answers."""
        by_scope: dict[Scope, dict[str, QuestionInfo]] = {scope: {} for scope in Scope}
        for question_id, info in self.questions.items():
            by_scope[info.section.scope][question_id] = info
        return by_scope

    @cached_property
    def answer_plans(self) -> dict[Scope, AnswerPlan]:
        """What the questions of each scope accept, for validation's fast path."""
        plans: dict[Scope, AnswerPlan] = {}
        for scope, infos in self.questions_by_scope.items():
            checks = []
            for question_id, info in infos.items():
                question = info.question
                test = self.visibility_tests.get(question_id)
                reads = [
                    read
                    for condition in self.visibility_conditions.get(question_id, ())
                    for read in questions_read(condition)
                ]
                # Conditions that read only the other scope's answers (a respondent checklist
                # that depends on the project's type) are decided before a set's answers are read.
                decided = all(
                    read in self.questions and self.questions[read].section.scope is not scope
                    for read in reads
                )
                check = AnswerCheck(
                    question_id=question_id,
                    required=question.required,
                    visible=None if decided else test,
                    normalise=plain_normaliser(question),
                    specials={
                        special: AnswerState(special)
                        for special, allowed in zip(
                            SPECIAL_ANSWERS, question.allowed_specials(), strict=True
                        )
                        if allowed
                    },
                )
                checks.append((check, test if decided else None))
            plans[scope] = AnswerPlan(checks)
        return plans

    def project_questions(self) -> list[QuestionInfo]:
        return list(self.questions_by_scope[Scope.project].values())

    def respondent_questions(self) -> list[QuestionInfo]:
        return list(self.questions_by_scope[Scope.respondent].values())


def _all_hold(tests: Sequence[VisibilityTest]) -> VisibilityTest:
    if len(tests) == 1:
        return tests[0]

    def all_hold(values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]) -> bool:
        return all(test(values, states) for test in tests)

    return all_hold


class AnswerCheck(NamedTuple):
    """How to validate the answer to one question (a tuple: validation unpacks it per answer)."""

    question_id: str
    required: bool
    #: Whether the question applies, for a condition that reads answers of its own answer set;
    #: None when that was decided beforehand (see ``AnswerPlan.applicable``).
    visible: VisibilityTest | None
    #: ``plain_normaliser(question)``.
    normalise: Callable[[Any], Any]
    #: The special answers the question takes, and the state each stands for.
    specials: Mapping[str, AnswerState]


#: How many outcomes of its conditions an AnswerPlan remembers (a pack has few in practice).
_MAX_OUTCOMES = 4096


class AnswerPlan:
    """The checks of one scope's questions, in questionnaire order, for validation's fast path.

    The questions whose conditions read only the other scope's answers apply or not for a whole
    answer set: ``applicable`` decides them once and leaves only the checks that may apply.
    """

    def __init__(self, checks: Sequence[tuple[AnswerCheck, VisibilityTest | None]]) -> None:
        """``checks``: each question's check and the test decided beforehand, if any."""
        self.question_ids = frozenset(check.question_id for check, _ in checks)
        #: Whether a check tests its visibility on the set's own answers as they are read.
        self.reads_own_answers = any(check.visible is not None for check, _ in checks)
        self._checks = tuple(checks)
        self._tests = tuple(dict.fromkeys(test for _, test in checks if test is not None))
        self._outcomes: dict[tuple[bool, ...], tuple[tuple[AnswerCheck, ...], frozenset[str]]]
        self._outcomes = {}

    def applicable(
        self, values: Mapping[str, AnswerValue], states: Mapping[str, AnswerState]
    ) -> tuple[tuple[AnswerCheck, ...], frozenset[str]]:
        """Given the other scope's answers: the checks of the questions that may apply, and the
        ids of those that do not."""
        outcome = tuple([test(values, states) for test in self._tests])
        known = self._outcomes.get(outcome)
        if known is not None:
            return known
        holds = dict(zip(self._tests, outcome, strict=True))
        applicable = tuple(check for check, test in self._checks if test is None or holds[test])
        hidden = frozenset(
            check.question_id
            for check, test in self._checks
            if test is not None and not holds[test]
        )
        if len(self._outcomes) < _MAX_OUTCOMES:
            self._outcomes[outcome] = (applicable, hidden)
        return applicable, hidden


class _NotPlain:
    """The type of ``NOT_PLAIN``."""

    def __repr__(self) -> str:
        return "NOT_PLAIN"


#: What a plain normaliser returns for an answer it does not vouch for.
NOT_PLAIN: Any = _NotPlain()


def plain_normaliser(question: Question) -> Callable[[Any], Any]:
    """A fast ``question.normalise`` for plainly valid answers, for validation's fast path.

    It returns what ``normalise`` returns for an answer of exactly a plain type (str, int,
    float, bool, date, list of str) that is valid and not a special answer (dont_know,
    not_applicable), and ``NOT_PLAIN`` for anything else: special, invalid or unusual answers
    are for the caller to check thoroughly.
    """
    kind = question.type
    if kind is QuestionType.yes_no:
        spellings = {"yes": "yes", "no": "no"}

        def yes_no(value: Any) -> Any:
            if value is True:
                return "yes"
            if value is False:
                return "no"
            # YAML reads a bare yes/no as a boolean, so other spellings are rare: not plain.
            return spellings.get(value, NOT_PLAIN) if type(value) is str else NOT_PLAIN

        return yes_no
    if kind in (QuestionType.scale, QuestionType.number):
        whole = kind is QuestionType.scale or question.integer
        low, high = (1, 5) if kind is QuestionType.scale else (question.min, question.max)
        float_low = -math.inf if low is None else low
        float_high = math.inf if high is None else high
        int_low = max(float_low, -MAX_EXACT_INTEGER)
        int_high = min(float_high, MAX_EXACT_INTEGER)

        def number(value: Any) -> Any:
            if type(value) is int:
                return value if int_low <= value <= int_high else NOT_PLAIN
            if (
                type(value) is float
                and not whole
                and float_low <= value <= float_high
                and -math.inf < value < math.inf
            ):
                return value
            return NOT_PLAIN  # includes a float of a whole-number question: 3.0 becomes 3

        return number
    # Choice ids may be spelt like the special answers; those answers are the caller's to check.
    if kind is QuestionType.single_choice:
        offered = frozenset(question.choice_ids).difference(SPECIAL_ANSWERS)

        def single_choice(value: Any) -> Any:
            return value if type(value) is str and value in offered else NOT_PLAIN

        return single_choice
    if kind is QuestionType.multiple_choice:
        in_order = question.choice_ids
        choices = frozenset(in_order)
        single = choices.difference(SPECIAL_ANSWERS)

        def multiple_choice(value: Any) -> Any:
            if type(value) is list and all(type(item) is str for item in value):
                chosen = set(value)
                if len(chosen) == len(value) and chosen <= choices:
                    return tuple(choice for choice in in_order if choice in chosen)
            elif type(value) is str and value in single:
                return (value,)
            return NOT_PLAIN

        return multiple_choice
    if kind is QuestionType.date:

        def date(value: Any) -> Any:
            if type(value) is dt.date:
                return value
            if type(value) is str:
                try:
                    return dt.date.fromisoformat(value.strip())
                except ValueError:
                    return NOT_PLAIN
            return NOT_PLAIN

        return date
    if kind is QuestionType.text:
        max_length = question.max_length

        def text(value: Any) -> Any:
            if type(value) is str and len(value) <= max_length and value not in SPECIAL_ANSWERS:
                return value
            return NOT_PLAIN

        return text
    return _never_plain


def _never_plain(value: Any) -> Any:
    return NOT_PLAIN


def default_pack_location() -> Traversable:
    """The pack bundled with gapcheck (the top-level ``rules/`` folder, shipped in the wheel)."""
    return resources.files("gapcheck").joinpath("rules")


_PACK_CACHE: dict[str, Pack] = {}


def load_pack(location: Traversable | Path | None = None) -> Pack:
    """Load and cross-check a pack folder; the bundled one by default. Cached per folder."""
    folder: Traversable = default_pack_location() if location is None else location
    key = str(folder)
    if key not in _PACK_CACHE:
        _PACK_CACHE[key] = _load_pack_uncached(folder)
    return _PACK_CACHE[key]


def _read_yaml(entry: Traversable, label: Path) -> Any:
    try:
        raw = entry.read_bytes()
    except OSError as error:
        raise PackError(label, f"cannot read: {error.strerror or error}") from error
    try:
        return raw, yaml.load(raw.decode("utf-8"), Loader=yaml.CSafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise PackError(label, f"not valid YAML: {error}") from error


def _validation_message(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(part) for part in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    more = len(error.errors()) - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _rule_id_at(data: Any, error: ValidationError) -> str | None:
    """The id of the rule a validation error sits in, to name it in the message."""
    for item in error.errors():
        loc = item["loc"]
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
            try:
                rule_id = data["rules"][loc[1]]["id"]
            except (KeyError, IndexError, TypeError):
                return f"#{loc[1] + 1}"
            return str(rule_id)
    return None


#: The files of a pack folder: these two, and rules in any number of files ending RULES_SUFFIX.
PACK_FILES = ("pack.yaml", "questionnaire.yaml")
RULES_SUFFIX = ".rules.yaml"


def is_pack_file(name: str) -> bool:
    """Whether load_pack reads a file of this name in a pack folder (it ignores the others)."""
    return name in PACK_FILES or name.endswith(RULES_SUFFIX)


def _load_pack_uncached(folder: Traversable) -> Pack:
    label = Path(str(folder))
    if not folder.is_dir():
        raise PackError(label, "pack folder not found")
    hasher = hashlib.sha256()
    entries = sorted(folder.iterdir(), key=lambda entry: entry.name)

    def read(entry: Traversable) -> Any:
        raw, data = _read_yaml(entry, label / entry.name)
        # The content hash covers every file name and byte of the pack, in a stable order.
        hasher.update(entry.name.encode() + b"\0" + raw + b"\0")
        return data

    by_name = {entry.name: entry for entry in entries}
    for required in PACK_FILES:
        if required not in by_name:
            raise PackError(label / required, "missing from the pack")
    rule_files = [entry for entry in entries if entry.name.endswith(RULES_SUFFIX)]
    if not rule_files:
        raise PackError(label, "the pack has no *.rules.yaml file")

    meta_data = read(by_name["pack.yaml"])
    try:
        meta = PackMeta.model_validate(meta_data)
    except ValidationError as error:
        raise PackError(label / "pack.yaml", _validation_message(error)) from error

    questionnaire_data = read(by_name["questionnaire.yaml"])
    try:
        questionnaire = QuestionnaireFile.model_validate(questionnaire_data)
    except ValidationError as error:
        raise PackError(label / "questionnaire.yaml", _validation_message(error)) from error

    rules_with_paths: list[tuple[Rule, Path]] = []
    for entry in rule_files:
        data = read(entry)
        try:
            rules_file = RulesFile.model_validate(data)
        except ValidationError as error:
            raise PackError(
                label / entry.name, _validation_message(error), rule=_rule_id_at(data, error)
            ) from error
        rules_with_paths.extend((rule, label / entry.name) for rule in rules_file.rules)

    questions = _check_questionnaire(meta, questionnaire, label / "questionnaire.yaml")
    loaded_rules = _check_rules(meta, questions, rules_with_paths)
    return Pack(
        meta=meta,
        sections=tuple(questionnaire.sections),
        rules=loaded_rules,
        sha256=hasher.hexdigest(),
        location=str(folder),
        questions=questions,
    )


def _check_questionnaire(
    meta: PackMeta, questionnaire: QuestionnaireFile, path: Path
) -> dict[str, QuestionInfo]:
    area_ids = {area.id for area in meta.areas}
    questions: dict[str, QuestionInfo] = {}
    section_ids: set[str] = set()
    for section in questionnaire.sections:
        if section.id in section_ids:
            raise PackError(path, f"section id '{section.id}' is used twice")
        section_ids.add(section.id)
        if section.area is not None and section.area not in area_ids:
            raise PackError(path, f"section '{section.id}': unknown area '{section.area}'")
        for question in section.questions:
            where = f"question '{question.id}'"
            if question.id in questions:
                raise PackError(path, f"{where} is defined twice")
            if question.id in RESERVED_QUESTION_IDS:
                raise PackError(path, f"{where}: the id is reserved")
            area = question.area or section.area
            if area is not None and area not in area_ids:
                raise PackError(path, f"{where}: unknown area '{area}'")
            _check_question_shape(question, path)
            questions[question.id] = QuestionInfo(question, section, area)
    # Conditions may read any question defined before them (no forward or self references).
    seen: dict[str, QuestionInfo] = {}
    for section in questionnaire.sections:
        if section.visible_if is not None:
            _check_visibility(section.visible_if, seen, path, f"section '{section.id}'")
        for question in section.questions:
            if question.visible_if is not None:
                _check_visibility(question.visible_if, seen, path, f"question '{question.id}'")
            seen[question.id] = questions[question.id]
    return questions


def _check_question_shape(question: Question, path: Path) -> None:
    where = f"question '{question.id}'"
    kind = question.type
    has_choices = kind in (QuestionType.single_choice, QuestionType.multiple_choice)
    if has_choices and len(question.choices) < 2:
        raise PackError(path, f"{where}: a choice question needs at least two choices")
    if not has_choices and question.choices:
        raise PackError(path, f"{where}: only choice questions have choices")
    if len(set(question.choice_ids)) != len(question.choice_ids):
        raise PackError(path, f"{where}: a choice id is used twice")
    if kind is not QuestionType.number and (question.min is not None or question.max is not None):
        raise PackError(path, f"{where}: only number questions have min and max")
    if question.min is not None and question.max is not None and question.min > question.max:
        raise PackError(path, f"{where}: min is above max")
    if kind is QuestionType.yes_no and question.healthy not in ("yes", "no"):
        raise PackError(path, f"{where}: healthy must be yes or no")
    if kind is QuestionType.scale and question.healthy not in ("yes", "no", "high", "low"):
        raise PackError(path, f"{where}: healthy must be high or low for a scale")
    if any(not 1 <= level <= 5 for level in question.scale_labels):
        raise PackError(path, f"{where}: scale labels are for levels 1 to 5")


def _check_visibility(
    condition: ConditionNode, seen: Mapping[str, QuestionInfo], path: Path, where: str
) -> None:
    for node in walk(condition):
        if isinstance(node, (FindingRef, Differ)):
            raise PackError(path, f"{where}: visible_if may only compare answers")
        if isinstance(node, (Compare, StateIs)):
            if node.q not in seen:
                raise PackError(
                    path,
                    f"{where}: visible_if reads '{node.q}', which is not a question defined"
                    " before it",
                )
            if isinstance(node, Compare):
                try:
                    check_operand(seen[node.q].question, node)
                except ValueError as error:
                    raise PackError(path, f"{where}: visible_if: {error}") from error


def check_operand(question: Question, node: Compare) -> Any:
    """Validate and normalise a comparison's operand against its question; ValueError if wrong."""
    kind = question.type
    op = node.op
    if kind is QuestionType.text:
        raise ValueError(f"'{question.id}' is free text: only 'state' conditions read it")
    if op == "has":
        if kind is not QuestionType.multiple_choice:
            raise ValueError(f"'has' needs a multiple-choice question; '{question.id}' is {kind}")
        if node.operand not in question.choice_ids:
            raise ValueError(
                f"'{question.id}' has no choice {node.operand!r}"
                f" (choices: {', '.join(question.choice_ids)})"
            )
        return node.operand
    if kind is QuestionType.multiple_choice:
        raise ValueError(f"'{question.id}' is multiple choice: use 'has' or 'state'")
    if op in ("lt", "lte", "gt", "gte") and kind in (
        QuestionType.yes_no,
        QuestionType.single_choice,
    ):
        raise ValueError(f"'{op}' needs a number, scale or date; '{question.id}' is {kind.value}")
    operands = node.operand if op == "in" else [node.operand]
    if op == "in" and (not isinstance(operands, list) or not operands):
        raise ValueError("'in' needs a non-empty list")
    normalised = []
    for operand in operands:
        try:
            normalised.append(question.normalise(operand))
        except ValueError as error:
            raise ValueError(
                f"{operand!r} is impossible for '{question.id}': {error}"
                f" (expected {question.expected().split(', or ')[0]})"
            ) from error
    return normalised if op == "in" else normalised[0]


def _check_rules(
    meta: PackMeta,
    questions: Mapping[str, QuestionInfo],
    rules_with_paths: Sequence[tuple[Rule, Path]],
) -> tuple[LoadedRule, ...]:
    area_ids = {area.id for area in meta.areas}
    by_id: dict[str, tuple[Rule, Path]] = {}
    for rule, path in rules_with_paths:
        if rule.id in by_id:
            raise PackError(path, f"rule id is also used in {by_id[rule.id][1].name}", rule=rule.id)
        by_id[rule.id] = (rule, path)

    for rule, path in rules_with_paths:
        if rule.area not in area_ids:
            raise PackError(
                path, f"unknown area '{rule.area}' (areas: {', '.join(sorted(area_ids))})", rule.id
            )
        if rule.source not in meta.article_sections:
            raise PackError(
                path, f"source '{rule.source}' is not a section of the article", rule.id
            )
        _check_rule_condition(rule, path, questions, by_id)

    strata = _strata(by_id)
    loaded = []
    for rule, path in rules_with_paths:
        read = questions_read(rule.when)
        evidence = tuple(rule.evidence) if rule.evidence is not None else tuple(read)
        for question_id in evidence:
            if question_id not in questions:
                raise PackError(path, f"evidence names unknown question '{question_id}'", rule.id)
        loaded.append(
            LoadedRule(
                rule=rule,
                path=path,
                stratum=strata[rule.id],
                evidence=evidence,
                findings_read=tuple(dict.fromkeys(fid for fid, _ in findings_read(rule.when))),
            )
        )
    # Stable order: by stratum, then as written; this is also the order findings are reported in.
    loaded.sort(key=lambda item: item.stratum)
    return tuple(loaded)


def _check_rule_condition(
    rule: Rule,
    path: Path,
    questions: Mapping[str, QuestionInfo],
    by_id: Mapping[str, tuple[Rule, Path]],
) -> None:
    for node in walk(rule.when):
        if isinstance(node, (Compare, StateIs)):
            if node.q not in questions:
                raise PackError(path, f"unknown question '{node.q}'", rule.id)
            if isinstance(node, Compare):
                try:
                    check_operand(questions[node.q].question, node)
                except ValueError as error:
                    raise PackError(path, str(error), rule.id) from error
            elif (
                node.state.value == "dont_know" and not questions[node.q].question.allow_dont_know
            ) or (
                node.state.value == "not_applicable"
                and not questions[node.q].question.allow_not_applicable
            ):
                raise PackError(
                    path, f"'{node.q}' never takes the answer {node.state.value}", rule.id
                )
        elif isinstance(node, FindingRef):
            if node.finding not in by_id:
                raise PackError(path, f"unknown finding '{node.finding}'", rule.id)
            if node.finding == rule.id:
                raise PackError(path, "a rule cannot read its own finding", rule.id)
        elif isinstance(node, Differ):
            info = questions.get(node.differ)
            if info is None:
                raise PackError(path, f"unknown question '{node.differ}'", rule.id)
            if info.section.scope is not Scope.respondent:
                raise PackError(
                    path,
                    f"'{node.differ}' is answered once per project: respondents can't differ",
                    rule.id,
                )
            if info.question.type in (QuestionType.text, QuestionType.multiple_choice):
                raise PackError(
                    path,
                    f"'differ' compares yes/no, scale, number, choice or date answers;"
                    f" '{node.differ}' is {info.question.type.value}",
                    rule.id,
                )
            if node.by and info.question.type in (QuestionType.yes_no, QuestionType.single_choice):
                raise PackError(path, "'by' needs a number, scale or date question", rule.id)
    if differ_negated(rule.when):
        raise PackError(path, "'differ' cannot sit under 'not'", rule.id)


def _strata(by_id: Mapping[str, tuple[Rule, Path]]) -> dict[str, int]:
    """Layer the rules so a rule only reads findings of lower layers (no cycles)."""
    strata: dict[str, int] = {}
    visiting: list[str] = []

    def stratum(rule_id: str) -> int:
        if rule_id in strata:
            return strata[rule_id]
        if rule_id in visiting:
            cycle = " -> ".join([*visiting[visiting.index(rule_id) :], rule_id])
            rule, path = by_id[rule_id]
            raise PackError(path, f"findings read each other in a cycle: {cycle}", rule_id)
        visiting.append(rule_id)
        rule, _ = by_id[rule_id]
        level = 0
        for finding_id, _negated in findings_read(rule.when):
            level = max(level, stratum(finding_id) + 1)
        visiting.pop()
        strata[rule_id] = level
        return level

    for rule_id in by_id:
        stratum(rule_id)
    return strata


__all__ = [
    "CONFIDENCE_RATINGS",
    "All",
    "AnyOf",
    "Not",
    "Pack",
    "Question",
    "QuestionType",
    "Rule",
    "Scope",
    "Severity",
    "load_pack",
]
