"""The questionnaire as an interview: one question at a time, every accepted answer saved at once.

:class:`Interview` knows nothing about terminals: given a pack and the path of an answers file,
it says which question comes next (:meth:`Interview.next_question`), checks a typed answer
(:meth:`Interview.answer`, returning :class:`Accepted`, :class:`Rejected` with the reason,
:class:`HelpShown` or :class:`WentBack`) and reports the progress (:meth:`Interview.progress`).

The order: the project's details (id, name, client, date of the assessment, assessor), the
context questions (answered once per project), the respondent's details (name, role, team, unless
given by the caller), then the respondent's questions. Questions whose ``visible_if`` is false are
skipped; answers that a later change hides are removed, so a complete file always validates.

What a user may type, besides an answer: ``?`` for the question's help, ``dk`` for "don't know" and
``na`` for "not applicable" where the question allows them, ``b`` to go back one question, and
nothing to keep the current answer, take the default, or skip an optional question (a skipped
optional question is saved as an empty answer, which counts as unanswered, so a resumed interview
does not ask it again).

The whole file is written atomically after every accepted answer (YAML, or JSON for a ``.json``
file): an interrupted interview loses nothing and resumes at the first unanswered question.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gapcheck.answers import FORMAT_VERSION, MAX_RESPONDENTS, PROJECT_ID
from gapcheck.conditions import SPECIAL_ANSWERS, AnswerState, AnswerValue
from gapcheck.errors import InputError
from gapcheck.fsutil import atomic_write
from gapcheck.loading import format_location, read_document
from gapcheck.pack import Pack, Question, QuestionType, Scope

MAX_DETAIL_LENGTH = 200
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SEPARATORS = re.compile(r"[,\s]+")
_SPECIAL_INPUT = {"dk": AnswerState.dont_know.value, "na": AnswerState.not_applicable.value}
_SPECIAL_TEXT = {
    AnswerState.dont_know.value: "don't know",
    AnswerState.not_applicable.value: "not applicable",
}

PROJECT_SECTION = "Project details"
RESPONDENT_SECTION = "About you"


@dataclass(frozen=True)
class Detail:
    """A question about the project or the respondent that is not in the pack."""

    key: str
    text: str
    help: str
    required: bool = True
    is_date: bool = False
    pattern: str | None = None
    pattern_text: str = ""


_PROJECT_DETAILS = (
    Detail(
        "project.id",
        "Project id (stable: the same on every assessment of this project)",
        "A short id such as acme-crm-launch: letters, digits, '.', '_' or '-', starting with a"
        " letter or digit. Later assessments of the same project use the same id.",
        pattern=PROJECT_ID,
        pattern_text="letters, digits, '.', '_' or '-', starting with a letter or digit,"
        " at most 100 characters",
    ),
    Detail("project.name", "Project name", "The name the client knows the project by."),
    Detail("project.client", "Client", "The organisation the project is delivered for."),
    Detail(
        "assessed_on",
        "Date of the assessment (YYYY-MM-DD)",
        "The day the answers describe. Press Enter for today.",
        is_date=True,
    ),
    Detail("assessor", "Assessor", "Who runs the assessment: your name, and firm if any."),
)
_RESPONDENT_DETAILS = (
    Detail("respondent.name", "Respondent's name", "The person answering the questions below."),
    Detail(
        "respondent.role", "Respondent's role", "Their role in the project, e.g. Programme manager."
    ),
    Detail(
        "respondent.team",
        "Respondent's team",
        "The team they belong to, if any: answers are compared across teams.",
        required=False,
    ),
)


@dataclass(frozen=True)
class Step:
    """One question of the interview, as it stands now."""

    key: str
    section: str
    text: str
    help: str
    required: bool
    #: The pack's question; None for a project or respondent detail.
    question: Question | None = None
    detail: Detail | None = None
    #: The current answer, as shown to the user (None: unanswered).
    current: str | None = None
    #: Why the answer in the file is not valid (it is asked again).
    problem: str | None = None
    #: What an empty input stands for, shown in the prompt (e.g. today's date).
    default: str | None = None

    @property
    def answered(self) -> bool:
        return self.current is not None


@dataclass(frozen=True)
class Accepted:
    """The answer was saved (or kept, or an optional question skipped); go on."""

    key: str
    shown: str
    kept: bool = False


@dataclass(frozen=True)
class Rejected:
    """The input is not a valid answer: ``reason`` says why and what is expected."""

    reason: str


@dataclass(frozen=True)
class HelpShown:
    text: str


@dataclass(frozen=True)
class WentBack:
    key: str


Result = Accepted | Rejected | HelpShown | WentBack


@dataclass(frozen=True)
class Progress:
    question: int
    questions: int
    section: int
    sections: int
    section_title: str

    def line(self) -> str:
        return (
            f"Question {self.question} of {self.questions}, section {self.section} of"
            f" {self.sections}: {self.section_title}"
        )


_SKIPPED = object()


class Interview:
    """An interview over one answers file, for one respondent (the first unless named)."""

    def __init__(
        self,
        pack: Pack,
        path: Path,
        *,
        respondent: str | None = None,
        role: str | None = None,
        team: str | None = None,
        review: bool = False,
        today: dt.date | None = None,
    ) -> None:
        self.pack = pack
        self.path = Path(path)
        self.review = review
        self.today = today or dt.date.today()
        self.data = self._load()
        self.respondent_index = self._find_respondent(respondent, role, team)
        self._given = {
            key
            for key, value in (
                ("respondent.name", respondent),
                ("respondent.role", role),
                ("respondent.team", team),
            )
            if value is not None
        }
        steps = self.steps()
        if review:
            self._position = 0
        else:
            self._position = next(
                (index for index, step in enumerate(steps) if not step.answered), len(steps)
            )

    # --- the file --------------------------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            if self.path.suffix.lower() not in (".yaml", ".yml", ".json"):
                raise InputError.single(
                    self.path,
                    f"not an answers file name ('{self.path.suffix or 'no extension'}')",
                    expected="a .yaml, .yml or .json file",
                )
            return {"format_version": FORMAT_VERSION}
        document = read_document(self.path)
        data: dict[str, Any] = document.data

        def refuse(location: tuple[str | int, ...], message: str, expected: str) -> InputError:
            return InputError.single(
                self.path,
                message,
                field=format_location(location),
                line=document.line_of(location),
                expected=expected,
            )

        version = data.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise refuse(
                ("format_version",), f"unsupported format version {version!r}", str(FORMAT_VERSION)
            )
        data["format_version"] = FORMAT_VERSION
        for field in ("project", "context"):
            if data.get(field) is None:
                data.pop(field, None)
            elif not isinstance(data[field], dict):
                raise refuse((field,), "not a mapping", "a mapping of fields to answers")
        respondents = data.get("respondents")
        if respondents is None:
            data.pop("respondents", None)
        elif not isinstance(respondents, list):
            raise refuse(("respondents",), "not a list", "a list of respondents")
        else:
            for index, entry in enumerate(respondents):
                if not isinstance(entry, dict):
                    raise refuse(("respondents", index), "not a mapping", "name, role, answers")
                answers = entry.get("answers")
                if answers is None:
                    entry["answers"] = {}
                elif not isinstance(answers, dict):
                    raise refuse(
                        ("respondents", index, "answers"),
                        "not a mapping",
                        "question ids to answers",
                    )
        return data

    def _find_respondent(self, name: str | None, role: str | None, team: str | None) -> int:
        respondents: list[dict[str, Any]] = self.data.setdefault("respondents", [])
        index = None
        if name is None:
            index = 0 if respondents else None
        else:
            wanted = name.strip().casefold()
            index = next(
                (
                    i
                    for i, entry in enumerate(respondents)
                    if str(entry.get("name", "")).strip().casefold() == wanted
                ),
                None,
            )
        if index is None:
            if len(respondents) >= MAX_RESPONDENTS:
                raise InputError.single(
                    self.path,
                    f"already has {MAX_RESPONDENTS} respondents, the most a file holds",
                    field="respondents",
                    expected="another answers file for more respondents",
                )
            respondents.append({"answers": {}})
            index = len(respondents) - 1
        entry = respondents[index]
        for key, value in (("name", name), ("role", role), ("team", team)):
            if value is not None:
                checked = _check_detail_text(value, required=key != "team")
                if checked is None:
                    raise InputError.single(
                        self.path,
                        f"--{key} {value!r}: {_text_problem(value, key != 'team')}",
                        expected=f"text of at most {MAX_DETAIL_LENGTH} characters",
                    )
                entry[key] = checked
        entry.setdefault("answers", {})
        return index

    @property
    def respondent(self) -> dict[str, Any]:
        entry: dict[str, Any] = self.data["respondents"][self.respondent_index]
        return entry

    def save(self) -> None:
        """Drop answers that no longer apply, then write the whole file atomically."""
        self._drop_hidden()
        ordered: dict[str, Any] = {}
        for key in ("format_version", "project", "assessed_on", "assessor", "context"):
            if key in self.data:
                ordered[key] = self.data[key]
        respondents = []
        for entry in self.data.get("respondents", []):
            person = {key: entry[key] for key in ("name", "role", "team") if key in entry}
            person.update({k: v for k, v in entry.items() if k not in person and k != "answers"})
            person["answers"] = entry.get("answers", {})
            respondents.append(person)
        ordered["respondents"] = respondents
        ordered.update({k: v for k, v in self.data.items() if k not in ordered})
        self.data = ordered
        if self.path.suffix.lower() == ".json":
            text = json.dumps(_jsonable(ordered), indent=2, ensure_ascii=False) + "\n"
        else:
            text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True)
        atomic_write(self.path, text.encode("utf-8"))

    def _drop_hidden(self) -> None:
        context: dict[str, Any] = self.data.get("context", {})
        context_values, context_states = self._answer_maps(context, Scope.project, {}, {})
        for info in self.pack.project_questions():
            qid = info.question.id
            if qid in context and not self.pack.visible(qid, context_values, context_states):
                del context[qid]
        for entry in self.data.get("respondents", []):
            answers = entry.get("answers", {})
            values, states = self._answer_maps(
                answers, Scope.respondent, context_values, context_states
            )
            for info in self.pack.respondent_questions():
                qid = info.question.id
                if qid in answers and not self.pack.visible(qid, values, states):
                    del answers[qid]

    # --- reading answers ---------------------------------------------------------------------

    def _answer_maps(
        self,
        raw: Mapping[str, Any],
        scope: Scope,
        base_values: Mapping[str, AnswerValue],
        base_states: Mapping[str, AnswerState],
    ) -> tuple[dict[str, AnswerValue], dict[str, AnswerState]]:
        """Values and states of the valid, visible answers, in questionnaire order."""
        values = dict(base_values)
        states = dict(base_states)
        infos = (
            self.pack.project_questions()
            if scope is Scope.project
            else self.pack.respondent_questions()
        )
        for info in infos:
            qid = info.question.id
            if qid not in raw or not self.pack.visible(qid, values, states):
                continue
            checked = _check_stored(info.question, raw[qid])
            if isinstance(checked, AnswerState):
                states[qid] = checked
            elif checked is not None and checked is not _SKIPPED:
                values[qid] = checked  # type: ignore[assignment]
                states[qid] = AnswerState.answered
        return values, states

    # --- the steps ---------------------------------------------------------------------------

    def steps(self) -> list[Step]:
        """Every question that applies now, in order, with its current answer."""
        steps: list[Step] = []
        for detail in _PROJECT_DETAILS:
            steps.append(self._detail_step(detail, PROJECT_SECTION))
        context: dict[str, Any] = self.data.get("context", {})
        respondent = self.respondent
        answers: dict[str, Any] = respondent.get("answers", {})
        values, states = self._answer_maps(context, Scope.project, {}, {})
        for info in self.pack.project_questions():
            if self.pack.visible(info.question.id, values, states):
                steps.append(self._question_step("context", info.question, context, info))
        for detail in _RESPONDENT_DETAILS:
            if detail.key not in self._given:
                steps.append(self._detail_step(detail, RESPONDENT_SECTION))
        values, states = self._answer_maps(answers, Scope.respondent, values, states)
        for info in self.pack.respondent_questions():
            if self.pack.visible(info.question.id, values, states):
                steps.append(self._question_step("answers", info.question, answers, info))
        return steps

    def _detail_container(self, key: str) -> tuple[dict[str, Any], str]:
        head, _, tail = key.partition(".")
        if head == "project":
            project = self.data.get("project")
            return (project if isinstance(project, dict) else {}), tail
        if head == "respondent":
            return self.respondent, tail
        return self.data, head

    def _detail_step(self, detail: Detail, section: str) -> Step:
        container, field = self._detail_container(detail.key)
        current = None
        problem = None
        if field in container:
            raw = container[field]
            checked, reason = _check_detail(detail, raw)
            if reason is None:
                current = str(checked) if checked else "(skipped)"
            else:
                problem = f"{_shown(raw)}: {reason}"
        return Step(
            key=detail.key,
            section=section,
            text=detail.text,
            help=detail.help,
            required=detail.required,
            detail=detail,
            current=current,
            problem=problem,
            default=self.today.isoformat() if detail.is_date and current is None else None,
        )

    def _question_step(
        self, where: str, question: Question, raw: Mapping[str, Any], info: Any
    ) -> Step:
        current = None
        problem = None
        if question.id in raw:
            checked = _check_stored(question, raw[question.id])
            if checked is None:
                problem = (
                    f"{_shown(raw[question.id])}: {_stored_problem(question, raw[question.id])}"
                )
            elif checked is _SKIPPED:
                current = "(skipped)"
            elif isinstance(checked, AnswerState):
                current = _SPECIAL_TEXT[checked.value]
            else:
                current = display(question, checked)  # type: ignore[arg-type]
        return Step(
            key=f"{where}.{question.id}",
            section=info.section.title,
            text=question.text,
            help=question.help,
            required=question.required,
            question=question,
            current=current,
            problem=problem,
        )

    # --- the interview -----------------------------------------------------------------------

    def next_question(self) -> Step | None:
        """The question to ask now, or None when the interview is over."""
        steps = self.steps()
        if self._position < len(steps):
            return steps[self._position]
        return None

    def progress(self) -> Progress:
        steps = self.steps()
        sections: list[str] = []
        for step in steps:
            if not sections or sections[-1] != step.section:
                sections.append(step.section)
        position = min(self._position, len(steps) - 1)
        current = steps[position]
        section_index = 0
        seen = ""
        for step in steps[: position + 1]:
            if step.section != seen:
                section_index += 1
                seen = step.section
        return Progress(
            question=position + 1,
            questions=len(steps),
            section=section_index,
            sections=len(sections),
            section_title=current.section,
        )

    def answered_count(self) -> int:
        """How many questions of this interview have an answer in the file."""
        return sum(1 for step in self.steps() if step.answered and step.current != "(skipped)")

    def remaining_required(self) -> list[Step]:
        return [step for step in self.steps() if step.required and not step.answered]

    def answer(self, text: str) -> Result:
        """Take the user's input for the current question."""
        step = self.next_question()
        if step is None:
            return Rejected("the interview is over: every question has been asked")
        typed = text.strip()
        lowered = typed.lower()
        if lowered == "?":
            return HelpShown(help_text(step))
        if lowered == "b":
            if self._position == 0:
                return Rejected("this is the first question: there is nothing to go back to")
            self._position -= 1
            previous = self.steps()[self._position]
            return WentBack(previous.key)
        if typed == "":
            if step.answered:
                return self._advance(step, Accepted(step.key, step.current or "", kept=True))
            if step.default is not None:
                typed = step.default
            elif not step.required:
                self._store(step, None)
                return self._advance(step, Accepted(step.key, "(skipped)"))
            else:
                return Rejected(f"an answer is required ({expected_text(step)})")
        if step.detail is not None:
            value, reason = _check_detail(step.detail, typed)
            if reason is not None:
                return Rejected(f"{reason} ({expected_text(step)})")
            self._store(step, value)
            return self._advance(step, Accepted(step.key, str(value)))
        question = step.question
        assert question is not None
        parsed = parse_input(question, typed)
        if isinstance(parsed, Rejected):
            return parsed
        self._store(step, parsed)
        if isinstance(parsed, str) and parsed in SPECIAL_ANSWERS:
            shown = _SPECIAL_TEXT[parsed]
        else:
            shown = display(question, question.normalise(parsed))
        return self._advance(step, Accepted(step.key, shown))

    def _store(self, step: Step, value: Any) -> None:
        if step.detail is not None:
            if step.key.startswith("project."):
                project = self.data.get("project")
                if not isinstance(project, dict):
                    project = self.data["project"] = {}
                container: dict[str, Any] = project
                field = step.key.partition(".")[2]
            else:
                container, field = self._detail_container(step.key)
            container[field] = "" if value is None else value
        else:
            assert step.question is not None
            where = step.key.partition(".")[0]
            if where == "context":
                container = self.data.setdefault("context", {})
            else:
                container = self.respondent.setdefault("answers", {})
            container[step.question.id] = value
        self.save()

    def _advance(self, step: Step, result: Accepted) -> Accepted:
        steps = self.steps()
        keys = [s.key for s in steps]
        position = keys.index(step.key) + 1 if step.key in keys else self._position
        if not self.review:
            while position < len(steps) and steps[position].answered:
                position += 1
            if position >= len(steps):
                # Back at the end: anything still unanswered earlier (e.g. after going back).
                position = next(
                    (index for index, s in enumerate(steps) if not s.answered), len(steps)
                )
        self._position = position
        return result


