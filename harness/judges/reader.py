"""The NLI reader: each claim read against the source text that can decide it, at the grain an NLI model
was trained on, with the premise that decided kept.

Why sentences: an MNLI-style model reads a premise of one or two sentences well and a whole document badly
(SummaC's ablation: 56.4 balanced accuracy with the document as premise, 70.3 with single sentences), so the
reader gives it single source sentences and windows of two adjacent ones (a fact stated across a sentence
boundary), the SummaC-ZS / MiniCheck regime, and takes the best premise (max p(entailment)). To keep the
cost bounded it reads only the sentences the evidence index put first for the claim (`premises` of them) and
their neighbours, never the whole source. Models trained on longer premises (AlignScore, MiniCheck) read
`chunks` instead: runs of sentences of about `CHUNK_WORD_PIECES`, the ones holding the claim's evidence.

Every (model, premise, claim) probability is cached by harness.crossencoder, so a warm run computes none.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.checks.base import SourceFacts
from harness.chunks import chunk_sentences
from harness.crossencoder import CrossEncoder
from harness.evidence import Evidence

READINGS = ("sentences", "chunks")  # the reading regimes: NLI models / AlignScore- and MiniCheck-style models
CHUNK_WORD_PIECES = 400  # the `chunks` regime's premise size (AlignScore splits its context into ~350 words)
MODEL_POSITIONS = 509  # 512 positions less [CLS] and two [SEP]: premise + claim must fit


@dataclass(frozen=True)
class Reading:
    """What the model made of one claim: its best p(entailment) over the premises read, the premise that gave
    it, the strongest p(contradiction) over them (None for a model without that class) and how many were read."""

    p_entailment: float
    p_contradiction: float | None
    premise: str
    premises_read: int


class NLIReader:
    """(claim, its evidence, the story's sources) -> a Reading, for many claims in one model call."""

    def __init__(self, encoder: CrossEncoder, reading: str = "sentences", premises: int = 2):
        if reading not in READINGS:
            raise ValueError(f"reading = '{reading}': expected one of {', '.join(READINGS)}")
        if not isinstance(premises, int) or isinstance(premises, bool) or premises < 1:
            raise ValueError(f"premises = {premises!r}: expected a whole number of evidence sentences, 1 or more")
        self.encoder, self.reading, self.premises = encoder, reading, premises

    def premise_texts(self, claim: str, evidence: list[Evidence], sources: SourceFacts) -> list[str]:
        """The premises one claim is read against, best evidence first, each fitting the model with the claim."""
        budget = max(32, MODEL_POSITIONS - self.encoder.count(claim))
        wanted = [e.passage.index for e in evidence[: self.premises]]
        if self.reading == "chunks":
            spans = self._chunk_spans(sources, min(budget, CHUNK_WORD_PIECES), wanted)
        else:
            spans = sentence_windows(wanted, sources.document_runs())
        texts: list[str] = []
        for first, last in spans:
            for part in chunk_sentences([" ".join(sources.sentences[first : last + 1])], self.encoder.count, budget):
                texts.append(part.text)  # a window too long for the model is read in overlapping parts
        return list(dict.fromkeys(t for t in texts if t.strip()))

    def _chunk_spans(self, sources: SourceFacts, budget: int, wanted: list[int]) -> list[tuple[int, int]]:
        def compute() -> list[tuple[int, int]]:
            spans = []
            for start, end in sources.document_runs():
                for c in chunk_sentences(sources.sentences[start:end], self.encoder.count, budget):
                    spans.append((c.first + start, c.last + start))
            return spans

        spans = sources.cached(f"reader-chunks:{self.encoder.fingerprint}:{budget}", compute)
        return [s for s in spans if any(s[0] <= i <= s[1] for i in wanted)]

    def read(self, claims: list[str], premises: list[list[str]]) -> list[Reading]:
        """One Reading per claim; every pair of every claim goes to the model in one call (cached pairs are not
        recomputed). A claim with no premise (no evidence) reads as p(entailment) 0."""
        pairs = [(premise, claim) for claim, texts in zip(claims, premises) for premise in texts]
        entail, contra = self.encoder.predict_detail(pairs) if pairs else ([], None)
        readings, n = [], 0
        for texts in premises:
            if not texts:
                readings.append(Reading(0.0, 0.0 if self.encoder.head.refute is not None else None, "", 0))
                continue
            scores = [float(p) for p in entail[n : n + len(texts)]]
            best = max(range(len(texts)), key=scores.__getitem__)
            refuted = None if contra is None else max(float(p) for p in contra[n : n + len(texts)])
            readings.append(Reading(scores[best], refuted, texts[best], len(texts)))
            n += len(texts)
        return readings


def sentence_windows(indices: list[int], runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(first, last) sentence spans: each index alone, then with the sentence before and after it, never
    across two documents (`runs`: each reference's [start, end) sentence range). In order, without repeats."""
    spans: list[tuple[int, int]] = []
    for i in indices:
        start, end = next(((s, e) for s, e in runs if s <= i < e), (i, i + 1))
        spans.append((i, i))
        if i - 1 >= start:
            spans.append((i - 1, i))
        if i + 1 < end:
            spans.append((i, i + 1))
    return list(dict.fromkeys(spans))
