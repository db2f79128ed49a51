"""The HTML report's direct renderer (``gapcheck.formats.html.render_bundled``) against Jinja.

gapcheck's own HTML report is written without Jinja for speed. These tests hold it to the
bytes Jinja renders from the bundled templates (``gapcheck.report.render_with_jinja``, the
renderer every report went through before): every sample with several brands and page sizes,
generated projects, every optional part left out, and hostile text in every field. They also
check that the direct renderer is only used for templates it was written for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pytest
from markupsafe import Markup

from gapcheck.answers import validate_answers
from gapcheck.assessment import AssessmentResult, assess, assess_file
from gapcheck.formats import OutputFormat, render
from gapcheck.formats import html as html_format
from gapcheck.loading import parse_document
from gapcheck.pack import load_pack
from gapcheck.report import (
    Brand,
    PageSize,
    ReportOptions,
    ReportView,
    build_view,
    environment,
    render_html,
    render_text,
    render_with_jinja,
)
from gapcheck.synthetic import generate_portfolio

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
FIXED_TIME = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
PNG_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
OPTIONS = {
    "default": ReportOptions(generated_at=FIXED_TIME),
    "brand": ReportOptions(
        generated_at=FIXED_TIME,
        brand=Brand("Northgate <Delivery> & 'Advisory'", PNG_URI, "#f5f5dc", "#abcdef"),
    ),
    "logo-only-letter": ReportOptions(
        generated_at=FIXED_TIME, brand=Brand(logo_uri=PNG_URI), page_size=PageSize.letter
    ),
    "firm-only": ReportOptions(generated_at=FIXED_TIME, brand=Brand(firm_name="Firm & Co")),
}


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


def assert_same_as_jinja(view: ReportView) -> None:
    direct = html_format.render_bundled(view)
    assert direct == render_with_jinja(view, "html")


def test_the_bundled_report_is_rendered_directly() -> None:
    digests = html_format.template_digests(environment(None, "html"))
    assert digests == html_format.TRANSLATED_TEMPLATES, (
        "the bundled report templates changed: make gapcheck.formats.html.render_bundled write"
        f" the same, then set TRANSLATED_TEMPLATES to {digests}"
    )
    assert html_format.direct_renderer_applies()


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("sample", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_every_sample_renders_as_with_jinja(sample: Path, options: ReportOptions) -> None:
    view = build_view(assessed(sample.stem), options)
    assert_same_as_jinja(view)
    assert render(assessed(sample.stem), OutputFormat.html, options) == (
        render_with_jinja(view, "html").encode("utf-8")
    )


def test_generated_projects_render_as_with_jinja() -> None:
    pack = load_pack()
    results = generated()
    assert len({result.confidence for result in results}) >= 3
    assert any(result.findings for result in results)
    for result in results:
        assert_same_as_jinja(build_view(result, ReportOptions(pack=pack)))
    # Without the answers appendix (and so without the respondents' agreement).
    for result in results[:5]:
        bare = dataclasses.replace(result, answers=())
        assert_same_as_jinja(build_view(bare, ReportOptions(pack=pack)))


def test_every_optional_part_left_out_renders_as_with_jinja() -> None:
    view = build_view(assessed("two-respondents-disagree"), OPTIONS["default"])
    assert view.agreement is not None
    assert view.chart is not None
    empty = dataclasses.replace(
        view,
        description="",
        overall=None,
        chart=None,
        top_findings=(),
        first_actions=(),
        groups=(),
        actions=(),
        respondents=(),
        agreement=None,
        appendix=(),
        scores=tuple(dataclasses.replace(row, score=None, band="none") for row in view.scores),
    )
    assert_same_as_jinja(empty)
    hollow = dataclasses.replace(
        view,
        groups=tuple(
            dataclasses.replace(
                group,
                findings=tuple(
                    dataclasses.replace(finding, because=(), derived_from=(), recommendations=())
                    for finding in group.findings
                ),
            )
            for group in view.groups
        ),
        appendix=tuple(
            dataclasses.replace(
                section,
                columns=(),
                rows=tuple(dataclasses.replace(row, answers=()) for row in section.rows),
            )
            for section in view.appendix
        ),
    )
    assert hollow.groups
    assert hollow.appendix
    assert_same_as_jinja(hollow)
    no_disagreement = dataclasses.replace(view.agreement, agreed=view.agreement.total, sections=())
    assert_same_as_jinja(dataclasses.replace(view, agreement=no_disagreement))


def hostile(value: Any, text: Any) -> Any:
    """``value`` with every string in it (through dataclasses and tuples) replaced by
    ``text(string)``; numbers, booleans, None and the brand's colours kept."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, tuple):
        return tuple(hostile(item, text) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            item.name: hostile(getattr(value, item.name), text)
            for item in dataclasses.fields(value)
            # A brand's colours are checked as #rrggbb when the brand file is read.
            if not (isinstance(value, Brand) and item.name in ("primary", "accent"))
        }
        return dataclasses.replace(value, **changes)
    return value


