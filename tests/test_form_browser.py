"""The questionnaire form (gapcheck form) in a real headless Chromium, opened from file://.

A client fills every question type, watches conditional questions come and go, is stopped by
validation with the question named and focused, reloads mid-way without losing anything,
downloads the answers and `gapcheck assess` accepts the file unchanged; the file loads back into
a fresh form. Keyboard focus is visible, every input has a label, and the page looks right on a
phone and a desktop (screenshots under each test's tmp_path). Without Chromium these tests skip
locally and fail under CI=true (`browser_page`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from click.testing import CliRunner

from gapcheck.assessment import assess_file
from gapcheck.cli import main
from gapcheck.form import questionnaire_data, render_form
from gapcheck.pack import Pack, load_pack
from tests.support import PageProbe, assert_clean, open_html, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Download, Page

ROOT = Path(__file__).parent.parent
MINI = ROOT / "tests" / "packs" / "mini"
PHONE = (390, 844)
DESKTOP = (1440, 900)

PROJECT = {
    "project-name": "Ledgerline invoicing launch",
    "project-client": "Brightwater Software Ltd",
    "assessor": "Tom Hallett",
    "assessed-on": "2026-09-30",
}
RESPONDENT = {
    "respondent-name": "Nadia Kowalczyk",
    "respondent-role": "VP Engineering",
    "respondent-team": "Product engineering",
}


def open_form(probe: PageProbe, html: str, folder: Path, name: str = "form") -> Path:
    return open_html(probe, html, folder, name)


def questions_of(pack: Pack) -> list[dict[str, Any]]:
    data = questionnaire_data(pack)
    return [question for section in data["sections"] for question in section["questions"]]


def shown(page: Page, question_id: str) -> bool:
    return page.locator(f"#wrap-{question_id}").is_visible()


def fill_fields(page: Page, fields: dict[str, str]) -> None:
    for field_id, value in fields.items():
        page.fill(f"#{field_id}", value)


def answer(page: Page, question: dict[str, Any], value: Any) -> None:
    """Give one answer the way a person would: click a radio or checkbox, or type."""
    qid = question["id"]
    if value in ("dont_know", "not_applicable"):
        if question["type"] in ("yes_no", "scale", "single_choice"):
            page.check(f"#q-{qid}-{value}")
        else:
            page.check(f"#q-{qid}--{value}")
    elif question["type"] in ("yes_no", "scale", "single_choice"):
        page.check(f"#q-{qid}-{value}")
    elif question["type"] == "multiple_choice":
        for choice in value:
            page.check(f"#q-{qid}-{choice}")
    else:
        page.fill(f"#q-{qid}", str(value))


def default_value(question: dict[str, Any]) -> Any:
    kind = question["type"]
    if kind == "yes_no":
        return "yes"
    if kind == "scale":
        return 4
    if kind == "single_choice":
        return question["choices"][0]["id"]
    if kind == "multiple_choice":
        return [question["choices"][0]["id"]]
    if kind == "number":
        return question["min"] if question["min"] is not None else 3
    if kind == "date":
        return "2027-02-01"
    return "Reach 1,500 paying accounts within six months."


def status_says(page: Page, text: str) -> None:
    """Wait until the status line holds ``text`` (a FileReader answers asynchronously)."""
    from playwright.sync_api import expect  # imported here: the fixture skips without it

    expect(page.locator("#status")).to_contain_text(text)


def downloads_of(page: Page) -> list[Download]:
    seen: list[Download] = []

    def on_download(download: Download) -> None:
        seen.append(download)

    page.on("download", on_download)
    return seen


# --- the default pack, end to end ---------------------------------------------------------------

#: Answers chosen to use every widget of the default pack, specials included.
CHOSEN: dict[str, Any] = {
    "project_type": "software_launch",
    "phase": "execution",
    "team_size": 27,
    "planned_duration_weeks": 36,
    "description": "Launch Ledgerline </script><b>bold</b> & reach 1,500 accounts.",
    "objectives_understood": 5,
    "budget_secured": "dont_know",
    "tools_acquired": "not_applicable",
    "unapproved_scope_additions": 2,
    "go_live_date": "2027-02-01",
    "workflow_bottlenecks": "no",
}
MISSING = "deadlines_followed_up"  # required; left out until the validation check


def test_fill_validate_reload_download_assess_and_load_back(
    browser_page: PageProbe, tmp_path: Path
) -> None:
    page = browser_page.page
    pack = load_pack()
    questions = questions_of(pack)
    by_id = {question["id"]: question for question in questions}
    downloads = downloads_of(page)
    open_form(browser_page, render_form(pack), tmp_path)
    assert (
        page.locator("#progress-text").inner_text()
        == f"0 of {visible_count(page)} questions answered"
    )

    fill_fields(page, PROJECT)
    # The project id is suggested from the name.
    assert page.input_value("#project-id") == "ledgerline-invoicing-launch"

    # The checklist of the chosen project type shows, live; the others don't.
    answer(page, by_id["project_type"], "software_launch")
    assert page.locator("#section-software_launch").is_visible()
    assert not page.locator("#section-marketing_campaign").is_visible()
    assert not page.locator("#section-product_development").is_visible()
    answer(page, by_id["project_type"], "marketing_campaign")
    assert page.locator("#section-marketing_campaign").is_visible()
    assert not page.locator("#section-software_launch").is_visible()
    # An answer given while a question shows, then hidden, never reaches the file.
    answer(page, by_id["mc_inquiry_process"], "yes")
    answer(page, by_id["project_type"], "software_launch")
    assert page.locator("#section-software_launch").is_visible()
    assert not page.locator("#section-marketing_campaign").is_visible()
    # Questions about work under way show once the phase says it is.
    answer(page, by_id["phase"], "planning")
    assert not shown(page, "overdue_tasks_share")
    assert not shown(page, "workflow_bottlenecks")
    answer(page, by_id["phase"], "execution")
    assert shown(page, "overdue_tasks_share")
    assert shown(page, "workflow_bottlenecks")

    # Half the questions, then a reload: everything is still there.
    visible = [
        q for q in questions if shown(page, q["id"]) and q["id"] not in ("project_type", "phase")
    ]
    given: dict[str, Any] = {}
    for question in visible:
        if question["id"] == MISSING or question["id"] == "budget_band":
            continue  # budget_band: optional, left out
        given[question["id"]] = CHOSEN.get(question["id"], default_value(question))
    half = list(given)[: len(given) // 2]
    for qid in half:
        answer(page, by_id[qid], given[qid])
    fill_fields(page, RESPONDENT)
    page.reload()
    page.wait_for_load_state("load")
    assert page.input_value("#project-name") == PROJECT["project-name"]
    assert page.input_value("#assessed-on") == PROJECT["assessed-on"]
    assert page.input_value("#respondent-team") == RESPONDENT["respondent-team"]
    assert page.is_checked("#q-project_type-software_launch")
    assert page.locator("#section-software_launch").is_visible()
    assert not page.locator("#section-marketing_campaign").is_visible()
    assert page.input_value("#q-team_size") == "27"
    assert page.is_checked("#q-objectives_understood-5")
    assert page.is_checked("#q-budget_secured-dont_know")
    assert "Welcome back" in page.locator("#status").inner_text()
    for qid in half[-3:]:
        assert_answer_shown(page, by_id[qid], given[qid])

    for qid in list(given)[len(given) // 2 :]:
        answer(page, by_id[qid], given[qid])

    # A required answer missing: no download; the question is named, marked and focused.
    page.click("#download")
    assert downloads == []
    summary = page.locator("#summary")
    assert summary.is_visible()
    missing_text = by_id[MISSING]["text"]
    assert summary.inner_text().startswith("1 answer needs attention before you can download:")
    assert f"{missing_text}: Please answer this question." in summary.inner_text()
    error = page.locator(f"#error-{MISSING}")
    assert error.is_visible()
    assert error.inner_text() == "Please answer this question."
    focused = page.evaluate(
        f"document.getElementById('wrap-{MISSING}').contains(document.activeElement)"
    )
    assert focused
    assert page.evaluate("document.activeElement.name") == f"q-{MISSING}"
    assert page.get_attribute(f"#q-{MISSING}-1", "aria-invalid") == "true"

    # Answering it clears the message live; the download then goes through.
    answer(page, by_id[MISSING], 3)
    given[MISSING] = 3
    assert not error.is_visible()
    assert not summary.is_visible()
    total = visible_count(page)
    assert (
        page.locator("#progress-text").inner_text() == f"{total - 1} of {total} questions answered"
    )
    with page.expect_download() as info:
        page.click("#download")
    download = info.value
    assert download.suggested_filename == "ledgerline-invoicing-launch-answers.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert (
        "Downloaded ledgerline-invoicing-launch-answers.json"
        in page.locator("#status").inner_text()
    )

    document = json.loads(saved.read_text(encoding="utf-8"))
    assert list(document) == [
        "format_version",
        "project",
        "assessed_on",
        "assessor",
        "context",
        "respondents",
    ]
    assert document["format_version"] == 1
    assert document["project"] == {
        "id": "ledgerline-invoicing-launch",
        "name": PROJECT["project-name"],
        "client": PROJECT["project-client"],
    }
    assert document["assessed_on"] == "2026-09-30"
    assert document["assessor"] == "Tom Hallett"
    context = document["context"]
    assert context == {
        "project_type": "software_launch",
        "phase": "execution",
        "team_size": 27,
        "planned_duration_weeks": 36,
        "description": CHOSEN["description"],
    }  # budget_band (optional, unanswered) is left out
    assert isinstance(context["team_size"], int)
    (respondent,) = document["respondents"]
    assert {key: respondent[key] for key in ("name", "role", "team")} == {
        "name": "Nadia Kowalczyk",
        "role": "VP Engineering",
        "team": "Product engineering",
    }
    answers = respondent["answers"]
    expected = {qid: value for qid, value in given.items() if by_id[qid]["scope"] == "respondent"}
    assert answers == expected
    assert answers["budget_secured"] == "dont_know"
    assert answers["tools_acquired"] == "not_applicable"
    assert answers["objectives_understood"] == 5
    assert answers["go_live_date"] == "2027-02-01"
    assert "mc_inquiry_process" not in answers  # hidden: the project is a software launch
    assert not any(qid.startswith(("mc_", "pd_")) for qid in answers)
    assert any(qid.startswith("sw_") for qid in answers)

    # gapcheck assess takes the file unchanged.
    result = CliRunner().invoke(main, ["assess", str(saved), "--format", "json"])
    assert result.exit_code == 0, result.output
    assessed = json.loads(result.stdout)
    assert assessed["project"]["id"] == "ledgerline-invoicing-launch"
    assert assessed["confidence"] in ("green", "amber-green", "amber", "amber-red", "red")

    # A fresh form (nothing stored) takes the file back with the "Load answers" input.
    page.evaluate("localStorage.clear()")
    page.reload()
    page.wait_for_load_state("load")
    assert page.input_value("#project-name") == ""
    assert not page.is_checked("#q-project_type-software_launch")
    page.set_input_files("#load-answers", str(saved))
    status_says(page, "Loaded")
    assert page.input_value("#project-name") == PROJECT["project-name"]
    assert page.input_value("#project-id") == "ledgerline-invoicing-launch"
    assert page.input_value("#respondent-role") == "VP Engineering"
    assert page.input_value("#q-description") == CHOSEN["description"]
    assert page.locator("#section-software_launch").is_visible()
    for qid, value in given.items():
        assert_answer_shown(page, by_id[qid], value)
    answered = f"{total - 1} of {total} questions answered"  # budget_band is left out
    assert page.locator("#progress-text").inner_text() == answered
    # ...and downloads the same answers again.
    with page.expect_download() as again:
        page.click("#download")
    second = tmp_path / "again.json"
    again.value.save_as(second)
    assert json.loads(second.read_text(encoding="utf-8")) == document
    assert_clean(browser_page)


def visible_count(page: Page) -> int:
    count: int = page.evaluate(
        "document.querySelectorAll('[data-question]').length"
        " - Array.from(document.querySelectorAll('[data-question]'))"
        ".filter(e => e.hidden || e.closest('section').hidden).length"
    )
    return count


def assert_answer_shown(page: Page, question: dict[str, Any], value: Any) -> None:
    qid = question["id"]
    if value in ("dont_know", "not_applicable"):
        radio = question["type"] in ("yes_no", "scale", "single_choice")
        assert page.is_checked(f"#q-{qid}-{value}" if radio else f"#q-{qid}--{value}"), qid
    elif question["type"] in ("yes_no", "scale", "single_choice"):
        assert page.is_checked(f"#q-{qid}-{value}"), qid
    elif question["type"] == "multiple_choice":
        for choice in question["choices"]:
            assert page.is_checked(f"#q-{qid}-{choice['id']}") is (choice["id"] in value), qid
    else:
        assert page.input_value(f"#q-{qid}") == str(value), qid


# --- every question type, with the mini pack -----------------------------------------------------


def test_every_question_type_and_its_validation(browser_page: PageProbe, tmp_path: Path) -> None:
    page = browser_page.page
    pack = load_pack(MINI)
    by_id = {question["id"]: question for question in questions_of(pack)}
    downloads = downloads_of(page)
    open_form(browser_page, render_form(pack), tmp_path, "mini")
    fill_fields(page, {**PROJECT, **RESPONDENT, "project-id": "mini.project_1"})

    # Single choice (radios) gating a whole section.
    answer(page, by_id["ptype"], "alpha")
    answer(page, by_id["phase"], "planning")
    assert not page.locator("#section-beta_only").is_visible()
    answer(page, by_id["ptype"], "beta")
    assert page.locator("#section-beta_only").is_visible()

    # A number with bounds and integer: each message next to the field, on leaving it.
    for typed, message in (
        ("0", "Enter a number from 1 to 1000."),
        ("1001", "Enter a number from 1 to 1000."),
        ("2.5", "Enter a whole number from 1 to 1000."),
    ):
        page.fill("#q-size", typed)
        page.locator("#q-size").blur()
        assert page.locator("#error-size").inner_text() == message
        assert page.locator("#error-size").is_visible()
    page.fill("#q-size", "12")
    page.locator("#q-size").blur()
    assert not page.locator("#error-size").is_visible()
    page.fill("#q-budget", "-1")
    page.locator("#q-budget").blur()
    assert page.locator("#error-budget").inner_text() == "Enter a number from 0 to 1000000."
    page.fill("#q-budget", "2500.5")

    # yes/no radios, and a question shown only for one answer.
    answer(page, by_id["goals"], "no")
    assert not shown(page, "goals_detail")
    answer(page, by_id["goals"], "yes")
    assert shown(page, "goals_detail")
    page.fill("#q-goals_detail", "Ship by June")

    # A 1-5 scale with "not applicable" offered.
    answer(page, by_id["mood"], "not_applicable")
    assert page.is_checked("#q-mood-not_applicable")
    answer(page, by_id["mood"], 2)
    assert not page.is_checked("#q-mood-not_applicable")

    # Multiple choice checkboxes; "don't know" and a choice exclude each other.
    answer(page, by_id["tools"], ["sheet", "jira"])
    page.check("#q-tools--dont_know")
    assert not page.is_checked("#q-tools-jira")
    assert not page.is_checked("#q-tools-sheet")
    page.check("#q-tools-sheet")
    assert not page.is_checked("#q-tools--dont_know")
    page.check("#q-tools-jira")

    # A date, with "don't know" clearing it and typing clearing "don't know".
    page.fill("#q-golive", "2027-03-15")
    page.check("#q-golive--dont_know")
    assert page.input_value("#q-golive") == ""
    page.fill("#q-golive", "2027-03-15")
    assert not page.is_checked("#q-golive--dont_know")

    answer(page, by_id["owner"], "bob")
    page.fill("#q-notes", "  Two people left in May.\nHiring is under way.  ")

    # Validation before download: a bad project id and a missing required answer.
    page.fill("#project-id", "-bad id")
    page.click("#download")
    assert downloads == []
    summary = page.locator("#summary").inner_text()
    assert "2 answers need attention" in summary
    assert "Project id: Use letters, digits" in summary
    assert "Beta ready?: Please answer this question." in summary
    assert page.evaluate("document.activeElement.id") == "project-id"
    assert page.locator("#error-project-id").is_visible()
    page.fill("#project-id", "mini.project_1")
    assert not page.locator("#error-project-id").is_visible()
    page.click("#summary a")  # the link to the remaining problem focuses its question
    assert page.evaluate("document.activeElement.name") == "q-beta_ready"
    page.check("#q-beta_ready-dont_know")

    with page.expect_download() as info:
        page.click("#download")
    saved = tmp_path / "mini-answers.json"
    info.value.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["context"] == {"ptype": "beta", "phase": "planning", "size": 12}
    assert document["respondents"][0]["answers"] == {
        "goals": "yes",
        "mood": 2,
        "budget": 2500.5,
        "tools": ["jira", "sheet"],  # the questionnaire's order
        "golive": "2027-03-15",
        "owner": "bob",
        "notes": "Two people left in May.\nHiring is under way.",
        "goals_detail": "Ship by June",
        "beta_ready": "dont_know",
    }
    result = assess_file(saved, pack)
    assert result.project.id == "mini.project_1"
    assert_clean(browser_page)


def test_loading_keeps_other_respondents_and_reports_bad_files(
    browser_page: PageProbe, tmp_path: Path
) -> None:
    page = browser_page.page
    sample = yaml.safe_load((ROOT / "samples" / "two-respondents-disagree.yaml").read_text())
    sample["assessed_on"] = str(sample["assessed_on"])
    for respondent in sample["respondents"]:
        for key, value in respondent["answers"].items():
            if not isinstance(value, (str, int, float, list)):
                respondent["answers"][key] = str(value)
    source = tmp_path / "two.json"
    source.write_text(json.dumps(sample), encoding="utf-8")
    open_form(browser_page, render_form(), tmp_path)

    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    page.set_input_files("#load-answers", str(bad))
    status_says(page, "bad.json")
    assert (
        page.locator("#status")
        .inner_text()
        .startswith("Could not load bad.json: it is not valid JSON")
    )
    other = tmp_path / "other.json"
    other.write_text('{"format_version": 2}', encoding="utf-8")
    page.set_input_files("#load-answers", str(other))
    status_says(page, "other.json")
    assert "not a gapcheck answers file (format_version 1)" in page.locator("#status").inner_text()

    page.set_input_files("#load-answers", str(source))
    status_says(page, "Loaded")
    count = len(sample["respondents"])
    assert f"It holds {count} respondents" in page.locator("#status").inner_text()
    assert page.input_value("#respondent-name") == sample["respondents"][0]["name"]
    with page.expect_download() as info:
        page.click("#download")
    saved = tmp_path / "out.json"
    info.value.save_as(saved)
    document = json.loads(saved.read_text(encoding="utf-8"))
    assert document["respondents"][1:] == sample["respondents"][1:]
    assert len(document["respondents"]) == count
    result = CliRunner().invoke(main, ["assess", str(saved)])
    assert result.exit_code == 0, result.output
    assert_clean(browser_page)


# --- accessibility, looks, hostile text ---------------------------------------------------------


def test_keyboard_focus_is_visible_and_every_input_is_labelled(
    browser_page: PageProbe, tmp_path: Path
) -> None:
    page = browser_page.page
    open_form(browser_page, render_form(), tmp_path)
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('input, textarea, select'))
            .filter(el => el.type !== 'hidden')
            .filter(el => !(el.id && document.querySelector('label[for="' + el.id + '"]'))
                          && !el.closest('label') && !el.getAttribute('aria-label'))
            .map(el => el.id || el.name)"""
    )
    assert unlabelled == []
    # Tab from the top: the skip link, past the section list, then the fields in order.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "project-name"
    page.keyboard.type("Keyboard only")
    for expected in ("project-client", "project-id"):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == expected
    assert page.input_value("#project-id") == "keyboard-only"
    focus_style = """() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {visible: el.matches(':focus-visible'), outline: style.outlineStyle,
                width: style.outlineWidth, shadow: style.boxShadow};
    }"""
    style = page.evaluate(focus_style)
    assert style["visible"]
    assert style["outline"] != "none" or style["shadow"] != "none"
    assert style["width"] != "0px"
    # Radios: Tab reaches the group, arrows choose, Space is not needed.
    page.focus("#assessor")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "q-project_type":
            break
    assert page.evaluate("document.activeElement.name") == "q-project_type"
    style = page.evaluate(focus_style)
    assert style["visible"]
    assert style["outline"] != "none"
    page.keyboard.press("ArrowDown")
    assert page.is_checked("#q-project_type-marketing_campaign")
    assert page.locator("#section-marketing_campaign").is_visible()
    assert_clean(browser_page)


