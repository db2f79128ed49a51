"""The library entry point: answers in, an explained assessment out.

``assess_file(path)`` reads and validates an answers file, lets durable-rules diagnose it
(``gapcheck.engine``), merges each finding's firings into one finding with its evidence and
"because" lines, scores the areas and rates delivery confidence. Nothing here knows the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gapcheck import __version__
from gapcheck.answers import Answers, AnswerSet, validate_answers
from gapcheck.conditions import AnswerState, AnswerValue
from gapcheck.engine import Firing, compiled
from gapcheck.loading import read_document
from gapcheck.pack import (
    LoadedRule,
    Pack,
    Question,
    QuestionType,
    Recommendation,
    Rule,
    Scope,
    Section,
    Severity,
    load_pack,
)
from gapcheck.scoring import area_scores, overall_score, rate

RESULT_FORMAT_VERSION = 1

# The result is plain frozen dataclasses: built per assessment from validated data (nothing to
# validate again) and serialised by orjson directly, both many times faster than models. No
# slots: the many built per assessment are built by filling their __dict__ at once (the
# builders below), several times faster than a frozen __init__'s object.__setattr__ per field.


@dataclass(frozen=True)
class PackRef:
    name: str
    version: str
    sha256: str


@dataclass(frozen=True)
class ProjectRef:
    id: str
    name: str
    client: str


@dataclass(frozen=True)
class RespondentRef:
    name: str
    role: str
    team: str


@dataclass(frozen=True)
class EvidenceItem:
    """One answer a finding read: who gave it, to which question, and what it was."""

    question: str
    question_text: str
    respondent: str | None  # None: the project's context answers
    answer: str
    state: AnswerState


@dataclass(frozen=True)
class Finding:
    id: str
    title: str
    severity: Severity
    area: str
    why: str
    source: str
    derived: bool
    evidence: tuple[EvidenceItem, ...]
    because: tuple[str, ...]
    derived_from: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]


@dataclass(frozen=True)
class AnswerRow:
    """One question's answers: one per respondent, or one for a project question."""

    question: str
    text: str
    answers: tuple[str, ...]
    #: Whether every respondent gave the same answer.
    agree: bool


@dataclass(frozen=True)
class AnswerSection:
    id: str
    title: str
    scope: Scope
    rows: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class AssessmentResult:
    format_version: int
    generator: str
    project: ProjectRef
    assessed_on: dt.date
    assessor: str
    respondents: tuple[RespondentRef, ...]
    pack: PackRef
    answers_sha256: str
    scores: dict[str, int | None]
    overall: int | None
    confidence: str
    justification: str
    counts: dict[str, int]
    findings: tuple[Finding, ...]
    #: Every answer by section, for reports' appendix; empty unless asked for.
    answers: tuple[AnswerSection, ...] = ()

    def at_or_above(self, severity: Severity) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity.rank <= severity.rank]


def assess_file(
    path: Path, pack: Pack | None = None, *, with_answers: bool = False
) -> AssessmentResult:
    """Read, validate and assess one answers file. Raises InputError on bad input."""
    pack = pack or load_pack()
    document = read_document(path)
    return assess(validate_answers(document, pack), pack, with_answers=with_answers)


def assess(answers: Answers, pack: Pack, *, with_answers: bool = False) -> AssessmentResult:
    """Diagnose validated answers; ``with_answers`` adds every answer by section (reports)."""
    firings = compiled(pack).run(answers)
    plan = _plan(pack)
    findings = _findings(plan, answers, firings)
    scores = area_scores(pack, answers)
    overall = overall_score(scores)
    counts = dict.fromkeys(_SEVERITY_VALUES, 0)
    rules = plan.rules
    for finding in findings:
        counts[rules[finding.id].severity] += 1
    weakest = min(
        ((score, area) for area, score in scores.items() if score is not None), default=None
    )
    rating = rate(
        pack,
        overall,
        counts[_CRITICAL],
        counts[_HIGH],
        counts[_MEDIUM],
        plan.area_titles[weakest[1]] if weakest is not None else None,
    )
    project = answers.project
    return _result(
        ProjectRef(project.id, project.name, project.client),
        answers,
        tuple(RespondentRef(r.name, r.role, r.team) for r in answers.respondents),
        plan.pack_ref,
        scores,
        overall,
        rating.rating,
        rating.justification,
        counts,
        tuple(findings),
        answer_sections(pack, answers) if with_answers else (),
    )


