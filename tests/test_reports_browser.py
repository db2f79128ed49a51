"""HTML reports in a real headless Chromium (Debian's, driven by Playwright): nothing fails,
nothing is fetched, every finding is visible, the chart shows, and the page fits a phone.

Screenshots at phone (390x844) and desktop (1440x900) widths are saved under each test's
tmp_path. Without Chromium these tests skip locally and fail under CI=true (`browser_page`).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from gapcheck.assessment import AssessmentResult, assess_file
from gapcheck.report import ReportOptions, load_brand, render_html
from tests.support import PageProbe, assert_clean, open_html, screenshot
from tests.test_reports import png_bytes

if TYPE_CHECKING:
    pass

ROOT = Path(__file__).parent.parent
SAMPLE_IDS = [path.stem for path in sorted((ROOT / "samples").glob("*.yaml"))]
OPTIONS = ReportOptions(generated_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc))
PHONE = (390, 844)
DESKTOP = (1440, 900)


@cache
def assessed(name: str) -> AssessmentResult:
    return assess_file(ROOT / "samples" / f"{name}.yaml", with_answers=True)


@pytest.mark.parametrize("sample", SAMPLE_IDS)
def test_report_in_chromium(sample: str, browser_page: PageProbe, tmp_path: Path) -> None:
    result = assessed(sample)
    open_html(browser_page, render_html(result, OPTIONS), tmp_path, sample)
    page = browser_page.page
    for width, height in (PHONE, DESKTOP):
        screenshot(page, tmp_path / f"{sample}-{width}x{height}.png", width, height)
        assert (tmp_path / f"{sample}-{width}x{height}.png").stat().st_size > 10_000
        # Every finding's title is shown, in its card.
        titles = page.locator("article.finding h4")
        assert titles.count() == len(result.findings)
        for index, finding in enumerate(result.findings):
            title = titles.nth(index)
            title.scroll_into_view_if_needed()
            assert title.is_visible(), finding.id
            assert title.inner_text() == finding.title
        # The radar chart is drawn and visible, labelled for screen readers.
        chart = page.locator("svg.radar")
        assert chart.count() == 1
        chart.scroll_into_view_if_needed()
        assert chart.is_visible()
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] >= min(300, width - 40)
        assert box["height"] > 200
        assert chart.get_attribute("role") == "img"
        description = page.locator("#chart-desc").text_content()
        assert description is not None
        assert description.startswith("Radar chart of the scores")
        # Nothing is wider than the screen: long tables scroll inside their own box.
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width, f"the page is {overflow}px wide at {width}px"
        # The confidence is shown in words, with the five-point scale.
        assert page.locator(".confidence .rating").is_visible()
        assert page.locator(".scale li").count() == 5
        assert page.locator(".scale li[aria-current]").count() == 1
    assert page.evaluate("() => document.scripts.length") == 0
    assert_clean(browser_page)


def test_phone_layout_is_one_column(browser_page: PageProbe, tmp_path: Path) -> None:
    open_html(browser_page, render_html(assessed("marketing-campaign"), OPTIONS), tmp_path, "mc")
    page = browser_page.page
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    first = page.locator(".summary-grid > div").nth(0).bounding_box()
    second = page.locator(".summary-grid > div").nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert second["y"] >= first["y"] + first["height"] - 1  # stacked
    # The action plan becomes cards with their labels.
    cell = page.locator("#action-plan tbody td[data-label='Owner']").first
    label = page.evaluate("(el) => getComputedStyle(el, '::before').content", cell.element_handle())
    assert label == '"Owner"'
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})
    first = page.locator(".summary-grid > div").nth(0).bounding_box()
    second = page.locator(".summary-grid > div").nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert abs(second["y"] - first["y"]) < 2  # side by side
    assert_clean(browser_page)


def test_injection_sample_shows_text_and_runs_nothing(
    browser_page: PageProbe, tmp_path: Path
) -> None:
    data = yaml.safe_load((ROOT / "samples" / "injection.yaml").read_text(encoding="utf-8"))
    open_html(browser_page, render_html(assessed("injection"), OPTIONS), tmp_path, "injection")
    page = browser_page.page
    for width, height in (PHONE, DESKTOP):
        screenshot(page, tmp_path / f"injection-{width}x{height}.png", width, height)
        overflow = page.evaluate("() => document.documentElement.scrollWidth")
        assert overflow <= width, "a long word pushed the page wider than the screen"
    assert page.locator("h1").inner_text() == data["project"]["name"]
    assert page.locator(".client").inner_text() == f"for {data['project']['client']}"
    description = " ".join(data["context"]["description"].split())
    assert page.locator(".description").inner_text() == description
    counts = page.evaluate(
        "() => ({scripts: document.scripts.length, images: document.images.length,"
        " styles: document.querySelectorAll('style').length,"
        " links: [...document.links].filter(a => !a.getAttribute('href').startsWith('#')).length,"
        " injected: document.querySelectorAll('h1').length,"
        " hidden: getComputedStyle(document.body).display})"
    )
    assert counts == {
        "scripts": 0,
        "images": 0,
        "styles": 2,
        "links": 0,
        "injected": 1,
        "hidden": "block",
    }
    assert_clean(browser_page)


def test_branded_report_loads_its_embedded_logo(browser_page: PageProbe, tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(png_bytes(40, 20))
    (tmp_path / "brand.yaml").write_text(
        "firm_name: Northgate Delivery Advisory\nlogo: logo.png\n"
        "primary_colour: '#7a0019'\naccent_colour: '#0b6e4f'\n"
    )
    options = ReportOptions(brand=load_brand(tmp_path / "brand.yaml"))
    open_html(browser_page, render_html(assessed("software-launch"), options), tmp_path, "brand")
    page = browser_page.page
    logo = page.locator(".cover .firm img")
    assert logo.get_attribute("alt") == "Northgate Delivery Advisory logo"
    assert page.evaluate("(img) => img.naturalWidth", logo.element_handle()) == 40
    background = page.evaluate(
        "() => getComputedStyle(document.querySelector('.cover')).backgroundColor"
    )
    assert background == "rgb(122, 0, 25)"
    screenshot(page, tmp_path / "branded-1440x900.png", *DESKTOP)
    assert_clean(browser_page)
