"""The portfolio of many assessments: ``portfolio.json``, ``portfolio.csv`` and ``portfolio.html``.

``gapcheck batch`` turns each assessment into a small :class:`ProjectSummary` (``summarize``) as
soon as it is done, so the portfolio is built from summaries only, never from whole results
(memory stays flat however many projects). ``build_portfolio`` keeps each project's latest
assessment, its trend since the previous one, the per-area percentiles and each project's
percentile rank, and the most common findings; ``write_portfolio`` writes the three files, each
atomically. The JSON and CSV hold no timestamp: the same summaries give byte-identical files.

Definitions (docs/portfolio.md):

- percentiles (p10 .. p90) interpolate linearly between the sorted scores (like numpy's default
  and Excel's PERCENTILE.INC), over the projects that have a score in that area;
- a project's percentile rank in an area is the share of the other scores below its own, counting
  ties as half: ``100 * (below + (equal - 1) / 2) / (n - 1)``, or 50 for a lone project; 0 is the
  lowest score of the portfolio, 100 the highest.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import itertools
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple
from urllib.parse import quote

import jinja2
import orjson

from gapcheck.assessment import AssessmentResult, PackRef
from gapcheck.errors import RenderError
from gapcheck.fsutil import write_temporary
from gapcheck.report import CONFIDENCE_LABELS, environment

PORTFOLIO_FORMAT_VERSION = 1
#: Worst to best: a trend's confidence change counts steps along this scale.
CONFIDENCE_SCALE = ("red", "amber-red", "amber", "amber-green", "green")
SEVERITIES = ("critical", "high", "medium", "low")
PERCENTILES = (10, 25, 50, 75, 90)
#: Rows the page's two long tables show before the reader asks for more (with JavaScript):
#: Chromium takes about 9 s to lay out a page with 10,000 projects shown, 1 s with 200.
PAGE_ROWS = 200
#: Projects per piece when a portfolio file is written in pieces (iter_json, iter_csv,
#: iter_portfolio_html): memory holds one piece at a time, not the whole file.
PIECE_PROJECTS = 500
OVERALL = "overall"
#: Leading characters that make a spreadsheet read a cell as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """What the portfolio needs of one assessment: a few hundred bytes, not the whole result."""

    project_id: str
    project_name: str
    client: str
    assessed_on: dt.date
    #: File stem of this project's reports in OUTDIR.
    slug: str
    #: The answers file path as given.
    input: str
    #: green | amber-green | amber | amber-red | red
    confidence: str
    overall: int | None
    #: Area id -> 0..100, or None when nothing in the area applied.
    scores: Mapping[str, int | None]
    #: Severity -> number of findings.
    counts: Mapping[str, int]
    #: Finding ids.
    findings: tuple[str, ...]
    #: Format -> file name relative to OUTDIR.
    reports: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Failure:
    """An input that could not be assessed or rendered, and why."""

    input: str
    reason: str


@dataclass(frozen=True, slots=True)
class Trend:
    """How a project moved since its previous assessment."""

    previous_on: dt.date
    previous_confidence: str
    #: Steps along CONFIDENCE_SCALE: positive is better, negative worse.
    confidence_steps: int
    overall_delta: int | None
    #: Area id -> score change (None when either assessment had no score there).
    deltas: Mapping[str, int | None]
    #: For example "amber -> amber-green, +7 overall".
    text: str


@dataclass(frozen=True, slots=True)
class ProjectRow:
    """One project of the portfolio: its latest assessment, trend and percentile ranks."""

    summary: ProjectSummary
    #: How many assessments of this project the portfolio saw (the latest included).
    assessments: int
    trend: Trend | None
    #: Area id (and "overall") -> percentile rank 0..100 in the portfolio, None without a score.
    ranks: Mapping[str, int | None]

    @property
    def report_links(self) -> tuple[tuple[str, str], ...]:
        """(format, URL-quoted relative link) per report, by format."""
        return tuple((fmt, _link(name)) for fmt, name in sorted(self.summary.reports.items()))


_PLAIN_LINK = re.compile(r"[A-Za-z0-9._~/-]+")


def _link(name: str) -> str:
    """A file name as a relative link: URL-quoted, so no name can become a scheme or a query."""
    return name if _PLAIN_LINK.fullmatch(name) and ":" not in name else quote(name, safe="/")


@dataclass(frozen=True, slots=True)
class FindingStat:
    id: str
    title: str
    #: Projects (latest assessments) with this finding.
    projects: int
    #: projects / number of projects, 0..1.
    share: float


@dataclass(frozen=True, slots=True)
class AreaStats:
    id: str
    title: str
    #: Projects with a score in this area.
    scored: int
    #: PERCENTILES -> value (one decimal), all None when no project has a score.
    percentiles: Mapping[int, float | None]


@dataclass(frozen=True, slots=True)
class Portfolio:
    pack: PackRef
    #: (area id, title) in the pack's order.
    areas: tuple[tuple[str, str], ...]
    #: One row per project id, by project id.
    projects: tuple[ProjectRow, ...]
    #: Assessments read, older ones included.
    assessments: int
    #: Most common first (then by id); only findings some project has.
    findings: tuple[FindingStat, ...]
    #: Per area in the pack's order, then "overall".
    stats: tuple[AreaStats, ...]
    #: By input, then reason.
    failures: tuple[Failure, ...]

    @property
    def confidence_counts(self) -> tuple[tuple[str, int], ...]:
        """(rating, projects) from green to red."""
        counts = dict.fromkeys(CONFIDENCE_SCALE, 0)
        for row in self.projects:
            if row.summary.confidence in counts:
                counts[row.summary.confidence] += 1
        return tuple((rating, counts[rating]) for rating in reversed(CONFIDENCE_SCALE))

    @property
    def report_formats(self) -> tuple[str, ...]:
        return tuple(sorted({fmt for row in self.projects for fmt in row.summary.reports}))


# --- Building --------------------------------------------------------------------------------


def summarize(
    result: AssessmentResult, slug: str, input: str, reports: Mapping[str, str]
) -> ProjectSummary:
    """The small summary of one assessment the portfolio is built from."""
    return ProjectSummary(
        project_id=result.project.id,
        project_name=result.project.name,
        client=result.project.client,
        assessed_on=result.assessed_on,
        slug=slug,
        input=input,
        confidence=result.confidence,
        overall=result.overall,
        scores=dict(result.scores),
        counts=dict(result.counts),
        findings=tuple(finding.id for finding in result.findings),
        reports=dict(reports),
    )


def build_portfolio(
    summaries: Sequence[ProjectSummary],
    failures: Sequence[Failure],
    pack: PackRef,
    area_titles: Mapping[str, str],
    finding_titles: Mapping[str, str],
) -> Portfolio:
    """The portfolio of ``summaries`` (in any order): each project's latest assessment and trend,
    percentiles, percentile ranks and the most common findings."""
    by_project: dict[str, list[ProjectSummary]] = {}
    for summary in summaries:
        by_project.setdefault(summary.project_id, []).append(summary)
    latest: list[tuple[ProjectSummary, int, Trend | None]] = []
    for project_id in sorted(by_project):
        history = by_project[project_id]
        if len(history) > 1:
            history.sort(key=_history_key)
        current = history[-1]
        trend = trend_between(history[-2], current) if len(history) > 1 else None
        latest.append((current, len(history), trend))

    area_ids = list(area_titles)
    for summary, _, _ in latest:  # areas a summary scores that the titles do not name
        for area in summary.scores:
            if area not in area_titles and area not in area_ids:
                area_ids.append(area)
    titles = {area: area_titles.get(area, area) for area in area_ids}

    columns: dict[str, list[int | None]] = {
        area: [summary.scores.get(area) for summary, _, _ in latest] for area in area_ids
    }
    columns[OVERALL] = [summary.overall for summary, _, _ in latest]
    stats = tuple(
        _area_stats(key, titles.get(key, "Overall"), columns[key]) for key in [*area_ids, OVERALL]
    )
    ranks = {key: percentile_ranks(values) for key, values in columns.items()}
    rows = tuple(
        ProjectRow(
            summary=summary,
            assessments=count,
            trend=trend,
            ranks={key: ranks[key][index] for key in [*area_ids, OVERALL]},
        )
        for index, (summary, count, trend) in enumerate(latest)
    )
    return Portfolio(
        pack=pack,
        areas=tuple((area, titles[area]) for area in area_ids),
        projects=rows,
        assessments=len(summaries),
        findings=common_findings([summary for summary, _, _ in latest], finding_titles),
        stats=stats,
        failures=tuple(sorted(failures, key=lambda failure: (failure.input, failure.reason))),
    )


def _history_key(summary: ProjectSummary) -> tuple[dt.date, str, str]:
    # The same date twice: the tie is broken by slug and input, so the order never depends on
    # the order the summaries arrived in.
    return (summary.assessed_on, summary.slug, summary.input)


def trend_between(previous: ProjectSummary, current: ProjectSummary) -> Trend:
    steps = _confidence_step(current.confidence) - _confidence_step(previous.confidence)
    overall = _delta(previous.overall, current.overall)
    areas = sorted(set(previous.scores) | set(current.scores))
    deltas = {area: _delta(previous.scores.get(area), current.scores.get(area)) for area in areas}
    if previous.confidence == current.confidence:
        text = f"{current.confidence}, unchanged"
    else:
        text = f"{previous.confidence} -> {current.confidence}"
    if overall is not None:
        text += f", {signed(overall)} overall"
    return Trend(previous.assessed_on, previous.confidence, steps, overall, deltas, text)


def _confidence_step(rating: str) -> int:
    return CONFIDENCE_SCALE.index(rating) if rating in CONFIDENCE_SCALE else 0


def _delta(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None else after - before


def signed(value: int) -> str:
    """+7, -3, ±0."""
    return f"{value:+d}" if value else "±0"


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of sorted ``values``, interpolated linearly."""
    if not values:
        raise ValueError("no values")
    position = (len(values) - 1) * p / 100
    low = math.floor(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def _area_stats(key: str, title: str, values: Iterable[int | None]) -> AreaStats:
    scored = sorted(value for value in values if value is not None)
    return AreaStats(
        id=key,
        title=title,
        scored=len(scored),
        percentiles={p: (round(percentile(scored, p), 1) if scored else None) for p in PERCENTILES},
    )


def percentile_ranks(values: Sequence[int | None]) -> list[int | None]:
    """Each value's percentile rank among the others (ties count half), None for None."""
    scored = sorted(value for value in values if value is not None)
    rank_of: dict[int, int] = {}
    for value in set(scored):
        if len(scored) == 1:
            rank_of[value] = 50
            continue
        below = bisect.bisect_left(scored, value)
        equal = bisect.bisect_right(scored, value) - below
        rank_of[value] = round(100 * (below + (equal - 1) / 2) / (len(scored) - 1))
    return [None if value is None else rank_of[value] for value in values]


def common_findings(
    summaries: Sequence[ProjectSummary], finding_titles: Mapping[str, str]
) -> tuple[FindingStat, ...]:
    """Findings by how many projects have them (most first, then by id)."""
    # Counted by Counter's C loop: a portfolio of 10,000 projects has some 170,000 findings.
    counts = Counter(itertools.chain.from_iterable(set(s.findings) for s in summaries))
    total = len(summaries)
    return tuple(
        FindingStat(finding, finding_titles.get(finding, finding), count, count / total)
        for finding, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    )


def percent(share: float) -> str:
    """A share as a whole percentage: 0.375 -> "38%"."""
    return f"{round(share * 100)}%"


def ordinal(rank: int) -> str:
    """1 -> "1st", 62 -> "62nd", 13 -> "13th"."""
    suffix = "th" if 10 <= rank % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(rank % 10, "th")
    return f"{rank}{suffix}"


# --- JSON --------------------------------------------------------------------------------------


def portfolio_data(portfolio: Portfolio) -> dict[str, Any]:
    """The portfolio as plain JSON data (what portfolio.json holds)."""
    area_ids = [area for area, _ in portfolio.areas]
    return _portfolio_data(portfolio, [_project_data(row, area_ids) for row in portfolio.projects])


def _portfolio_data(portfolio: Portfolio, projects: object) -> dict[str, Any]:
    return {
        "format_version": PORTFOLIO_FORMAT_VERSION,
        "pack": {
            "name": portfolio.pack.name,
            "version": portfolio.pack.version,
            "sha256": portfolio.pack.sha256,
        },
        "areas": [{"id": area, "title": title} for area, title in portfolio.areas],
        "totals": {
            "projects": len(portfolio.projects),
            "assessments": portfolio.assessments,
            "failed_inputs": len(portfolio.failures),
            "confidence": dict(portfolio.confidence_counts),
        },
        "projects": projects,
        "common_findings": [
            {
                "id": stat.id,
                "title": stat.title,
                "projects": stat.projects,
                "share": round(stat.share, 4),
            }
            for stat in portfolio.findings
        ],
        "percentiles": [
            {
                "id": stats.id,
                "title": stats.title,
                "scored": stats.scored,
                **{_percentile_key(p): value for p, value in stats.percentiles.items()},
            }
            for stats in portfolio.stats
        ],
        "failures": [
            {"input": failure.input, "reason": failure.reason} for failure in portfolio.failures
        ],
    }


def _percentile_key(p: int) -> str:
    return "median" if p == 50 else f"p{p}"


def _project_data(row: ProjectRow, area_ids: Sequence[str]) -> dict[str, Any]:
    summary = row.summary
    trend = row.trend
    return {
        "id": summary.project_id,
        "name": summary.project_name,
        "client": summary.client,
        "assessed_on": summary.assessed_on.isoformat(),
        "slug": summary.slug,
        "input": summary.input,
        "confidence": summary.confidence,
        "overall": summary.overall,
        "scores": dict(zip(area_ids, map(summary.scores.get, area_ids), strict=True)),
        "percentile_ranks": dict(row.ranks),
        "counts": {severity: summary.counts.get(severity, 0) for severity in SEVERITIES},
        "findings": list(summary.findings),
        "reports": dict(sorted(summary.reports.items())),
        "assessments": row.assessments,
        "trend": None
        if trend is None
        else {
            "previous_assessed_on": trend.previous_on.isoformat(),
            "previous_confidence": trend.previous_confidence,
            "confidence_steps": trend.confidence_steps,
            "overall_delta": trend.overall_delta,
            "score_deltas": dict(trend.deltas),
            "text": trend.text,
        },
    }


_JSON_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def render_json(portfolio: Portfolio) -> bytes:
    return b"".join(iter_json(portfolio))


def iter_json(portfolio: Portfolio) -> Iterator[bytes]:
    """portfolio.json in pieces: the projects PIECE_PROJECTS at a time, each piece serialised
    as orjson indents the whole (``"".join`` of the pieces is ``orjson.dumps(portfolio_data(
    portfolio))``; tests/test_portfolio.py checks it)."""
    projects = portfolio.projects
    if not projects:
        yield orjson.dumps(_portfolio_data(portfolio, []), option=_JSON_OPTIONS)
        return
    # The rest of the document around a marker string in the projects' place. Only the
    # top-level key is preceded by a line break and two spaces (strings escape line breaks).
    marker = f"projects of portfolio {id(portfolio)}"
    whole = orjson.dumps(_portfolio_data(portfolio, marker), option=_JSON_OPTIONS)
    key = b'\n  "projects": '
    start = whole.index(key) + len(key)
    marker_json = orjson.dumps(marker)
    end = start + len(marker_json)
    if whole[start:end] != marker_json:  # cannot happen: orjson wrote it there
        raise RenderError("portfolio.json: the projects are not where they were put")
    yield whole[:start] + b"[\n"
    area_ids = [area for area, _ in portfolio.areas]
    for first in range(0, len(projects), PIECE_PROJECTS):
        piece = [_project_data(row, area_ids) for row in projects[first : first + PIECE_PROJECTS]]
        # Items of a list under a top-level key are indented as in the whole document.
        text = orjson.dumps({"projects": piece}, option=orjson.OPT_INDENT_2)
        items = text[len(b'{\n  "projects": [\n') : -len(b"\n  ]\n}")]
        yield (b",\n" + items) if first else items
    yield b"\n  ]" + whole[end:]


# --- CSV ---------------------------------------------------------------------------------------


def csv_cell(value: object) -> str:
    """A CSV cell a spreadsheet cannot take for a formula: text starting with =, +, -, @, a tab
    or a carriage return gets a leading apostrophe (negative numbers included)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


#: What makes csv.writer quote a cell (csv.QUOTE_MINIMAL, lines ending in "\r\n").
_NEEDS_QUOTES = re.compile('[,"\r\n]').search


def _csv_quoted(text: str) -> str:
    """A cell as csv.writer writes it: in quotes (doubled inside) when it holds a comma, a quote
    or a line break."""
    if _NEEDS_QUOTES(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def _csv_text(value: object) -> str:
    """csv_cell(value) as csv.writer writes it."""
    return _csv_quoted(csv_cell(value))


def _csv_number(value: object) -> str:
    """A score, rank or count cell: most are None or non-negative ints, written as they are."""
    if value is None:
        return ""
    if type(value) is int and value >= 0:
        return str(value)
    return _csv_text(value)


def render_csv(portfolio: Portfolio) -> bytes:
    """One row per project (its latest assessment) with the key figures. Each line is joined
    here rather than by csv.writer (about half the time for 10,000 projects); the bytes are the
    writer's, with every cell through csv_cell (tests/test_portfolio.py checks both)."""
    return b"".join(iter_csv(portfolio))


def iter_csv(portfolio: Portfolio) -> Iterator[bytes]:
    """:func:`render_csv` in pieces of PIECE_PROJECTS lines."""
    area_ids = [area for area, _ in portfolio.areas]
    formats = portfolio.report_formats
    header = [
        "project_id",
        "project_name",
        "client",
        "assessed_on",
        "confidence",
        "overall",
        "overall_percentile_rank",
        *area_ids,
        *(f"{area}_percentile_rank" for area in area_ids),
        *SEVERITIES,
        "findings",
        "assessments",
        "previous_assessed_on",
        "previous_confidence",
        "overall_delta",
        "trend",
        "input",
        *(f"report_{fmt}" for fmt in formats),
    ]
    text, number = _csv_text, _csv_number
    lines = [",".join(map(_csv_quoted, header))]
    for index, row in enumerate(portfolio.projects):
        if index and not index % PIECE_PROJECTS:
            lines.append("")  # each line ends in "\r\n"
            yield "\r\n".join(lines).encode("utf-8")
            lines = []
        summary, trend, ranks = row.summary, row.trend, row.ranks
        scores, counts, reports = summary.scores, summary.counts, summary.reports
        cells = [
            text(summary.project_id),
            text(summary.project_name),
            text(summary.client),
            text(summary.assessed_on.isoformat()),
            text(summary.confidence),
            number(summary.overall),
            number(ranks.get(OVERALL)),
            *[number(scores.get(area)) for area in area_ids],
            *[number(ranks.get(area)) for area in area_ids],
            *[number(counts.get(severity, 0)) for severity in SEVERITIES],
            text(" ".join(summary.findings)),
            number(row.assessments),
        ]
        if trend is None:
            cells += ("", "", "", "")
        else:
            cells += (
                text(trend.previous_on.isoformat()),
                text(trend.previous_confidence),
                number(trend.overall_delta),
                text(trend.text),
            )
        cells.append(text(summary.input))
        cells += [text(reports.get(fmt)) for fmt in formats]
        lines.append(",".join(cells))
    lines.append("")  # the last line ends in "\r\n" too
    yield "\r\n".join(lines).encode("utf-8")


# --- HTML --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CellView:
    """A heatmap cell, formatted: rendering 10,000 rows must not call back into Python."""

    band: str
    sort: str
    score: str
    rank: str


class RowView(NamedTuple):
    """A project's row of the projects table, every value already formatted (a named tuple:
    10,000 of them are made for a page)."""

    id: str
    name: str
    client: str
    sort_name: str
    assessed: str
    assessments: int
    confidence: str
    confidence_label: str
    confidence_sort: int
    overall: CellView
    counts: tuple[tuple[str, int], ...]
    trend_class: str
    trend_sort: str
    #: None: the first assessment.
    trend: str | None
    trend_detail: str
    links: tuple[tuple[str, str], ...]


class HeatmapRowView(NamedTuple):
    """A project's row of the heatmap."""

    id: str
    name: str
    client: str
    sort_name: str
    #: One per area, then the overall score.
    cells: tuple[CellView, ...]


_ORDINALS = tuple(f"{ordinal(rank)} pct" for rank in range(101))


@functools.lru_cache(maxsize=16384)
def _cell(score: int | None, rank: int | None) -> CellView:
    if score is None:
        return CellView("none", "", "n/a", "")
    text = str(int(score))  # int(): only digits reach the page unescaped
    return CellView(score_band(score), text, text, "" if rank is None else _ORDINALS[rank])


def row_view(row: ProjectRow, areas: Sequence[tuple[str, str]]) -> RowView:
    summary, trend = row.summary, row.trend
    label = CONFIDENCE_LABELS.get(summary.confidence, summary.confidence)
    headline, detail, trend_class, trend_sort = None, "", "trend-flat", ""
    if trend is not None:
        previous = CONFIDENCE_LABELS.get(trend.previous_confidence, trend.previous_confidence)
        headline = f"{previous} \u2192 {label}"
        if trend.overall_delta is not None:
            headline += f", {signed(trend.overall_delta)} overall"
            trend_sort = str(trend.overall_delta)
        changes = [
            f"{title} {signed(delta)}" for area, title in areas if (delta := trend.deltas.get(area))
        ]
        detail = "; ".join([f"since {trend.previous_on.isoformat()}", *changes])
        direction = trend.confidence_steps or (trend.overall_delta or 0)
        trend_class = (
            "trend-up" if direction > 0 else "trend-down" if direction < 0 else trend_class
        )
    counts = summary.counts
    return RowView(
        summary.project_id,
        summary.project_name,
        summary.client,
        summary.project_name.lower(),
        summary.assessed_on.isoformat(),
        row.assessments,
        summary.confidence,
        label,
        _confidence_step(summary.confidence),
        _cell(summary.overall, row.ranks.get(OVERALL)),
        tuple((severity, int(counts.get(severity, 0))) for severity in SEVERITIES),
        trend_class,
        trend_sort,
        headline,
        detail,
        row.report_links,
    )


def heatmap_row_view(row: ProjectRow, areas: Sequence[tuple[str, str]]) -> HeatmapRowView:
    summary, ranks = row.summary, row.ranks
    scores = summary.scores
    return HeatmapRowView(
        summary.project_id,
        summary.project_name,
        summary.client,
        summary.project_name.lower(),
        (
            *[_cell(scores.get(area), ranks.get(area)) for area, _ in areas],
            _cell(summary.overall, ranks.get(OVERALL)),
        ),
    )


def render_portfolio_html(portfolio: Portfolio, *, generated_at: dt.datetime | None = None) -> str:
    """The self-contained portfolio page (inline CSS and JS, nothing fetched)."""
    template, variables = _page(
        portfolio, generated_at, project_rows=slice(None), heatmap_rows=slice(None)
    )
    try:
        return template.render(variables)
    except jinja2.TemplateError as error:
        raise RenderError(f"template portfolio.html: {error}") from error


def iter_portfolio_html(
    portfolio: Portfolio, *, generated_at: dt.datetime | None = None
) -> Iterator[bytes]:
    """:func:`render_portfolio_html`, UTF-8 encoded, in pieces: the page around its two long
    tables' rows, and those rows PIECE_PROJECTS at a time."""
    before, between, after = render_portfolio_html_part(
        portfolio, "frame", generated_at=generated_at
    )
    yield before.encode("utf-8")
    yield from iter_rows_html(portfolio, "project_rows")
    yield between.encode("utf-8")
    yield from iter_rows_html(portfolio, "heatmap_rows")
    yield after.encode("utf-8")


def iter_rows_html(
    portfolio: Portfolio, part: RowsPart, rows: slice = slice(None)
) -> Iterator[bytes]:
    """One long table's rows (those of the projects in the slice ``rows``), UTF-8 encoded,
    PIECE_PROJECTS at a time."""
    first, end, _ = rows.indices(len(portfolio.projects))
    for start in range(first, end, PIECE_PROJECTS):
        piece = slice(start, min(start + PIECE_PROJECTS, end))
        (text,) = render_portfolio_html_part(portfolio, part, rows=piece)
        yield text.encode("utf-8")


#: Either long table's rows, rendered apart from the rest of the page (in slices).
RowsPart = Literal["project_rows", "heatmap_rows"]
#: The parts of the page rendered apart: the frame, the page without either long table's rows
#: (the text before, between and after them), and either table's rows.
PagePart = Literal["frame", RowsPart]
_ROWS_BLOCK = "project_rows"
_HEATMAP_BLOCK = "heatmap_rows"


def render_portfolio_html_part(
    portfolio: Portfolio,
    part: PagePart,
    *,
    generated_at: dt.datetime | None = None,
    rows: slice = slice(None),
) -> tuple[str, ...]:
    """A part of :func:`render_portfolio_html`'s page, for a batch that renders the page's
    largest parts in several processes at once, or writes it in pieces: "frame" gives the text
    before the project rows, between them and the heatmap's rows, and after those;
    "project_rows" and "heatmap_rows" give those rows (``rows``: those of the projects in this
    slice of ``portfolio.projects``). The page is before + the project rows of consecutive
    slices + between + the heatmap's rows + after."""
    if part in (_ROWS_BLOCK, _HEATMAP_BLOCK):
        # Each part makes only the row views it shows.
        template, variables = _page(
            portfolio,
            generated_at,
            project_rows=rows if part == _ROWS_BLOCK else None,
            heatmap_rows=rows if part == _HEATMAP_BLOCK else None,
        )
        try:
            return ("".join(template.blocks[part](template.new_context(variables))),)
        except jinja2.TemplateError as error:
            raise RenderError(f"template portfolio.html: {error}") from error
    template, variables = _page(portfolio, generated_at, project_rows=None, heatmap_rows=None)
    try:
        # Each block left out renders as one placeholder, found by identity: no text can be
        # mistaken for it, whatever a client wrote.
        context = template.new_context(variables)
        placeholders = {  # new objects
            block: f"<{block} {id(context)}>" for block in (_ROWS_BLOCK, _HEATMAP_BLOCK)
        }
        for block, placeholder in placeholders.items():
            context.blocks[block] = [functools.partial(_placeholder, placeholder)]
        pieces = list(template.root_render_func(context))
    except jinja2.TemplateError as error:
        raise RenderError(f"template portfolio.html: {error}") from error
    texts = []
    start = 0
    for block, placeholder in placeholders.items():
        at = [index for index, piece in enumerate(pieces) if piece is placeholder]
        if len(at) != 1 or at[0] < start:
            raise RenderError(f"template portfolio.html: the block {block} is not rendered once")
        texts.append("".join(pieces[start : at[0]]))
        start = at[0] + 1
    texts.append("".join(pieces[start:]))
    return tuple(texts)


def _placeholder(text: str, context: object) -> Iterator[str]:
    yield text


def _page(
    portfolio: Portfolio,
    generated_at: dt.datetime | None,
    *,
    project_rows: slice | None,
    heatmap_rows: slice | None,
) -> tuple[jinja2.Template, dict[str, Any]]:
    """The page's template and what it is rendered with; each table has the row views of its
    slice of the projects, none when its rows are not rendered. The views are made as the
    rows are rendered, one at a time, not all at once."""
    env = environment(None, "html")
    try:
        template = env.get_template("portfolio.html")
    except jinja2.TemplateError as error:
        raise RenderError(f"template portfolio.html: {error}") from error
    areas, projects = portfolio.areas, portfolio.projects
    return template, {
        "portfolio": portfolio,
        "rows": (
            () if project_rows is None else (row_view(row, areas) for row in projects[project_rows])
        ),
        "heatmap_rows": (
            ()
            if heatmap_rows is None
            else (heatmap_row_view(row, areas) for row in projects[heatmap_rows])
        ),
        "generated": _generated_text(generated_at),
        "confidence_labels": CONFIDENCE_LABELS,
        "severities": SEVERITIES,
        "percentiles": PERCENTILES,
        "percent": percent,
        "percentile_key": _percentile_key,
        "page_rows": PAGE_ROWS,
    }


def _generated_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def score_band(score: int | float | None) -> str:
    """The report's bands: strong (75+), fair (50-74), weak (under 50), none."""
    if score is None:
        return "none"
    if score >= 75:
        return "strong"
    return "fair" if score >= 50 else "weak"


# --- Writing -----------------------------------------------------------------------------------

JSON_NAME = "portfolio.json"
CSV_NAME = "portfolio.csv"
HTML_NAME = "portfolio.html"


def write_portfolio(
    outdir: Path,
    portfolio: Portfolio,
    *,
    generated_at: dt.datetime | None = None,
    sync: bool = True,
) -> list[Path]:
    """Write portfolio.json, portfolio.csv and portfolio.html into ``outdir``, each atomically.
    ``generated_at`` is shown in the HTML only, and only when given. ``sync=False`` skips each
    file's fsync, for a caller that syncs once afterwards (``gapcheck batch``)."""
    outdir = Path(outdir)
    # Each file is written to a temporary file in pieces, one file after the other, so memory
    # holds one piece at a time however many projects; they are renamed once all three are
    # written: a file that fails to render leaves none of them written.
    outputs = (
        (outdir / JSON_NAME, iter_json(portfolio)),
        (outdir / CSV_NAME, iter_csv(portfolio)),
        (outdir / HTML_NAME, iter_portfolio_html(portfolio, generated_at=generated_at)),
    )
    temporaries: list[str] = []
    try:
        for path, pieces in outputs:
            temporaries.append(write_temporary(path, pieces, sync=sync))
        for (path, _), temporary in zip(outputs, temporaries, strict=True):
            os.replace(temporary, path)
    except BaseException:
        for temporary in temporaries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise
    return [path for path, _ in outputs]
