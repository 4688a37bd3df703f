"""The calibrated judge: a logistic regression over evidence and check features, fitted on benchmark data.

Its parameters were fitted on SummEdits `val` by `benchmarks/fit_judge.py` and are shipped, with the numbers
that fit produced, in `harness/judge_params.json`: the fitted features (in the order they were fitted), their
coefficients, the intercept and the threshold.

The features a claim has are the evidence features below and one `<group>_fail` per feature group of the
checks (each check declares its group in harness.checks; the meaning checks share "meaning"). A model uses
the features it was fitted on: a check added later is not a feature of it until it is refitted, and a
fitted feature that nothing computes any longer is refused when the judge is built.
"""

from __future__ import annotations

import json
import math
from importlib import resources

from harness.checks import FEATURE_GROUPS
from harness.checks.declaration import FAIL, CheckResult, SourceFacts
from harness.judges.contract import Assessment, Judge
from harness.reading.claims import Claim
from harness.reading.retrieval import Evidence
from harness.text import content_tokens

EVIDENCE_FEATURES = ("best_score", "best_cosine", "best_lexical", "top3_lexical", "novel_share", "novel_names")
CHECK_GROUPS = tuple(dict.fromkeys(FEATURE_GROUPS.values()))  # in the checks' order
FEATURES = EVIDENCE_FEATURES + tuple(f"{group}_fail" for group in CHECK_GROUPS)  # what claim_features gives


def claim_features(
    claim: Claim, evidence: list[Evidence], checks: list[CheckResult], sources: SourceFacts
) -> dict[str, float]:
    """What the calibrated judge sees of a claim (FEATURES), every value in [0, 1]."""
    tokens = sources.cached("all_tokens", lambda: set().union(*(content_tokens(s) for s in sources.sentences)))
    own = content_tokens(claim.match_text)
    novel = own - tokens
    capitalised = {w for w in claim.match_text.split()[1:] if w[:1].isupper()}
    failed = {FEATURE_GROUPS.get(c.check, c.check) for c in checks if c.status == FAIL}
    return {
        "best_score": evidence[0].score if evidence else 0.0,
        "best_cosine": evidence[0].cosine if evidence else 0.0,
        "best_lexical": evidence[0].lexical if evidence else 0.0,
        "top3_lexical": max((e.lexical for e in evidence), default=0.0),
        "novel_share": len(novel) / len(own) if own else 0.0,
        "novel_names": min(1.0, len(content_tokens(" ".join(capitalised)) - tokens) / 2),
        **{f"{group}_fail": float(group in failed) for group in CHECK_GROUPS},
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
        self.features = tuple(self.params["features"])
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown:
            raise ValueError(
                f"calibrated judge: its parameters weigh {', '.join(unknown)}, which no check gives any longer "
                f"(features now: {', '.join(FEATURES)}); refit them (benchmarks/fit_judge.py)"
            )
        self.weights = [self.params["coefficients"][f] for f in self.features]
        self.intercept = self.params["intercept"]
        self.threshold = threshold if threshold is not None else self.params["threshold"]

    def probability(self, features: dict[str, float]) -> float:
        z = self.intercept + sum(w * features[f] for w, f in zip(self.weights, self.features))
        return 1.0 / (1.0 + math.exp(-z))

    def assess(self, claims, evidence, checks, sources) -> list[Assessment]:
        ps = [self.probability(claim_features(c, ev, ch, sources)) for c, ev, ch in zip(claims, evidence, checks)]
        return [Assessment(p, f"calibrated p = {p:.2f}") for p in ps]
