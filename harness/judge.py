"""Judges: claim + evidence + checks -> `p_support` in [0, 1] and a verdict.

`EvidenceJudge` is the default (see below). `CalibratedJudge` is a logistic regression over evidence and check features whose
parameters were fitted on SummEdits `val` by `benchmarks/fit_judge.py` and are shipped, with the numbers
that fit produced, in `harness/judge_params.json`.

Verdicts: `supported`, `contradicted` (the sources state something incompatible), `unsupported` (the
sources are silent), `artefact` (not summary content; no `p_support`). A judge subclasses `Judge`, which owns
evidence -> checks -> decision, and implements `assess` (its support for each claim); the config picks one
by name from `JUDGES`. The LLM judge lives in harness.llm.

`CrossEncoderJudge` reads claim and evidence together with the harness's own trained model
(harness/models/consistency-minilm); see harness.crossencoder.

`EvidenceJudge` (the default) is deliberately simple: a logistic curve over the best evidence score (blended
cosine + lexical support) whose centre and slope are set by hand, not fitted; failed fact checks, the meaning
checks among them, override it. It stays the default because it measures best on SummEval and on the example
story's hand labels (README, meta-evaluation).
"""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from harness.checks import CONFLICT, DECISIVE, FAIL, MISSING, CheckResult, SourceFacts, run_checks
from harness.checks.names import prefetch_entities
from harness.chunks import Chunk, chunk_sentences
from harness.claims import Claim
from harness.evidence import Evidence
from harness.registry import ARTEFACT, CONTRADICTED, SUPPORTED, UNSUPPORTED
from harness.text import content_tokens


@dataclass
class Judgement:
    verdict: str
    p_support: float | None
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == FAIL]


def artefact_judgement(claim: Claim) -> Judgement:
    """Every judge's answer for an artefact: not a statement of fact, so no p_support."""
    return Judgement(ARTEFACT, None, [], f"not summary content: {claim.artefact}")


class Judge:
    """What every judge does: evidence -> checks -> decision. Artefacts are never scored; every other claim gets
    every check on its best evidence, the judge's own assessment of it (`assess`, the one thing a judge
    implements, for all of a candidate's claims at once so a model can batch them), and `verdict` turns
    assessment and checks into a judgement (by default `decide`: the decisive checks overrule)."""

    name = ""
    threshold = 0.5

    def assess(
        self, claims: list[Claim], evidence: list[list[Evidence]], checks: list[list[CheckResult]], sources: SourceFacts
    ) -> list:
        """For each claim (never an artefact), in order: (p_support, reason), or what `verdict` reads."""
        raise NotImplementedError

    def verdict(self, assessment, checks: list[CheckResult]) -> Judgement:
        p, reason = assessment
        return decide(p, checks, self.threshold, reason)

    def judge(self, claims: list[Claim], evidence: list[list[Evidence]], sources: SourceFacts) -> list[Judgement]:
        """One judgement per claim, in order."""
        todo = [i for i, c in enumerate(claims) if not c.is_artefact]
        prefetch_entities([claims[i].match_text for i in todo])
        checks = [
            run_checks(claims[i].match_text, sources, evidence[i][0].passage.text if evidence[i] else None)
            for i in todo
        ]
        assessed = self.assess([claims[i] for i in todo], [evidence[i] for i in todo], checks, sources)
        judgements: list[Judgement] = [artefact_judgement(c) for c in claims]
        for i, found, assessment in zip(todo, checks, assessed):
            judgements[i] = self.verdict(assessment, found)
        return judgements


class EvidenceJudge(Judge):
    """Evidence similarity through a hand-set logistic curve, overridden by failed fact checks."""

    name = "evidence"

    def __init__(self, center: float = 0.5, slope: float = 0.06, threshold: float = 0.5):
        self.center, self.slope, self.threshold = center, slope, threshold

    def probability(self, best_score: float) -> float:
        return 1.0 / (1.0 + math.exp(-(best_score - self.center) / self.slope))

    def assess(self, claims, evidence, checks, sources) -> list[tuple[float, str]]:
        best = [ev[0].score if ev else 0.0 for ev in evidence]
        return [(self.probability(b), f"best evidence score {b:.2f}") for b in best]


