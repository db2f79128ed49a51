"""Engine benchmark: how fast gapcheck assesses many projects in one process.

    python benchmarks/engine.py [--count N] [--seed S] [--pack FOLDER] [--profile]

Generates N synthetic projects (``gapcheck.synthetic``), validates them all (untimed), then
times on the same inputs, one after the other:

- the engine alone, ``compiled(pack).run(answers)``, with RSS before and after the loop, and
  the facts it asserts, ``facts(answers)``, alone;
- the test-only reference evaluator ``tests/reference.py::reference_findings`` as a baseline,
  and checks that the engine and the reference find the same rules on every input;
- the full ``assess(answers, pack)`` (engine, evidence, scores, rating);
- reading the files: each project dumped to YAML first, then ``parse_document`` alone (the
  plain block-style reader, ``gapcheck.plain_yaml``; then again through libyaml, the path of
  files outside its subset, as the baseline) and followed by ``validate_answers``.

The inputs are made before any timing and then frozen out of the cyclic garbage collector's
reach (``gc.freeze``), as a batch worker does with what it loads once.

Figures that miss their target are marked "below target"; nothing fails.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from unittest import mock

import yaml

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # for tests.reference, the baseline

from tests.reference import reference_findings  # noqa: E402

from gapcheck import loading  # noqa: E402
from gapcheck.answers import Answers, validate_answers  # noqa: E402
from gapcheck.assessment import assess  # noqa: E402
from gapcheck.engine import compiled  # noqa: E402
from gapcheck.loading import MAX_DEPTH, MAX_NODES, parse_document  # noqa: E402
from gapcheck.pack import load_pack  # noqa: E402
from gapcheck.plain_yaml import read_plain_yaml  # noqa: E402
from gapcheck.synthetic import generate_portfolio  # noqa: E402

_T = TypeVar("_T")

#: Assessments per second the engine should reach in one process.
ENGINE_TARGET = 5_000

_YAML_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def rss_kib() -> int:
    """Resident set size now, from /proc/self/status (KiB); 0 where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def max_rss_kib() -> int:
    """Peak resident set size so far (KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


#: Passes of the engine over all the projects; the median is its figure.
ENGINE_PASSES = 3


def timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def each(function: Callable[[_T], object], items: Sequence[_T]) -> float:
    """Seconds to call ``function`` on every item, keeping no result alive (no GC build-up)."""
    start = time.perf_counter()
    for item in items:
        function(item)
    return time.perf_counter() - start


class Table:
    """Rows of (measure, figure, unit, note), printed aligned."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, measure: str, figure: str, unit: str = "", note: str = "") -> None:
        self.rows.append((measure, figure, unit, note))

    def rate(self, measure: str, seconds: float, count: int, note: str = "") -> float:
        per_second = count / seconds if seconds > 0 else float("inf")
        self.add(measure, f"{per_second:,.0f}", "/s", note)
        self.add("", f"{seconds / count * 1e6:,.1f}", "us each")
        return per_second

    def render(self) -> str:
        widths = [max(len(row[i]) for row in self.rows) for i in range(4)]
        lines = []
        for measure, figure, unit, note in self.rows:
            line = f"{measure:<{widths[0]}}  {figure:>{widths[1]}}  {unit:<{widths[2]}}  {note}"
            lines.append(line.rstrip())
        return "\n".join(lines)