# --- checking input ----------------------------------------------------------------------------


def _check_stored(question: Question, raw: Any) -> AnswerValue | AnswerState | object | None:
    """A stored answer normalised: a value, a special state, _SKIPPED for an empty answer, or
    None when it is not valid."""
    if raw is None or raw in ("", []):
        return _SKIPPED
    if isinstance(raw, str) and raw in SPECIAL_ANSWERS:
        allowed = dict(zip(SPECIAL_ANSWERS, question.allowed_specials(), strict=True))
        return AnswerState(raw) if allowed[raw] else None
    try:
        return question.normalise(raw)
    except ValueError:
        return None


def _stored_problem(question: Question, raw: Any) -> str:
    if isinstance(raw, str) and raw in SPECIAL_ANSWERS:
        return f"'{_SPECIAL_TEXT[raw]}' is not allowed for this question"
    try:
        question.normalise(raw)
    except ValueError as error:
        return str(error)
    return "not a valid answer"  # unreachable: _check_stored accepted it


def _check_detail_text(value: Any, *, required: bool) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if (required and not text) or len(text) > MAX_DETAIL_LENGTH:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    return text


def _text_problem(value: Any, required: bool) -> str:
    if not isinstance(value, str):
        return "not text"
    text = value.strip()
    if required and not text:
        return "empty"
    if len(text) > MAX_DETAIL_LENGTH:
        return f"longer than {MAX_DETAIL_LENGTH} characters"
    return "contains control characters"