def decide(p: float, checks: list[CheckResult], threshold: float, reason: str) -> Judgement:
    """Turn a support probability and the checks into a verdict. A decisive check (numbers, dates,
    quotations) that finds a conflicting source statement makes the claim contradicted, one that finds a
    detail no source states makes it unsupported; p_support is lowered to match. Advisory checks (names,
    negation) only count through the judge's features."""
    failure = decisive_failure(checks)
    if failure == CONFLICT:
        return Judgement(CONTRADICTED, round(p * 0.1, 4), checks, "a fact check found a conflicting source statement")
    if failure == MISSING:
        return Judgement(UNSUPPORTED, round(p * 0.3, 4), checks, "a fact check found a detail the sources never state")
    return Judgement(SUPPORTED if p >= threshold else UNSUPPORTED, round(p, 4), checks, reason)


def decisive_failure(checks: list[CheckResult]) -> str:
    """CONFLICT if a decisive check found a conflicting statement, else MISSING if one found an unstated detail,
    else ''."""
    decisive = [c for c in checks if c.status == FAIL and c.check in DECISIVE]
    if any(c.kind == CONFLICT for c in decisive):
        return CONFLICT
    return MISSING if decisive else ""


FEATURES = (
    "best_score",
    "best_cosine",
    "best_lexical",
    "top3_lexical",
    "novel_share",
    "novel_names",
    "number_fail",
    "date_fail",
    "quote_fail",
    "name_fail",
    "negation_fail",
    "role_fail",
    "meaning_fail",
    "novel_fail",
)
MEANING_CHECKS = ("antonym", "reporting", "modality", "substitution", "swap", "attribution")  # harness.checks.meaning


def claim_features(
    claim: Claim, evidence: list[Evidence], checks: list[CheckResult], sources: SourceFacts
) -> dict[str, float]:
    """What the calibrated judge sees of a claim, every value in [0, 1]."""
    tokens = sources.cached("all_tokens", lambda: set().union(*(content_tokens(s) for s in sources.sentences)))
    own = content_tokens(claim.match_text)
    novel = own - tokens
    capitalised = {w for w in claim.match_text.split()[1:] if w[:1].isupper()}
    failed = {c.check for c in checks if c.status == FAIL}
    return {
        "best_score": evidence[0].score if evidence else 0.0,
        "best_cosine": evidence[0].cosine if evidence else 0.0,
        "best_lexical": evidence[0].lexical if evidence else 0.0,
        "top3_lexical": max((e.lexical for e in evidence), default=0.0),
        "novel_share": len(novel) / len(own) if own else 0.0,
        "novel_names": min(1.0, len(content_tokens(" ".join(capitalised)) - tokens) / 2),
        **{f"{name}_fail": float(name in failed) for name in ("number", "date", "quote", "name", "negation", "role")},
        "meaning_fail": float(bool(failed.intersection(MEANING_CHECKS))),
        "novel_fail": float("novel" in failed),
    }


class CalibratedJudge(Judge):
    """Logistic regression over `claim_features`, with parameters fitted on benchmark data."""

    name = "calibrated"

    def __init__(self, params: str | None = None, threshold: float | None = None):
        text = (
            open(params, encoding="utf-8").read()
            if params
            else resources.files("harness").joinpath("judge_params.json").read_text("utf-8")
        )
        self.params = json.loads(text)
        self.weights = [self.params["coefficients"][f] for f in FEATURES]
        self.intercept = self.params["intercept"]
        self.threshold = threshold if threshold is not None else self.params["threshold"]

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept + sum(w * features[f] for w, f in zip(self.weights, FEATURES))
        return 1.0 / (1.0 + math.exp(-z))

    def assess(self, claims, evidence, checks, sources) -> list[tuple[float, str]]:
        ps = [self.probability(claim_features(c, ev, ch, sources)) for c, ev, ch in zip(claims, evidence, checks)]
        return [(p, f"calibrated p = {p:.2f}") for p in ps]