@pytest.mark.parametrize(
    "text",
    [
        lambda s: f"<script>alert('{s}')</script> & \"quoted\" &amp; “{s}” \u2028 {s}/x/",
        lambda s: Markup(f"<em>{s}</em> &amp;/"),
        lambda s: "",
    ],
    ids=["hostile-text", "markup", "empty"],
)
@pytest.mark.parametrize("sample", ["injection", "two-respondents-disagree", "deep-trouble"])
def test_hostile_text_in_every_field_renders_as_with_jinja(sample: str, text: Any) -> None:
    view = build_view(assessed(sample), OPTIONS["brand"])
    changed = hostile(view, text)
    assert changed != view
    assert_same_as_jinja(changed)
    if text("x") and not isinstance(text("x"), Markup):
        # The page size is written into the stylesheet as it is (an enum, never text).
        body = html_format.render_bundled(changed).partition("</head>")[2]
        assert "<script>" not in body
        assert "&lt;script&gt;" in body


def test_reports_use_the_direct_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_jinja(*args: object, **kwargs: object) -> str:
        raise AssertionError("rendered through Jinja")

    monkeypatch.setattr("gapcheck.report.render_with_jinja", no_jinja)
    result = assessed("software-launch")
    assert render(result, OutputFormat.html, OPTIONS["default"]).startswith(b"<!DOCTYPE html>")
    assert render_html(result, OPTIONS["default"]).startswith("<!DOCTYPE html>")
    # Markdown and a consultant's templates still go through Jinja.
    with pytest.raises(AssertionError, match="through Jinja"):
        render_text(build_view(result, OPTIONS["default"]), "md")


def test_a_consultants_templates_go_through_jinja(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_direct(view: ReportView) -> str:
        raise AssertionError("rendered directly")

    monkeypatch.setattr(html_format, "render_bundled", no_direct)
    (tmp_path / "report.html").write_text(
        '{% extends "gapcheck/base.html" %}{% block toc %}OURS{% endblock %}', encoding="utf-8"
    )
    html = render_html(assessed("software-launch"), ReportOptions(templates=tmp_path))
    assert "OURS" in html


def test_changed_templates_are_rendered_by_jinja(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_format, "direct_renderer_applies", lambda: False)
    monkeypatch.setattr(html_format, "render_bundled", None)
    html = render_html(assessed("software-launch"), OPTIONS["default"])
    view = build_view(assessed("software-launch"), OPTIONS["default"])
    assert html == render_with_jinja(view, "html")


def dict_environment(**templates: str) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.DictLoader(templates), autoescape=True)


def test_template_digests_follow_the_sources() -> None:
    sources = dict.fromkeys(html_format.TRANSLATED_TEMPLATES, "x")
    digests = html_format.template_digests(dict_environment(**sources))
    changed = html_format.template_digests(dict_environment(**{**sources, "base.html": "y"}))
    assert digests.keys() == changed.keys() == html_format.TRANSLATED_TEMPLATES.keys()
    assert digests["base.html"] != changed["base.html"]
    assert digests["chart.svg"] == changed["chart.svg"]


@pytest.mark.parametrize(
    ("stylesheet", "cacheable"),
    [
        ("body { color: red; }", True),
        ("{% set brand = report.brand %}a { color: {{ brand.accent_ink }}; }", True),
        (
            '{% from "palette.j2" import ink %}a { color: {{ ink }}; } @page { size: '
            "{{ report.page_size }}; }",
            True,
        ),
        ("{% set m = 'x' ~ report.brand.primary ~ ';' %}{{ m }}", True),
        ("{{ report.title }}", False),
        ("{{ report }}", False),
        ("{% set r = report %}{{ r.title }}", False),
        ("{{ report.brand.firm_name | upper }}", False),
        ("{{ range(3) }}", False),
        ("{{ lipsum }}", False),
        ('{% include "other.css" %}', False),
        ('{% from "reads.j2" import x %}{{ x }}', False),
        ('{% from "palette.j2" import ink with context %}{{ ink }}', False),
        ("{% if report.brand.firm_name %}x{% endif %}", False),
        ("{% for c in report.brand.accent %}{{ c }}{% endfor %}", False),
    ],
)
def test_stylesheets_are_cached_only_when_they_read_brand_and_page_size_alone(
    stylesheet: str, cacheable: bool
) -> None:
    env = dict_environment(
        **{
            "sheet.css": stylesheet,
            "palette.j2": '{% set ink = "#111111" %}',
            "reads.j2": "{% set x = report.title %}",
            "other.css": "",
        }
    )
    assert html_format.depends_on_brand_and_page_size_only(env, "sheet.css") is cacheable


def test_the_stylesheets_are_rendered_once_per_brand_and_page_size() -> None:
    result = assessed("healthy-project")
    for options in [*OPTIONS.values(), *OPTIONS.values()]:
        assert_same_as_jinja(build_view(result, options))
    keys = {(options.brand, options.page_size.css) for options in OPTIONS.values()}
    assert keys <= html_format._STYLE_CACHE.keys()


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
