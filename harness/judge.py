"""Judges: claim + evidence + checks -> `p_support` in [0, 1] and a verdict.

Verdicts: `supported`, `contradicted` (the sources state something incompatible), `unsupported` (the
sources are silent), `artefact` (not summary content; no `p_support`). A judge is any class with a
`name` and `judge(claims, evidence, sources)`; the config picks one by name from `JUDGES`.

`EvidenceJudge` is the first, deliberately simple judge: a logistic curve over the best evidence score
(blended cosine + lexical support) whose centre and slope are set by hand, not fitted; failed fact checks
override it. Its numbers are placeholders until a calibrated judge is fitted on benchmark data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from harness.checks import CONFLICT, FAIL, MISSING, CheckResult, SourceFacts, run_checks
from harness.claims import Claim
from harness.evidence import Evidence

SUPPORTED, CONTRADICTED, UNSUPPORTED, ARTEFACT = "supported", "contradicted", "unsupported", "artefact"
VERDICTS = (SUPPORTED, CONTRADICTED, UNSUPPORTED, ARTEFACT)


@dataclass
class Judgement:
    verdict: str
    p_support: float | None
    checks: list[CheckResult] = field(default_factory=list)
    reason: str = ""

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if c.status == FAIL]


class Judge(Protocol):
    name: str

    def judge(self, claims: list[Claim], evidence: list[list[Evidence]], sources: SourceFacts) -> list[Judgement]:
        """One judgement per claim, in order."""


class EvidenceJudge:
    """Evidence similarity through a hand-set logistic curve, overridden by failed fact checks."""

    name = "evidence"

    def __init__(self, center: float = 0.5, slope: float = 0.06, threshold: float = 0.5):
        self.center, self.slope, self.threshold = center, slope, threshold

    def probability(self, best_score: float) -> float:
        return 1.0 / (1.0 + math.exp(-(best_score - self.center) / self.slope))

    def judge_one(self, claim: Claim, evidence: list[Evidence], sources: SourceFacts) -> Judgement:
        if claim.is_artefact:
            return Judgement(ARTEFACT, None, [], f"not summary content: {claim.artefact}")
        best = evidence[0].score if evidence else 0.0
        p = self.probability(best)
        checks = run_checks(claim.text, sources)
        failed = [c for c in checks if c.status == FAIL]
        if any(c.kind == CONFLICT for c in failed):
            return Judgement(CONTRADICTED, round(p * 0.1, 4), checks, "a fact check found a conflicting source statement")
        if any(c.kind == MISSING for c in failed):
            return Judgement(UNSUPPORTED, round(p * 0.3, 4), checks, "a fact check found a detail the sources never state")
        verdict = SUPPORTED if p >= self.threshold else UNSUPPORTED
        return Judgement(verdict, round(p, 4), checks, f"best evidence score {best:.2f}")

    def judge(self, claims: list[Claim], evidence: list[list[Evidence]], sources: SourceFacts) -> list[Judgement]:
        return [self.judge_one(c, e, sources) for c, e in zip(claims, evidence)]


JUDGES = {"evidence": EvidenceJudge}


def make_judge(name: str, **options) -> Judge:
    if name not in JUDGES:
        raise ValueError(f"unknown judge '{name}': expected one of {', '.join(sorted(JUDGES))}")
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
