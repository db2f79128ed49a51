"""Reports: every sample in every format, escaping of hostile text, the template sandbox,
brand files, atomic writes, the view model and the Markdown's structure.

The browser (tests/test_reports_browser.py) and the PDF (tests/test_reports_pdf.py) have their
own files; this one needs neither Chromium nor WeasyPrint.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import struct
import zlib
from functools import cache
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path
from typing import Any

import markupsafe
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from gapcheck.assessment import AssessmentResult, assess_file
from gapcheck.cli import main
from gapcheck.errors import InputError, RenderError
from gapcheck.formats import OutputFormat, format_for_path, module_name, render
from gapcheck.report import (
    CONFIDENCE_LABELS,
    Brand,
    PageSize,
    ReportOptions,
    build_view,
    environment,
    escape_output,
    load_brand,
    markdown_escape,
    render_html,
    render_markdown,
)
from tests.helpers import python_output

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
SAMPLE_IDS = [path.stem for path in SAMPLES]
INJECTION = ROOT / "samples" / "injection.yaml"
FIXED_TIME = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
OPTIONS = ReportOptions(generated_at=FIXED_TIME)
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "nologin")


@cache
def assessed(name: str) -> AssessmentResult:
    return assess_file(ROOT / "samples" / f"{name}.yaml", with_answers=True)


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def collapse(text: str) -> str:
    return " ".join(text.split())


class Structure(HTMLParser):
    """Every tag with its attributes, and the document's text, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._raw = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("style", "script"):
            self._raw += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._raw -= 1

    def handle_data(self, data: str) -> None:
        if not self._raw:
            self.text.append(data)

    def names(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def parse(html: str) -> Structure:
    parser = Structure()
    parser.feed(html)
    parser.close()
    return parser


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A small valid PNG, built by hand (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x1f\x3a\x5f" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# --- the format interface ------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", list(OutputFormat), ids=lambda f: f.value)
def test_every_format_has_an_implementation(output_format: OutputFormat) -> None:
    module = import_module(module_name(output_format))
    assert callable(module.render)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.html", OutputFormat.html),
        ("report.HTM", OutputFormat.html),
        ("report.md", OutputFormat.md),
        ("report.pdf", OutputFormat.pdf),
        ("result.json", OutputFormat.json),
        ("summary.txt", OutputFormat.text),
    ],
)
def test_format_from_extension(name: str, expected: OutputFormat) -> None:
    assert format_for_path(Path(name)) is expected


def test_report_formats_are_flagged() -> None:
    assert {f for f in OutputFormat if f.is_report} == {
        OutputFormat.html,
        OutputFormat.md,
        OutputFormat.pdf,
    }
    assert [f for f in OutputFormat if f.is_binary] == [OutputFormat.pdf]


# --- every sample, every text format -------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLE_IDS)
@pytest.mark.parametrize(
    "output_format",
    [OutputFormat.text, OutputFormat.json, OutputFormat.html, OutputFormat.md],
    ids=lambda f: f.value,
)
def test_every_sample_renders_in_every_text_format(
    sample: str, output_format: OutputFormat
) -> None:
    result = assessed(sample)
    data = render(result, output_format, OPTIONS)
    text = data.decode("utf-8")
    assert text.strip()
    if not output_format.is_report:
        return
    if output_format is OutputFormat.html:
        shown = collapse("".join(parse(text).text))
    else:
        shown = collapse(text.replace("\\", ""))
    for finding in result.findings:
        assert collapse(finding.title) in shown, finding.id
        for recommendation in finding.recommendations:
            assert collapse(recommendation.action) in shown
    label = CONFIDENCE_LABELS[result.confidence]
    assert label in shown or label.upper() in shown
    for heading in ("Executive summary", "Scores by area", "Findings", "Action plan", "Appendix"):
        assert heading in shown
    assert result.pack.sha256 in text
    assert result.answers_sha256 in text
    assert "2026-12-01 09:30 UTC" in text


