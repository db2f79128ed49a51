"""gapcheck import: Google Forms and Microsoft Forms CSV exports into answers files."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from gapcheck.cli import main
from gapcheck.errors import InputError
from gapcheck.pack import Choice, Question, QuestionType, load_pack
from gapcheck.survey import (
    SOURCE_DATE_FORMATS,
    RowProblem,
    SurveySource,
    _Answers,
    load_mapping,
    parse_date,
    problems_csv,
)

SURVEYS = Path(__file__).parent.parent / "samples" / "surveys"
EXPORTS = {
    "google-forms": {"hl-book": [2, 3, 4], "ks-payroll": [5, 6]},
    "microsoft-forms": {
        "brightleaf-spring-loyalty-campaign": [2, 3],
        "ortho-flex-brace-production-ramp-up": [4, 5, 6],
    },
}


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
    return path


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_each_export_imports_into_one_file_per_project_that_assesses(
    export: str, tmp_path: Path
) -> None:
    out = tmp_path / "answers"
    result = run(
        "import",
        str(SURVEYS / f"{export}.csv"),
        "--map",
        str(SURVEYS / f"{export}.map.yaml"),
        "-o",
        str(out),
    )
    assert result.exit_code == 0, result.output
    expected = EXPORTS[export]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{pid}.yaml" for pid in expected)
    for project_id, rows in expected.items():
        path = out / f"{project_id}.yaml"
        listed = ", ".join(map(str, rows))
        assert f"{project_id}: {len(rows)} respondents (rows {listed}) -> {path}\n" in result.stderr
        data = yaml.safe_load(path.read_text())
        assert data["project"]["id"] == project_id
        assert len(data["respondents"]) == len(rows)
        assert data["assessor"] == "Claire Dunmore (Northgate Delivery Advisory)"
        assessed = run("assess", str(path))
        assert assessed.exit_code == 0, assessed.output


def test_microsoft_export_details(tmp_path: Path) -> None:
    out = tmp_path / "answers"
    export = SURVEYS / "microsoft-forms"
    assert (
        run("import", f"{export}.csv", "--map", f"{export}.map.yaml", "-o", str(out)).exit_code == 0
    )
    campaign = yaml.safe_load((out / "brightleaf-spring-loyalty-campaign.yaml").read_text())
    # Anonymous respondents are named by their row; "11/20/26 13:38:20" is the latest completion.
    assert [r["name"] for r in campaign["respondents"]] == ["Ana Silva", "Respondent (row 3)"]
    assert str(campaign["assessed_on"]) == "2026-11-20"
    assert str(campaign["respondents"][1]["answers"]["go_live_date"]) == "2027-03-16"
    ortho = yaml.safe_load((out / "ortho-flex-brace-production-ramp-up.yaml").read_text())
    assert ortho["respondents"][1]["answers"]["budget_secured"] == "dont_know"  # "Not sure"
    assert ortho["respondents"][2]["name"] == "Rémi Dubois"


def test_formula_looking_cells_stay_text(tmp_path: Path) -> None:
    out = tmp_path / "answers"
    for export in EXPORTS:
        stem = SURVEYS / export
        assert (
            run("import", f"{stem}.csv", "--map", f"{stem}.map.yaml", "-o", str(out)).exit_code == 0
        )
    campaign = yaml.safe_load((out / "brightleaf-spring-loyalty-campaign.yaml").read_text())
    assert campaign["context"]["description"] == "=Spring loyalty push: 2,000 new members by 31 May"
    booking = yaml.safe_load((out / "hl-book.yaml").read_text())
    assert booking["context"]["description"].startswith("+15% self-service bookings")


def test_bad_rows_are_reported_and_good_projects_still_written(tmp_path: Path) -> None:
    rows = read_rows(SURVEYS / "google-forms.csv")
    header = rows[0]
    budget = header.index(
        "Is the budget for implementation formally approved and available to spend?"
    )
    role = header.index("Your role on the project")
    rows[2][budget] = "Maybe"  # row 3
    rows[4][role] = ""  # row 5
    rows[5][budget] = '=HYPERLINK("http://evil.example")'  # row 6
    survey = write_rows(tmp_path / "survey.csv", rows)
    out = tmp_path / "answers"
    report = tmp_path / "problems.csv"
    result = run(
        "import",
        str(survey),
        "--map",
        str(SURVEYS / "google-forms.map.yaml"),
        "-o",
        str(out),
        "--report",
        str(report),
    )
    assert result.exit_code == 2
    expected_answers = "expected one of: Yes; No; Don't know"
    assert result.stderr == (
        f"hl-book: 2 respondents (rows 2, 4) -> {out / 'hl-book.yaml'}\n"
        f"row 3: budget_secured: 'Maybe' is not a known answer ({expected_answers})\n"
        "row 5: respondent.role: empty, and the mapping's defaults give none\n"
        "row 6: budget_secured: '=HYPERLINK(\"http://evil.example\")' is not a known answer"
        f" ({expected_answers})\n"
        "Error: 3 of 5 rows not imported (1 projects written); see above\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["hl-book.yaml"]
    assert run("assess", str(out / "hl-book.yaml")).exit_code == 0
    report_rows = read_rows(report)
    assert report_rows[0] == ["row", "project", "problem"]
    assert [r[0] for r in report_rows[1:]] == ["3", "5", "6"]
    assert report_rows[3][2].startswith("budget_secured: '=HYPERLINK")  # not at the cell start


def test_report_cells_cannot_become_formulas() -> None:
    data = problems_csv([RowProblem(4, "=cmd|' /C calc'!A0", "-2+3"), RowProblem(None, "@x", "ok")])
    rows = read_rows_text(data.decode("utf-8-sig"))
    assert rows == [
        ["row", "project", "problem"],
        ["4", "'=cmd|' /C calc'!A0", "'-2+3"],
        ["", "'@x", "ok"],
    ]


def read_rows_text(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_a_context_answer_that_contradicts_the_project_is_a_row_problem(tmp_path: Path) -> None:
    rows = read_rows(SURVEYS / "google-forms.csv")
    phase = rows[0].index("Which phase is the project in today?")
    rows[2][phase] = "Execution (running the work day to day)"  # row 3; row 2 says implementation
    survey = write_rows(tmp_path / "survey.csv", rows)
    result = run(
        "import",
        str(survey),
        "--map",
        str(SURVEYS / "google-forms.map.yaml"),
        "-o",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 2
    assert (
        "row 3: phase: 'execution' differs from 'implementation' given in row 2\n" in result.stderr
    )
    assert "hl-book: 2 respondents (rows 2, 4)" in result.stderr


def test_semicolon_csv_from_a_european_excel_is_read(tmp_path: Path) -> None:
    survey = write_rows(tmp_path / "s.csv", read_rows(SURVEYS / "microsoft-forms.csv"), ";")
    result = run(
        "import",
        str(survey),
        "--map",
        str(SURVEYS / "microsoft-forms.map.yaml"),
        "-o",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").iterdir())) == 2


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "hl-book.yaml").write_text("mine")
    args = [
        "import",
        str(SURVEYS / "google-forms.csv"),
        "--map",
        str(SURVEYS / "google-forms.map.yaml"),
        "-o",
        str(out),
    ]
    result = run(*args)
    assert result.exit_code == 2
    assert f"project hl-book: {out / 'hl-book.yaml'} already exists; pass --force" in result.stderr
    assert (out / "hl-book.yaml").read_text() == "mine"
    assert (out / "ks-payroll.yaml").exists()
    assert run(*args, "--force").exit_code == 0
    assert (out / "hl-book.yaml").read_text().startswith("# Imported by gapcheck import")


def test_init_drafts_a_mapping_and_lists_unmatched_columns(tmp_path: Path) -> None:
    draft = tmp_path / "map.yaml"
    result = run("import", "--init", str(SURVEYS / "microsoft-forms.csv"), "-o", str(draft))
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"microsoft_forms mapping draft -> {draft}\n"
        "unmatched column: 'Which project are you answering about?'\n"
        "unmatched answer of budget_secured: 'Not sure'\n"
    )
    data = yaml.safe_load(draft.read_text())
    assert data["source"] == "microsoft_forms"
    assert data["columns"]["Completion time"] == "assessed_on"
    assert data["columns"]["Which project are you answering about?"] == "?"
    assert data["columns"]["What kind of project is this?"] == "project_type"
    assert data["choices"] == {"budget_secured": {"Not sure": "?"}}
    # Every question column was matched to its question.
    pack = load_pack()
    for header, target in data["columns"].items():
        if target in pack.questions:
            assert pack.questions[target].question.text == header
    # The placeholders must be replaced before the draft is usable.
    with pytest.raises(InputError) as error:
        load_mapping(draft, pack)
    messages = [problem.message for problem in error.value.problems]
    assert "'?' is a placeholder" in messages
    assert any(m.startswith("'?' is not a question id") for m in messages)
    assert "'?' is not an answer of budget_secured" in messages


def test_init_on_google_forms_matches_every_column(tmp_path: Path) -> None:
    result = run("import", "--init", str(SURVEYS / "google-forms.csv"))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert '"Timestamp": "assessed_on"' in result.stdout
    assert '"Project code": "project.id"' in result.stdout


def test_mapping_errors_name_the_field_and_line(tmp_path: Path) -> None:
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "source: google_forms\ncolumns:\n  Timestamp: assessed_on\n  Budget?: budget_secure\n"
        "choices:\n  budget_secured: {Maybe: perhaps}\nextra: 1\n"
    )
    result = run(
        "import",
        str(SURVEYS / "google-forms.csv"),
        "--map",
        str(mapping),
        "-o",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 2
    assert result.stderr == (f"Error: {mapping}: line 7, extra: not a field of a mapping file\n")
    mapping.write_text(mapping.read_text().replace("extra: 1\n", ""))
    result = run(
        "import",
        str(SURVEYS / "google-forms.csv"),
        "--map",
        str(mapping),
        "-o",
        str(tmp_path / "out"),
    )
    assert result.stderr.startswith(f"Error: {mapping}: 3 problems\n")
    assert (
        "  - line 4, columns.Budget?: 'budget_secure' is not a question id, an envelope field"
        " or ignore; did you mean 'budget_secured'?" in result.stderr
    )
    assert "  - line 2, columns: no column gives the project" in result.stderr
    assert (
        "  - line 6, choices.budget_secured.Maybe: 'perhaps' is not an answer of"
        " budget_secured (expected one of yes, no, dont_know)" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_columns_missing_from_the_mapping_are_refused(tmp_path: Path) -> None:
    rows = read_rows(SURVEYS / "google-forms.csv")
    for row in rows:
        row.append("extra" if row is rows[0] else "")
    survey = write_rows(tmp_path / "s.csv", rows)
    result = run(
        "import",
        str(survey),
        "--map",
        str(SURVEYS / "google-forms.map.yaml"),
        "-o",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {survey}: line 1: columns not in the mapping: 'extra' (expected each column"
        " mapped to a question id, an envelope field or ignore)\n"
    )


def test_not_utf8_is_one_clear_error(tmp_path: Path) -> None:
    survey = tmp_path / "s.csv"
    survey.write_bytes("Timestamp,Caf\xe9\n".encode("latin-1"))
    result = run(
        "import",
        str(survey),
        "--map",
        str(SURVEYS / "google-forms.map.yaml"),
        "-o",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {survey}: not UTF-8 (byte 13) (expected a CSV saved")


def test_multiple_choice_cells_split_against_known_labels_longest_first() -> None:
    question = Question(
        id="channels",
        type=QuestionType.multiple_choice,
        text="Channels",
        choices=[
            Choice(id="email", label="Email"),
            Choice(id="email_chat", label="Email, chat and calls"),
            Choice(id="chat", label="Chat"),
        ],
    )
    answers = _Answers.of(question, {"Slack, Teams": "chat"})
    assert answers.split("Email, chat and calls, Email", ", ") == ["email_chat", "email"]
    assert answers.split("Slack, Teams, Email, chat and calls", ", ") == ["chat", "email_chat"]
    assert answers.split("Email;Chat;", ";") == ["email", "chat"]
    with pytest.raises(ValueError, match="'Fax' is not a known answer"):
        answers.split("Email, Fax", ", ")


@pytest.mark.parametrize(
    ("source", "text", "expected"),
    [
        (SurveySource.google_forms, "2025/08/20 12:51:45 PM GMT+1", "2025-08-20"),
        (SurveySource.google_forms, "2025/08/20 9:05:01 AM EET", "2025-08-20"),
        (SurveySource.google_forms, "8/20/2025 12:51:45", "2025-08-20"),
        (SurveySource.google_forms, "2027-03-01", "2027-03-01"),
        (SurveySource.microsoft_forms, "8/20/25 12:51:45", "2025-08-20"),
        (SurveySource.microsoft_forms, "3/16/2027", "2027-03-16"),
    ],
)
def test_dates_in_the_formats_the_tools_export(
    source: SurveySource, text: str, expected: str
) -> None:
    assert parse_date(text, SOURCE_DATE_FORMATS[source]).isoformat() == expected


def test_an_unknown_date_format_says_which_formats_were_tried() -> None:
    with pytest.raises(ValueError, match=r"'20\.08\.2025' is not a date in a known format"):
        parse_date("20.08.2025", SOURCE_DATE_FORMATS[SurveySource.microsoft_forms])
