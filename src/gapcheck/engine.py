"""The one module that talks to durable-rules.

It compiles a pack's validated rules into durable-rules rulesets (the dict form), asserts one
session's facts (the project context, one fact per respondent, an end marker), collects the
findings the rules fire (derived findings chain through finding facts) and deletes the session.

durable-rules 2.0.28 has sharp edges (../shared/notes/durable-rules.md); every workaround lives
here, each marked ``TRAP n`` after the note's numbering, and ``tests/test_engine_traps.py``
reproduces each trap against this module:

1. Facts that match no complete rule make ``assert_facts`` report "not handled" and leave the
   actions to a background thread. The lean driver (``run_facts``) runs every queued action
   itself right after asserting, whatever that code says, so nothing is deferred and no sink
   rule (TRAP 13) is needed: it cost about 15% of the matching time.
2. Background dispatcher threads lose results and segfault: ``_Host._run`` starts none.
3. ``$not`` depends on fact order: absence rules also need a stage marker asserted once every
   finding they might see is settled (after the end marker).
4. Mixed types compare as strings: answers are normalised to one type per question before they
   become facts (``gapcheck.answers``), dates become day numbers.
5. Sessions are capped at 1,024: every session is deleted after its assessment, even on error.
6. Deleting a session no rule matched segfaults: an end rule always matches the end marker.
7. Session and fact ids are 32-bit hashes: one live session at a time, facts of a session are
   few and distinct (respondent index), no ``id``/``sid`` question (pack loader).
8. More than 252 fields in one fact segfaults: the compiler refuses packs that would need it.
9. Exceptions inside actions are swallowed into the state: checked after every assessment.
10. The C extension holds the GIL: one host per process; scale with processes, not threads.
11. A ruleset costs memory and can't be unregistered: one per pack content, cached.
12. Asserting a finding no rule reads raises inside durable: only findings some rule reads are
    asserted as facts; the others are recorded directly.
14. (Measured here, not in the notes.) Every session allocates about 1 MB of state (8 KB per
    join node of the ruleset) and ``delete_state`` frees it; glibc hands that memory back to
    the system each time, so the next session page-faults it in again. In a process holding
    other data this made assessments 2-2.5x slower (880 us against 360 us a project). The host
    asks glibc to keep freed memory for reuse (``mallopt``), once per process.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

import orjson

from gapcheck.answers import Answers, AnswerSet
from gapcheck.conditions import (
    All,
    AnswerState,
    AnswerValue,
    AnyOf,
    Compare,
    ConditionNode,
    Differ,
    FindingRef,
    Not,
    StateIs,
)
from gapcheck.errors import EngineError, PackError
from gapcheck.pack import LoadedRule, Pack, QuestionType, Scope, check_operand

#: TRAP 8: durable-rules segfaults past 252 fields in a fact; stay well below.
MAX_FACT_FIELDS = 240
#: At most this many matches of one rule reach the driver in one action (durable's `cap`).
FRAMES_PER_ACTION = 256
#: A rule whose condition expands to more alternatives than this is refused at load time.
MAX_ALTERNATIVES = 32
_SESSION_ID = "gapcheck"
_STATE_SUFFIX = "__s"
_CHOICE_SEPARATOR = "__"

Json = dict[str, Any]


# --- durable-rules set-up --------------------------------------------------------------------


class _OrjsonCodec:
    """Stands in for the ``json`` module inside durable-rules: the same text, 2-3x faster."""

    @staticmethod
    def dumps(value: Any, ensure_ascii: bool = False) -> str:
        return orjson.dumps(value).decode()

    @staticmethod
    def loads(text: str | bytes) -> Any:
        return orjson.loads(text)


_host_lock = threading.Lock()
_host: Any = None
_native: Any = None


def _no_action(c: Any) -> None:
    """durable-rules wants a callable per rule; the lean driver below never calls it."""


def _get_host() -> Any:
    """The process's one durable-rules host (TRAP 10), created on first use."""
    global _host, _native  # noqa: PLW0603 - one host per process, made on first use
    if _host is None:
        import durable.engine as durable_engine  # noqa: PLC0415 - keeps `gapcheck --help` fast
        import durable_rules_engine  # noqa: PLC0415

        durable_engine.json = _OrjsonCodec

        class _Host(durable_engine.Host):  # type: ignore[misc]
            def _run(self) -> None:
                """TRAP 2: no dispatcher or timer threads; gapcheck uses no timers."""

            def get_action(self, action_name: str) -> Any:
                return _no_action

        _keep_freed_memory()
        _host = _Host()
        _native = durable_rules_engine
    return _host