@pytest.mark.parametrize("sample", SAMPLE_IDS)
def test_html_is_self_contained_and_accessible(sample: str) -> None:
    html = render_html(assessed(sample), OPTIONS)
    page = parse(html)
    assert page.names("script") == []
    assert page.names("link") == []
    for name, attrs in page.tags:
        assert not any(key.startswith("on") for key in attrs), (name, attrs)
        for key in ("src", "href", "action", "xlink:href"):
            value = attrs.get(key)
            assert value is None or value.startswith(("#", "data:image/")), (name, key, value)
    assert [attrs.get("lang") for attrs in page.names("html")] == ["en"]
    assert len(page.names("h1")) == 1
    assert any(attrs.get("name") == "viewport" for attrs in page.names("meta"))
    assert any(attrs.get("name") == "author" for attrs in page.names("meta"))
    [svg] = page.names("svg")
    assert svg["role"] == "img"
    assert svg["aria-labelledby"] == "chart-title chart-desc"
    assert len(page.names("polygon")) == 5  # four rings and the scores
    for table in page.names("th"):
        assert table.get("scope") in ("col", "row", "colgroup"), table
    # Screen-only layout sits in a style element WeasyPrint never reads.
    assert [attrs.get("media") for attrs in page.names("style")] == [None, "screen"]
    assert "@page" in html
    assert "counter(page)" in html
    assert "string-set" in html
    assert "break-inside: avoid" in html


def test_html_lists_every_finding_once_as_an_article() -> None:
    result = assessed("deep-trouble")
    page = parse(render_html(result, OPTIONS))
    articles = [attrs["id"] for attrs in page.names("article")]
    assert articles == [f"finding-{finding.id}" for finding in result.findings]


def test_same_result_and_time_give_identical_reports() -> None:
    result = assessed("marketing-campaign")
    assert render_html(result, OPTIONS) == render_html(result, OPTIONS)
    assert render_markdown(result, OPTIONS) == render_markdown(result, OPTIONS)


def test_generation_time_follows_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01 00:00 UTC
    view = build_view(assessed("healthy-project"), ReportOptions())
    assert view.generated_at == "2026-01-01 00:00 UTC"


# --- hostile free text ---------------------------------------------------------------------------


@cache
def injection_texts() -> list[str]:
    """Every free text the injection sample types: project, assessor, respondents, description."""
    data = yaml.safe_load(INJECTION.read_text(encoding="utf-8"))
    texts = [data["project"]["name"], data["project"]["client"], data["assessor"]]
    for person in data["respondents"]:
        texts += [person["name"], person["role"], person["team"]]
    texts.append(data["context"]["description"])
    return texts


def test_injection_sample_is_hostile_enough() -> None:
    joined = " ".join(injection_texts())
    for needle in ("<script>", "{{ 7*7 }}", "{% include '/etc/passwd' %}", "file:///etc/passwd"):
        assert needle in joined
    assert "javascript:" in joined
    assert any(len(word) > 100 for word in joined.split())
    assert assessed("injection").findings, "the report should have findings to show"


def test_injection_html_shows_every_text_as_text() -> None:
    html = render_html(assessed("injection"), OPTIONS)
    page = parse(html)
    shown = collapse("".join(page.text))
    for text in injection_texts():
        assert collapse(text) in shown, text
    # ... and nothing became markup: no script, no image, no link out, no extra style.
    assert page.names("script") == []
    assert page.names("img") == []
    assert all(str(attrs.get("href", "#")).startswith("#") for attrs in page.names("a"))
    assert len(page.names("style")) == 2
    assert page.names("b") == []
    assert len(page.names("table")) >= 2
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in html
    # Jinja syntax in answers is never run: shown verbatim, not 49, not a file.
    assert "{{ 7*7 }}" in html
    assert "{% include &#39;/etc/passwd&#39; %}" in html
    assert "49 Launch" not in html
    assert not any(marker in html for marker in PASSWD_MARKERS)


