"""The NLI reader: each claim read against the source text that can decide it, at the grain an NLI model
was trained on, with the premise that decided kept.

Why sentences: an MNLI-style model reads a premise of one or two sentences well and a whole document badly
(SummaC's ablation: 56.4 balanced accuracy with the document as premise, 70.3 with single sentences), so the
reader gives it single source sentences and windows of two adjacent ones (a fact stated across a sentence
boundary), the SummaC-ZS / MiniCheck regime, and takes the best premise (max p(entailment)). To keep the
cost bounded it reads only the sentences the evidence index put first for the claim (`premises` of them) and
their neighbours, never the whole source. Models trained on longer premises (AlignScore, MiniCheck) read
`chunks` instead: runs of sentences of about `CHUNK_WORD_PIECES`, the ones holding the claim's evidence.

Every (model, premise, claim) probability is cached by harness.runtime.cross_encoders, so a warm run computes none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.checks.declaration import SourceFacts
from harness.reading.chunks import chunk_sentences
from harness.reading.retrieval import Evidence
from harness.runtime.cross_encoders import CrossEncoder

READINGS = ("sentences", "chunks")  # the reading regimes: NLI models / AlignScore- and MiniCheck-style models
CHUNK_WORD_PIECES = 400  # the `chunks` regime's premise size (AlignScore splits its context into ~350 words)
MODEL_POSITIONS = 509  # 512 positions less [CLS] and two [SEP]: premise + claim must fit


@dataclass(frozen=True)
class Reading:
    """What the model made of one claim. `p_entailment` is its best p(entailment) over every premise read and
    `premise` the one that gave it (what a user checks); `p_sentence` is the best over the first reading (single
    sentences, or chunks) and `p_window` the best over windows of two (None when they were not read); the
    strongest p(contradiction) over every premise read (None for a model without that class)."""

    p_entailment: float
    p_contradiction: float | None
    premise: str
    premises_read: int
    p_sentence: float = 0.0
    p_window: float | None = None


@dataclass(frozen=True)
class Premises:
    """The premises of one claim: `first` (single sentences, or chunks) always read, `windows` (two adjacent
    sentences) read only when no first premise entails the claim (`WINDOW_BELOW`)."""

    first: list[str]
    windows: list[str]


WINDOW_BELOW = 0.5  # a claim no single sentence entails this surely is read against windows of two as well


def check_reading(reading: Any, premises: Any) -> None:
    """A ValueError naming a reading regime or a premise count the reader cannot take (the reader's and the
    `nli` judge's option check, before any model loads)."""
    if reading not in READINGS:
        raise ValueError(f"reading = {reading!r}: expected one of {', '.join(READINGS)}")
    if not isinstance(premises, int) or isinstance(premises, bool) or premises < 1:
        raise ValueError(f"premises = {premises!r}: expected a whole number of evidence sentences, 1 or more")


class NLIReader:
    """(claim, its evidence, the story's sources) -> a Reading, for many claims in one model call per stage.

    In the `sentences` regime a claim is read first against each of its best `premises` evidence sentences
    alone; only a claim none of them entails (p < WINDOW_BELOW) is then read against windows of two around
    them, the case a fact stated across a sentence boundary makes. Why two stages: on one-edit probes the
    windows raise the edited claims' p(entailment) more than the true ones' (the model is easier to fool with a
    longer premise: ROC AUC .945 with single sentences, .920 with windows added, benchmarks/fit_nli_judge.py's
    edits), and a claim a single sentence entails gains nothing from them, at three times the cost."""

    def __init__(self, encoder: CrossEncoder, reading: str = "sentences", premises: int = 2):
        check_reading(reading, premises)
        self.encoder, self.reading, self.premises = encoder, reading, premises

    def premise_texts(self, claim: str, evidence: list[Evidence], sources: SourceFacts) -> Premises:
        """The premises one claim may be read against, best evidence first, each fitting the model with the claim."""
        budget = max(32, MODEL_POSITIONS - self.encoder.count(claim))
        wanted = list(dict.fromkeys(e.passage.index for e in evidence[: self.premises]))
        if self.reading == "chunks":
            return Premises(
                self._texts(sources, self._chunk_spans(sources, min(budget, CHUNK_WORD_PIECES), wanted), budget), []
            )
        spans = sentence_windows(wanted, sources.document_runs())
        first = self._texts(sources, [s for s in spans if s[0] == s[1]], budget)
        windows = self._texts(sources, [s for s in spans if s[0] != s[1]], budget)
        return Premises(first, [w for w in windows if w not in first])

    def _texts(self, sources: SourceFacts, spans: list[tuple[int, int]], budget: int) -> list[str]:
        texts: list[str] = []
        for first, last in spans:
            for part in chunk_sentences([" ".join(sources.sentences[first : last + 1])], self.encoder.count, budget):
                texts.append(part.text)  # a premise too long for the model is read in overlapping parts
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

    def read(self, claims: list[str], premises: list[Premises]) -> list[Reading]:
        """One Reading per claim; each stage's pairs of every claim go to the model in one call (cached pairs are
        not recomputed). A claim with no premise (no evidence) reads as p(entailment) 0."""
        first = self._scores(claims, [p.first for p in premises])
        second_wanted = [
            p.windows if p.windows and max(first[i][0], default=0.0) < WINDOW_BELOW else []
            for i, p in enumerate(premises)
        ]
        second = self._scores(claims, second_wanted)
        refutes = self.encoder.head.refute is not None
        readings = []
        for p, texts, (e1, c1), (e2, c2) in zip(premises, second_wanted, first, second):
            read = p.first + texts
            entail, contra = e1 + e2, c1 + c2
            if not read:
                readings.append(Reading(0.0, 0.0 if refutes else None, "", 0))
                continue
            best = max(range(len(read)), key=entail.__getitem__)
            readings.append(
                Reading(
                    entail[best],
                    max(contra) if refutes else None,
                    read[best],
                    len(read),
                    max(e1, default=0.0),
                    max(e2) if e2 else None,
                )
            )
        return readings

    def _scores(self, claims: list[str], premises: list[list[str]]) -> list[tuple[list[float], list[float]]]:
        """(p(entailment) per premise, p(contradiction) per premise) for each claim, from one model call."""
        pairs = [(premise, claim) for claim, texts in zip(claims, premises) for premise in texts]
        entail, contra = self.encoder.predict_detail(pairs) if pairs else ([], None)
        out, n = [], 0
        for texts in premises:
            e = [float(x) for x in entail[n : n + len(texts)]]
            c = [float(x) for x in contra[n : n + len(texts)]] if contra is not None else [0.0] * len(texts)
            out.append((e, c))
            n += len(texts)
        return out


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
