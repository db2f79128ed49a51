"""portfolio.html in a real headless Chromium: nothing fails or is fetched, columns sort on a
click (and keep the server's order without JavaScript), heatmap cells show their numbers, every
report link resolves to a file in the output folder, and the page fits a phone.

Built from the samples assessed for real, plus one sample assessed again later with changed
answers (a trend). Screenshots at 390x844 and 1440x900 are saved under the test's tmp_path.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

import yaml

from gapcheck.assessment import assess_file
from gapcheck.pack import load_pack
from gapcheck.portfolio import (
    PAGE_ROWS,
    Failure,
    Portfolio,
    build_portfolio,
    summarize,
    write_portfolio,
)
from tests.support import PageProbe, assert_clean, generated_portfolio, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).parent.parent
PHONE = (390, 844)
DESKTOP = (1440, 900)
GENERATED = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)


def later_assessment(folder: Path) -> Path:
    """two-respondents-disagree assessed again three months on, the respondents now agreeing."""
    document = yaml.safe_load((ROOT / "samples" / "two-respondents-disagree.yaml").read_text())
    document["assessed_on"] = dt.date(2027, 3, 1)
    document["respondents"][1]["answers"] = copy.deepcopy(document["respondents"][0]["answers"])
    path = folder / "two-respondents-disagree-2027.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@cache
def _pack_titles() -> tuple[dict[str, str], dict[str, str]]:
    pack = load_pack()
    return pack.area_titles, {loaded.rule.id: loaded.rule.title for loaded in pack.rules}


def build_outdir(folder: Path) -> tuple[Path, Portfolio]:
    """OUTDIR with dummy reports for every project and the portfolio built from the samples."""
    outdir = folder / "out"
    outdir.mkdir()
    inputs = [*sorted((ROOT / "samples").glob("*.yaml")), later_assessment(folder)]
    summaries = []
    for path in inputs:
        result = assess_file(path)
        slug = path.stem
        reports = {"html": f"{slug}.html", "json": f"{slug}.json"}
        for name in reports.values():
            (outdir / name).write_text(f"report of {slug}\n", encoding="utf-8")
        summaries.append(summarize(result, slug, str(path), reports))
    areas, findings = _pack_titles()
    portfolio = build_portfolio(
        summaries,
        [Failure("answers/broken.yaml", "answers/broken.yaml, line 3: <not> valid YAML")],
        result.pack,
        areas,
        findings,
    )
    write_portfolio(outdir, portfolio, generated_at=GENERATED)
    return outdir, portfolio


def project_order(page: Page, table: str) -> list[str]:
    rows = page.locator(f"#{table} tbody tr")
    projects: list[str] = rows.evaluate_all("(rows) => rows.map((r) => r.dataset.project)")
    return projects


def test_portfolio_in_chromium(browser_page: PageProbe, tmp_path: Path) -> None:
    outdir, portfolio = build_outdir(tmp_path)
    page = browser_page.page
    page.goto((outdir / "portfolio.html").as_uri())
    page.wait_for_load_state("load")
    ids = [row.summary.project_id for row in portfolio.projects]
    assert len(ids) == 8  # nine assessments, one project twice
    assert ids == sorted(ids)

    # Server-side order first: by project id.
    assert project_order(page, "projects-table") == ids
    # The project assessed twice: one row, its latest assessment, with the trend.
    trend_row = page.locator("#projects-table tr[data-project='meridian-dc-bristol']")
    assert trend_row.count() == 1
    trend_text = trend_row.locator("td").nth(7).inner_text()
    assert "Amber/Green → Green, +1 overall" in trend_text
    assert "since 2026-12-09" in trend_text
    assert "2027-03-01" in trend_row.inner_text()

    # Sorting: a click on "Overall" orders rows by overall score, a second click reverses.
    overall = {row.summary.project_id: row.summary.overall or -1 for row in portfolio.projects}
    heading = page.locator("#projects-table thead th").nth(3)
    assert heading.inner_text().startswith("OVERALL")
    heading.locator("button.sort").click()
    ascending = project_order(page, "projects-table")
    assert ascending != ids
    assert [overall[i] for i in ascending] == sorted(overall.values())
    assert heading.get_attribute("aria-sort") == "ascending"
    heading.locator("button.sort").click()
    descending = project_order(page, "projects-table")
    assert [overall[i] for i in descending] == sorted(overall.values(), reverse=True)
    assert heading.get_attribute("aria-sort") == "descending"
    # By project name (text), in the heatmap too.
    page.locator("#heatmap-table thead th").nth(0).locator("button.sort").click()
    names = {row.summary.project_id: row.summary.project_name for row in portfolio.projects}
    by_name = project_order(page, "heatmap-table")
    assert [names[i].lower() for i in by_name] == sorted(n.lower() for n in names.values())

    # Heatmap: one cell per project and area (and overall), each showing its number and rank.
    cells = page.locator("#heatmap-table td.score")
    assert cells.count() == len(ids) * (len(portfolio.areas) + 1)
    for index in range(cells.count()):
        cell = cells.nth(index)
        text = cell.inner_text()
        match = re.match(r"(\d+)\s+(\d+)(st|nd|rd|th) pct", text)
        assert match, text
        score = int(match.group(1))
        band = "strong" if score >= 75 else "fair" if score >= 50 else "weak"
        assert f"heat-{band}" in (cell.get_attribute("class") or "")
        colour = page.evaluate(
            "(el) => getComputedStyle(el).backgroundColor", cell.element_handle()
        )
        assert colour not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")

    # Every report link resolves to an existing file in OUTDIR.
    links = page.locator("#projects-table .reports a")
    assert links.count() == 2 * len(ids)
    for index in range(links.count()):
        href = links.nth(index).evaluate("(a) => a.href")
        target = Path(unquote(urlparse(href).path))
        assert target.parent == outdir
        assert target.is_file(), href

    # Percentiles, common findings, failures.
    assert page.locator("#percentiles-table tbody tr").count() == len(portfolio.areas) + 1
    assert page.locator("#findings-table tbody tr").count() == len(portfolio.findings)
    failure = page.locator("#failures-table tbody tr")
    assert failure.count() == 1
    assert "line 3: <not> valid YAML" in failure.inner_text()
    # The hostile sample's name is text, and no script but ours ran.
    assert page.locator("#projects-table").inner_text().count("<script>alert('name')</script>") == 1
    assert page.evaluate("() => document.scripts.length") == 1

    for width, height in (PHONE, DESKTOP):
        path = tmp_path / f"portfolio-{width}x{height}.png"
        screenshot(page, path, width, height)
        assert path.stat().st_size > 10_000
        # Nothing wider than the screen: wide tables scroll inside their own box.
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= width, f"the page is {wide}px wide at {width}px"
        assert page.locator("#heatmap-table td.score").first.is_visible()
    assert_clean(browser_page)


def test_portfolio_without_javascript_keeps_the_server_order(
    chromium_browser: Browser, tmp_path: Path
) -> None:
    outdir, portfolio = build_outdir(tmp_path)
    context = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((outdir / "portfolio.html").as_uri())
        ids = [row.summary.project_id for row in portfolio.projects]
        assert project_order(page, "projects-table") == ids
        assert project_order(page, "heatmap-table") == ids
        assert page.locator("button.sort").count() == 0
        assert page.locator("#heatmap-table td.score").count() == len(ids) * 7
    finally:
        context.close()


def large_outdir(folder: Path, count: int) -> tuple[Path, Portfolio]:
    """OUTDIR with the portfolio page of ``count`` generated projects (no reports)."""
    portfolio = generated_portfolio(count, seed=11)
    outdir = folder / "out"
    outdir.mkdir()
    write_portfolio(outdir, portfolio)
    return outdir, portfolio


def visible_projects(page: Page, table: str) -> list[str]:
    rows = page.locator(f"#{table} tbody tr:visible")
    projects: list[str] = rows.evaluate_all("(rows) => rows.map((r) => r.dataset.project)")
    return projects


#: Projects of the large portfolio the paging tests open: two full pages and part of a third.
LARGE = 2 * PAGE_ROWS + 50


def open_large_portfolio(page: Page, folder: Path) -> tuple[list[str], dict[str, int | None]]:
    """Open the page of a LARGE-project portfolio: its project ids in server order, and each
    project's overall score."""
    outdir, portfolio = large_outdir(folder, LARGE)
    page.goto((outdir / "portfolio.html").as_uri())
    page.wait_for_load_state("load")
    overall = {row.summary.project_id: row.summary.overall for row in portfolio.projects}
    return list(overall), overall


