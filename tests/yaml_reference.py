"""The reference a YAML fast path is compared with: the stock PyYAML path, as before any."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from yaml.resolver import BaseResolver

from gapcheck import loading
from gapcheck.errors import InputError
from gapcheck.loading import parse_document


@contextlib.contextmanager
def stock_path() -> Iterator[None]:
    """Parse as before the fast paths: libyaml, stock tag resolution and constructor, then
    _walk."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loading, "_MAY_BE_ANCHOR", re.compile(""))  # always the strict loader
        patch.setattr(loading, "read_plain_yaml", lambda *_: None)  # never the plain reader
        for name in ("resolve", "descend_resolver", "ascend_resolver"):
            patch.setattr(loading._Loader, name, getattr(BaseResolver, name))
        yield


def typed(value: Any) -> Any:
    """``value`` as a comparable tree that tells 1, 1.0 and True apart and keeps key order."""
    if isinstance(value, dict):
        return ("dict", [(typed(key), typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    if isinstance(value, dt.datetime):  # repr() shows the tzinfo too
        return ("datetime", repr(value))
    return (type(value).__name__, repr(value))


def outcome(raw: bytes, name: str = "answers.yaml") -> tuple[str, Any]:
    try:
        document = parse_document(raw, Path(name))
    except InputError as error:
        return ("error", (str(error), error.problems))
    return ("ok", typed(document.data))


def assert_same_as_stock(text: str) -> tuple[str, Any]:
    raw = text.encode()
    fast = outcome(raw)
    with stock_path():
        stock = outcome(raw)
    assert fast == stock
    if fast[0] == "ok":  # and the values are the plain CSafeLoader's
        assert fast[1] == typed(yaml.load(text, Loader=yaml.CSafeLoader))
    return fast
