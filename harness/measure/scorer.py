"""A summac-style scorer: `ConsistencyScorer().score(sources, summaries) -> list[float | None]`.

Each (source, summary) pair is evaluated like a one-reference story: the summary is split into claims,
each claim gets evidence from the source and a judgement, and the summary score is the soft minimum of
the claims' `p_support` (None when a summary has no scorable claim). This is the number `score-pairs`
writes and the gate reads.

Text versus files, everywhere in the public API: a `str` is the text itself, a `pathlib.Path` is a file read
exactly as `harness run` reads it. A path given as a `str` is scored as text, never opened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

from harness.checks import run_checks
from harness.checks.declaration import SourceFacts
from harness.config import Config, api_config
from harness.document import Document
from harness.evaluation.loaded_models import Models, load_models
from harness.ingest import read_document
from harness.ingest.blocks import lines_to_blocks
from harness.ingest.readers import lone_surrogate
from harness.judges.calibrated import claim_features
from harness.judges.contract import decisive_failure_kind, soft_minimum
from harness.judges.crossencoder import CrossEncoderJudge
from harness.reading.claims import Claim, no_scorable_claim, split_claims
from harness.reading.retrieval import Evidence, EvidenceIndex, build_index


def text_document(doc_id: str, text: str, headings: bool = True) -> Document:
    """A Document from a bare string, read with the same line rules as a plain-text file; a summary
    given as a string has no headings (every line of it is summary)."""
    return Document(doc_id, doc_id, "plain", text, lines_to_blocks(text, headings=headings), {}, doc_id)


def as_document(item: str | Path | Document, name: str, headings: bool = True) -> Document:
    """The one text-versus-file rule: a Document is used as it is, a Path is read as a file, a str is text."""
    if isinstance(item, Document):
        return item
    if isinstance(item, Path):
        return read_document(item)
    if isinstance(item, str):
        problem = lone_surrogate(item)
        if problem:
            raise ValueError(f"{name}: the text holds {problem}")
        return text_document(name, item, headings=headings)
    raise TypeError(f"{name}: expected a str (text), a pathlib.Path (file) or a Document, got {type(item).__name__}")


def unscored_reason(summary: str | Path | Document) -> str:
    """Why a summary got no score (str: text, Path: file): score-pairs' and meta-eval's reason."""
    return no_scorable_claim(split_claims(as_document(summary, "summary", headings=False)))


class Prepared(NamedTuple):
    """One summary ready to judge: its claims, each claim's evidence, and the source's derived facts."""

    claims: list[Claim]
    evidence: list[list[Evidence]]
    sources: SourceFacts


@dataclass
class SourceIndex:
    """A source's evidence index and the facts checks and chunking derive from it, built once per source."""

    key: tuple[str, str]
    index: EvidenceIndex
    facts: SourceFacts


