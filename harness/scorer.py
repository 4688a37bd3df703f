"""A summac-style scorer: `score(sources, summaries) -> list[float | None]`.

Each (source, summary) pair is evaluated like a one-reference story: the summary is split into claims,
each claim gets evidence from the source and a judgement, and the summary score is the soft minimum of
the claims' `p_support` (None when a summary has no scorable claim). This is the number `score-pairs`
writes and the gate reads.
"""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from harness.checks import SourceFacts
from harness.claims import split_claims
from harness.config import Config
from harness.document import Document
from harness.embeddings import Embedder
from harness.evidence import EvidenceIndex
from harness.ingest.blocks import lines_to_blocks
from harness.judge import make_judge, soft_minimum


def text_document(doc_id: str, text: str) -> Document:
    """A Document from a bare string, read with the same line rules as a plain-text file."""
    return Document(doc_id, doc_id, "plain", text, lines_to_blocks(text), {}, doc_id)


class ConsistencyScorer:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self.embedder = Embedder(self.config.embedding_model, Path(self.config.cache) / "embeddings")
        self.judge = make_judge(self.config.judge, **self.config.judge_options)

    def score_one(self, source: str, summary: str) -> float | None:
        reference = text_document("source", source)
        candidate = text_document("summary", summary)
        index = EvidenceIndex([reference], self.embedder, self.config.top_k, self.config.lexical_weight)
        claims = split_claims(candidate)
        judgements = self.judge.judge(claims, index.search(claims), SourceFacts([p.text for p in index.passages]))
        return soft_minimum([j.p_support for j in judgements if j.p_support is not None], self.config.summary_sharpness)

    def score(self, sources: list[str], summaries: list[str], progress: bool = False) -> list[float | None]:
        pairs = zip(sources, summaries)
        return [self.score_one(s, c) for s, c in tqdm(pairs, total=len(sources), disable=not progress, unit="pair")]
