"""Read an answers file (YAML or JSON) from disk, safely.

Everything that can go wrong with the input becomes an :class:`~gapcheck.errors.InputError`
naming the file, the line where possible, what is wrong and what is expected. Hostile input
cannot crash, hang or exhaust the process:

* files over :data:`MAX_FILE_BYTES` (1 MiB) are refused before they are read in full;
* nesting deeper than :data:`MAX_DEPTH` is refused *before* libyaml composes the document
  (older libyaml builds overflow the C stack on deep input and kill the process);
* YAML anchors and aliases are refused, so an alias bomb ("billion laughs") is caught in time
  linear in the size of the file, before anything expands it;
* more than :data:`MAX_NODES` values in total are refused.

The loader checks that the input *parses*, that mapping keys are text and unique and that the
top level is a mapping; the shape of an answers file is validated elsewhere.

YAML written in the plain block style (one entry per line, as answers files are) is read by
:mod:`gapcheck.plain_yaml` without libyaml, to the same values; anything else, and every
refusal, goes through libyaml and the checks above.
"""

from __future__ import annotations

import codecs
import functools
import gc
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson
import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gapcheck.errors import InputError, NotAnswersError
from gapcheck.plain_yaml import (
    BUILT_SCALARS,
    MEMO_TEXT_CHARS,
    RESOLVED_TAGS,
    STR_TAG,
    read_plain_yaml,
    remember,
)

MAX_FILE_BYTES: int = 1_048_576
"""Largest answers file accepted: 1 MiB."""
MAX_DEPTH: int = 32
"""Deepest nesting of mappings and lists accepted (the top-level mapping is level 1)."""
MAX_NODES: int = 200_000
"""Most values (keys, scalars and containers) accepted in one file."""

Format = Literal["yaml", "json"]
Location = tuple[str | int, ...]

_EXTENSIONS: dict[str, Format] = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}
_EXPECTED_EXTENSIONS = "a .yaml, .yml or .json file"
_EXPECTED_CONTENT = "a mapping with format_version, project, respondents"
_DIRECTORY_EXPECTED = "an answers file"
_LIMIT_TEXT = f"at most 1 MiB = {MAX_FILE_BYTES:,} bytes"
_ALIAS_MESSAGE = "YAML anchors and aliases (&/*) are not allowed in answers files"
_ALIAS_EXPECTED = "every value written out in full"
_CONTAINERS = (dict, list)  # a tuple: isinstance() is faster with it than with a union


@dataclass(frozen=True)
class Document:
    """A parsed answers file, with what is needed to point at lines in it later."""

    path: Path
    data: Any
    text: str
    format: Literal["yaml", "json"]
    sha256: str

    def line_of(self, location: Sequence[str | int]) -> int | None:
        """1-based line of the value at ``location``, e.g. ``("respondents", 0, "answers")``.

        For a mapping entry this is the line of its key, for a list item the line where the
        item starts. If the location does not exist, the line of its deepest existing parent
        (a missing key gives the line of the mapping's own key). None if nothing is known.
        """
        lines = self._lines
        wanted = tuple(location)
        for end in range(len(wanted), -1, -1):
            line = lines.get(wanted[:end])
            if line is not None:
                return line
        return None

    @functools.cached_property
    def _lines(self) -> dict[Location, int]:
        # Built on first use only: line numbers are needed just to report errors.
        if self.format == "yaml":
            return _yaml_lines(self.text)
        return _scan_json(self.text).lines


def read_document(path: Path) -> Document:
    """Read and parse the answers file at ``path``; raise InputError for any bad input."""
    file_format = _EXTENSIONS.get(path.suffix.lower())
    if file_format is None:  # a wrong extension is reported before reading the file
        if path.is_dir():  # ... unless it is a directory
            raise _is_a_directory(path, _DIRECTORY_EXPECTED)
        file_format = _format_of(path)  # raises: the extension is not an answers file's
    # A directory with an answers file's extension is noticed on opening it, not by an extra
    # stat of every file.
    return _parse(_read_bytes(path, directory_expected=_DIRECTORY_EXPECTED), path, file_format)


def parse_document(raw: bytes, path: Path) -> Document:
    """Parse answers already read from ``path`` (whose extension gives the format)."""
    return _parse(raw, path, _format_of(path))