def _check_detail(detail: Detail, raw: Any) -> tuple[Any, str | None]:
    if detail.is_date:
        if isinstance(raw, dt.datetime):
            return None, "a date and time; give the date only"
        if isinstance(raw, dt.date):
            return raw, None
        if isinstance(raw, str) and _DATE.match(raw.strip()):
            try:
                return dt.date.fromisoformat(raw.strip()), None
            except ValueError:
                return None, "not a real date"
        return None, "not a date"
    text = _check_detail_text(raw, required=detail.required)
    if text is None:
        return None, _text_problem(raw, detail.required)
    if detail.pattern is not None and not re.match(detail.pattern, text):
        return None, "not a valid project id"
    return text, None


def parse_input(question: Question, text: str) -> Any:
    """Turn what the user typed into the value stored in the answers file (a list for multiple
    choice, a date for a date), or a :class:`Rejected` saying why not."""
    special = _SPECIAL_INPUT.get(text.lower(), text if text in SPECIAL_ANSWERS else None)
    if special is not None:
        allowed = dict(zip(SPECIAL_ANSWERS, question.allowed_specials(), strict=True))
        if not allowed[special]:
            return Rejected(
                f"'{_SPECIAL_TEXT[special]}' is not allowed for this question"
                f" (expected {expected_answer(question)})"
            )
        return special
    value: Any = text
    kind = question.type
    if kind is QuestionType.yes_no:
        value = {"y": "yes", "yes": "yes", "n": "no", "no": "no"}.get(text.lower())
        if value is None:
            return _rejected(question, f"'{text}' is not yes or no")
    elif kind in (QuestionType.scale, QuestionType.number):
        if not _NUMBER.match(text):
            return _rejected(question, f"'{text}' is not a number")
        value = float(text) if any(c in text for c in ".eE") else int(text)
    elif kind is QuestionType.single_choice:
        value = _choice(question, text)
        if value is None:
            return _rejected(question, f"'{text}' is not one of the choices")
    elif kind is QuestionType.multiple_choice:
        items = [item for item in _SEPARATORS.split(text) if item]
        chosen = [_choice(question, item) for item in items]
        bad = [item for item, choice in zip(items, chosen, strict=True) if choice is None]
        if bad:
            return _rejected(
                question, f"{', '.join(repr(item) for item in bad)} not among the choices"
            )
        value = [choice for choice in chosen if choice is not None]
    elif kind is QuestionType.date and not _DATE.match(text):
        return _rejected(question, f"'{text}' is not a date")
    try:
        normalised = question.normalise(value)
    except ValueError as error:
        return _rejected(question, f"'{text}': {error}")
    if isinstance(normalised, tuple):
        return list(normalised)  # YAML has lists, not tuples
    return normalised


