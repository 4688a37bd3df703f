"""The data path for a whole run: ingest -> (per story, harness.evaluator) key facts -> claims -> evidence ->
checks and judge -> metrics, the stories spread over worker processes (harness.workers) when there are several.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from harness.cache import candidate_key, story_key
from harness.config import Config
from harness.document import Story
from harness.embeddings import resolve_model
from harness.evaluator import RunContext, StoryOutcome, evaluate_story, open_context
from harness.ingest import load_stories
from harness.results import CandidateResult, RunResult
from harness.workers import BACKENDS, default_workers, process_results, ray_results


def _fully_cached(story: Story, config: Config, context: RunContext) -> bool:
    """Whether the result cache holds every candidate of the story (its key needs no derived key facts: they
    follow from the references and the code, both in the key)."""
    if context.results is None:
        return False
    story_hash = story_key(story, config)
    return context.results.holds([candidate_key(story_hash, doc) for doc in story.candidates])


def _add_usage(total: dict[str, int], counts: dict) -> None:
    for key, value in counts.get("judge_usage", {}).items():
        total[key] = total.get(key, 0) + value


def run(
    config: Config, quiet: bool = False, use_cache: bool = True, workers: int | None = None, backend: str = "local"
) -> RunResult:
    """Evaluate every story. `workers > 1` spreads stories over local processes (None: `default_workers`),
    `backend="ray"` over a Ray cluster; either way the results are identical to a single process."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend '{backend}': expected one of {', '.join(BACKENDS)}")
    config = replace(config, cache=str(Path(config.cache).resolve()))  # workers may run elsewhere
    timings: dict[str, float] = {}
    started = time.perf_counter()
    # one judge for the run: a bad judge or endpoint fails before any work; this also opens (and if damaged,
    # sets aside) the cache files once, before workers share them
    context = open_context(config, use_cache)
    stories, errors = load_stories(Path(config.gold), Path(config.candidates), config.max_file_mb)
    timings["ingest_s"] = time.perf_counter() - started
    # stories whose every candidate is cached are read here: starting workers (each loading its models) for
    # them would cost more than reading them
    pending = [s for s in stories if not _fully_cached(s, config, context)]
    workers = default_workers(len(pending)) if workers is None else workers
    parallel = bool(pending) and (backend == "ray" or (workers > 1 and len(pending) > 1))
    t = time.perf_counter()
    outcomes: dict[int, StoryOutcome] = {}
    with tqdm(
        total=sum(len(s.candidates) for s in stories), desc="candidates", unit="cand", disable=quiet or None
    ) as bar:
        if parallel:
            finished = (
                ray_results(pending, config, use_cache)
                if backend == "ray"
                else process_results(pending, config, use_cache, workers)
            )
            for story, outcome in finished:
                outcomes[id(story)] = outcome
                bar.update(len(story.candidates))
        for story in stories:
            if id(story) not in outcomes:
                outcomes[id(story)] = evaluate_story(story, config, context, bar)
    timings["evaluate_s"] = time.perf_counter() - t
    # story-level and folder-level errors become error rows too, so the reports show every problem
    results = [CandidateResult("", None, e.path, error=str(e)) for e in errors]
    cache = {"embeddings_computed": 0, "embeddings_from_cache": 0, "candidates_from_cache": 0}
    usage: dict[str, int] = {}
    completed = []
    for story in stories:  # in story order, whichever process evaluated it
        outcome = outcomes[id(story)]
        completed.append(replace(story, key_facts=outcome.key_facts))
        results.extend(outcome.results)
        cache = {k: cache[k] + outcome.counts[k] for k in cache}
        _add_usage(usage, outcome.counts)
    timings["total_s"] = time.perf_counter() - started
    model_id = resolve_model(config.embedding_model)[0]
    return RunResult(config, completed, results, errors, timings, cache, model_id, config.judge, usage)


__all__ = ["run", "BACKENDS", "Any"]
