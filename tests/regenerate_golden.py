"""Regenerate the golden results of the samples: ``python -m tests.regenerate_golden``.

Run it from the repository root after a deliberate change to a sample, a rule or the scoring,
then review the diff of ``tests/golden/`` like any other change: every line that moves is a
diagnosis that changed. Golden files of samples that no longer exist are removed.
``tests/test_samples_golden.py`` only ever reads these files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from gapcheck.assessment import AssessmentResult, assess_file

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
GOLDEN = Path(__file__).resolve().parent / "golden"


def sample_paths() -> list[Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def golden_path(sample: Path) -> Path:
    return GOLDEN / f"{sample.stem}.json"


def golden_record(result: AssessmentResult) -> dict[str, Any]:
    """What a golden file pins down: the rating, the findings in result order, the scores."""
    return {
        "confidence": result.confidence,
        "findings": [finding.id for finding in result.findings],
        "scores": dict(result.scores),
    }


def render(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=2) + "\n"


def main() -> int:
    GOLDEN.mkdir(exist_ok=True)
    samples = sample_paths()
    for sample in samples:
        result = assess_file(sample)
        path = golden_path(sample)
        text = render(golden_record(result))
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            path.write_text(text, encoding="utf-8")
            print(f"{'updated' if old else 'created'} {path.relative_to(ROOT)}")
    wanted = {golden_path(sample) for sample in samples}
    for stale in sorted(GOLDEN.glob("*.json")):
        if stale not in wanted:
            stale.unlink()
            print(f"removed {stale.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
