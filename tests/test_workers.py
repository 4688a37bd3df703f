"""--workers: stories spread over local processes give exactly the results of one process."""

import shutil
from dataclasses import replace

import pytest
from conftest import ROOT

from harness.run import pipeline
from harness.run.pipeline import run, story_parts


def _two_stories(root):
    for name in ("a", "b"):
        shutil.copytree(ROOT / "gold/venezuela-prisoners", root / "gold" / name)
        (root / "gold" / name / "story.yaml").write_text(
            (ROOT / "gold/venezuela-prisoners/story.yaml")
            .read_text("utf-8")
            .replace("id: venezuela-prisoners", f"id: {name}"),
            "utf-8",
        )
        shutil.copytree(ROOT / "candidates/venezuela-prisoners", root / "candidates" / name)
    (root / "candidates/b/empty.txt").write_text("", "utf-8")


@pytest.mark.parametrize(("min_part", "workers"), [(8, 2), (1, 3)], ids=["whole stories", "stories cut in parts"])
def test_workers_match_a_single_process(config, tmp_path, monkeypatch, min_part, workers):
    _two_stories(tmp_path)
    settings = replace(config, gold=str(tmp_path / "gold"), candidates=str(tmp_path / "candidates"))
    single = run(settings, quiet=True, use_cache=False)
    monkeypatch.setattr(pipeline, "MIN_PART", min_part)  # 1 with 3 workers: both stories cut in 3 parts
    parallel = run(settings, quiet=True, use_cache=False, workers=workers)
    assert len(single.results) == len(parallel.results) == 7  # 2 x 3 candidates and one error row
    for a, b in zip(single.results, parallel.results):
        assert (a.story, a.path, a.error) == (b.story, b.path, b.error)
        assert a.metrics == b.metrics
        assert [(c.claim_id, j.verdict, j.p_support) for c, j in zip(a.claims, a.judgements)] == [
            (c.claim_id, j.verdict, j.p_support) for c, j in zip(b.claims, b.judgements)
        ]


def test_ray_backend_matches_local(config, tmp_path):
    import ray

    _two_stories(tmp_path)
    settings = replace(config, gold=str(tmp_path / "gold"), candidates=str(tmp_path / "candidates"))
    single = run(settings, quiet=True, use_cache=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)  # a local Ray instance for this test
    try:
        distributed = run(settings, quiet=True, use_cache=False, backend="ray")
    finally:
        ray.shutdown()
    assert len(distributed.results) == len(single.results) == 7
    for a, b in zip(single.results, distributed.results):
        assert (a.story, a.path, a.error, a.metrics) == (b.story, b.path, b.error, b.metrics)
        assert [(c.claim_id, j.verdict, j.p_support) for c, j in zip(a.claims, a.judgements)] == [
            (c.claim_id, j.verdict, j.p_support) for c, j in zip(b.claims, b.judgements)
        ]


def test_a_fully_cached_run_starts_no_worker(config, tmp_path, monkeypatch):
    """A warm rerun reads every story in its own process: workers would only load models for nothing (a
    first run on an empty cache starts them before reading its inputs; a warm one never does)."""
    _two_stories(tmp_path)
    settings = replace(
        config, gold=str(tmp_path / "gold"), candidates=str(tmp_path / "candidates"), cache=str(tmp_path / "cache")
    )
    cold = run(settings, quiet=True, workers=2)

    def no_workers(*args):
        raise AssertionError("workers started for a fully cached run")

    monkeypatch.setattr(pipeline, "LocalWorkers", no_workers)
    warm = run(settings, quiet=True, workers=2)
    assert warm.cache["candidates_from_cache"] == 6
    assert [(r.story, r.path, r.error, r.metrics) for r in warm.results] == [
        (r.story, r.path, r.error, r.metrics) for r in cold.results
    ]


def test_story_parts_spread_few_stories_and_keep_their_order():
    from harness.document import InputError, Story

    def story(name: str, n: int) -> Story:
        return Story(name, name, None, [], candidates=list(range(n)), errors=[InputError(name, "bad")])

    stories = [story("a", 20), story("b", 20), story("c", 20)]
    parts = story_parts(stories, workers=2)
    assert [s.story_id for s, _ in parts] == ["a", "b", "c", "c"]  # the leftover story is cut, the others whole
    assert [s.story_id for s, _ in story_parts([*stories[:2], story("d", 5)], workers=2)] == ["a", "b", "d"]
    for original in stories:
        mine = [p for s, p in parts if s is original]
        assert [c for p in mine for c in p.candidates] == original.candidates  # every candidate once, in order
        assert [len(p.errors) for p in mine] == [1] + [0] * (len(mine) - 1)  # the story's errors once
    many = [story(str(i), 20) for i in range(8)]
    assert [(s, p.candidates) for s, p in story_parts(many, workers=2)] == [(s, s.candidates) for s in many]


def test_workers_ignore_a_harness_package_in_the_current_folder(tmp_path):
    """The fork server starts as `python -c`, which would put the current folder first on its path: a
    `harness/` there must not replace the installed package in the workers."""
    import subprocess
    import sys
    from pathlib import Path

    _two_stories(tmp_path)
    (tmp_path / "harness").mkdir()
    (tmp_path / "harness" / "__init__.py").write_text('raise SystemExit("the folder\'s harness was imported")\n')
    command = [str(Path(sys.executable).parent / "harness"), "run", "--quiet", "--workers", "2", "--no-cache"]
    (tmp_path / "harness.toml").write_text(f'[paths]\ncache = "{tmp_path / "cache"}"\n', "utf-8")
    done = subprocess.run([*command, "--config", "harness.toml"], cwd=tmp_path, capture_output=True, text=True)
    assert "6 candidates evaluated" in done.stdout, done.stderr[-2000:]
    assert "folder's harness" not in done.stderr


def test_one_worker_means_the_runs_own_process(config, tmp_path, monkeypatch):
    """`--workers 1` evaluates every story where the run is: one worker process would only add its start-up
    (and hide the evaluation from a profiler or a patched function)."""
    _two_stories(tmp_path)
    settings = replace(config, gold=str(tmp_path / "gold"), candidates=str(tmp_path / "candidates"))

    def no_workers(*args):
        raise AssertionError("a worker process started for --workers 1")

    monkeypatch.setattr(pipeline, "LocalWorkers", no_workers)
    result = run(settings, quiet=True, use_cache=False, workers=1)
    assert len(result.results) == 7 and sum(not r.error for r in result.results) == 6
