"""The YAML fast path of gapcheck.loading against the stock PyYAML path, which is the reference.

Ordinary answers files are built by ``_FastLoader`` in one pass over the composed nodes, with
remembered tags and scalar values; anything unusual goes through the stock constructor. The
properties pinned here: every accepted document has exactly the values (and types, and key
order) that ``yaml.load(text, Loader=yaml.CSafeLoader)`` gives, every rejected one exactly the
error the stock path gives, the fast path is really taken for real answers files, and its memos
stay bounded.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from gapcheck import loading, plain_yaml
from gapcheck.errors import InputError
from gapcheck.loading import parse_document, read_document
from gapcheck.pack import load_pack
from gapcheck.synthetic import generate_portfolio
from tests.yaml_reference import assert_same_as_stock, outcome, stock_path, typed

ROOT = Path(__file__).parent.parent
SAMPLES = sorted([*ROOT.glob("samples/*.yaml"), *ROOT.glob("samples/surveys/*.yaml")])
INVALID = sorted((Path(__file__).parent / "assets" / "invalid").glob("*.yaml"))


def _built_fast(text: str) -> bool:
    return loading._construct_yaml(text)[1]


# --- Real answers files ---------------------------------------------------------------------


def test_there_are_samples_to_compare() -> None:
    assert len(SAMPLES) >= 8
    assert any(path.parent.name == "surveys" for path in SAMPLES)
    assert sum(_built_fast(path.read_text(encoding="utf-8")) for path in SAMPLES) >= 8


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_samples_load_as_with_the_stock_loader_and_fast(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert typed(loading._construct_yaml(text)[0]) == typed(
        yaml.load(text, Loader=yaml.CSafeLoader)
    )
    # Only text that may define an anchor ("&lt;" in the hostile sample) takes the stock path.
    assert _built_fast(text) == (loading._MAY_BE_ANCHOR.search(text) is None)
    assert_same_as_stock(text)
    assert typed(read_document(path).data) == typed(yaml.load(text, Loader=yaml.CSafeLoader))


@functools.cache
def _portfolio() -> list[dict[str, Any]]:
    return list(generate_portfolio(load_pack(), 60, 7))


@pytest.mark.parametrize(
    "style",
    [
        {"sort_keys": False},
        {"sort_keys": True, "indent": 4},
        {"sort_keys": False, "default_flow_style": True},
        {"sort_keys": False, "default_style": '"'},
        {"sort_keys": False, "width": 20, "allow_unicode": True},
    ],
)
def test_generated_portfolio_loads_as_with_the_stock_loader(style: dict[str, Any]) -> None:
    for answers in _portfolio():
        text = yaml.dump(answers, Dumper=yaml.CSafeDumper, **style)
        assert _built_fast(text)
        assert assert_same_as_stock(text)[0] == "ok"
        assert parse_document(text.encode(), Path("a.yaml")).data == answers


def test_the_benchmark_files_with_an_ampersand_take_the_fast_path() -> None:
    text = yaml.dump({"client": "City Power & Light", "unit": "R&D"}, Dumper=yaml.CSafeDumper)
    assert loading._MAY_BE_ANCHOR.search(text) is None
    assert _built_fast(text)


@pytest.mark.parametrize("path", INVALID, ids=lambda path: path.name)
def test_invalid_assets_fail_as_on_the_stock_path(path: Path) -> None:
    fast = outcome(path.read_bytes(), path.name)
    with stock_path():
        stock = outcome(path.read_bytes(), path.name)
    assert fast == stock
    assert fast[0] == "error"


# --- Tricky scalars and structures ----------------------------------------------------------

# YAML 1.1 as PyYAML reads it: booleans, bases, sexagesimals, special floats, timestamps,
# nulls, explicit tags; then values that fail to build or are refused.
_GOOD_SCALARS = [
    *("yes", "No", "ON", "off", "y", "n", "true", "False", "TRUE"),
    *("0x1F", "0o17", "017", "0b101", "1_000", "-12", "+7", "0", "190:20:30", "08", "0x_1"),
    *("1.5e3", "1.5e+3", "-.5", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "6.8523015e+5"),
    *("1_000.5", "190:20:30.15", "1e3", "1.", "-0.0"),
    *("~", "null", "Null", "NULL", "", "''", '""', "'~'", '"null"'),
    *("2024-01-01", "2002-12-14", "2001-12-14t21:59:43.10-05:00"),
    *("2001-12-14 21:59:43.10 -5", "2001-12-15 2:59:43.10", "2001-12-14T21:59:43Z"),
    *("'yes'", '"0x1F"', "'2024-01-01'", "'12'", "text", "two words", "R&D", "a & b"),
    *("!!str 12", "!!int '12'", "!!float 1", "!!bool yes", "!!null ''", "!!str"),
    *("!!timestamp 2024-01-01", "!!binary aGVsbG8=", "! 12", "! '12'", "!!set {a, b}"),
    *("!!omap [a: 1]", "!!pairs [a: 1]", "'='", "'<<'", "[]", "{}", "[1, 'x', no]"),
    *("{a: 1, b: [2, 3]}", "!!map {a: 1}", "!!seq [a]", "'it''s'", '"tab\\there"', "é"),
    *('"\\u00e9"', "|\n  two\n  lines", ">-\n  folded\n  text"),
]
_BAD_SCALARS = [
    *("2024-02-30", "!!int abc", "!!bool maybe", "!!binary '!'", "!foo bar", "="),
    *("!!python/name:os.system", "<<", "{a: 1, a: 2}", "{1: x}", "!!str {a: 1}", "!!str [a]"),
    *("!!int [1]", "!!null {}", "!!map [a]", "!!seq {a: 1}", "x: y", "&a 1", "*a", "&a [1]"),
]
_GOOD_KEYS = ["a", "b", "name", "'no'", "'12'", "'<<'", "'a'", '"b"', "!!str 1", "=", "R&D"]
_BAD_KEYS = ["no", "12", "~", "2024-01-01", "<<", "? [x]", "? {k: v}", "&k a", "*k", "1.5"]
# Mostly good parts, so that many documents are accepted and their values compared.
_SCALARS = st.sampled_from(_GOOD_SCALARS * 8 + _BAD_SCALARS)
_KEYS = st.sampled_from(_GOOD_KEYS * 12 + _BAD_KEYS)


def _render(value: Any, indent: int) -> str:
    """Block-style YAML for a tree whose leaves are scalar texts from _SCALARS."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return " {}"
        lines = []
        for key, item in value.items():
            lines.append(f"\n{pad}{key}:{_render(item, indent + 2)}")
        return "".join(lines)
    if isinstance(value, list):
        if not value:
            return " []"
        return "".join(f"\n{pad}-{_render(item, indent + 2)}" for item in value)
    return f" {value}"


