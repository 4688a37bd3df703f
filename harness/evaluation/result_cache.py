"""A cache of whole candidate results, so an unchanged candidate is never evaluated twice (the SQLite
plumbing it shares with the other caches is harness.store).

The key covers everything a result depends on: the candidate's text and identity, the story's
references, date and key facts, the scoring settings, the judge's parameter file, and a fingerprint of the
harness's own source code (any code change invalidates every entry). Stored in SQLite beside the
embedding cache; an interrupted run leaves it consistent.

A cache file is data the harness did not just compute, so it is never trusted: results are stored as JSON
and rebuilt field by field into the expected dataclasses (never unpickled: a crafted row could run code),
anything that does not fit is a miss, a damaged file is set aside and replaced, and a cache that cannot be
read or written (full disk, read-only folder) costs speed with a warning, never a candidate or the run.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import sqlite3
import types
import typing
from contextlib import closing
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from harness.config import SCORING_FIELDS, SETTINGS, Config
from harness.document import HAND_WRITTEN, Document, Story
from harness.store import SqliteCache, code_fingerprint

FORMAT = 2  # how results are stored; part of every story key, so rows of another format are misses
# 2: a dataclass is a list of its init fields in order (1 was a dict by field name, rebuilt by a walk of the
#    type hints per value: 10 ms a candidate); each type's decoder is now built once, then only checks values.


def story_key(story: Story, config: Config) -> str:
    payload = {
        "format": FORMAT,
        "code": code_fingerprint(),
        "config": {f: getattr(config, f) for f in SCORING_FIELDS},
        "date": story.date,
        "story": story.story_id,
        "references": [(r.doc_id, r.text) for r in story.references],
        # the hand-written facts: the others follow from the summaries, the references and the code, all in the
        # key, so the key is the same before and after harness.evaluation.keyfacts completes them
        "key_facts": [(f.fact_id, f.text, f.weight, f.must_mention) for f in story.key_facts if f.kind == HAND_WRITTEN],
        "summaries": [(s.doc_id, s.text) for s in story.summaries],
        "named_files": named_file_digests(config),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def named_file_digests(config: Config) -> dict[str, str]:
    """Digests of the files and folders the config names whose contents change results (a judge's combiner or
    parameter file, a model folder): the key holds their paths, and a file refitted in place must be a miss too.
    A file is hashed whole; a folder by its files' names, sizes and modification times (a model folder is large)."""
    named = [*(getattr(config, s.name) for s in SETTINGS if s.model), *config.judge_options.values()]
    digests = {}
    for value in named:
        if not isinstance(value, str) or not value:
            continue
        path = Path(value).expanduser()
        try:
            if path.is_file():
                digests[value] = hashlib.sha256(path.read_bytes()).hexdigest()
            elif path.is_dir():
                listing = sorted(
                    (str(f.relative_to(path)), f.stat().st_size, f.stat().st_mtime_ns)
                    for f in path.rglob("*")
                    if f.is_file()
                )
                digests[value] = hashlib.sha256(json.dumps(listing).encode()).hexdigest()
        except OSError:
            continue  # unreadable: the judge or model loader reports it
    return digests


def candidate_key(story_hash: str, doc: Document) -> str:
    """A candidate's result key: its story, name, system, format and text. Not its path, which changes with
    the folder a run starts in (`candidates/` or `/abs/candidates/`) while the result does not; a cached
    result is given the current document and path when it is read (`pipeline.evaluate_story`)."""
    payload = [story_hash, doc.doc_id, doc.system, doc.format, doc.text]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


# --- dataclasses <-> plain JSON data ---------------------------------------------------------------------


class NotCacheable(ValueError):
    """Stored data that does not rebuild into the expected type: the caller treats it as a cache miss."""


