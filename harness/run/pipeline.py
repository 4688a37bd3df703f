"""The data path for a whole run: ingest -> (per story, harness.evaluation.evaluator) key facts -> claims -> evidence ->
checks and judge -> metrics, the stories spread over worker processes (harness.run.workers) when there are several.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from harness.config import Config
from harness.document import InputError, Story
from harness.evaluation.evaluator import CACHE_COUNTS, RunContext, StoryOutcome, evaluate_story, open_context
from harness.evaluation.records import CandidateResult, RunResult
from harness.evaluation.result_cache import ResultCache, candidate_key, story_key
from harness.ingest import find_story_dirs, load_stories
from harness.run.workers import BACKENDS, LocalWorkers, default_workers, ray_results
from harness.runtime.embeddings import resolve_model


def _fully_cached(story: Story, config: Config, context: RunContext) -> bool:
    """Whether the result cache holds every candidate of the story (its key needs no derived key facts: they
    follow from the references and the code, both in the key)."""
    if context.results is None:
        return False
    story_hash = story_key(story, config)
    return context.results.holds([candidate_key(story_hash, doc) for doc in story.candidates])


def summed_counts(counts: list[dict[str, Any]]) -> dict[str, Any]:
    """Counters of several stories, or parts of one, added up: each of CACHE_COUNTS, and the judge's usage key
    by key (an LLM judge's requests and tokens)."""
    usage: dict[str, int] = {}
    for each in counts:
        for key, value in each["judge_usage"].items():
            usage[key] = usage.get(key, 0) + value
    return {**{name: sum(each[name] for each in counts) for name in CACHE_COUNTS}, "judge_usage": usage}


MIN_PART = 8  # candidates: a smaller part would cost more in story set-up than it saves in balance


def story_parts(stories: list[Story], workers: int) -> list[tuple[Story, Story]]:
    """(story, part) pairs that keep `workers` processes busy to the end: whole stories while each worker
    gets one more, and the stories left over (fewer than the workers) cut into equal runs of candidates (the
    story's own errors go with its first part), so 5 stories on 2 workers are 2.5 against 2.5, not 3 against
    2. A story cut in parts is set up by each process that gets one (its references embedded twice), so only
    the leftovers are cut. The parts' outcomes join back in order."""
    leftover = len(stories) % workers
    parts = [(story, story) for story in stories[: len(stories) - leftover]]
    for story in stories[len(stories) - leftover :]:
        count = max(1, min(workers, len(story.candidates) // MIN_PART))
        size = -(-len(story.candidates) // count) if story.candidates else 0
        for k in range(count):
            chunk = story.candidates[k * size : (k + 1) * size]
            parts.append((story, replace(story, candidates=chunk, errors=story.errors if k == 0 else [])))
    return parts


def _joined(outcomes: list[StoryOutcome]) -> StoryOutcome:
    """One story's outcome from those of its parts, in order."""
    results = [result for outcome in outcomes for result in outcome.results]
    return StoryOutcome(outcomes[0].key_facts, results, summed_counts([o.counts for o in outcomes]))


def _early_workers(config: Config, use_cache: bool, workers: int | None, backend: str) -> LocalWorkers | None:
    """Worker processes started before the inputs are read, so their start-up (imports, models) overlaps the
    run's own, when the run will most likely need them: several stories, and a result cache that is empty
    (a first run) or not used. A run that finds it needs none stops them."""
    if backend != "local" or (workers is not None and workers < 2):
        return None
    if use_cache and not ResultCache.empty(Path(config.cache) / "results"):
        return None
    try:
        stories = len(find_story_dirs(Path(config.gold)))
    except InputError:
        return None  # reading the inputs reports it
    count = default_workers(stories) if workers is None else min(workers, stories)  # never more than stories
    return LocalWorkers(config, use_cache, count) if stories > 1 and count > 1 else None


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
    # started workers are stopped on leaving, whatever happens: a no-op once their results are in
    with _early_workers(config, use_cache, workers, backend) or nullcontext() as early:
        # one judge for the run: a bad judge or endpoint fails before any work; this also opens (and if
        # damaged, sets aside) the cache files once, before workers share them
        context = open_context(config, use_cache)
        stories, errors = load_stories(Path(config.gold), Path(config.candidates), config.max_file_mb)
        timings["ingest_s"] = time.perf_counter() - started
        # stories whose every candidate is cached are read here: starting workers (each loading its models)
        # for them would cost more than reading them
        pending = [s for s in stories if not _fully_cached(s, config, context)]
        count = (early.count if early else default_workers(len(pending))) if workers is None else workers
        parts = story_parts(pending, count) if count > 1 else [(s, s) for s in pending]
        # one worker would only add a process's start-up to the run's: `--workers 1` evaluates here
        parallel = bool(pending) and (backend == "ray" or (count > 1 and len(parts) > 1))
        if early is not None and not parallel:
            early.stop()
        t = time.perf_counter()
        outcomes: dict[int, list[StoryOutcome]] = {}
        total = sum(len(s.candidates) for s in stories)
        with tqdm(total=total, desc="candidates", unit="cand", disable=quiet or None) as bar:
            if parallel:
                if backend == "ray":
                    finished = ray_results([part for _, part in parts], config, use_cache)
                else:
                    pool = early or LocalWorkers(config, use_cache, min(count, len(parts)))  # no idle process
                    finished = pool.results([part for _, part in parts])
                for (story, _), (part, outcome) in zip(parts, finished):
                    outcomes.setdefault(id(story), []).append(outcome)
                    bar.update(len(part.candidates))
            for story in stories:
                if id(story) not in outcomes:
                    outcomes[id(story)] = [evaluate_story(story, config, context, bar)]
    timings["evaluate_s"] = time.perf_counter() - t
    joined = [_joined(outcomes[id(story)]) for story in stories]  # in story order, whoever evaluated it
    completed = [replace(story, key_facts=outcome.key_facts) for story, outcome in zip(stories, joined)]
    # story-level and folder-level errors become error rows too, so the reports show every problem
    results = [CandidateResult(story="", document=None, path=e.path, error=str(e)) for e in errors]
    results += [result for outcome in joined for result in outcome.results]
    counts = summed_counts([outcome.counts for outcome in joined])
    usage = counts.pop("judge_usage")
    timings["total_s"] = time.perf_counter() - started
    model_id = resolve_model(config.embedding_model)[0]
    return RunResult(
        config=config,
        stories=completed,
        results=results,
        errors=errors,
        timings=timings,
        cache=counts,
        embedding_model_id=model_id,
        judge=config.judge,
        judge_usage=usage,
    )
