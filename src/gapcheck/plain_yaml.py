"""Read the plain block style of YAML that answers files are written in, without libyaml.

An answers file is a mapping of text keys to plain or quoted values, lists and mappings, one
entry per line, as ``gapcheck new``, PyYAML's ``dump`` and people write it. Reading that line
by line takes a third of the time libyaml and PyYAML's composer take, which build a Python node
for every value and resolve each one's type through several calls.

:func:`read_plain_yaml` either returns exactly what ``yaml.load(text, Loader=yaml.CSafeLoader)``
returns (the same values, types and key order), or None: "outside the subset, ask the full
loader". It never raises. Anything it is not sure of is outside: a tab, a carriage return not
followed by a line feed, or a character YAML refuses; flow style (``[``, ``{``), anchors,
aliases, tags, block scalars (``|``, ``>``), directives and document markers; a key that is not
a short identifier-like word or a one-line quoted text, or that YAML reads as something other
than text (``yes``, ``1``); a repeated key; a quoted value running over several lines, or with
an escape libyaml refuses; a plain value continued after a blank or comment line; any
indentation that is not a mapping's or a list's own; nesting deeper than
:data:`~gapcheck.loading.MAX_DEPTH` or more than :data:`~gapcheck.loading.MAX_NODES` values; no
mapping at the top. The full loader then accepts or refuses the text with its own, located,
error message.

Plain scalars get their type as PyYAML gives it (its own resolver and constructors, so ``yes``
is true and ``2026-01-31`` a date); the tag of each short text and the value built from it are
remembered across files (:data:`RESOLVED_TAGS`, :data:`BUILT_SCALARS`), shared with the full
loader's fast path.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import ScalarNode

STR_TAG = "tag:yaml.org,2002:str"
#: Only texts up to this long are remembered; a full memo is emptied: memory stays small.
MEMO_TEXT_CHARS = 64
MEMO_ENTRIES = 4096
#: A plain scalar's text -> the tag YAML resolves it to.
RESOLVED_TAGS: dict[str, str] = {}
#: Tag -> text -> the value built from it, for tags whose values are immutable (None, bool, int,
#: float, date, datetime, bytes): one object stands for every occurrence of the same text.
BUILT_SCALARS: dict[str, dict[str, Any]] = {
    f"tag:yaml.org,2002:{name}": {}
    for name in ("null", "bool", "int", "float", "timestamp", "binary")
}


def remember(memo: dict[str, Any], text: str, value: Any) -> None:
    if len(memo) >= MEMO_ENTRIES:
        memo.clear()
    memo[text] = value


# The safe loader's own resolver and constructors (tests pin that CSafeLoader uses these).
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_CONSTRUCTORS = yaml.constructor.SafeConstructor.yaml_constructors
_UNSET = object()

# Characters outside YAML's printable set, plus those YAML reads as line breaks or white space
# the way a line-by-line reading would not (tab, CR, NEL, LS, PS), and a byte order mark.
_REFUSED = r"\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff"
# One line: indentation, a list item's dash, a key and its colon, then the rest: either a
# simple plain value (no ":" or "#" in it, no space last, an ordinary first character), a
# single-quoted value without quotes inside (with its quotes), or anything else. A line holding
# a refused character anywhere does not match at all (findall then skips it: counted).
_LINES = re.compile(
    r"^( *)(- +|-$)?"
    r"(?:([A-Za-z0-9_][A-Za-z0-9_./-]{0,200}"
    rf"|'(?:[^'{_REFUSED}]|''){{0,200}}'"
    rf'|"[^"\\{_REFUSED}]{{0,200}}"'
    r"):(?: +|$))?"
    rf"(?:([A-Za-z0-9_.(/+$=~^][^:# {_REFUSED}]*(?: +[^:# {_REFUSED}]+)*)"
    rf"|('[^'{_REFUSED}]*')|([^{_REFUSED}]*))$",
    re.MULTILINE,
).findall
# A whole plain scalar on one line: no indicator first (but "-" before a non-space, as in -5),
# no ": " or " #" inside, no ":" or space last.
_PLAIN = re.compile(
    r"(?:[^ '\"?:,\[\]{}#&*!|>%@`-]|-(?=[^ ]))(?:[^ :#]|:(?=[^ ])|(?<=[^ ])#| +(?=[^ #]))*"
).fullmatch
# The text of a line that continues a plain scalar: _PLAIN's rules for what follows the first
# character, from the first (so it cannot start with "#", and joined with a space to the text
# before, whose last character is not ":" or a space, it keeps the whole within _PLAIN).
_PLAIN_BODY = re.compile(r"(?:[^ :#]|:(?=[^ ])|(?<=[^ ])#| +(?=[^ #]))*").fullmatch
_QUOTED = re.compile(r"'((?:[^']|'')*)'|\"((?:[^\"\\]|\\.)*)\"").match
# Escapes in double quotes, as libyaml reads them; any other backslash is outside.
_ESCAPE = re.compile(
    r"\\(?:([0abtnvfre \"/\\N_LP])|x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))?"
)
_ESCAPED = {
    **{"0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"},
    **{"e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0"},
    **{"L": "\u2028", "P": "\u2029"},
}
_COMMENT_TAIL = re.compile(r"(?: *| +#.*)").fullmatch
#: Plain keys known to be read as text.
_TEXT_KEYS: set[str] = set()
#: A plain scalar's text -> its value (for texts up to MEMO_TEXT_CHARS).
_PLAIN_VALUES: dict[str, Any] = {}


class _Outside(Exception):
    """The text is outside the subset read here."""


def read_plain_yaml(text: str, max_depth: int, max_values: int) -> dict[str, Any] | None:
    """The mapping ``text`` holds, as the safe loader reads it, or None if the text is outside
    the subset read here (see the module docstring). ``max_depth`` and ``max_values`` bound
    nesting and the number of values (keys, scalars and containers), as
    :func:`gapcheck.loading._walk` counts them: text beyond either is outside."""
    if "\r" in text:  # CR LF line breaks (a file saved on Windows) are line breaks as LF is
        text = text.replace("\r\n", "\n")  # a CR left alone is refused below
    try:
        return _read(text, max_depth, max_values)
    except _Outside:
        return None


def plain_scalar(text: str) -> Any:
    """The value of a plain (unquoted) scalar, as the safe loader builds it. Raises _Outside
    when building fails (e.g. the date 2024-02-30): the full loader then reports it."""
    tag = RESOLVED_TAGS.get(text)
    if tag is None:
        tag = _RESOLVER.resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        if len(text) <= MEMO_TEXT_CHARS:
            remember(RESOLVED_TAGS, text, tag)
    if tag == STR_TAG:
        value: Any = text
    else:
        built = BUILT_SCALARS.get(tag)
        if built is None:
            raise _Outside  # no other tag comes from resolving a plain scalar; be safe
        value = built.get(text, _UNSET)
        if value is _UNSET:
            try:  # the constructor itself: construct_object would keep every node it met
                value = _CONSTRUCTORS[tag](_CONSTRUCTOR, ScalarNode(tag, text))
            except Exception:  # the full loader reports it, with its line
                raise _Outside from None
            if len(text) <= MEMO_TEXT_CHARS:
                remember(built, text, value)
    if len(text) <= MEMO_TEXT_CHARS:
        remember(_PLAIN_VALUES, text, value)
    return value


def _scalar(rest: str) -> tuple[Any, str | None]:
    """The value of the scalar that starts a line's ``rest`` (after "key: " or "- "), and its
    text if it is plain without a comment (a next line may continue it), else None."""
    first = rest[0]
    if first in {"'", '"'}:
        quoted = _QUOTED(rest)
        if quoted is None or _COMMENT_TAIL(rest, quoted.end()) is None:
            raise _Outside
        single, double = quoted.groups()
        if single is None:
            return (_ESCAPE.sub(_unescape, double) if "\\" in double else double), None
        return (single.replace("''", "'") if "''" in single else single), None
    if first == "#":
        raise _Outside  # a comment where a value must be
    cut = rest.find(" #")
    text = (rest if cut == -1 else rest[:cut]).rstrip(" ")
    if _PLAIN(text) is None:
        raise _Outside
    return plain_scalar(text), (text if cut == -1 else None)


def _unescape(escape: re.Match[str]) -> str:
    named, *codes = escape.groups()
    if named is not None:
        return _ESCAPED[named]
    code = int(next((code for code in codes if code is not None), "-1"), 16)
    if code < 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _Outside  # not an escape libyaml knows, or not a character
    return chr(code)


def _key(text: str) -> str:
    """The key a line's key text stands for (quoted or plain); raise _Outside for a plain key
    YAML reads as something other than text (a boolean, number, date or null)."""
    first = text[0]
    if first == "'":
        return text[1:-1].replace("''", "'")
    if first == '"':
        return text[1:-1]
    if plain_scalar(text).__class__ is not str:
        raise _Outside
    if len(_TEXT_KEYS) >= MEMO_ENTRIES:
        _TEXT_KEYS.clear()
    _TEXT_KEYS.add(text)
    return text


def _read(text: str, max_depth: int, max_values: int) -> dict[str, Any]:
    root: dict[str, Any] = {}
    # The open lists and mappings, innermost last, with their column (a list's is its dashes').
    stack: list[tuple[int, Any]] = [(0, root)]
    column: int = 0
    top: Any = root  # stack[-1]
    # A key with nothing after its colon: its value is on the lines below, or None.
    pending: tuple[dict[str, Any], str, int] | None = None
    # The last plain scalar read, which a more indented next line may continue: its text (None
    # if there is none), its container, key or index, and the column of its container; and its
    # lines once one continues it (joined and typed when it ends: linear in its length).
    plain_text: str | None = None
    continued: list[str] | None = None
    plain_in: Any = None
    plain_slot: Any = None
    plain_column = 0
    values = 1
    text_keys, plain_values = _TEXT_KEYS, _PLAIN_VALUES
    lines = _LINES(text)
    if len(lines) != text.count("\n") + 1:
        raise _Outside  # a line holds a refused character
    for indent, dash, key_text, simple, quoted, rest in lines:
        at = len(indent)
        if not key_text and not dash and (simple or quoted or (rest and rest[0] != "#")):
            # A line of text alone: it continues the plain scalar above, or is outside.
            if quoted or plain_text is None or at <= plain_column:
                raise _Outside
            line_text = simple or rest.rstrip(" ")
            if not simple and (rest[0] in "-?:" or _PLAIN_BODY(line_text) is None):
                raise _Outside
            if continued is None:
                continued = [plain_text]
            continued.append(line_text)
            continue
        if continued is not None:  # the scalar above ended
            plain_in[plain_slot] = plain_scalar(" ".join(continued))
            continued = None
        if key_text and not dash and at == column and pending is None:
            # The common line: another key of the mapping being read (or a list at this
            # column closes: it started at its key's column).
            if top.__class__ is list:
                stack.pop()
                column, top = stack[-1]
                if at != column or top.__class__ is list:
                    raise _Outside
            mapping = top
        elif not key_text and not dash:  # a blank or comment line: no scalar continues
            plain_text = None
            continue
        else:
            if pending is not None:
                # The first line after "key:": a more indented one opens its value; a list
                # may also start at the key's own column. Anything else leaves it None.
                if at > pending[2] or (at == pending[2] and dash):
                    opened: Any = [] if dash else {}
                    pending[0][pending[1]] = opened
                    stack.append((at, opened))
                    column, top = at, opened
                    if len(stack) > max_depth:
                        raise _Outside
                pending = None
            if not dash:
                # A key of the mapping at this column: close what is more indented, and a
                # list at this column.
                while at < column or (at == column and top.__class__ is list):
                    stack.pop()
                    column, top = stack[-1]
                if at != column or top.__class__ is list:
                    raise _Outside
                mapping = top
            else:
                while at < column or (at == column and top.__class__ is dict):
                    if len(stack) == 1:
                        raise _Outside  # a list item beside the top-level mapping's keys
                    stack.pop()
                    column, top = stack[-1]
                if at != column or top.__class__ is dict:
                    raise _Outside
                values += 1
                if not key_text:
                    if simple:
                        value: Any = plain_values.get(simple, _UNSET)
                        if value is _UNSET:
                            value = plain_scalar(simple)
                        plain_text = simple
                    elif quoted:
                        value, plain_text = quoted[1:-1], None
                    elif rest:
                        value, plain_text = _scalar(rest)
                    else:
                        raise _Outside  # "-" alone: the item is on the lines below
                    top.append(value)
                    plain_in, plain_slot, plain_column = top, len(top) - 1, at
                    continue
                # "- key: ...": the item is a mapping whose keys are at this key's column.
                mapping = {}
                top.append(mapping)
                at += len(dash)
                stack.append((at, mapping))
                column, top = at, mapping
                if len(stack) > max_depth:
                    raise _Outside
        key = key_text if key_text in text_keys else _key(key_text)
        if key in mapping:
            raise _Outside
        values += 2
        if simple:
            value = plain_values.get(simple, _UNSET)
            if value is _UNSET:
                value = plain_scalar(simple)
            mapping[key] = value
            plain_text, plain_in, plain_slot, plain_column = simple, mapping, key, at
        elif quoted:
            mapping[key] = quoted[1:-1]
            plain_text = None
        elif not rest or rest[0] == "#":
            mapping[key] = None
            pending = (mapping, key, at)
            plain_text = None
        else:
            mapping[key], plain_text = _scalar(rest)
            plain_in, plain_slot, plain_column = mapping, key, at
    if continued is not None:
        plain_in[plain_slot] = plain_scalar(" ".join(continued))
    if not root or values > max_values:
        raise _Outside
    return root
