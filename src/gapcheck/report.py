"""Reports a client executive reads: the view model and the Jinja environments behind them.

``build_view(result, options)`` turns an :class:`~gapcheck.assessment.AssessmentResult` and
its pack into a :class:`ReportView`: plain frozen dataclasses holding everything the
templates show, already ordered and computed (the three findings that matter most, the
action plan sorted by priority, the radar chart's geometry, the respondents' agreement).
Templates only lay it out; escaping stays in Jinja.

``render_html`` and ``render_markdown`` render the bundled templates (``templates/``, found
through ``jinja2.PackageLoader`` only). With ``--templates DIR`` a consultant's folder comes
first and everything runs in Jinja's immutable sandbox. Environments and compiled templates
are cached per templates folder. Every template problem becomes a :class:`RenderError`
naming the template file and line.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import math
import operator
import os
import re
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gapcheck.assessment import AnswerRow, AssessmentResult, Finding
from gapcheck.errors import InputError, Problem, RenderError
from gapcheck.loading import read_document
from gapcheck.pack import Pack, Recommendation, Scope, Severity, Timeframe, load_pack

# --- Options and brand --------------------------------------------------------------------


class PageSize(str, Enum):
    a4 = "a4"
    letter = "letter"

    @property
    def css(self) -> str:
        return "A4" if self is PageSize.a4 else "letter"


COLOUR = r"^#[0-9a-fA-F]{6}$"
MAX_LOGO_BYTES = 1_048_576
DEFAULT_PRIMARY = "#1f3a5f"
DEFAULT_ACCENT = "#0f766e"


class BrandFile(BaseModel):
    """A consultant's brand file (YAML or JSON): firm name, logo, two colours. Nothing else:
    colours are validated as #rrggbb and a logo is embedded, so no raw CSS or URL gets in."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    firm_name: str = Field(default="", max_length=120)
    #: A PNG, JPEG or SVG file under 1 MiB, relative to the brand file's folder.
    logo: str | None = Field(default=None, min_length=1, max_length=1000)
    primary_colour: str = Field(default=DEFAULT_PRIMARY, pattern=COLOUR)
    accent_colour: str = Field(default=DEFAULT_ACCENT, pattern=COLOUR)


@dataclass(frozen=True, slots=True)
class Brand:
    """A checked brand, ready for the templates."""

    firm_name: str = ""
    #: The logo as a data: URI (image/png, image/jpeg or image/svg+xml), or None.
    logo_uri: str | None = None
    primary: str = DEFAULT_PRIMARY
    accent: str = DEFAULT_ACCENT

    @property
    def on_primary(self) -> str:
        """Text colour on the primary colour: whichever of white or near-black reads better."""
        return "#ffffff" if _contrast(self.primary, "#ffffff") >= 4.5 else "#111827"

    @property
    def primary_ink(self) -> str:
        """The primary colour for text on white, or near-black when it is too light to read."""
        return self.primary if _contrast(self.primary, "#ffffff") >= 4.5 else "#111827"

    @property
    def accent_ink(self) -> str:
        return self.accent if _contrast(self.accent, "#ffffff") >= 4.5 else "#111827"


