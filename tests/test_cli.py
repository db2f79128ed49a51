"""The CLI: exit codes, exact user-facing messages for bad input, outputs, help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from gapcheck.cli import main
from gapcheck.pack import MAX_EXACT_INTEGER, Question
from tests.helpers import python_output

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"
BASE_SAMPLE = SAMPLES / "healthy-project.yaml"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def base_answers() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(BASE_SAMPLE.read_text())
    return data


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def assert_one_error(result: Any, *fragments: str) -> str:
    """Exit code 2, an `Error:` message on stderr with every fragment, no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr
    text: str = result.stderr
    return text


# --- happy paths -------------------------------------------------------------------------------


def test_assess_text_summary() -> None:
    result = run("assess", str(BASE_SAMPLE))
    assert result.exit_code == 0, result.output
    assert "Delivery confidence: GREEN" in result.stdout
    assert "Scores (0-100):" in result.stdout


def test_assess_json_has_the_documented_keys(tmp_path: Path) -> None:
    result = run("assess", str(SAMPLES / "deep-trouble.yaml"), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    for key in ("project", "pack", "scores", "confidence", "findings"):
        assert key in data
    assert set(data["pack"]) >= {"name", "version", "sha256"}
    assert data["confidence"] in {"green", "amber-green", "amber", "amber-red", "red"}
    finding = data["findings"][0]
    assert set(finding) >= {"id", "title", "severity", "area", "evidence", "recommendations"}
    assert all(0 <= score <= 100 for score in data["scores"].values() if score is not None)


def test_output_file_format_from_extension_and_atomic(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = run("assess", str(BASE_SAMPLE), "-o", str(out))
    assert result.exit_code == 0
    assert json.loads(out.read_text())["project"]["id"] == base_answers()["project"]["id"]
    assert "->" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]  # no temporary left behind


def test_unknown_output_extension(tmp_path: Path) -> None:
    result = run("assess", str(BASE_SAMPLE), "-o", str(tmp_path / "result.docx"))
    assert_one_error(result, "cannot tell the format from the extension '.docx'", "--format")
    assert not (tmp_path / "result.docx").exists()


def test_fail_on_gates_by_severity() -> None:
    trouble = str(SAMPLES / "deep-trouble.yaml")
    assert run("assess", trouble, "--fail-on", "critical").exit_code == 1
    assert run("assess", str(BASE_SAMPLE), "--fail-on", "low").exit_code == 0


def test_same_input_gives_byte_identical_json() -> None:
    first = run("assess", str(SAMPLES / "software-launch.yaml"), "--format", "json").stdout
    second = run("assess", str(SAMPLES / "software-launch.yaml"), "--format", "json").stdout
    assert first == second


def test_json_answers_file(tmp_path: Path) -> None:
    data = base_answers()
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data, default=str))
    result = run("assess", str(path), "--format", "json")
    assert result.exit_code == 0, result.output


def test_rules_list() -> None:
    result = run("rules", "list")
    assert result.exit_code == 0
    assert "unclear-objectives" in result.stdout
    data = json.loads(run("rules", "list", "--format", "json").stdout)
    assert {"id", "title", "area", "severity"} <= set(data["rules"][0])
    assert data["pack"]["name"] == "implementing-vs-executing"


# --- bad input: one clear message, exit 2, nothing lost ---------------------------------------


def test_missing_file() -> None:
    assert_one_error(run("assess", "no/such/file.yaml"), "no/such/file.yaml", "not found")


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("format_version: 1\nproject: [unclosed\n")
    assert_one_error(run("assess", str(path)), "broken.yaml", "line")


def test_unknown_question_with_did_you_mean(tmp_path: Path) -> None:
    data = base_answers()
    data["respondents"][0]["answers"]["budget_secure"] = "yes"
    path = write_yaml(tmp_path / "typo.yaml", data)
    message = assert_one_error(
        run("assess", str(path)),
        "unknown question 'budget_secure'",
        "did you mean 'budget_secured'",
    )
    assert "typo.yaml: line " in message
    assert "respondents[0].answers.budget_secure" in message


