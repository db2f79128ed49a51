"""Tests of gapcheck.loading: reading answers files safely, with readable errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gapcheck.errors import InputError
from gapcheck.loading import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_NODES,
    Document,
    _walk,
    parse_document,
    read_document,
)

INVALID = Path(__file__).parent / "assets" / "invalid"

# A realistic answers file: a list of respondents, each with a mapping of answers.
ANSWERS_YAML = """\
# Readiness answers for the billing migration
format_version: 1
project:
  name: Billing platform migration
  start_date: 2024-09-02
respondents:
  - name: Alice Martin
    role: project manager
    answers:
      budget_secured: yes
      team_size: 12
      stakeholders: [finance, legal]
      notes: |
        Procurement sign-off is pending.
        Expected next week.
      go_live: 2025-01-15
  - name: Bob Stone
    answers:
      budget_secured: no
      team_size: 9
"""
ANSWERS_YAML_LINES = {
    (): 2,
    ("format_version",): 2,
    ("project",): 3,
    ("project", "start_date"): 5,
    ("respondents",): 6,
    ("respondents", 0): 7,
    ("respondents", 0, "answers"): 9,
    ("respondents", 0, "answers", "budget_secured"): 10,
    ("respondents", 0, "answers", "stakeholders", 1): 12,
    ("respondents", 0, "answers", "notes"): 13,
    ("respondents", 0, "answers", "go_live"): 16,
    ("respondents", 1): 17,
    ("respondents", 1, "answers", "team_size"): 20,
    # Missing locations: the line of the deepest part that exists.
    ("respondents", 1, "answers", "missing_question"): 18,
    ("respondents", 7, "answers"): 6,
    ("no_such_key",): 2,
}

ANSWERS_JSON = """\
{
  "format_version": 1,
  "project": {"name": "Billing platform migration", "start_date": "2024-09-02"},
  "respondents": [
    {
      "name": "Alice Martin",
      "answers": {
        "budget_secured": "yes",
        "stakeholders": ["finance",
                         "legal"],
        "notes": "Procurement said: \\"wait\\": {not a key}, [not a list"
      }
    },
    {"name": "Bob Stone", "answers": {"budget_secured": "no", "team_size": 9}}
  ]
}
"""
ANSWERS_JSON_LINES = {
    (): 1,
    ("format_version",): 2,
    ("project",): 3,
    ("project", "start_date"): 3,
    ("respondents",): 4,
    ("respondents", 0): 5,
    ("respondents", 0, "answers"): 7,
    ("respondents", 0, "answers", "budget_secured"): 8,
    ("respondents", 0, "answers", "stakeholders"): 9,
    ("respondents", 0, "answers", "stakeholders", 0): 9,
    ("respondents", 0, "answers", "stakeholders", 1): 10,
    ("respondents", 0, "answers", "notes"): 11,
    ("respondents", 1): 14,
    ("respondents", 1, "answers", "team_size"): 14,
    ("respondents", 0, "answers", "missing_question"): 7,
    ("respondents", 3): 4,
}


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="\n")
    else:
        path.write_bytes(content)
    return path


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        read_document(path)
    assert str(caught.value).startswith(f"{path}: ")  # every message names the file
    assert len(caught.value.problems) == 1
    return caught.value


def _parse_error(raw: bytes, name: str = "answers.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        parse_document(raw, Path(name))
    return caught.value


# --- Valid input ----------------------------------------------------------------------------


def test_reads_a_realistic_yaml_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "answers.yaml", ANSWERS_YAML)
    document = read_document(path)
    assert document.path == path
    assert document.format == "yaml"
    assert document.text == ANSWERS_YAML
    assert document.sha256 == hashlib.sha256(ANSWERS_YAML.encode()).hexdigest()
    answers = document.data["respondents"][0]["answers"]
    assert answers["budget_secured"] is True  # YAML 1.1 booleans are kept as booleans
    assert answers["stakeholders"] == ["finance", "legal"]
    assert answers["go_live"] == date(2025, 1, 15)  # dates stay dates
    assert document.data["respondents"][1]["answers"]["budget_secured"] is False


def test_reads_a_realistic_json_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "answers.json", ANSWERS_JSON)
    document = read_document(path)
    assert document.format == "json"
    assert document.data == json.loads(ANSWERS_JSON)


@pytest.mark.parametrize("name", ["answers.yml", "ANSWERS.YAML", "answers.Json"])
def test_extensions_are_case_insensitive(tmp_path: Path, name: str) -> None:
    assert read_document(_write(tmp_path, name, '{"a": 1}')).data == {"a": 1}


def test_utf8_bom_is_accepted_and_stripped() -> None:
    raw = b"\xef\xbb\xbfname: Caf\xc3\xa9\n"
    document = parse_document(raw, Path("answers.yaml"))
    assert document.data == {"name": "Café"}
    assert document.text == "name: Café\n"
    assert document.sha256 == hashlib.sha256(raw).hexdigest()  # of the bytes as read
    assert parse_document(b'\xef\xbb\xbf{"a": 1}', Path("a.json")).data == {"a": 1}


def test_quoted_no_key_and_boolean_values_are_fine() -> None:
    document = parse_document(b'"no": off\nyes_key: on\n', Path("answers.yaml"))
    assert document.data == {"no": False, "yes_key": True}


def test_nesting_at_the_limit_is_accepted() -> None:
    inner = MAX_DEPTH - 1  # the top-level mapping is the first level
    flow = parse_document(b"a: " + b"[" * inner + b"]" * inner, Path("answers.yaml"))
    block = "".join("  " * level + f"k{level}:\n" for level in range(MAX_DEPTH)) + "  " * 40 + "x"
    json_text = '{"a": ' + "[" * inner + "]" * inner + "}"
    for document in [
        flow,
        parse_document(block.encode(), Path("answers.yaml")),
        parse_document(json_text.encode(), Path("answers.json")),
    ]:
        assert _depth(document.data) == MAX_DEPTH


def test_many_flow_lists_are_fine() -> None:
    # More than MAX_DEPTH "[" in total sends the YAML pre-scan down its exact path.
    lines = [f"q{index}: [a, b]" for index in range(3 * MAX_DEPTH)]
    document = parse_document("\n".join(lines).encode(), Path("answers.yaml"))
    assert document.data["q95"] == ["a", "b"]
    as_json = json.dumps({f"q{index}": [1, [2]] for index in range(3 * MAX_DEPTH)})
    assert parse_document(as_json.encode(), Path("answers.json")).data["q0"] == [1, [2]]


# --- Locations ------------------------------------------------------------------------------


@pytest.mark.parametrize(("location", "line"), ANSWERS_YAML_LINES.items())
def test_line_of_yaml(location: tuple[str | int, ...], line: int) -> None:
    document = parse_document(ANSWERS_YAML.encode(), Path("answers.yaml"))
    assert document.line_of(location) == line


@pytest.mark.parametrize(("location", "line"), ANSWERS_JSON_LINES.items())
def test_line_of_json(location: tuple[str | int, ...], line: int) -> None:
    document = parse_document(ANSWERS_JSON.encode(), Path("answers.json"))
    assert document.line_of(location) == line


def test_line_of_is_computed_lazily_and_cached() -> None:
    document = parse_document(ANSWERS_YAML.encode(), Path("answers.yaml"))
    assert "_lines" not in vars(document)  # loading does not pay for line numbers
    assert document.line_of(["respondents", 0, "answers", "team_size"]) == 11
    lines = vars(document)["_lines"]
    assert document.line_of(("respondents", 1)) == 17
    assert vars(document)["_lines"] is lines


def test_line_of_a_document_built_by_hand_is_none_when_unknown() -> None:
    document = Document(Path("x.yaml"), {}, "a: [", "yaml", "0" * 64)
    assert document.line_of(("a",)) is None


# --- Reading the file -----------------------------------------------------------------------


def test_wrong_extension() -> None:
    error = _error(INVALID / "answers.txt")
    assert error.problems[0].message == "cannot tell the file format from '.txt'"
    assert error.problems[0].expected == "a .yaml, .yml or .json file"
    no_suffix = _parse_error(b"a: 1", "answers")
    assert "no extension" in str(no_suffix)


def test_missing_file(tmp_path: Path) -> None:
    error = _error(tmp_path / "missing.yaml")
    assert error.problems[0].message == "file not found"
    assert _error(tmp_path / "not-a-dir.yaml" / "x.yaml").problems[0].message == "file not found"


def test_directory(tmp_path: Path) -> None:
    directory = tmp_path / "answers.yaml"
    directory.mkdir()
    assert _error(directory).problems[0].message == "is a directory"


@pytest.mark.parametrize("name", ["answers.yaml", "answers.JSON", "answers", "answers.txt"])
def test_directory_is_named_before_its_extension(tmp_path: Path, name: str) -> None:
    directory = tmp_path / name
    directory.mkdir()
    problem = _error(directory).problems[0]
    assert (problem.message, problem.expected) == ("is a directory", "an answers file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    assert _error(fifo).problems[0].message == "is not a regular file"


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "answers.yaml", "a: 1\n")
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        path.chmod(0)
    else:
        # Root reads anything, CI included: have the open fail the way it does for a user.
        def refuse(*args: object, **kwargs: object) -> int:
            raise PermissionError(13, "Permission denied", str(path))

        monkeypatch.setattr(os, "open", refuse)
    try:
        assert "permission denied" in _error(path).problems[0].message
    finally:
        monkeypatch.undo()
        path.chmod(0o600)


def test_too_big(tmp_path: Path) -> None:
    path = _write(tmp_path, "too-big.json", b" " * MAX_FILE_BYTES + b"{}")
    error = _error(path)
    assert error.problems[0].message == f"the file is too large ({MAX_FILE_BYTES + 2:,} bytes)"
    assert error.problems[0].expected is not None
    assert "1 MiB" in error.problems[0].expected
    at_limit = _write(tmp_path, "at-limit.json", b"{}" + b" " * (MAX_FILE_BYTES - 2))
    assert read_document(at_limit).data == {}
    assert "too large" in str(_parse_error(b" " * (MAX_FILE_BYTES + 1), "a.json"))


def test_invalid_utf8() -> None:
    error = _error(INVALID / "invalid-utf8.yaml")
    problem = error.problems[0]
    assert problem.line == 3
    assert problem.message == "not valid UTF-8: byte 0xe9 at byte offset 38"
    assert problem.expected is not None
    assert "UTF-8" in problem.expected


def test_invalid_utf8_offset_counts_the_bom() -> None:
    problem = _parse_error(b"\xef\xbb\xbfa: 1\nb: \xff\n").problems[0]
    assert (problem.line, problem.message) == (2, "not valid UTF-8: byte 0xff at byte offset 11")


def test_utf16_is_named() -> None:
    error = _parse_error("a: 1\n".encode("utf-16"))
    assert "UTF-16" in error.problems[0].message


# --- Empty files, top level -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw"),
    [("answers.yaml", b""), ("answers.yaml", b"---\n# nothing\n"), ("answers.json", b" \n\t")],
)
def test_empty_text(name: str, raw: bytes) -> None:
    problem = _parse_error(raw, name).problems[0]
    assert problem.message == "the file is empty"


def test_only_comments_is_empty() -> None:
    problem = _error(INVALID / "empty.yaml").problems[0]
    assert problem.message == "the file is empty"
    assert problem.expected == "a mapping with format_version, project, respondents"


def test_top_level_list() -> None:
    problem = _error(INVALID / "not-a-mapping.json").problems[0]
    assert problem.message == "expected a mapping at the top level, found a list"
    assert problem.line == 1


@pytest.mark.parametrize(
    ("raw", "found"),
    [(b"# c\n- a\n", "a list"), (b"~\n", "nothing (null)"), (b"hello\n", "text")],
)
def test_top_level_yaml_not_a_mapping(raw: bytes, found: str) -> None:
    problem = _parse_error(raw).problems[0]
    assert problem.message == f"expected a mapping at the top level, found {found}"


# --- Syntax ---------------------------------------------------------------------------------


def test_yaml_syntax_error() -> None:
    error = _error(INVALID / "syntax-error.yaml")
    problem = error.problems[0]
    assert problem.line == 8
    assert problem.message.startswith("invalid YAML: did not find expected key")
    assert "syntax-error.yaml: line 8: invalid YAML" in str(error)


def test_json_syntax_error_has_line_and_column() -> None:
    problem = _error(INVALID / "syntax-error.json").problems[0]
    assert problem.line == 5
    assert problem.message == "invalid JSON at column 58: unexpected character, expected ',' or '}'"


def test_json_is_strict() -> None:
    assert "invalid JSON" in str(_parse_error(b'{"a": NaN}', "a.json"))
    assert "invalid JSON" in str(_parse_error(b'{"a": 1,}', "a.json"))


def test_multiple_yaml_documents() -> None:
    problem = _error(INVALID / "multiple-documents.yaml").problems[0]
    assert problem.line == 4
    assert problem.message.startswith("more than one YAML document")


def test_control_character() -> None:
    problem = _error(INVALID / "control-character.yaml").problems[0]
    assert problem.line == 3
    assert problem.message == "character U+0007 is not allowed in YAML"


def test_unsupported_tag_is_refused_not_run() -> None:
    problem = _error(INVALID / "unsupported-tag.yaml").problems[0]
    assert problem.line == 2
    assert problem.message == "unsupported YAML tag !!python/object/apply:os.system"


@pytest.mark.parametrize(
    ("value", "what"),
    [("2024-02-30", "a date"), ("!!int abc", "a whole number"), ("!!bool maybe", "true or")],
)
def test_scalar_that_cannot_be_read(value: str, what: str) -> None:
    problem = _parse_error(f"a: 1\nb: {value}\n".encode()).problems[0]
    assert problem.line == 2
    assert f"cannot be read as {what}" in problem.message


def test_invalid_date_asset() -> None:
    problem = _error(INVALID / "invalid-date.yaml").problems[0]
    assert problem.line == 4
    assert problem.message.startswith("'2024-02-30' cannot be read as a date")


# --- Keys -----------------------------------------------------------------------------------


def test_yaml_key_read_as_boolean() -> None:
    error = _error(INVALID / "bad-key.yaml")
    problem = error.problems[0]
    assert problem.line == 8
    assert problem.field == "respondents[0].answers"
    assert problem.message == "mapping key 'no' is read as the boolean false, not as text"
    assert problem.expected is not None
    assert "text keys" in problem.expected


@pytest.mark.parametrize(
    ("key", "kind"),
    [("12", "the number 12"), ("~", "nothing (null)"), ("2024-01-01", "a date")],
)
def test_yaml_keys_that_are_not_text(key: str, kind: str) -> None:
    problem = _parse_error(f"a: 1\n{key}: x\n".encode()).problems[0]
    assert (problem.line, problem.message) == (
        2,
        f"mapping key {key!r} is read as {kind}, not as text",
    )


def test_yaml_complex_key() -> None:
    problem = _parse_error(b"a: 1\n? [x, y]\n: z\n").problems[0]
    assert (problem.line, problem.message) == (2, "mapping key is a list, not text")


def test_yaml_duplicate_key() -> None:
    problem = _error(INVALID / "duplicate-key.yaml").problems[0]
    assert problem.line == 9
    assert problem.field == "respondents[0].answers.budget_secured"
    assert problem.message == "duplicate key 'budget_secured' (first at line 7)"


def test_yaml_duplicate_key_quoted_differently() -> None:
    problem = _parse_error(b"a: 1\n'a': 2\n").problems[0]
    assert (problem.line, problem.message) == (2, "duplicate key 'a' (first at line 1)")


def test_json_duplicate_key() -> None:
    problem = _error(INVALID / "duplicate-key.json").problems[0]
    assert problem.line == 10
    assert problem.field == "respondents[0].answers.budget_secured"
    assert problem.message == "duplicate key 'budget_secured' (first at line 8)"


def test_json_duplicate_key_with_escapes_and_spacing() -> None:
    problem = _parse_error(b'{"a\\u0062" : 1,\n "ab"\n : 2}', "a.json").problems[0]
    assert (problem.line, problem.field) == (2, "ab")


def test_json_text_that_looks_like_keys_is_not_a_duplicate() -> None:
    raw = b'{"a": "x\\": 1, \\"a\\": 2", "b": ["\\":", "\\" :"]}'
    assert parse_document(raw, Path("a.json")).data == {"a": 'x": 1, "a": 2', "b": ['":', '" :']}


# --- Aliases and size limits ----------------------------------------------------------------


def test_alias_bomb_is_refused_quickly() -> None:
    start = time.perf_counter()
    error = _error(INVALID / "alias-bomb.yaml")
    elapsed = time.perf_counter() - start
    assert error.problems[0].message.startswith(
        "YAML anchors and aliases (&/*) are not allowed in answers files"
    )
    assert error.problems[0].line == 2
    assert elapsed < 0.2


def test_generated_alias_bomb_is_refused_quickly() -> None:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 30)]
    start = time.perf_counter()
    error = _parse_error("\n".join(lines).encode())
    assert time.perf_counter() - start < 0.2
    assert "anchors and aliases" in error.problems[0].message


@pytest.mark.parametrize(
    "text",
    ["a: &x 1\nb: *x\n", "a: &x {k: v}\nb: [*x]\n", "a: &x []\nb: *x\n"],
)
def test_any_alias_is_refused(text: str) -> None:
    assert "anchors and aliases" in _parse_error(text.encode()).problems[0].message


def test_ampersand_in_text_is_fine() -> None:
    assert parse_document(b"name: R&D & M&A\n", Path("a.yaml")).data == {"name": "R&D & M&A"}


def test_merge_key_is_refused() -> None:
    problem = _error(INVALID / "merge-key.yaml").problems[0]
    assert problem.line == 3
    assert problem.message == "YAML merge keys (<<) are not allowed in answers files"


def test_walk_refuses_shared_containers_without_expanding_them() -> None:
    bomb: list[Any] = ["lol"] * 10
    for _level in range(40):  # 10**40 strings if expanded
        bomb = [bomb] * 10
    with pytest.raises(InputError, match="anchors and aliases"):
        _walk({"a": bomb}, Path("a.yaml"))
    assert _walk({"a": [1, "x", "x"], "b": {"c": None}}, Path("a.yaml")) == 3


@pytest.mark.parametrize("name", ["answers.json", "answers.yaml"])
def test_too_many_values(name: str) -> None:
    raw = json.dumps({"a": [0] * MAX_NODES}).encode()  # JSON is also YAML
    problem = _parse_error(raw, name).problems[0]
    assert problem.message == f"too many values (more than {MAX_NODES:,})"
    if name.endswith(".yaml"):  # refused from parse events, before composing: with a line
        assert problem.line == 1


def test_windows_line_endings_keep_line_numbers() -> None:
    problem = _parse_error(b"a: 1\r\nb: 2\r\n\r\na: 3\r\n").problems[0]
    assert (problem.line, problem.message) == (4, "duplicate key 'a' (first at line 1)")


# --- Nesting --------------------------------------------------------------------------------


def test_deep_block_nesting_asset() -> None:
    problem = _error(INVALID / "deep-nesting.yaml").problems[0]
    assert problem.message == "nesting deeper than 32 levels"
    assert problem.line == 34  # level_33 (after the comment line)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("answers.yaml", b"a: " + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH),
        ("answers.yaml", b"a:\n" + b"  - " * MAX_DEPTH + b"x\n"),
        ("answers.yaml", b"a:\n" + b"- " * MAX_DEPTH + b"x\n"),
        ("answers.yaml", b"a: " + b"{b: " * MAX_DEPTH + b"}" * MAX_DEPTH),
        ("answers.json", b'{"a": ' + b"[" * MAX_DEPTH + b"]" * MAX_DEPTH + b"}"),
        ("answers.json", b'{"s": "]]]]", "a": ' + b'["]]", ' * MAX_DEPTH + b"]" * MAX_DEPTH),
    ],
)
def test_one_level_too_deep(name: str, raw: bytes) -> None:
    problem = _parse_error(raw, name).problems[0]
    assert problem.message == "nesting deeper than 32 levels"
    assert problem.line is not None


def test_nesting_hidden_behind_an_apostrophe_is_still_seen() -> None:
    # A naive pre-scan would treat "don't" as the start of a quoted string.
    raw = b"a: don't\nb: " + b"[" * 50 + b"x" + b"]" * 50 + b"\n"
    assert _parse_error(raw).problems[0].message == "nesting deeper than 32 levels"


def test_hundred_thousand_brackets_do_not_crash_the_process(tmp_path: Path) -> None:
    # Old libyaml builds overflow the C stack here; a segfault would show as a bad exit code.
    script = textwrap.dedent(
        """
        from pathlib import Path
        from gapcheck.errors import InputError
        from gapcheck.loading import parse_document
        for name, raw in [
            ("deep.yaml", b"[" * 100000),
            ("deep.yaml", b"- " * 100000 + b"x"),
            ("deep.yaml", b"a: " + b"{b: " * 100000),
            ("deep.json", b"[" * 100000),
        ]:
            try:
                parse_document(raw, Path(name))
            except InputError as error:
                print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [
        "deep.yaml: line 1: nesting deeper than 32 levels"
        " (expected at most 32 levels of nested mappings and lists)",
    ] * 3 + [
        "deep.json: line 1: nesting deeper than 32 levels"
        " (expected at most 32 levels of nested mappings and lists)"
    ]


