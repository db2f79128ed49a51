"""The browser and PDF test infrastructure works for real: Chromium, WeasyPrint, pypdf."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.support import PageProbe, pdf_info, pdf_text, require, screenshot

A4_POINTS = (595.28, 841.89)


def write_page(tmp_path: Path, body: str, name: str = "page.html") -> str:
    path = tmp_path / name
    path.write_text(
        f"<!doctype html><html lang=en><meta charset=utf-8><title>Probe</title>{body}</html>",
        encoding="utf-8",
    )
    return path.as_uri()


def test_require_passes_when_condition_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    require(True, "never shown")


def test_require_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        require(False, "chromium is missing")


@pytest.mark.parametrize("ci", [None, "false", "1", ""])
def test_require_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception, match="chromium is missing"):
        require(False, "chromium is missing")


def test_page_loads_from_file_with_visible_heading(browser_page: PageProbe, tmp_path: Path) -> None:
    page = browser_page.page
    page.goto(write_page(tmp_path, "<h1>Readiness report</h1><p>All clear.</p>"))
    heading = page.get_by_role("heading", name="Readiness report")
    assert heading.is_visible()
    assert page.title() == "Probe"
    assert browser_page.console_errors == []
    assert browser_page.failed_requests == []
    assert browser_page.external_requests == []


def test_console_error_is_recorded(browser_page: PageProbe, tmp_path: Path) -> None:
    browser_page.page.goto(write_page(tmp_path, '<script>console.error("x")</script>'))
    assert browser_page.console_errors == ["x"]


def test_uncaught_exception_is_recorded(browser_page: PageProbe, tmp_path: Path) -> None:
    browser_page.page.goto(write_page(tmp_path, "<script>throw new Error('boom')</script>"))
    assert len(browser_page.console_errors) == 1
    assert "boom" in browser_page.console_errors[0]


def test_external_request_is_recorded_failed_and_never_sent(
    browser_page: PageProbe, tmp_path: Path
) -> None:
    url = "http://example.invalid/x.png"
    browser_page.page.goto(write_page(tmp_path, f'<img src="{url}" alt="remote">'))
    assert browser_page.external_requests == [url]
    assert len(browser_page.failed_requests) == 1
    assert browser_page.failed_requests[0].startswith(url)
    assert "ERR_BLOCKED_BY_CLIENT" in browser_page.failed_requests[0]


def test_local_resources_are_not_external(browser_page: PageProbe, tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("h1 { color: rgb(1, 2, 3); }", encoding="utf-8")
    page = browser_page.page
    page.goto(
        write_page(
            tmp_path,
            '<link rel=stylesheet href="style.css"><h1>Styled</h1>'
            '<img alt="dot" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
        )
    )
    assert page.eval_on_selector("h1", "e => getComputedStyle(e).color") == "rgb(1, 2, 3)"
    assert browser_page.external_requests == []
    assert browser_page.failed_requests == []


def test_screenshot_is_full_page_png(browser_page: PageProbe, tmp_path: Path) -> None:
    browser_page.page.goto(write_page(tmp_path, '<div style="height: 2000px">tall</div>'))
    out = tmp_path / "shot.png"
    screenshot(browser_page.page, out, width=400, height=300)
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert width == 400
    assert height >= 2000


def write_pdf(html: str, path: Path) -> None:
    try:
        import weasyprint
    except OSError as error:  # pango (or another system library) is missing
        require(False, f"WeasyPrint cannot load its system libraries: {error}")
        raise
    weasyprint.HTML(string=html).write_pdf(path)


def test_weasyprint_pdf_is_read_back(tmp_path: Path) -> None:
    out = tmp_path / "tiny.pdf"
    write_pdf(
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Gapcheck probe</title><meta name=author content='Ada Lovelace'></head>"
        "<body><h1>Readiness</h1><p>Ready to implement.</p></body></html>",
        out,
    )
    assert out.read_bytes().startswith(b"%PDF-")
    text = pdf_text(out)
    assert "Readiness" in text
    assert "Ready to implement." in text
    info = pdf_info(out)
    assert info.pages == 1
    assert info.title == "Gapcheck probe"
    assert info.author == "Ada Lovelace"
    assert len(info.page_sizes) == 1
    assert info.page_sizes[0] == pytest.approx(A4_POINTS, abs=1)


def test_pdf_info_counts_pages_and_sizes(tmp_path: Path) -> None:
    out = tmp_path / "two.pdf"
    write_pdf(
        "<style>@page { size: letter landscape }</style>"
        "<p>one</p><p style='break-before: page'>two</p>",
        out,
    )
    info = pdf_info(out)
    assert info.pages == 2
    assert info.title is None
    assert info.author is None
    assert info.page_sizes == ((792.0, 612.0), (792.0, 612.0))
    assert pdf_text(out).split() == ["one", "two"]