def by_overall(ids: list[str], overall: dict[str, int | None]) -> list[str]:
    """``ids`` as sorting by "Overall" ascending orders them: no score last, ties in order."""
    return sorted(ids, key=lambda i: (overall[i] is None, overall[i] or 0, ids.index(i)))


def test_a_large_portfolio_shows_pages_of_rows_and_sorts_them_all(
    browser_page: PageProbe, tmp_path: Path
) -> None:
    count = LARGE
    page = browser_page.page
    ids, overall = open_large_portfolio(page, tmp_path)
    for table in ("projects-table", "heatmap-table"):
        assert project_order(page, table) == ids  # every row is in the page
        assert visible_projects(page, table) == ids[:PAGE_ROWS]
    pagers = page.locator("p.pager")
    assert pagers.count() == 2
    pager = pagers.first
    assert pager.locator("span").inner_text() == f"Showing the first {PAGE_ROWS} of {count} rows."

    # Sorting sorts every row, then shows the first page of the new order.
    page.locator("#projects-table thead th").nth(3).locator("button.sort").click()
    ascending = by_overall(ids, overall)
    assert project_order(page, "projects-table") == ascending
    assert visible_projects(page, "projects-table") == ascending[:PAGE_ROWS]
    assert visible_projects(page, "heatmap-table") == ids[:PAGE_ROWS]  # its own pages

    # More, then the rest; the buttons go once every row shows.
    more, everything = pager.locator("button").nth(0), pager.locator("button").nth(1)
    assert more.inner_text() == f"Show {PAGE_ROWS} more"
    more.click()
    assert visible_projects(page, "projects-table") == ascending[: 2 * PAGE_ROWS]
    assert more.inner_text() == "Show 50 more"
    everything.click()
    assert visible_projects(page, "projects-table") == ascending
    assert pager.locator("span").inner_text() == f"Showing all {count} rows."
    assert not more.is_visible()
    assert not everything.is_visible()
    assert len(visible_projects(page, "heatmap-table")) == PAGE_ROWS
    assert_clean(browser_page)