# --- Properties -----------------------------------------------------------------------------


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    return 0


_YAML_PIECES = st.sampled_from(
    [
        *"[]{},'\"#\\\t\r\n\x85é",
        *("- ", "? ", ": ", " ", "  ", "a", "b:", "no: ", "&x ", "*x", "<<: ", "---\n"),
        *("!!int ", "!!float ", "!!timestamp ", "2024-02-30"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_YAML_PIECES, max_size=60))
def test_any_yaml_text_loads_or_fails_readably(pieces: list[str]) -> None:
    text = "".join(pieces)
    error: InputError | None = None
    try:
        document = parse_document(text.encode(), Path("fuzz.yaml"))
    except InputError as caught:  # any other exception fails the test
        error = caught
    if error is not None:
        assert str(error).startswith("fuzz.yaml: ")
    else:
        assert isinstance(document.data, dict)
        assert _depth(document.data) <= MAX_DEPTH


# Printable text: PyYAML's dumper writes some line separators raw, which then fold on loading.
_PRINTABLE = st.characters(blacklist_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
_ANSWER_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(_PRINTABLE, max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text("abc_", min_size=1, max_size=4), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.text("abcdef_", min_size=1, max_size=6), _ANSWER_VALUES, max_size=6),
    st.sampled_from([2, 4]),
    st.booleans(),
)
def test_realistic_documents_round_trip(data: dict[str, Any], indent: int, flow: bool) -> None:
    dumped = yaml.safe_dump(data, indent=indent, default_flow_style=flow, allow_unicode=True)
    assert parse_document(dumped.encode(), Path("a.yaml")).data == data
    assert parse_document(json.dumps(data).encode(), Path("a.json")).data == data