_NDARRAY, _NUMPY, _TUPLE = "__ndarray__", "__numpy__", "__tuple__"  # tags for what JSON has no type for
_TAGS = {_NDARRAY, _NUMPY, _TUPLE}
_NUMERIC_KINDS = "biuf"  # numpy dtypes a cache may hold: never object arrays
_SCALARS: dict[type, tuple[type, ...]] = {
    str: (str,),
    bool: (bool, np.bool_),
    int: (int, np.integer),
    float: (int, float, np.integer, np.floating),
}
_EXACT = {str: (str,), bool: (bool,), int: (int,), float: (int, float)}  # JSON types that fit as they are


@lru_cache(maxsize=None)
def _init_fields(cls: type) -> tuple[str, ...]:
    """The fields a dataclass is built from, in order: what its stored list holds."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def to_plain(value: Any) -> Any:
    """A tree of dataclasses, lists, tuples, str-keyed dicts, numbers and numpy values -> JSON-ready data.
    A dataclass becomes the list of its init fields in order (names are the type's, not the data's).
    numpy values keep their dtype (a float32 prints differently from a float in the reports); anything
    else is refused with TypeError rather than stored in a form that would not come back the same."""
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"cannot cache a numpy array of {value.dtype}")
        return {_NDARRAY: value.dtype.str, "shape": list(value.shape), "data": value.ravel().tolist()}
    if isinstance(value, np.generic):
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"cannot cache a numpy {value.dtype}")
        return {_NUMPY: value.dtype.str, "value": value.item()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [to_plain(getattr(value, name)) for name in _init_fields(type(value))]
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, tuple):
        return {_TUPLE: [to_plain(v) for v in value]}
    if isinstance(value, dict):
        if not all(type(k) is str and k not in _TAGS for k in value):
            raise TypeError("cannot cache a dict whose keys are not plain strings")
        return {k: to_plain(v) for k, v in value.items()}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _numpy(data: dict) -> Any:
    """A tagged numpy value back to its dtype; only numeric dtypes, only the shape it says it has."""
    tag = _NDARRAY if _NDARRAY in data else _NUMPY
    if (
        set(data) != ({_NDARRAY, "shape", "data"} if tag == _NDARRAY else {_NUMPY, "value"})
        or type(data[tag]) is not str
    ):
        raise NotCacheable("malformed numpy value")
    try:
        dtype = np.dtype(data[tag])
    except TypeError as exc:
        raise NotCacheable(f"unknown numpy dtype {data[tag]!r}") from exc
    if dtype.kind not in _NUMERIC_KINDS:
        raise NotCacheable(f"numpy dtype {dtype} is not allowed in a cache")
    if tag == _NUMPY:
        if type(data["value"]) not in (bool, int, float):
            raise NotCacheable("malformed numpy scalar")
        return dtype.type(data["value"])
    shape, values = data["shape"], data["data"]
    if not (
        isinstance(shape, list)
        and all(type(n) is int and n >= 0 for n in shape)
        and isinstance(values, list)
        and all(type(v) in (bool, int, float) for v in values)
        and len(values) == math.prod(shape)
    ):
        raise NotCacheable("malformed numpy array")
    return np.array(values, dtype=dtype).reshape(shape)


def _plain_any(data: Any) -> Any:
    """Decoded JSON where the type hint says nothing (`Any`): plain data, with tagged values restored."""
    if data is None or type(data) in (str, int, float, bool):
        return data
    if isinstance(data, list):
        return [_plain_any(v) for v in data]
    if isinstance(data, dict):
        if _NDARRAY in data or _NUMPY in data:
            return _numpy(data)
        if _TUPLE in data:
            if set(data) != {_TUPLE} or not isinstance(data[_TUPLE], list):
                raise NotCacheable("malformed tuple")
            return tuple(_plain_any(v) for v in data[_TUPLE])
        return {k: _plain_any(v) for k, v in data.items()}
    raise NotCacheable(f"unexpected {type(data).__name__}")


def from_plain(data: Any, hint: Any) -> Any:
    """Rebuild a value of type `hint` from `to_plain` output, checking every field against the type hints
    of the dataclasses it builds; anything that does not fit raises NotCacheable. Only the dataclasses the
    hints name are ever constructed."""
    return _decoder(hint)(data)


Decoder = Callable[[Any], Any]


@lru_cache(maxsize=None)
def _decoder(hint: Any) -> Decoder:
    """The function that rebuilds (and checks) stored data of type `hint`. Built once per type, so decoding
    a value costs only its checks, not a fresh reading of its type hints."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return _plain_any
    if origin in (typing.Union, types.UnionType):
        return _union_decoder(hint, args)
    if dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if hint in _SCALARS:
        return _scalar_decoder(hint)
    container = origin or hint
    if container is list:
        return _list_decoder(_decoder(args[0] if args else Any))
    if container is tuple:
        return _tuple_decoder(args)
    if container is dict:
        return _dict_decoder(_decoder(args[1] if args else Any))
    if hint is np.ndarray:
        return _array_decoder
    return _refuse(f"a cache cannot hold a {hint}")


