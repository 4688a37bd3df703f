"""The data path for a whole run: ingest -> claims -> evidence -> judge -> metrics.

Each candidate is evaluated on its own; an error in one becomes an error row and the run goes on.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from harness.checks import SourceFacts
from harness.claims import Claim, split_claims
from harness.config import Config
from harness.document import Document, InputError, Story
from harness.embeddings import Embedder
from harness.evidence import Evidence, EvidenceIndex
from harness.ingest import load_stories
from harness.judge import Judge, Judgement, make_judge, soft_minimum
from harness import metrics as m


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


class StoryEvaluator:
    """Everything that is computed once per story: evidence index, source facts, key-fact vectors."""

    def __init__(self, story: Story, embedder: Embedder, judge: Judge, config: Config):
        self.story, self.embedder, self.judge, self.config = story, embedder, judge, config
        self.index = EvidenceIndex(story.references, embedder, config.top_k, config.lexical_weight)
        self.sources = SourceFacts([p.text for p in self.index.passages], story.date)
        self.fact_vectors = embedder.encode([f.text for f in story.key_facts])
        self.reference_text = "\n".join(r.content_text for r in story.references)

    def evaluate(self, doc: Document) -> CandidateResult:
        claims = split_claims(doc, self.story.story_id)
        scored = [c for c in claims if not c.is_artefact]
        found = iter(self.index.search(scored))
        evidence = [[] if c.is_artefact else next(found) for c in claims]  # artefacts are never scored
        judgements = self.judge.judge(claims, evidence, self.sources)
        claim_vectors = self.embedder.encode([c.text for c in claims])
        content_vectors = claim_vectors[[i for i, c in enumerate(claims) if not c.is_artefact]]
        matches = m.key_fact_coverage(self.story.key_facts, claims, self.fact_vectors @ claim_vectors.T,
                                      self.config.coverage_threshold, self.config.lexical_weight)
        summary = "\n".join(c.text for c in claims if not c.is_artefact)
        rouge_by_ref = {r.doc_id: m.rouge(summary, r.content_text) for r in self.story.references}
        values: dict[str, Any] = m.claim_metrics(judgements)
        values["consistency"] = soft_minimum([j.p_support for j in judgements if j.p_support is not None],
                                             self.config.summary_sharpness)
        values.update(m.coverage_metrics(self.story.key_facts, matches))
        for name in m.ROUGE_TYPES:
            per_ref = [scores[name] for scores in rouge_by_ref.values()]
            values[f"{name}_max"] = max(per_ref)
            values[f"{name}_mean"] = sum(per_ref) / len(per_ref)
        values["semantic_similarity"] = m.centroid_similarity(content_vectors, self.index.vectors)
        values.update(m.extractive_metrics(self.reference_text, summary))
        values.update(m.length_metrics(summary, claims))
        return CandidateResult(self.story.story_id, doc, doc.path, claims, evidence, judgements, matches, rouge_by_ref, values)


def run(config: Config, quiet: bool = False, use_cache: bool = True) -> RunResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    stories, errors = load_stories(Path(config.gold), Path(config.candidates), config.max_file_mb)
    timings["ingest_s"] = time.perf_counter() - started
    from harness.cache import ResultCache, candidate_key, story_key
    embedder = Embedder(config.embedding_model, Path(config.cache) / "embeddings")
    results_cache = ResultCache(Path(config.cache) / "results") if use_cache else None
    judge = make_judge(config.judge, **config.judge_options)
    # story-level and folder-level errors become error rows too, so the reports show every problem
    results: list[CandidateResult] = [CandidateResult("", None, e.path, error=str(e)) for e in errors]
    t = time.perf_counter()
    total = sum(len(s.candidates) for s in stories)
    with tqdm(total=total, desc="candidates", unit="cand", disable=quiet or None) as progress:
        for story in stories:
            for error in story.errors:
                results.append(CandidateResult(story.story_id, None, error.path, error=str(error)))
            if not story.candidates:
                continue
            evaluator = None  # built on the first candidate that is not cached
            story_hash = story_key(story, config)
            for doc in story.candidates:
                progress.set_postfix_str(f"{story.story_id}/{doc.doc_id}")
                key = candidate_key(story_hash, doc)
                cached = results_cache.get(key) if results_cache else None
                if cached is not None:
                    results.append(cached)
                    progress.update(1)
                    continue
                try:
                    evaluator = evaluator or StoryEvaluator(story, embedder, judge, config)
                    result = evaluator.evaluate(doc)
                    results.append(result)
                    if results_cache:
                        results_cache.put(key, result)
                except Exception as exc:  # one bad candidate never sinks the run
                    results.append(CandidateResult(story.story_id, doc, doc.path, error=f"{doc.path}: {type(exc).__name__}: {exc}"))
                progress.update(1)
    timings["evaluate_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - started
    cache = {"embeddings_computed": embedder.computed, "embeddings_from_cache": embedder.cached_hits,
             "candidates_from_cache": results_cache.hits if results_cache else 0}
    return RunResult(config, stories, results, errors, timings, cache, embedder.model_id, judge.name)