def _parse(raw: bytes, path: Path, file_format: Format) -> Document:
    if len(raw) > MAX_FILE_BYTES:
        raise _too_big(path, f"{len(raw):,} bytes")
    text = _decode(raw, path)
    if file_format == "yaml":
        data = _load_yaml(text, path)
    else:
        data = _load_json(text, path)
        _check_json_duplicates(text, _walk(data, path), path)
    document = Document(path, data, text, file_format, hashlib.sha256(raw).hexdigest())
    if not isinstance(data, dict):
        raise InputError.single(
            path,
            f"expected a mapping at the top level, found {_kind(data)}",
            line=document.line_of(()),
        )
    return document


# --- Other kinds of file ---------------------------------------------------------------


@dataclass(frozen=True)
class _OtherKind:
    """A kind of file gapcheck reads or writes that is not answers, known by top-level keys it
    always has and an answers file never has."""

    keys: tuple[str, ...]
    what: str
    expected: str
    #: Whether it lists respondents too (else a mapping with "respondents" is not of this kind).
    has_respondents: bool = False


_PACK_EXPECTED = "an answers file; a pack's folder is given with --pack"
_OTHER_KINDS = (
    _OtherKind(
        ("generator", "findings"),
        "a gapcheck result (the JSON report of an assessment)",
        "the answers file it was assessed from",
        has_respondents=True,
    ),
    _OtherKind(
        ("projects", "percentiles"),
        "a gapcheck portfolio (the portfolio.json of a batch)",
        "the answers files of its projects",
    ),
    _OtherKind(
        ("columns",),
        "a survey mapping file (for gapcheck import --map)",
        "an answers file: gapcheck import SURVEY --map MAPPING -o FOLDER writes them",
    ),
    _OtherKind(
        ("$schema", "properties"),
        "a JSON Schema (as gapcheck schema writes for editors)",
        "an answers file, which the schema describes",
    ),
    _OtherKind(("rules",), "a rules file of an assessment pack", _PACK_EXPECTED),
    _OtherKind(("sections",), "the questionnaire of an assessment pack", _PACK_EXPECTED),
    _OtherKind(("areas", "scoring"), "the pack.yaml of an assessment pack", _PACK_EXPECTED),
)


def refuse_other_kind(data: Mapping[str, Any], path: Path) -> None:
    """Raise NotAnswersError when ``data`` (a top-level mapping that is not valid answers) is
    recognisably another kind of gapcheck file: one line saying what it is, rather than every
    field an answers file would miss."""
    for kind in _OTHER_KINDS:
        if all(key in data for key in kind.keys) and (
            kind.has_respondents or "respondents" not in data
        ):
            raise NotAnswersError.single(
                path, f"{kind.what}, not an answers file", expected=kind.expected
            )


#: A key of the top-level mapping of a YAML text in block style (at the start of a line).
_TOP_LEVEL_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?: |$)", re.MULTILINE)


def _refuse_other_kind_of_text(text: str, path: Path) -> None:
    """refuse_other_kind for a YAML text that could not be read as answers (a pack's
    questionnaire, say, has number keys): by the keys that start its lines."""
    refuse_other_kind(dict.fromkeys(_TOP_LEVEL_KEY.findall(text)), path)


# --- Reading --------------------------------------------------------------------------------

# O_NONBLOCK: opening a FIFO must not wait forever for a writer (it is then refused below).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _format_of(path: Path) -> Format:
    file_format = _EXTENSIONS.get(path.suffix.lower())
    if file_format is None:
        shown = f"'{path.suffix}'" if path.suffix else "no extension"
        raise InputError.single(
            path, f"cannot tell the file format from {shown}", expected=_EXPECTED_EXTENSIONS
        )
    return file_format