_TREES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=10,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _TREES, min_size=1, max_size=5))
def test_tricky_documents_load_or_fail_as_on_the_stock_path(tree: dict[str, Any]) -> None:
    assert_same_as_stock(_render(tree, 0).lstrip("\n") + "\n")


@settings(max_examples=300, deadline=None)
@given(st.lists(_SCALARS, min_size=1, max_size=6), st.booleans())
def test_flow_documents_load_or_fail_as_on_the_stock_path(items: list[str], nested: bool) -> None:
    body = f"[{', '.join(items)}]"
    assert_same_as_stock(f"a: {{b: {body}}}\n" if nested else f"a: {body}\n")


_MINUS_FIVE_HOURS = dt.timezone(dt.timedelta(hours=-5))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: yes\nb: off\nc: y\n", {"a": True, "b": False, "c": "y"}),
        (
            "a: 0x1F\nb: 0o17\nc: 1_000\nd: 017\ne: 190:20:30\n",
            {"a": 31, "b": "0o17", "c": 1000, "d": 15, "e": 685230},
        ),
        (
            "a: .inf\nb: -.Inf\nc: 1.5e3\nd: 190:20:30.15\ne: 1.5e+3\n",
            {"a": math.inf, "b": -math.inf, "c": "1.5e3", "d": 685230.15, "e": 1500.0},
        ),
        (
            "a: 2024-01-01\nb: 2001-12-14t21:59:43.10-05:00\n",
            {
                "a": dt.date(2024, 1, 1),
                "b": dt.datetime(2001, 12, 14, 21, 59, 43, 100000, tzinfo=_MINUS_FIVE_HOURS),
            },
        ),
        ("a: ~\nb: null\nc:\nd: ''\n", {"a": None, "b": None, "c": None, "d": ""}),
        ("a: !!binary aGVsbG8=\nb: !!str 12\n", {"a": b"hello", "b": "12"}),
    ],
)
def test_yaml_1_1_values(text: str, expected: dict[str, Any]) -> None:
    assert typed(parse_document(text.encode(), Path("a.yaml")).data) == typed(expected)
    assert_same_as_stock(text)
    assert_same_as_stock(text)  # again, now from the memos


def test_a_value_that_fails_to_build_is_not_remembered() -> None:
    for _ in range(2):
        problem = assert_same_as_stock("a: 1\nb: 2024-02-30\n")[1][1][0]
        assert (problem.line, problem.message[:30]) == (2, "'2024-02-30' cannot be read as")


