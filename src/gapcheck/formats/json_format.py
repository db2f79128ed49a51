"""The JSON result: stable keys and order, for machines and golden tests.

orjson serialises the result's dataclasses, enums and dates natively, in field order. Only the
recommendations are the pack's pydantic models: each finding is handed over as a dict (keys in
``Finding``'s field order) with its recommendations dumped once per pack rather than once per
report. The bytes are exactly those of serialising the result whole with a ``model_dump``
fallback (tests/test_assessment_fastpath.py checks that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from gapcheck.assessment import AssessmentResult, Finding
    from gapcheck.pack import Recommendation

_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE

#: Each finding's recommendations as JSON-ready dicts, by id() of the tuple, kept with it (so
#: the id is not reused while cached). Findings of one pack share one tuple per rule.
_DUMPED: dict[int, tuple[tuple[Recommendation, ...], list[dict[str, Any]]]] = {}
#: Enough for the rules of many packs; results built by hand can't grow it without bound.
_DUMPED_LIMIT = 4096


def _recommendations(recommendations: tuple[Recommendation, ...]) -> list[dict[str, Any]]:
    cached = _DUMPED.get(id(recommendations))
    if cached is not None and cached[0] is recommendations:
        return cached[1]
    dumped = [recommendation.model_dump(mode="json") for recommendation in recommendations]
    if len(_DUMPED) >= _DUMPED_LIMIT:
        _DUMPED.clear()
    _DUMPED[id(recommendations)] = (recommendations, dumped)
    return dumped


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "title": finding.title,
        "severity": finding.severity,
        "area": finding.area,
        "why": finding.why,
        "source": finding.source,
        "derived": finding.derived,
        "evidence": finding.evidence,
        "because": finding.because,
        "derived_from": finding.derived_from,
        "recommendations": _recommendations(finding.recommendations),
    }


def dumps(result: AssessmentResult) -> bytes:
    # Keys in AssessmentResult's field order, as orjson writes a dataclass.
    return orjson.dumps(
        {
            "format_version": result.format_version,
            "generator": result.generator,
            "project": result.project,
            "assessed_on": result.assessed_on,
            "assessor": result.assessor,
            "respondents": result.respondents,
            "pack": result.pack,
            "answers_sha256": result.answers_sha256,
            "scores": result.scores,
            "overall": result.overall,
            "confidence": result.confidence,
            "justification": result.justification,
            "counts": result.counts,
            "findings": [_finding(finding) for finding in result.findings],
            "answers": result.answers,
        },
        option=_OPTIONS,
    )


def render(result: AssessmentResult) -> bytes:
    return dumps(result)