#: glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def _keep_freed_memory() -> bool:
    """TRAP 14: let glibc keep the memory durable frees with each session, for the next one.

    Blocks up to 32 MB come from the heap instead of their own mappings, and the heap is only
    trimmed once 128 MB lie free at its top: peak memory is unchanged, the memory is reused
    instead of being returned and faulted in again. True when the settings took effect.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc: its allocator has other habits
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, 32 * 1024 * 1024)
        and mallopt(_M_TRIM_THRESHOLD, 128 * 1024 * 1024)
    )


# --- facts -----------------------------------------------------------------------------------


def encode_value(kind: QuestionType, value: AnswerValue) -> Any:
    """One answer as a fact field value: one JSON type per question type (TRAP 4)."""
    if kind is QuestionType.date:
        assert isinstance(value, dt.date)
        return value.toordinal()
    if kind is QuestionType.text:
        return 1  # rules only test presence of free text; it never enters the engine
    if kind is QuestionType.multiple_choice:
        assert isinstance(value, tuple)
        return len(value)
    return value


# How a question's answer becomes fact fields; one type per question type (TRAP 4).
_PLAIN, _DATE, _TEXT, _CHOICES = range(4)
_ENCODINGS = {
    QuestionType.date: _DATE,  # day number: dates compare and subtract as numbers
    QuestionType.text: _TEXT,  # presence only: free text never enters the engine
    QuestionType.multiple_choice: _CHOICES,  # a count, and a flag per chosen choice
}


@dataclass(frozen=True)
class _Encoding:
    """The fields a fact takes from one set of answers: which questions, and how each."""

    #: Questions whose answer goes into the fact as it is (most of them).
    plain: frozenset[str]
    #: Questions whose answer is converted first (dates, free text, multiple choice).
    converted: Mapping[str, int]
    #: The field holding a special answer ("don't know", "not applicable"), per question.
    special_fields: Mapping[str, str]


def _encoding(pack: Pack, question_ids: Iterable[str]) -> _Encoding:
    ids = list(question_ids)
    kinds = {q: _ENCODINGS.get(pack.questions[q].question.type, _PLAIN) for q in ids}
    return _Encoding(
        plain=frozenset(q for q, kind in kinds.items() if kind == _PLAIN),
        converted={q: kind for q, kind in kinds.items() if kind != _PLAIN},
        special_fields={q: q + _STATE_SUFFIX for q in ids},
    )


def _encode_set(encoding: _Encoding, answers: AnswerSet, fact: Json) -> None:
    """Add the answers the rules read to a fact; special answers go to a field of their own."""
    values = answers.values
    plain = encoding.plain
    fact.update({q: value for q, value in values.items() if q in plain})
    converted = encoding.converted
    if converted:
        for question_id, kind in converted.items():
            if question_id not in values:
                continue
            value = values[question_id]
            if kind == _DATE:
                fact[question_id] = value.toordinal()  # type: ignore[union-attr]
            elif kind == _TEXT:
                fact[question_id] = 1
            else:
                assert isinstance(value, tuple)
                fact[question_id] = len(value)
                for choice in value:
                    fact[question_id + _CHOICE_SEPARATOR + choice] = 1
    if len(answers.states) != len(values):
        special_fields = encoding.special_fields
        for question_id, state in answers.states.items():
            if state is not AnswerState.answered and question_id in special_fields:
                fact[special_fields[question_id]] = state.value


# --- compiling conditions --------------------------------------------------------------------


@dataclass
class _Alternative:
    """One way a condition can hold: at most one answer pattern, plus finding and pair joins."""

    answer: list[Json] = field(default_factory=list)
    answer_questions: list[str] = field(default_factory=list)
    #: Each slot is one finding pattern, satisfied by any of the finding ids it lists.
    findings: list[tuple[str, ...]] = field(default_factory=list)
    absent_findings: list[str] = field(default_factory=list)
    differs: list[Differ] = field(default_factory=list)

    def merged(self, other: _Alternative) -> _Alternative:
        return _Alternative(
            self.answer + other.answer,
            self.answer_questions + other.answer_questions,
            self.findings + other.findings,
            self.absent_findings + other.absent_findings,
            self.differs + other.differs,
        )


def _conjoin(parts: list[Json]) -> Json:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _disjoin(parts: list[Json]) -> Json:
    return parts[0] if len(parts) == 1 else {"$or": parts}


class _Compiler:
    def __init__(self, pack: Pack) -> None:
        self.pack = pack

    def _encoded_operand(self, node: Compare) -> Any:
        question = self.pack.questions[node.q].question
        operand = check_operand(question, node)
        if node.op == "in":
            return [encode_value(question.type, item) for item in operand]
        if node.op == "has":
            return operand
        return encode_value(question.type, operand)

    def answer_atom(self, node: Compare | StateIs, negated: bool) -> Json:
        """A comparison or state test on one fact, with ``not`` pushed inside."""
        q = node.q
        exists = {"$ex": {q: 1}}
        absent = {"$nex": {q: 1}}
        if isinstance(node, StateIs):
            state = node.state
            special = q + _STATE_SUFFIX
            if state is AnswerState.answered:
                return absent if negated else exists
            if state is AnswerState.missing:
                if negated:
                    return {"$or": [exists, {"$ex": {special: 1}}]}
                return {"$and": [absent, {"$nex": {special: 1}}]}
            if negated:
                return {"$or": [{"$nex": {special: 1}}, {"$neq": {special: state.value}}]}
            return {special: state.value}
        operand = self._encoded_operand(node)
        op = node.op
        if op == "has":
            flag = q + _CHOICE_SEPARATOR + str(operand)
            return {"$nex": {flag: 1}} if negated else {flag: 1}
        if op == "in":
            if negated:
                return {"$or": [absent, _conjoin([{"$neq": {q: item}} for item in operand])]}
            return _disjoin([{q: item} for item in operand])
        # A comparison holds only for a real answer; its negation also holds for no answer.
        positive = {
            "eq": "$eq",
            "ne": "$neq",
            "lt": "$lt",
            "lte": "$lte",
            "gt": "$gt",
            "gte": "$gte",
        }
        opposite = {
            "eq": "$neq",
            "ne": "$eq",
            "lt": "$gte",
            "lte": "$gt",
            "gt": "$lte",
            "gte": "$lt",
        }
        if negated:
            test = {q: operand} if opposite[op] == "$eq" else {opposite[op]: {q: operand}}
            return {"$or": [absent, test]}
        # No `$ex` needed: durable finds every comparison with a missing field false
        # (tests/test_engine_traps.py pins that), one alpha test fewer per rule.
        return {q: operand} if positive[op] == "$eq" else {positive[op]: {q: operand}}

    def alternatives(self, node: ConditionNode) -> list[_Alternative]:
        """Expand a condition into alternatives (a disjunction), ``not`` pushed to the leaves.

        Fully expanded, each alternative says exactly which answers made a firing happen, so the
        evidence shows only those. A condition too large to expand keeps its answer-only parts
        grouped in one fact pattern instead (same meaning, coarser evidence).
        """
        try:
            return _merge_alternatives(self._expand(node, negated=False, split_answers=True))
        except _TooManyAlternatives:
            try:
                return self._expand(node, negated=False, split_answers=False)
            except _TooManyAlternatives:
                raise ValueError(
                    f"the condition expands to more than {MAX_ALTERNATIVES} alternatives"
                ) from None

    def _expand(
        self, node: ConditionNode, negated: bool, split_answers: bool
    ) -> list[_Alternative]:
        if isinstance(node, Not):
            return self._expand(node.not_, not negated, split_answers)
        if isinstance(node, (Compare, StateIs)):
            return [
                _Alternative(answer=[self.answer_atom(node, negated)], answer_questions=[node.q])
            ]
        if isinstance(node, FindingRef):
            if negated:
                return [_Alternative(absent_findings=[node.finding])]
            return [_Alternative(findings=[(node.finding,)])]
        if isinstance(node, Differ):
            return [_Alternative(differs=[node])]
        children = node.all if isinstance(node, All) else node.any
        conjunctive = isinstance(node, All) != negated
        expanded = [self._expand(child, negated, split_answers) for child in children]
        result: list[_Alternative] = []
        if not split_answers:
            # Answer-only children become one pattern: `$and`/`$or` inside a single fact.
            pure = [alts[0] for alts in expanded if _is_pure_answer(alts)]
            expanded = [alts for alts in expanded if not _is_pure_answer(alts)]
            if pure:
                combine = _conjoin if conjunctive else _disjoin
                result = [
                    _Alternative(
                        answer=[combine([_conjoin(alt.answer) for alt in pure])],
                        answer_questions=[q for alt in pure for q in alt.answer_questions],
                    )
                ]
        if conjunctive:
            for alts in expanded:
                result = [
                    left.merged(right) for left in result or [_Alternative()] for right in alts
                ]
                if len(result) > MAX_ALTERNATIVES:
                    raise _TooManyAlternatives
        else:
            for alts in expanded:
                result.extend(alts)
        if len(result) > MAX_ALTERNATIVES:
            raise _TooManyAlternatives
        return result


class _TooManyAlternatives(Exception):
    pass


def _merge_alternatives(alternatives: list[_Alternative]) -> list[_Alternative]:
    """Fold alternatives back together where that loses no evidence: each durable rule costs
    matching time on every fact (about 1 us a rule and project here), firings cost more.

    - Alternatives alike but for one finding slot become one slot accepting any of those
      findings (the matched fact still says which one fired).
    - Alternatives alike but for their answer tests on the same questions become one pattern
      with ``$or`` (the evidence names the same questions either way).
    """

    def differ_key(alt: _Alternative) -> tuple[tuple[str, float], ...]:
        return tuple((d.differ, d.by) for d in alt.differs)

    by_rest: dict[str, _Alternative] = {}
    for alt in alternatives:
        if len(alt.findings) != 1:
            by_rest[f"unique-{len(by_rest)}"] = alt
            continue
        key = _dumps([alt.answer, alt.answer_questions, alt.absent_findings, differ_key(alt)])
        if key in by_rest:
            kept = by_rest[key]
            slot = tuple(dict.fromkeys(kept.findings[0] + alt.findings[0]))
            by_rest[key] = _Alternative(
                kept.answer, kept.answer_questions, [slot], kept.absent_findings, kept.differs
            )
        else:
            by_rest[key] = alt
    by_questions: dict[str, _Alternative] = {}
    for alt in by_rest.values():
        if not alt.answer:
            by_questions[f"unique-{len(by_questions)}"] = alt
            continue
        key = _dumps(
            [sorted(set(alt.answer_questions)), alt.findings, alt.absent_findings, differ_key(alt)]
        )
        if key in by_questions:
            kept = by_questions[key]
            by_questions[key] = _Alternative(
                [_disjoin([_conjoin(kept.answer), _conjoin(alt.answer)])],
                kept.answer_questions,
                kept.findings,
                kept.absent_findings,
                kept.differs,
            )
        else:
            by_questions[key] = alt
    return list(by_questions.values())


def _is_pure_answer(alternatives: list[_Alternative]) -> bool:
    return (
        len(alternatives) == 1
        and not alternatives[0].findings
        and not alternatives[0].absent_findings
        and not alternatives[0].differs
    )


# --- the compiled pack -----------------------------------------------------------------------


class Firing(NamedTuple):
    """Matches of one alternative of a rule: which facts made it fire. One Firing may name
    several respondents (each matched on their own); one alternative may fire several times."""

    rule_id: str
    alternative: int
    #: Respondent indexes whose answers matched, ascending; empty when the context matched.
    respondents: tuple[int, ...]
    context_matched: bool
    findings: tuple[str, ...]
    absent_findings: tuple[str, ...]
    #: (question id, first respondent index, second respondent index) per disagreement.
    pairs: tuple[tuple[str, int, int], ...]
    questions: tuple[str, ...]


@dataclass(frozen=True)
class _AlternativePlan:
    rule_id: str
    index: int
    uses_context: bool
    answer_questions: tuple[str, ...]
    finding_slots: int
    absent_findings: tuple[str, ...]
    differs: tuple[tuple[str, str, str], ...]  # (question, alias x, alias y)
    #: Whether some rule reads this finding, so it must be asserted as a fact (TRAP 12).
    announce: bool
    #: What a firing's message must be read for: the respondent's index only ("resp"),
    #: nothing ("ctx"), or everything ("full": findings and pairs).
    shape: Literal["resp", "ctx", "full"]


class CompiledPack:
    """A pack compiled into one durable-rules ruleset, registered once per process."""

    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.ruleset_name = f"gapcheck_{pack.sha256[:16]}"
        compiler = _Compiler(pack)
        read_by_rules = {fid for loaded in pack.rules for fid in loaded.findings_read}
        self._asserted_findings = frozenset(read_by_rules)
        self._stage_count = max(
            (loaded.stratum for loaded in pack.rules if _has_absence(loaded)), default=0
        )
        expanded: list[tuple[LoadedRule, list[_Alternative]]] = []
        for loaded in pack.rules:
            try:
                expanded.append((loaded, compiler.alternatives(loaded.rule.when)))
            except ValueError as error:
                raise PackError(loaded.path, str(error), rule=loaded.rule.id) from error
        self._peer_groups = _peer_groups(
            [alternative for _, alternatives in expanded for alternative in alternatives]
        )
        #: What to do when a durable rule fires: record a finding, or assert stage N (0: none).
        self._handlers: dict[str, _AlternativePlan | int] = {}
        definition: dict[str, Json] = {}
        fields: set[str] = set()
        for loaded, alternatives in expanded:
            for index, alternative in enumerate(alternatives):
                name = f"{loaded.rule.id}#{index}"
                rule_json, plan = self._compile_alternative(loaded, index, alternative)
                definition[name] = rule_json
                self._handlers[name] = plan
                fields.update(plan.answer_questions)
        self._field_questions = tuple(q for q in pack.questions if q in fields)
        project_ids = {info.question.id for info in pack.project_questions()}
        self._project_encoding = _encoding(
            pack, [q for q in self._field_questions if q in project_ids]
        )
        self._respondent_encoding = _encoding(
            pack, [q for q in self._field_questions if q not in project_ids]
        )
        peer_groups: dict[str, list[str]] = {}
        for question_id, group in self._peer_groups.items():
            peer_groups.setdefault(group, []).append(question_id)
        self._peer_encodings = {
            group: _encoding(pack, question_ids) for group, question_ids in peer_groups.items()
        }
        self._check_field_count()
        # TRAP 6: the end rule always matches, so every session can be deleted safely. It also
        # opens the first stage of rules that read the absence of a finding (TRAP 3).
        definition["gapcheck-end"] = {"all": [{"e": {"kind": "end"}}], "pri": 1}
        self._handlers["gapcheck-end"] = 1 if self._stage_count >= 1 else 0
        for stage in range(1, self._stage_count):
            name = f"gapcheck-stage-{stage}"
            definition[name] = {
                "all": [{"s": {"$and": [{"kind": "stage"}, {"n": stage}]}}],
                "pri": 2 * stage + 1,
            }
            self._handlers[name] = stage + 1
        self.definition = definition
        # The facts actions assert, serialised once.
        self._finding_texts = {
            fid: _dumps({"sid": _SESSION_ID, "kind": "finding", "fid": fid})
            for fid in self._asserted_findings
        }
        self._stage_texts = {
            stage: _dumps({"sid": _SESSION_ID, "kind": "stage", "n": stage})
            for stage in range(1, self._stage_count + 1)
        }
        host = _get_host()
        with _host_lock:
            try:
                ruleset = host.get_ruleset(self.ruleset_name)
            except Exception:  # durable raises a bare Exception for an unknown ruleset
                runnable = {name: {**rule, "run": name} for name, rule in definition.items()}
                host.set_rulesets({self.ruleset_name: runnable})
                ruleset = host.get_ruleset(self.ruleset_name)
        self._ruleset_handle = ruleset._handle

    def _check_field_count(self) -> None:
        count = 3  # sid, kind, ri
        for question_id in self._field_questions:
            question = self.pack.questions[question_id].question
            choices = len(question.choices) if question.type is QuestionType.multiple_choice else 0
            count += 2 + choices
        if count > MAX_FACT_FIELDS:
            raise PackError(
                self.pack.location,
                f"rules read questions needing up to {count} fact fields; durable-rules allows"
                f" {MAX_FACT_FIELDS} here (more segfaults it)",
            )

    def _compile_alternative(
        self, loaded: LoadedRule, index: int, alternative: _Alternative
    ) -> tuple[Json, _AlternativePlan]:
        pack = self.pack
        patterns: list[Json] = []
        uses_context = bool(alternative.answer) and all(
            pack.questions[q].section.scope is Scope.project for q in alternative.answer_questions
        )
        if alternative.answer:
            kind = "ctx" if uses_context else "resp"
            patterns.append({"r": _conjoin([{"kind": kind}, *alternative.answer])})
        for number, slot in enumerate(alternative.findings):
            accepted = _disjoin([{"fid": finding} for finding in slot])
            patterns.append({f"f{number}": {"$and": [{"kind": "finding"}, accepted]}})
        if alternative.absent_findings:
            # TRAP 3: absence is only trusted once the stage marker says findings are settled.
            patterns.append({"s": {"$and": [{"kind": "stage"}, {"n": loaded.stratum}]}})
            # One absence pattern for all of them: "none of these findings" is a single `$not`
            # over an `$or` of ids, one beta node instead of one per finding (each beta node
            # costs every session a few KB of durable's state to set up).
            absent = _disjoin([{"fid": finding} for finding in alternative.absent_findings])
            patterns.append({"n$not": {"$and": [{"kind": "finding"}, absent]}})
        differs = []
        questions = [differ.differ for differ in alternative.differs]
        if len(set(questions)) != len(questions):
            raise PackError(
                loaded.path, "two 'differ' tests on one question in one alternative", loaded.rule.id
            )
        for number, differ in enumerate(alternative.differs):
            x, y = f"x{number}", f"y{number}"
            q = differ.differ
            group = self._peer_groups[q]
            if differ.by:
                apart: Json = {
                    "$or": [
                        {"$gt": {q: {"$add": {"$l": {x: q}, "$r": differ.by}}}},
                        {"$lt": {q: {"$sub": {"$l": {x: q}, "$r": differ.by}}}},
                    ]
                }
            else:
                apart = {"$neq": {q: {x: q}}}
            # Pairs match "peer" facts, not respondent facts: durable binds each pattern of a
            # rule to a different fact, so a respondent fact taken by the pair could not also
            # satisfy the rule's answer tests.
            patterns.append({x: {"$and": [{"kind": "peer"}, {"pq": group}, {"$ex": {q: 1}}]}})
            patterns.append(
                {
                    y: {
                        "$and": [
                            {"kind": "peer"},
                            {"pq": group},
                            {"$gt": {"ri": {x: "ri"}}},
                            {"$ex": {q: 1}},
                            apart,
                        ]
                    }
                }
            )
            differs.append((q, x, y))
        plan = _AlternativePlan(
            rule_id=loaded.rule.id,
            index=index,
            uses_context=uses_context,
            answer_questions=tuple(dict.fromkeys(alternative.answer_questions)),
            finding_slots=len(alternative.findings),
            absent_findings=tuple(alternative.absent_findings),
            differs=tuple(differs),
            announce=loaded.rule.id in self._asserted_findings,
            shape=(
                "full"
                if alternative.findings or alternative.differs or not alternative.answer
                else "ctx"
                if uses_context
                else "resp"
            ),
        )
        # `cap`: durable hands over every queued match of this rule in one action (a list of
        # frames) instead of one action each: a rule matched by two respondents, or by two
        # branches of an `$or`, costs one trip through the driver, not two.
        rule_json: Json = {"all": patterns, "pri": 2 * loaded.stratum, "cap": FRAMES_PER_ACTION}
        return rule_json, plan

    # -- running one assessment --

    def facts(self, answers: Answers) -> list[Json]:
        """The session's facts: the project context; one per respondent, carrying the context
        too; "peer" facts for ``differ`` pairs when there are two respondents or more; the end
        marker last.
        """
        context: Json = {"sid": _SESSION_ID, "kind": "ctx"}
        _encode_set(self._project_encoding, answers.context, context)
        shared = {key: value for key, value in context.items() if key not in ("sid", "kind")}
        facts = [context]
        for index, respondent in enumerate(answers.respondents):
            fact: Json = {"sid": _SESSION_ID, "kind": "resp", "ri": index, **shared}
            _encode_set(self._respondent_encoding, respondent.answers, fact)
            facts.append(fact)
        if len(answers.respondents) > 1:
            # A pair needs two respondents; with one, no peer fact could ever match.
            for group, encoding in self._peer_encodings.items():
                for index, respondent in enumerate(answers.respondents):
                    peer: Json = {"sid": _SESSION_ID, "kind": "peer", "ri": index, "pq": group}
                    _encode_set(encoding, respondent.answers, peer)
                    facts.append(peer)
        facts.append({"sid": _SESSION_ID, "kind": "end"})
        return facts

    def run(self, answers: Answers) -> list[Firing]:
        """Assert one project's facts and return every firing, in the order durable ran them."""
        return self.run_facts(self.facts(answers))

    def run_facts(self, facts: Sequence[Json]) -> list[Firing]:
        """Run one session to completion with a lean driver of durable-rules' C engine.

        durable's own Python driver wraps each firing in closures, timers and JSON round trips
        of the session state (about 20 us a firing, most of the engine's time). This loop asks
        the same C engine for the next action, records it and completes it: the matching, the
        agenda and its priorities stay durable-rules'. Exceptions are never swallowed (TRAP 9).

        Findings other rules read are asserted together once the agenda runs dry, or before a
        stage marker is asserted: one call into durable instead of one per finding. Rules that
        read findings only run after those findings' rules (priorities), and absence rules only
        after their stage marker, so the result is the same as asserting each at once.
        """
        _get_host()
        native = _native
        handle = self._ruleset_handle
        handlers = self._handlers
        fired: list[tuple[_AlternativePlan, str]] = []
        texts = [_dumps(fact) for fact in facts]
        # durable echoes a fact's text in every frame it matched: knowing each respondent
        # fact's length lets the frames of a message be stepped over instead of searched.
        respondent_lengths = {
            fact["ri"]: len(text)
            for fact, text in zip(facts, texts, strict=True)
            if fact["kind"] == "resp"
        }
        with _host_lock:
            try:
                state_handle = self._checked(
                    native.assert_facts(handle, "[" + ",".join(texts) + "]")
                )
                started = native.start_action_for_state(handle, state_handle)
                message = started[1] if started else None
                announced: set[str] = set()
                pending: list[str] = []
                while True:
                    while message:
                        # A message is {"<rule name>": frames}: the name comes first.
                        handler = handlers[message[2 : message.index('"', 2)]]
                        try:
                            if isinstance(handler, int):
                                if handler:
                                    self._assert_all(pending)
                                    self._assert_all([self._stage_texts[handler]])
                            else:
                                self._record(handler, message, fired, announced, pending)
                        except BaseException:
                            native.abandon_action(handle, state_handle)
                            raise
                        message = native.complete_and_start_action(handle, state_handle)
                    if not pending:
                        break
                    self._assert_all(pending)
                    started = native.start_action_for_state(handle, state_handle)
                    message = started[1] if started else None
            except EngineError:
                raise
            except Exception as error:
                raise EngineError(f"durable-rules failed: {error}") from error
            finally:
                # TRAP 5 / 6: always delete the session; the end rule made it safe to.
                native.delete_state(handle, _SESSION_ID)
        firings: list[Firing] = []
        for plan, message in fired:
            firings.extend(_firings(plan, message, respondent_lengths))
        return firings

    def _record(
        self,
        plan: _AlternativePlan,
        message: str,
        fired: list[tuple[_AlternativePlan, str]],
        announced: set[str],
        pending: list[str],
    ) -> None:
        """What a rule's action does: record the matches; queue the finding if a rule reads it."""
        fired.append((plan, message))
        if plan.announce and plan.rule_id not in announced:
            # TRAP 12: only findings some rule reads become facts, and each only once
            # (TRAP 7: re-asserting an identical fact is an error).
            announced.add(plan.rule_id)
            pending.append(self._finding_texts[plan.rule_id])

    def _assert_all(self, fact_texts: list[str]) -> None:
        """Assert facts already serialised, in one call; empties the list."""
        if not fact_texts:
            return
        text = fact_texts[0] if len(fact_texts) == 1 else "[" + ",".join(fact_texts) + "]"
        fact_texts.clear()
        if text[0] == "[":
            self._checked(_native.assert_facts(self._ruleset_handle, text))
        else:
            self._checked(_native.assert_fact(self._ruleset_handle, text))

    @staticmethod
    def _checked(result: Any) -> Any:
        code = result[0]
        # Code 1, "not handled", is expected (TRAP 1): the driver runs the actions itself.
        if code == 2:
            raise EngineError("durable-rules saw the same fact twice in one session")
        return result[1]


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _peer_groups(alternatives: Sequence[_Alternative]) -> dict[str, str]:
    """Which peer fact carries each question a ``differ`` reads.

    One peer fact per respondent serves every question, unless some alternative compares two
    questions at once: then each question gets peer facts of its own, so the two pairs of that
    alternative can bind the same respondents.
    """
    questions = list(dict.fromkeys(d.differ for alt in alternatives for d in alt.differs))
    shared = all(len(alt.differs) <= 1 for alt in alternatives)
    return {question: "all" if shared else question for question in questions}


