"""A broken pack fails loudly at load time, naming the file and the rule: never skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gapcheck.errors import PackError
from gapcheck.pack import load_pack
from tests.helpers import MINI_PACK

RULE_TEMPLATE = """
  - id: {rule_id}
    title: Added rule
    area: {area}
    severity: medium
    source: "{source}"
    why: Testing.
    when: {when}
    recommendations: [{{action: Act, owner: PMO, timeframe: now, effort: low}}]
"""


def pack_with_rule(
    tmp_path: Path,
    when: str,
    *,
    rule_id: str = "added-rule",
    area: str = "foundation",
    source: str = "Organizational Readiness",
) -> Path:
    folder = tmp_path / "pack"
    shutil.copytree(MINI_PACK, folder)
    with (folder / "core.rules.yaml").open("a") as stream:
        stream.write(RULE_TEMPLATE.format(rule_id=rule_id, area=area, source=source, when=when))
    return folder


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("{q: goalz, eq: yes}", "unknown question 'goalz'"),
        ("{q: owner, eq: carol}", "'carol' is impossible for 'owner'"),
        ("{q: tools, has: excel}", "'tools' has no choice 'excel'"),
        ("{q: mood, eq: 9}", "9 is impossible for 'mood'"),
        ("{q: size, lt: -5}", "-5 is impossible for 'size'"),
        ("{q: goals, lt: 3}", "'lt' needs a number, scale or date; 'goals' is yes_no"),
        ("{q: golive, eq: not-a-date}", "impossible for 'golive'"),
        ("{q: notes, eq: hello}", "'notes' is free text"),
        ("{q: tools, eq: jira}", "'tools' is multiple choice"),
        ("{q: goals, state: not_applicable}", "'goals' never takes the answer not_applicable"),
        ("{finding: no-such-finding}", "unknown finding 'no-such-finding'"),
        ("{finding: added-rule}", "cannot read its own finding"),
        ("{not: {differ: owner}}", "'differ' cannot sit under 'not'"),
        ("{differ: ptype}", "answered once per project"),
        ("{differ: goals, by: 3}", "'by' needs a number, scale or date"),
        ("{differ: notes}", "'notes' is text"),
        ("{q: goals}", "exactly one operator"),
        ("{q: goals, eq: yes, ne: no}", "exactly one operator"),
        ("{q: goals, bigger: 3}", "exactly one operator"),
        ("{all: []}", "at least 1 item"),
        ("{maybe: [{q: goals, eq: yes}]}", "a condition is a mapping"),
    ],
)
def test_bad_rule_condition_names_file_and_rule(tmp_path: Path, when: str, message: str) -> None:
    with pytest.raises(PackError) as caught:
        load_pack(pack_with_rule(tmp_path, when))
    text = str(caught.value)
    assert "core.rules.yaml" in text
    assert "added-rule" in text
    assert message in text


def test_bad_area_and_source(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="unknown area 'nowhere'"):
        load_pack(pack_with_rule(tmp_path / "a", "{q: goals, eq: no}", area="nowhere"))
    with pytest.raises(PackError, match="not a section of the article"):
        load_pack(pack_with_rule(tmp_path / "b", "{q: goals, eq: no}", source="Chapter 99"))


def test_duplicate_rule_id(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="rule no-goals: rule id is also used"):
        load_pack(pack_with_rule(tmp_path, "{q: goals, eq: no}", rule_id="no-goals"))


def test_bad_rule_id_and_extra_field(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="String should match pattern"):
        load_pack(pack_with_rule(tmp_path / "a", "{q: goals, eq: no}", rule_id="Bad_Id"))
    folder = pack_with_rule(tmp_path / "b", "{q: goals, eq: no}")
    text = (
        (folder / "core.rules.yaml")
        .read_text()
        .replace("why: Testing.", "why: T.\n    colour: red")
    )
    (folder / "core.rules.yaml").write_text(text)
    with pytest.raises(
        PackError, match=r"rule added-rule: .*colour: Extra inputs are not permitted"
    ):
        load_pack(folder)


def test_cycle_between_findings(tmp_path: Path) -> None:
    folder = pack_with_rule(tmp_path, "{finding: cycle-b}", rule_id="cycle-a")
    with (folder / "core.rules.yaml").open("a") as stream:
        stream.write(
            RULE_TEMPLATE.format(
                rule_id="cycle-b",
                area="foundation",
                source="Organizational Readiness",
                when="{finding: cycle-a}",
            )
        )
    with pytest.raises(PackError, match="cycle"):
        load_pack(folder)


def test_visible_if_may_not_look_ahead(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(MINI_PACK, folder)
    path = folder / "questionnaire.yaml"
    path.write_text(
        path.read_text().replace(
            "{id: goals, type: yes_no, text: Goals clear?}",
            "{id: goals, type: yes_no, text: Goals clear?, visible_if: {q: mood, gte: 3}}",
        )
    )
    with pytest.raises(PackError, match="visible_if reads 'mood', which is not a question defined"):
        load_pack(folder)


def test_missing_files(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(MINI_PACK, folder)
    (folder / "core.rules.yaml").unlink()
    with pytest.raises(PackError, match=r"no \*.rules.yaml"):
        load_pack(folder)
    with pytest.raises(PackError, match="pack folder not found"):
        load_pack(tmp_path / "nowhere")


def test_content_hash_changes_with_any_byte(tmp_path: Path) -> None:
    first = tmp_path / "one"
    second = tmp_path / "two"
    shutil.copytree(MINI_PACK, first)
    shutil.copytree(MINI_PACK, second)
    assert load_pack(first).sha256 == load_pack(second).sha256
    third = tmp_path / "three"
    shutil.copytree(MINI_PACK, third)
    with (third / "core.rules.yaml").open("a") as stream:
        stream.write("# a comment\n")
    assert load_pack(third).sha256 != load_pack(first).sha256


def test_default_pack_loads_with_every_required_finding() -> None:
    pack = load_pack()
    required = """
        unclear-objectives undefined-audience no-success-measures unsecured-resources
        infrastructure-not-ready unstandardized-processes no-pilot missing-stakeholder-buy-in
        thin-documentation untracked-tasks no-performance-monitoring no-course-correction
        no-continuous-improvement disempowered-teams scope-creep unclear-execution-ownership
        misaligned-expectations communication-gap missing-handoff no-executive-champion
        weak-accountability sailing-without-destination flawed-systems-undermine-execution
        execution-wastes-good-systems premature-execution launch-support-unready no-bug-triage
        campaign-untracked sales-not-briefed manufacturing-not-established no-quality-control
    """.split()
    ids = {loaded.rule.id for loaded in pack.rules}
    assert set(required) <= ids
    derived = {"sailing-without-destination", "flawed-systems-undermine-execution"}
    derived |= {"execution-wastes-good-systems", "premature-execution"}
    assert all(pack.rule(rule_id).findings_read for rule_id in derived)
    assert any(
        "differ" in str(pack.rule("misaligned-expectations").rule.when.model_dump(by_alias=True))
        for _ in [0]
    )
