"""gapcheck form: the questionnaire as one self-contained HTML page (Python-level checks).

The page's behaviour in a real browser is tested in tests/test_form_browser.py.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from gapcheck.cli import main
from gapcheck.conditions import AnswerState
from gapcheck.form import condition_data, embed_json, questionnaire_data, render_form
from gapcheck.pack import Pack, load_pack

ROOT = Path(__file__).parent.parent
MINI = ROOT / "tests" / "packs" / "mini"
HOSTILE = "</script><script>alert(1)</script><!-- & \u2028"


def blob(html: str) -> Any:
    """The questionnaire JSON embedded in the page, parsed."""
    match = re.search(
        r'<script type="application/json" id="questionnaire">(.*?)</script>', html, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


@pytest.fixture(scope="module")
def default_html() -> str:
    return render_form()


def test_every_question_of_the_default_pack_is_on_the_page(default_html: str) -> None:
    pack = load_pack()
    for question_id, info in pack.questions.items():
        assert f'id="wrap-{question_id}"' in default_html, question_id
        assert f'data-question="{question_id}"' in default_html
        # Every question's input (or options) is named after it.
        assert f'name="q-{question_id}"' in default_html
        assert default_html.count(f'id="error-{question_id}"') == 1
        required_mark = '<span class="req" aria-hidden="true">*</span>'
        after = default_html.split(f'id="wrap-{question_id}"')[1]
        block = after.split('class="error"', maxsplit=1)[0]
        assert (required_mark in block) is info.question.required, question_id
        assert ('class="optional"' in block) is not info.question.required, question_id
    for section in pack.sections:
        assert f'id="section-{section.id}"' in default_html


def test_the_page_references_nothing_outside_itself(default_html: str) -> None:
    assert "http://" not in default_html
    assert "https://" not in default_html
    markup = re.sub(r"<script.*?</script>", "", default_html, flags=re.S)
    targets = re.findall(
        r"""\s(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"' >]*)""", markup
    )
    assert targets
    assert [target for target in targets if not target.startswith("#")] == []
    assert "@import" not in default_html
    assert "url(" not in default_html
    # A content security policy refuses any fetch even if something slipped in.
    assert "default-src 'none'" in default_html


def test_the_json_blob_round_trips(default_html: str) -> None:
    pack = load_pack()
    assert blob(default_html) == questionnaire_data(pack)
    data = blob(default_html)
    assert data["format_version"] == 1
    assert data["pack"] == {
        "name": pack.name,
        "version": pack.version,
        "title": pack.meta.title,
        "sha256": pack.sha256,
    }
    ids = [q["id"] for section in data["sections"] for q in section["questions"]]
    assert ids == list(pack.questions)


def test_questions_carry_what_the_page_validates_with() -> None:
    data = questionnaire_data(load_pack())
    questions = {q["id"]: q for section in data["sections"] for q in section["questions"]}
    team_size = questions["team_size"]
    assert (team_size["min"], team_size["max"], team_size["integer"]) == (1, 100000, True)
    assert team_size["unit"] == "people"
    assert questions["project_type"]["allow_dont_know"] is False
    assert questions["budget_band"]["required"] is False
    assert questions["objectives_understood"]["scale_labels"] == {
        "1": "Few could, and their answers would differ",
        "5": "Everyone would say the same thing",
    }
    assert questions["objectives_understood"]["integer"] is True
    assert questions["tools_acquired"]["allow_not_applicable"] is True
    assert questions["description"]["max_length"] == 2000
    assert questions["project_type"]["scope"] == "project"
    assert questions["objectives_defined"]["scope"] == "respondent"


def test_conditions_are_data_with_normalised_operands() -> None:
    pack = load_pack()
    data = questionnaire_data(pack)
    sections = {section["id"]: section for section in data["sections"]}
    assert sections["software_launch"]["visible_if"] == {
        "q": "project_type",
        "op": "eq",
        "value": "software_launch",
    }
    questions = {q["id"]: q for section in data["sections"] for q in section["questions"]}
    assert questions["workflow_bottlenecks"]["visible_if"] == {
        "q": "phase",
        "op": "in",
        "value": ["implementation", "execution"],
    }
    # YAML's bare yes is a boolean; the operand is normalised to the answer "yes".
    mini = questionnaire_data(load_pack(MINI))
    mini_questions = {q["id"]: q for section in mini["sections"] for q in section["questions"]}
    assert mini_questions["goals_detail"]["visible_if"] == {
        "q": "goals",
        "op": "eq",
        "value": "yes",
    }


def test_every_condition_form_becomes_data(tmp_path: Path) -> None:
    folder = tmp_path / "pack"
    shutil.copytree(MINI, folder)
    questionnaire = yaml.load((folder / "questionnaire.yaml").read_text(), Loader=yaml.CSafeLoader)
    questionnaire["sections"][1]["questions"].append(
        {
            "id": "combined",
            "type": "yes_no",
            "text": "Combined?",
            "required": False,
            "visible_if": {
                "all": [
                    {"any": [{"q": "golive", "gte": "2026-01-01"}, {"q": "size", "lt": 10}]},
                    {"not": {"q": "mood", "state": "not_applicable"}},
                    {"q": "tools", "has": "jira"},
                ]
            },
        }
    )
    (folder / "questionnaire.yaml").write_text(yaml.safe_dump(questionnaire))
    pack = load_pack(folder)
    condition = pack.questions["combined"].question.visible_if
    assert condition is not None
    assert condition_data(pack, condition) == {
        "all": [
            {
                "any": [
                    {"q": "golive", "op": "gte", "value": "2026-01-01"},
                    {"q": "size", "op": "lt", "value": 10},
                ]
            },
            {"not": {"q": "mood", "state": AnswerState.not_applicable.value}},
            {"q": "tools", "op": "has", "value": "jira"},
        ]
    }


