"""The report's view model: what it shares between reports changes nothing it shows."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

from gapcheck.answers import validate_answers
from gapcheck.assessment import AssessmentResult, assess, assess_file
from gapcheck.loading import parse_document
from gapcheck.pack import load_pack
from gapcheck.report import ReportOptions, build_view
from gapcheck.synthetic import generate_portfolio

ROOT = Path(__file__).parent.parent
FIXED_TIME = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)


@cache
def assessed(name: str) -> AssessmentResult:
    return assess_file(ROOT / "samples" / f"{name}.yaml", with_answers=True)


@cache
def generated() -> tuple[AssessmentResult, ...]:
    pack = load_pack()
    results = []
    for document in generate_portfolio(pack, 40, 2024):
        raw = json.dumps(document).encode("utf-8")
        answers = validate_answers(parse_document(raw, Path("project.json")), pack)
        results.append(assess(answers, pack, with_answers=True))
    return tuple(results)


def test_views_are_the_same_with_and_without_their_caches() -> None:
    """The view model shares what repeats (each recommendation's view, the rating scale)."""
    from gapcheck import report

    options = ReportOptions(pack=load_pack(), generated_at=FIXED_TIME)
    results = [*generated()[:10], assessed("two-respondents-disagree"), assessed("deep-trouble")]
    report._RECOMMENDATION_VIEWS.clear()
    report._rating_scale.cache_clear()
    cold = [build_view(result, options) for result in results]
    warm = [build_view(result, options) for result in results]
    assert cold == warm
    assert report._RECOMMENDATION_VIEWS
    recommendations = [
        rec
        for view in warm
        for group in view.groups
        for finding in group.findings
        for rec in finding.recommendations
    ]
    assert recommendations
    assert all(rec.action and rec.timeframe and rec.effort for rec in recommendations)
    # Every recommendation of every finding, most severe first, then soonest, then as found.
    for view, result in zip(warm, results, strict=True):
        assert [row.priority for row in view.actions] == list(range(1, len(view.actions) + 1))
        assert len(view.actions) == sum(len(finding.recommendations) for finding in result.findings)
        severities = [row.severity for row in view.actions]
        order = ["critical", "high", "medium", "low"]
        assert severities == sorted(severities, key=order.index)