def _firings(
    plan: _AlternativePlan, message: str, respondent_lengths: Mapping[int, int]
) -> list[Firing]:
    """Read what one action's message says about the facts that matched: one Firing for the
    respondents (or the context) an answer-only rule matched, one per match otherwise."""
    if plan.shape == "resp":
        # Most actions are of this shape, and their frames are whole respondent facts: read
        # the respondents' indexes directly instead of parsing the message.
        stepped = _stepped_respondent_indexes(message, respondent_lengths)
        return [_firing(plan, stepped or _respondent_indexes(message), (), ())]
    if plan.shape == "ctx":
        return [_firing(plan, (), (), ())]
    ((_, frames),) = orjson.loads(message).items()
    firings = []
    for matched in frames if isinstance(frames, list) else [frames]:
        answer = matched.get("r")
        respondents: tuple[int, ...] = ()
        if answer is not None and answer["kind"] == "resp":
            respondents = (int(answer["ri"]),)
        findings = tuple(str(matched[f"f{n}"]["fid"]) for n in range(plan.finding_slots))
        pairs = tuple(
            (question, int(matched[x]["ri"]), int(matched[y]["ri"]))
            for question, x, y in plan.differs
        )
        firings.append(_firing(plan, respondents, findings, pairs))
    return firings