def _read_bytes(path: Path, directory_expected: str = "a file") -> bytes:
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError.single(path, "file not found") from None
    except IsADirectoryError:
        raise _is_a_directory(path, directory_expected) from None
    except PermissionError:
        if path.is_dir():  # Windows refuses to open directories with EACCES
            raise _is_a_directory(path, directory_expected) from None
        raise InputError.single(path, "permission denied: the file cannot be read") from None
    except OSError as exc:
        raise InputError.single(path, f"cannot open the file: {exc.strerror}") from None
    except ValueError:  # e.g. a NUL byte in the name
        raise InputError.single(path, "invalid file name") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _is_a_directory(path, directory_expected)
        if not stat.S_ISREG(info.st_mode):
            raise InputError.single(path, "is not a regular file", expected="a file")
        if info.st_size > MAX_FILE_BYTES:
            raise _too_big(path, f"{info.st_size:,} bytes")
        raw = _read_at_most(fd, MAX_FILE_BYTES + 1, first=info.st_size + 1)
    except OSError as exc:
        raise InputError.single(path, f"cannot read the file: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:  # the file grew after fstat
        raise _too_big(path, f"more than {MAX_FILE_BYTES:,} bytes")
    return raw


def _is_a_directory(path: Path, expected: str) -> InputError:
    return InputError.single(path, "is a directory", expected=expected)


def _read_at_most(fd: int, limit: int, first: int) -> bytes:
    """Read up to ``limit`` bytes, asking for ``first`` bytes at first.

    os.read allocates as much as it is asked for, so ask for the size fstat gave (plus one, to
    see the end of the file) rather than for the limit, then in small steps if there is more.
    """
    chunks: list[bytes] = []
    size = 0
    request = min(first, limit)
    while size < limit:
        chunk = os.read(fd, request)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        request = min(limit - size, 65_536)
    return b"".join(chunks)


def _too_big(path: Path, size: str) -> InputError:
    return InputError.single(path, f"the file is too large ({size})", expected=_LIMIT_TEXT)


def _decode(raw: bytes, path: Path) -> str:
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    try:
        return (raw[start:] if start else raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        line = raw.count(b"\n", 0, offset) + 1
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            message = "the file is UTF-16 text (it starts with a UTF-16 byte order mark)"
        else:
            message = f"not valid UTF-8: byte 0x{raw[offset]:02x} at byte offset {offset}"
        raise InputError.single(
            path, message, line=line, expected="UTF-8 text; save the file as UTF-8"
        ) from None


def _kind(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a value of type {type(value).__name__}"


def format_location(location: Location) -> str:
    """A field path as users write it: ``respondents[0].answers.budget_secured``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _too_deep(path: Path, line: int | None) -> InputError:
    return InputError.single(
        path,
        f"nesting deeper than {MAX_DEPTH} levels",
        line=line,
        expected=f"at most {MAX_DEPTH} levels of nested mappings and lists",
    )


def _too_many(path: Path, line: int | None) -> InputError:
    return InputError.single(
        path,
        f"too many values (more than {MAX_NODES:,})",
        line=line,
        expected=f"at most {MAX_NODES:,} keys and values",
    )


def _walk(data: Any, path: Path) -> int:
    """Count the values in ``data`` without recursion; return how many mapping keys it has.

    A list or mapping reached twice can only come from a YAML alias: refuse it here, once,
    instead of letting a later step expand an alias bomb.
    """
    if not isinstance(data, _CONTAINERS):
        return 0
    nodes, keys = 1, 0
    seen: set[int] = set()
    stack: list[dict[Any, Any] | list[Any]] = [data]
    while stack:
        container = stack.pop()
        if id(container) in seen:
            raise InputError.single(path, _ALIAS_MESSAGE, expected=_ALIAS_EXPECTED)
        seen.add(id(container))
        if isinstance(container, dict):
            keys += len(container)
            nodes += 2 * len(container)
            children: Any = container.values()
        else:
            nodes += len(container)
            children = container
        if nodes > MAX_NODES:
            raise _too_many(path, None)
        stack.extend([child for child in children if isinstance(child, _CONTAINERS)])
    return keys


# --- YAML -----------------------------------------------------------------------------------

_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_UNKNOWN_TAG = re.compile(r"could not determine a constructor for the tag '(.*)'")
# From this many characters a text may hold more than MAX_NODES values (two per character at
# most, e.g. "{a,b,...}"), so it is worth counting parse events before composing it.
_EVENT_SCAN_FROM = MAX_NODES // 2
_OTHER_LINE_BREAKS = ("\r", "\x85", "\u2028", "\u2029")
# Characters YAML refuses (libyaml also refuses a BOM inside the text).
_NOT_PRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)


class _Problem(Exception):
    """Raised from inside the YAML constructor, which does not know the file's path.

    ``mapping`` (and ``key`` in it) say where the problem is, to name its location once the
    document can be walked from the top.
    """

    def __init__(
        self,
        message: str,
        line: int,
        expected: str | None = None,
        mapping: MappingNode | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.expected = expected
        self.mapping = mapping
        self.key = key


def _line(node: Node) -> int:
    return node.start_mark.line + 1


_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_UNSET = object()


class _Loader(yaml.CSafeLoader):
    """The C safe loader, refusing what an answers file must not contain.

    Key checks happen while mappings are built, where the source lines are still known and
    duplicates are still visible, at no extra cost over the stock ``construct_mapping``.
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            # Explicit "!!map" on a scalar or list: let the stock code raise its YAML error.
            return super().construct_mapping(node, deep=deep)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                raise _Problem(
                    "YAML merge keys (<<) are not allowed in answers files",
                    _line(key_node),
                    _ALIAS_EXPECTED,
                    mapping=node,
                )
            if key_node.tag == _VALUE_TAG:  # a bare "=" key: PyYAML reads it as text too
                key: Any = key_node.value
            else:
                key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, str):
                raise _bad_key(key, key_node, node)
            if key in mapping:
                raise _duplicate_key(key, key_node, node)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    # The composer calls the three resolver methods below for every node. The safe loader has
    # no path resolvers (a test pins that), so the stock descend/ascend do nothing, and a plain
    # scalar's tag depends on its text only.

    def descend_resolver(self, current_node: Node | None, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        """The stock tag resolution, remembered for short plain scalars."""
        if kind is not ScalarNode:
            return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call,no-any-return]
        if not implicit[0]:  # quoted: always text
            return STR_TAG
        tag = RESOLVED_TAGS.get(value)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            if len(value) <= MEMO_TEXT_CHARS:
                remember(RESOLVED_TAGS, value, tag)
        return tag


class _StrictLoader(_Loader):
    """Also refuses aliases: used when the text may define an anchor (see _MAY_BE_ANCHOR)."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        if node in self.constructed_objects:  # built before: this is an alias to it
            raise _Problem(_ALIAS_MESSAGE + " (anchor defined here)", _line(node), _ALIAS_EXPECTED)
        return super().construct_object(node, deep=deep)


class _Unusual(Exception):
    """The fast pass met something it leaves to the stock constructor."""


class _FastLoader(_StrictLoader):
    """Builds ordinary documents in one tight pass over the nodes; the rest the stock way.

    An answers file holds text keys, plain values, lists and mappings. These are built here
    directly, without PyYAML's per-node dispatch, generators and bookkeeping. Anything else
    (another tag, a key that is not text or is repeated, a merge key, a value that fails to
    build, a node met twice) sends the whole document through the stock constructor instead,
    which returns or raises exactly what it always did. Used only for texts that cannot
    define an anchor, so no node is met twice; that is checked for lists and mappings anyway,
    as a guard against expanding an alias bomb.
    """

    checked = False
    """True once the fast pass built the document: it then counted the values and saw no
    list or mapping twice, which is what _walk would check."""

    def construct_document(self, node: Node) -> Any:
        try:
            data = self._build(node)
        except Exception:  # redo it the stock way, which reports any problem
            return super().construct_document(node)
        self.checked = True
        return data

    def _build(self, root: Node) -> Any:
        constructors = self.yaml_constructors
        met: set[int] = set()
        values = 1 if root.__class__ is not ScalarNode else 0  # counted as _walk counts

        def scalar(node: Node) -> Any:
            tag = node.tag
            if tag == STR_TAG:
                return node.value
            built = BUILT_SCALARS[tag]  # KeyError (stock path) for any other tag
            text = node.value
            value = built.get(text, _UNSET)
            if value is _UNSET:
                value = constructors[tag](self, node)
                if len(text) <= MEMO_TEXT_CHARS:
                    remember(built, text, value)
            return value

        def build(node: Node) -> Any:
            nonlocal values
            if node.__class__ is ScalarNode:
                return scalar(node)
            if id(node) in met:
                raise _Unusual
            met.add(id(node))
            items = node.value
            if node.__class__ is MappingNode and node.tag == _MAP_TAG:
                values += 2 * len(items)
                mapping = {
                    (
                        key.value
                        if key.__class__ is ScalarNode and key.tag == STR_TAG
                        else unusual()
                    ): (
                        item.value
                        if item.__class__ is ScalarNode and item.tag == STR_TAG
                        else build(item)
                    )
                    for key, item in items
                }
                if len(mapping) != len(items):  # a repeated key
                    raise _Unusual
                return mapping
            if node.__class__ is SequenceNode and node.tag == _SEQ_TAG:
                values += len(items)
                return [
                    item.value
                    if item.__class__ is ScalarNode and item.tag == STR_TAG
                    else build(item)
                    for item in items
                ]
            raise _Unusual

        def unusual() -> str:
            raise _Unusual

        data = build(root)
        if values > MAX_NODES:
            raise _Unusual
        return data


def _guarded(
    construct: Callable[[Any, Any], Any], what: str
) -> Callable[[_Loader, ScalarNode], Any]:
    """Turn a scalar constructor's Python error (e.g. date 2024-02-30) into a located problem."""

    def guarded(loader: _Loader, node: ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, LookupError, AttributeError, TypeError, OverflowError) as exc:
            raise _Problem(
                f"{_shorten(str(node.value))!r} cannot be read as {what} ({exc})",
                _line(node),
                f"{what}, or the value in quotes to keep it as text",
            ) from None

    return guarded


for _tag, _what in {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "timestamp": "a date (YYYY-MM-DD) or date-time",
    "binary": "base64 data",
}.items():
    _full_tag = f"tag:yaml.org,2002:{_tag}"
    _stock = yaml.constructor.SafeConstructor.yaml_constructors[_full_tag]
    _Loader.add_constructor(_full_tag, _guarded(_stock, _what))


def _bad_key(key: object, key_node: Node, mapping_node: MappingNode) -> _Problem:
    if isinstance(key_node, ScalarNode):
        message = f"mapping key {_shorten(key_node.value)!r} is read as {_kind(key)}, not as text"
    else:
        message = f"mapping key is {_kind(key)}, not text"
    expected = 'text keys; put the key in quotes, e.g. "no":'
    return _Problem(message, _line(key_node), expected, mapping=mapping_node)


def _duplicate_key(key: str, key_node: Node, mapping_node: MappingNode) -> _Problem:
    first = next(
        (_line(k) for k, _ in mapping_node.value if isinstance(k, ScalarNode) and k.value == key),
        _line(key_node),
    )
    return _Problem(
        f"duplicate key {_shorten(key)!r} (first at line {first})",
        _line(key_node),
        "each key only once in a mapping",
        mapping=mapping_node,
        key=key,
    )


# Aliases need an anchor, i.e. "&" at the start of a token followed by its name. No token that
# ends in a letter, digit or "_" can be directly followed by another one (plain scalars and
# tags take the "&" in; anchors, aliases and directives must be followed by a space or an
# indicator), so "R&D" or "Power & Light" cannot define one. Any other "&" might. (The
# pattern starts with the "&" itself so that the regex engine can skip ahead to it quickly.)
_MAY_BE_ANCHOR = re.compile(r"&(?<!\w&)[^ \t\r\n]")


def _load_yaml(text: str, path: Path) -> Any:
    """Parse YAML text, refusing what an answers file must not contain (see the module doc)."""
    data = read_plain_yaml(text, MAX_DEPTH, MAX_NODES)
    if data is not None:  # written in the plain block style: read without libyaml
        return data
    _check_yaml_depth(text, path)
    try:
        data, checked = _construct_yaml(text)
    except _Problem as problem:
        _refuse_other_kind_of_text(text, path)
        raise InputError.single(
            path,
            problem.message,
            line=problem.line,
            field=_problem_field(text, problem),
            expected=problem.expected,
        ) from None
    except yaml.YAMLError as exc:
        _refuse_other_kind_of_text(text, path)
        raise _yaml_error(path, text, exc) from None
    except RecursionError:  # cannot happen after the depth check; refuse rather than crash
        raise _too_deep(path, None) from None
    if data is None and _yaml_is_empty(text):
        raise InputError.single(path, "the file is empty", expected=_EXPECTED_CONTENT)
    if not checked:
        _walk(data, path)
    return data


def _construct_yaml(text: str) -> tuple[Any, bool]:
    """The document in ``text``, and whether its values were already counted and checked."""
    loader = (_StrictLoader if _MAY_BE_ANCHOR.search(text) else _FastLoader)(text)
    # The composed nodes are garbage once the document is built, and reference counting frees
    # them; their allocation would set off the cyclic garbage collector again and again for
    # nothing, so it is paused meanwhile (it then sees only the objects that survive).
    collecting = gc.isenabled()
    gc.disable()
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
        if collecting:
            gc.enable()
    return data, isinstance(loader, _FastLoader) and loader.checked


def _problem_field(text: str, problem: _Problem) -> str | None:
    """Name the location of a problem found while constructing (error path only)."""
    if problem.mapping is None:
        return None
    start = problem.mapping.start_mark.index
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return None
    for location, node, _line_number in _yaml_nodes(root):
        if isinstance(node, MappingNode) and node.start_mark.index == start:
            return format_location(location if problem.key is None else (*location, problem.key))
    return None


def _yaml_is_empty(text: str) -> bool:
    """True if the text holds no document, or only a bare "---"."""
    try:
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return False
    return node is None or (isinstance(node, ScalarNode) and node.value == "" and not node.style)


@functools.cache
def _long_prefix(width: int) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Patterns for a line starting with ``width`` characters that may be block prefix."""
    # The "\n" literal lets the regex engine skip ahead quickly (a character class does not).
    return re.compile(f"[ \\t?:-]{{{width}}}"), re.compile(f"\\n[ \\t?:-]{{{width}}}")


def _has_long_prefix(text: str, width: int) -> bool:
    for line_break in _OTHER_LINE_BREAKS:  # libyaml also breaks lines at these
        if line_break in text:
            text = text.replace(line_break, "\n")
    first_line, other_lines = _long_prefix(width)
    return first_line.match(text) is not None or other_lines.search(text) is not None


def _check_yaml_depth(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH without composing the document.

    Cheap bound first, in C-level scans only. Flow depth is at most the number of "[" and "{".
    libyaml opens block collections at strictly increasing columns, plus at most one
    "indentless" list per level, so block depth is at most 2 * (widest + 1), where widest is
    the column of the first token on a line after indentation and compact indicators such as
    "- - " or "? " (only such a token can open a block collection). A line whose first
    ``width`` characters are all spaces, tabs, "-", "?" or ":" is therefore the only way to
    reach ``widest >= width``. Only when the bound is too high, or the text is big enough to
    hold too many values, are libyaml's parse events counted instead: exact and iterative.
    """
    width = (MAX_DEPTH - text.count("[") - text.count("{")) // 2
    if len(text) < _EVENT_SCAN_FROM and width > 0 and not _has_long_prefix(text, width):
        return
    _count_yaml_events(text, path)


def _count_yaml_events(text: str, path: Path) -> None:
    """Refuse deep nesting and too many values from parse events, before composing.

    Composing creates a Python object per node and resolves every scalar's type in Python,
    about five times slower than parsing; a hostile 1 MiB file is refused here in a fraction
    of the time its full load would take.
    """
    depth = nodes = 0
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.NodeEvent):  # a scalar, alias or start of a collection
                nodes += 1
                if nodes > MAX_NODES:
                    raise _too_many(path, _line_of_mark(event.start_mark))
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_DEPTH:
                        raise _too_deep(path, _line_of_mark(event.start_mark))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _yaml_error(path, text, exc) from None


class _Mark(Protocol):
    line: int  # 0-based


def _line_of_mark(mark: _Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None


def _yaml_error(path: Path, text: str, exc: yaml.YAMLError) -> InputError:
    if isinstance(exc, yaml.reader.ReaderError):
        bad = _NOT_PRINTABLE.search(text)
        if bad is not None:
            return InputError.single(
                path,
                f"character U+{ord(bad.group()):04X} is not allowed in YAML",
                line=text.count("\n", 0, bad.start()) + 1,
                expected="printable text (no control characters other than tab and line breaks)",
            )
    if not isinstance(exc, yaml.MarkedYAMLError):
        return InputError.single(path, f"invalid YAML: {' '.join(str(exc).split())}")
    line = _line_of_mark(exc.problem_mark or exc.context_mark)
    if exc.problem == "exceeded maximum nesting depth":  # libyaml >= 0.2.6 stops at 1000
        return _too_deep(path, line)
    if isinstance(exc, yaml.composer.ComposerError) and exc.problem == "but found another document":
        return InputError.single(
            path,
            "more than one YAML document in the file (a second one starts here)",
            line=line,
            expected="a single document",
        )
    if isinstance(exc, yaml.constructor.ConstructorError):
        tag = _UNKNOWN_TAG.search(exc.problem or "")
        if tag is not None:
            shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            return InputError.single(
                path, f"unsupported YAML tag {shown}", line=line, expected="values without tags"
            )
        return InputError.single(path, f"unsupported YAML: {exc.problem}", line=line)
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        context_line = _line_of_mark(exc.context_mark) or line
        where = f" at line {context_line}" if context_line != line else ""
        message += f" ({exc.context}{where})"
    return InputError.single(path, message, line=line)


def _yaml_lines(text: str) -> dict[Location, int]:
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return {}
    return {location: line for location, _node, line in _yaml_nodes(root)}


def _yaml_nodes(root: Node | None) -> Iterator[tuple[Location, Node, int]]:
    """Every (location, node, line) of a composed document, walked without recursion."""
    if root is None:
        return
    seen: set[int] = set()
    stack: list[tuple[Location, Node, int]] = [((), root, _line(root))]
    while stack:
        location, node, line = stack.pop()
        yield location, node, line
        if id(node) in seen:  # never expand an alias twice
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in reversed(node.value):
                if isinstance(key_node, ScalarNode):
                    stack.append(((*location, key_node.value), value_node, _line(key_node)))
        elif isinstance(node, SequenceNode):
            for index in range(len(node.value) - 1, -1, -1):
                item = node.value[index]
                stack.append(((*location, index), item, _line(item)))


# --- JSON -----------------------------------------------------------------------------------

_JSON_SPECIAL = re.compile(r'[\[\]{}"\\]')
_JSON_KEY_END = re.compile(r'"\s*:')
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,\n]|[^\s\[\]{}:,"]+')


def _load_json(text: str, path: Path) -> Any:
    if not text.strip(" \t\r\n"):
        raise InputError.single(path, "the file is empty", expected=_EXPECTED_CONTENT)
    _check_json_depth(text, path)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InputError.single(
            path, f"invalid JSON at column {exc.colno}: {exc.msg}", line=exc.lineno
        ) from None


def _check_json_depth(text: str, path: Path) -> None:
    """Refuse nesting deeper than MAX_DEPTH, before parsing, in one linear pass."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth, in_string, skip_to = 0, False, -1
    for match in _JSON_SPECIAL.finditer(text):
        position = match.start()
        if position < skip_to:  # the character after a backslash is escaped
            continue
        char = match.group()
        if in_string:
            if char == "\\":
                skip_to = position + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(path, text.count("\n", 0, position) + 1)
        elif char in "]}":
            depth -= 1


def _check_json_duplicates(text: str, parsed_keys: int, path: Path) -> None:
    """orjson keeps the last of duplicate keys silently: compare key counts to notice.

    Every key ends with '"' and ':', so the regex count is never lower than the number of keys
    written; only when it exceeds the keys parsed is the slower scanner run to find one.
    """
    if len(_JSON_KEY_END.findall(text)) <= parsed_keys:
        return
    duplicate = _scan_json(text).duplicate
    if duplicate is not None:
        location, line, first = duplicate
        raise InputError.single(
            path,
            f"duplicate key {_shorten(str(location[-1]))!r} (first at line {first})",
            line=line,
            field=format_location(location),
            expected="each key only once in a mapping",
        )


@dataclass
class _JsonFrame:
    location: Location
    is_list: bool
    index: int = 0


@dataclass
class _JsonScan:
    lines: dict[Location, int]
    duplicate: tuple[Location, int, int] | None  # location, its line, line of the first one


def _scan_json(text: str) -> _JsonScan:
    """Map every location of a valid JSON text to its line; note the first duplicate key."""
    lines: dict[Location, int] = {}
    duplicate: tuple[Location, int, int] | None = None
    stack: list[_JsonFrame] = []
    pending: Location = ()  # location of the value that the next value token starts
    expect_key = False
    line = 1
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == "\n":
            line += 1
        elif first == ":":
            continue
        elif first == ",":
            if stack and stack[-1].is_list:
                stack[-1].index += 1
                pending = (*stack[-1].location, stack[-1].index)
            else:
                expect_key = True
        elif first in "]}":
            if stack:
                stack.pop()
            expect_key = False
        elif expect_key and stack:
            location = (*stack[-1].location, _json_string(token))
            if location in lines:
                duplicate = duplicate or (location, line, lines[location])
            else:
                lines[location] = line
            pending, expect_key = location, False
        else:
            lines.setdefault(pending, line)  # an object member keeps its key's line
            if first == "[":
                stack.append(_JsonFrame(pending, is_list=True))
                pending = (*pending, 0)
            elif first == "{":
                stack.append(_JsonFrame(pending, is_list=False))
                expect_key = True
    return _JsonScan(lines, duplicate)


def _json_string(token: str) -> str:
    try:
        value = json.loads(token)
    except ValueError:
        return token
    return value if isinstance(value, str) else token