def _luminance(colour: str) -> float:
    channels = [int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


_LOGO_TYPES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
_SVG_START = re.compile(
    rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg\b", re.S
)


def logo_mime_type(data: bytes) -> str | None:
    """The image type of a logo by its content (not its name): PNG, JPEG or SVG; else None."""
    for magic, mime in _LOGO_TYPES:
        if data.startswith(magic):
            return mime
    if _SVG_START.match(data.lstrip(b"\xef\xbb\xbf")):
        return "image/svg+xml"
    return None


def load_brand(path: Path) -> Brand:
    """Read and check a brand file; InputError (file, line, field) on anything wrong."""
    document = read_document(path)
    try:
        brand = BrandFile.model_validate(document.data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            location = tuple(part for part in item["loc"] if isinstance(part, (str, int)))
            name = ".".join(str(part) for part in location)
            expected = None
            if item["type"] == "extra_forbidden":
                message = "not a field of a brand file"
                expected = "firm_name, logo, primary_colour, accent_colour"
            elif item["type"] == "string_pattern_mismatch":
                message = f"{item['input']!r} is not a colour"
                expected = "#rrggbb, for example #1f3a5f"
            else:
                message = item["msg"]
            problems.append(
                Problem(message, field=name, line=document.line_of(location), expected=expected)
            )
        raise InputError(path, problems) from error
    logo_uri = None
    if brand.logo is not None:
        logo_uri = _logo_uri(path, brand.logo, document.line_of(("logo",)))
    return Brand(
        brand.firm_name, logo_uri, brand.primary_colour.lower(), brand.accent_colour.lower()
    )


def _logo_uri(brand_path: Path, logo: str, line: int | None) -> str:
    logo_path = brand_path.parent / logo

    def fail(message: str) -> InputError:
        return InputError.single(
            brand_path,
            f"{logo_path}: {message}",
            field="logo",
            line=line,
            expected="a PNG, JPEG or SVG file under 1 MiB, relative to the brand file",
        )

    try:
        with logo_path.open("rb") as stream:
            data = stream.read(MAX_LOGO_BYTES + 1)
    except OSError as error:
        raise fail(f"cannot read: {error.strerror or error}") from error
    if len(data) > MAX_LOGO_BYTES:
        raise fail("the logo is larger than 1 MiB")
    mime = logo_mime_type(data)
    if mime is None:
        raise fail("not a PNG, JPEG or SVG image")
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How to render a report; the defaults give gapcheck's own report."""

    templates: Path | None = None
    brand: Brand = field(default_factory=Brand)
    page_size: PageSize = PageSize.a4
    #: The pack the result was assessed with; default: the bundled pack.
    pack: Pack | None = None
    #: When the report is generated; default: now (or SOURCE_DATE_EPOCH, for reproducible builds).
    generated_at: dt.datetime | None = None


# --- The view model -------------------------------------------------------------------------

SEVERITY_LABELS = {
    Severity.critical: "Critical",
    Severity.high: "High",
    Severity.medium: "Medium",
    Severity.low: "Low",
}
CONFIDENCE_LABELS = {
    "green": "Green",
    "amber-green": "Amber/Green",
    "amber": "Amber",
    "amber-red": "Amber/Red",
    "red": "Red",
}
#: What each rating means, in the words of the Gateway review scale.
CONFIDENCE_MEANINGS = {
    "green": "Successful delivery appears highly likely.",
    "amber-green": "Successful delivery appears probable; constant attention needed.",
    "amber": "Successful delivery appears feasible; significant issues need management attention.",
    "amber-red": "Successful delivery is in doubt; major risks need urgent action.",
    "red": "Successful delivery appears unachievable without urgent action.",
}
#: The action plan's three horizons.
TIMEFRAME_BUCKETS = {
    Timeframe.now: "now",
    Timeframe.next_2_weeks: "next 30 days",
    Timeframe.next_30_days: "next 30 days",
    Timeframe.next_quarter: "next quarter",
}
#: Where a recommendation's own timeframe is finer than its horizon.
_TIMEFRAME_DETAIL = {Timeframe.next_2_weeks: "within 2 weeks"}
_TIMEFRAME_ORDER = {timeframe: index for index, timeframe in enumerate(Timeframe)}


@dataclass(frozen=True, slots=True)
class RatingStep:
    rating: str
    label: str
    meaning: str
    current: bool


@dataclass(frozen=True, slots=True)
class ConfidenceView:
    rating: str
    label: str
    meaning: str
    justification: str
    scale: tuple[RatingStep, ...]


@dataclass(frozen=True, slots=True)
class RecommendationView:
    action: str
    owner: str
    #: now / next 30 days / next quarter
    timeframe: str
    #: The recommendation's own timeframe when finer than its horizon ("next 2 weeks"), else "".
    timeframe_detail: str
    effort: str


@dataclass(frozen=True, slots=True)
class FindingRef:
    anchor: str
    title: str


@dataclass(frozen=True, slots=True)
class FindingView:
    id: str
    anchor: str
    number: int
    title: str
    severity: str
    severity_label: str
    area: str
    area_title: str
    why: str
    source: str
    derived: bool
    because: tuple[str, ...]
    derived_from: tuple[FindingRef, ...]
    recommendations: tuple[RecommendationView, ...]


@dataclass(frozen=True, slots=True)
class SeverityGroup:
    severity: str
    label: str
    findings: tuple[FindingView, ...]


@dataclass(frozen=True, slots=True)
class ActionRow:
    priority: int
    action: str
    owner: str
    timeframe: str
    timeframe_detail: str
    effort: str
    finding: FindingRef
    severity: str
    severity_label: str


@dataclass(frozen=True, slots=True)
class ScoreRow:
    area: str
    title: str
    description: str
    score: int | None
    #: strong (75+), fair (50-74), weak (below 50), none (not scored)
    band: str
    #: The score as ten blocks for text formats, e.g. "███████░░░".
    bar: str


@dataclass(frozen=True, slots=True)
class ChartLabel:
    x: float
    y: float
    anchor: Literal["start", "middle", "end"]
    lines: tuple[str, ...]
    score: str


@dataclass(frozen=True, slots=True)
class ChartPoint:
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class ChartView:
    """An inline SVG radar chart: every coordinate computed here, drawn by ``chart.svg``."""

    width: int
    height: int
    centre: ChartPoint
    #: Grid polygons at 25, 50, 75 and 100, as SVG points lists.
    rings: tuple[str, ...]
    ring_labels: tuple[tuple[ChartPoint, str], ...]
    axes: tuple[ChartPoint, ...]
    shape: str
    dots: tuple[ChartPoint, ...]
    labels: tuple[ChartLabel, ...]
    #: The chart in words, for screen readers.
    description: str


@dataclass(frozen=True, slots=True)
class AnswerCell:
    text: str
    #: Whether this answer differs from an answer most respondents gave.
    odd: bool


@dataclass(frozen=True, slots=True)
class DisagreementRow:
    question: str
    text: str
    cells: tuple[AnswerCell, ...]


@dataclass(frozen=True, slots=True)
class AgreementSection:
    title: str
    agreed: int
    total: int
    disagreements: tuple[DisagreementRow, ...]


@dataclass(frozen=True, slots=True)
class AgreementView:
    respondents: tuple[str, ...]
    agreed: int
    total: int
    sections: tuple[AgreementSection, ...]

    @property
    def disagreements(self) -> int:
        return self.total - self.agreed


@dataclass(frozen=True, slots=True)
class AppendixSection:
    id: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[AnswerRow, ...]


@dataclass(frozen=True, slots=True)
class RespondentView:
    name: str
    role: str
    team: str


@dataclass(frozen=True, slots=True)
class CountView:
    severity: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class ReportView:
    """Everything a report shows; templates receive it as ``report``."""

    title: str
    project_id: str
    project_name: str
    client: str
    assessor: str
    assessed_on: str
    description: str
    pack_name: str
    pack_title: str
    pack_version: str
    pack_sha256: str
    pack_source: str
    answers_sha256: str
    generator: str
    generated_at: str
    generated_iso: str
    page_size: str
    brand: Brand
    confidence: ConfidenceView
    overall: int | None
    counts: tuple[CountView, ...]
    finding_count: int
    top_findings: tuple[FindingView, ...]
    first_actions: tuple[ActionRow, ...]
    scores: tuple[ScoreRow, ...]
    chart: ChartView | None
    groups: tuple[SeverityGroup, ...]
    actions: tuple[ActionRow, ...]
    respondents: tuple[RespondentView, ...]
    agreement: AgreementView | None
    appendix: tuple[AppendixSection, ...]


def build_view(result: AssessmentResult, options: ReportOptions | None = None) -> ReportView:
    """The report's content, computed once from a result (with answers) and its pack."""
    options = options or ReportOptions()
    pack = options.pack or load_pack()
    areas = {area.id: area for area in pack.meta.areas}
    titles = {finding.id: finding.title for finding in result.findings}

    findings = tuple(
        _finding_view(finding, number, areas[finding.area].title, titles)
        for number, finding in enumerate(result.findings, start=1)
    )
    groups = tuple(
        SeverityGroup(value, SEVERITY_LABELS[severity], group)
        for severity, value in _SEVERITY_VALUES.items()
        if (group := tuple(f for f in findings if f.severity == value))
    )
    actions = _action_plan(result.findings, findings)
    scores = tuple(
        ScoreRow(
            area,
            areas[area].title,
            areas[area].description,
            score,
            _band(score),
            _blocks(score),
        )
        for area, score in result.scores.items()
    )
    respondents = tuple(RespondentView(r.name, r.role, r.team) for r in result.respondents)
    labels = tuple(r.name for r in result.respondents)
    generated = _generated_at(options.generated_at)
    rating = result.confidence
    return ReportView(
        title=f"{result.project.name}: delivery confidence review",
        project_id=result.project.id,
        project_name=result.project.name,
        client=result.project.client,
        assessor=result.assessor,
        assessed_on=_long_date(result.assessed_on),
        description=_description(result),
        pack_name=result.pack.name,
        pack_title=pack.meta.title,
        pack_version=result.pack.version,
        pack_sha256=result.pack.sha256,
        pack_source=pack.meta.source,
        answers_sha256=result.answers_sha256,
        generator=result.generator,
        generated_at=generated.strftime("%Y-%m-%d %H:%M UTC"),
        generated_iso=generated.isoformat(),
        page_size=options.page_size.css,
        brand=options.brand,
        confidence=ConfidenceView(
            rating,
            CONFIDENCE_LABELS.get(rating, rating),
            CONFIDENCE_MEANINGS.get(rating, ""),
            result.justification,
            _rating_scale(rating),
        ),
        overall=result.overall,
        counts=tuple(
            CountView(severity.value, SEVERITY_LABELS[severity], result.counts[severity.value])
            for severity in Severity
        ),
        finding_count=len(findings),
        top_findings=findings[:3],
        first_actions=actions[:3],
        scores=scores,
        chart=radar_chart(scores) if len(scores) >= 3 else None,
        groups=groups,
        actions=actions,
        respondents=respondents,
        agreement=_agreement(result, labels) if len(labels) > 1 and result.answers else None,
        appendix=tuple(
            AppendixSection(
                section.id,
                section.title,
                ("Project",) if section.scope is Scope.project else labels,
                section.rows,
            )
            for section in result.answers
        ),
    )


#: By enum member: quicker than the members' ``value`` and ``rank`` properties, per finding.
_SEVERITY_VALUES = {severity: severity.value for severity in Severity}
_SEVERITY_RANKS = {severity: severity.rank for severity in Severity}


def _finding_view(
    finding: Finding, number: int, area_title: str, titles: Mapping[str, str]
) -> FindingView:
    return FindingView(
        id=finding.id,
        anchor=f"finding-{finding.id}",
        number=number,
        title=finding.title,
        severity=_SEVERITY_VALUES[finding.severity],
        severity_label=SEVERITY_LABELS[finding.severity],
        area=finding.area,
        area_title=area_title,
        why=finding.why,
        source=finding.source,
        derived=finding.derived,
        because=finding.because,
        derived_from=tuple(
            FindingRef(f"finding-{fid}", titles.get(fid, fid)) for fid in finding.derived_from
        ),
        recommendations=tuple(map(_recommendation_view, finding.recommendations)),
    )


#: Each recommendation of the pack as shown, by the identity of the (frozen) recommendation:
#: the same few hundred come back in every report.
_RECOMMENDATION_VIEWS: dict[int, tuple[Recommendation, RecommendationView]] = {}
_RECOMMENDATION_VIEWS_SIZE = 4096


def _recommendation_view(rec: Recommendation) -> RecommendationView:
    cached = _RECOMMENDATION_VIEWS.get(id(rec))
    if cached is not None and cached[0] is rec:
        return cached[1]
    view = RecommendationView(
        rec.action,
        rec.owner,
        TIMEFRAME_BUCKETS[rec.timeframe],
        _TIMEFRAME_DETAIL.get(rec.timeframe, ""),
        rec.effort.value,
    )
    if len(_RECOMMENDATION_VIEWS) >= _RECOMMENDATION_VIEWS_SIZE:
        _RECOMMENDATION_VIEWS.clear()
    # The recommendation is kept with its view, so its id is not reused while cached.
    _RECOMMENDATION_VIEWS[id(rec)] = (rec, view)
    return view


def _action_plan(
    findings: Sequence[Finding], views: Sequence[FindingView]
) -> tuple[ActionRow, ...]:
    """Every recommendation, most severe finding first, then soonest timeframe, then as found."""
    keyed: list[tuple[int, int, FindingRef, FindingView, RecommendationView]] = []
    for finding, view in zip(findings, views, strict=True):
        rank = _SEVERITY_RANKS[finding.severity]
        ref = FindingRef(view.anchor, view.title)
        keyed.extend(
            (rank, _TIMEFRAME_ORDER[rec.timeframe], ref, view, rec_view)
            for rec, rec_view in zip(finding.recommendations, view.recommendations, strict=True)
        )
    # A stable sort: equal severity and timeframe stay as found.
    keyed.sort(key=operator.itemgetter(0, 1))
    return tuple(
        ActionRow(
            priority=priority,
            action=rec.action,
            owner=rec.owner,
            timeframe=rec.timeframe,
            timeframe_detail=rec.timeframe_detail,
            effort=rec.effort,
            finding=ref,
            severity=view.severity,
            severity_label=view.severity_label,
        )
        for priority, (_, _, ref, view, rec) in enumerate(keyed, start=1)
    )


@functools.lru_cache(maxsize=16)
def _rating_scale(rating: str) -> tuple[RatingStep, ...]:
    return tuple(
        RatingStep(step, label, CONFIDENCE_MEANINGS[step], step == rating)
        for step, label in CONFIDENCE_LABELS.items()
    )


def _band(score: int | None) -> str:
    if score is None:
        return "none"
    if score >= 75:
        return "strong"
    return "fair" if score >= 50 else "weak"


def _blocks(score: int | None) -> str:
    if score is None:
        return ""
    filled = round(score / 10)
    return "█" * filled + "░" * (10 - filled)


def _description(result: AssessmentResult) -> str:
    for section in result.answers:
        if section.scope is Scope.project:
            for row in section.rows:
                if row.question == "description" and row.answers:
                    text = row.answers[0]
                    return "" if text in ("no answer", "don't know", "not applicable") else text
    return ""


def _agreement(result: AssessmentResult, labels: tuple[str, ...]) -> AgreementView:
    sections = tuple(
        AgreementSection(
            section.title,
            sum(row.agree for row in section.rows),
            len(section.rows),
            tuple(_disagreement(row) for row in section.rows if not row.agree),
        )
        for section in result.answers
        if section.scope is Scope.respondent
    )
    return AgreementView(
        labels,
        sum(section.agreed for section in sections),
        sum(section.total for section in sections),
        tuple(section for section in sections if section.disagreements),
    )


def _disagreement(row: AnswerRow) -> DisagreementRow:
    """A question the respondents answered differently; where most of them gave one answer,
    the others are marked as the odd ones out."""
    counts: dict[str, int] = {}
    for answer in row.answers:
        counts[answer] = counts.get(answer, 0) + 1
    common, times = max(counts.items(), key=lambda item: item[1])
    majority = common if times * 2 > len(row.answers) else None
    return DisagreementRow(
        row.question,
        row.text,
        tuple(AnswerCell(a, majority is not None and a != majority) for a in row.answers),
    )


def _generated_at(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
        value = (
            dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
            if epoch.isdigit()
            else dt.datetime.now(dt.timezone.utc)
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).replace(microsecond=0)


def _long_date(value: dt.date) -> str:
    return f"{value.day} {value.strftime('%B %Y')}"


# --- The radar chart ------------------------------------------------------------------------

_CHART_WIDTH = 580
_CHART_HEIGHT = 450
_RADIUS = 128
_LABEL_GAP = 14
_LABEL_WIDTH = 17  # characters per label line
_LINE = 17  # label line height


def _at(count: int, index: int, fraction: float) -> ChartPoint:
    """The point at ``fraction`` of the radius on axis ``index`` of ``count`` (first at 12)."""
    angle = -math.pi / 2 + 2 * math.pi * index / count
    return ChartPoint(
        round(_CHART_WIDTH / 2 + math.cos(angle) * _RADIUS * fraction, 1),
        round(_CHART_HEIGHT / 2 + math.sin(angle) * _RADIUS * fraction, 1),
    )


@dataclass(frozen=True, slots=True)
class _Frame:
    rings: tuple[str, ...]
    ring_labels: tuple[tuple[ChartPoint, str], ...]
    axes: tuple[ChartPoint, ...]
    #: Per axis: the label's x, y and anchor, and its lines.
    labels: tuple[tuple[float, float, Literal["start", "middle", "end"], tuple[str, ...]], ...]


@functools.lru_cache(maxsize=64)
def _frame(titles: tuple[str, ...]) -> _Frame:
    """What does not depend on the scores: rings, axes and labels (cached per set of areas)."""
    count = len(titles)
    cx, cy = _CHART_WIDTH / 2, _CHART_HEIGHT / 2
    rings = tuple(
        " ".join(f"{p.x:g},{p.y:g}" for p in (_at(count, i, level / 4) for i in range(count)))
        for level in range(1, 5)
    )
    ring_labels = tuple(
        (ChartPoint(round(cx + 4, 1), round(cy - _RADIUS * level / 4 + 11, 1)), str(level * 25))
        for level in range(1, 5)
    )
    labels = []
    for index, title in enumerate(titles):
        edge = _at(count, index, (_RADIUS + _LABEL_GAP) / _RADIUS)
        dx = edge.x - cx
        anchor: Literal["start", "middle", "end"] = (
            "middle" if abs(dx) < 1 else ("start" if dx > 0 else "end")
        )
        lines = tuple(_wrap_label(title))
        # The y of the first line's baseline; the lines and then the score go down from it.
        # Labels above the centre end at the chart, labels below start at it, side labels
        # are centred on their axis.
        if anchor != "middle":
            y = edge.y - len(lines) * _LINE / 2 + 5
        elif edge.y < cy:
            y = edge.y - len(lines) * _LINE - 4
        else:
            y = edge.y + 16
        labels.append((edge.x, round(y, 1), anchor, lines))
    return _Frame(rings, ring_labels, tuple(_at(count, i, 1) for i in range(count)), tuple(labels))


def radar_chart(scores: Sequence[ScoreRow]) -> ChartView:
    """The geometry of a radar chart of the area scores (an unscored area is drawn at 0)."""
    count = len(scores)
    frame = _frame(tuple(row.title for row in scores))
    dots = tuple(_at(count, index, (row.score or 0) / 100) for index, row in enumerate(scores))
    description = "; ".join(
        f"{row.title}: {'not scored' if row.score is None else f'{row.score} of 100'}"
        for row in scores
    )
    return ChartView(
        width=_CHART_WIDTH,
        height=_CHART_HEIGHT,
        centre=ChartPoint(_CHART_WIDTH / 2, _CHART_HEIGHT / 2),
        rings=frame.rings,
        ring_labels=frame.ring_labels,
        axes=frame.axes,
        shape=" ".join(f"{dot.x:g},{dot.y:g}" for dot in dots),
        dots=dots,
        labels=tuple(
            ChartLabel(x, y, anchor, lines, "n/a" if row.score is None else str(row.score))
            for (x, y, anchor, lines), row in zip(frame.labels, scores, strict=True)
        ),
        description=f"Radar chart of the scores per area, 0 to 100: {description}.",
    )


def _wrap_label(text: str) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= _LABEL_WIDTH:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [text]


# --- Jinja ----------------------------------------------------------------------------------

Kind = Literal["html", "md"]
_TEMPLATES = {"html": "report.html", "md": "report.md"}

# Backslash-escaped wherever they are: emphasis, code, links, HTML, tables, headings,
# strikethrough; "_" only at a word's edge (inside a word it is literal); "&" only where it
# would start an entity.
_MD_SPECIAL = re.compile(r"[\\`*\[\]<>|~#]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])|&(?=#?[0-9A-Za-z]+;)")
# GitHub turns bare URLs and e-mail addresses into links: break the patterns it looks for.
_MD_AUTOLINK = re.compile(r"(?<=[A-Za-z])(?=://)|(?<=\bwww)(?=\.)|(?=@)", re.IGNORECASE)
# A list marker at the very start of a value ("- x", "+ x", "1. x", "1) x").
_MD_LIST_START = re.compile(r"^(?:[-+]|\d{1,9}[.)])(?=\s|$)")


def markdown_escape(value: object) -> str:
    """Any text as literal Markdown: one line, every character that could start markup, a
    link, an HTML tag, an entity or a table cell boundary escaped with a backslash."""
    if isinstance(value, Markup):
        return str(value)
    return _escape_markdown_text(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=8192)
def _escape_markdown_text(text: str) -> str:
    # Cached: reports repeat the same names, labels and answers many times.
    text = " ".join(text.split())
    text = _MD_SPECIAL.sub(lambda match: "\\" + match.group(0), text)
    text = _MD_AUTOLINK.sub("\\\\", text)
    marker = _MD_LIST_START.match(text)
    if marker:  # "\\- x", "1\\. x": escape the marker's last character
        end = marker.end()
        text = text[: end - 1] + "\\" + text[end - 1 :]
    return text


def _md_finalize(value: object) -> object:
    # Every {{ expression }} of a Markdown template goes through here: values are text, never
    # Markdown or HTML. Literal template text is not affected.
    return markdown_escape(value)


class _JoinedOutputCodeGenerator(CodeGenerator):
    """Compiles each run of output (template text and ``{{ }}`` values between two tags) and
    each ``{% for %}`` loop to one ``yield`` of the joined pieces, not one ``yield`` per piece.

    A report's text passes up through several nested generators (report.html, base.html, the
    body block, the section block), and resuming all of them for every piece was a large part
    of the render. The pieces, their escaping and their order are unchanged: Jinja compiles the
    output exactly as it does inside a macro or ``{% set %}`` block (appended to a list), which
    is then yielded joined.
    """

    def _joined(self, frame: Frame, visit: Callable[[], None]) -> None:
        pieces = self.temporary_identifier()
        self.writeline(f"{pieces} = []")
        frame.buffer = pieces
        try:
            visit()
        finally:
            frame.buffer = None
        self.writeline(f"yield concat({pieces})")

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or frame.require_output_check or len(node.nodes) < 2:
            super().visit_Output(node, frame)
        else:
            self._joined(
                frame, lambda: super(_JoinedOutputCodeGenerator, self).visit_Output(node, frame)
            )

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # A recursive loop buffers its own output already.
        if frame.buffer is not None or frame.require_output_check or node.recursive:
            super().visit_For(node, frame)
        else:
            self._joined(
                frame, lambda: super(_JoinedOutputCodeGenerator, self).visit_For(node, frame)
            )

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        # A value output under autoescape goes through escape_output, not markupsafe's escape:
        # the same text, as a plain str (it is joined into the output at once), without
        # building a Markup object in Python for every value.
        if frame.eval_ctx.volatile:
            self.write(f"({_ESCAPE_OUTPUT} if context.eval_ctx.autoescape else str)(")
        elif frame.eval_ctx.autoescape:
            self.write(f"{_ESCAPE_OUTPUT}(")
        else:
            self.write("str(")
        if finalize.src is not None:
            self.write(finalize.src)


#: How the modules our templates compile to call escape_output (each has the environment).
_ESCAPE_OUTPUT = "environment.escape_output"


def escape_output(value: object) -> str:
    """What markupsafe's ``escape`` makes of a value, as a plain str: ``&<>'"`` escaped as
    markupsafe escapes them, an object with ``__html__`` (Markup) taken as it is."""
    if type(value) is not str:
        html = getattr(value, "__html__", None)
        if html is not None:
            return str(html())
        value = str(value)
    return (
        value.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


class _BundledEnvironment(jinja2.Environment):
    """The environment for gapcheck's own templates (consultant folders use the sandbox)."""

    code_generator_class = _JoinedOutputCodeGenerator
    escape_output = staticmethod(escape_output)


_ENVIRONMENTS: dict[tuple[str | None, Kind], jinja2.Environment] = {}


def environment(templates: Path | None, kind: Kind) -> jinja2.Environment:
    """The Jinja environment for one templates folder (None: only ours) and output kind."""
    key = (str(templates.resolve()) if templates is not None else None, kind)
    cached = _ENVIRONMENTS.get(key)
    if cached is not None:
        return cached
    ours = jinja2.PackageLoader("gapcheck", "templates")
    # "gapcheck/base.html" always names ours, so an override can extend what it replaces.
    prefixed = jinja2.PrefixLoader({"gapcheck": ours})
    loader: jinja2.BaseLoader
    environment_class: type[jinja2.Environment]
    if templates is None:
        loader = jinja2.ChoiceLoader([prefixed, ours])
        environment_class = _BundledEnvironment
    else:
        # A consultant's templates come first, and everything runs in the sandbox.
        loader = jinja2.ChoiceLoader([prefixed, jinja2.FileSystemLoader(str(templates)), ours])
        environment_class = ImmutableSandboxedEnvironment
    common: dict[str, Any] = {
        "loader": loader,
        "undefined": jinja2.StrictUndefined,
        "trim_blocks": True,
        "lstrip_blocks": True,
        "keep_trailing_newline": True,
        "auto_reload": False,
        "cache_size": -1,
    }
    env: jinja2.Environment
    if kind == "html":
        env = environment_class(
            autoescape=jinja2.select_autoescape(
                ("html", "htm", "svg", "xml"), default_for_string=True, default=False
            ),
            **common,
        )
    else:
        # Markdown is not HTML-escaped: every value goes through markdown_escape instead.
        env = environment_class(autoescape=False, finalize=_md_finalize, **common)
    _ENVIRONMENTS[key] = env
    return env


def render_text(view: ReportView, kind: Kind, templates: Path | None = None) -> str:
    """Render a view with the report template of one kind; RenderError on template problems."""
    env = environment(templates, kind)
    name = _TEMPLATES[kind]
    try:
        return env.get_template(name).render(report=view)
    except jinja2.TemplateSyntaxError as error:
        where = error.filename or error.name or name
        raise RenderError(f"template {where}, line {error.lineno}: {error.message}") from error
    except jinja2.TemplateNotFound as error:
        folders = f"{templates} or gapcheck's templates" if templates else "gapcheck's templates"
        raise RenderError(f"template {error.name!r} not found in {folders}") from error
    except SecurityError as error:
        raise RenderError(
            f"{_template_location(error, name)}: refused by the template sandbox: {error}"
        ) from error
    except jinja2.TemplateError as error:
        raise RenderError(f"{_template_location(error, name)}: {error}") from error


def _template_location(error: BaseException, fallback: str) -> str:
    """The template file and line an error was raised from (Jinja rewrites the traceback so
    template frames carry the template's file name and line)."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename and not frame.filename.endswith(".py") and frame.lineno:
            return f"template {frame.filename}, line {frame.lineno}"
    return f"template {fallback}"


def render_html(result: AssessmentResult, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    return render_text(build_view(result, options), "html", options.templates)


def render_markdown(result: AssessmentResult, options: ReportOptions | None = None) -> str:
    options = options or ReportOptions()
    return render_text(build_view(result, options), "md", options.templates)
