"""`gapcheck fill` driven through a real pseudo-terminal (pexpect): interrupt, resume, assess.

Each test spawns `python -m gapcheck fill` on a pty, so the command runs exactly as in a terminal:
readline, Ctrl-C as a signal from the terminal, the exit status seen by the shell.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml
from click.testing import CliRunner

from gapcheck.answers import validate_answers
from gapcheck.cli import main
from gapcheck.loading import read_document
from gapcheck.pack import load_pack

ROOT = Path(__file__).parent.parent
MINI = ROOT / "tests" / "packs" / "mini"
TIMEOUT = 10


def spawn(*args: str) -> pexpect.spawn[str]:
    env = {**os.environ, "TERM": "dumb", "COLUMNS": "120", "LINES": "40"}
    env.pop("CI", None)  # nothing in gapcheck reads it; keeps the child's output the same
    return pexpect.spawn(
        sys.executable,
        ["-m", "gapcheck", "fill", *args, "--pack", str(MINI)],
        encoding="utf-8",
        timeout=TIMEOUT,
        env=env,
        dimensions=(40, 120),
    )


def ask(child: pexpect.spawn[str], *expected: str, answer: str) -> None:
    """Wait for each of `expected` in turn, then the prompt, and type `answer`."""
    for text in expected:
        child.expect_exact(text)
    child.expect_exact("> ")
    child.sendline(answer)


def finish(child: pexpect.spawn[str]) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.signalstatus is None, "the command was killed by a signal"
    status = child.exitstatus
    assert isinstance(status, int)
    return status


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def test_interrupt_resume_complete_and_assess(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    today = dt.date.today().isoformat()

    child = spawn(str(path))
    ask(
        child,
        "Question 1 of 18, section 1 of 4: Project details",
        "Project id (stable: the same on every assessment of this project) [required]",
        answer="acme-crm",
    )
    ask(child, "Question 2 of 18", "Project name [required]", answer="ACME CRM launch")
    ask(child, "Client [required]", answer="ACME Corp")
    ask(child, "Date of the assessment (YYYY-MM-DD) [required]", f"[{today}]", answer="")
    ask(child, "Assessor [required]", answer="Jane Doe")
    ask(
        child,
        "Question 6 of 18, section 2 of 4: Context",
        "Kind [required]",
        "  1. Alpha",
        "  2. Beta",
        answer="7",
    )
    ask(
        child,
        "Not accepted: '7' is not one of the choices (expected a number from 1 to 2). Try again.",
        answer="1",
    )
    ask(child, "Question 7 of 18", "Phase [required]", "  2. Execution", answer="?")
    ask(child, "No help for this question.", "Answer: a number from 1 to 2.", answer="2")
    child.expect_exact("Question 8 of 18, section 2 of 4: Context")
    child.expect_exact("Size [optional]")
    child.expect_exact("> ")
    child.sendintr()  # Ctrl-C, as the terminal sends it
    child.expect_exact(
        f"Saved 7 answers to {path}; run the same command to resume.", timeout=TIMEOUT
    )
    assert finish(child) == 130

    # Exactly the accepted answers are on disk, nothing else.
    assert load(path) == {
        "format_version": 1,
        "project": {"id": "acme-crm", "name": "ACME CRM launch", "client": "ACME Corp"},
        "assessed_on": dt.date.fromisoformat(today),
        "assessor": "Jane Doe",
        "context": {"ptype": "alpha", "phase": "execution"},
        "respondents": [{"answers": {}}],
    }
    assert [p.name for p in tmp_path.iterdir()] == ["answers.yaml"]  # no temporary left

    # The same command resumes at the question it was interrupted on.
    child = spawn(str(path))
    ask(child, "Question 8 of 18, section 2 of 4: Context", "Size [optional]", answer="1200")
    ask(child, "Not accepted: '1200': above the maximum 1000", answer="250")
    ask(child, "Question 9 of 18, section 3 of 4: About you", "Respondent's name", answer="Dana")
    ask(child, "Respondent's role [required]", answer="Implementation lead")
    ask(child, "Respondent's team [optional]", answer="")
    ask(child, "Question 12 of 18, section 4 of 4: Basics", "Goals clear? [required]", answer="y")
    ask(
        child,
        "Mood [required]",
        "Scale: 1 = lowest ... 5 = highest",
        "dk = don't know, na = not applicable",
        answer="2",
    )
    ask(child, "Budget [optional]", answer="")
    ask(child, "Tools [optional]", "  3. None", answer="2,3")
    ask(child, "Go-live [optional]", answer="2027-02-01")
    ask(child, "Owner [optional]", answer="b")  # back to the go-live date: Enter keeps it
    ask(child, "Go-live [optional]", "Current answer: 2027-02-01 (Enter keeps it)", answer="")
    ask(child, "Owner [optional]", answer="1")
    ask(child, "Notes [optional]", answer="Going well, «mostly»")
    ask(child, "Question 19 of 19", "Which goals? [optional]", answer="")
    child.expect_exact("Done: 16 answers saved to")
    child.expect_exact("Assess now? [Y/n] ")
    child.sendline("")
    child.expect_exact("Delivery confidence:")
    child.expect_exact("Low mood")  # mood 2 without Jira: the mini pack's low-mood finding
    assert finish(child) == 0

    answers = validate_answers(read_document(path), load_pack(MINI))
    values = answers.respondents[0].answers.values
    assert values["tools"] == ("sheet", "none")
    assert values["golive"] == dt.date(2027, 2, 1)
    assert values["notes"] == "Going well, «mostly»"
    assert answers.context.values["size"] == 250


def test_second_respondent_review_and_end_of_input(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    data = {
        "format_version": 1,
        "project": {"id": "acme-crm", "name": "ACME", "client": "ACME Corp"},
        "assessed_on": dt.date(2026, 11, 20),
        "assessor": "Jane Doe",
        "context": {"ptype": "beta", "phase": "planning", "size": 10},
        "respondents": [{"name": "Dana", "role": "Lead", "answers": {"goals": "yes", "mood": 4}}],
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))

    # A second respondent: the project's details and context are not asked again.
    child = spawn(str(path), "--respondent", "Sam", "--role", "Sponsor", "--team", "Ops")
    ask(child, "Filling in", "as Sam.", "Question 9 of 16", "Goals clear?", answer="n")
    ask(child, "Mood", answer="dk")
    child.expect_exact("Budget")
    child.expect_exact("> ")
    child.sendeof()  # Ctrl-D, or input running out: the same as an interrupt
    child.expect_exact(f"Saved 10 answers to {path}; run the same command to resume.")
    assert finish(child) == 130
    saved = load(path)
    assert saved["respondents"][1] == {
        "name": "Sam",
        "role": "Sponsor",
        "team": "Ops",
        "answers": {"goals": "no", "mood": "dont_know"},
    }

    # --review walks through every answer of the first respondent from the start.
    child = spawn(str(path), "--review")
    ask(child, "Question 1 of 20", "Current answer: acme-crm (Enter keeps it)", answer="")
    for _ in range(5):  # name, client, date, assessor, kind
        ask(child, "Current answer:", answer="")
    ask(child, "Phase", "Current answer: Planning", answer="2")
    child.expect_exact("Current answer: 10")
    child.expect_exact("> ")
    child.sendintr()
    child.expect_exact("Saved")
    assert finish(child) == 130
    saved = load(path)
    assert saved["context"] == {"ptype": "beta", "phase": "execution", "size": 10}
    assert saved["respondents"][0]["answers"] == {"goals": "yes", "mood": 4}


def test_a_closed_terminal_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "answers.yaml"
    child = spawn(str(path))
    ask(child, "Project id", answer="acme-crm")
    ask(child, "Project name", answer="ACME")
    ask(child, "Client", answer="ACME Corp")
    child.expect_exact("Date of the assessment")
    child.expect_exact("> ")
    child.close(force=True)  # hang up: the terminal is gone (SIGHUP, then SIGKILL if needed)
    assert child.signalstatus is not None
    assert load(path)["project"] == {"id": "acme-crm", "name": "ACME", "client": "ACME Corp"}
    child = spawn(str(path))
    ask(child, "Question 4 of 18", "Date of the assessment", answer="2026-11-20")
    child.expect_exact("Assessor")
    child.expect_exact("> ")  # inside input(): a Ctrl-C before it could be lost in the start-up
    child.sendintr()
    assert finish(child) == 130
    assert load(path)["assessed_on"] == dt.date(2026, 11, 20)


# --- what needs no terminal -----------------------------------------------------------------


def test_pack_option_must_be_a_folder(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "pack.yaml"
    not_a_folder.write_text("name: x\n")
    result = CliRunner().invoke(
        main, ["fill", str(tmp_path / "a.yaml"), "--pack", str(not_a_folder)]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--pack'" in result.stderr
    assert "is a file" in result.stderr


def test_an_invalid_pack_is_one_error(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    folder.mkdir()
    result = CliRunner().invoke(main, ["fill", str(tmp_path / "a.yaml"), "--pack", str(folder)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: the assessment pack is invalid: {folder / 'pack.yaml'}: missing from the pack\n"
    )
    assert not (tmp_path / "a.yaml").exists()


def test_a_bad_answers_file_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("respondents: 3\n")
    result = CliRunner().invoke(main, ["fill", str(path), "--pack", str(MINI)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {path}: line 1, respondents: not a list (expected a list of respondents)\n"
    )


def test_decline_the_assessment(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    lines = ["acme", "ACME", "ACME Corp", "", "Jane", "1", "1", "", "Dana", "Lead", ""]
    lines += ["y", "3", "", "", "", "", "", "", "n"]
    result = CliRunner().invoke(
        main, ["fill", str(path), "--pack", str(MINI)], input="\n".join(lines)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.endswith(
        f"Assess now? [Y/n] Assess it later with: gapcheck assess {path}\n"
    )
    validate_answers(read_document(path), load_pack(MINI))


@pytest.mark.parametrize("count", [0, 3])
def test_input_running_out_keeps_what_was_answered(tmp_path: Path, count: int) -> None:
    path = tmp_path / "a.yaml"
    lines = ["acme", "ACME", "ACME Corp"][:count]
    result = CliRunner().invoke(
        main, ["fill", str(path), "--pack", str(MINI)], input="".join(f"{x}\n" for x in lines)
    )
    assert result.exit_code == 130
    assert result.stderr == f"Saved {count} answers to {path}; run the same command to resume.\n"
    assert path.exists() == (count > 0)