def _firing(
    plan: _AlternativePlan,
    respondents: tuple[int, ...],
    findings: tuple[str, ...],
    pairs: tuple[tuple[str, int, int], ...],
) -> Firing:
    return Firing(
        plan.rule_id,
        plan.index,
        respondents,
        plan.uses_context,
        findings,
        plan.absent_findings,
        pairs,
        plan.answer_questions,
    )


def _stepped_respondent_indexes(
    message: str, respondent_lengths: Mapping[int, int]
) -> tuple[int, ...]:
    """The "ri" values of a message ``{"<rule>":[{"r":<fact>},...]}``, ascending, each once,
    read by stepping from frame to frame over the respondent facts' known lengths.

    Empty if the message is not laid out exactly so: then search it (``_respondent_indexes``).
    """
    found: set[int] = set()
    position = message.index('"', 2) + 2  # past '{"<rule>":'
    if message[position] == "[":
        position += 1
    head = _RESPONDENT_FRAME_HEAD
    while message.startswith(head, position):
        start = end = position + len(head)
        while message[end] in _DIGITS:
            end += 1
        index = int(message[start:end])
        length = respondent_lengths.get(index)
        if length is None:
            return ()
        found.add(index)
        position += len('{"r":') + length + len("}")
        if message[position] != ",":
            break
        position += 1
    if not found or message[position : position + 2] not in ("]}", "}"):
        return ()
    return tuple(sorted(found))