_GENERATOR = f"gapcheck {__version__}"
#: The keys of a result's counts, in order: each severity's value.
_SEVERITY_VALUES = tuple(severity.value for severity in Severity)
_CRITICAL, _HIGH, _MEDIUM = Severity.critical.value, Severity.high.value, Severity.medium.value


def answer_sections(pack: Pack, answers: Answers) -> tuple[AnswerSection, ...]:
    """Every answer by section, side by side per respondent; questions nobody answered and
    that applied to nobody (hidden) are left out."""
    plan = _plan(pack)
    respondent_sets = [respondent.answers for respondent in answers.respondents]
    context_sets = [answers.context]
    sections = []
    for section, views in plan.sections:
        sets = context_sets if section.scope is Scope.project else respondent_sets
        rows = []
        for view in views:
            question_id = view.id
            texts = []
            answered = False  # by someone, or a special answer: else the row is left out
            for answer_set in sets:
                state = answer_set.states.get(question_id, _MISSING)
                if state is _ANSWERED:
                    answered = True
                    value = answer_set.values[question_id]
                    text = view.texts.get(value) if type(value) is view.value_type else None
                    texts.append(display_value(view.question, value) if text is None else text)
                else:
                    answered = answered or state is not _MISSING
                    texts.append(_STATE_TEXT[state])
            if answered:
                row = tuple(texts)
                rows.append(_answer_row(question_id, view.text, row, len(set(row)) == 1))
        if rows:
            sections.append(AnswerSection(section.id, section.title, section.scope, tuple(rows)))
    return tuple(sections)


def display_value(question: Question, value: AnswerValue) -> str:
    """An answer as a client reads it: choice labels, not ids."""
    labels = question.choice_labels
    if question.type is QuestionType.multiple_choice:
        assert isinstance(value, tuple)
        return ", ".join(labels.get(item, item) for item in value) or "(none)"
    if question.type is QuestionType.single_choice:
        return labels.get(str(value), str(value))
    if question.type is QuestionType.date:
        assert isinstance(value, dt.date)
        return value.isoformat()
    if question.type is QuestionType.number and question.unit:
        return f"{value} {question.unit}"
    if question.type is QuestionType.scale:
        label = question.scale_labels.get(int(value)) if isinstance(value, int) else None
        return f"{value} of 5" + (f" ({label})" if label else "")
    return str(value)


_ANSWERED = AnswerState.answered
_MISSING = AnswerState.missing
_STATE_TEXT = {
    AnswerState.dont_know: "don't know",
    AnswerState.not_applicable: "not applicable",
    AnswerState.missing: "no answer",
}


# --- what an assessment reads of a pack, worked out once per pack ---------------------------


@dataclass(frozen=True, slots=True)
class _QuestionView:
    id: str
    text: str
    question: Question
    project_scoped: bool
    #: The evidence's "because" line for the project's answer, up to the answer itself.
    project_answer: str
    #: The rest of a respondent's line after their label, up to the answer.
    answered: str
    #: What display_value gives for each answer a closed question (yes/no, scale, single
    #: choice) can take; read only for values of exactly ``value_type`` (1.0 is not 1).
    texts: Mapping[object, str]
    value_type: type


@dataclass(frozen=True, slots=True)
class _RulePlan:
    rule: Rule
    #: The rule's severity's value: what a result counts.
    severity: str
    evidence: tuple[str, ...]
    #: Its findings' fields (see _finding_fields).
    finding_fields: dict[str, object]
    #: The "because" line of a finding that follows from this one.
    follows: str
    #: The evidence questions shown for a firing, by the questions it read (filled as met).
    shown: dict[tuple[str, ...], tuple[_QuestionView, ...]]


