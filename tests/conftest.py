"""Shared fixtures: a real headless Chromium (Debian's, driven by Playwright) and probed pages."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support import CHROMIUM, CHROMIUM_ARGS, PageProbe, is_local_url, require

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Request, Route


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Browser]:
    """One headless Chromium for the session; skipped (failed under CI=true) when missing."""
    require(
        importlib.util.find_spec("playwright") is not None,
        "the playwright package is not installed (make test installs it)",
    )
    require(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"{CHROMIUM} is missing: `make system-deps` installs Debian's chromium",
    )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def browser_page(chromium_browser: Browser) -> Iterator[PageProbe]:
    """A page in a new context, recording console errors, failed and external requests.

    External requests (any scheme but file:, data:, about:) are recorded and then aborted, so a test
    never reaches the network; each such request is also reported as a failed one.
    """
    context = chromium_browser.new_context()
    try:
        page = context.new_page()
        probe = PageProbe(page)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                probe.console_errors.append(message.text)

        def on_page_error(error: Exception) -> None:
            # An uncaught exception is a console error in DevTools, but not a console event here.
            probe.console_errors.append(f"uncaught: {error}")

        def on_request(request: Request) -> None:
            if not is_local_url(request.url):
                probe.external_requests.append(request.url)

        def on_request_failed(request: Request) -> None:
            probe.failed_requests.append(f"{request.url} ({request.failure})")

        def block(route: Route) -> None:
            route.abort("blockedbyclient")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("request", on_request)
        page.on("requestfailed", on_request_failed)
        context.route(lambda url: not is_local_url(url), block)
        yield probe
    finally:
        context.close()
