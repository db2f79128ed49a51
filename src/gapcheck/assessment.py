"""The library entry point: answers in, an explained assessment out.

``assess_file(path)`` reads and validates an answers file, lets durable-rules diagnose it
(``gapcheck.engine``), merges each finding's firings into one finding with its evidence and
"because" lines, scores the areas and rates delivery confidence. Nothing here knows the CLI.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gapcheck import __version__
from gapcheck.answers import Answers, AnswerSet, validate_answers
from gapcheck.conditions import AnswerState, AnswerValue
from gapcheck.engine import Firing, compiled
from gapcheck.loading import read_document
from gapcheck.pack import (
    Pack,
    Question,
    QuestionType,
    Recommendation,
    Scope,
    Severity,
    load_pack,
)
from gapcheck.scoring import area_scores, confidence, overall_score

RESULT_FORMAT_VERSION = 1

# The result is plain frozen dataclasses: built per assessment from validated data (nothing to
# validate again) and serialised by orjson directly, both many times faster than models.


@dataclass(frozen=True, slots=True)
class PackRef:
    name: str
    version: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ProjectRef:
    id: str
    name: str
    client: str


@dataclass(frozen=True, slots=True)
class RespondentRef:
    name: str
    role: str
    team: str


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """One answer a finding read: who gave it, to which question, and what it was."""

    question: str
    question_text: str
    respondent: str | None  # None: the project's context answers
    answer: str
    state: AnswerState


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """One question's answers: one per respondent, or one for a project question."""

    question: str
    text: str
    answers: tuple[str, ...]
    #: Whether every respondent gave the same answer.
    agree: bool


@dataclass(frozen=True, slots=True)
class AnswerSection:
    id: str
    title: str
    scope: Scope
    rows: tuple[AnswerRow, ...]


@dataclass(frozen=True, slots=True)
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
    findings = _findings(pack, answers, firings)
    scores = area_scores(pack, answers)
    overall = overall_score(scores)
    titles = pack.area_titles
    weakest = sorted(
        (area for area, score in scores.items() if score is not None),
        key=lambda area: (scores[area], area),
    )
    rating = confidence(
        pack, overall, (finding.severity for finding in findings), [titles[a] for a in weakest]
    )
    counts = {severity.value: 0 for severity in Severity}
    for finding in findings:
        counts[finding.severity.value] += 1
    return AssessmentResult(
        format_version=RESULT_FORMAT_VERSION,
        generator=f"gapcheck {__version__}",
        project=ProjectRef(answers.project.id, answers.project.name, answers.project.client),
        assessed_on=answers.assessed_on,
        assessor=answers.assessor,
        respondents=tuple(RespondentRef(r.name, r.role, r.team) for r in answers.respondents),
        pack=PackRef(name=pack.name, version=pack.version, sha256=pack.sha256),
        answers_sha256=answers.sha256,
        scores=scores,
        overall=overall,
        confidence=rating.rating,
        justification=rating.justification,
        counts=counts,
        findings=tuple(findings),
        answers=answer_sections(pack, answers) if with_answers else (),
    )


def answer_sections(pack: Pack, answers: Answers) -> tuple[AnswerSection, ...]:
    """Every answer by section, side by side per respondent; questions nobody answered and
    that applied to nobody (hidden) are left out."""
    sections = []
    for section in pack.sections:
        rows = []
        for question in section.questions:
            if section.scope is Scope.project:
                sets = [answers.context]
            else:
                sets = [respondent.answers for respondent in answers.respondents]
            if all(answer_set.state(question.id) is AnswerState.missing for answer_set in sets):
                continue
            texts = tuple(_answer_text(question, answer_set)[0] for answer_set in sets)
            rows.append(AnswerRow(question.id, question.text, texts, len(set(texts)) == 1))
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


_STATE_TEXT = {
    AnswerState.dont_know: "don't know",
    AnswerState.not_applicable: "not applicable",
    AnswerState.missing: "no answer",
}


def _answer_text(question: Question, answer_set: AnswerSet) -> tuple[str, AnswerState]:
    state = answer_set.state(question.id)
    if state is AnswerState.answered:
        return display_value(question, answer_set.values[question.id]), state
    return _STATE_TEXT[state], state


def _findings(pack: Pack, answers: Answers, firings: Sequence[Firing]) -> list[Finding]:
    """One finding per rule that fired, its firings' evidence merged, in a stable order."""
    by_rule: dict[str, list[Firing]] = {}
    for firing in firings:
        by_rule.setdefault(firing.rule_id, []).append(firing)
    order = pack.rule_order
    context = answers.context
    findings = []
    for rule_id in sorted(by_rule, key=lambda rid: order[rid]):
        loaded = pack.rule(rule_id)
        rule = loaded.rule
        evidence: dict[tuple[str, str | None], EvidenceItem] = {}
        because: dict[str, None] = {}
        derived_from: dict[str, None] = {}
        for firing in sorted(by_rule[rule_id], key=_firing_key):
            shown = [q for q in loaded.evidence if q in firing.questions] or list(firing.questions)
            sources: list[tuple[str | None, AnswerSet]] = []
            if firing.context_matched:
                sources.append((None, context))
            for index in firing.respondents:
                respondent = answers.respondents[index]
                sources.append((respondent.label, respondent.answers))
            for who, answer_set in sources:
                for question_id in shown:
                    info = pack.questions[question_id]
                    own_set = context if info.section.scope is Scope.project else answer_set
                    owner = None if own_set is context else who
                    if (question_id, owner) in evidence:
                        continue
                    text, state = _answer_text(info.question, own_set)
                    # Built from validated data: construct without validating again.
                    evidence[(question_id, owner)] = EvidenceItem(
                        question_id, info.question.text, owner, text, state
                    )
                    by = f"{owner} answered" if owner else "The project's answer to"
                    because.setdefault(f'{by} "{info.question.text}": {text}')
            for question_id, first, second in firing.pairs:
                question = pack.questions[question_id].question
                a, b = answers.respondents[first], answers.respondents[second]
                a_text, _ = _answer_text(question, a.answers)
                b_text, _ = _answer_text(question, b.answers)
                because.setdefault(
                    f'Respondents disagree on "{question.text}": {a.label} says {a_text},'
                    f" {b.label} says {b_text}"
                )
            for finding_id in firing.findings:
                derived_from.setdefault(finding_id)
                because.setdefault(f'Follows from the finding "{pack.rule(finding_id).rule.title}"')
            if firing.absent_findings:
                titles = ", ".join(f'"{pack.rule(f).rule.title}"' for f in firing.absent_findings)
                because.setdefault(f"None of these was found: {titles}")
        findings.append(
            Finding(
                id=rule.id,
                title=rule.title,
                severity=rule.severity,
                area=rule.area,
                why=rule.why,
                source=rule.source,
                derived=bool(loaded.findings_read),
                evidence=tuple(evidence.values()),
                because=tuple(because),
                derived_from=tuple(derived_from),
                recommendations=tuple(rule.recommendations),
            )
        )
    findings.sort(key=lambda finding: (finding.severity.rank, order[finding.id]))
    return findings


def _firing_key(firing: Firing) -> tuple[int, tuple[int, ...], tuple[tuple[str, int, int], ...]]:
    return (firing.alternative, firing.respondents, firing.pairs)