@dataclass(frozen=True, slots=True)
class _Plan:
    pack: Pack
    questions: Mapping[str, _QuestionView]
    rules: Mapping[str, _RulePlan]
    #: Each rule's place among findings: by severity, then the pack's order.
    finding_order: Mapping[str, int]
    sections: tuple[tuple[Section, tuple[_QuestionView, ...]], ...]
    area_titles: Mapping[str, str]
    pack_ref: PackRef
    #: The "None of these was found" line, by the absent findings it names (filled as met).
    absent_lines: dict[tuple[str, ...], str]


#: Plans by id(pack); each keeps its pack alive, so an id is never reused for another pack.
_PLANS: dict[int, _Plan] = {}


def _plan(pack: Pack) -> _Plan:
    plan = _PLANS.get(id(pack))
    if plan is None or plan.pack is not pack:
        plan = _build_plan(pack)
        _PLANS[id(pack)] = plan
    return plan


def _build_plan(pack: Pack) -> _Plan:
    order = pack.rule_order
    questions = {
        question_id: _question_view(info.question, info.section.scope is Scope.project)
        for question_id, info in pack.questions.items()
    }
    rules = {
        loaded.rule.id: _RulePlan(
            rule=loaded.rule,
            severity=loaded.rule.severity.value,
            evidence=loaded.evidence,
            finding_fields=_finding_fields(loaded),
            follows=f'Follows from the finding "{loaded.rule.title}"',
            shown={},
        )
        for loaded in pack.rules
    }
    return _Plan(
        pack=pack,
        questions=questions,
        rules=rules,
        finding_order={
            rule_id: index
            for index, rule_id in enumerate(
                sorted(
                    rules, key=lambda rule_id: (rules[rule_id].rule.severity.rank, order[rule_id])
                )
            )
        },
        sections=tuple(
            (section, tuple(questions[question.id] for question in section.questions))
            for section in pack.sections
        ),
        area_titles=pack.area_titles,
        pack_ref=PackRef(name=pack.name, version=pack.version, sha256=pack.sha256),
        absent_lines={},
    )


def _question_view(question: Question, project_scoped: bool) -> _QuestionView:
    closed: tuple[object, ...]
    value_type: type
    if question.type is QuestionType.yes_no:
        closed, value_type = ("yes", "no"), str
    elif question.type is QuestionType.single_choice:
        closed, value_type = question.choice_ids, str
    elif question.type is QuestionType.scale:
        closed, value_type = (1, 2, 3, 4, 5), int
    else:
        closed, value_type = (), type(None)
    return _QuestionView(
        id=question.id,
        text=question.text,
        question=question,
        project_scoped=project_scoped,
        project_answer=f'The project\'s answer to "{question.text}": ',
        answered=f' answered "{question.text}": ',
        texts={value: display_value(question, value) for value in closed},
        value_type=value_type,
    )


def _answer_text(view: _QuestionView, answer_set: AnswerSet) -> tuple[str, AnswerState]:
    state = answer_set.states.get(view.id, _MISSING)
    if state is _ANSWERED:
        value = answer_set.values[view.id]
        text = view.texts.get(value) if type(value) is view.value_type else None
        return (display_value(view.question, value) if text is None else text), state
    return _STATE_TEXT[state], state


# --- findings --------------------------------------------------------------------------------