class CrossEncoderJudge(Judge):
    """The harness's own cross-encoder (harness.crossencoder) reads each claim against the source chunks
    that hold its evidence; `p_support` is the highest p(consistent) over those chunks, and failed
    decisive checks still override it (`decide`). `chunks = "all"` reads every chunk of every reference
    (slower, for sources where retrieval may miss). Any sequence-classification model serves: `label` names
    its consistent class where its config's labels do not, `nli = "entailment-minus-contradiction"` scores
    an NLI model SummaC's way (harness.crossencoder.make_head); a label set it cannot read fails here."""

    name = "crossencoder"

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
        from harness.crossencoder import SHIPPED, CrossEncoder

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

    def assess(self, claims, evidence, checks, sources) -> list[tuple[float, str, float | None]]:
        """(p_support, reason, p_refuted): the best support over the claim's chunks and, for a model with a
        contradiction class, the strongest refutation over them (None otherwise)."""
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
            (
                best.get(i, 0.0),
                f"cross-encoder p = {best.get(i, 0.0):.2f}, best of {read.get(i, 0)} chunk(s)"
                + (f"; p(contradiction) = {worst.get(i, 0.0):.2f}" if refuted is not None else ""),
                worst.get(i, 0.0) if refuted is not None else None,
            )
            for i in range(len(claims))
        ]

    def verdict(self, assessment, checks: list[CheckResult]) -> Judgement:
        """The decisive checks first (`decide`); then a claim no chunk supports is contradicted when a chunk
        refutes it (p(contradiction) at or above `refute_threshold`), else unsupported."""
        p, reason, refuted = assessment
        judgement = decide(p, checks, self.threshold, reason)
        if (
            judgement.verdict == UNSUPPORTED
            and not decisive_failure(checks)
            and (refuted or 0.0) >= self.refute_threshold
        ):
            return Judgement(CONTRADICTED, judgement.p_support, checks, reason + ": the model reads a refutation")
        return judgement


def llm_judge(**options) -> Judge:
    """The LLM judge (harness.llm: an OpenAI-compatible chat endpoint), imported when named, since it
    builds on this module."""
    from harness.llm import LLMJudge

    return LLMJudge(**options)


JUDGES = {"evidence": EvidenceJudge, "calibrated": CalibratedJudge, "crossencoder": CrossEncoderJudge, "llm": llm_judge}


def check_judge(name: str, options: dict) -> None:
    """A judge name from JUDGES and options it takes, or a ValueError saying what it takes: a typo in
    harness.toml is one clear line, found by `validate` too, never a traceback mid-run."""
    if name not in JUDGES:
        raise ValueError(f"unknown judge '{name}': expected one of {', '.join(sorted(JUDGES))}")
    build = JUDGES[name]
    if build is llm_judge:
        from harness.llm import LLMJudge

        build = LLMJudge
    parameters = inspect.signature(build).parameters.values()
    accepted = [
        p.name
        for p in parameters
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        and (p.name not in ("cache_dir", "model") or (p.name == "model" and name == "llm"))
    ]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"[judge] options: judge '{name}' takes no option {', '.join(map(repr, unknown))} "
            f"(it takes: {', '.join(accepted) or 'none'})"
        )


def make_judge(name: str, config=None, **options) -> Judge:
    """The judge named in the config. Judges that read a model get the config's model and cache folder;
    the LLM judge gets a cache folder for its replies."""
    check_judge(name, options)
    if JUDGES[name] is CrossEncoderJudge and config is not None:
        options = {"model": config.consistency_model, "cache_dir": Path(config.cache) / "crossencoder", **options}
    if JUDGES[name] is llm_judge and config is not None:
        options = {"cache_dir": Path(config.cache) / "llm", **options}
    return JUDGES[name](**options)


def soft_minimum(values: list[float], sharpness: float = 10.0) -> float | None:
    """Summary-level consistency: a smooth minimum of the claims' p_support.

    One contradicted claim makes a summary inconsistent, so the summary score follows the weakest claim;
    the soft form (-log mean exp(-k p) / k) still rewards summaries whose other claims are well supported.
    """
    if not values:
        return None
    m = min(values)
    return m - math.log(sum(math.exp(-sharpness * (v - m)) for v in values) / len(values)) / sharpness
