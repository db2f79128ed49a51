"""A readable terminal summary: confidence, scores, findings by severity with their reasons."""

from __future__ import annotations

import textwrap

from gapcheck.assessment import AssessmentResult
from gapcheck.pack import Severity

_WIDTH = 88


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=indent, subsequent_indent=indent + "  "
    ) or [indent]


def render(result: AssessmentResult) -> bytes:
    project = result.project
    lines = [
        f"{project.name} ({project.id}) for {project.client}",
        f"Assessed {result.assessed_on.isoformat()} by {result.assessor};"
        f" {len(result.respondents)} respondent{'s' if len(result.respondents) != 1 else ''};"
        f" pack {result.pack.name} {result.pack.version}",
        "",
        f"Delivery confidence: {result.confidence.upper()}",
        *_wrap(result.justification, "  "),
        "",
        "Scores (0-100):",
    ]
    for area, score in result.scores.items():
        shown = "n/a" if score is None else f"{score:3d}"
        bar = "" if score is None else " " + "#" * round(score / 5)
        lines.append(f"  {area:<16} {shown}{bar}")
    overall = "n/a" if result.overall is None else str(result.overall)
    lines.append(f"  {'overall':<16} {overall:>3}")
    lines.append("")
    if not result.findings:
        lines.append("No findings.")
    for severity in Severity:
        group = [finding for finding in result.findings if finding.severity is severity]
        if not group:
            continue
        lines.append(f"{severity.value.upper()} ({len(group)})")
        for finding in group:
            lines.append(f"  - {finding.title} [{finding.id}, {finding.area}]")
            for reason in finding.because:
                lines.extend(_wrap("because " + reason, "      "))
            first = finding.recommendations[0]
            lines.extend(
                _wrap(f"do: {first.action} ({first.owner}, {first.timeframe.label})", "      ")
            )
        lines.append("")
    return ("\n".join(lines).rstrip() + "\n").encode()
