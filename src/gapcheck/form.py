"""The questionnaire as one self-contained HTML form a consultant can email to a client.

``render_form(pack)`` renders ``templates/form.html`` (through the reports' Jinja environment,
autoescaped) into a page with inline CSS and JavaScript and no external reference at all. The
page shows every question of the pack with its help, marks required ones, shows and hides
conditional questions live, validates before it lets the client download, keeps answers in the
browser's local storage, and downloads a JSON answers file that ``gapcheck assess`` accepts
unchanged (docs/answers-format.md). An answers file can be loaded back to continue.

The questionnaire travels inside the page as JSON (``questionnaire_data``): every section and
question, and each ``visible_if`` condition as data with its operands already normalised like
answers (``Pack.operand``), so the page's small evaluator compares like with like, as
``gapcheck.conditions.evaluate_visibility`` does. The JSON is embedded with ``<``, ``>``, ``&``
and the two JavaScript line separators escaped, so no question text can close the script element.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import jinja2
from markupsafe import Markup

from gapcheck.answers import FORMAT_VERSION, MAX_RESPONDENTS, PROJECT_ID
from gapcheck.conditions import All, AnyOf, Compare, ConditionNode, Not, StateIs
from gapcheck.errors import RenderError
from gapcheck.pack import Pack, Question, QuestionType, Section, load_pack
from gapcheck.report import environment

TEMPLATE = "form.html"
#: Limits of the answers file's free-text envelope fields (gapcheck.answers).
TEXT_FIELD_MAX = 200

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def embed_json(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` element: nothing in it can end the
    element or open a comment, since every ``<``, ``>`` and ``&`` is a ``\\u`` escape."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    for character, escape in _JSON_ESCAPES.items():
        text = text.replace(character, escape)
    # Escaped above; JSON in a script element is raw text, so it must not be HTML-escaped.
    return Markup(text)  # noqa: S704


def condition_data(pack: Pack, condition: ConditionNode) -> dict[str, Any]:
    """A ``visible_if`` condition as plain data for the page's evaluator.

    ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": c}``, ``{"q": id, "op": op, "value": v}``
    (``v`` normalised like an answer: dates as YYYY-MM-DD, lists for ``in``) and
    ``{"q": id, "state": s}``. Anything else is not allowed in ``visible_if`` (the pack loader
    rejects it), so it is an error here too.
    """
    if isinstance(condition, All):
        return {"all": [condition_data(pack, child) for child in condition.all]}
    if isinstance(condition, AnyOf):
        return {"any": [condition_data(pack, child) for child in condition.any]}
    if isinstance(condition, Not):
        return {"not": condition_data(pack, condition.not_)}
    if isinstance(condition, StateIs):
        return {"q": condition.q, "state": condition.state.value}
    if isinstance(condition, Compare):
        return {"q": condition.q, "op": condition.op, "value": _plain(pack.operand(condition))}
    raise RenderError(f"visible_if cannot hold {type(condition).__name__} in a form")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def question_data(pack: Pack, question: Question, scope: str) -> dict[str, Any]:
    kind = question.type
    data: dict[str, Any] = {
        "id": question.id,
        "type": kind.value,
        "scope": scope,
        "text": question.text,
        "help": question.help,
        "required": question.required,
        "visible_if": (
            condition_data(pack, question.visible_if) if question.visible_if is not None else None
        ),
        "choices": [{"id": choice.id, "label": choice.label} for choice in question.choices],
        "min": _number(question.min),
        "max": _number(question.max),
        "integer": question.integer or kind is QuestionType.scale,
        "unit": question.unit,
        "scale_labels": {
            str(level): label for level, label in sorted(question.scale_labels.items())
        },
        "allow_dont_know": question.allow_dont_know,
        "allow_not_applicable": question.allow_not_applicable,
        "max_length": question.max_length,
        "expected": question.expected(),
    }
    if kind is QuestionType.scale:
        data["min"], data["max"] = 1, 5
    return data


def section_data(pack: Pack, section: Section) -> dict[str, Any]:
    return {
        "id": section.id,
        "title": section.title,
        "description": section.description,
        "scope": section.scope.value,
        "visible_if": (
            condition_data(pack, section.visible_if) if section.visible_if is not None else None
        ),
        "questions": [
            question_data(pack, question, section.scope.value) for question in section.questions
        ],
    }


def questionnaire_data(pack: Pack) -> dict[str, Any]:
    """Everything the page needs to show, hide, validate and download answers: plain JSON."""
    return {
        "format_version": FORMAT_VERSION,
        "pack": {
            "name": pack.name,
            "version": pack.version,
            "title": pack.meta.title,
            "sha256": pack.sha256,
        },
        "limits": {
            "project_id": PROJECT_ID,
            "text_max": TEXT_FIELD_MAX,
            "respondents_max": MAX_RESPONDENTS,
        },
        "sections": [section_data(pack, section) for section in pack.sections],
    }


def render_form(pack: Pack | None = None) -> str:
    """The questionnaire of ``pack`` (the bundled one by default) as one self-contained page."""
    pack = pack if pack is not None else load_pack()
    data = questionnaire_data(pack)
    try:
        template = environment(None, "html").get_template(TEMPLATE)
        return template.render(
            form=data,
            questionnaire_json=embed_json(data),
            project_sections=[s for s in data["sections"] if s["scope"] == "project"],
            respondent_sections=[s for s in data["sections"] if s["scope"] == "respondent"],
        )
    except jinja2.TemplateError as error:
        raise RenderError(f"template {TEMPLATE}: {error}") from error
