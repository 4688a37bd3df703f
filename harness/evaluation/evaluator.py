"""One story's candidates, evaluated: claims -> evidence -> checks and judge -> metrics, each candidate from
the result cache when it holds it. Whatever process runs a story (the run's own, a local worker, a Ray task)
runs it here, with the models and caches of its `RunContext`.

Each candidate is evaluated on its own; an error in one becomes an error row and the story goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import harness.checks as checks
import harness.evaluation.coverage as coverage
import harness.evaluation.metrics as m
from harness.checks.declaration import CONFLICT, SourceFacts
from harness.config import Config
from harness.document import Document, InputError, KeyFact, Story
from harness.evaluation.coverage import CoverageReader
from harness.evaluation.keyfacts import with_key_facts
from harness.evaluation.loaded_models import Models, coverage_model, load_models
from harness.evaluation.records import CandidateResult
from harness.evaluation.result_cache import ResultCache, candidate_key, story_key
from harness.judges.contract import Judge, soft_minimum
from harness.reading.claims import Claim, no_scorable_claim, split_claims
from harness.reading.retrieval import build_index
from harness.registry import CONTRADICTED
from harness.runtime.embeddings import Embedder


class StoryEvaluator:
    """Everything that is computed once per story: evidence index, source facts, key-fact vectors."""

    def __init__(
        self, story: Story, embedder: Embedder, judge: Judge, config: Config, coverage: CoverageReader | None = None
    ):
        self.story, self.embedder, self.judge, self.config = story, embedder, judge, config
        self.coverage = coverage or CoverageReader(coverage_model(config), config.coverage_threshold)
        self.fact_vectors = embedder.encode([f.text for f in story.key_facts])  # which claims to read a fact against
        self.index = build_index(story.references, embedder, config)
        self.sources = SourceFacts.of_passages(self.index.passages, story.date)
        self.reference_text = "\n".join(r.content_text for r in story.references)
        self._claims: dict[str, list[Claim]] = {}  # split by `prefetch`, by candidate path

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
        self.embedder.encode(list(dict.fromkeys([c.text for c in claims] + scored)))
        checks.prefetch(scored)

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
        nearness = self.fact_vectors @ claim_vectors.T if len(self.fact_vectors) else None
        matches = self.coverage.read(self.story.key_facts, claims, refuted, self.story.date, nearness)
        summary = "\n".join(c.text for c in claims if not c.is_artefact)
        rouge_by_ref = {r.doc_id: m.rouge(summary, r.content_text) for r in self.story.references}
        values: dict[str, Any] = m.claim_metrics(judgements)
        values["consistency"] = soft_minimum(
            [j.p_support for j in judgements if j.p_support is not None], self.config.summary_sharpness
        )
        values.update(coverage.coverage_metrics(self.story.key_facts, matches))
        values.update(m.rouge_metrics(rouge_by_ref.values()))
        values["semantic_similarity"] = m.centroid_similarity(content_vectors, self.index.vectors)
        values.update(m.summary_rouge_metrics(summary, [s.content_text for s in self.story.summaries]))
        values.update(m.extractive_metrics(self.reference_text, summary))
        values.update(m.length_metrics(summary, claims))
        warning = "" if scored else f"{no_scorable_claim(claims)}, so faithfulness and consistency are not available"
        return CandidateResult(
            story=self.story.story_id,
            document=doc,
            path=doc.path,
            claims=claims,
            evidence=evidence,
            judgements=judgements,
            fact_matches=matches,
            rouge_by_reference=rouge_by_ref,
            metrics=values,
            warning=warning,
        )


def story_evaluator(story: Story, models: Models, config: Config) -> StoryEvaluator:
    """A story's evaluator with the run's models: its embedder, judge and coverage model."""
    return StoryEvaluator(
        story, models.embedder, models.judge, config, CoverageReader(models.coverage, config.coverage_threshold)
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
        evaluator = evaluator or story_evaluator(story, models, config)
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


CACHE_COUNTS = ("embeddings_computed", "embeddings_from_cache", "candidates_from_cache")  # run.json `cache`


@dataclass
class StoryOutcome:
    """What evaluating one story gives back to the run: its key facts (derived where the story has none of
    its own), a result per candidate, and counters: CACHE_COUNTS, and `judge_usage` (an LLM judge's requests
    and tokens)."""

    key_facts: list[KeyFact]
    results: list[CandidateResult]
    counts: dict[str, Any]


def evaluate_story(story: Story, config: Config, context: RunContext, progress=None) -> StoryOutcome:
    """Every candidate of one story, each from the result cache or evaluated; with cache counters. The
    story's key facts are completed first (harness.evaluation.keyfacts), here in whichever process runs the story."""
    story = with_key_facts(story, context.facts)
    embedder, judge, cache = context.models.embedder, context.models.judge, context.results
    before = (embedder.computed, embedder.cached_hits, cache.hits if cache else 0)
    usage_before = judge.usage.counts()
    results = [
        CandidateResult(story=story.story_id, document=None, path=error.path, error=str(error))
        for error in story.errors
    ]
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
            errors_before = judge.usage.errors
            try:
                evaluator = evaluator or story_evaluator(story, context.models, config)
                result = evaluator.evaluate(doc)
            except Exception as exc:  # one bad candidate never sinks the run
                problem = str(exc) if isinstance(exc, InputError) else f"{doc.path}: {type(exc).__name__}: {exc}"
                result = CandidateResult(story=story.story_id, document=doc, path=doc.path, error=problem)
            judge_failed = judge.usage.errors > errors_before
            # outside the try: a cache that cannot be written is a warning, not an error; a candidate the judge
            # failed on is asked again next run (a transient error must not become a permanent verdict)
            if cache and result.ok and not judge_failed:
                cache.put(key, result)
        results.append(result)
        if progress is not None:
            progress.update(1)
    after = (embedder.computed, embedder.cached_hits, cache.hits if cache else 0)
    counts: dict[str, Any] = {name: now - then for name, now, then in zip(CACHE_COUNTS, after, before)}
    counts["judge_usage"] = judge.usage.since(usage_before)
    return StoryOutcome(story.key_facts, results, counts)
