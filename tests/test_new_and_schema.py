"""gapcheck new (the answers template) and gapcheck schema (the JSON Schema of answers files)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from gapcheck.cli import main
from gapcheck.pack import load_pack
from gapcheck.schema import answers_json_schema, describe_question
from gapcheck.template import answers_template

ROOT = Path(__file__).parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.yaml"))


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def as_json(value: Any) -> Any:
    """YAML as JSON would carry it: dates as text."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- gapcheck new ------------------------------------------------------------------------------


def test_new_writes_a_template_and_its_schema(tmp_path: Path) -> None:
    result = run("new", str(tmp_path / "answers.yaml"))
    assert result.exit_code == 0, result.output
    pack = load_pack()
    assert result.stderr == (
        f"{len(pack.questions)} questions -> {tmp_path / 'answers.yaml'},"
        f" {tmp_path / 'answers.schema.json'}\n"
    )
    text = (tmp_path / "answers.yaml").read_text()
    assert text.splitlines()[0] == "# yaml-language-server: $schema=answers.schema.json"
    data = yaml.safe_load(text)
    assert data["format_version"] == 1
    assert data["project"] == {"id": None, "name": None, "client": None}
    assert data["assessed_on"] is None
    assert data["assessor"] is None
    assert list(data["context"]) == [info.question.id for info in pack.project_questions()]
    (respondent,) = data["respondents"]
    assert list(respondent["answers"]) == [i.question.id for i in pack.respondent_questions()]
    assert set(respondent["answers"].values()) == {None}
    schema = json.loads((tmp_path / "answers.schema.json").read_text())
    assert schema == answers_json_schema(pack)


def test_template_comments_describe_each_question_as_the_schema_does() -> None:
    pack = load_pack()
    text = answers_template(pack)
    schema = answers_json_schema(pack)
    answers = schema["$defs"]["RespondentEntry"]["properties"]["answers"]["properties"]
    info = pack.questions["overdue_tasks_share"]
    doc = describe_question(pack, info)
    assert doc.applies == "only when phase is execution"
    block = "\n".join(f"      # {line}" for line in doc.lines())
    assert block + "\n      overdue_tasks_share:\n" in text
    assert answers["overdue_tasks_share"]["title"] == doc.text
    assert answers["overdue_tasks_share"]["description"] == "\n".join(doc.lines()[1:])
    assert "# Required, only when project_type is software_launch.\n      sw_tested:" in text
    assert "# This section applies only when project_type is software_launch." in text
    assert "# Optional.\n  budget_band:" in text


