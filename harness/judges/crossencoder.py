"""The cross-encoder judge: a claim read together with the source chunks that hold its evidence.

The model is the harness's own (harness/models/consistency-minilm, or the NLI one), or a user's; see
harness.runtime.cross_encoders for how it is loaded, which of its classes means "consistent", and how its scores are
cached. The decisive checks still override it (`decide`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.checks.declaration import SourceFacts
from harness.config import Config
from harness.judges.contract import Assessment, Judge
from harness.reading.chunks import Chunk, chunk_sentences
from harness.reading.claims import Claim
from harness.reading.retrieval import Evidence
from harness.runtime.cross_encoders import CrossEncoder
from harness.runtime.model_files import SHIPPED


class CrossEncoderJudge(Judge):
    """The harness's own cross-encoder (harness.runtime.cross_encoders) reads each claim against the source chunks
    that hold its evidence; `p_support` is the highest p(consistent) over those chunks, and failed
    decisive checks still override it (`decide`). `chunks = "all"` reads every chunk of every reference
    (slower, for sources where retrieval may miss). Any sequence-classification model serves: `label` names
    its consistent class where its config's labels do not, `nli = "entailment-minus-contradiction"` scores
    an NLI model SummaC's way (harness.runtime.output_head.make_head); a label set it cannot read fails here."""

    name = "crossencoder"

    @classmethod
    def config_options(cls, config: Config) -> dict[str, Any]:
        """The model harness.toml names (`[models] consistency`) and a cache folder for its scores."""
        return {"model": config.consistency_model, "cache_dir": Path(config.cache) / "crossencoder"}

    def __init__(
        self,
        model: str | None = None,
        threshold: float | None = None,
        chunks: str = "evidence",
        batch_size: int | None = None,
        cache_dir: Path | None = None,
        label: str | None = None,
        nli: str = "entailment",
        refute_threshold: float | None = None,
    ):
        if chunks not in ("evidence", "all"):
            raise ValueError(f"judge option chunks = '{chunks}': expected 'evidence' or 'all'")
        self.encoder = CrossEncoder(model or SHIPPED, cache_dir, batch_size, label=label, nli=nli)
        self.threshold = threshold if threshold is not None else float(self.encoder.settings.get("threshold", 0.5))
        # a model with a contradiction class calls a claim contradicted when some chunk refutes it this surely
        self.refute_threshold = (
            refute_threshold
            if refute_threshold is not None
            else float(self.encoder.settings.get("contradiction_threshold", 0.5))
        )
        self.chunks = chunks

    def _story_chunks(self, sources: SourceFacts, budget: int) -> list[Chunk]:
        """Chunks of every reference with sentence indices into `sources.sentences`, computed once per story."""

        def compute() -> list[Chunk]:
            out = []
            for start, end in sources.document_runs():
                for c in chunk_sentences(sources.sentences[start:end], self.encoder.count, budget):
                    out.append(Chunk(c.text, c.first + start, c.last + start))
            return out

        return sources.cached(f"chunks:{self.encoder.fingerprint}:{budget}", compute)

    def claim_chunks(self, claim: Claim, evidence: list[Evidence], sources: SourceFacts) -> list[Chunk]:
        # the premise shrinks only for a claim so long that premise + claim would pass the model's 512 positions
        budget = min(self.encoder.chunk_budget, 509 - self.encoder.count(claim.match_text))
        chunks = self._story_chunks(sources, max(32, budget))
        if self.chunks == "all":
            return chunks
        wanted = {e.passage.index for e in evidence}
        return [c for c in chunks if any(c.first <= i <= c.last for i in wanted)]

    def pairs(
        self, claims: list[Claim], evidence: list[list[Evidence]], sources: SourceFacts
    ) -> tuple[list[tuple[str, str]], list[int]]:
        """The (chunk, claim) pairs the model reads for these claims, and the claim index each belongs to."""
        pairs, owners = [], []
        for i, (claim, ev) in enumerate(zip(claims, evidence)):
            if not claim.is_artefact:
                for chunk in self.claim_chunks(claim, ev, sources):
                    pairs.append((chunk.text, claim.match_text))
                    owners.append(i)
        return pairs, owners

    def assess(self, claims, evidence, checks, sources) -> list[Assessment]:
        """The best support over the claim's chunks and, for a model with a contradiction class, the strongest
        refutation over them (`p_refuted`; None otherwise): a claim no chunk supports is then contradicted when
        a chunk refutes it at `refute_threshold` or above (`decide`)."""
        pairs, owners = self.pairs(claims, evidence, sources)
        support, refuted = self.encoder.predict_detail(pairs)
        best: dict[int, float] = {}
        worst: dict[int, float] = {}
        read: dict[int, int] = {}
        for n, owner in enumerate(owners):
            best[owner] = max(best.get(owner, 0.0), float(support[n]))
            if refuted is not None:
                worst[owner] = max(worst.get(owner, 0.0), float(refuted[n]))
            read[owner] = read.get(owner, 0) + 1
        return [
            Assessment(
                best.get(i, 0.0),
                f"cross-encoder p = {best.get(i, 0.0):.2f}, best of {read.get(i, 0)} chunk(s)"
                + (f"; p(contradiction) = {worst.get(i, 0.0):.2f}" if refuted is not None else ""),
                worst.get(i, 0.0) if refuted is not None else None,
            )
            for i in range(len(claims))
        ]