def _choice(question: Question, item: str) -> str | None:
    if item.isdigit():
        number = int(item)
        if 1 <= number <= len(question.choices):
            return question.choices[number - 1].id
        return None
    return item if item in question.choice_ids else None


def _rejected(question: Question, reason: str) -> Rejected:
    return Rejected(f"{reason} (expected {expected_answer(question)})")


def expected_answer(question: Question) -> str:
    """What to type for a question, in the interview's terms (numbers for choices, y/n, dk)."""
    kind = question.type
    count = len(question.choices)
    if kind is QuestionType.yes_no:
        how = "y or n"
    elif kind is QuestionType.single_choice:
        how = f"a number from 1 to {count}"
    elif kind is QuestionType.multiple_choice:
        how = f"numbers from 1 to {count} separated by commas, e.g. 1,3"
    else:
        how = question.expected().split(", or ")[0]
    specials = []
    if question.allow_dont_know:
        specials.append("dk (don't know)")
    if question.allow_not_applicable:
        specials.append("na (not applicable)")
    return how + (f", or {' or '.join(specials)}" if specials else "")


# --- what the user sees ------------------------------------------------------------------------


def display(question: Question, value: AnswerValue) -> str:
    """An answer as the user reads it: choice labels, not ids (as in reports)."""
    labels = question.choice_labels
    if isinstance(value, tuple):
        return ", ".join(labels.get(item, item) for item in value) or "(none)"
    if question.type is QuestionType.single_choice:
        return labels.get(str(value), str(value))
    if isinstance(value, dt.date):
        return value.isoformat()
    if question.type is QuestionType.number and question.unit:
        return f"{value} {question.unit}"
    if question.type is QuestionType.scale and isinstance(value, int):
        label = question.scale_labels.get(value)
        return f"{value} of 5" + (f" ({label})" if label else "")
    return str(value)


