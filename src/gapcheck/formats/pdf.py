"""The PDF report: the HTML report, laid out for print by WeasyPrint.

The PDF is rendered from exactly the HTML of the HTML report (never a second layout); its
print CSS (``templates/report.css``) gives the page size, margins, running header, page
numbers and page breaks. WeasyPrint may load nothing but what the report embeds itself:
:class:`EmbeddedOnlyFetcher` serves ``data:`` images (the brand's logo, checked when the brand
was loaded) and refuses every other URL (``file:``, ``http:``, anything), so a template or
an SVG logo cannot make the renderer read a local file or reach the network.
"""

from __future__ import annotations

import base64
import logging
import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gapcheck.errors import RenderError
from gapcheck.report import ReportOptions, build_view, render_text

if TYPE_CHECKING:
    from gapcheck.assessment import AssessmentResult

#: The only resources a report may embed: images, as data: URIs.
ALLOWED_DATA_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml"})
_DATA_URI = re.compile(
    r"^data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[^;,]*)*?),(?P<data>.*)$", re.S
)


class RefusedURL(ValueError):
    """A URL the PDF renderer may not load."""


class EmbeddedOnlyFetcher:
    """WeasyPrint's URL fetcher for reports: data: images only; every other URL refused and
    remembered in :attr:`refused`."""

    def __init__(self) -> None:
        self.refused: list[str] = []

    def __call__(self, url: str, *args: Any, **kwargs: Any) -> Any:
        return self.fetch(url)

    def fetch(self, url: str, headers: Any = None) -> Any:
        match = _DATA_URI.match(url)
        mime = (match.group("type") or "").lower() if match else ""
        if match is None or mime not in ALLOWED_DATA_TYPES:
            self.refused.append(url if len(url) <= 200 else url[:200] + "...")
            raise RefusedURL(f"gapcheck reports load no external resource: refused {url[:200]}")
        payload = match.group("data")
        if ";base64" in match.group("params").lower():
            body = base64.b64decode(payload, validate=False)
        else:
            body = urllib.parse.unquote_to_bytes(payload)
        return _response(url, body, mime)


def _response(url: str, body: bytes, mime: str) -> Any:
    from weasyprint import urls  # noqa: PLC0415 - WeasyPrint loads only for a PDF

    response_class = getattr(urls, "URLFetcherResponse", None)
    if response_class is None:  # WeasyPrint before 66: fetchers return a dict
        return {"string": body, "mime_type": mime, "redirected_url": url}
    return response_class(url, body, {"Content-Type": mime})


@dataclass(frozen=True)
class PdfOutput:
    data: bytes
    #: URLs the fetcher refused to load.
    refused: tuple[str, ...]
    #: WeasyPrint's warnings (unsupported CSS, unloadable resources), for tests and the CLI.
    warnings: tuple[str, ...]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    """Collect WeasyPrint's log warnings instead of letting them reach stderr."""
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def html_to_pdf(html: str, *, title: str, author: str) -> PdfOutput:
    """Lay out report HTML as a PDF; title and author fill the metadata the HTML leaves out."""
    try:
        import weasyprint  # noqa: PLC0415 - slow to import, and needs pango
    except (ImportError, OSError) as error:
        raise RenderError(
            "PDF reports need WeasyPrint and the pango library (`make system-deps` installs"
            f" them): {error}"
        ) from error
    fetcher = EmbeddedOnlyFetcher()
    with _weasyprint_warnings() as messages:
        document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
        metadata = document.metadata
        metadata.title = metadata.title or title
        metadata.authors = metadata.authors or [author]
        data = document.write_pdf()
    if not isinstance(data, bytes):  # write_pdf() without a target always returns bytes
        raise RenderError("WeasyPrint returned no PDF")
    return PdfOutput(data, tuple(fetcher.refused), tuple(messages))


def render_pdf(result: AssessmentResult, options: ReportOptions) -> PdfOutput:
    view = build_view(result, options)
    html = render_text(view, "html", options.templates)
    return html_to_pdf(html, title=view.title, author=view.assessor)


def render(result: AssessmentResult, options: ReportOptions) -> bytes:
    return render_pdf(result, options).data