def _refuse(message: str) -> Decoder:
    def decode(data: Any) -> Any:
        raise NotCacheable(message)

    return decode


def _union_decoder(hint: Any, args: tuple) -> Decoder:
    """None if the union allows it, else the first arm the data fits."""
    optional = type(None) in args
    arms = [_decoder(a) for a in args if a is not type(None)]

    def decode(data: Any) -> Any:
        if data is None and optional:
            return None
        for arm in arms:
            try:
                return arm(data)
            except NotCacheable:
                pass
        raise NotCacheable(f"no arm of {hint} fits")

    return decode


def _dataclass_decoder(cls: type) -> Decoder:
    """A dataclass from the list of its init fields, each checked against its type hint. A plain str, int,
    float or bool field is checked inline (a call per value made decoding twice as slow); anything else,
    a tagged numpy scalar among them, goes through the field's decoder."""
    hints = typing.get_type_hints(cls)
    names = _init_fields(cls)
    fields = [(_EXACT.get(hints.get(name, Any), ()), _decoder(hints.get(name, Any))) for name in names]
    size = len(fields)
    keywords = any(f.kw_only for f in dataclasses.fields(cls) if f.init)

    def decode(data: Any) -> Any:
        if type(data) is not list or len(data) != size:
            raise NotCacheable(f"fields do not match {cls.__name__}")
        values = [value if type(value) in exact else field(value) for (exact, field), value in zip(fields, data)]
        return cls(**dict(zip(names, values))) if keywords else cls(*values)

    return decode


def _scalar_decoder(hint: type) -> Decoder:
    """A str, bool, int or float (a tagged numpy scalar of a fitting kind allowed); never a bool for a number."""
    allowed, numeric = _SCALARS[hint], hint is not bool

    def decode(data: Any) -> Any:
        if type(data) in allowed and not (numeric and type(data) is bool):  # the common case, without a tag
            return data
        value = _plain_any(data) if isinstance(data, dict) else data
        if not isinstance(value, allowed) or (numeric and isinstance(value, (bool, np.bool_))):
            raise NotCacheable(f"expected {hint.__name__}, found {type(value).__name__}")
        return value

    return decode


def _list_decoder(item: Decoder) -> Decoder:
    def decode(data: Any) -> Any:
        if type(data) is not list:
            raise NotCacheable(f"expected a list, found {type(data).__name__}")
        return [item(v) for v in data]

    return decode