class ConsistencyScorer:
    """Scores summaries against their sources with the configured embedding model and judge, loaded once.

    `config` (default: `api_config()`, the built-in defaults with caches in the user's cache folder) names the models, the judge and the cache folder.
    """

    def __init__(self, config: Config | None = None, models: Models | None = None):
        """`models`: already loaded ones (harness.evaluation.loaded_models.load_models) to share, else loaded from `config`."""
        self.config = config or api_config()
        self.models = models or load_models(self.config)
        self.embedder, self.judge = self.models.embedder, self.models.judge
        # Benchmarks pair one source with many summaries: the last source's index is kept, and only that one,
        # so memory stays bounded however many sources there are.
        self._source: SourceIndex | None = None

    def source_index(self, source: str | Path | Document) -> SourceIndex:
        """The evidence index and facts of `source` (str: text, Path: file), reused while the source repeats."""
        reference = as_document(source, "source")
        key = (reference.format, reference.text)
        if self._source is None or self._source.key != key:
            index = build_index([reference], self.embedder, self.config)
            facts = SourceFacts.of_passages(index.passages)
            self._source = SourceIndex(key, index, facts)
        return self._source

    def index_of(self, source: str | Path | Document) -> EvidenceIndex:
        """The evidence index of `source` (str: text, Path: file): its passages and their vectors."""
        return self.source_index(source).index

    def prepare(self, source: str | Path | Document, summary: str | Path | Document) -> Prepared:
        """The summary's claims with their evidence in the source, ready for the judge (str: text, Path: file)."""
        indexed = self.source_index(source)
        claims = split_claims(as_document(summary, "summary", headings=False))
        return Prepared(claims, indexed.index.search(claims), indexed.facts)

    def score_one(self, source: str | Path | Document, summary: str | Path | Document) -> float | None:
        """The summary's score in [0, 1] (str: text, Path: file), or None when it has no scorable claim."""
        return self._summary_score(self.prepare(source, summary))

    def _summary_score(self, prepared: Prepared) -> float | None:
        judgements = self.judge.judge(*prepared)
        return soft_minimum([j.p_support for j in judgements if j.p_support is not None], self.config.summary_sharpness)

    def claim_features(self, source: str | Path | Document, summary: str | Path | Document) -> list[dict[str, float]]:
        """Per non-artefact claim: the calibrated judge's features (what benchmarks/fit_judge.py fits on)."""
        claims, evidence, sources = self.prepare(source, summary)
        rows = []
        for claim, ev in zip(claims, evidence):
            if not claim.is_artefact:
                checks = run_checks(claim.match_text, sources, ev[0].passage.text if ev else None)
                rows.append({**claim_features(claim, ev, checks, sources), "decisive": decisive_failure_kind(checks)})
        return rows

    def _warm(self, prepared: list[Prepared]) -> None:
        """For the `crossencoder` judge: send every (chunk, claim) pair of a block of prepared summaries to the
        model in one call, so a torch model batches them; scoring each summary afterwards reads the pair cache.
        Other judges have nothing to warm."""
        if not isinstance(self.judge, CrossEncoderJudge):
            return
        pairs = [pair for item in prepared for pair in self.judge.pairs(*item)[0]]
        self.judge.encoder.predict_pairs(pairs)

    def score(
        self,
        sources: Sequence[str | Path | Document],
        summaries: Sequence[str | Path | Document],
        progress: bool = False,
        block: int = 256,
    ) -> list[float | None]:
        """One score in [0, 1] per (source, summary) pair, in input order; None for a summary with no
        scorable claim.

        `sources` and `summaries` are equally long lists; each item is a str (the text itself) or a
        pathlib.Path (a file). `progress` shows a progress bar. Summaries are prepared (claims, evidence) a
        `block` at a time, so memory stays bounded however many pairs there are. Rows that share a source
        are faster adjacent: the evidence index of the last source is kept."""
        rows = _pairs(sources, summaries)
        scores: list[float | None] = []
        with tqdm(total=len(rows), disable=None if progress else True, unit="pair", mininterval=5) as bar:
            for start in range(0, len(rows), block):
                prepared = [self.prepare(source, summary) for source, summary in rows[start : start + block]]
                self._warm(prepared)
                scores += [self._summary_score(item) for item in prepared]
                bar.update(len(prepared))
        return scores


def _pairs(sources: Sequence, summaries: Sequence) -> list[tuple]:
    """The (source, summary) rows, refusing what zip would silently get wrong: one string for a list (scored
    character by character) or lists of different lengths (the tail dropped)."""
    for name, items in (("sources", sources), ("summaries", summaries)):
        if isinstance(items, (str, Path, Document)):
            raise TypeError(f"score: {name} must be a list, one item per pair, not a single {type(items).__name__}")
    if len(sources) != len(summaries):
        raise ValueError(f"score: {len(sources)} sources but {len(summaries)} summaries; pass one of each per pair")
    return list(zip(sources, summaries))