def test_assess_on_the_untouched_template_lists_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    assert run("new", str(path)).exit_code == 0
    result = run("assess", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = {
        field: number
        for number, field in enumerate(path.read_text().splitlines(), start=1)
        if not field.lstrip().startswith("#")
    }
    details = [
        ("  id:", "project.id"),
        ("  name:", "project.name"),
        ("  client:", "project.client"),
        ("assessed_on:", "assessed_on"),
        ("assessor:", "assessor"),
        ("  - name:", "respondents[0].name"),
        ("    role:", "respondents[0].role"),
    ]
    expected = [f"  - line {lines[key]}, {field}: missing" for key, field in details]
    # With nothing answered, every required question that applies without conditions is
    # listed too, in the same run (conditional ones don't apply yet).
    pack = load_pack()
    for question_id, info in pack.questions.items():
        if info.question.required and pack.visible(question_id, {}, {}):
            in_context = info.section.scope.value == "project"
            where = "context" if in_context else "respondents[0].answers"
            line = lines[f"  {question_id}:" if in_context else f"      {question_id}:"]
            expected.append(
                f"  - line {line}, {where}.{question_id}: required answer missing"
                f" (expected {info.question.expected()})"
            )
    listed = result.stderr.splitlines()
    assert listed[0] == f"Error: {path}: {len(expected)} problems"
    assert sorted(listed[1:]) == sorted(expected)
    assert [int(line.split(",")[0].split()[-1]) for line in listed[1:]] == sorted(
        int(line.split(",")[0].split()[-1]) for line in listed[1:]
    )


def test_with_the_project_details_filled_assess_lists_every_missing_answer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "answers.yaml"
    assert run("new", str(path)).exit_code == 0
    text = path.read_text()
    for old, new in (
        ("  id:\n", "  id: acme\n"),
        ("  name:\n", "  name: ACME\n"),
        ("  client:\n", "  client: ACME Corp\n"),
        ("assessed_on:\n", "assessed_on: 2026-11-20\n"),
        ("assessor:\n", "assessor: Jane Doe\n"),
        ("  - name:\n", "  - name: Dana Lee\n"),
        ("    role:\n", "    role: Lead\n"),
    ):
        assert text.count(old) == 1
        text = text.replace(old, new)
    path.write_text(text)
    result = run("assess", str(path))
    assert result.exit_code == 2
    missing = [line for line in result.stderr.splitlines() if "required answer missing" in line]
    pack = load_pack()
    # With nothing answered, the questions gated on project_type or phase don't apply.
    expected = [
        info.question.id
        for info in pack.questions.values()
        if info.question.required and pack.visible(info.question.id, {}, {})
    ]
    assert [line.split(": ")[0].rsplit(".", 1)[-1] for line in missing] == expected
    assert len(missing) == len(result.stderr.splitlines()) - 1
    assert "project_type" in expected
    assert "sw_tested" not in expected
    assert "kpis_tracked" not in expected


def test_new_refuses_to_replace_a_file(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    path.write_text("mine")
    result = run("new", str(path))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}: already exists; pass --force to replace it\n"
    assert path.read_text() == "mine"
    assert run("new", str(path), "--force").exit_code == 0
    assert path.read_text().startswith("# yaml-language-server:")


def test_new_schema_options(tmp_path: Path) -> None:
    result = run("new", str(tmp_path / "a.yaml"), "--no-schema")
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml"]
    url = "https://example.org/gapcheck/answers.schema.json"
    assert run("new", str(tmp_path / "b.yaml"), "--schema-url", url).exit_code == 0
    assert (tmp_path / "b.yaml").read_text().startswith(f"# yaml-language-server: $schema={url}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]
    bad = run("new", str(tmp_path / "c.yaml"), "--schema-url", "a b\n")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("Error: --schema-url 'a b\\n': a schema URL or path without")
    wrong = run("new", str(tmp_path / "c.json"))
    assert wrong.stderr == (
        f"Error: {tmp_path / 'c.json'}: the template is YAML: give a file name ending in .yaml\n"
    )


# --- the JSON Schema ---------------------------------------------------------------------------


def test_schema_is_valid_json_schema() -> None:
    schema = answers_json_schema(load_pack())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["additionalProperties"] is False
    assert schema["$defs"]["ProjectInfo"]["additionalProperties"] is False


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.stem)
def test_every_sample_is_valid_against_the_schema(sample: Path) -> None:
    validator = jsonschema.Draft202012Validator(
        answers_json_schema(load_pack()), format_checker=jsonschema.FormatChecker()
    )
    errors = list(validator.iter_errors(as_json(yaml.safe_load(sample.read_text()))))
    assert errors == []


@pytest.mark.parametrize(
    ("where", "answer"),
    [
        ("budget_secured", "maybe"),
        ("objectives_understood", 6),
        ("unapproved_scope_additions", 1.5),
        ("go_live_date", "next spring"),
        ("tools_acquired", "dont know"),
        ("objectives_defined", "not_applicable"),  # not allowed for this question
        ("no_such_question", "yes"),
    ],
)
def test_schema_rejects_wrong_answers(where: str, answer: Any) -> None:
    data = as_json(yaml.safe_load((ROOT / "samples" / "healthy-project.yaml").read_text()))
    data["respondents"][0]["answers"][where] = answer
    validator = jsonschema.Draft202012Validator(
        answers_json_schema(load_pack()), format_checker=jsonschema.FormatChecker()
    )
    assert list(validator.iter_errors(data)) != []


def test_schema_describes_ranges_and_choices() -> None:
    schema = answers_json_schema(load_pack())
    context = schema["properties"]["context"]["properties"]
    assert context["team_size"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 100000}
    assert context["project_type"]["anyOf"][0] == {
        "enum": ["software_launch", "marketing_campaign", "product_development", "other"]
    }
    assert len(context["project_type"]["anyOf"]) == 2  # no dont_know for project_type
    answers = schema["$defs"]["RespondentEntry"]["properties"]["answers"]["properties"]
    assert answers["go_live_date"]["anyOf"][0] == {"type": "string", "format": "date"}
    assert answers["tools_acquired"]["anyOf"][1]["enum"] == ["dont_know", "not_applicable"]


def test_multiple_choice_schema_is_an_array_of_unique_choices() -> None:
    schema = answers_json_schema(load_pack(ROOT / "tests" / "packs" / "mini"))
    defs = schema["$defs"]["RespondentEntry"]["properties"]["answers"]["properties"]
    array = defs["tools"]["anyOf"][0]["anyOf"][0]
    assert array == {
        "type": "array",
        "items": {"enum": ["jira", "sheet", "none"]},
        "uniqueItems": True,
    }


def test_schema_command(tmp_path: Path) -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == answers_json_schema(load_pack())
    out = tmp_path / "answers.schema.json"
    written = run("schema", "-o", str(out))
    assert written.exit_code == 0
    assert written.stderr == f"answers schema -> {out}\n"
    assert out.read_text() == result.stdout
