"""Support for browser and PDF tests: the skip-or-fail policy, PDF readers, screenshots.

A test that needs a tool (Chromium, Playwright, pango) calls `require`: without the tool it is
skipped on a developer's machine but FAILS in CI (`CI=true`), since a skipped browser or PDF test
is not a passed one. `make test` installs the tools, so neither should happen.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page

    from gapcheck.portfolio import Portfolio

CHROMIUM = Path("/usr/bin/chromium")
# Headless Debian Chromium on a machine whose network is closed: without the background-networking
# flags it keeps retrying Google services. Playwright adds --headless and a fresh temporary
# user-data-dir to every `launch` (a --user-data-dir here would be refused).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# URL schemes a self-contained report may load; any other request is an external one.
LOCAL_SCHEMES = ("file:", "data:", "about:")


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Go on if `condition`; else skip the test, or fail it when CI=true."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (CI=true: a missing tool fails the test, it is not skipped)")
    pytest.skip(reason)


def is_local_url(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES)


@dataclass
class PageProbe:
    """A fresh page and what went wrong on it so far (filled in by the page's event handlers)."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)


def open_html(probe: PageProbe, html: str, folder: Path, name: str) -> Path:
    """Write a page to ``folder/name.html`` and open it; no script may pop up a dialog."""
    path = folder / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:  # alert(), confirm(), prompt(): a script ran
        dialogs.append(dialog.message)
        dialog.dismiss()

    probe.page.on("dialog", on_dialog)
    probe.page.goto(path.as_uri())
    probe.page.wait_for_load_state("load")
    assert dialogs == [], "a script ran"
    return path


def assert_clean(probe: PageProbe) -> None:
    """No console error, no failed request, nothing fetched from outside the page."""
    assert probe.console_errors == []
    assert probe.failed_requests == []
    assert probe.external_requests == []


@dataclass(frozen=True)
class PdfInfo:
    pages: int
    title: str | None
    author: str | None
    page_sizes: tuple[tuple[float, float], ...]  # (width, height) in points, one per page


def pdf_text(path: Path) -> str:
    """The extracted text of every page, pages joined by newlines."""
    with path.open("rb") as stream:
        reader = PdfReader(stream)
        return "\n".join(page.extract_text() for page in reader.pages)


def pdf_info(path: Path) -> PdfInfo:
    with path.open("rb") as stream:
        reader = PdfReader(stream)
        metadata = reader.metadata
        return PdfInfo(
            pages=len(reader.pages),
            title=metadata.title if metadata is not None else None,
            author=metadata.author if metadata is not None else None,
            page_sizes=tuple(
                (float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages
            ),
        )


def screenshot(page: Page, path: Path, width: int, height: int) -> None:
    """A full-page PNG of `page` at a `width` x `height` viewport (the height grows to fit)."""
    page.set_viewport_size({"width": width, "height": height})
    page.screenshot(path=path, full_page=True)


def generated_portfolio(count: int, seed: int) -> Portfolio:
    """A portfolio of ``count`` generated projects (summaries only, no reports) with the default
    pack's areas and findings: for pages far larger than the samples make."""
    from gapcheck.assessment import PackRef
    from gapcheck.pack import load_pack
    from gapcheck.portfolio import ProjectSummary, build_portfolio

    pack = load_pack()
    rng = random.Random(seed)
    areas = list(pack.area_titles)
    rules = [loaded.rule.id for loaded in pack.rules]
    summaries = [
        ProjectSummary(
            project_id=f"proj-{index:06d}",
            project_name=f"Project {rng.randint(0, 10**6):07d}",
            client=f"Client {index % 97}",
            assessed_on=dt.date(2026, 1 + index % 12, 1 + index % 28),
            slug=f"proj-{index:06d}",
            input=f"inputs/proj-{index:06d}.yaml",
            confidence=rng.choice(["green", "amber-green", "amber", "amber-red", "red"]),
            overall=rng.randint(0, 100),
            scores={area: rng.choice([None, *range(101)]) for area in areas},
            counts={"critical": rng.randint(0, 2), "high": rng.randint(0, 6)},
            findings=tuple(rng.sample(rules, rng.randint(0, 8))),
            reports={"json": f"proj-{index:06d}.json"},
        )
        for index in range(count)
    ]
    return build_portfolio(
        summaries,
        [],
        PackRef(pack.name, pack.version, pack.sha256),
        pack.area_titles,
        {loaded.rule.id: loaded.rule.title for loaded in pack.rules},
    )