def test_injection_markdown_escapes_every_text() -> None:
    markdown = render_markdown(assessed("injection"), OPTIONS)
    assert "<" not in markdown.replace("\\<", "")  # no raw tag anywhere
    assert "](javascript:" not in markdown.replace("\\](", "")
    assert "{{ 7\\*7 }}" in markdown
    assert "\\[click me\\](javascript:alert(1))" in markdown
    assert not any(marker in markdown for marker in PASSWD_MARKERS)
    # Unescaped, every text is there as written (on one line).
    unescaped = re.sub(r"\\(.)", r"\1", markdown)
    for text in injection_texts():
        assert collapse(text) in collapse(unescaped), text
    assert_tables_are_well_formed(markdown)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain words", "plain words"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("[a](javascript:x)", "\\[a\\](javascript:x)"),
        ("a | b", "a \\| b"),
        ("*bold* _it_ snake_case", "\\*bold\\* \\_it\\_ snake_case"),
        ("# title", "\\# title"),
        ("- item", "\\- item"),
        ("1. item", "1\\. item"),
        ("version 1.0.0", "version 1.0.0"),
        ("two\nlines", "two lines"),
        ("AT&T &amp; co", "AT&T \\&amp; co"),
        ("see https://example.com", "see https\\://example.com"),
        ("`code`", "\\`code\\`"),
    ],
)
def test_markdown_escape(text: str, escaped: str) -> None:
    assert markdown_escape(text) == escaped


# --- Markdown structure --------------------------------------------------------------------------


def table_cells(line: str) -> int:
    """Cells of a Markdown table row: pipes not escaped with a backslash, less the outer two."""
    return len(re.findall(r"(?<!\\)\|", line)) - 1


def assert_tables_are_well_formed(markdown: str) -> None:
    lines = markdown.splitlines()
    index = 0
    tables = 0
    while index < len(lines):
        if lines[index].startswith("|") and index + 1 < len(lines):
            separator = lines[index + 1]
            assert re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", separator), separator
            width = table_cells(lines[index])
            assert table_cells(separator) == width
            assert index == 0 or lines[index - 1] == "", "a table needs a blank line before it"
            index += 2
            while index < len(lines) and lines[index].startswith("|"):
                assert table_cells(lines[index]) == width, lines[index]
                index += 1
            tables += 1
        index += 1
    assert tables >= 2


@pytest.mark.parametrize("sample", SAMPLE_IDS)
def test_markdown_has_the_same_sections_and_tables(sample: str) -> None:
    result = assessed(sample)
    markdown = render_markdown(result, OPTIONS)
    headings = [line for line in markdown.splitlines() if line.startswith("#")]
    assert headings[0].startswith("# ")
    assert [h for h in headings if h.startswith("## ")][:5] == [
        "## Executive summary",
        "## Scores by area",
        "## Findings",
        "## Action plan",
        headings[[h.startswith("## Respondents") for h in headings].index(True)],
    ]
    assert "## Appendix" in headings
    assert sum(h.startswith("#### ") and ". " in h for h in headings) >= len(result.findings)
    assert_tables_are_well_formed(markdown)
    plan = markdown.split("## Action plan", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in plan.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) == sum(len(finding.recommendations) for finding in result.findings)
    assert "\n\n\n\n" not in markdown
    assert "<" not in markdown.replace("\\<", "")


# --- the view model ------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLE_IDS)
def test_action_plan_is_ordered_by_severity_then_timeframe(sample: str) -> None:
    view = build_view(assessed(sample), OPTIONS)
    severity = {"critical": 0, "high": 1, "medium": 2, "low": 3}
    horizon = {"now": 0, "next 30 days": 1, "next quarter": 2}
    keys = [(severity[row.severity], horizon[row.timeframe]) for row in view.actions]
    assert keys == sorted(keys)
    assert [row.priority for row in view.actions] == list(range(1, len(view.actions) + 1))
    assert view.first_actions == view.actions[:3]
    assert view.top_findings == tuple(f for g in view.groups for f in g.findings)[:3]


def test_top_findings_are_the_most_severe() -> None:
    view = build_view(assessed("deep-trouble"), OPTIONS)
    assert [finding.severity for finding in view.top_findings] == ["critical", "critical", "high"]
    derived = [f for f in view.top_findings if f.derived]
    assert derived
    assert all(f.derived_from for f in derived)


def test_agreement_of_two_respondents() -> None:
    view = build_view(assessed("two-respondents-disagree"), OPTIONS)
    agreement = view.agreement
    assert agreement is not None
    assert agreement.respondents == ("Rebecca Thornton", "Colin Ashworth")
    assert 0 < agreement.disagreements < agreement.total
    questions = {row.question for s in agreement.sections for row in s.disagreements}
    assert {"go_live_date", "execution_owner", "scope_view"} <= questions
    # Two people: nobody is the odd one out.
    assert not any(
        cell.odd for s in agreement.sections for r in s.disagreements for cell in r.cells
    )
    assert build_view(assessed("healthy-project"), OPTIONS).agreement is not None


