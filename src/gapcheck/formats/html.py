"""The HTML report: one self-contained file (inline CSS and SVG, no script, no external
resource), readable on a phone and a wide screen, and printable. Templates: ``templates/``.

Rendering gapcheck's own report through Jinja costs about 2 ms (thousands of generator steps,
attribute look-ups and ``Markup`` objects per report), too slow for a batch of 10,000. So the
bundled report (``report.html`` on ``base.html``, with ``chart.svg``) has a second, direct
renderer here: the same text written with f-strings, every value escaped by the same
``markupsafe.escape`` Jinja uses (cached: reports repeat the pack's texts), the stylesheets
rendered by Jinja once per brand and page size. Its output is byte for byte Jinja's
(``tests/test_report_speed_equivalence.py``), and it is used only while the bundled templates
are exactly those it was written for (their SHA-256 below) and the stylesheets provably depend
on nothing but the brand and the page size; otherwise Jinja renders. A consultant's
``--templates`` folder always goes through Jinja's sandbox (``gapcheck.report.render_text``).
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING, Final

from jinja2 import nodes
from markupsafe import escape

from gapcheck.report import environment, render_html

if TYPE_CHECKING:
    from collections.abc import Callable

    import jinja2

    from gapcheck.assessment import AssessmentResult
    from gapcheck.report import Brand, ChartView, FindingView, ReportOptions, ReportView


def render(result: AssessmentResult, options: ReportOptions) -> bytes:
    return render_html(result, options).encode("utf-8")


#: SHA-256 of the bundled templates the direct renderer below writes out by hand. Change a
#: template, then change the renderer to match and put the new digests here (the equivalence
#: test prints them); until then reports are rendered by Jinja.
TRANSLATED_TEMPLATES: Final = {
    "report.html": "e9f13392b794d7a03e8325d0fd83e2e776d9ee3d51ff18184896282c8a63f16e",
    "base.html": "fa6de79a48d9c282c35362ac83ff90310610458e9f659ce899943df8ef08d663",
    "chart.svg": "eeb419593473c797375e46b3eec8414d96a64c26e031ad3e6d99be7632b07da0",
}
#: The stylesheets, rendered by Jinja once per brand and page size.
STYLESHEETS: Final = ("report.css", "screen.css")
#: What a stylesheet may read from the view: nothing else varies per report.
_STYLESHEET_INPUTS = frozenset({"brand", "page_size"})
#: Template constructs a stylesheet may use for it to depend on those inputs alone (no calls,
#: filters, tests, loops, includes or globals).
_PURE_NODES = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Assign,
    nodes.FromImport,
    nodes.Name,
    nodes.Getattr,
    nodes.Const,
    nodes.Concat,
)


def template_digests(env: jinja2.Environment) -> dict[str, str]:
    """SHA-256 of the bundled templates the direct renderer stands in for."""
    return {
        name: hashlib.sha256(_source(env, name).encode("utf-8")).hexdigest()
        for name in TRANSLATED_TEMPLATES
    }


def _source(env: jinja2.Environment, name: str) -> str:
    assert env.loader is not None
    return env.loader.get_source(env, name)[0]


def depends_on_brand_and_page_size_only(
    env: jinja2.Environment, name: str, *, imported: bool = False
) -> bool:
    """Whether a stylesheet's output is a function of ``report.brand`` and
    ``report.page_size`` alone (an imported template, e.g. the palette: of nothing at all)."""
    tree = env.parse(_source(env, name))
    assigned: set[str] = set()
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _PURE_NODES):
            return False
        if isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Name):
            assigned.add(node.target.name)
        elif isinstance(node, nodes.FromImport):
            if not isinstance(node.template, nodes.Const) or node.with_context:
                return False
            if not depends_on_brand_and_page_size_only(env, node.template.value, imported=True):
                return False
            assigned.update(item if isinstance(item, str) else item[1] for item in node.names)
    reads = [node for node in tree.find_all(nodes.Name) if node.ctx == "load"]
    report_reads = [
        node
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == "report"
    ]
    if imported and (reads or report_reads):
        return False
    return (
        all(node.name in assigned or node.name == "report" for node in reads)
        and sum(node.name == "report" for node in reads) == len(report_reads)
        and all(node.attr in _STYLESHEET_INPUTS for node in report_reads)
    )


@functools.cache
def direct_renderer_applies() -> bool:
    """Whether the bundled templates are the ones the direct renderer was written for (checked
    once per process)."""
    env = environment(None, "html")
    return template_digests(env) == TRANSLATED_TEMPLATES and all(
        depends_on_brand_and_page_size_only(env, name) for name in STYLESHEETS
    )


# --- The direct renderer -----------------------------------------------------------------------

#: Jinja's autoescape of one text value (``markupsafe.escape``), cached: the pack's question
#: texts, choice labels, finding titles and recommendations come back in every report. A plain
#: str is its own cache key; anything else (a Markup) is keyed apart and escaped as Jinja would.
_text: Callable[[str], str] = functools.lru_cache(maxsize=16384)(lambda value: str(escape(value)))

_STYLE_CACHE: dict[tuple[Brand, str], str] = {}
_STYLE_CACHE_SIZE = 64


def _styles(view: ReportView) -> str:
    """The ``<style>`` elements and the rest of ``<head>``: Jinja's rendering of the stylesheets,
    which depend on the brand and page size only (``direct_renderer_applies``)."""
    key = (view.brand, view.page_size)
    styles = _STYLE_CACHE.get(key)
    if styles is None:
        env = environment(None, "html")
        css, screen = (env.get_template(name).render(report=view) for name in STYLESHEETS)
        styles = (
            f'<style>\n{css}</style>\n<style media="screen">\n{screen}</style>\n</head>\n<body>\n'
        )
        if len(_STYLE_CACHE) >= _STYLE_CACHE_SIZE:
            _STYLE_CACHE.clear()
        _STYLE_CACHE[key] = styles
    return styles


def render_bundled(view: ReportView) -> str:
    """The bundled HTML report of ``view``: the same text as Jinja renders from ``report.html``
    (only while ``direct_renderer_applies()``)."""
    t = _text
    out: list[str] = []
    add = out.append
    add(
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{t(view.title)}</title>\n"
        f'<meta name="author" content="{t(view.assessor)}">\n'
        f'<meta name="description" content="Delivery confidence review of'
        f' {t(view.project_name)} for {t(view.client)}">\n'
        f'<meta name="generator" content="{t(view.generator)}">\n'
        f'<meta name="dcterms.created" content="{t(view.generated_iso)}">\n'
        f'<meta name="keywords" content="{t(view.pack_name)} {t(view.pack_version)}">\n'
    )
    add(_styles(view))
    add('<header class="cover" id="top">\n  <div class="cover-inner">\n')
    _cover(view, add)
    add(
        '  </div>\n</header>\n\n<div class="page">\n'
        '<nav class="toc" aria-label="Contents">\n  <ol>\n'
        '    <li><a href="#summary">Executive summary</a></li>\n'
        '    <li><a href="#scores">Scores by area</a></li>\n'
        '    <li><a href="#findings">Findings</a></li>\n'
        '    <li><a href="#action-plan">Action plan</a></li>\n'
        '    <li><a href="#respondents">Respondents</a></li>\n'
        '    <li><a href="#appendix">Appendix</a></li>\n'
        "  </ol>\n</nav>\n\n<main>\n\n"
    )
    _summary(view, add)
    add("\n")
    _scores(view, add)
    add("\n")
    _findings(view, add)
    add("\n\n")
    _action_plan(view, add)
    add("\n")
    _respondents(view, add)
    add("\n\n")
    _appendix(view, add)
    brand = view.brand
    prepared = f"Prepared by {t(brand.firm_name)}. " if brand.firm_name else ""
    add(
        f'</main>\n\n<footer class="colophon">\n  <p>{prepared}Generated {t(view.generated_at)}'
        f" by {t(view.generator)} from pack {t(view.pack_name)} {t(view.pack_version)}.</p>\n"
        "</footer>\n</div>\n</body>\n</html>\n"
    )
    return "".join(out)


def _cover(view: ReportView, add: Callable[[str], None]) -> None:
    t = _text
    brand = view.brand
    if brand.firm_name or brand.logo_uri:
        add('    <div class="firm">\n')
        if brand.logo_uri:
            add(
                f'      <img src="{t(brand.logo_uri)}" alt="{t(brand.firm_name or "Firm")} logo">\n'
            )
        add(f"      <span>{t(brand.firm_name)}</span>\n    </div>\n")
    add(
        '    <p class="kicker">Delivery confidence review</p>\n'
        f"    <h1>{t(view.project_name)}</h1>\n"
        f'    <p class="client">for {t(view.client)}</p>\n'
        "    <dl>\n"
        f"      <div><dt>Assessed</dt><dd>{t(view.assessed_on)}</dd></div>\n"
        f"      <div><dt>Assessor</dt><dd>{t(view.assessor)}</dd></div>\n"
        f"      <div><dt>Respondents</dt><dd>{len(view.respondents)}</dd></div>\n"
        f"      <div><dt>Assessment pack</dt><dd>{t(view.pack_title)}"
        f" ({t(view.pack_name)} {t(view.pack_version)})</dd></div>\n"
        "    </dl>\n"
    )


def _summary(view: ReportView, add: Callable[[str], None]) -> None:
    t = _text
    confidence = view.confidence
    add(
        '<section id="summary" aria-labelledby="summary-heading">\n'
        '  <h2 id="summary-heading">Executive summary</h2>\n'
        '  <div class="confidence">\n'
        f'    <div class="swatch rating-{t(confidence.rating)}" aria-hidden="true"></div>\n'
        '    <div class="confidence-text">\n'
        '      <p class="label">Delivery confidence</p>\n'
        f'      <p class="rating">{t(confidence.label)}</p>\n'
        f'      <p class="meaning">{t(confidence.meaning)}</p>\n'
        f'      <p class="justification">{t(confidence.justification)}</p>\n'
        '      <ol class="scale" aria-label="Five-point delivery confidence scale">\n'
    )
    for step in confidence.scale:
        current = ' current" aria-current="true"' if step.current else '"'
        label = "/<wbr>".join([t(part) for part in step.label.split("/")])
        add(
            f'        <li class="step-{t(step.rating)}{current} title="{t(step.meaning)}">'
            f"{label}</li>\n"
        )
    add("      </ol>\n    </div>\n  </div>\n\n")
    if view.description:
        add(f'  <p class="description">{t(view.description)}</p>\n')
    add('\n  <div class="summary-grid">\n    <div>\n      <h3>The findings that matter most</h3>\n')
    if view.top_findings:
        add("      <ol>\n")
        for finding in view.top_findings:
            add(
                f'        <li><a href="#{t(finding.anchor)}">{t(finding.title)}</a>\n'
                f'          <span class="meta"><span class="chip sev-{t(finding.severity)}">'
                f"{t(finding.severity_label)}</span> {t(finding.area_title)}</span></li>\n"
            )
        add("      </ol>\n")
    else:
        add(
            "      <p>No rule found a gap: nothing stands between this project and delivery"
            " that the assessment can see.</p>\n"
        )
    add("    </div>\n    <div>\n      <h3>What to do first</h3>\n")
    if view.first_actions:
        add("      <ol>\n")
        for row in view.first_actions:
            detail = f" ({t(row.timeframe_detail)})" if row.timeframe_detail else ""
            add(
                f"        <li>{t(row.action)}\n"
                f'          <span class="meta">{t(row.owner)} · {t(row.timeframe)}{detail}'
                f" · {t(row.effort)} effort</span></li>\n"
            )
        add("      </ol>\n")
    else:
        add(
            "      <p>Keep the current disciplines in place and reassess at the next phase"
            " gate.</p>\n"
        )
    add('    </div>\n  </div>\n\n  <ul class="counts" aria-label="Findings by severity">\n')
    for count in view.counts:
        chip = f"sev-{t(count.severity)}" if count.count else "zero"
        add(f'    <li><span class="chip {chip}">{count.count} {t(count.label)}</span></li>\n')
    add("  </ul>\n</section>\n")


def _scores(view: ReportView, add: Callable[[str], None]) -> None:
    t = _text
    overall = "n/a" if view.overall is None else view.overall
    add(
        '<section id="scores" aria-labelledby="scores-heading">\n'
        '  <h2 id="scores-heading">Scores by area</h2>\n'
        "  <p>Each area is scored from 0 to 100 from the respondents' answers;"
        " an overall score of\n"
        f"<strong>{overall}</strong> is their average.</p>\n"
        '  <div class="scores-grid">\n'
    )
    if view.chart:
        add('    <figure class="chart">\n')
        _chart(view.chart, view.brand.accent, add)
        add("    </figure>\n")
    add(
        '    <div class="table-wrap">\n      <table>\n'
        "        <caption>Score per area (0 to 100)</caption>\n"
        '        <thead><tr><th scope="col">Area</th><th scope="col" class="num">Score</th>'
        '<th scope="col"><span class="visually-hidden">Bar</span></th></tr></thead>\n'
        "        <tbody>\n"
    )
    for row in view.scores:
        if row.score is None:
            score = "n/a"
            bar = ""
        else:
            score = str(row.score)
            bar = (
                f'<div class="bar" aria-hidden="true"><span class="band-{t(row.band)}"'
                f' style="width:{row.score}%"></span></div>'
            )
        add(
            f'          <tr>\n            <th scope="row">{t(row.title)}'
            f'<span class="detail">{t(row.description)}</span></th>\n'
            f'            <td class="num">{score}</td>\n'
            f'            <td style="width:35%">{bar}</td>\n          </tr>\n'
        )
    add("        </tbody>\n      </table>\n    </div>\n  </div>\n</section>\n")


def _chart(chart: ChartView, accent: str, add: Callable[[str], None]) -> None:
    t = _text
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {chart.height}"'
        f' width="{chart.width}" height="{chart.height}" role="img"'
        ' aria-labelledby="chart-title chart-desc" class="radar">\n'
        '  <title id="chart-title">Scores per area</title>\n'
        f'  <desc id="chart-desc">{t(chart.description)}</desc>\n'
        '  <g fill="none" stroke="#c5ccd6" stroke-width="1">\n'
    )
    last = len(chart.rings) - 1
    for index, ring in enumerate(chart.rings):
        stroke = ' stroke="#8a94a3"' if index == last else ""
        add(f'    <polygon points="{t(ring)}"{stroke}/>\n')
    centre = f'    <line x1="{chart.centre.x}" y1="{chart.centre.y}"'
    for axis in chart.axes:
        add(f'{centre} x2="{axis.x}" y2="{axis.y}"/>\n')
    add(
        '  </g>\n  <g font-size="11" fill="#4b5563" font-family="DejaVu Sans, Arial, sans-serif">\n'
    )
    for point, text in chart.ring_labels:
        add(f'    <text x="{point.x}" y="{point.y}">{t(text)}</text>\n')
    fill = t(accent)
    add(
        f'  </g>\n  <polygon points="{t(chart.shape)}" fill="{fill}" fill-opacity="0.22"'
        f' stroke="{fill}" stroke-width="2.5" stroke-linejoin="round"/>\n'
        f'  <g fill="{fill}">\n'
    )
    for dot in chart.dots:
        add(f'    <circle cx="{dot.x}" cy="{dot.y}" r="4"/>\n')
    add(
        '  </g>\n  <g font-size="15" fill="#1c2430" font-family="DejaVu Sans, Arial, sans-serif">\n'
    )
    for label in chart.labels:
        x = label.x
        lines = "".join(
            [
                f'<tspan x="{x}" dy="{17 if index else 0}">{t(line)}</tspan>'
                for index, line in enumerate(label.lines)
            ]
        )
        add(
            f'    <text x="{x}" y="{label.y}" text-anchor="{t(label.anchor)}">{lines}'
            f'<tspan x="{x}" dy="18" font-weight="bold">{t(label.score)}</tspan></text>\n'
        )
    add("  </g>\n</svg>\n")


def _findings(view: ReportView, add: Callable[[str], None]) -> None:
    t = _text
    add(
        '<section id="findings" aria-labelledby="findings-heading">\n'
        '  <h2 id="findings-heading">Findings</h2>\n'
    )
    if not view.groups:
        add("  <p>No findings.</p>\n")
    for group in view.groups:
        add(
            f'  <h3 id="severity-{t(group.severity)}">{t(group.label)}'
            f' <span class="detail" style="display:inline">({len(group.findings)})</span></h3>\n'
        )
        for finding in group.findings:
            _finding(finding, add)
    add("</section>\n")


_BECAUSE_ITEMS = "</li>\n      <li>"


def _finding(finding: FindingView, add: Callable[[str], None]) -> None:
    t = _text
    anchor = t(finding.anchor)
    severity = t(finding.severity)
    because = (
        f"      <li>{_BECAUSE_ITEMS.join(map(t, finding.because))}</li>\n"
        if finding.because
        else ""
    )
    add(
        f'  <article class="finding sev-{severity}" id="{anchor}"'
        f' aria-labelledby="{anchor}-title">\n'
        f'    <h4 id="{anchor}-title">{t(finding.title)}</h4>\n'
        f'    <p class="facts"><span class="chip sev-{severity}">{t(finding.severity_label)}'
        f"</span>\n      {t(finding.area_title)} · <code>{t(finding.id)}</code>"
        f" · from “{t(finding.source)}”</p>\n"
        "    <h5>Why it matters</h5>\n"
        f'    <p class="why">{t(finding.why)}</p>\n'
        '    <h5>Because</h5>\n    <ul class="because">\n'
        f"{because}    </ul>\n"
    )
    if finding.derived_from:
        refs = "".join(
            [
                f'      <li><a href="#{t(ref.anchor)}">{t(ref.title)}</a></li>\n'
                for ref in finding.derived_from
            ]
        )
        add(f"    <h5>Follows from</h5>\n    <ul>\n{refs}    </ul>\n")
    add('    <h5>Recommendations</h5>\n    <ul class="recommendations">\n')
    for rec in finding.recommendations:
        detail = f" ({t(rec.timeframe_detail)})" if rec.timeframe_detail else ""
        add(
            f'      <li>{t(rec.action)} <span class="meta">{t(rec.owner)} · {t(rec.timeframe)}'
            f"{detail} · {t(rec.effort)} effort</span></li>\n"
        )
    add("    </ul>\n  </article>\n")


def _action_plan(view: ReportView, add: Callable[[str], None]) -> None:
    t = _text
    add(
        '<section id="action-plan" aria-labelledby="action-plan-heading">\n'
        '  <h2 id="action-plan-heading">Action plan</h2>\n'
    )
    if not view.actions:
        add("  <p>No actions: no finding needs one.</p>\n</section>\n")
        return
    add(
        "  <p>Every recommendation, by priority: the most severe findings first, then the"
        " soonest.</p>\n"
        '  <div class="table-wrap">\n    <table class="stack">\n      <thead>\n'
        '        <tr><th scope="col" class="num">#</th><th scope="col">Action</th>'
        '<th scope="col">Owner</th><th scope="col">Timeframe</th><th scope="col">Effort</th>'
        '<th scope="col">Finding</th></tr>\n'
        "      </thead>\n      <tbody>\n"
    )
    for row in view.actions:
        detail = (
            f'<span class="detail">{t(row.timeframe_detail)}</span>' if row.timeframe_detail else ""
        )
        add(
            "        <tr>\n"
            f'          <td class="num" data-label="Priority">{row.priority}</td>\n'
            f'          <td data-label="Action">{t(row.action)}</td>\n'
            f'          <td data-label="Owner">{t(row.owner)}</td>\n'
            f'          <td data-label="Timeframe" class="nowrap">{t(row.timeframe)}{detail}</td>\n'
            f'          <td data-label="Effort">{t(row.effort)}</td>\n'
            f'          <td data-label="Finding"><span class="chip sev-{t(row.severity)}">'
            f'{t(row.severity_label)}</span> <a href="#{t(row.finding.anchor)}">'
            f"{t(row.finding.title)}</a></td>\n"
            "        </tr>\n"
        )
    add("      </tbody>\n    </table>\n  </div>\n</section>\n")


def _respondents(view: ReportView, add: Callable[[str], None]) -> None:
    t = _text
    agreement = view.agreement
    differ = " and where they differ" if agreement else ""
    add(
        '<section id="respondents" aria-labelledby="respondents-heading">\n'
        f'  <h2 id="respondents-heading">Respondents{differ}</h2>\n  <ul class="people">\n'
    )
    for person in view.respondents:
        team = f", {t(person.team)}" if person.team else ""
        add(
            f'    <li><strong>{t(person.name)}</strong><span class="role">{t(person.role)}'
            f"{team}</span></li>\n"
        )
    add("  </ul>\n")
    if agreement:
        disagreements = agreement.disagreements
        different = (
            f" and different answers to <strong>{disagreements}</strong>, shown side by side below"
            if disagreements
            else ""
        )
        names = [t(name) for name in agreement.respondents]
        headings = "".join([f'<th scope="col">{name}</th>' for name in names])
        add(
            "  <p>The respondents gave the same answer to"
            f" <strong>{agreement.agreed} of {agreement.total}</strong> questions{different}.\n"
            "  Disagreement between the people who build and the people who run is itself a"
            " risk: expectations that differ\n  without anyone noticing.</p>\n"
            '  <div class="table-wrap">\n    <table class="stack answers">\n'
            "      <caption>Questions the respondents answered differently</caption>\n"
            "      <thead>\n"
            f'        <tr><th scope="col">Question</th>{headings}</tr>\n      </thead>\n'
        )
        colspan = len(agreement.respondents) + 1
        for section in agreement.sections:
            add(
                f'      <tbody>\n        <tr class="group"><th colspan="{colspan}"'
                f' scope="colgroup">{t(section.title)} <span class="detail">agree on'
                f" {section.agreed} of {section.total}</span></th></tr>\n"
            )
            for row in section.disagreements:
                cells = "".join(
                    [
                        f'          <td data-label="{names[index]}" class="odd">{t(cell.text)}'
                        ' <span class="odd-mark">differs from the others</span></td>\n'
                        if cell.odd
                        else f'          <td data-label="{names[index]}">{t(cell.text)}</td>\n'
                        for index, cell in enumerate(row.cells)
                    ]
                )
                add(
                    f'        <tr>\n          <th scope="row">{t(row.text)}</th>\n'
                    f"{cells}        </tr>\n"
                )
            add("      </tbody>\n")
        add("    </table>\n  </div>\n")
    add("</section>\n")


_ANSWER_CELLS = "</td>\n          <td>"


def _appendix(view: ReportView, add: Callable[[str], None]) -> None:
    t = _text
    add(
        '<section id="appendix" class="appendix section-break"'
        ' aria-labelledby="appendix-heading">\n'
        '  <h2 id="appendix-heading">Appendix</h2>\n'
        "  <h3>Reproducing this report</h3>\n"
        '  <dl class="repro">\n'
        "    <dt>Assessment pack</dt>\n"
        f"    <dd>{t(view.pack_title)}: {t(view.pack_name)} version {t(view.pack_version)},"
        f" built from “{t(view.pack_source)}”<br>\n"
        f'      content hash (SHA-256) <span class="hash">{t(view.pack_sha256)}</span></dd>\n'
        "    <dt>Answers file</dt>\n"
        f"    <dd>project <code>{t(view.project_id)}</code>, assessed {t(view.assessed_on)}"
        f'<br>\n      SHA-256 <span class="hash">{t(view.answers_sha256)}</span></dd>\n'
        "    <dt>Generated</dt>\n"
        f"    <dd>{t(view.generated_at)} by {t(view.generator)}</dd>\n"
        "  </dl>\n\n  <h3>Answers by section</h3>\n"
    )
    if view.agreement:
        add("  <p>Shaded rows: the respondents' answers differ.</p>\n")
    if not view.appendix:
        add("  <p>The answers were not included in this report.</p>\n")
    for section in view.appendix:
        columns = "".join([f'<th scope="col">{t(column)}</th>' for column in section.columns])
        add(
            '  <div class="table-wrap">\n    <table class="answers">\n'
            f"      <caption>{t(section.title)}</caption>\n      <thead>\n"
            f'        <tr><th scope="col">Question</th>{columns}</tr>\n'
            "      </thead>\n      <tbody>\n"
        )
        for row in section.rows:
            differ = "" if row.agree else ' class="differ"'
            if row.answers:
                cells = _ANSWER_CELLS.join(map(t, row.answers))
                add(
                    f'        <tr{differ}>\n          <th scope="row">{t(row.text)}</th>\n'
                    f"          <td>{cells}</td>\n        </tr>\n"
                )
            else:
                add(
                    f'        <tr{differ}>\n          <th scope="row">{t(row.text)}</th>\n'
                    "        </tr>\n"
                )
        add("      </tbody>\n    </table>\n  </div>\n")
    add("</section>\n")
