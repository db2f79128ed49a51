"""The HTML report's bytes, pinned: template speed-ups must not change a single byte.

The digests below were recorded from the templates as they were before the HTML templates were
tuned for speed (commit 7f85124), by running this module's ``_digests()`` and pasting its output:
every sample in samples/ rendered with ``render_html(assess_file(path, with_answers=True),
ReportOptions(generated_at=FIXED_TIME))``, and generated projects (``generate_portfolio`` with the
seeds and healths in ``GENERATED``) rendered the same way. A changed template, view model or
Jinja set-up that alters any output shows up here as a changed digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import jinja2
import pytest

from gapcheck.answers import validate_answers
from gapcheck.assessment import AssessmentResult, assess, assess_file
from gapcheck.loading import parse_document
from gapcheck.pack import load_pack
from gapcheck.report import Kind, ReportOptions, build_view, environment, render_html
from gapcheck.synthetic import generate_portfolio

ROOT = Path(__file__).parent.parent
FIXED_TIME = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
#: (seed, count, health): mixed projects, plus very healthy and very unhealthy ones so that
#: empty findings, empty action plans and long ones are all covered.
GENERATED = ((2024, 24, None), (7, 3, 0.97), (8, 3, 0.03))

SAMPLE_DIGESTS: dict[str, str] = {
    "deep-trouble": "3b21cac3347136c095f6d1e73f60f5fb2381487ce44e7868053ef35e0b6ed7d4",
    "healthy-project": "12ae1e5481663053a0ae3937d9c98931c0afebbb60e57e00fa8507b501e18d63",
    "injection": "bc3fa1eaee590be4be0b80cc80a06fcba49a5d952d394370ebebb2226f1880a7",
    "marketing-campaign": "2f40361487ba55d1833a69a6edcf7efc08e8ed949db301f93c2147287ff1f743",
    "other-type-planning": "ca32678eb01205ad6081422e3555bb91c27fa0ce73eb085ebf208e2f1aad9c39",
    "product-development": "01bfbe9792e58e1d36e37e64c21610606049ebf6d0d68d5a97bab17ae9e078a0",
    "software-launch": "82d8e773921f4f929884f7886b6bf62666943b505dbd8aab6a620755171dccc2",
    "two-respondents-disagree": "60c70a754cc30cc6adf63b9e798538698e29a36b91706def193b56b51a06d65a",
}

GENERATED_DIGESTS: dict[str, str] = {
    "2024/proj-000000": "b8ef14380df13ea2ebcd0fe3a6973d872f0abe073c793a6852634cb6cd8681ea",
    "2024/proj-000001": "752f605f139d2097392b871c5d2e19c6f765191e2066eb77973a2d38d4a0876b",
    "2024/proj-000002": "6794ceb26ad8943bf7d0ddaec213c0c60b33f8cf16b5004e6d4ee4b26e297062",
    "2024/proj-000003": "7058b88ae7c2432e9a5c03ce98b54b79a849d58e8d38438389d1b2b3ccc049a4",
    "2024/proj-000004": "600092b4a7f503155c178d7ce73ac89328ce16ddb8bd29bdf6c12dc3ef175647",
    "2024/proj-000005": "6e0972d33fab8344805d619f64cda53eee34e33968838ffe25a40f36f21a41c8",
    "2024/proj-000006": "61d58247f6a5b6f2623951d8632818207673d64f9c6c5fcf3e7527588941a262",
    "2024/proj-000007": "5202968992d24771dc358b6339cd127527d85308691c4280c3c9fa7c3f1858d0",
    "2024/proj-000008": "1dcf480f83d02361586dcab378807f59cab90b529f0e76ae598f17b83e173d8f",
    "2024/proj-000009": "1155cfebe00ba2699eed9fad5a7ab30fb50067b9d8376844ba4ce432f9615e71",
    "2024/proj-000010": "b78689031ea7a830a6efebe24d5292efa343685a6ceeb10b8e2d4371535af341",
    "2024/proj-000011": "06bbb9e74e86bd9d0c23ee7d4a3f458220ffb68d1bc0df74bb0e024afedbc242",
    "2024/proj-000012": "7bf2e9d0434efac1c7e087c72ebe1f034413b1cb80f048188e62885bceb02831",
    "2024/proj-000013": "117af3c471a50c55dce0f4cac9fccd2bc77595063a1e04de8c046f344e3ba124",
    "2024/proj-000014": "817e24937d4d03bee2aa2942b16dfdbe9d090ea96473fdfa201e501e031a5d39",
    "2024/proj-000015": "15b79877dc76fbd1340cee5f6cad622a3aa2ffd0fef17b312cbfce0e9b60aaa8",
    "2024/proj-000016": "11aa6a45bf10bb63abcbe18e8704e010f4397f12ba7c7b7270dc00bcc6bcf6c9",
    "2024/proj-000017": "57f21df2b8315afd7e7cb60d0d171b3d164f411082d20cebad98ccbbc0fc4d16",
    "2024/proj-000018": "21330fe592f1b9ab84d456e079a32f01d20985fcf76758c42f6408469385b2d4",
    "2024/proj-000019": "151e5318d4df2478e36e8ee7f2941728a1c569173e1d72123e5fb848d79f1423",
    "2024/proj-000020": "f55de8380479636236994027eed62d39288d0517af7a78cc65531de1d1fbe990",
    "2024/proj-000021": "f40f100b47840d8ab4100f4d9801be3da629ea5e1df561110adeacebe7549ebe",
    "2024/proj-000022": "88a5c86330d3d7cedaabf321ebb46af2190df6c895ce64eeb33ac3d05eb3aa5f",
    "2024/proj-000023": "c02e8a04a11a4347c0795602dace803b576ca56829a3e88873679d6e1b273a62",
    "7/proj-000000": "a68e349c3dfcff0061062b76b7fa9eab1d059d8f1a5a95380d8b15627eb17405",
    "7/proj-000001": "33be8c16d26fbdd6abd8ad055f353b372ff0edc9cd4a231777c5574c83713f6f",
    "7/proj-000002": "9dac9df9f9245116320a0172e6f1800882ef1a07a3c5afe613b5bf7ee50f03f6",
    "8/proj-000000": "ab3bfd979de3f0a7f80cfa52a6617931b50a5ac1bb8be82f83fd095db09f5316",
    "8/proj-000001": "e1f4a323626bb338ab207b8b88626c5a59e4f19bc2b5370e5bddc84a74d0507e",
    "8/proj-000002": "f4c555518ba5fdbeebd72b2290e70dd82cb6525da2bf000b5ff8b1ba73152b86",
}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _generated() -> dict[str, AssessmentResult]:
    pack = load_pack()
    results: dict[str, AssessmentResult] = {}
    for seed, count, health in GENERATED:
        for document in generate_portfolio(pack, count, seed, health=health):
            raw = json.dumps(document).encode("utf-8")
            answers = validate_answers(parse_document(raw, Path("project.json")), pack)
            key = f"{seed}/{document['project']['id']}"
            results[key] = assess(answers, pack, with_answers=True)
    return results


def _digests() -> tuple[dict[str, str], dict[str, str]]:
    options = ReportOptions(generated_at=FIXED_TIME)
    samples = {
        path.stem: _sha256(render_html(assess_file(path, with_answers=True), options))
        for path in sorted((ROOT / "samples").glob("*.yaml"))
    }
    generated = {key: _sha256(render_html(result, options)) for key, result in _generated().items()}
    return samples, generated


@pytest.fixture(scope="module")
def digests() -> tuple[dict[str, str], dict[str, str]]:
    return _digests()


def test_every_sample_renders_the_recorded_html(
    digests: tuple[dict[str, str], dict[str, str]],
) -> None:
    assert digests[0] == SAMPLE_DIGESTS


def test_generated_projects_render_the_recorded_html(
    digests: tuple[dict[str, str], dict[str, str]],
) -> None:
    assert digests[1] == GENERATED_DIGESTS


if __name__ == "__main__":
    for table in _digests():
        print("{")
        for key, digest in table.items():
            print(f'    "{key}": "{digest}",')
        print("}")


def _stock_environment(bundled: jinja2.Environment) -> jinja2.Environment:
    """The same environment compiled by Jinja's own code generator (one yield per piece)."""
    stock = jinja2.Environment()
    stock.__dict__.update(bundled.__dict__)
    stock.cache = {}
    return stock