def test_odd_one_out_of_three_respondents() -> None:
    view = build_view(assessed("marketing-campaign"), OPTIONS)
    assert view.agreement is not None
    rows = [row for s in view.agreement.sections for row in s.disagreements]
    assert any(sum(cell.odd for cell in row.cells) == 1 for row in rows)


def test_radar_chart_stays_inside_its_box() -> None:
    view = build_view(assessed("deep-trouble"), OPTIONS)
    chart = view.chart
    assert chart is not None
    assert len(chart.dots) == len(view.scores) == 6
    for label in chart.labels:
        assert 0 < label.x < chart.width
        assert 10 < label.y < chart.height - 20
        longest = max(len(line) for line in label.lines) * 9  # ~9 units per character
        if label.anchor == "start":
            assert label.x + longest < chart.width, label
        elif label.anchor == "end":
            assert label.x - longest > 0, label
    for point in chart.dots:
        assert 0 <= point.x <= chart.width
        assert 0 <= point.y <= chart.height
    assert "Strategy foundation: 21 of 100" in chart.description


def test_timeframes_map_to_three_horizons() -> None:
    views = [build_view(assessed(sample), OPTIONS) for sample in SAMPLE_IDS]
    horizons = {row.timeframe for view in views for row in view.actions}
    assert horizons <= {"now", "next 30 days", "next quarter"}
    assert len(horizons) == 3
    details = {row.timeframe_detail for view in views for row in view.actions}
    assert details == {"", "within 2 weeks"}


def test_a_result_without_answers_still_renders() -> None:
    result = assess_file(ROOT / "samples" / "two-respondents-disagree.yaml")
    assert result.answers == ()
    html = render_html(result, OPTIONS)
    assert "The answers were not included in this report." in html
    assert build_view(result, OPTIONS).agreement is None


# --- Jinja environments and the sandbox ----------------------------------------------------------


def test_environments_are_cached_per_folder_and_kind(tmp_path: Path) -> None:
    from jinja2.sandbox import SandboxedEnvironment

    assert environment(None, "html") is environment(None, "html")
    assert environment(None, "html") is not environment(None, "md")
    assert not isinstance(environment(None, "html"), SandboxedEnvironment)
    custom = environment(tmp_path, "html")
    assert custom is environment(tmp_path, "html")
    assert isinstance(custom, SandboxedEnvironment)


def test_bundled_templates_found_through_the_package(tmp_path: Path) -> None:
    env = environment(None, "html")
    names = set(env.list_templates())
    for name in ("base.html", "report.html", "base.md", "report.md", "chart.svg", "report.css"):
        assert name in names
    # Rendering does not depend on the working directory.
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        assert "<svg" in render_html(assessed("healthy-project"), OPTIONS)
    finally:
        os.chdir(cwd)


def write_templates(folder: Path, **files: str) -> Path:
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text, encoding="utf-8")
    return folder


def test_consultant_templates_extend_ours(tmp_path: Path) -> None:
    folder = write_templates(
        tmp_path / "firm",
        report__html=(
            '{% extends "gapcheck/base.html" %}\n'
            '{% block extra_sections %}<section id="approach"><h2>Our approach</h2>'
            "<p>Reviewed for {{ report.client }}.</p></section>{% endblock %}\n"
            "{% block colophon %}<footer>Northgate Delivery Advisory</footer>{% endblock %}\n"
        ),
        report__md='{% extends "base.md" %}\n{% block extra_sections %}\n## Our approach\n\n'
        "Reviewed for {{ report.client }}.\n{% endblock %}\n",
    )
    options = ReportOptions(templates=folder, generated_at=FIXED_TIME)
    html = render_html(assessed("injection"), options)
    assert "<h2>Our approach</h2>" in html
    assert "Northgate Delivery Advisory</footer>" in html
    assert (
        "Reviewed for {% include &#39;/etc/passwd&#39; %} &amp; Co &lt;b&gt;Ltd&lt;/b&gt;." in html
    )
    assert "Executive summary" in html  # the rest of our base still renders
    markdown = render_markdown(assessed("injection"), options)
    assert "## Our approach" in markdown
    assert "Reviewed for {% include '/etc/passwd' %} & Co \\<b\\>Ltd\\</b\\>." in markdown