_RESPONDENT_FRAME_HEAD = '{"r":{"sid":"' + _SESSION_ID + '","kind":"resp","ri":'


def _respondent_indexes(message: str) -> tuple[int, ...]:
    """The "ri" values in a message of respondent facts, ascending, each once, found by
    searching it: only the respondent fact carries "ri", and no value can contain it."""
    found: set[int] = set()
    position = message.find(_RI_KEY)
    while position != -1:
        start = end = position + len(_RI_KEY)
        while message[end] in _DIGITS:
            end += 1
        found.add(int(message[start:end]))
        position = message.find(_RI_KEY, end)
    assert found, "a respondent rule's message without a respondent fact"
    return tuple(sorted(found))


_RI_KEY = '"ri":'
_DIGITS = frozenset("0123456789")


def _has_absence(loaded: LoadedRule) -> bool:
    def visit(node: ConditionNode, negated: bool) -> bool:
        if isinstance(node, FindingRef):
            return negated
        if isinstance(node, Not):
            return visit(node.not_, not negated)
        if isinstance(node, (All, AnyOf)):
            children = node.all if isinstance(node, All) else node.any
            return any(visit(child, negated) for child in children)
        return False

    return visit(loaded.rule.when, False)


_COMPILED: dict[str, CompiledPack] = {}


def compiled(pack: Pack) -> CompiledPack:
    """The process's compiled ruleset for a pack's content (TRAP 11: one per content hash)."""
    if pack.sha256 not in _COMPILED:
        _COMPILED[pack.sha256] = CompiledPack(pack)
    return _COMPILED[pack.sha256]
