"""Report rendering benchmark: HTML and PDF reports per second on the samples, in one process.

    python benchmarks/render.py [--rounds N] [--pdf-rounds M] [--no-pdf]

For every sample (``samples/*.yaml``), timed one after the other, warm (one untimed run first):

- engine: ``assess_file(path, with_answers=True)``: read, validate, diagnose, score;
- view: ``build_view``: the report's view model;
- Jinja: ``render_text`` of the HTML report (and of the Markdown one, for comparison);
- WeasyPrint: ``html_to_pdf`` of that HTML (layout and PDF writing), with the page count.

Then prints HTML reports per second (rendering an assessed result, and end to end from the
answers file), PDF seconds per report and per page, and where the time goes (engine, view
model, Jinja, WeasyPrint). Targets: HTML at least 200 reports per second; a two-page PDF
under 0.5 s. Figures that miss their target are marked "below target"; nothing fails.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import orjson
from pypdf import PdfReader

from gapcheck.answers import validate_answers
from gapcheck.assessment import AssessmentResult, assess, assess_file
from gapcheck.formats.pdf import html_to_pdf, render_pdf
from gapcheck.loading import parse_document
from gapcheck.pack import load_pack
from gapcheck.report import ReportOptions, build_view, render_text

REPO = Path(__file__).resolve().parent.parent
HTML_TARGET = 200.0  # reports per second
PDF_TWO_PAGES_TARGET = 0.5  # seconds

_T = TypeVar("_T")


def timed(function: Callable[[], _T]) -> tuple[_T, float]:
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


@dataclass
class SampleTimes:
    name: str
    findings: int
    engine: list[float] = field(default_factory=list)
    view: list[float] = field(default_factory=list)
    jinja_html: list[float] = field(default_factory=list)
    jinja_md: list[float] = field(default_factory=list)
    weasyprint: list[float] = field(default_factory=list)
    pages: int = 0
    html_bytes: int = 0


def verdict(ok: bool) -> str:
    return "ok" if ok else "below target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=50, help="HTML rounds per sample")
    parser.add_argument("--pdf-rounds", type=int, default=3, help="PDF rounds per sample")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF figures")
    args = parser.parse_args()

    samples = sorted((REPO / "samples").glob("*.yaml"))
    options = ReportOptions()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs;"
        f" {len(samples)} samples, {args.rounds} HTML rounds and"
        f" {0 if args.no_pdf else args.pdf_rounds} PDF rounds each"
    )

    results: dict[str, AssessmentResult] = {}
    times: list[SampleTimes] = []
    for path in samples:
        result = assess_file(path, with_answers=True)  # warm: pack, engine, templates
        render_text(build_view(result, options), "html")
        results[path.stem] = result
        entry = SampleTimes(path.stem, len(result.findings))
        for _ in range(args.rounds):
            assessed, seconds = timed(partial(assess_file, path, with_answers=True))
            entry.engine.append(seconds)
            model, seconds = timed(partial(build_view, assessed, options))
            entry.view.append(seconds)
            html, seconds = timed(partial(render_text, model, "html"))
            entry.jinja_html.append(seconds)
            _, seconds = timed(partial(render_text, model, "md"))
            entry.jinja_md.append(seconds)
            entry.html_bytes = len(html.encode())
        times.append(entry)

    if not args.no_pdf:
        html_to_pdf(render_text(build_view(results["healthy-project"], options), "html"),
                    title="warm", author="warm")  # fmt: skip
        for entry in times:
            model = build_view(results[entry.name], options)
            html = render_text(model, "html")
            for _ in range(args.pdf_rounds):
                output, seconds = timed(
                    partial(html_to_pdf, html, title=model.title, author=model.assessor)
                )
                entry.weasyprint.append(seconds)
            entry.pages = len(PdfReader(io.BytesIO(output.data)).pages)

    def median(values: list[float]) -> float:
        return statistics.median(values) if values else 0.0

    print()
    print(
        f"{'sample':<26} {'findings':>8} {'engine':>8} {'view':>7} {'jinja':>7} {'md':>7}"
        f" {'html KB':>8} {'pdf':>8} {'pages':>5} {'s/page':>7}"
    )
    for entry in times:
        pdf = median(entry.weasyprint)
        per_page = pdf / entry.pages if entry.pages else 0.0
        print(
            f"{entry.name:<26} {entry.findings:>8} {median(entry.engine) * 1000:>6.2f}ms"
            f" {median(entry.view) * 1000:>5.2f}ms {median(entry.jinja_html) * 1000:>5.2f}ms"
            f" {median(entry.jinja_md) * 1000:>5.2f}ms {entry.html_bytes / 1024:>8.0f}"
            + (f" {pdf:>7.2f}s {entry.pages:>5} {per_page:>6.3f}s" if entry.pages else "")
        )

    engine = sum(median(e.engine) for e in times)
    view = sum(median(e.view) for e in times)
    jinja = sum(median(e.jinja_html) for e in times)
    count = len(times)
    render_rate = count / (view + jinja)
    html_total = engine + view + jinja
    end_to_end_rate = count / html_total
    print()
    print(
        f"HTML: {render_rate:,.0f} reports/s rendering an assessed result (view model + Jinja),"
        f" target >= {HTML_TARGET:.0f}: {verdict(render_rate >= HTML_TARGET)}"
    )
    print(
        f"      {end_to_end_rate:,.0f} reports/s end to end from the answers file;"
        f" time: engine {engine / html_total:.0%}, view model {view / html_total:.0%},"
        f" Jinja {jinja / html_total:.0%}"
    )
    if args.no_pdf:
        return
    weasy = sum(median(e.weasyprint) for e in times)
    pages = sum(e.pages for e in times)
    total = engine + view + jinja + weasy
    per_page = weasy / pages
    shortest = min(times, key=lambda e: e.pages)
    print(
        f"PDF:  {count / total:.2f} reports/s end to end, {total / count:.2f} s per report"
        f" ({pages / count:.1f} pages on average), {per_page:.3f} s per page;"
        f" time: engine {engine / total:.1%}, view model {view / total:.1%},"
        f" Jinja {jinja / total:.1%}, WeasyPrint {weasy / total:.1%}"
    )
    two_pages = 2 * per_page
    print(
        f"      a two-page PDF takes {two_pages:.2f} s at that rate (target <"
        f" {PDF_TWO_PAGES_TARGET} s: {verdict(two_pages < PDF_TWO_PAGES_TARGET)}); the shortest"
        f" sample, {shortest.name}, {shortest.pages} pages: {median(shortest.weasyprint):.2f} s"
    )
    short_pages, short_seconds = short_report(args.pdf_rounds)
    print(
        f"      a real short report (small test pack, no findings): {short_pages} pages in"
        f" {short_seconds:.2f} s, start to finish (median)"
    )


def short_report(rounds: int) -> tuple[int, float]:
    """Assess and render a real short report: the mini test pack, one healthy respondent."""
    pack = load_pack(Path(__file__).resolve().parent.parent / "tests" / "packs" / "mini")
    data = {
        "format_version": 1,
        "project": {"id": "short", "name": "Short report", "client": "Benchmark"},
        "assessed_on": "2026-11-01",
        "assessor": "Benchmark",
        "context": {"ptype": "alpha", "phase": "planning"},
        "respondents": [{"name": "Ann", "role": "Lead", "answers": {"goals": "yes", "mood": 5}}],
    }
    document = parse_document(orjson.dumps(data), Path("short.json"))
    options = ReportOptions(pack=pack)
    seconds: list[float] = []
    pages = 0
    for _ in range(max(rounds, 1) + 1):  # the first round warms WeasyPrint's fonts up
        start = time.perf_counter()
        result = assess(validate_answers(document, pack), pack, with_answers=True)
        output = render_pdf(result, options)
        seconds.append(time.perf_counter() - start)
        pages = len(PdfReader(io.BytesIO(output.data)).pages)
    return pages, statistics.median(seconds[1:])


if __name__ == "__main__":
    main()
