"""Key facts for stories nobody wrote them for: from reference summaries, or derived from the articles.

A step of its own after ingest (which reads the hand-written facts) and claims (whose splitting turns a
reference summary into facts); the pipeline runs it per story in the worker that evaluates the story, so a
run with many stories derives their facts in parallel. Coverage, which judges the facts against a
candidate, is a metric (harness.evaluation.coverage).

Coverage needs a list of what a good summary must carry. Hand-written `key_facts` in story.yaml are best and
always win. A story may name reference summaries instead (`summaries:` in story.yaml): each sentence of
them becomes a fact. A story without hand-written facts also gets facts derived from the articles (beside its
reference summaries' facts, or alone): the sentences that score highest on
lead position, centrality among the story's sentences (TF-IDF cosine, no model needed, so `validate` and
`harness key-facts` show them), agreement across sources and names or numbers, without near-repeats.

"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import replace

import numpy as np

from harness.document import DERIVED, HAND_WRITTEN, REFERENCE, Document, KeyFact, Story
from harness.reading.claims import RUN_ON, split_claims
from harness.reading.retrieval import reference_passages
from harness.store import SqliteCache, code_fingerprint
from harness.text import content_tokens, words

MAX_DERIVED = 20  # derived facts per story, at most
WORDS_PER_FACT = 65  # and at most one per this many words of the references (a 400-word article: 6)
MIN_WORDS, MAX_WORDS = 8, 60  # a derived fact is one full sentence of ordinary length
REDUNDANT = 0.25  # TF-IDF cosine above which a sentence repeats one already chosen
WEIGHTS = {"lead": 0.1, "centrality": 0.5, "agreement": 0.2, "specifics": 0.2}
SPECIFIC = re.compile(r"\d|(?<=\s)[A-ZÀ-Ý][\w’'-]+")


def reference_facts(summaries: list[Document]) -> list[KeyFact]:
    """One fact per sentence of each reference summary (tokenised text detokenised), weighted by its content
    words: a long highlight holds more of the Pyramid method's content units than a short one (on SummEval,
    coverage so weighted ranks summaries at Spearman .330 with relevance, .321 with every sentence weight 1)."""
    facts = []
    for n, doc in enumerate(summaries, start=1):
        # a run-on sentence is still what the reference says (it is read by its words if the model cannot take it)
        claims = [c for c in split_claims(doc) if not c.is_artefact or c.artefact.startswith(RUN_ON)]
        facts += [
            KeyFact(f"ref{n}.{i}", c.match_text, float(max(1, len(content_tokens(c.match_text)))), [], REFERENCE)
            for i, c in enumerate(claims, start=1)
        ]
    return facts


def _tfidf(token_sets: list[set[str]]) -> np.ndarray:
    """Unit-length binary TF-IDF rows, one per sentence."""
    vocabulary = {t: i for i, t in enumerate(sorted(set().union(*token_sets)))} if token_sets else {}
    matrix = np.zeros((len(token_sets), len(vocabulary)))
    for row, tokens in enumerate(token_sets):
        for token in tokens:
            matrix[row, vocabulary[token]] = 1.0
    idf = np.log((1 + len(token_sets)) / (1 + matrix.sum(axis=0))) + 1
    matrix *= idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _scale(values: np.ndarray) -> np.ndarray:
    top = values.max() if len(values) else 0
    return values / top if top > 0 else values


def derive_key_facts(references: list[Document], limit: int = MAX_DERIVED) -> list[KeyFact]:
    """The most salient, mutually distinct sentences of the references (at most `limit`, and one per
    WORDS_PER_FACT words), weighted 1 to 3 by salience."""
    passages = [p for p in reference_passages(references) if MIN_WORDS <= len(words(p.text)) <= MAX_WORDS]
    limit = min(limit, max(1, round(sum(len(words(r.content_text)) for r in references) / WORDS_PER_FACT)))
    if not passages or limit <= 0:
        return []
    vectors = _tfidf([content_tokens(p.text) for p in passages])
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, 0.0)
    sources = np.array([p.source for p in passages])
    position = {source: 0 for source in set(sources)}
    lead = []
    for p in passages:
        lead.append(1 / math.sqrt(1 + position[p.source]))
        position[p.source] += 1
    other = sources[None, :] != sources[:, None]
    features = {
        "lead": np.array(lead),
        "centrality": _scale(similarity.mean(axis=1)),
        "agreement": _scale(np.where(other, similarity, 0).max(axis=1)) if other.any() else np.zeros(len(passages)),
        "specifics": np.array([min(1.0, len(SPECIFIC.findall(p.text)) / 5) for p in passages]),
    }
    score = sum(WEIGHTS[name] * values for name, values in features.items())
    chosen: list[int] = []
    for index in np.argsort(-score, kind="stable"):
        if all(similarity[index, c] <= REDUNDANT for c in chosen):
            chosen.append(int(index))
        if len(chosen) == limit:
            break
    top = score[chosen[0]]
    return [
        KeyFact(f"d{n:02d}", passages[i].text, round(1 + 2 * float(score[i]) / float(top), 2), [], DERIVED)
        for n, i in enumerate(chosen, start=1)
    ]


def story_key_facts(
    hand_written: list[KeyFact],
    summaries: list[Document],
    references: list[Document],
    limit: int = MAX_DERIVED,
    cache=None,
) -> list[KeyFact]:
    """Hand-written facts where a story has them (with its reference-summary facts, if it has both): a person
    chose them. Otherwise reference-summary facts and derived ones together, or derived ones alone: a reference
    summary is one writer's choice of content, and the articles' own salient sentences are a second view of what
    matters, as the Pyramid method pools several references (on SummEval, coverage of both ranks summaries at
    Spearman .358 with relevance, of the highlights alone .325, ROUGE-1 .331). Derived facts are read from `cache`
    (a harness.evaluation.result_cache.ResultCache) when it has them."""
    if hand_written:
        return hand_written + reference_facts(summaries)
    facts = reference_facts(summaries)
    if cache is None:
        return facts + derive_key_facts(references, limit)
    key = derived_facts_key(references, limit)
    found = cache.get(key)
    if found is None:
        found = derive_key_facts(references, limit)
        cache.put(key, found)
    return facts + found


def derived_facts_key(references: list[Document], limit: int) -> str:
    """What derived facts depend on: the code, the limit and each reference's text and blocks."""
    payload = [
        code_fingerprint(),
        limit,
        [(r.doc_id, r.text, [(b.kind, b.start, b.end) for b in r.blocks]) for r in references],
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


def with_key_facts(story: Story, cache: SqliteCache | None = None) -> Story:
    """The story with its complete key facts: its hand-written ones (as ingest read them), those of its
    reference summaries, else derived. Idempotent: the facts it adds are never read as hand-written."""
    hand_written = [f for f in story.key_facts if f.kind == HAND_WRITTEN]
    return replace(story, key_facts=story_key_facts(hand_written, story.summaries, story.references, cache=cache))


def kinds(facts: list[KeyFact]) -> list[str]:
    """Which kinds of key facts a story uses, in a fixed order."""
    present = {f.kind for f in facts}
    return [kind for kind in (HAND_WRITTEN, REFERENCE, DERIVED) if kind in present]
