"""The JSON result: stable keys and order, for machines and golden tests."""

from __future__ import annotations

import orjson

from gapcheck.assessment import AssessmentResult


def render(result: AssessmentResult) -> bytes:
    return orjson.dumps(result.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"
