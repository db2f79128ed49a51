"""Output formats behind one small interface: ``render(result, format) -> bytes``."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from gapcheck.errors import RenderError

if TYPE_CHECKING:
    from gapcheck.assessment import AssessmentResult


class OutputFormat(str, Enum):
    text = "text"
    json = "json"


#: Module under gapcheck.formats implementing each format's ``render(result) -> bytes``.
_MODULES = {OutputFormat.text: "text", OutputFormat.json: "json_format"}

_EXTENSIONS = {".txt": OutputFormat.text, ".json": OutputFormat.json}


def renderer(output_format: OutputFormat) -> Callable[[AssessmentResult], bytes]:
    module = import_module(f"gapcheck.formats.{_MODULES[output_format]}")
    render: Callable[[AssessmentResult], bytes] = module.render
    return render


def render(result: AssessmentResult, output_format: OutputFormat) -> bytes:
    return renderer(output_format)(result)


def format_for_path(path: Path) -> OutputFormat:
    """The format an output file's extension asks for."""
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(_EXTENSIONS))
        raise RenderError(
            f"{path}: cannot tell the format from the extension '{path.suffix}'"
            f" (known: {known}); pass --format"
        ) from None