@pytest.mark.parametrize("kind", ["html", "md"])
def test_joined_output_renders_what_stock_jinja_renders(kind: Kind) -> None:
    bundled = environment(None, kind)
    stock = _stock_environment(bundled)
    assert type(bundled).code_generator_class is not jinja2.Environment.code_generator_class
    name = "report.html" if kind == "html" else "report.md"
    options = ReportOptions(generated_at=FIXED_TIME)
    results = [assess_file(path, with_answers=True) for path in sorted(ROOT.glob("samples/*.yaml"))]
    results += list(_generated().values())[:10]
    for result in results:
        view = build_view(result, options)
        ours = bundled.get_template(name).render(report=view)
        assert ours == stock.get_template(name).render(report=view)


def test_joined_output_yields_whole_runs_not_pieces() -> None:
    """The point of the code generator: far fewer chunks pass up through the generators."""
    bundled = environment(None, "html")
    view = build_view(assessed_sample("deep-trouble"), ReportOptions(generated_at=FIXED_TIME))
    ours = list(bundled.get_template("report.html").generate(report=view))
    stock = list(_stock_environment(bundled).get_template("report.html").generate(report=view))
    assert "".join(ours) == "".join(stock)
    assert len(ours) * 10 < len(stock)


def assessed_sample(name: str) -> AssessmentResult:
    return assess_file(ROOT / "samples" / f"{name}.yaml", with_answers=True)