def test_embedded_json_cannot_end_the_script_element() -> None:
    text = str(embed_json({"text": HOSTILE}))
    for forbidden in ("<", ">", "&", "\u2028"):
        assert forbidden not in text
    assert json.loads(text) == {"text": HOSTILE}


def hostile_pack(tmp_path: Path) -> Pack:
    folder = tmp_path / "hostile"
    shutil.copytree(MINI, folder)
    questionnaire = yaml.load((folder / "questionnaire.yaml").read_text(), Loader=yaml.CSafeLoader)
    basics = questionnaire["sections"][1]
    basics["title"] = f"Basics {HOSTILE}"
    basics["questions"][0]["text"] = f"Goals clear? {HOSTILE}"
    basics["questions"][0]["help"] = '<img src=x onerror="alert(2)">'
    basics["questions"][3]["choices"][0]["label"] = '"><script>alert(3)</script>'
    (folder / "questionnaire.yaml").write_text(yaml.safe_dump(questionnaire))
    return load_pack(folder)


def test_hostile_question_text_stays_inert(tmp_path: Path) -> None:
    html = render_form(hostile_pack(tmp_path))
    # Exactly our two script elements: the JSON and the page's code.
    assert html.count("<script") == 2
    assert html.count("</script>") == 2
    assert "<img" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html
    assert "&#34;&gt;&lt;script&gt;alert(3)&lt;/script&gt;" in html
    data = blob(html)
    assert data["sections"][1]["questions"][0]["text"] == f"Goals clear? {HOSTILE}"
    assert data["sections"][1]["title"] == f"Basics {HOSTILE}"


def test_typed_inputs_follow_the_question_type() -> None:
    html = render_form(load_pack(MINI))
    assert re.search(r'<input type="number" id="q-size"[^>]* step="1" min="1" max="1000"', html)
    assert re.search(r'<input type="number" id="q-budget"[^>]* step="any" min="0"', html)
    assert '<input type="date" id="q-golive"' in html
    assert '<textarea id="q-notes"' in html
    assert html.count('type="checkbox" name="q-tools"') == 3
    assert html.count('type="radio" name="q-mood"') == 5 + 2  # 1-5, don't know, not applicable
    assert html.count('type="radio" name="q-goals"') == 3  # yes, no, don't know
    # project_type-like questions without "don't know" offer none.
    assert 'id="q-ptype-dont_know"' not in html
    assert 'id="q-goals-not_applicable"' not in html
    assert 'id="q-golive--dont_know"' in html


def test_every_input_has_a_label() -> None:
    html = render_form()
    ids = re.findall(r'<(?:input|textarea)[^>]* id="([^"]+)"', html)
    assert len(ids) > 100
    labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', html))
    unlabelled = [
        element_id
        for element_id in ids
        if element_id not in labelled and element_id != "load-answers"
    ]
    assert unlabelled == []
    assert 'id="load-answers" accept=".json,application/json" aria-label=' in html


def test_form_command_writes_the_page(tmp_path: Path) -> None:
    out = tmp_path / "questionnaire.html"
    result = CliRunner().invoke(main, ["form", "-o", str(out)])
    assert result.exit_code == 0, result.output
    pack = load_pack()
    assert result.stderr == (
        f"{pack.name} {pack.version}: a form of {len(pack.questions)} questions -> {out}\n"
    )
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == render_form()
    assert [path.name for path in tmp_path.iterdir()] == ["questionnaire.html"]


def test_form_command_with_another_pack(tmp_path: Path) -> None:
    out = tmp_path / "mini.html"
    result = CliRunner().invoke(main, ["form", "-o", str(out), "--pack", str(MINI)])
    assert result.exit_code == 0, result.output
    assert blob(out.read_text(encoding="utf-8"))["pack"]["name"] == "mini"


def test_form_command_needs_an_output() -> None:
    result = CliRunner().invoke(main, ["form"])
    assert result.exit_code == 2
    assert "Missing option '-o' / '--output'" in result.stderr


def test_form_command_with_a_broken_pack(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(MINI, folder)
    (folder / "questionnaire.yaml").write_text("sections: [")
    result = CliRunner().invoke(
        main, ["form", "-o", str(tmp_path / "f.html"), "--pack", str(folder)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: the assessment pack is invalid: ")
    assert "questionnaire.yaml" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "f.html").exists()


def test_form_command_cannot_write(tmp_path: Path) -> None:
    out = tmp_path / "missing-folder" / "f.html"
    result = CliRunner().invoke(main, ["form", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {out}: cannot write: ")
    assert "Traceback" not in result.stderr
