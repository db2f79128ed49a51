"""Output formats behind one small interface: ``render(result, format, options) -> bytes``.

Each format is a module under ``gapcheck.formats`` with a ``render`` function, imported only
when that format is used. Machine formats (text, json) take the result alone; the reports a
client reads (html, md, pdf) also take :class:`gapcheck.report.ReportOptions` (templates,
brand, page size). This module imports nothing heavy, so the CLI can offer the formats in
``--help`` without slowing its start.
"""

from __future__ import annotations

from enum import Enum
from importlib import import_module
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pathlib import Path

    from gapcheck.assessment import AssessmentResult
    from gapcheck.report import ReportOptions


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    html = "html"
    md = "md"
    pdf = "pdf"

    @property
    def is_report(self) -> bool:
        """A report a client reads, rendered from templates: takes ReportOptions."""
        return self in _REPORTS

    @property
    def is_binary(self) -> bool:
        return self is OutputFormat.pdf


_REPORTS = frozenset({OutputFormat.html, OutputFormat.md, OutputFormat.pdf})

#: Module under gapcheck.formats implementing each format's ``render``.
_MODULES = {
    OutputFormat.text: "text",
    OutputFormat.json: "json_format",
    OutputFormat.html: "html",
    OutputFormat.md: "markdown",
    OutputFormat.pdf: "pdf",
}

_EXTENSIONS = {
    ".txt": OutputFormat.text,
    ".json": OutputFormat.json,
    ".html": OutputFormat.html,
    ".htm": OutputFormat.html,
    ".md": OutputFormat.md,
    ".markdown": OutputFormat.md,
    ".pdf": OutputFormat.pdf,
}


class _Render(Protocol):
    def __call__(self, result: AssessmentResult) -> bytes: ...


class _RenderReport(Protocol):
    def __call__(self, result: AssessmentResult, options: ReportOptions) -> bytes: ...


def module_name(output_format: OutputFormat) -> str:
    return f"gapcheck.formats.{_MODULES[output_format]}"


def render(
    result: AssessmentResult,
    output_format: OutputFormat,
    options: ReportOptions | None = None,
) -> bytes:
    """Render a result in a format; reports use ``options`` (default: gapcheck's own report)."""
    module = import_module(module_name(output_format))
    if output_format.is_report:
        if options is None:
            from gapcheck.report import ReportOptions  # noqa: PLC0415 - heavy: jinja2

            options = ReportOptions()
        report: _RenderReport = module.render
        return report(result, options)
    plain: _Render = module.render
    return plain(result)


def format_for_path(path: Path) -> OutputFormat:
    """The format an output file's extension asks for."""
    try:
        return _EXTENSIONS[path.suffix.lower()]
    except KeyError:
        from gapcheck.errors import RenderError  # noqa: PLC0415 - keeps --help light

        known = ", ".join(sorted(_EXTENSIONS))
        raise RenderError(
            f"{path}: cannot tell the format from the extension '{path.suffix}'"
            f" (known: {known}); pass --format"
        ) from None
