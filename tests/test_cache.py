import dataclasses
import io
import json
import pickle
import shutil
import sqlite3
from contextlib import redirect_stderr
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import harness.evaluation.result_cache as cache_module
from harness.config import Config
from harness.evaluation.records import CandidateResult
from harness.evaluation.result_cache import NotCacheable, ResultCache, candidate_key, from_plain, story_key, to_plain
from harness.ingest import load_stories
from harness.judges.contract import Judgement
from harness.reading.claims import Claim
from harness.report.tables import candidate_rows, claim_rows, run_document
from harness.run.pipeline import run
from harness.runtime.cross_encoders import PairCache
from harness.runtime.embeddings import Embedder, EmbeddingCache, declared_dimension
from harness.store import code_fingerprint, open_cache_db

GARBAGE = b"this is not an SQLite file \x00\xff" * 300


class Exploit:
    """A pickle payload that creates a file when unpickled: what a crafted cache row could do to pickle."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_keys_change_with_everything_a_result_depends_on(story, candidate_docs):
    config = Config()
    base = story_key(story, config)
    assert story_key(story, config) == base and len(code_fingerprint()) == 64
    assert story_key(story, replace(config, judge="calibrated")) != base
    assert story_key(story, replace(config, top_k=5)) != base
    assert story_key(story, replace(config, reports="elsewhere")) == base  # where reports go changes nothing
    doc = candidate_docs["digest"]
    assert candidate_key(base, doc) != candidate_key(base, replace(doc, text=doc.text + " "))
    assert candidate_key(base, doc) != candidate_key(story_key(replace(story, date="2026-01-10"), config), doc)


@pytest.fixture(scope="module")
def planted(config, tmp_path_factory):
    """Two runs over a cache whose embedding file is garbage and whose result table holds, at the very keys
    the run looks up, pickle payloads that would create a marker file if anything unpickled them."""
    cache = tmp_path_factory.mktemp("planted")
    fresh = replace(config, cache=str(cache))
    (cache / "embeddings").mkdir()
    (cache / "embeddings" / "embeddings.sqlite3").write_bytes(GARBAGE)
    marker = cache / "pickle-was-executed"
    control = cache / "control-marker"
    pickle.loads(pickle.dumps(Exploit(control)))  # the payload is live: unpickling it does create its file
    stories, _ = load_stories(Path(fresh.gold), Path(fresh.candidates), fresh.max_file_mb)
    keys = [candidate_key(story_key(s, fresh), d) for s in stories for d in s.candidates]
    (cache / "results").mkdir()
    db = sqlite3.connect(cache / "results" / "results.sqlite3")
    with db:
        db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, value BLOB)")
        db.executemany("INSERT INTO results VALUES (?, ?)", [(k, pickle.dumps(Exploit(marker))) for k in keys])
    db.close()
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        first = run(fresh, quiet=True)
    second = run(fresh, quiet=True)
    return SimpleNamespace(
        config=fresh,
        cache=cache,
        marker=marker,
        control=control,
        keys=keys,
        first=first,
        second=second,
        stderr=stderr.getvalue(),
    )


def test_a_run_from_another_folder_reads_the_same_results_with_its_own_paths(planted, monkeypatch):
    """The result key holds no path: `candidates/x.txt` and `/abs/candidates/x.txt` are one candidate."""
    root = Path(planted.config.gold).parent
    monkeypatch.chdir(root)
    relative = run(replace(planted.config, gold="gold", candidates="candidates"), quiet=True)
    assert relative.cache["candidates_from_cache"] == len(planted.keys) > 0
    assert sorted(r.path for r in relative.results) == sorted(
        str(Path(r.path).relative_to(root)) for r in planted.second.results
    )
    assert [r.document.path for r in relative.results] == [r.path for r in relative.results]
    assert [r.metrics for r in relative.results] == [r.metrics for r in planted.second.results]


def test_crafted_pickle_rows_are_never_executed(planted):
    assert planted.control.exists() and len(planted.keys) == 3
    assert not planted.marker.exists()
    assert planted.first.cache["candidates_from_cache"] == 0  # the planted rows were misses: all recomputed
    assert [r.error for r in planted.first.results] == ["", "", ""]
    stored = (
        sqlite3.connect(planted.cache / "results" / "results.sqlite3").execute("SELECT value FROM results").fetchall()
    )
    assert len(stored) == 3 and all(isinstance(json.loads(v), list) for (v,) in stored)  # replaced by JSON


def test_cached_results_equal_fresh_ones_down_to_the_reports(planted, config):
    first, second = planted.first, planted.second
    assert second.cache["candidates_from_cache"] == 3 and second.cache["embeddings_computed"] == 0
    assert second.results == first.results  # every dataclass, field by field
    assert isinstance(second.results[0], CandidateResult) and isinstance(second.results[0].judgements[0], Judgement)
    assert repr(claim_rows(run_document(second, "r"))) == repr(claim_rows(run_document(first, "r")))  # float32 shows
    assert repr(candidate_rows(second)) == repr(candidate_rows(first))
    no_cache = run(planted.config, quiet=True, use_cache=False)
    assert no_cache.cache["candidates_from_cache"] == 0
    assert repr(claim_rows(run_document(no_cache, "r"))) == repr(claim_rows(run_document(first, "r")))
    assert no_cache.results == first.results


def test_garbage_cache_file_is_set_aside_and_the_run_works(planted):
    path = planted.cache / "embeddings" / "embeddings.sqlite3"
    assert f"cache file {path} is damaged" in planted.stderr
    aside = list(path.parent.glob("embeddings.sqlite3.damaged-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == GARBAGE
    assert planted.first.cache["embeddings_computed"] > 0 and all(r.ok for r in planted.first.results)


def test_result_rows_that_do_not_fit_are_misses(tmp_path, planted):
    cache = ResultCache(tmp_path, CandidateResult)
    good = planted.first.results[0]
    plain = to_plain(good)
    wrong_type = json.loads(json.dumps(plain))
    wrong_type[_position(CandidateResult, "claims")][0][_position(Claim, "start")] = "0"
    object_array = list(plain)
    object_array[_position(CandidateResult, "metrics")] = {"x": {"__ndarray__": "|O", "shape": [1], "data": [1]}}
    rows = {
        "bytes": b"\x00\xff",
        "not json": "{",
        "list": "[]",
        "wrong type": json.dumps(wrong_type),
        "missing field": json.dumps(plain[:-1]),
        "extra field": json.dumps([*plain, "rm -rf /"]),
        "object array": json.dumps(object_array),
        "format 1": json.dumps(_by_name(good)),  # a row as the previous format stored it
        "deep": "[" * 100000 + "]" * 100000,
    }
    with cache.db:
        cache.db.executemany("INSERT INTO results VALUES (?, ?)", rows.items())
    assert {k: cache.get(k) for k in rows} == {k: None for k in rows} and cache.hits == 0
    cache.put("good", good)
    assert cache.get("good") == good and cache.hits == 1
    generic = ResultCache(tmp_path / "generic")
    generic.put("k", {"a": 1})
    assert generic.get("k") == {"a": 1}


def _position(cls: type, name: str) -> int:
    """Where a field sits in a stored dataclass (the list of its init fields)."""
    return [f.name for f in dataclasses.fields(cls) if f.init].index(name)


def _by_name(value: Any) -> Any:
    """A result as cache format 1 stored it: dataclasses as dicts by field name."""
    if dataclasses.is_dataclass(value):
        return {f.name: _by_name(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
    if isinstance(value, list):
        return [_by_name(v) for v in value]
    if isinstance(value, dict):
        return {k: _by_name(v) for k, v in value.items()}
    return to_plain(value)


def test_the_storage_format_is_part_of_the_key(story, monkeypatch):
    """Rows of another format are looked up under other keys: misses, never misread."""
    before = story_key(story, Config())
    monkeypatch.setattr(cache_module, "FORMAT", cache_module.FORMAT + 1)
    assert story_key(story, Config()) != before


def test_dataclasses_are_stored_as_lists_and_checked_field_by_field():
    judgement = Judgement("supported", 0.5, [], "because", 0.9, None, "premise")
    assert to_plain(judgement) == ["supported", 0.5, [], "because", 0.9, None, "premise"]
    assert from_plain(["supported", 0.5, [], "because", 0.9, None, "premise"], Judgement) == judgement
    assert from_plain(["supported", None, [], "", None, None, ""], Judgement).p_support is None
    for bad in (
        ["supported", "0.5", [], "", None, None, ""],  # a string for a float
        ["supported", True, [], "", None, None, ""],  # a bool for a float
        ["supported", 0.5, [], "", None, None, ""] + [""],  # one field too many
        ["supported", 0.5, [], ""],  # fields missing (a result stored before the NLI reader's fields)
        ["supported", 0.5, [{"check": "x"}], "", None, None, ""],  # a check that is not a CheckResult
        {"verdict": "supported", "p_support": 0.5, "checks": [], "reason": ""},  # format 1
    ):
        with pytest.raises(NotCacheable):
            from_plain(bad, Judgement)


def test_numpy_values_and_tuples_keep_their_types():
    value = {
        "f32": np.float32(0.1),
        "f64": np.float64(0.2),
        "i": np.int64(3),
        "vec": np.arange(6, dtype=np.float32).reshape(2, 3),
        "pair": (1, "a"),
        "plain": [1.5, None, True],
    }
    back = from_plain(json.loads(json.dumps(to_plain(value))), dict[str, Any])
    assert {k: type(v) for k, v in back.items()} == {k: type(v) for k, v in value.items()}
    assert back["f32"] == value["f32"] and back["vec"].dtype == np.float32 and (back["vec"] == value["vec"]).all()
    assert back["pair"] == (1, "a") and back["plain"] == [1.5, None, True]
    with pytest.raises(TypeError):
        to_plain(np.array([object()]))
    with pytest.raises(NotCacheable):
        from_plain({"__numpy__": "|O", "value": 1}, Any)
    with pytest.raises(NotCacheable):
        from_plain(True, int)


CACHES = {
    "results": (ResultCache, lambda c: c.put("k", {"a": 1}), lambda c: c.get("k") == {"a": 1}),
    "embeddings": (
        EmbeddingCache,
        lambda c: c.put_many({"k": np.full(4, 0.5, np.float32)}),
        lambda c: list(c.get_many(["k"], 4)) == ["k"],
    ),
    "pairs": (PairCache, lambda c: c.put_many({"k": 0.5}), lambda c: c.get_many(["k"]) == {"k": 0.5}),
}


def _truncate(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("CREATE TABLE filler (x BLOB)")
        db.executemany("INSERT INTO filler VALUES (?)", [(bytes(2000),)] * 200)
    db.close()
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _wrong_schema(path: Path) -> None:
    path.unlink()
    db = sqlite3.connect(path)
    table = {"results.sqlite3": "results", "embeddings.sqlite3": "emb", "pairs.sqlite": "pairs"}[path.name]
    db.execute(f"CREATE TABLE {table} (a TEXT, b TEXT, c TEXT)")
    db.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong schema"])
@pytest.mark.parametrize("name", sorted(CACHES))
def test_damaged_cache_files_are_set_aside_with_a_warning(tmp_path, capsys, name, damage):
    make, put, check = CACHES[name]
    path = make(tmp_path).path
    {"garbage": lambda p: p.write_bytes(GARBAGE), "truncated": _truncate, "wrong schema": _wrong_schema}[damage](path)
    damaged = path.read_bytes()
    cache = make(tmp_path)
    err = capsys.readouterr().err
    assert f"cache file {path} is damaged" in err
    aside = list(tmp_path.glob(f"{path.name}.damaged-*"))
    assert [p.read_bytes() for p in aside] == [damaged]
    put(cache)
    assert check(cache) and check(make(tmp_path))  # a fresh, working cache in its place
    assert capsys.readouterr().err == ""  # and it is not set aside again


def test_a_healthy_cache_is_kept(tmp_path, capsys):
    cache = PairCache(tmp_path)
    cache.put_many({"k": 0.25})
    assert PairCache(tmp_path).get_many(["k"]) == {"k": 0.25}
    assert capsys.readouterr().err == "" and not list(tmp_path.glob("*.damaged-*"))


def test_unusable_cache_folder_means_no_cache_not_a_crash(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    cache = EmbeddingCache(blocker / "embeddings")
    assert cache.db is None and cache.get_many(["k"], 4) == {}
    cache.put_many({"k": np.full(4, 0.5, np.float32)})
    assert "cannot be used" in capsys.readouterr().err
    assert open_cache_db(tmp_path / "x.sqlite", "t", (("key", "TEXT"),)) is not None


class Failing:
    """A connection whose reads or writes fail like a damaged file or a full disk (root ignores chmod)."""

    def __init__(self, db: sqlite3.Connection, fail_on: str, error: sqlite3.Error):
        self.db, self.fail_on, self.error = db, fail_on, error

    def _check(self, sql: str) -> None:
        if sql.lstrip().upper().startswith(self.fail_on):
            raise self.error

    def execute(self, sql, *args):
        self._check(sql)
        return self.db.execute(sql, *args)

    def executemany(self, sql, *args):
        self._check(sql)
        return self.db.executemany(sql, *args)

    def __enter__(self):
        return self.db.__enter__()

    def __exit__(self, *exc):
        return self.db.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self.db, name)


def test_read_errors_are_misses_with_one_warning(tmp_path, capsys):
    cache = ResultCache(tmp_path)
    cache.put("k", {"a": 1})
    cache.db = Failing(cache.db, "SELECT", sqlite3.DatabaseError("database disk image is malformed"))
    assert cache.get("k") is None and cache.get("k") is None
    err = capsys.readouterr().err
    assert err.count(f"cache file {cache.path} could not be read") == 1


def test_failed_writes_warn_once_and_stop(tmp_path, capsys):
    cache = EmbeddingCache(tmp_path)
    cache.db = Failing(cache.db, "INSERT", sqlite3.OperationalError("database or disk is full"))
    cache.put_many({"a": np.full(4, 0.5, np.float32)})
    cache.put_many({"b": np.full(4, 0.5, np.float32)})
    err = capsys.readouterr().err
    assert err.count(f"cache file {cache.path} could not be written (database or disk is full)") == 1
    assert not cache.writable


def test_disk_full_is_a_warning_not_a_candidate_error(planted, tmp_path, monkeypatch, capsys):
    shutil.copytree(
        planted.cache / "embeddings", tmp_path / "embeddings"
    )  # embeddings cached: only results are written
    connect = sqlite3.connect
    monkeypatch.setattr(
        sqlite3,
        "connect",
        lambda *a, **k: Failing(connect(*a, **k), "INSERT", sqlite3.OperationalError("database or disk is full")),
    )
    result = run(replace(planted.config, cache=str(tmp_path)), quiet=True)
    assert [r.error for r in result.results] == ["", "", ""] and result.results == planted.first.results
    results_file = tmp_path.resolve() / "results" / "results.sqlite3"
    assert capsys.readouterr().err.count(f"cache file {results_file} could not be written") == 1
    monkeypatch.undo()
    assert ResultCache(tmp_path / "results", CandidateResult).get(planted.keys[0]) is None  # nothing was stored


def test_wrong_length_or_non_finite_vectors_are_recomputed(embedder, tmp_path):
    """Also zeros and huge values: finite, right length, but not the unit vectors the embedder stores."""
    texts = [
        "A sentence only the cache tests embed.",
        "Another sentence only the cache tests embed.",
        "A third sentence only the cache tests embed.",
        "A fourth sentence only the cache tests embed.",
    ]
    first = Embedder(embedder.model_name, tmp_path)
    first._model = embedder.model  # the loaded model, not a second copy
    vectors = first.encode(texts)
    assert first.computed == 4 and vectors.shape[1] == first.dimension == 384
    assert declared_dimension(first.load_target) == first.dimension
    short, broken = first.key(texts[0]), first.key(texts[1])
    with first.cache.db:
        first.cache.db.execute("UPDATE emb SET vec = ? WHERE key = ?", (vectors[0][:-1].tobytes(), short))
        first.cache.db.execute(
            "UPDATE emb SET vec = ? WHERE key = ?", (np.full(vectors.shape[1], np.nan, np.float32).tobytes(), broken)
        )
        for text, value in ((texts[2], 0.0), (texts[3], 1e30)):
            first.cache.db.execute(
                "UPDATE emb SET vec = ? WHERE key = ?",
                (np.full(vectors.shape[1], value, np.float32).tobytes(), first.key(text)),
            )
    second = Embedder(embedder.model_name, tmp_path)
    second._model = embedder.model
    again = second.encode(texts)
    assert second.computed == 4 and second.cached_hits == 0 and np.allclose(again, vectors, atol=1e-6)
    third = Embedder(embedder.model_name, tmp_path)  # the replaced vectors are read back; no model is loaded
    assert np.array_equal(third.encode(texts), again) and third.cached_hits == 4 and third._model is None


def test_pair_probabilities_outside_0_1_are_misses(tmp_path):
    cache = PairCache(tmp_path)
    rows = [
        ("ok", 0.25),
        ("one", 1.0),
        ("high", 1.5),
        ("low", -0.1),
        ("inf", float("inf")),
        ("nan", float("nan")),
        ("text", "half"),
        ("blob", b"\x00"),
    ]
    with cache.db:
        cache.db.executemany("INSERT INTO pairs VALUES (?, ?)", rows)
    assert cache.get_many([k for k, _ in rows]) == {"ok": 0.25, "one": 1.0}


def test_result_commits_do_not_wait_for_the_disk(tmp_path):
    """One transaction per candidate: an fsync each cost seconds per hundred candidates on a busy disk."""
    cache = ResultCache(tmp_path)
    assert cache.db.execute("PRAGMA synchronous").fetchone() == (0,)
    cache.put("k", {"a": 1})
    assert ResultCache(tmp_path).get("k") == {"a": 1}