def test_screenshots_on_a_phone_and_a_desktop(browser_page: PageProbe, tmp_path: Path) -> None:
    page = browser_page.page
    open_form(browser_page, render_form(), tmp_path)
    page.check("#q-project_type-software_launch")
    page.check("#q-phase-execution")
    page.fill("#project-name", "Ledgerline invoicing launch")
    page.click("#download")  # shows the validation state too
    for width, height in (PHONE, DESKTOP):
        page.evaluate("window.scrollTo(0, 0)")
        path = tmp_path / f"form-{width}x{height}.png"
        screenshot(page, path, width, height)
        assert path.stat().st_size > 20_000
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0, f"horizontal overflow at {width}px"
        # The download button stays on screen (sticky bar) wherever the reader is.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
        assert page.locator("#download").is_visible()
        box = page.locator("#download").bounding_box()
        assert box is not None
        assert box["y"] + box["height"] <= height
    assert_clean(browser_page)


def test_hostile_texts_stay_text(browser_page: PageProbe, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    shutil.copytree(MINI, folder)
    questionnaire = yaml.load((folder / "questionnaire.yaml").read_text(), Loader=yaml.CSafeLoader)
    hostile = "</script><script>alert(1)</script><img src=x onerror=alert(2)>"
    questionnaire["sections"][1]["questions"][0]["text"] = f"Goals {hostile}"
    questionnaire["sections"][1]["questions"][0]["help"] = hostile
    (folder / "questionnaire.yaml").write_text(yaml.safe_dump(questionnaire))
    page = browser_page.page
    open_form(browser_page, render_form(load_pack(folder)), tmp_path, "hostile")
    fill_fields(page, {**PROJECT, **RESPONDENT, "project-id": "hostile"})
    page.check("#q-ptype-alpha")
    page.check("#q-phase-planning")
    assert page.locator("#wrap-goals legend").inner_text().startswith(f"Goals {hostile}")
    assert page.locator("#help-goals").inner_text() == hostile
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 2
    # Validation messages name the question through textContent, never as HTML.
    page.click("#download")
    assert f"Goals {hostile}: Please answer this question." in page.locator("#summary").inner_text()
    assert page.locator("img").count() == 0
    assert_clean(browser_page)


@pytest.mark.parametrize("width", [PHONE[0], DESKTOP[0]])
def test_scale_labels_and_options_fit(browser_page: PageProbe, tmp_path: Path, width: int) -> None:
    page = browser_page.page
    page.set_viewport_size({"width": width, "height": 900})
    open_form(browser_page, render_form(), tmp_path)
    levels = page.locator("#wrap-objectives_understood .opt.level")
    assert levels.count() == 5
    boxes = [levels.nth(index).bounding_box() for index in range(5)]
    assert all(box is not None for box in boxes)
    tops = {round(box["y"]) for box in boxes if box is not None}
    assert len(tops) == 1, "the five levels sit on one row"
    assert "Few could" in levels.nth(0).inner_text()
    assert "Everyone would say the same thing" in levels.nth(4).inner_text()
    assert_clean(browser_page)
