"""The data path for a whole run: ingest -> claims -> evidence -> judge -> metrics.

Each candidate is evaluated on its own; an error in one becomes an error row and the run goes on.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from harness import metrics as m
from harness.cache import ResultCache
from harness.checks import CONFLICT, SourceFacts
from harness.checks.names import prefetch_entities
from harness.claims import Claim, no_scorable_claim, split_claims
from harness.config import Config
from harness.document import HAND_WRITTEN, Document, InputError, KeyFact, Story
from harness.embeddings import Embedder, resolve_model
from harness.evidence import Evidence, EvidenceIndex, reference_passages
from harness.ingest import load_stories
from harness.judge import Judge, Judgement, soft_minimum
from harness.keyfacts import judged_coverage
from harness.models import Models, load_models
from harness.registry import CONTRADICTED


@dataclass
class CandidateResult:
    story: str
    document: Document | None
    path: str
    claims: list[Claim] = field(default_factory=list)
    evidence: list[list[Evidence]] = field(default_factory=list)
    judgements: list[Judgement] = field(default_factory=list)
    fact_matches: list[m.FactMatch] = field(default_factory=list)
    rouge_by_reference: dict[str, dict[str, float]] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    warning: str = ""  # evaluated, but something a reader must know (no scorable claim)

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass
class RunResult:
    config: Config
    stories: list[Story]
    results: list[CandidateResult]
    errors: list[InputError]
    timings: dict[str, float]
    cache: dict[str, int]
    embedding_model_id: str
    judge: str
    judge_usage: dict[str, int] = field(default_factory=dict)  # an LLM judge's requests and tokens, summed


class StoryEvaluator:
    """Everything that is computed once per story: evidence index, source facts, key-fact vectors."""

    def __init__(self, story: Story, embedder: Embedder, judge: Judge, config: Config):
        self.story, self.embedder, self.judge, self.config = story, embedder, judge, config
        self.index = EvidenceIndex(story.references, embedder, config.top_k, config.lexical_weight)
        self.sources = SourceFacts(
            [p.text for p in self.index.passages], story.date, documents=[p.source for p in self.index.passages]
        )
        # hand-written facts are matched to claims; the others (reference, derived) are judged per candidate
        self.hand_facts = [f for f in story.key_facts if f.kind == HAND_WRITTEN]
        self.judged_facts = [f for f in story.key_facts if f.kind != HAND_WRITTEN]
        self.fact_vectors = embedder.encode([f.text for f in self.hand_facts])
        self.reference_text = "\n".join(r.content_text for r in story.references)
        self._claims: dict[str, list[Claim]] = {}  # split by `prefetch`, by candidate path

    def key_fact_matches(
        self, doc: Document, claims: list[Claim], claim_vectors, refuted: set[int]
    ) -> list[m.FactMatch]:
        """Hand-written facts matched to claims (their must_mention terms and the coverage threshold);
        facts from reference summaries or derived ones judged against the candidate (harness.keyfacts)."""
        hand = m.key_fact_coverage(
            self.hand_facts,
            claims,
            self.fact_vectors @ claim_vectors.T,
            self.config.coverage_threshold,
            self.config.lexical_weight,
            refuted,
        )
        judged = judged_coverage(
            self.judged_facts, doc, claims, self.story.date, self.embedder, self.judge, self.config
        )
        found = {match.fact_id: match for match in hand + judged}
        return [found[f.fact_id] for f in self.story.key_facts]

    def prefetch(self, docs: list[Document]) -> None:
        """Split the claims of many candidates and embed and parse them in one call each: a model call on
        hundreds of texts costs far less than one small call per candidate. `evaluate` reuses the claims."""
        for doc in docs:
            try:
                self._claims[doc.path] = split_claims(doc, self.story.story_id)
            except InputError:
                continue  # evaluate reports it as that candidate's error
        claims = [c for found in self._claims.values() for c in found]
        scored = [c.match_text for c in claims if not c.is_artefact]
        passages = [p.text for doc in docs for p in reference_passages([doc])] if self.judged_facts else []
        self.embedder.encode(list(dict.fromkeys([c.text for c in claims] + scored + passages)))
        prefetch_entities(scored + [f.text for f in self.judged_facts])

    def evaluate(self, doc: Document) -> CandidateResult:
        claims = self._claims.pop(doc.path, None)
        claims = split_claims(doc, self.story.story_id) if claims is None else claims
        scored = [c for c in claims if not c.is_artefact]
        found = iter(self.index.search(scored))
        evidence = [[] if c.is_artefact else next(found) for c in claims]  # artefacts are never scored
        judgements = self.judge.judge(claims, evidence, self.sources)
        claim_vectors = self.embedder.encode([c.text for c in claims])
        content_vectors = claim_vectors[[i for i, c in enumerate(claims) if not c.is_artefact]]
        # a claim the sources contradict covers no key fact, unless only its quotation's wording is wrong
        refuted = {
            i
            for i, j in enumerate(judgements)
            if j.verdict == CONTRADICTED and any(c.kind == CONFLICT and c.check != "quote" for c in j.failed_checks)
        }
        matches = self.key_fact_matches(doc, claims, claim_vectors, refuted)
        summary = "\n".join(c.text for c in claims if not c.is_artefact)
        rouge_by_ref = {r.doc_id: m.rouge(summary, r.content_text) for r in self.story.references}
        values: dict[str, Any] = m.claim_metrics(judgements)
        values["consistency"] = soft_minimum(
            [j.p_support for j in judgements if j.p_support is not None], self.config.summary_sharpness
        )
        values.update(m.coverage_metrics(self.story.key_facts, matches))
        values.update(m.rouge_metrics(rouge_by_ref.values()))
        values["semantic_similarity"] = m.centroid_similarity(content_vectors, self.index.vectors)
        values.update(m.summary_rouge_metrics(summary, [s.content_text for s in self.story.summaries]))
        values.update(m.extractive_metrics(self.reference_text, summary))
        values.update(m.length_metrics(summary, claims))
        warning = "" if scored else f"{no_scorable_claim(claims)}, so faithfulness and consistency are not available"
        return CandidateResult(
            self.story.story_id,
            doc,
            doc.path,
            claims,
            evidence,
            judgements,
            matches,
            rouge_by_ref,
            values,
            warning=warning,
        )


@dataclass
class RunContext:
    """What evaluating a story needs besides the story: the models and the run's caches (None without)."""

    models: Models
    results: ResultCache | None
    facts: ResultCache | None


