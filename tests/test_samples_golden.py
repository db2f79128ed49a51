"""Golden tests of the samples: every ``samples/*.yaml`` against ``tests/golden/<name>.json``.

Each golden file pins the delivery confidence, the ids of the findings in result order and the
area scores. After a deliberate change to a sample, a rule or the scoring, regenerate them from
the repository root with::

    .venv/bin/python -m tests.regenerate_golden

and review the diff. These tests never write. Besides the exact comparison, the intent of each
sample (what it is meant to show) is asserted separately, so a regenerated golden file that
quietly stops showing it still fails.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from gapcheck.assessment import AssessmentResult, assess_file
from gapcheck.pack import Severity
from tests.regenerate_golden import GOLDEN, golden_path, golden_record, sample_paths

SAMPLES = sample_paths()
REGENERATE = "run `.venv/bin/python -m tests.regenerate_golden` and review the diff"


@cache
def assessed(name: str) -> AssessmentResult:
    """Each sample is assessed once per test session."""
    return assess_file(next(path for path in SAMPLES if path.stem == name))


def finding_ids(result: AssessmentResult) -> list[str]:
    return [finding.id for finding in result.findings]


def test_every_sample_has_a_golden_file_and_every_golden_file_a_sample() -> None:
    samples = {path.stem for path in SAMPLES}
    goldens = {path.stem for path in GOLDEN.glob("*.json")}
    assert len(samples) >= 7
    assert samples - goldens == set(), f"samples without a golden file: {REGENERATE}"
    assert goldens - samples == set(), f"golden files without a sample: {REGENERATE}"


@pytest.mark.parametrize("sample", SAMPLES, ids=[path.stem for path in SAMPLES])
def test_sample_matches_golden(sample: Path) -> None:
    path = golden_path(sample)
    assert path.exists(), f"{sample.name} has no golden file: {REGENERATE}"
    expected = json.loads(path.read_text(encoding="utf-8"))
    actual = golden_record(assessed(sample.stem))
    assert set(expected) == {"confidence", "findings", "scores"}
    assert actual["findings"] == expected["findings"], REGENERATE
    assert actual["confidence"] == expected["confidence"], REGENERATE
    assert actual["scores"] == expected["scores"], REGENERATE


# --- The intent of each sample ------------------------------------------------------------------


def test_healthy_project_is_green_without_high_or_critical_findings() -> None:
    result = assessed("healthy-project")
    assert result.confidence == "green"
    assert result.at_or_above(Severity.high) == []


def test_deep_trouble_is_red_with_critical_derived_findings() -> None:
    result = assessed("deep-trouble")
    assert result.confidence == "red"
    ids = finding_ids(result)
    assert {"sailing-without-destination", "premature-execution"} <= set(ids)
    critical = [f for f in result.findings if f.severity is Severity.critical]
    assert len(critical) >= 2
    assert all(finding.derived for finding in critical)
    assert len(result.at_or_above(Severity.high)) >= 5


def test_disagreeing_respondents_are_misaligned_through_their_answers() -> None:
    result = assessed("two-respondents-disagree")
    assert len(result.respondents) == 2
    assert result.respondents[0].team != result.respondents[1].team
    [finding] = [f for f in result.findings if f.id == "misaligned-expectations"]
    disagreements = [line for line in finding.because if line.startswith("Respondents disagree")]
    assert len(disagreements) == 3
    for fragment in ("go-live or launch date", "who owns execution", "current scope"):
        assert any(fragment in line for line in disagreements), fragment
    assert any("2027-03-01" in line and "2027-04-19" in line for line in disagreements)
    # Both rate alignment highly: the finding comes from comparing them, not from their ratings.
    assert all(not line.startswith(("Rebecca", "Colin")) for line in finding.because)


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("software-launch", {"launch-support-unready", "no-bug-triage"}),
        ("marketing-campaign", {"campaign-untracked", "sales-not-briefed"}),
        ("product-development", {"manufacturing-not-established", "no-quality-control"}),
    ],
)
def test_project_type_samples_show_their_type_findings(sample: str, expected: set[str]) -> None:
    result = assessed(sample)
    assert expected <= set(finding_ids(result))
    assert result.confidence != "red"


def test_other_type_in_planning_is_gated_by_type_and_phase() -> None:
    result = assessed("other-type-planning")
    ids = set(finding_ids(result))
    assert result.confidence in {"amber-green", "amber", "amber-red"}
    assert "unclear-objectives" in ids
    # Planning: nothing is being built or run, so the derived phase findings stay silent.
    assert ids.isdisjoint(
        {
            "sailing-without-destination",
            "premature-execution",
            "flawed-systems-undermine-execution",
            "execution-wastes-good-systems",
        }
    )
    type_rules = {
        "release-not-ready",
        "launch-support-unready",
        "no-bug-triage",
        "no-go-to-market-plan",
        "campaign-assets-not-ready",
        "sales-not-briefed",
        "campaign-untracked",
        "prototypes-not-validated",
        "manufacturing-not-established",
        "no-quality-control",
        "distribution-not-ready",
    }
    assert ids.isdisjoint(type_rules)