def _tuple_decoder(args: tuple) -> Decoder:
    """A tagged tuple: of any length for `tuple[X, ...]` (or a bare tuple), else of exactly the hinted length."""
    variadic = not args or (len(args) == 2 and args[1] is Ellipsis)
    items = [_decoder(args[0] if args else Any)] if variadic else [_decoder(a) for a in args]

    def decode(data: Any) -> Any:
        if type(data) is not dict or set(data) != {_TUPLE} or type(data[_TUPLE]) is not list:
            raise NotCacheable("expected a tuple")
        values = data[_TUPLE]
        if variadic:
            return tuple(items[0](v) for v in values)
        if len(values) != len(items):
            raise NotCacheable("tuple of the wrong length")
        return tuple(item(v) for item, v in zip(items, values))

    return decode


def _dict_decoder(value: Decoder) -> Decoder:
    """A str-keyed dict (JSON keys are always strings); a tagged value is not a dict."""

    def decode(data: Any) -> Any:
        if type(data) is not dict or not _TAGS.isdisjoint(data):
            raise NotCacheable(f"expected a dict, found {type(data).__name__}")
        return {k: value(v) for k, v in data.items()}

    return decode


def _array_decoder(data: Any) -> Any:
    if type(data) is not dict or _NDARRAY not in data:
        raise NotCacheable("expected a numpy array")
    return _numpy(data)


def decode(raw: Any, kind: Any) -> Any:
    """A stored JSON value -> a `kind`, or None for anything else: a miss, never an exception. A stored
    value is outside data (a damaged or crafted file), so every failure to rebuild it means recompute."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        return from_plain(json.loads(text), kind) if isinstance(text, str) else None
    except Exception:  # noqa: BLE001 - whatever the bytes are, the answer is "not cached"
        return None


class ResultCache(SqliteCache):
    """Whole results by key, stored as JSON and rebuilt as `kind` (e.g. CandidateResult)."""

    FILE = "results.sqlite3"

    def __init__(self, folder: Path, kind: Any = Any):
        super().__init__(folder / self.FILE, "results", (("key", "TEXT PRIMARY KEY"), ("value", "BLOB")))
        self.kind = kind
        self.hits = 0
        self._skip_fsync()

    def _skip_fsync(self) -> None:
        """Results are stored one candidate per transaction, and waiting for the disk at each commit cost
        5.8 s per 300 candidates here (0.15 s without). Without it a crash of the program loses nothing;
        a crash of the machine may damage the file, which the check on open then sets aside, and a row
        is validated when read: it costs time, never a result."""
        if self.db is not None:
            try:
                self.db.execute("PRAGMA synchronous = OFF")
            except sqlite3.Error:
                pass  # then commits wait for the disk, as before

    def get(self, key: str) -> Any:
        """The stored value, or None if absent or not a valid `kind` (then it is recomputed and replaced)."""
        rows = self.read("SELECT value FROM results WHERE key = ?", (key,))
        value = decode(rows[0][0], self.kind) if rows else None
        if value is not None:
            self.hits += 1
        return value

    @classmethod
    def empty(cls, folder: Path) -> bool:
        """Whether `folder` holds no stored result (no file, or no row): a cheap, read-only look before a run
        opens the cache. A file that cannot be read counts as empty (opening it later says why)."""
        path = folder / cls.FILE
        if not path.is_file():
            return True
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)) as db:
                return db.execute("SELECT 1 FROM results LIMIT 1").fetchone() is None
        except sqlite3.Error:
            return True

    def holds(self, keys: list[str]) -> bool:
        """Whether every key has a stored row (not decoded: `get` still validates each). A run uses it to
        keep fully cached stories in its own process instead of starting workers for them."""
        found: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            found.update(
                k for (k,) in self.read(f"SELECT key FROM results WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            )
        return found.issuperset(keys)

    def put(self, key: str, value: Any) -> None:
        """Store a value; never raises (a value that cannot be stored, or a failed write, is a warning)."""
        try:
            text = json.dumps(to_plain(value))
        except (TypeError, ValueError, RecursionError) as exc:
            self.warn_once("encode", f"a result could not be stored in cache file {self.path} ({exc})")
            return
        self.write("INSERT OR REPLACE INTO results VALUES (?, ?)", [(key, text)])
