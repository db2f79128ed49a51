"""PDF reports, opened and read back with pypdf: content, pages, metadata, page sizes, and the
URL fetcher that keeps WeasyPrint to what the report embeds.

Needs WeasyPrint and pango: skipped without them on a developer's machine, failed under CI=true
(`require`); `make test` installs both.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from functools import cache
from pathlib import Path

import pytest
from pypdf import PdfReader

from gapcheck.assessment import AssessmentResult, assess_file
from gapcheck.formats.pdf import PdfOutput, html_to_pdf, render, render_pdf
from gapcheck.report import CONFIDENCE_LABELS, PageSize, ReportOptions, build_view, load_brand
from tests.support import pdf_info, pdf_text, require
from tests.test_reports import png_bytes

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))
SAMPLE_IDS = [path.stem for path in SAMPLES]
OPTIONS = ReportOptions(generated_at=dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc))
A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)
PASSWD_MARKERS = ("root:x:0:0", "/bin/bash", "nologin", "daemon:")


def _weasyprint_loads() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


@pytest.fixture(autouse=True)
def _needs_weasyprint() -> None:
    require(_weasyprint_loads(), "WeasyPrint (and pango) are not installed: `make test` does it")


@cache
def assessed(name: str) -> AssessmentResult:
    return assess_file(ROOT / "samples" / f"{name}.yaml", with_answers=True)


class RenderedPdfs(dict[str, tuple[Path, PdfOutput]]):
    """Each sample's A4 PDF, rendered on first use and kept for the module."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __missing__(self, name: str) -> tuple[Path, PdfOutput]:
        output = render_pdf(assessed(name), OPTIONS)
        path = self.folder / f"{name}.pdf"
        path.write_bytes(output.data)
        self[name] = (path, output)
        return self[name]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> RenderedPdfs:
    return RenderedPdfs(tmp_path_factory.mktemp("pdf"))


def flat(text: str) -> str:
    """PDF text on one line: lines joined, a word broken after a hyphen joined again."""
    return re.sub(r"-\s+", "-", " ".join(text.split()))


def page_texts(path: Path) -> list[str]:
    with path.open("rb") as stream:
        return [flat(page.extract_text()) for page in PdfReader(stream).pages]


@pytest.mark.parametrize("sample", SAMPLE_IDS)
def test_every_sample_pdf_has_findings_confidence_and_plan(sample: str, pdfs: RenderedPdfs) -> None:
    path, output = pdfs[sample]
    result = assessed(sample)
    text = flat(pdf_text(path))
    for finding in result.findings:
        assert flat(finding.title) in text, finding.id
    assert CONFIDENCE_LABELS[result.confidence] in text
    assert "Delivery confidence" in text
    assert "Action plan" in text
    assert "Appendix" in text
    assert result.pack.sha256 in text.replace(" ", "")
    # Nothing was refused, and WeasyPrint understood every line of our CSS.
    assert output.refused == ()
    assert output.warnings == ()


@pytest.mark.parametrize("sample", SAMPLE_IDS)
def test_pdf_pages_metadata_and_running_header(sample: str, pdfs: RenderedPdfs) -> None:
    path, _ = pdfs[sample]
    result = assessed(sample)
    info = pdf_info(path)
    answers = sum(len(section.rows) for section in result.answers)
    # Sane: more than a cover, and no more than a page per finding and per ten answers (a
    # finding card with three respondents' evidence takes up to a page; broken print CSS, one
    # element per page, would take far more).
    assert 2 <= info.pages <= 8 + len(result.findings) + answers // 10
    assert info.title == build_view(result, OPTIONS).title
    assert info.author == result.assessor
    assert all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in info.page_sizes)
    pages = page_texts(path)
    assert f"Page 1 of {info.pages}" in pages[0]
    assert f"Page {info.pages} of {info.pages}" in pages[-1]
    for page in pages[1:]:
        assert flat(result.project.name)[:40] in page, page[:80]


@pytest.mark.parametrize("sample", ["deep-trouble", "marketing-campaign", "product-development"])
def test_no_finding_is_split_across_pages(sample: str, pdfs: RenderedPdfs) -> None:
    """A finding's card (its id line, why it matters, because lines, recommendations) stays on
    one page: the id and the last line of its card are found on the same page."""
    path, _ = pdfs[sample]
    pages = page_texts(path)
    for finding in assessed(sample).findings:
        starts = [index for index, page in enumerate(pages) if f"· {finding.id} ·" in page]
        assert len(starts) == 1, finding.id
        tail = flat(finding.recommendations[-1].action)[-40:]
        assert tail in pages[starts[0]], (finding.id, starts[0])