#: Templates that exercise what the joined output must leave alone: loop else branches, loop
#: filters, recursive loops, loop variables, includes, blocks and macros inside loops.
_TRICKY = {
    "part.html": "<i>{{ item }}</i>",
    "base.html": "<{{ tag }}>{% block rows %}{% endblock %}</{{ tag }}>",
    "child.html": (
        '{% extends "base.html" %}{% set ignored = 1 %}{% block rows %}'
        "{% for item in items %}{% block row scoped %}[{{ item }}]{% endblock %}{% endfor %}"
        "{% endblock %}"
    ),
    "loops.html": (
        "{% macro cell(v) %}<td>{{ v }}</td>{% endmacro %}"
        "{% macro wrap() %}<b>{% for n in [1, 2] %}{{ caller() }}{% endfor %}</b>{% endmacro %}"
        "{% for item in items if item != 'b' %}{{ loop.index }}:{{ cell(item) }}"
        "{% if loop.last %}!{% endif %}{% include 'part.html' %}{% set x = item %}{{ x }}"
        "{% else %}none{% endfor %}|{% for item in [] %}{{ item }}{% else %}empty <{{ tag }}>"
        "{% endfor %}|{% for node in tree recursive %}({{ node.name }}"
        "{{ loop(node.children) }}){% endfor %}|{% call wrap() %}<{{ tag }}>{% endcall %}"
    ),
}


@pytest.mark.parametrize("name", ["child.html", "loops.html"])
def test_joined_output_matches_stock_jinja_on_tricky_templates(name: str) -> None:
    bundled = environment(None, "html")
    loader = jinja2.DictLoader(_TRICKY)
    ours = type(bundled)(
        loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True
    ).get_template(name)
    stock = jinja2.Environment(
        loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True
    ).get_template(name)
    tree = [{"name": "<a>", "children": [{"name": "b&", "children": []}]}]
    values = {"items": ["a", "b", "<c>"], "tag": "p'", "tree": tree}
    assert ours.render(**values) == stock.render(**values)
    assert "&lt;c&gt;" in ours.render(**values)
