"""The Markdown report: the HTML report's content, readable as plain text and on GitHub.
Every value is escaped as literal Markdown text (see ``gapcheck.report.markdown_escape``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gapcheck.report import render_markdown

if TYPE_CHECKING:
    from gapcheck.assessment import AssessmentResult
    from gapcheck.report import ReportOptions


def render(result: AssessmentResult, options: ReportOptions) -> bytes:
    return render_markdown(result, options).encode("utf-8")