def test_overriding_a_partial_keeps_the_rest(tmp_path: Path) -> None:
    folder = write_templates(
        tmp_path / "colours",
        report__css='{% include "gapcheck/report.css" %}\nh2 { color: #7a0019; }\n',
    )
    html = render_html(assessed("healthy-project"), ReportOptions(templates=folder))
    assert "h2 { color: #7a0019; }" in html
    assert "@page" in html


@pytest.mark.parametrize(
    ("template", "fragments"),
    [
        (
            "{% extends 'gapcheck/base.html' %}\n{% block cover %}\n"
            "{{ ''.__class__.__mro__[1].__subclasses__() }}{% endblock %}",
            ["report.html, line 3", "sandbox"],
        ),
        (
            "{% extends 'gapcheck/base.html' %}\n{% block cover %}\n\n"
            "{{ report.__class__.__init__.__globals__ }}{% endblock %}",
            ["report.html, line 4", "sandbox"],
        ),
        (
            "{% extends 'gapcheck/base.html' %}\n{% block cover %}{{ report.brand.__slots__ }}"
            "{% endblock %}",
            ["report.html, line 2", "sandbox"],
        ),
        ("<p>\n{% if %}\n</p>", ["report.html, line 2"]),
        ("<p>{{ report.no_such_field }}</p>", ["report.html, line 1", "no_such_field"]),
        ("{% include '../../../../../../etc/passwd' %}", ["not found"]),
        ("{% include '/etc/passwd' %}", ["not found"]),
    ],
    ids=["mro", "globals", "dunder", "syntax", "undefined", "traversal", "absolute"],
)
def test_bad_consultant_templates_are_clean_errors(
    tmp_path: Path, template: str, fragments: list[str]
) -> None:
    folder = write_templates(tmp_path / "bad", report__html=template)
    with pytest.raises(RenderError) as caught:
        render_html(assessed("healthy-project"), ReportOptions(templates=folder))
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    assert "root:x:0:0" not in message
    # Through the CLI: exit 2, one "Error:" line naming the template, nothing written.
    out = tmp_path / "report.html"
    result = run(
        "assess", str(ROOT / "samples" / "healthy-project.yaml"), "-o", str(out),
        "--templates", str(folder),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: template ")
    assert "Traceback" not in result.stderr
    assert fragments[0] in result.stderr
    assert not out.exists()


# --- brand files ---------------------------------------------------------------------------------


def write_brand(folder: Path, data: dict[str, Any], name: str = "brand.yaml") -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_brand_with_png_logo(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(png_bytes())
    path = write_brand(
        tmp_path,
        {
            "firm_name": "Northgate <Delivery> Advisory",
            "logo": "logo.png",
            "primary_colour": "#7A0019",
            "accent_colour": "#FFCC33",
        },
    )
    brand = load_brand(path)
    assert brand.primary == "#7a0019"
    assert brand.logo_uri is not None
    assert brand.logo_uri.startswith("data:image/png;base64,")
    assert base64.b64decode(brand.logo_uri.split(",", 1)[1]) == png_bytes()
    assert brand.on_primary == "#ffffff"
    assert brand.accent_ink == "#111827"  # too light for text on white
    html = render_html(assessed("software-launch"), ReportOptions(brand=brand))
    page = parse(html)
    [logo] = page.names("img")
    assert logo["alt"] == "Northgate <Delivery> Advisory logo"
    assert logo["src"] == brand.logo_uri
    assert "Northgate &lt;Delivery&gt; Advisory" in html
    assert "background: #7a0019;" in html
    markdown = render_markdown(assessed("software-launch"), ReportOptions(brand=brand))
    assert "prepared by Northgate \\<Delivery\\> Advisory" in markdown


def test_brand_with_svg_logo_and_light_primary(tmp_path: Path) -> None:
    (tmp_path / "logo.svg").write_text(
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<rect width="10" height="10" fill="#0a0"/></svg>'
    )
    brand = load_brand(write_brand(tmp_path, {"logo": "logo.svg", "primary_colour": "#f5f5dc"}))
    assert brand.logo_uri is not None
    assert brand.logo_uri.startswith("data:image/svg+xml;base64,")
    assert brand.on_primary == "#111827"
    assert brand.firm_name == ""


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ({"primary_colour": "red"}, ["primary_colour", "not a colour", "#rrggbb", "line 1"]),
        (
            {"firm_name": "X", "accent_colour": "#fff; } body { display: none"},
            ["accent_colour", "line 2", "not a colour"],
        ),
        ({"firm_name": "X", "css": "body{}"}, ["css", "not a field of a brand file", "line 2"]),
        ({"firm_name": 42}, ["firm_name", "string"]),
        ({"logo": "missing.png"}, ["logo", "missing.png", "cannot read"]),
        ({"logo": "notes.txt"}, ["logo", "not a PNG, JPEG or SVG image"]),
        ({"logo": "huge.png"}, ["logo", "larger than 1 MiB"]),
    ],
)
def test_bad_brand_files(tmp_path: Path, data: dict[str, Any], fragments: list[str]) -> None:
    (tmp_path / "notes.txt").write_text("<html>not an image</html>")
    (tmp_path / "huge.png").write_bytes(png_bytes() + b"\0" * 1_100_000)
    path = write_brand(tmp_path, data)
    with pytest.raises(InputError) as caught:
        load_brand(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    for fragment in fragments:
        assert fragment in message
    result = run(
        "assess", str(ROOT / "samples" / "healthy-project.yaml"), "-o",
        str(tmp_path / "r.html"), "--brand", str(path),
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {path}")
    assert not (tmp_path / "r.html").exists()


def test_brand_colours_never_reach_css_unvalidated() -> None:
    brand = Brand(primary="#123456", accent="#abcdef")
    html = render_html(assessed("healthy-project"), ReportOptions(brand=brand))
    colours = set(re.findall(r"#[0-9a-fA-F]{6}\b", html))
    assert {"#123456", "#abcdef"} <= colours


# --- CLI -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", ["html", "md", "pdf"])
def test_reports_need_an_output_file(extension: str) -> None:
    result = run("assess", str(SAMPLES[0]), "--format", extension)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: a {extension} report is written to a file: pass -o report.{extension}"
        " (or -o - for standard output)\n"
    )


def test_pdf_is_never_written_to_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("gapcheck.cli._stdout_is_terminal", lambda: True)
    result = run("assess", str(SAMPLES[0]), "--format", "pdf", "-o", "-")
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: a pdf report is binary and is not written to a terminal: pass -o report.pdf,"
        " or redirect standard output\n"
    )


