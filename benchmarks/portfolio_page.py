"""Portfolio page benchmark: portfolio.html of N projects in headless Chromium.

    python benchmarks/portfolio_page.py [--count N] [--seed S]

Builds a portfolio of N generated project summaries (default 10,000), renders its page twice
and opens each in Debian's Chromium (driven by Playwright, as the browser tests are):

- as gapcheck writes it: the projects and heatmap tables show their first
  ``gapcheck.portfolio.PAGE_ROWS`` rows and a pager;
- as a baseline, in the same run, with every row shown (the page before paging).

Prints for each: the time until the page's load event, and the time to sort the projects table
by its "Overall" column and the heatmap by project name (the click's handler, then the layout
it causes), and the ratios of the baseline's times to gapcheck's. Needs the dev extras
(``make test`` installs Playwright and Chromium). Nothing fails.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, sync_playwright

import gapcheck.portfolio
from gapcheck.portfolio import render_portfolio_html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support import CHROMIUM, CHROMIUM_ARGS, generated_portfolio  # the tests' own

SORT = """([table, column]) => {
    const button = document.querySelectorAll('#' + table + ' thead th')[column]
        .querySelector('button.sort');
    const start = performance.now();
    button.click();
    const clicked = performance.now();
    document.body.offsetHeight;  // the layout the new order causes
    return [clicked - start, performance.now() - clicked];
}"""


def measure(browser: Browser, path: Path) -> dict[str, float]:
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        figures = {"load": 1000 * (time.perf_counter() - start)}
        for name, table, column in (
            ("sort projects by overall", "projects-table", 3),
            ("sort heatmap by name", "heatmap-table", 0),
        ):
            handler, layout = page.evaluate(SORT, [table, column])
            figures[name] = handler + layout
        return figures
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=3)
    options = parser.parse_args()
    portfolio = generated_portfolio(options.count, options.seed)
    shown = gapcheck.portfolio.PAGE_ROWS
    with tempfile.TemporaryDirectory(prefix="gapcheck-page-bench-") as folder:
        paged = Path(folder) / "paged.html"
        paged.write_text(render_portfolio_html(portfolio), encoding="utf-8")
        gapcheck.portfolio.PAGE_ROWS = max(options.count, 1)  # every row shown, no pager
        everything = Path(folder) / "every-row.html"
        everything.write_text(render_portfolio_html(portfolio), encoding="utf-8")
        gapcheck.portfolio.PAGE_ROWS = shown
        print(
            f"portfolio page benchmark: {options.count} projects,"
            f" {paged.stat().st_size / 1e6:.1f} MB of HTML; Chromium {CHROMIUM}"
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
            )
            try:
                ours = measure(browser, paged)
                baseline = measure(browser, everything)
            finally:
                browser.close()
    print(f"{'':<28} {f'{shown} rows shown':>16} {'every row shown':>16} {'ratio':>7}")
    for name, value in ours.items():
        ratio = baseline[name] / value if value else 0.0
        print(f"{name:<28} {value:13.0f} ms {baseline[name]:13.0f} ms {ratio:6.1f}x")


if __name__ == "__main__":
    main()