def test_wrong_type_out_of_range_and_choice_not_offered_all_at_once(tmp_path: Path) -> None:
    data = base_answers()
    answers = data["respondents"][0]["answers"]
    answers["objectives_understood"] = 9
    answers["budget_secured"] = "maybe"
    answers["success_measures"] = "vibes"
    path = write_yaml(tmp_path / "bad.yaml", data)
    message = assert_one_error(run("assess", str(path)), "3 problems")
    assert "objectives_understood: 9: above the maximum 5" in message
    assert "expected a whole number from 1 to 5" in message
    assert "budget_secured: 'maybe': not a yes/no answer" in message
    assert "success_measures: 'vibes'" in message
    assert "expected one of: " in message


def test_a_huge_whole_number_is_a_range_error_not_a_crash(tmp_path: Path) -> None:
    data = base_answers()
    data["context"]["team_size"] = 10**400
    path = write_yaml(tmp_path / "huge.yaml", data)
    message = assert_one_error(run("assess", str(path)), "huge.yaml", "context.team_size")
    assert "above the maximum 100000" in message


def test_a_number_beyond_exact_integers_is_refused_without_a_maximum() -> None:
    unbounded = Question.model_validate({"id": "count", "type": "number", "text": "How many?"})
    assert unbounded.normalise(MAX_EXACT_INTEGER) == MAX_EXACT_INTEGER
    with pytest.raises(ValueError, match="too large a number"):
        unbounded.normalise(10**400)
    with pytest.raises(ValueError, match="too large a number"):
        unbounded.normalise(-(MAX_EXACT_INTEGER + 1))


def test_missing_required_answers_listed_at_once(tmp_path: Path) -> None:
    data = base_answers()
    answers = data["respondents"][0]["answers"]
    for question in ("objectives_defined", "budget_secured", "tasks_tracked"):
        del answers[question]
    path = write_yaml(tmp_path / "gaps.yaml", data)
    message = assert_one_error(run("assess", str(path)), "3 problems")
    for question in ("objectives_defined", "budget_secured", "tasks_tracked"):
        assert f"{question}: required answer missing" in message


def test_answer_to_a_hidden_question(tmp_path: Path) -> None:
    data = base_answers()
    assert data["context"]["project_type"] != "software_launch"
    data["respondents"][0]["answers"]["sw_bug_triage"] = "yes"
    path = write_yaml(tmp_path / "hidden.yaml", data)
    assert_one_error(run("assess", str(path)), "sw_bug_triage", "does not apply to this project")


def test_context_question_under_a_respondent(tmp_path: Path) -> None:
    data = base_answers()
    data["respondents"][0]["answers"]["phase"] = "execution"
    path = write_yaml(tmp_path / "misplaced.yaml", data)
    assert_one_error(run("assess", str(path)), "'phase' is answered under context, not here")


def test_envelope_errors(tmp_path: Path) -> None:
    data = base_answers()
    data["format_version"] = 7
    del data["project"]["client"]
    data["colour"] = "blue"
    path = write_yaml(tmp_path / "envelope.yaml", data)
    message = assert_one_error(run("assess", str(path)), "3 problems")
    assert "format_version: unsupported format version 7 (expected 1)" in message
    assert "project.client: missing" in message
    assert "colour: not a field of an answers file" in message


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("# padding\n" * 120_000)
    assert_one_error(run("assess", str(path)), "huge.yaml", "1 MiB")


