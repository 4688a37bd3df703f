"""Claim -> the best passages from all of a story's references.

Passages are the sentences of every reference (nothing is truncated: every source sentence is a
candidate). A passage's score blends embedding cosine with lexical support, because cosine alone
rates "800 to 1,000" and "800 to 900" as the same and lexical overlap alone misses paraphrase.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.config import Config
from harness.document import CONTENT_KINDS, Document
from harness.reading.claims import Claim
from harness.runtime.embeddings import Embedder
from harness.text import content_tokens, sentence_spans


@dataclass
class Passage:
    """A reference sentence; `text == reference.text[start:end]`."""

    source: str
    text: str
    start: int
    end: int
    index: int
    kind: str = "paragraph"  # the block it comes from: paragraph, bullet or caption (shown as such in reports)


@dataclass
class Evidence:
    """A passage chosen for a claim, with the parts of its score."""

    passage: Passage
    score: float
    cosine: float
    lexical: float


def reference_passages(references: list[Document]) -> list[Passage]:
    passages: list[Passage] = []
    for doc in references:
        for block in doc.blocks_of(*CONTENT_KINDS):
            for s, e in sentence_spans(block.text):
                passages.append(
                    Passage(doc.doc_id, block.text[s:e], block.start + s, block.start + e, len(passages), block.kind)
                )
    return passages


class EvidenceIndex:
    """The embedded passages of one story, searched once per claim."""

    def __init__(self, references: list[Document], embedder: Embedder, top_k: int, lexical_weight: float):
        self.passages = reference_passages(references)
        self.embedder = embedder
        self.top_k = top_k
        self.lexical_weight = lexical_weight
        self.vectors = embedder.encode([p.text for p in self.passages])
        self.passage_tokens = [content_tokens(p.text) for p in self.passages]  # for lexical support, once

    def search_texts(self, texts: list[str]) -> list[list[Evidence]]:
        """Top-k evidence for each text, best first."""
        if not texts or not self.passages:
            return [[] for _ in texts]
        cosines = self.embedder.encode(texts) @ self.vectors.T
        results = []
        for text, row in zip(texts, cosines):
            claim_tokens = content_tokens(text)
            lexical = np.array(
                [
                    len(claim_tokens & tokens) / len(claim_tokens) if claim_tokens else 0.0
                    for tokens in self.passage_tokens
                ]
            )  # = text.lexical_support(claim, passage)
            blended = (1 - self.lexical_weight) * row + self.lexical_weight * lexical
            order = np.argsort(-blended)[: self.top_k]
            results.append(
                [Evidence(self.passages[i], float(blended[i]), float(row[i]), float(lexical[i])) for i in order]
            )
        return results

    def search(self, claims: list[Claim]) -> list[list[Evidence]]:
        return self.search_texts([c.match_text for c in claims])


def build_index(documents: list[Document], embedder: Embedder, config: Config) -> EvidenceIndex:
    """The evidence index of `documents` with the run's settings: the one way the pipeline, the pair scorer
    and key-fact coverage (whose source is the candidate) build one."""
    return EvidenceIndex(documents, embedder, config.top_k, config.lexical_weight)