# --- Anchors and aliases --------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        *("&a ", "&a", "*a", " *a", "&", "& ", "R&D", "x&y", "_&a", "é&a", "&-", "&_"),
        *("a: ", "b:", "- ", "? ", ": ", "[", "]", "{", "}", ",", " ", "\n", "\t", "'", '"'),
        *("x", "1", "!!str ", "!t&a ", "!<t>", "#", "---\n", "%YAML 1.1\n", "|\n", "a:&a b"),
    ]
)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=20))
def test_every_anchor_is_seen_by_the_anchor_pattern(pieces: list[str]) -> None:
    text = "".join(pieces)
    try:
        events = list(yaml.parse(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        return  # refused while parsing: both loaders share the parser
    anchored = (yaml.ScalarEvent, yaml.CollectionStartEvent)  # an AliasEvent's anchor is a use
    if any(isinstance(event, anchored) and event.anchor is not None for event in events):
        assert loading._MAY_BE_ANCHOR.search(text) is not None


@pytest.mark.parametrize(
    ("text", "may_be_anchor"),
    [
        ("a: &x 1\n", True),
        ("&x a: 1\n", True),
        ("a: [&x 1]\n", True),
        ('a: {"k":&x 1}\n', True),
        ("a: R&D\n", False),
        ("a: City Power & Light\n", False),
        ("a: Q&A, M&A &\n", False),
    ],
)
def test_anchor_pattern(text: str, may_be_anchor: bool) -> None:
    assert (loading._MAY_BE_ANCHOR.search(text) is not None) == may_be_anchor


def test_a_missed_anchor_still_cannot_expand_an_alias_bomb() -> None:
    # As if the anchor pattern missed the anchors: the fast pass meets a list twice and hands
    # the document to the strict stock constructor, which refuses the alias.
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 10)}]" for n in range(1, 30)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "_MAY_BE_ANCHOR", re.compile("(?!)"))  # never matches
        error = outcome("\n".join(lines).encode())
    assert error[0] == "error"
    assert "anchors and aliases" in error[1][0]


def test_the_fast_pass_declines_a_node_met_twice() -> None:
    shared = SequenceNode(loading._SEQ_TAG, [])
    key_a, key_b = ScalarNode(plain_yaml.STR_TAG, "a"), ScalarNode(plain_yaml.STR_TAG, "b")
    root = MappingNode(loading._MAP_TAG, [(key_a, shared), (key_b, shared)])
    with pytest.raises(loading._Unusual):
        loading._FastLoader("")._build(root)
    plain = MappingNode(loading._MAP_TAG, [(key_a, shared), (key_b, SequenceNode("x", []))])
    with pytest.raises(loading._Unusual):  # and any tag it does not know
        loading._FastLoader("")._build(plain)


# --- What the fast path relies on, and what it leaves behind -------------------------------


def test_the_loaders_have_no_path_resolvers() -> None:
    # The remembered tags and the no-op descend/ascend_resolver are right only without them.
    assert not loading._Loader.yaml_path_resolvers
    assert not yaml.CSafeLoader.yaml_path_resolvers


def test_memos_stay_small_whatever_the_input() -> None:
    keys = [f"k{n}" for n in range(3 * plain_yaml.MEMO_ENTRIES)]
    long_text = "x" * (plain_yaml.MEMO_TEXT_CHARS + 1)
    document = {key: n for n, key in enumerate(keys)} | {long_text: 1}
    text = yaml.dump(document, Dumper=yaml.CSafeDumper, sort_keys=False)
    assert parse_document(text.encode(), Path("a.yaml")).data == document
    assert 0 < len(plain_yaml.RESOLVED_TAGS) <= plain_yaml.MEMO_ENTRIES
    assert long_text not in plain_yaml.RESOLVED_TAGS
    for memo in plain_yaml.BUILT_SCALARS.values():
        assert len(memo) <= plain_yaml.MEMO_ENTRIES
    assert len(plain_yaml.BUILT_SCALARS["tag:yaml.org,2002:int"]) > 0


def test_garbage_collection_is_restored_after_loading() -> None:
    assert gc.isenabled()
    parse_document(b"a: 1\n", Path("a.yaml"))
    assert gc.isenabled()
    with pytest.raises(InputError):
        parse_document(b"a: [\n", Path("a.yaml"))
    assert gc.isenabled()
    gc.disable()
    try:
        parse_document(b"a: 1\n", Path("a.yaml"))
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


def test_json_text_is_also_yaml_with_the_same_values() -> None:
    answers = _portfolio()[0]
    text = json.dumps(answers, ensure_ascii=False)
    assert _built_fast(text)
    assert assert_same_as_stock(text) == ("ok", typed(answers))