def _findings(plan: _Plan, answers: Answers, firings: Sequence[Firing]) -> list[Finding]:
    """One finding per rule that fired, its firings' evidence merged, in a stable order."""
    by_rule: dict[str, list[Firing]] = {}
    for firing in firings:
        group = by_rule.get(firing.rule_id)
        if group is None:
            by_rule[firing.rule_id] = [firing]
        else:
            group.append(firing)
    rules = plan.rules
    questions = plan.questions
    context = answers.context
    respondents = answers.respondents
    labels = [respondent.label for respondent in respondents]
    answer_sets = [respondent.answers for respondent in respondents]
    findings = []
    for rule_id in sorted(by_rule, key=plan.finding_order.__getitem__):
        rule_plan = rules[rule_id]
        group = by_rule[rule_id]
        if len(group) > 1 and not _alternatives_ascend(group):
            group = _one_respondent_each(group)
        evidence: dict[tuple[str, str | None], EvidenceItem] = {}
        because: dict[str, None] = {}
        derived_from: dict[str, None] = {}
        for firing in group:
            shown = rule_plan.shown.get(firing.questions)
            if shown is None:
                shown = _shown(plan, rule_plan, firing.questions)
            # Per respondent, ascending: the context's evidence (if it matched), theirs, then
            # what else the firing read, as if each respondent had fired on their own.
            for index in firing.respondents or _CONTEXT_ONLY:
                if index is None:
                    sources: tuple[tuple[str | None, AnswerSet], ...] = (
                        ((None, context),) if firing.context_matched else ()
                    )
                elif firing.context_matched:
                    sources = ((None, context), (labels[index], answer_sets[index]))
                else:
                    sources = ((labels[index], answer_sets[index]),)
                for who, answer_set in sources:
                    for view in shown:
                        own_set = context if view.project_scoped else answer_set
                        owner = None if own_set is context else who
                        key = (view.id, owner)
                        if key in evidence:
                            continue
                        # _answer_text, inlined: this loop runs for every piece of evidence.
                        state = own_set.states.get(view.id, _MISSING)
                        if state is _ANSWERED:
                            value = own_set.values[view.id]
                            text = view.texts.get(value) if type(value) is view.value_type else None
                            if text is None:
                                text = display_value(view.question, value)
                        else:
                            text = _STATE_TEXT[state]
                        # Built from validated data: construct without validating again.
                        evidence[key] = _evidence_item(view.id, view.text, owner, text, state)
                        if owner:
                            because[f"{owner}{view.answered}{text}"] = None
                        else:
                            because[view.project_answer + text] = None
                for question_id, first, second in firing.pairs:
                    view = questions[question_id]
                    first_text, _ = _answer_text(view, answer_sets[first])
                    second_text, _ = _answer_text(view, answer_sets[second])
                    because[
                        f'Respondents disagree on "{view.text}": {labels[first]} says'
                        f" {first_text}, {labels[second]} says {second_text}"
                    ] = None
                for finding_id in firing.findings:
                    derived_from[finding_id] = None
                    because[rules[finding_id].follows] = None
                if firing.absent_findings:
                    because[_absent_line(plan, firing.absent_findings)] = None
        findings.append(
            _finding(
                rule_plan.finding_fields,
                tuple(evidence.values()),
                tuple(because),
                tuple(derived_from),
            )
        )
    return findings


#: What a firing that names no respondent is read for: the context's answers, if it matched.
_CONTEXT_ONLY: tuple[None] = (None,)


def _alternatives_ascend(group: list[Firing]) -> bool:
    """Whether each firing is of a later alternative than the one before: then the firings, in
    this order and each with its respondents ascending, are already in evidence order (that of
    one firing per respondent, sorted by ``_evidence_order``)."""
    previous = -1
    for firing in group:
        if firing.alternative <= previous:
            return False
        previous = firing.alternative
    return True


def _one_respondent_each(group: list[Firing]) -> list[Firing]:
    """A rule's firings, one per respondent each names, in evidence order: by alternative,
    then respondent (the context's first), then pairs; ties as the engine ran them. However
    the engine grouped respondents into firings, the order, the evidence and the "because"
    lines come out the same."""
    single: list[Firing] = []
    for firing in group:
        if len(firing.respondents) > 1:
            single.extend(firing._replace(respondents=(index,)) for index in firing.respondents)
        else:
            single.append(firing)
    single.sort(key=_evidence_order)  # stable: ties keep the engine's order
    return single