def test_letter_and_a4(tmp_path: Path) -> None:
    for size, expected in ((PageSize.letter, LETTER), (PageSize.a4, A4)):
        path = tmp_path / f"{size.value}.pdf"
        path.write_bytes(render(assessed("healthy-project"), ReportOptions(page_size=size)))
        info = pdf_info(path)
        assert all(
            abs(w - expected[0]) < 1 and abs(h - expected[1]) < 1 for w, h in info.page_sizes
        )


def test_injection_pdf_shows_text_and_reads_no_file(pdfs: RenderedPdfs) -> None:
    path, output = pdfs["injection"]
    text = flat(pdf_text(path))
    assert "<script>alert('name')</script> {{ 7*7 }} Launch" in text
    assert "{% include '/etc/passwd' %}" in text
    assert not any(marker in text for marker in PASSWD_MARKERS)
    raw = path.read_bytes()
    assert b"root:x:0:0" not in raw
    assert output.refused == ()


def test_fetcher_refuses_every_url_but_embedded_images() -> None:
    png = base64.b64encode(png_bytes()).decode()
    html = f"""<!DOCTYPE html><html><head><title>t</title>
<link rel="stylesheet" href="https://example.invalid/style.css">
<style>@import url("file:///etc/hostname"); body {{ background: url(file:///etc/passwd); }}</style>
</head><body><p>hello</p>
<img src="file:///etc/passwd" alt="passwd">
<img src="http://127.0.0.1:9/tracker.png" alt="tracker">
<img src="data:text/plain;base64,cm9vdDp4OjA6MA==" alt="text">
<img src="data:image/png;base64,{png}" alt="ok">
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10"
 height="10"><image xlink:href="file:///etc/passwd" width="10" height="10"/></svg>
</body></html>"""
    output = html_to_pdf(html, title="t", author="a")
    refused = set(output.refused)
    assert "file:///etc/passwd" in refused
    assert "http://127.0.0.1:9/tracker.png" in refused
    assert "https://example.invalid/style.css" in refused
    assert "file:///etc/hostname" in refused
    assert any(url.startswith("data:text/plain") for url in refused)
    assert not any(url.startswith("data:image/png") for url in refused)
    assert b"root:x:0:0" not in output.data
    assert output.data.startswith(b"%PDF-")


def test_svg_logo_cannot_reach_a_file(tmp_path: Path) -> None:
    """A brand's SVG logo is embedded, and what it links to is refused like anything else."""
    (tmp_path / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
        ' width="40" height="20"><rect width="40" height="20" fill="#0a0"/>'
        '<image xlink:href="file:///etc/passwd" width="40" height="20"/></svg>'
    )
    (tmp_path / "brand.yaml").write_text("firm_name: Northgate\nlogo: logo.svg\n")
    brand = load_brand(tmp_path / "brand.yaml")
    output = render_pdf(assessed("healthy-project"), ReportOptions(brand=brand))
    assert "file:///etc/passwd" in output.refused
    assert not any(url.startswith("data:image/svg") for url in output.refused)
    path = tmp_path / "branded.pdf"
    path.write_bytes(output.data)
    assert "Northgate" in pdf_text(path)


def test_cli_writes_a_pdf_atomically(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gapcheck.cli import main

    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(
        main,
        ["assess", str(ROOT / "samples" / "two-respondents-disagree.yaml"), "-o", str(out),
         "--page-size", "letter"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == f"meridian-dc-bristol: amber-green, 1 findings -> {out}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]
    info = pdf_info(out)
    assert all(abs(w - LETTER[0]) < 1 for w, _ in info.page_sizes)
    assert "Rebecca Thornton" in pdf_text(out)


def test_cli_warns_about_refused_urls(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from gapcheck.cli import main

    folder = tmp_path / "firm"
    folder.mkdir()
    (folder / "report.html").write_text(
        '{% extends "gapcheck/base.html" %}{% block cover %}'
        '<img src="https://cdn.example.invalid/logo.png" alt="logo">{{ super() }}{% endblock %}'
    )
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(
        main,
        ["assess", str(ROOT / "samples" / "healthy-project.yaml"), "-o", str(out),
         "--templates", str(folder)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith(
        "Warning: the PDF does not include https://cdn.example.invalid/logo.png: reports load no"
        " external resource\n"
    )
    assert out.exists()
