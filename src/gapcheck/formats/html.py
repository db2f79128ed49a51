"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external
resource), readable on a phone and a wide screen, and printable. Templates: ``templates/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gapcheck.report import render_html

if TYPE_CHECKING:
    from gapcheck.assessment import AssessmentResult
    from gapcheck.report import ReportOptions


def render(result: AssessmentResult, options: ReportOptions) -> bytes:
    return render_html(result, options).encode("utf-8")