def test_yaml_alias_bomb(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert_one_error(run("assess", str(path)), "bomb.yaml", "aliases")


def test_absurdly_deep_nesting_in_a_subprocess(tmp_path: Path) -> None:
    # libyaml would segfault on this; run the real CLI so a crash shows as a failure.
    path = tmp_path / "deep.yaml"
    path.write_text("[" * 100_000 + "]" * 100_000)
    result = subprocess.run(
        [sys.executable, "-m", "gapcheck", "assess", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert result.returncode == 2, result.stderr
    assert "nesting" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("format_version: 1\nassessor: Jos\xe9\n".encode("latin-1"))
    assert_one_error(run("assess", str(path)), "latin1.yaml", "UTF-8", "line 2")


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    assert_one_error(run("assess", str(path)), "list.json", "mapping")


def test_directory_and_unknown_extension(tmp_path: Path) -> None:
    assert_one_error(run("assess", str(tmp_path)), str(tmp_path))
    other = tmp_path / "answers.txt"
    other.write_text("format_version: 1\n")
    assert_one_error(run("assess", str(other)), "answers.txt", ".yaml")


def test_usage_errors_exit_2() -> None:
    assert run("assess").exit_code == 2
    assert run("assess", str(BASE_SAMPLE), "--fail-on", "extreme").exit_code == 2
    assert run("frobnicate").exit_code == 2


# --- help and start-up --------------------------------------------------------------------------


def _commands() -> list[list[str]]:
    found: list[list[str]] = []

    def visit(group: Any, prefix: list[str]) -> None:
        for name, command in group.commands.items():
            found.append([*prefix, name])
            if hasattr(command, "commands"):
                visit(command, [*prefix, name])

    visit(main, [])
    return found


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_has_help_and_is_in_the_readme(command: list[str]) -> None:
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    lines = [line for line in result.stdout.splitlines()[1:] if line.strip()]
    assert lines, "the command has no help text"
    assert f"gapcheck {' '.join(command)}" in (ROOT / "README.md").read_text()


def test_help_imports_neither_the_engine_nor_jinja() -> None:
    code = (
        "import sys; from gapcheck.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('durable', 'durable.engine', 'jinja2', 'weasyprint', 'pydantic',"
        " 'gapcheck.engine', 'gapcheck.pack', 'yaml') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    output = python_output(code)
    assert "HEAVY []" in output


def test_assess_and_rules_list_with_another_pack(tmp_path: Path) -> None:
    mini = ROOT / "tests" / "packs" / "mini"
    answers = {
        "format_version": 1,
        "project": {"id": "mini-1", "name": "Mini", "client": "Client"},
        "assessed_on": "2026-11-01",
        "assessor": "Assessor",
        "context": {"ptype": "alpha", "phase": "execution"},
        "respondents": [{"name": "Ann", "role": "Lead", "answers": {"goals": "no", "mood": 5}}],
    }
    path = write_yaml(tmp_path / "mini.yaml", answers)
    result = run("assess", str(path), "--pack", str(mini), "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["pack"]["name"] == "mini"
    assert [finding["id"] for finding in data["findings"]] == [
        "derived-weak",
        "no-goals",
        "chained-twice",
    ]
    # The bundled pack does not know the mini pack's questions.
    assert_one_error(run("assess", str(path)), "unknown question 'goals'")
    listed = run("rules", "list", "--pack", str(mini))
    assert listed.exit_code == 0
    assert listed.stdout.startswith("mini 0.0.1: 8 rules")


def test_the_last_garbage_collection_at_exit_is_skipped() -> None:
    # An object in a reference cycle is only ever freed by a garbage collection: the one the
    # interpreter runs as it exits would call its __del__. After a command nothing is left to
    # collect that matters, so the objects are frozen at exit and the collection walks none.
    code = (
        "import os, sys\n"
        "from gapcheck.cli import main\n"
        "class Cycle:\n"
        "    def __del__(self):\n"
        "        os.write(1, b'collected at exit')\n"
        "keep = Cycle()\n"
        "keep.me = keep\n"
        "sys.argv = ['gapcheck', 'schema']\n"
        "main()\n"
    )
    output = python_output(code)
    assert '"$schema"' in output  # the command ran
    assert "collected at exit" not in output
    # Without the freeze, the interpreter's own collection frees it: the check can fail.
    unfrozen = code.replace("main()\n", "import atexit, gc\natexit.register(gc.unfreeze)\nmain()\n")
    output = python_output(unfrozen)
    assert "collected at exit" in output
