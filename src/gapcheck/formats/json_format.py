"""The JSON result: stable keys and order, for machines and golden tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from pydantic import BaseModel

if TYPE_CHECKING:
    from gapcheck.assessment import AssessmentResult


def _pack_model(value: Any) -> Any:
    # Recommendations are the pack's own (validated) models.
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(result: AssessmentResult) -> bytes:
    return orjson.dumps(result, default=_pack_model, option=orjson.OPT_INDENT_2) + b"\n"


def render(result: AssessmentResult) -> bytes:
    return dumps(result)