def expected_text(step: Step) -> str:
    if step.question is not None:
        return f"expected {expected_answer(step.question)}"
    detail = step.detail
    assert detail is not None
    if detail.is_date:
        return "expected a date as YYYY-MM-DD"
    if detail.pattern_text:
        return f"expected {detail.pattern_text}"
    return f"expected text of at most {MAX_DETAIL_LENGTH} characters"


def help_text(step: Step) -> str:
    lines = [step.help] if step.help else ["No help for this question."]
    lines.append(f"Answer: {expected_text(step).removeprefix('expected ')}.")
    if step.question is not None:
        specials = []
        if step.question.allow_dont_know:
            specials.append("dk = don't know")
        if step.question.allow_not_applicable:
            specials.append("na = not applicable")
        if specials:
            lines.append("Also: " + ", ".join(specials) + ".")
    lines.append(
        "Enter keeps the current answer or skips an optional question; b goes back one question."
    )
    return "\n".join(lines)


def question_lines(step: Step) -> list[str]:
    """The question as shown in a terminal, without the progress line and the prompt."""
    tag = "[required]" if step.required else "[optional]"
    lines = [f"{step.text} {tag}"]
    question = step.question
    if question is not None:
        if question.type in (QuestionType.single_choice, QuestionType.multiple_choice):
            for number, choice in enumerate(question.choices, start=1):
                lines.append(f"  {number}. {choice.label}")
            if question.type is QuestionType.multiple_choice:
                lines.append("  (any of them: numbers separated by commas, e.g. 1,3)")
        elif question.type is QuestionType.scale:
            labels = question.scale_labels
            low = labels.get(1, "lowest")
            high = labels.get(5, "highest")
            middle = [f"{level} = {labels[level]}" for level in (2, 3, 4) if level in labels]
            lines.append(f"  Scale: 1 = {low} ... 5 = {high}")
            lines.extend(f"         {item}" for item in middle)
        elif question.type is QuestionType.yes_no:
            lines.append("  (y/n)")
        elif question.type is QuestionType.number:
            unit = f" in {question.unit}" if question.unit else ""
            lines.append(f"  ({question.expected().split(', or ')[0]}{unit})")
        elif question.type is QuestionType.date:
            lines.append("  (YYYY-MM-DD)")
        specials = []
        if question.allow_dont_know:
            specials.append("dk = don't know")
        if question.allow_not_applicable:
            specials.append("na = not applicable")
        if specials:
            lines.append("  " + ", ".join(specials))
    if step.problem is not None:
        lines.append(f"  The answer in the file is not valid: {step.problem}")
    if step.current is not None:
        lines.append(f"  Current answer: {step.current} (Enter keeps it)")
    return lines


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