def test_markdown_to_standard_output() -> None:
    result = run(
        "assess", str(ROOT / "samples" / "healthy-project.yaml"), "-o", "-", "--format", "md"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Responsive repairs insourcing\n")
    assert result.stderr == ""


def test_dash_without_format_is_the_text_summary() -> None:
    result = run("assess", str(ROOT / "samples" / "healthy-project.yaml"), "-o", "-")
    assert result.exit_code == 0
    assert "Delivery confidence: GREEN" in result.stdout


def test_report_options_only_for_reports() -> None:
    result = run("assess", str(SAMPLES[0]), "--format", "json", "--page-size", "letter")
    assert result.exit_code == 2
    assert result.stderr == "Error: --page-size: only for html, md and pdf reports, not json\n"


@pytest.mark.parametrize("extension", ["html", "htm", "md"])
def test_cli_writes_reports_by_extension(tmp_path: Path, extension: str) -> None:
    out = tmp_path / f"report.{extension}"
    result = run("assess", str(ROOT / "samples" / "deep-trouble.yaml"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"corran-care-case-management: red, 27 findings -> {out}\n"
    text = out.read_text(encoding="utf-8")
    assert "Adult social care case management replacement" in text
    assert "Scale" in text or "scale" in text
    assert [path.name for path in tmp_path.iterdir()] == [out.name]


def test_assess_help_imports_neither_jinja_nor_weasyprint() -> None:
    code = (
        "import sys; from gapcheck.cli import main\n"
        "try:\n    main(['assess', '--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('jinja2', 'weasyprint', 'gapcheck.report')\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules])"
    )
    output = python_output(code)
    assert "HEAVY []" in output
    assert "html, md, pdf" in output


# --- atomic writes -------------------------------------------------------------------------------


def test_a_failure_mid_render_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk on fire half way through")

    monkeypatch.setattr("gapcheck.report.render_text", explode)
    out = tmp_path / "report.html"
    result = run("assess", str(SAMPLES[0]), "-o", str(out))
    assert result.exit_code == 70
    assert list(tmp_path.iterdir()) == []


def test_an_interrupted_write_leaves_the_old_report_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "report.md"
    out.write_text("the previous report\n")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    result = run("assess", str(SAMPLES[0]), "-o", str(out))
    assert result.exit_code == 130
    assert [path.name for path in tmp_path.iterdir()] == ["report.md"]
    assert out.read_text() == "the previous report\n"


def test_a_failed_write_is_a_clean_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    out = tmp_path / "report.html"
    result = run("assess", str(SAMPLES[0]), "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {out}: cannot write: No space left on device\n"
    assert list(tmp_path.iterdir()) == []


def test_page_size_reaches_the_css() -> None:
    letter = render_html(assessed("healthy-project"), ReportOptions(page_size=PageSize.letter))
    assert "size: letter;" in letter
    assert "size: A4;" in render_html(assessed("healthy-project"), OPTIONS)


# --- the documentation ----------------------------------------------------------------------------

DOCS = ROOT / "docs" / "reports.md"


def template_blocks(name: str) -> set[str]:
    text = (ROOT / "templates" / name).read_text(encoding="utf-8")
    return set(re.findall(r"{%-?\s*block\s+(\w+)", text))


def test_every_block_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    table = docs.split("### Blocks", 1)[1].split("###", 1)[0]
    first_cells = re.findall(r"^\| ([^|]+) \|", table, flags=re.M)
    documented_html = {name for cell in first_cells for name in re.findall(r"`(\w+)`", cell)}
    assert documented_html == template_blocks("base.html")
    md_line = next(line for line in table.splitlines() if line.startswith("`base.md` has"))
    md_paragraph = table[table.index(md_line) :].split("\n\n", 1)[0]
    assert set(re.findall(r"`(\w+)`", md_paragraph)) - {"base"} == template_blocks("base.md")


def test_the_documented_override_works(tmp_path: Path) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    example = docs.split("```jinja\n", 1)[1].split("```", 1)[0]
    folder = write_templates(tmp_path / "docs-example", report__html=example)
    html = render_html(assessed("injection"), ReportOptions(templates=folder))
    assert "<h2>Our approach</h2>" in html
    assert "We interviewed 2 people at {% include &#39;/etc/passwd&#39; %} &amp; Co" in html
    assert "h2 { letter-spacing: .02em; }" in html
    assert "Northgate Delivery Advisory · 14 Quay Street, Bristol" in html
    assert "Scores by area" in html


# --- escape_output: markupsafe's escaping, as a plain str ------------------------------------


class _WithHtml:
    def __html__(self) -> str:
        return "<b>safe</b>"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("&<>'\"ab é\n\x00日")) | st.characters()))
def test_escape_output_escapes_text_as_markupsafe_does(text: str) -> None:
    assert escape_output(text) == str(markupsafe.escape(text))
    assert type(escape_output(text)) is str


@pytest.mark.parametrize(
    "value",
    [0, -3, 2.5, None, True, markupsafe.Markup("<i>ok</i> &amp;"), _WithHtml(), ["<x>"], "'\""],
)
def test_escape_output_of_other_values_is_markupsafes(value: object) -> None:
    assert escape_output(value) == str(markupsafe.escape(value))


def test_our_templates_output_through_escape_output_and_consultants_through_markupsafe(
    tmp_path: Path,
) -> None:
    ours = environment(None, "html")
    assert "environment.escape_output(" in ours.compile("{{ name }}", raw=True)
    assert ours.from_string("{{ name }}").render(name="<b>") == "&lt;b&gt;"
    assert ours.escape_output is escape_output  # type: ignore[attr-defined]
    (tmp_path / "report.html").write_text("{{ report.project.name }}")
    theirs = environment(tmp_path, "html")
    assert "escape_output" not in theirs.compile("{{ name }}", raw=True)
    template = theirs.get_template("report.html")
    assert template.render(report={"project": {"name": "<b>"}}) == "&lt;b&gt;"
