"""Negation: a claim that negates what its best evidence affirms (or the reverse).

Compares negation cues in the claim and its best evidence passage when the two share most of their
content words (otherwise they are not about the same statement). Advisory: weighed by the judge.
"""

from __future__ import annotations

import re

from harness.checks.declaration import CONFLICT, FAIL, NA, PASS, Check, CheckName, CheckResult, SourceFacts
from harness.text import lexical_support

NEGATION = re.compile(r"\b(not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n[’']t\b", re.I)
SAME_STATEMENT = 0.5


def negations(text: str) -> int:
    return len(NEGATION.findall(text))


def check(claim: str, evidence: str | None) -> CheckResult:
    if not evidence or lexical_support(claim, evidence) < SAME_STATEMENT:
        return CheckResult("negation", NA)
    a, b = negations(claim) > 0, negations(evidence) > 0
    if a == b:
        return CheckResult("negation", PASS)
    which = "the claim negates what the source affirms" if a else "the source negates what the claim affirms"
    return CheckResult("negation", FAIL, which, CONFLICT, f"Polarity differs: {which}.")


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check(claim, evidence)]


CHECK = Check(order=60, names=(CheckName("negation"),), run=run)