def open_context(config: Config, use_cache: bool) -> RunContext:
    """Models and caches for one process; opening the caches also sets aside a damaged one, once."""
    cache = Path(config.cache)
    return RunContext(
        load_models(config),
        ResultCache(cache / "results", CandidateResult) if use_cache else None,
        ResultCache(cache / "keyfacts", list[KeyFact]) if use_cache else None,
    )


def _as_read_now(result: CandidateResult | None, doc: Document) -> CandidateResult | None:
    """A cached result with the document as this run read it (its path and metadata may differ: the key
    holds the text, not where the file was found)."""
    return None if result is None else replace(result, document=doc, path=doc.path)


PREFETCH_CANDIDATES = 16  # candidates whose claims are embedded and parsed in one batch


def _prefetch(
    evaluator: StoryEvaluator | None, story: Story, models: Models, config: Config, docs: list[Document]
) -> StoryEvaluator | None:
    """The story's evaluator (built on first use) with the claims of `docs` split, embedded and parsed in
    batches. None when building it fails: each candidate then builds and evaluates on its own and reports
    the error as its own; a failed prefetch only means `evaluate` does the work itself."""
    try:
        evaluator = evaluator or StoryEvaluator(story, models.embedder, models.judge, config)
    except Exception:
        return None
    try:
        evaluator.prefetch(docs)
    except Exception:
        pass  # evaluate() splits and embeds the candidate again and reports any error as that candidate's
    return evaluator


