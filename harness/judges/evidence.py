"""The default judge: the best evidence score through a hand-set logistic curve, overridden by failed checks.

Deliberately simple: a logistic curve over the best evidence score (blended cosine + lexical support, see
harness.reading.retrieval) whose centre and slope are set by hand, not fitted; failed fact checks, the meaning checks
among them, override it (`decide`). It stays the default because it measures best on SummEval and on the
example story's hand labels (README, meta-evaluation).
"""

from __future__ import annotations

import math

from harness.judges.contract import Assessment, Judge


class EvidenceJudge(Judge):
    """Evidence similarity through a hand-set logistic curve, overridden by failed fact checks."""

    name = "evidence"

    def __init__(self, center: float = 0.5, slope: float = 0.06, threshold: float = 0.5):
        self.center, self.slope, self.threshold = center, slope, threshold

    def probability(self, best_score: float) -> float:
        return 1.0 / (1.0 + math.exp(-(best_score - self.center) / self.slope))

    def assess(self, claims, evidence, checks, sources) -> list[Assessment]:
        best = [ev[0].score if ev else 0.0 for ev in evidence]
        return [Assessment(self.probability(b), f"best evidence score {b:.2f}") for b in best]
