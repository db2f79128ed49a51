"""gapcheck.plain_yaml against libyaml and PyYAML's safe loader, which are the reference.

The property pinned here: whatever the text, ``read_plain_yaml`` returns either exactly what
``yaml.load(text, Loader=yaml.CSafeLoader)`` returns (values, types, key order) or None, and
never raises. Documents are generated line by line from pieces that sit on the edges of the
subset (indentation, dashes, quotes, colons, comments, continuation lines, YAML 1.1 scalars), and
real answers files are cut and spliced; every one the plain reader accepts is compared. The
plain reader must also really read the answers files gapcheck writes and users write, or the
batch loses its speed silently.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gapcheck import loading, plain_yaml
from gapcheck.errors import InputError
from gapcheck.loading import MAX_DEPTH, MAX_NODES, parse_document
from gapcheck.pack import load_pack
from gapcheck.plain_yaml import read_plain_yaml
from gapcheck.synthetic import generate_portfolio
from gapcheck.template import answers_template
from tests.yaml_reference import assert_same_as_stock, typed

ROOT = Path(__file__).parent.parent
SAMPLES = sorted([*ROOT.glob("samples/*.yaml"), *ROOT.glob("samples/surveys/*.yaml")])


def _read(text: str) -> Any:
    return read_plain_yaml(text, MAX_DEPTH, MAX_NODES)


def _stock(text: str) -> Any:
    return yaml.load(text, Loader=yaml.CSafeLoader)


def _assert_plain_agrees(text: str) -> bool:
    """The plain reader's result is None or the stock loader's; True if it read the text."""
    data = _read(text)
    if data is None:
        return False
    try:
        stock = _stock(text)
    except yaml.YAMLError as error:  # pragma: no cover - shown only when the property fails
        pytest.fail(f"the plain reader accepted text libyaml refuses ({error}):\n{text}")
    assert typed(data) == typed(stock), text
    return True


# --- What it must read -----------------------------------------------------------------------


@functools.cache
def _portfolio() -> list[dict[str, Any]]:
    return list(generate_portfolio(load_pack(), 40, 11))


@pytest.mark.parametrize(
    "style",
    [
        {"sort_keys": False},
        {"sort_keys": False, "allow_unicode": True},
        {"sort_keys": True, "indent": 4},
        {"sort_keys": False, "width": 20, "allow_unicode": True},  # continuation lines
    ],
)
def test_generated_answers_files_are_read_plainly(style: dict[str, Any]) -> None:
    for answers in _portfolio():
        text = yaml.dump(answers, Dumper=yaml.CSafeDumper, **style)
        assert _read(text) == answers
        assert typed(_read(text)) == typed(_stock(text))


def test_continuation_lines_are_exercised() -> None:
    # The 20-column style above must really fold values over several lines.
    texts = [
        yaml.dump(answers, Dumper=yaml.CSafeDumper, sort_keys=False, width=20)
        for answers in _portfolio()
    ]
    assert any(
        line.startswith(" ") and ":" not in line and not line.lstrip().startswith("-")
        for text in texts
        for line in text.splitlines()
    )


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_the_samples_are_read_plainly_unless_they_hold_a_block_scalar(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # Block scalars ("description: >-") are left to libyaml.
    assert _assert_plain_agrees(text) == (re.search(r": [|>]-?\n", text) is None)
    without = re.sub(r": [|>]-?\n(?:    .*\n)+", ": a description\n", text)
    assert _assert_plain_agrees(without)


def test_the_template_of_gapcheck_new_is_read_plainly() -> None:
    text = answers_template(load_pack())
    assert _assert_plain_agrees(text)
    # ... and so is one filled in, its answers uncommented and given
    filled = text.replace("  id:\n", "  id: acme-1\n").replace(
        "objectives_defined:\n", "objectives_defined: yes\n"
    )
    assert _assert_plain_agrees(filled)
    assert _read(filled)["project"]["id"] == "acme-1"


def test_a_file_saved_on_windows_is_read_plainly() -> None:
    text = yaml.dump(_portfolio()[0], Dumper=yaml.CSafeDumper, sort_keys=False, width=30)
    windows = text.replace("\n", "\r\n")
    assert _read(windows) == _read(text) == _portfolio()[0]
    assert typed(_read(windows)) == typed(_stock(windows))


def test_written_by_hand() -> None:
    text = (
        "# Answers for the spring review\n"
        "format_version: 1\n"
        "project:\n"
        "  id: acme-42   # from the CRM\n"
        '  name: "ACME: phase 2"\n'
        "  client: 'O''Brien & Sons'\n"
        "\n"
        "assessed_on: 2026-03-01\n"
        "respondents:\n"
        "  - name: Ana\n"
        "    answers:\n"
        "      budget_secured: yes\n"
        "      team_size: 12\n"
        "      notes: a long note that goes on\n"
        "        over a second line\n"
        "      empty:\n"
        "  -   name: Bo\n"
        "      tags:\n"
        "      - one\n"
        "      - 'two'\n"
        "      - 3.5\n"
    )
    data = _read(text)
    assert data is not None
    assert typed(data) == typed(_stock(text))
    assert data["project"] == {"id": "acme-42", "name": "ACME: phase 2", "client": "O'Brien & Sons"}
    first = data["respondents"][0]["answers"]
    assert first["budget_secured"] is True
    assert first["notes"] == "a long note that goes on over a second line"
    assert first["empty"] is None
    assert data["respondents"][1]["tags"] == ["one", "two", 3.5]


# --- What it must leave to libyaml -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "# only a comment\n",
        "just text\n",
        "- a\n- b\n",
        "a:\tb\n",  # a tab
        "a: b\rc: d\r",  # CR alone
        "a: b\x85c\n",  # NEL, a line break to YAML
        "a: b\u2028c\n",
        "a: \x07\n",  # not printable
        "a: [1, 2]\n",
        "a: {b: c}\n",
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: |\n  text\n",
        "a: >\n  text\n",
        "%YAML 1.1\n---\na: 1\n",
        "---\na: 1\n",
        "a: 1\n...\n",
        "a: 1\na: 2\n",
        "yes: 1\n",
        "12: x\n",
        "2026-01-01: x\n",
        "~: x\n",
        "key with spaces: 1\n",
        "a: 'multi\n  line'\n",
        'a: "\\q is no escape"\n',
        'a: "\\uD800 is no character"\n',
        "a: b: c\n",
        "a: b\n  c: d\n",
        "a:\n  - b\n   c: d\n",
        "a: b\n\n  continued after a blank line\n",
        "a: b # comment\n  continued after a comment\n",
        "a:\n- b\nc:\n  - d\n - e\n",
        "a: - b\n",
        "- - a\n",
        "a:\n  -\n    b: 1\n",
        "a: 2024-02-30\n",  # not a date: libyaml's path reports it, with its line
        "a: 'x' y\n",
        "? a\n: b\n",
        "<<: {a: 1}\n",
        "  a: 1\n",  # the top-level mapping indented
    ],
)
def test_left_to_the_full_loader(text: str) -> None:
    assert _read(text) is None
    assert_same_as_stock(text)  # and the loader still reads or refuses it as libyaml does


def test_a_value_over_many_lines_is_read_in_one_pass() -> None:
    # 100,000 continuation lines (0.5 MB): joined and typed once, at the end of the value, not
    # once per line (which took minutes: quadratic in the value's length).
    text = "k: a\n" + "".join(f"  word{n % 10} 'q' [x] y:z\n" for n in range(100_000)) + "e: 1"
    data = _read(text)
    assert data is not None
    assert data == _stock(text)
    assert data["k"].count("word") == 100_000


def test_depth_is_bounded_as_the_loader_bounds_it() -> None:
    def nested(levels: int) -> str:
        return "".join(f"{'  ' * level}k:\n" for level in range(levels - 1)) + (
            f"{'  ' * (levels - 1)}k: 1\n"
        )

    assert _read(nested(MAX_DEPTH)) == _stock(nested(MAX_DEPTH))
    assert _read(nested(MAX_DEPTH + 1)) is None
    with pytest.raises(InputError) as problems:
        parse_document(nested(MAX_DEPTH + 1).encode(), Path("a.yaml"))
    assert "nesting deeper" in str(problems.value)


def test_the_number_of_values_is_bounded_as_the_loader_bounds_it() -> None:
    text = "".join(f"k{n}: {n}\n" for n in range(10))
    assert read_plain_yaml(text, MAX_DEPTH, 21) == _stock(text)  # 1 + 2 per key
    assert read_plain_yaml(text, MAX_DEPTH, 20) is None


# --- Generated documents ---------------------------------------------------------------------

_INDENTS = st.sampled_from(["", "", "", "  ", "  ", "    ", " ", "   ", "      "])
_DASHES = st.sampled_from(["", "", "", "- ", "-   ", "-", "- - "])
_ALL_KEYS = [
    *("a", "b", "name", "id", "x_1", "a.b", "a/b", "a-b", "_", "A"),
    *("'a'", '"b"', "'it''s'", "''", "'a: b'", '"#x"', "'no'", '"a\\tb"', "'a'b'"),
    *("yes", "no", "on", "1", "1.5", "null", "~", "2024-01-01", "<<", "?", "a b", "-a"),
]
_KEYS = st.sampled_from(_ALL_KEYS)
_ALL_VALUES = [
    *("", "", "x", "two words", "on_track", "yes", "No", "y", "3", "-5", "+7", "0x1F"),
    *("017", "1_000", "190:20:30", "1.5e3", "1.0", ".inf", "-.Inf", ".nan", "~", "null"),
    *("2024-01-01", "2001-12-14 21:59:43.10 -5", "2024-02-30", "'yes'", '"3"', "'it''s'"),
    *("''", '""', "'a' # c", '"b"  #c', "x # c", "x #c", "x#c", "x:y", "x: y", "x:"),
    *("http://a/b", "R&D", "a & b", "&a", "*a", "!t x", "|", ">", "[1]", "{a: 1}", "%x"),
    *("@x", "`x", ",x", "-", "- x", "-x", "?x", ":x", "x ", "x  ", "#c", "é", "日本"),
    *("a 'b' c", 'a "b"', "x [y] {z}", "x, y", "'unclosed", '"unclosed', "'a''", '"\\t"'),
    *('"\\x41"', '"\\u00e9"', '"\\U0001F600"', '"\\uD800"', '"\\q"', '"a\\"b"', '"\\\\"'),
    *('"\\N\\_\\L\\P"', '"\\0\\e\\/\\ "', '"\\x4"', '"a\\', '"\\\'"'),
]
_VALUES = st.sampled_from(_ALL_VALUES)
_CONTINUATIONS = st.sampled_from(
    ["", "", "", "more text", "- x", "x: y", "# c", "#c", "x #c", "'q'", "3", "-x", "a:b"]
)


@st.composite
def _lines(draw: st.DrawFn) -> str:
    """One line, sometimes with a continuation line after it."""
    indent, dash, key, value = draw(_INDENTS), draw(_DASHES), draw(_KEYS), draw(_VALUES)
    kind = draw(st.sampled_from(["entry", "entry", "entry", "item", "blank", "comment"]))
    if kind == "blank":
        return indent
    if kind == "comment":
        return f"{indent}# {value}"
    line = (
        f"{indent}{dash}{key}:{' ' + value if value else ''}"
        if kind == "entry"
        else (f"{indent}-{' ' + value if value else ''}")
    )
    continuation = draw(_CONTINUATIONS)
    if continuation:
        line += f"\n{indent}{draw(_INDENTS)}  {continuation}"
    return line


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_lines(), min_size=1, max_size=12), st.booleans())
def test_generated_documents_are_read_as_libyaml_reads_them(
    lines: list[str], newline: bool
) -> None:
    _assert_plain_agrees("\n".join(lines) + ("\n" if newline else ""))


_GOOD_KEYS = ["a", "b", "name", "id", "x_1", "a.b", "'a'", '"b"', "'it''s'", "'no'", "''"]
_GOOD_VALUES = [
    *("x", "two words", "on_track", "yes", "No", "3", "-5", "0x1F", "1.5e3", ".inf", "~"),
    *("2024-01-01", "'yes'", '"3"', "'it''s'", '"\\x41\\t"', "x # c", "x#c", "x:y", "R&D", "é"),
    *("a 'b' c", "x [y] {z}", "x, y", "http://a/b", "190:20:30", "null", "", "'' # c"),
]


def _block(data: st.DataObject, tree: Any, column: int) -> list[str]:
    """Block-style lines for ``tree`` (keys and scalars as YAML texts) at ``column``, with the
    variations people and dumpers write: steps of 1 to 4 columns, lists at their key's column
    or indented, spaces after dashes, comments, blank lines, values over several lines."""
    lines: list[str] = []
    pad = " " * column
    entries = tree.items() if isinstance(tree, dict) else [(None, item) for item in tree]
    for key, value in entries:
        head = f"{pad}{key}:" if key is not None else f"{pad}-"
        if isinstance(value, dict | list):
            step = data.draw(st.integers(0 if isinstance(value, list) else 1, 4))
            if key is None and isinstance(value, dict) and data.draw(st.booleans()):
                # "- key: value" with the other keys under the first
                inner = _block(data, value, column + 2 + step)
                lines.append(f"{head}{' ' * (1 + step)}{inner[0].lstrip(' ')}")
                lines.extend(inner[1:])
                continue
            lines.append(head + data.draw(st.sampled_from(["", "", " # c", "  "])))
            lines.extend(_block(data, value, column + max(step, 1 if key is None else 0)))
        else:
            lines.append(f"{head} {value}" if value else head)
            if data.draw(st.integers(0, 5)) == 0:
                lines.append(f"{pad}{' ' * data.draw(st.integers(0, 3))} more text")
        if data.draw(st.integers(0, 7)) == 0:
            lines.append(data.draw(st.sampled_from(["", "  ", "# note", "    # note"])))
    return lines


_TREES = st.recursive(
    st.sampled_from(_GOOD_VALUES * 6 + _ALL_VALUES),
    lambda children: (
        st.lists(children, min_size=1, max_size=4)
        | st.dictionaries(
            st.sampled_from(_GOOD_KEYS * 6 + _ALL_KEYS), children, min_size=1, max_size=4
        )
    ),
    max_leaves=12,
)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_generated_block_documents_are_read_as_libyaml_reads_them(data: st.DataObject) -> None:
    tree = data.draw(st.dictionaries(st.sampled_from(_GOOD_KEYS), _TREES, min_size=1, max_size=5))
    line_break = data.draw(st.sampled_from(["\n", "\n", "\r\n"]))  # as saved on Windows too
    _assert_plain_agrees(line_break.join(_block(data, tree, 0)) + line_break)


def test_the_generated_block_documents_are_mostly_read() -> None:
    # The property above is only as good as the documents the plain reader accepts.
    @settings(max_examples=400, deadline=None, database=None)
    @given(st.data())
    def count(data: st.DataObject) -> None:
        tree = data.draw(
            st.dictionaries(st.sampled_from(_GOOD_KEYS), _TREES, min_size=1, max_size=5)
        )
        accepted.append(_assert_plain_agrees("\n".join(_block(data, tree, 0)) + "\n"))

    accepted: list[bool] = []
    count()
    assert sum(accepted) >= len(accepted) // 4


@functools.cache
def _answers_texts() -> list[str]:
    return [
        yaml.dump(answers, Dumper=yaml.CSafeDumper, sort_keys=False, width=30, allow_unicode=True)
        for answers in _portfolio()[:8]
    ]


_SPLICES = st.sampled_from(
    [
        *(" ", "  ", "\n", "\n  ", "- ", "-", ":", ": ", " #", "#", "'", '"', "''", "\t"),
        *("&", "*", "!", "|", ">", "[", "]", "{", "}", ",", "?", "%", "@", "`", "~", "\r"),
        *("yes", "1", "x", "é", "\x85", "\u2028", "\ufeff", "\x00", "---", "..."),
    ]
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_edited_answers_files_are_read_as_libyaml_reads_them(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(_answers_texts()))
    for _ in range(data.draw(st.integers(1, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 3)))
        text = text[:start] + data.draw(_SPLICES) + text[end:]
    _assert_plain_agrees(text)


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \n\t-:#'\"ab1&*![]{}|>?,%@`.\\é\x85")), max_size=60))
def test_never_raises(text: str) -> None:
    _assert_plain_agrees(text)


# --- What it relies on and what it leaves behind -------------------------------------------


def test_it_resolves_and_builds_as_the_safe_loader() -> None:
    # Plain scalars are typed by yaml.resolver.Resolver and built by SafeConstructor's own
    # functions: the very ones CSafeLoader uses.
    assert issubclass(yaml.CSafeLoader, yaml.resolver.Resolver)
    assert issubclass(yaml.CSafeLoader, yaml.constructor.SafeConstructor)
    assert (
        yaml.CSafeLoader.yaml_implicit_resolvers == yaml.resolver.Resolver.yaml_implicit_resolvers
    )
    assert not yaml.CSafeLoader.yaml_path_resolvers
    for tag in plain_yaml.BUILT_SCALARS:
        assert (
            yaml.CSafeLoader.yaml_constructors[tag]
            is yaml.constructor.SafeConstructor.yaml_constructors[tag]
        )


def test_memos_stay_small_whatever_the_input() -> None:
    count = 3 * plain_yaml.MEMO_ENTRIES
    text = "".join(f"k{n}: v{n}\n" for n in range(count))
    assert _read(text) == {f"k{n}": f"v{n}" for n in range(count)}
    assert 0 < len(plain_yaml._PLAIN_VALUES) <= plain_yaml.MEMO_ENTRIES
    assert 0 < len(plain_yaml._TEXT_KEYS) <= plain_yaml.MEMO_ENTRIES
    assert len(plain_yaml.RESOLVED_TAGS) <= plain_yaml.MEMO_ENTRIES


def test_the_loader_uses_it_and_falls_back() -> None:
    plain = "a: 1\n"
    other = "a: [1]\n"
    assert _read(plain) is not None
    assert _read(other) is None
    assert parse_document(plain.encode(), Path("a.yaml")).data == {"a": 1}
    assert parse_document(other.encode(), Path("a.yaml")).data == {"a": [1]}
    with pytest.MonkeyPatch.context() as patch:
        calls: list[str] = []
        patch.setattr(loading, "read_plain_yaml", lambda text, *_: calls.append(text))
        assert parse_document(plain.encode(), Path("a.yaml")).data == {"a": 1}
        assert calls == [plain]