def _batch_starts(cached: list, size: int) -> dict[int, list[int]]:
    """Positions of the candidates still to evaluate, in batches of `size`, keyed by each batch's first
    position. Batches, not the whole story at once: each batch's results are stored before the next starts,
    so an interrupted run resumes from the last finished batch."""
    todo = [i for i, result in enumerate(cached) if result is None]
    return {todo[k]: todo[k : k + size] for k in range(0, len(todo), size)}


def evaluate_story(
    story: Story, config: Config, context: RunContext, progress=None
) -> tuple[list[CandidateResult], dict[str, int]]:
    """Every candidate of one story, each from the result cache or evaluated; with cache counters."""
    from harness.cache import candidate_key, story_key

    embedder, judge, cache = context.models.embedder, context.models.judge, context.results
    before = (embedder.computed, embedder.cached_hits, cache.hits if cache else 0)
    usage_before = dict(getattr(judge, "usage", {}))
    results = [CandidateResult(story.story_id, None, error.path, error=str(error)) for error in story.errors]
    story_hash = story_key(story, config)
    keys = [candidate_key(story_hash, doc) for doc in story.candidates]
    cached = [_as_read_now(cache.get(key), doc) if cache else None for key, doc in zip(keys, story.candidates)]
    batches = _batch_starts(cached, PREFETCH_CANDIDATES)
    evaluator = None
    for position, (doc, key, result) in enumerate(zip(story.candidates, keys, cached)):
        if position in batches:
            batch = [story.candidates[i] for i in batches[position]]
            evaluator = _prefetch(evaluator, story, context.models, config, batch)
        if progress is not None:
            progress.set_postfix_str(f"{story.story_id}/{doc.doc_id}")
        if result is None:
            errors_before = getattr(judge, "usage", {}).get("errors", 0)
            try:
                evaluator = evaluator or StoryEvaluator(story, embedder, judge, config)
                result = evaluator.evaluate(doc)
            except Exception as exc:  # one bad candidate never sinks the run
                problem = str(exc) if isinstance(exc, InputError) else f"{doc.path}: {type(exc).__name__}: {exc}"
                result = CandidateResult(story.story_id, doc, doc.path, error=problem)
            judge_failed = getattr(judge, "usage", {}).get("errors", 0) > errors_before
            # outside the try: a cache that cannot be written is a warning, not an error; a candidate the judge
            # failed on is asked again next run (a transient error must not become a permanent verdict)
            if cache and result.ok and not judge_failed:
                cache.put(key, result)
        results.append(result)
        if progress is not None:
            progress.update(1)
    counts = {
        "embeddings_computed": embedder.computed - before[0],
        "embeddings_from_cache": embedder.cached_hits - before[1],
        "candidates_from_cache": (cache.hits if cache else 0) - before[2],
        "judge_usage": {k: v - usage_before.get(k, 0) for k, v in getattr(judge, "usage", {}).items()},
    }
    return results, counts


def _add_usage(total: dict[str, int], counts: dict) -> None:
    for key, value in counts.get("judge_usage", {}).items():
        total[key] = total.get(key, 0) + value


def _ray_results(stories: list[Story], config: Config, use_cache: bool):
    """Yield (story, results, counts) as Ray tasks finish, one task per story, in story order.

    Connects to the cluster named by RAY_ADDRESS (e.g. after `ray start --head`, or "auto"), else starts
    a local instance. Every node needs the harness installed; each keeps its own caches under
    `config.cache` unless that path is on a shared file system."""
    import os

    import ray

    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        ray.init(
            address=address or None,
            include_dashboard=False,
            log_to_driver=False,
            ignore_reinit_error=True,
            **({} if address else {"num_cpus": os.cpu_count()}),
        )
    task = ray.remote(num_cpus=1)(_ray_task)
    refs = [task.remote(story, config, use_cache) for story in stories]
    for story, ref in zip(stories, refs):
        yield (story, *ray.get(ref))


def _ray_task(story: Story, config: Config, use_cache: bool):
    """One story on a Ray worker, with models built for it (a story is far more work than the load)."""
    return evaluate_story(story, config, open_context(config, use_cache))


_WORKER: RunContext | None = None  # a worker process's models and caches, built by _start_worker


