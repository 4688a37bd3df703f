"""run.json's text: exactly what `json.dumps(value, indent=2, ensure_ascii=False, default=...)` writes, faster.

On this Python, `json.dumps` with `indent` never uses the C encoder: it falls back to a pure-Python encoder
built from nested generators, which took about 11 s for a 1,000-candidate run.json. This writer is a plain
recursive function appending to one list; strings are escaped by the C escaper json itself uses, so the
bytes are the same (tested against `json.dumps` in tests/test_report_json.py).
"""

from __future__ import annotations

from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring  # json's C encoder; its escaper for ensure_ascii=False
from typing import Any, Callable

INDENT = "  "


def dumps_indented(value: Any, default: Callable[[Any], Any]) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False, default=default)`, byte for byte."""
    parts: list[str] = []
    _write(value, parts, "\n", default)
    return "".join(parts)


def _float(value: float) -> str:
    """A float as json writes it (NaN and infinities as JavaScript spells them, as json.dumps does)."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    """A dict key as json writes it: strings as they are, scalars converted the way json.dumps converts them."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True or key is False or key is None:
        return {True: "true", False: "false", None: "null"}[key]
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _scalar(value: Any) -> str | None:
    """The JSON of a str, None, bool, int or float (in json's order of tests: bool before int, float
    subclasses such as numpy's float64 as floats); None for anything else."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    return None


def _write(value: Any, parts: list[str], newline: str, default: Callable[[Any], Any]) -> None:
    """Append `value`'s JSON to `parts`; `newline` is a line break plus the current indentation. Scalars in
    a container are written inline, without a call each (most of a run.json is scalars)."""
    scalar = _scalar(value)
    if scalar is not None:
        parts.append(scalar)
    elif isinstance(value, (list, tuple)):
        if not value:
            parts.append("[]")
            return
        inner = newline + INDENT
        separator = "[" + inner
        for item in value:
            _member(separator, item, parts, inner, default)
            separator = "," + inner
        parts.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            parts.append("{}")
            return
        inner = newline + INDENT
        if all(type(item) in _PLAIN for item in value.values()) and all(type(key) is str for key in value):
            parts.append("{" + inner + _flat_encoder(inner)(value)[1:-1] + newline + "}")
            return
        separator = "{" + inner
        for key, item in value.items():
            _member(
                separator + encode_basestring(key if type(key) is str else _key(key)) + ": ",
                item,
                parts,
                inner,
                default,
            )
            separator = "," + inner
        parts.append(newline + "}")
    else:
        _write(default(value), parts, newline, default)


def _member(prefix: str, item: Any, parts: list[str], inner: str, default) -> None:
    """One list item or dict value after its prefix (separator, and key): a scalar inline, else nested."""
    scalar = _scalar(item) if type(item) not in _CONTAINERS else None
    if scalar is None:
        parts.append(prefix)
        _write(item, parts, inner, default)
    else:
        parts.append(prefix + scalar)


_CONTAINERS = (dict, list)
_PLAIN = {str, int, float, bool, type(None)}


@lru_cache(maxsize=None)
def _flat_encoder(inner: str) -> Callable[[Any], str]:
    """json's C encoder with items separated by `inner` (a line break and indentation): for a dict of plain
    scalars its output is the indented form but for the line breaks after `{` and before `}`. Most of a
    run.json is such dicts (checks, evidence, metrics), and the C encoder is many times faster."""
    encoder = c_make_encoder(None, None, encode_basestring, None, ": ", "," + inner, False, False, True)
    return lambda value: "".join(encoder(value, 0))
