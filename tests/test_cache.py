from dataclasses import replace

from harness.cache import ResultCache, candidate_key, code_fingerprint, story_key
from harness.config import Config
from harness.pipeline import run


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


def test_second_run_reuses_results_and_matches(config, tmp_path):
    fresh = replace(config, cache=str(tmp_path))
    first = run(fresh, quiet=True)
    second = run(fresh, quiet=True)
    assert first.cache["candidates_from_cache"] == 0 and second.cache["candidates_from_cache"] == 3
    for a, b in zip(first.results, second.results):
        assert a.metrics == b.metrics
        assert [j.verdict for j in a.judgements] == [j.verdict for j in b.judgements]
    no_cache = run(fresh, quiet=True, use_cache=False)
    assert no_cache.cache["candidates_from_cache"] == 0


def test_unreadable_entry_is_recomputed(tmp_path):
    cache = ResultCache(tmp_path)
    cache.db.execute("INSERT INTO results VALUES ('k', x'00ff')")
    assert cache.get("k") is None and cache.hits == 0
    cache.put("k", {"a": 1})
    assert cache.get("k") == {"a": 1} and cache.hits == 1
