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
from harness.judge import decisive_failure, make_judge, soft_minimum


def text_document(doc_id: str, text: str, headings: bool = True) -> Document:
    """A Document from a bare string, read with the same line rules as a plain-text file; a summary
    given as a string has no headings (every line of it is summary)."""
    return Document(doc_id, doc_id, "plain", text, lines_to_blocks(text, headings=headings), {}, doc_id)


class ConsistencyScorer:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self.embedder = Embedder(self.config.embedding_model, Path(self.config.cache) / "embeddings")
        self.judge = make_judge(self.config.judge, self.config, **self.config.judge_options)

    def _prepare(self, source: str, summary: str):
        reference = text_document("source", source)
        index = self._index(reference)
        claims = split_claims(text_document("summary", summary, headings=False))
        return claims, index.search(claims), self._last[2]

    def _index_of(self, source: str) -> EvidenceIndex:
        return self._index(text_document("source", source))

    def _index(self, reference: Document) -> EvidenceIndex:
        """Benchmarks pair one document with many summaries: keep the last document's index."""
        if getattr(self, "_last", (None,))[0] != reference.text:
            index = EvidenceIndex([reference], self.embedder, self.config.top_k, self.config.lexical_weight)
            sources = SourceFacts([p.text for p in index.passages], documents=[p.source for p in index.passages])
            self._last = (reference.text, index, sources)  # sources keep what checks and chunking derive once
        return self._last[1]

    def score_one(self, source: str, summary: str) -> float | None:
        return self._summary_score(*self._prepare(source, summary))

    def _summary_score(self, claims, evidence, sources) -> float | None:
        judgements = self.judge.judge(claims, evidence, sources)
        return soft_minimum([j.p_support for j in judgements if j.p_support is not None], self.config.summary_sharpness)

    def claim_features(self, source: str, summary: str) -> list[dict[str, float]]:
        """Per non-artefact claim: the calibrated judge's features (what benchmarks/fit_judge.py fits on)."""
        from harness.checks import run_checks
        from harness.judge import claim_features

        claims, evidence, sources = self._prepare(source, summary)
        rows = []
        for claim, ev in zip(claims, evidence):
            if not claim.is_artefact:
                checks = run_checks(claim.match_text, sources, ev[0].passage.text if ev else None)
                rows.append({**claim_features(claim, ev, checks, sources), "decisive": decisive_failure(checks)})
        return rows

    def _warm(self, prepared: list[tuple]) -> None:
        """For the `crossencoder` judge: send every (chunk, claim) pair of a block of prepared summaries to the
        model in one call, so a torch model batches them; scoring each summary afterwards reads the pair cache.
        Other judges have nothing to warm."""
        from harness.judge import CrossEncoderJudge

        if not isinstance(self.judge, CrossEncoderJudge):
            return
        pairs = [pair for item in prepared for pair in self.judge.pairs(*item)[0]]
        self.judge.encoder.predict_pairs(pairs)

    def score(
        self, sources: list[str], summaries: list[str], progress: bool = False, block: int = 256
    ) -> list[float | None]:
        """Scores in input order. Summaries are prepared (claims, evidence) once each, a block at a time, so
        memory stays bounded however many pairs there are. Rows that share a source are faster adjacent:
        the evidence index of the last source is kept."""
        rows = list(zip(sources, summaries))
        scores: list[float | None] = []
        with tqdm(total=len(rows), disable=not progress, unit="pair", mininterval=5) as bar:
            for start in range(0, len(rows), block):
                prepared = [self._prepare(source, summary) for source, summary in rows[start : start + block]]
                self._warm(prepared)
                for item in prepared:
                    scores.append(self._summary_score(*item))
                bar.update(len(prepared))
        return scores