def target_note(value: float, target: float, unit: str = "/s") -> str:
    verdict = "ok" if value >= target else "BELOW TARGET"
    return f"target >= {target:,.0f}{unit}: {verdict}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000, help="projects (default 10,000)")
    parser.add_argument("--seed", type=int, default=2026, help="portfolio seed (default 2026)")
    parser.add_argument("--pack", type=Path, default=None, help="pack folder (default: bundled)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile 2,000 engine assessments and print the top 15 cumulative entries",
    )
    parser.add_argument(
        "--health",
        type=float,
        default=None,
        help="give every project this health, 0 to 1 (default: random per project)",
    )
    args = parser.parse_args(argv)
    count: int = args.count
    if count < 1:
        parser.error("--count must be at least 1")

    pack = load_pack(args.pack)
    table = Table()
    print(
        f"gapcheck engine benchmark: {count:,} projects, pack {pack.name} {pack.version}"
        f" ({len(pack.questions)} questions, {len(pack.rules)} rules), seed {args.seed},"
        f" health {'random' if args.health is None else args.health},"
        f" Python {platform.python_version()} on {platform.machine()}"
    )
    if hasattr(os, "getloadavg"):
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"load average at start: {load} ({os.cpu_count()} CPUs); figures are one process")

    # -- inputs: generate, then validate everything (untimed for the engine figures) --
    documents: list[dict[str, Any]] = []
    seconds = timed(
        lambda: documents.extend(generate_portfolio(pack, count, args.seed, health=args.health))
    )
    respondents = sum(len(document["respondents"]) for document in documents)
    answer_count = sum(
        len(document["context"]) + sum(len(r["answers"]) for r in document["respondents"])
        for document in documents
    )
    table.add(
        "inputs",
        f"{count:,}",
        "projects",
        f"{respondents / count:.2f} respondents and {answer_count / count:.0f} answers per project",
    )
    table.rate("generate (gapcheck.synthetic)", seconds, count)

    answers: list[Answers] = [
        validate_answers(parse_document(json.dumps(document).encode(), Path(f"{index}.json")), pack)
        for index, document in enumerate(documents)
    ]
    # All inputs stay alive for the whole run, where a batch worker holds one project at a time
    # (and freezes what it loaded once): freeze them too, so that the timings below are not
    # inflated by the collector rescanning 10,000 projects' objects again and again.
    gc.collect()
    gc.freeze()

    # -- the engine --
    engine = compiled(pack)  # compiles and registers the ruleset once
    for item in answers[:50]:  # warm-up
        engine.run(item)
    run = engine.run
    rss_before, max_before = rss_kib(), max_rss_kib()

    # Three passes over all the projects, the median reported: on this shared 2-core machine
    # one pass can be off by 10% either way.
    passes = sorted(each(run, answers) for _ in range(ENGINE_PASSES))
    seconds = passes[len(passes) // 2]
    rss_after, max_after = rss_kib(), max_rss_kib()
    engine_rate = count / seconds
    table.rate(
        "engine: compiled(pack).run", seconds, count, target_note(engine_rate, ENGINE_TARGET)
    )
    table.add(
        "  each pass",
        ", ".join(f"{count / pass_seconds:,.0f}" for pass_seconds in passes),
        "/s",
        f"{ENGINE_PASSES} passes over the {count:,} projects, fastest first; median above",
    )
    seconds = each(engine.facts, answers)
    table.add(
        "  of which the facts (facts())",
        f"{seconds / count * 1e6:,.1f}",
        "us each",
        "the answers serialised for durable-rules",
    )
    table.add(
        "RSS (VmRSS) before -> after",
        f"{rss_before / 1024:,.1f} -> {rss_after / 1024:,.1f}",
        "MiB",
        f"{(rss_after - rss_before) / 1024:+.1f} MiB over the engine loop",
    )
    table.add(
        "peak RSS (ru_maxrss) before -> after",
        f"{max_before / 1024:,.1f} -> {max_after / 1024:,.1f}",
        "MiB",
        f"{(max_after - max_before) / 1024:+.1f} MiB",
    )

    # -- the baseline: the test-only reference evaluator, same inputs --
    expected: list[set[str]] = []
    seconds = each(lambda item: expected.append(reference_findings(pack, item)), answers)
    reference_rate = table.rate("reference evaluator (baseline)", seconds, count)
    table.add(
        "engine / reference",
        f"{engine_rate / reference_rate:.3f}",
        "x",
        "speed of the engine relative to plain-Python evaluation",
    )
    disagreements = firings = 0
    first_disagreement = ""
    for index, (item, reference) in enumerate(zip(answers, expected, strict=True)):
        fired = run(item)
        firings += len(fired)
        found = {firing.rule_id for firing in fired}
        if found != reference:
            disagreements += 1
            if not first_disagreement:
                first_disagreement = (
                    f"first: project {documents[index]['project']['id']}, engine only"
                    f" {sorted(found - reference)}, reference only {sorted(reference - found)}"
                )
    findings = sum(len(reference) for reference in expected)
    table.add(
        "engine vs reference disagreements",
        f"{disagreements:,}",
        f"of {count:,}",
        first_disagreement or "ok",
    )
    table.add(
        "findings / engine firings per project",
        f"{findings / count:.1f} / {firings / count:.1f}",
        "",
        "the engine's cost grows with its firings",
    )

    # -- the engine's rate by how troubled a project is: its cost grows with its firings --
    bands = ((0, 5), (6, 10), (11, 20), (21, 1_000))
    for low, high in bands:
        group = [
            item
            for item, reference in zip(answers, expected, strict=True)
            if low <= len(reference) <= high
        ]
        if not group:
            continue
        seconds = each(run, group)
        label = f"{low}+" if high == 1_000 else f"{low}-{high}"
        rate = len(group) / seconds
        table.add(
            f"  engine, projects with {label} findings",
            f"{rate:,.0f}",
            "/s",
            f"{len(group) / count:.0%} of projects; {target_note(rate, ENGINE_TARGET)}",
        )

    # -- the full assessment --
    seconds = each(lambda item: assess(item, pack), answers)
    table.rate("assess (engine + evidence + scoring)", seconds, count)

    # -- reading files: YAML dumped up front, then parsed and validated --
    texts = [
        yaml.dump(document, Dumper=_YAML_DUMPER, allow_unicode=True, sort_keys=False).encode()
        for document in documents
    ]
    files = [
        (text, Path(f"{document['project']['id']}.yaml"))
        for text, document in zip(texts, documents, strict=True)
    ]
    size = sum(len(text) for text in texts) / count
    plain = sum(read_plain_yaml(text.decode(), MAX_DEPTH, MAX_NODES) is not None for text in texts)
    seconds = each(lambda file: parse_document(*file), files)
    table.rate(
        "parse YAML (parse_document)",
        seconds,
        count,
        f"{size / 1024:.1f} KiB per file; {plain:,} of {count:,} read by the plain reader",
    )
    # The baseline: the same files through libyaml and PyYAML's composer, as before the plain
    # reader (still the path of any file outside its subset).
    with mock.patch.object(loading, "read_plain_yaml", return_value=None):
        baseline = each(lambda file: parse_document(*file), files)
    table.rate("  the same through libyaml (baseline)", baseline, count)
    table.add("  plain reader vs libyaml", f"{baseline / seconds:.1f}x", "", "")
    seconds = each(lambda file: validate_answers(parse_document(*file), pack), files)
    table.rate("parse + validate YAML", seconds, count)

    print(table.render())

    if args.profile:
        profile_engine(run, answers[:2000])
    return 0


def profile_engine(run: Callable[[Answers], object], answers: Sequence[Answers]) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for item in answers:
        run(item)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
    print(f"\nprofile of {len(answers):,} engine assessments (top 15, cumulative):")
    print(out.getvalue().strip())


if __name__ == "__main__":
    raise SystemExit(main())