def _evidence_order(
    firing: Firing,
) -> tuple[int, tuple[int, ...], tuple[tuple[str, int, int], ...]]:
    return (firing.alternative, firing.respondents, firing.pairs)


def _shown(
    plan: _Plan, rule_plan: _RulePlan, questions_read: tuple[str, ...]
) -> tuple[_QuestionView, ...]:
    """The questions a firing shows as evidence: the rule's evidence questions among those the
    firing read, else all it read."""
    shown = [q for q in rule_plan.evidence if q in questions_read] or list(questions_read)
    views = tuple(plan.questions[question_id] for question_id in shown)
    rule_plan.shown[questions_read] = views
    return views


def _absent_line(plan: _Plan, absent: tuple[str, ...]) -> str:
    line = plan.absent_lines.get(absent)
    if line is None:
        titles = ", ".join(f'"{plan.rules[finding_id].rule.title}"' for finding_id in absent)
        line = plan.absent_lines[absent] = f"None of these was found: {titles}"
    return line


# --- builders of the result's dataclasses ----------------------------------------------------
# Each fills a new instance's __dict__ with every field, in field order, as __init__ would;
# tests (tests/test_assessment_fastpath.py) check each against its class's own __init__.

_new = object.__new__
_set_attribute = object.__setattr__


def _evidence_item(
    question: str, question_text: str, respondent: str | None, answer: str, state: AnswerState
) -> EvidenceItem:
    item = _new(EvidenceItem)
    fields = item.__dict__  # stored one by one: faster than a dict of them swapped in
    fields["question"] = question
    fields["question_text"] = question_text
    fields["respondent"] = respondent
    fields["answer"] = answer
    fields["state"] = state
    return item


def _finding_fields(loaded: LoadedRule) -> dict[str, object]:
    """A rule's finding's fields, in order, its evidence, because and derived_from empty."""
    rule = loaded.rule
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity,
        "area": rule.area,
        "why": rule.why,
        "source": rule.source,
        "derived": bool(loaded.findings_read),
        "evidence": (),
        "because": (),
        "derived_from": (),
        "recommendations": tuple(rule.recommendations),
    }


def _finding(
    fields: dict[str, object],
    evidence: tuple[EvidenceItem, ...],
    because: tuple[str, ...],
    derived_from: tuple[str, ...],
) -> Finding:
    """The finding of a rule, from its ``_finding_fields``."""
    finding = _new(Finding)
    own = fields.copy()
    own["evidence"] = evidence  # replacing a key keeps its place
    own["because"] = because
    own["derived_from"] = derived_from
    _set_attribute(finding, "__dict__", own)
    return finding


def _result(
    project: ProjectRef,
    answers: Answers,
    respondents: tuple[RespondentRef, ...],
    pack: PackRef,
    scores: dict[str, int | None],
    overall: int | None,
    confidence: str,
    justification: str,
    counts: dict[str, int],
    findings: tuple[Finding, ...],
    sections: tuple[AnswerSection, ...],
) -> AssessmentResult:
    result = _new(AssessmentResult)
    _set_attribute(
        result,
        "__dict__",
        {
            "format_version": RESULT_FORMAT_VERSION,
            "generator": _GENERATOR,
            "project": project,
            "assessed_on": answers.assessed_on,
            "assessor": answers.assessor,
            "respondents": respondents,
            "pack": pack,
            "answers_sha256": answers.sha256,
            "scores": scores,
            "overall": overall,
            "confidence": confidence,
            "justification": justification,
            "counts": counts,
            "findings": findings,
            "answers": sections,
        },
    )
    return result


def _answer_row(question: str, text: str, answers: tuple[str, ...], agree: bool) -> AnswerRow:
    row = _new(AnswerRow)
    fields = row.__dict__
    fields["question"] = question
    fields["text"] = text
    fields["answers"] = answers
    fields["agree"] = agree
    return row
