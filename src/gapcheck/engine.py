"""The one module that talks to durable-rules.

It compiles a pack's validated rules into durable-rules rulesets (the dict form), asserts one
session's facts (the project context, one fact per respondent, an end marker), collects the
findings the rules fire (derived findings chain through one "found" fact per layer of rules)
and deletes the session.

durable-rules 2.0.28 has sharp edges (../shared/notes/durable-rules.md); every workaround lives
here, each marked ``TRAP n`` after the note's numbering, and ``tests/test_engine_traps.py``
reproduces each trap against this module:

1. Facts that match no complete rule make ``assert_facts`` report "not handled" and leave the
   actions to a background thread. The lean driver (``CompiledPack.run``) runs every queued
   action itself right after asserting, whatever that code says, so nothing is deferred and no
   sink rule (TRAP 13) is needed: it cost about 15% of the matching time.
2. Background dispatcher threads lose results and segfault: ``_Host._run`` starts none.
3. ``$not`` depends on fact order: gapcheck never uses it. Rules read findings from one "found"
   fact per stratum, asserted once every finding it might flag is settled, and test a
   finding's absence as a missing flag.
4. Mixed types compare as strings: answers are normalised to one type per question before they
   become facts (``gapcheck.answers``), dates become day numbers.
5. Sessions are capped at 1,024: every session is deleted after its assessment, even on error.
6. Deleting a session no rule matched segfaults: an end rule always matches the end marker.
7. Session and fact ids are 32-bit hashes: one live session at a time, facts of a session are
   few and each has an "id" of its own, no ``id``/``sid`` question (pack loader).
8. More than 252 fields in one fact segfaults: the compiler refuses packs that would need it.
9. Exceptions inside actions are swallowed into the state: checked after every assessment.
10. The C extension holds the GIL: one host per process; scale with processes, not threads.
11. A ruleset costs memory and can't be unregistered: one per pack content, cached.
12. Asserting a fact no rule reads raises inside durable: a "found" fact is asserted only for
    a stratum that has rules, and flags only the findings some rule reads.
14. (Measured here, not in the notes.) Every session allocates most of a megabyte of state
    (8 KB per join node of the ruleset) and ``delete_state`` frees it. Whether glibc hands
    that memory back to the system, for the next session to page-fault in again, depends on
    its thresholds and on what else the process allocates: glibc raises its own thresholds
    after the first large free, but with fixed ones (``MALLOC_TRIM_THRESHOLD_`` in the
    environment, even at glibc's default value) or with an earlier driver that held each
    session's messages until its end, it did every time (about 280 page faults, assessments
    3-4x slower). The host asks glibc to keep freed memory for reuse (``mallopt``), once per
    process, so that no setting or allocation pattern brings it back.
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


# Answers converted by encode_value (the others go into facts as they are): dates become day
# numbers, free text its presence, multiple choice a count plus a flag per chosen choice.
_CONVERTED = frozenset({QuestionType.date, QuestionType.text, QuestionType.multiple_choice})


@dataclass(frozen=True)
class _Encoding:
    """The fields a fact takes from one set of answers: which questions, and how each."""

    #: Questions whose answer goes into the fact as it is (most of them).
    plain: frozenset[str]
    #: The same, in questionnaire order: the order of a validated set's answers.
    plain_in_order: tuple[str, ...]
    #: The other questions of the scope the answer sets are of.
    unread: tuple[str, ...]
    #: Questions whose answer is converted first (dates, free text, multiple choice).
    converted: tuple[tuple[str, QuestionType], ...]
    #: The field holding a special answer ("don't know", "not applicable"), per question...
    special_fields: Mapping[str, str]
    #: ... and the same pairs in questionnaire order.
    special_in_order: tuple[tuple[str, str], ...]
    #: Whether the fact takes most of a set's answers: then the answers are copied and the few
    #: others dropped, rather than the fields picked one by one.
    wide: bool


def _encoding(pack: Pack, question_ids: Iterable[str], scope: Scope) -> _Encoding:
    """How a fact takes the answers to ``question_ids`` from answer sets of ``scope``."""
    ids = list(question_ids)
    kinds = {q: pack.questions[q].question.type for q in ids}
    plain = frozenset(q for q, kind in kinds.items() if kind not in _CONVERTED)
    special_fields = {q: q + _STATE_SUFFIX for q in ids}
    return _Encoding(
        plain=plain,
        plain_in_order=tuple(q for q in pack.questions if q in plain),
        unread=tuple(q for q in pack.questions_by_scope[scope] if q not in plain),
        converted=tuple((q, kind) for q, kind in kinds.items() if kind in _CONVERTED),
        special_fields=special_fields,
        special_in_order=tuple((q, special_fields[q]) for q in pack.questions if q in kinds),
        wide=len(plain) > _NARROW_FIELDS,
    )


#: Up to this many plain fields, picking a set's fields one by one is the faster way.
_NARROW_FIELDS = 16


def _fields(encoding: _Encoding, answers: AnswerSet) -> Json:
    """The fields a fact takes from a set of answers, in the answers' order: those used as they
    are, then converted ones, then special answers, each in a field of its own."""
    values = answers.values
    wide = encoding.wide
    if wide:
        # Copying the answers and dropping the few the rules don't read is about twice as
        # fast as picking the fields one by one; the order is the same.
        fields = dict(values)
        for question_id in encoding.unread:
            fields.pop(question_id, None)
        if not encoding.plain.issuperset(fields):  # answers to questions of another scope
            for question_id in fields.keys() - encoding.plain:
                del fields[question_id]
    else:
        fields = {q: values[q] for q in encoding.plain_in_order if q in values}
    for question_id, question_type in encoding.converted:
        if question_id not in values:
            continue
        value = values[question_id]
        fields[question_id] = encode_value(question_type, value)
        if question_type is QuestionType.multiple_choice:
            assert isinstance(value, tuple)
            for choice in value:
                fields[question_id + _CHOICE_SEPARATOR + choice] = 1
    states = answers.states
    specials = len(states) - len(values)  # every question answered has a value
    if not specials:
        return fields
    if wide:
        # Look through the states until every special answer is found.
        special_fields = encoding.special_fields
        for question_id, state in states.items():
            if state is not _ANSWERED:
                if question_id in special_fields:
                    fields[special_fields[question_id]] = state.value
                specials -= 1
                if not specials:
                    break
    else:
        for question_id, special_field in encoding.special_in_order:
            special = states.get(question_id)
            if special is not None and special is not _ANSWERED:
                fields[special_field] = special.value
    return fields


_ANSWERED = AnswerState.answered


def _fact_text(head: str, fields: Json) -> str:
    """A fact's JSON text: ``head``, its first fields as JSON without the closing brace, then
    ``fields``."""
    if not fields:
        return head + "}"
    return head + "," + orjson.dumps(fields).decode()[1:]


# Every fact carries an "id" of its own, unique in its session: durable otherwise names a fact
# by hashing all of its fields, sorted (a few us a respondent), and the same hash would make two
# identical facts one (TRAP 7). A respondent's "id" follows its index ("ri").
_CONTEXT_HEAD = '{"sid":"' + _SESSION_ID + '","id":"c","kind":"ctx"'
_RESPONDENT_HEAD = '{"sid":"' + _SESSION_ID + '","kind":"resp","ri":'
_PEER_HEAD = '{"sid":"' + _SESSION_ID + '","kind":"peer","ri":'
_END_TEXT = '{"sid":"' + _SESSION_ID + '","id":"e","kind":"end"}'


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


_Pairs = tuple[tuple[str, int, int], ...]


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
    #: Per finding the alternative reads, the findings any of which satisfies it.
    finding_slots: tuple[tuple[str, ...], ...]
    absent_findings: tuple[str, ...]
    differs: tuple[tuple[str, str, str], ...]  # (question, alias x, alias y)
    #: Whether some rule reads this finding, so the "found" facts flag it (TRAP 12).
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
        #: The findings some rule reads: only these are flagged in the "found" facts.
        self._flagged_findings = frozenset(
            fid for loaded in pack.rules for fid in loaded.findings_read
        )
        #: Rules of stratum n > 0 read the findings of lower strata, from one "found" fact
        #: asserted once those are settled (see run).
        self._top_stratum = max((loaded.stratum for loaded in pack.rules), default=0)
        expanded: list[tuple[LoadedRule, list[_Alternative]]] = []
        for loaded in pack.rules:
            try:
                expanded.append((loaded, compiler.alternatives(loaded.rule.when)))
            except ValueError as error:
                raise PackError(loaded.path, str(error), rule=loaded.rule.id) from error
        self._peer_groups = _peer_groups(
            [alternative for _, alternatives in expanded for alternative in alternatives]
        )
        plans: dict[str, _AlternativePlan] = {}
        definition: dict[str, Json] = {}
        fields: set[str] = set()
        for loaded, alternatives in expanded:
            for index, alternative in enumerate(alternatives):
                name = f"{loaded.rule.id}#{index}"
                rule_json, plan = self._compile_alternative(loaded, index, alternative)
                definition[name] = rule_json
                plans[name] = plan
                fields.update(plan.answer_questions)
        self._field_questions = tuple(q for q in pack.questions if q in fields)
        project_ids = {info.question.id for info in pack.project_questions()}
        self._project_encoding = _encoding(
            pack, [q for q in self._field_questions if q in project_ids], Scope.project
        )
        self._respondent_encoding = _encoding(
            pack, [q for q in self._field_questions if q not in project_ids], Scope.respondent
        )
        peer_groups: dict[str, list[str]] = {}
        for question_id, group in self._peer_groups.items():
            peer_groups.setdefault(group, []).append(question_id)
        #: Per peer group, its field (JSON, comma first), the end of its facts' "id" after the
        #: respondent's index (group names are question ids or "all": JSON as they are), and
        #: its questions' encoding.
        self._peer_encodings = [
            (
                ',"pq":' + _dumps(group),
                ":" + group + '"',
                _encoding(pack, question_ids, Scope.respondent),
            )
            for group, question_ids in peer_groups.items()
        ]
        self._check_field_count()
        # TRAP 6: the end rule always matches, so every session can be deleted safely.
        definition[_END_RULE] = {"all": [{"e": {"kind": "end"}}]}
        self.definition = definition
        #: What the driver does when a durable rule fires, by the rule's name.
        self._actions = {name: _Action(name, plan) for name, plan in plans.items()}
        self._actions[_END_RULE] = _Action(_END_RULE)
        #: The order of the "found" fact's flags: the order findings are reported in, so that
        #: a derived finding lists the findings it follows from in that order too.
        self._flag_order = {
            _FOUND_FLAG_FIELD.format(_finding_flag(loaded.rule.id)): position
            for position, loaded in enumerate(pack.rules)
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
        """TRAP 8: refuse a pack whose facts could carry more fields than durable survives."""
        count = 4  # sid, kind, ri, id
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
        found = 4 + len(self._flagged_findings)  # sid, kind, n, id and a flag per finding
        if found > MAX_FACT_FIELDS:
            raise PackError(
                self.pack.location,
                f"rules read {len(self._flagged_findings)} findings, each a field of one fact;"
                f" durable-rules allows {MAX_FACT_FIELDS - 4} here (more segfaults it)",
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
        if alternative.findings or alternative.absent_findings:
            # The findings of lower strata, all in one "found" fact asserted once they are
            # settled: presence and absence (TRAP 3: never `$not` over facts still to come)
            # are tests of its flags, in one pattern.
            tests: list[Json] = [{"kind": "found"}, {"n": loaded.stratum}]
            for slot in alternative.findings:
                tests.append(_disjoin([{_finding_flag(finding): 1} for finding in slot]))
            for finding in alternative.absent_findings:
                tests.append({"$nex": {_finding_flag(finding): 1}})
            patterns.append({_FOUND_ALIAS: {"$and": tests}})
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
            finding_slots=tuple(tuple(slot) for slot in alternative.findings),
            absent_findings=tuple(alternative.absent_findings),
            differs=tuple(differs),
            announce=loaded.rule.id in self._flagged_findings,
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
        # No priorities: a rule of stratum n cannot match before its "found" fact is asserted,
        # which is once every rule below it has fired.
        rule_json: Json = {"all": patterns, "cap": FRAMES_PER_ACTION}
        return rule_json, plan

    # -- running one assessment --

    def facts(self, answers: Answers) -> list[str]:
        """The session's facts as JSON texts: the project context; one per respondent (the
        text of respondent ``i`` is at ``1 + i``), carrying the context too; "peer" facts for
        ``differ`` pairs when there are two respondents or more; the end marker last.

        Each fact's fields are gathered in one dict and serialised by orjson; the fields
        shared by every fact are serialised once.
        """
        context = _fact_text(_CONTEXT_HEAD, _fields(self._project_encoding, answers.context))
        shared = context[len(_CONTEXT_HEAD) : -1]  # the context's fields, comma first, or ""
        texts = [context]
        encoding = self._respondent_encoding
        for index, respondent in enumerate(answers.respondents):
            head = _RESPONDENT_HEAD + str(index) + ',"id":"r' + str(index) + '"' + shared
            texts.append(_fact_text(head, _fields(encoding, respondent.answers)))
        if len(answers.respondents) > 1:
            # A pair needs two respondents; with one, no peer fact could ever match.
            for group_field, group_id, encoding in self._peer_encodings:
                for index, respondent in enumerate(answers.respondents):
                    head = (
                        _PEER_HEAD + str(index) + ',"id":"p' + str(index) + group_id + group_field
                    )
                    texts.append(_fact_text(head, _fields(encoding, respondent.answers)))
        texts.append(_END_TEXT)
        return texts

    def run(self, answers: Answers) -> list[Firing]:
        """Run one project's session to completion and return every firing, in the order
        durable ran them, with a lean driver of durable-rules' C engine.

        durable's own Python driver wraps each firing in closures, timers and JSON round trips
        of the session state (about 20 us a firing, most of the engine's time). This loop asks
        the same C engine for the next action, records it and completes it: the matching, the
        agenda stay durable-rules'. Exceptions are never swallowed (TRAP 9).

        Rules that read findings (stratum n > 0) read them from one "found" fact, asserted once
        the agenda runs dry after the rules below stratum n have all fired: it flags every
        finding some rule reads that fired so far. So a finding's absence is only ever tested
        once it is settled (TRAP 3), and a session asserts one fact per stratum instead of one
        per finding.
        """
        texts = self.facts(answers)
        # durable echoes a respondent fact's text in every frame it matched: frames are read
        # by comparing them with these texts, not by parsing the message.
        respondent_texts = texts[1 : 1 + len(answers.respondents)]
        # The respondents read from the frames of earlier messages, by the frames' text (of
        # which only the length is the key): many rules match the same respondents.
        read: dict[int, tuple[str, int]] = {}
        matched_respondents = _matched_respondents
        native = _native
        complete_and_start_action = native.complete_and_start_action
        handle = self._ruleset_handle
        actions = self._actions
        fired: list[Firing] = []
        record = fired.append
        top_stratum = self._top_stratum
        flag_order = self._flag_order
        with _host_lock:
            try:
                state_handle = self._checked(
                    native.assert_facts(handle, "[" + ",".join(texts) + "]")
                )
                started = native.start_action_for_state(handle, state_handle)
                message = started[1] if started else None
                # The flags of the findings fired so far (each once), as JSON fields.
                found: dict[str, None] = {}
                stratum = 0
                while True:
                    while message:
                        # A message is {"<rule name>":[frames]}: the name comes first.
                        action = actions[message[2 : message.index('"', 2)]]
                        try:
                            reads = action.reads
                            if reads is _RESPONDENTS:
                                frames_at = action.frames_at
                                known = read.get(len(message) - frames_at)
                                if known is not None and message.endswith(known[0]):
                                    respondents = known[1]
                                else:
                                    respondents = matched_respondents(
                                        message, frames_at, respondent_texts
                                    ) or _searched_respondents(message)
                                    read[len(message) - frames_at] = (
                                        message[frames_at:],
                                        respondents,
                                    )
                                record(
                                    action.firings.get(respondents) or action.firing(respondents)
                                )
                            elif reads is _EVERYTHING:
                                fired.extend(action.read_firings(message))
                            elif reads is _NOTHING:
                                record(action.firings.get(0) or action.firing(0))
                            announced = action.announced
                            if announced is not None:
                                found[announced] = None
                        except BaseException:
                            native.abandon_action(handle, state_handle)
                            raise
                        message = complete_and_start_action(handle, state_handle)
                    stratum += 1
                    if stratum > top_stratum:
                        break
                    # Every rule below this stratum has fired: its findings are settled.
                    self._checked(
                        native.assert_fact(
                            handle,
                            _FOUND_HEAD
                            + str(stratum)
                            + _FOUND_ID
                            + str(stratum)
                            + '"'
                            + "".join(sorted(found, key=flag_order.__getitem__))
                            + "}",
                        )
                    )
                    started = native.start_action_for_state(handle, state_handle)
                    message = started[1] if started else None
            except EngineError:
                raise
            except Exception as error:
                raise EngineError(f"durable-rules failed: {error}") from error
            finally:
                # TRAP 5 / 6: always delete the session; the end rule made it safe to.
                native.delete_state(handle, _SESSION_ID)
        return fired

    @staticmethod
    def _checked(result: Any) -> Any:
        code = result[0]
        # Code 1, "not handled", is expected (TRAP 1): the driver runs the actions itself.
        if code == 2:
            raise EngineError("durable-rules saw the same fact twice in one session")
        return result[1]


def _finding_flag(finding_id: str) -> str:
    """The field of the "found" fact that says this finding fired.

    A field per finding, not a list: durable finds a fact's alpha tests by field name, so a
    test meets only the fact's fields it is about. Rule ids are kebab-case, so the flag
    cannot be mistaken for an answer's field (snake_case) or for "sid", "kind" and "n".
    """
    return _FINDING_FLAG + finding_id


_FINDING_FLAG = "is:"
_FLAG_CHARS = len(_FINDING_FLAG)
#: A flag as a field of the "found" fact's JSON text, comma first.
_FOUND_FLAG_FIELD = ',"{}":1'
#: The alias of the "found" fact in a rule's patterns and its action's frames.
_FOUND_ALIAS = "d"
_FOUND_HEAD = '{"sid":"' + _SESSION_ID + '","kind":"found","n":'
#: A "found" fact's "id" (after its stratum): each stratum has its own.
_FOUND_ID = ',"id":"f'

_END_RULE = "gapcheck-end"


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


# --- reading action messages -----------------------------------------------------------------

# What an action's message is read for (``_Action.reads``).
_RESPONDENTS = "respondents"  # which respondents matched (answer-only rules, most of them)
_NOTHING = "nothing"  # nothing: the rule matched the context alone
_EVERYTHING = "everything"  # every frame's facts: findings read, pairs, the respondent
_END = "end"  # nothing: the end rule (TRAP 6)
_READS = {"resp": _RESPONDENTS, "ctx": _NOTHING, "full": _EVERYTHING}

#: Firings one action keeps for reuse, at most (one per set of respondents seen).
_KEPT_FIRINGS = 64
#: Messages (about 0.5 KB each) one action keeps the firings of, at most.
_KEPT_MESSAGES = 128


class _Action:
    """What the driver does when one durable rule fires."""

    __slots__ = (
        "announced",
        "finding_slots",
        "firings",
        "frames_at",
        "messages",
        "plan",
        "read",
        "reads",
    )

    def __init__(self, name: str, plan: _AlternativePlan | None = None) -> None:
        self.plan = plan
        self.reads = _READS[plan.shape] if plan else _END
        #: Where the frames of a message start: just past ``{"<name>":[``.
        self.frames_at = len(name) + 5
        #: The finding's flag to put in the next "found" fact once the rule fired, if some
        #: rule reads it (TRAP 12: the others never become facts).
        self.announced = (
            _FOUND_FLAG_FIELD.format(_finding_flag(plan.rule_id))
            if plan and plan.announce
            else None
        )
        #: Firings made before, by the respondents they name (bit i: respondent i). A Firing is
        #: immutable, so one made for an earlier project serves again.
        self.firings: dict[int, Firing] = {}
        #: The same for a rule whose messages are read in full, by what a match names.
        self.read: dict[tuple[tuple[int, ...], tuple[str, ...], _Pairs], Firing] = {}
        #: Per finding the rule reads, the flags of the findings that satisfy it.
        self.finding_slots = tuple(
            frozenset(_finding_flag(finding) for finding in slot)
            for slot in (plan.finding_slots if plan else ())
        )
        #: For a rule that reads findings and no respondent's answers, whose messages recur
        #: from project to project: the firings read from each message, by its text.
        self.messages: dict[str, tuple[Firing, ...]] | None = None
        if plan and plan.shape == "full" and not plan.differs:
            reads_respondents = plan.answer_questions and not plan.uses_context
            self.messages = None if reads_respondents else {}

    def firing(self, respondents: int) -> Firing:
        """The firing of this rule that names these respondents (bit i: respondent i)."""
        plan = self.plan
        assert plan is not None
        firing = Firing(
            plan.rule_id,
            plan.index,
            tuple(i for i in range(respondents.bit_length()) if respondents >> i & 1),
            plan.uses_context,
            (),
            plan.absent_findings,
            (),
            plan.answer_questions,
        )
        if len(self.firings) < _KEPT_FIRINGS:
            self.firings[respondents] = firing
        return firing

    def read_firings(self, message: str) -> tuple[Firing, ...]:
        """One Firing per match in a message of a rule that reads findings or pairs of
        respondents: which respondent (if any), findings and pairs each frame names."""
        plan = self.plan
        assert plan is not None
        remembered = self.messages
        if remembered is not None:
            known = remembered.get(message)
            if known is not None:
                return known
        ((_, matches),) = orjson.loads(message).items()
        finding_slots = self.finding_slots
        differs = plan.differs
        kept = self.read
        firings = []
        for matched in matches if isinstance(matches, list) else [matches]:
            answer = matched.get("r")
            # The facts are gapcheck's own: "ri" is a whole number.
            respondents = (answer["ri"],) if answer is not None and answer["kind"] == "resp" else ()
            pairs = (
                tuple([(q, matched[x]["ri"], matched[y]["ri"]) for q, x, y in differs])
                if differs
                else ()
            )
            # durable matched the "found" fact; the findings the rule follows from are its flags
            # that each slot accepts (in the order findings are reported): one firing per
            # combination, one finding from each slot.
            combinations: list[tuple[str, ...]] = [()]
            if finding_slots:
                flags = list(matched[_FOUND_ALIAS])
                for slot in finding_slots:
                    present = [flag[_FLAG_CHARS:] for flag in flags if flag in slot]
                    combinations = [(*done, f) for done in combinations for f in present]
            for findings in combinations:
                key = (respondents, findings, pairs)
                firing = kept.get(key)
                if firing is None:
                    firing = Firing(
                        plan.rule_id,
                        plan.index,
                        respondents,
                        plan.uses_context,
                        findings,
                        plan.absent_findings,
                        pairs,
                        plan.answer_questions,
                    )
                    if len(kept) < _KEPT_FIRINGS:
                        kept[key] = firing
                firings.append(firing)
        read = tuple(firings)
        if remembered is not None and len(remembered) < _KEPT_MESSAGES:
            remembered[message] = read
        return read


_RESPONDENT_FRAME = '{"r":'
#: Where the index of a respondent is in its frame.
_INDEX_AT = len(_RESPONDENT_FRAME) + len(_RESPONDENT_HEAD)


def _matched_respondents(message: str, position: int, respondent_texts: Sequence[str]) -> int:
    """The respondents in a message ``{"<rule>":[{"r":<fact>},...]}`` whose frames start at
    ``position``, as bits (bit i: respondent i); each frame is checked to be a respondent's
    fact, character for character. 0 if the message is laid out otherwise, or names a
    respondent past 9: then search it (``_searched_respondents``).
    """
    respondents = 0
    count = len(respondent_texts)
    last = len(message) - 2  # where "]}" must start
    while True:
        index_at = position + _INDEX_AT
        index = _DIGIT_VALUES.get(message[index_at : index_at + 1], count)
        if index >= count:
            return 0
        text = respondent_texts[index]
        end = position + len(_RESPONDENT_FRAME) + len(text)  # where the frame must close
        if not (
            message.startswith(_RESPONDENT_FRAME, position)
            and message.startswith(text, position + len(_RESPONDENT_FRAME))
            and message.startswith("}", end)
        ):
            return 0
        respondents |= 1 << index
        position = end + 1
        if position >= last:
            break
        # Over the comma between frames: unread, as every frame is read in full.
        position += 1
    return respondents if position == last and message.endswith("]}") else 0


_DIGIT_VALUES = {str(digit): digit for digit in range(10)}


def _searched_respondents(message: str) -> int:
    """The "ri" values in a message of respondent facts as bits (bit i: respondent i), found
    by searching it: only the respondent fact carries "ri", and no value can contain it."""
    found = 0
    position = message.find(_RI_KEY)
    while position != -1:
        start = end = position + len(_RI_KEY)
        while message[end] in _DIGITS:
            end += 1
        found |= 1 << int(message[start:end])
        position = message.find(_RI_KEY, end)
    assert found, "a respondent rule's message without a respondent fact"
    return found


_RI_KEY = '"ri":'
_DIGITS = frozenset("0123456789")


_COMPILED: dict[str, CompiledPack] = {}


def compiled(pack: Pack) -> CompiledPack:
    """The process's compiled ruleset for a pack's content (TRAP 11: one per content hash)."""
    if pack.sha256 not in _COMPILED:
        _COMPILED[pack.sha256] = CompiledPack(pack)
    return _COMPILED[pack.sha256]