def _start_worker(config: Config, use_cache: bool, workers: int) -> None:
    """A local worker process builds its models once, for every story it is given. Torch's threads split
    the cores between the workers instead of each starting one per core (that made two workers slower)."""
    import os

    import torch

    global _WORKER
    # Ctrl-C reaches every process of the terminal's group: the run's own process decides what stops
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # progress bars in a worker (the model libraries' own) would create a cross-process lock that a worker
    # stopped by Ctrl-C leaves behind, and Python warns about it at exit; a worker's bars need no such lock
    tqdm.set_lock(threading.RLock())
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    _WORKER = open_context(config, use_cache)


def _worker_task(story: Story, config: Config):
    return evaluate_story(story, config, _WORKER)


def _process_results(stories: list[Story], config: Config, use_cache: bool, workers: int):
    """Yield (story, results, counts) from `workers` local processes, in story order.

    On Ctrl-C, SIGTERM or any error the queued stories are cancelled and the workers stopped at once:
    waiting for the stories they hold would keep an interrupted run alive for minutes."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    pool = ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(config, use_cache, workers)
    )
    try:
        futures = [pool.submit(_worker_task, story, config) for story in stories]
        for story, future in zip(stories, futures):
            yield (story, *future.result())
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown()


def _stop_workers(pool) -> None:
    """Cancel what has not started and terminate the worker processes (their finished stories are cached)."""
    import multiprocessing

    try:  # a second Ctrl-C while stopping must not leave workers behind
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to change
        previous = None
    try:
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()
        for child in multiprocessing.active_children():
            child.join(timeout=10)
        pool.shutdown(wait=True)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


BACKENDS = ("local", "ray")


def _fully_cached(story: Story, config: Config, context: RunContext) -> bool:
    from harness.cache import candidate_key, story_key

    if context.results is None:
        return False
    story_hash = story_key(story, config)
    return context.results.holds([candidate_key(story_hash, doc) for doc in story.candidates])


def default_workers(stories: int) -> int:
    """One process per CPU core, never more than there are stories (a story is the unit of work)."""
    import os

    return max(1, min(os.cpu_count() or 1, stories))


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
    stories, errors = load_stories(Path(config.gold), Path(config.candidates), config.max_file_mb, context.facts)
    timings["ingest_s"] = time.perf_counter() - started
    # stories whose every candidate is cached are read here: starting workers (each loading its models) for
    # them would cost more than reading them
    pending = [s for s in stories if not _fully_cached(s, config, context)]
    workers = default_workers(len(pending)) if workers is None else workers
    parallel = bool(pending) and (backend == "ray" or (workers > 1 and len(pending) > 1))
    # story-level and folder-level errors become error rows too, so the reports show every problem
    results: list[CandidateResult] = [CandidateResult("", None, e.path, error=str(e)) for e in errors]
    cache = {"embeddings_computed": 0, "embeddings_from_cache": 0, "candidates_from_cache": 0}
    usage: dict[str, int] = {}
    t = time.perf_counter()
    total = sum(len(s.candidates) for s in stories)
    by_story: dict[int, tuple[list[CandidateResult], dict]] = {}
    with tqdm(total=total, desc="candidates", unit="cand", disable=quiet or None) as progress:
        if parallel:
            finished = (
                _ray_results(pending, config, use_cache)
                if backend == "ray"
                else _process_results(pending, config, use_cache, workers)
            )
            for story, story_results, counts in finished:
                by_story[id(story)] = (story_results, counts)
                progress.update(len(story.candidates))
        for story in stories:
            if id(story) not in by_story:
                by_story[id(story)] = evaluate_story(story, config, context, progress)
    for story in stories:  # in story order, whichever process evaluated it
        story_results, counts = by_story[id(story)]
        results.extend(story_results)
        cache = {k: cache[k] + counts[k] for k in cache}
        _add_usage(usage, counts)
    timings["evaluate_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - started
    return RunResult(
        config, stories, results, errors, timings, cache, resolve_model(config.embedding_model)[0], config.judge, usage
    )