def test_a_large_portfolio_without_javascript_or_printed_shows_every_row(
    chromium_browser: Browser, tmp_path: Path
) -> None:
    outdir, portfolio = large_outdir(tmp_path, PAGE_ROWS + 1)
    ids = [row.summary.project_id for row in portfolio.projects]
    context = chromium_browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((outdir / "portfolio.html").as_uri())
        assert visible_projects(page, "projects-table") == ids
        assert visible_projects(page, "heatmap-table") == ids
        assert page.locator("p.pager").count() == 0
        assert page.locator("label.filter").count() == 0
    finally:
        context.close()
    context = chromium_browser.new_context()
    try:
        page = context.new_page()
        page.goto((outdir / "portfolio.html").as_uri())
        assert len(visible_projects(page, "projects-table")) == PAGE_ROWS
        page.emulate_media(media="print")
        assert visible_projects(page, "projects-table") == ids
        assert not page.locator("p.pager").first.is_visible()
        assert not page.locator("label.filter").first.is_visible()
    finally:
        context.close()


def test_a_large_portfolio_filters_every_row_by_project_client_or_id(
    browser_page: PageProbe, tmp_path: Path
) -> None:
    count = LARGE
    page = browser_page.page
    ids, overall = open_large_portfolio(page, tmp_path)
    # What the filter reads: each row's heading, its name, client and id run together.
    headings = page.locator("#projects-table tbody th").all_text_contents()
    heading = {project: text.lower() for project, text in zip(ids, headings, strict=True)}
    status = page.locator("p.pager span").first
    search = page.locator("label.filter input").first
    assert page.locator("label.filter").count() == 2  # one per paged table

    def filter_by(text: str) -> None:
        before = status.inner_text()
        search.fill(text)
        page.wait_for_function(
            "([element, before]) => element.textContent !== before",
            arg=[status.element_handle(), before],
        )

    filter_by("Client 5")
    matching = [i for i in ids if "client 5" in heading[i]]
    assert 0 < len(matching) < PAGE_ROWS
    assert visible_projects(page, "projects-table") == matching
    assert status.inner_text() == f"Showing all {len(matching)} matching rows."
    assert visible_projects(page, "heatmap-table") == ids[:PAGE_ROWS]  # its own filter

    # Sorting keeps the filter; every row is still in the table.
    page.locator("#projects-table thead th").nth(3).locator("button.sort").click()
    ascending = [i for i in by_overall(ids, overall) if i in matching]
    assert visible_projects(page, "projects-table") == ascending
    assert len(project_order(page, "projects-table")) == count

    # A filter most rows match is paged; no match says so.
    filter_by("proj-")
    assert len(visible_projects(page, "projects-table")) == PAGE_ROWS
    assert status.inner_text() == f"Showing the first {PAGE_ROWS} of {count} matching rows."
    filter_by("no such project")
    assert visible_projects(page, "projects-table") == []
    assert status.inner_text() == "No row matches the filter."
    # Cleared: every row again, in the order last sorted.
    filter_by("")
    assert visible_projects(page, "projects-table") == by_overall(ids, overall)[:PAGE_ROWS]
    assert status.inner_text() == f"Showing the first {PAGE_ROWS} of {count} rows."
    assert_clean(browser_page)
