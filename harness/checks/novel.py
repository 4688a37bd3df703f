"""Novel words: content words of a claim found in no source at all (whole-document support).

Advisory: paraphrase uses new words too, so the calibrated judge weighs it and it decides no verdict alone.
"""

from __future__ import annotations

from harness.checks.align import tokens
from harness.checks.declaration import FAIL, MISSING, NA, PASS, Check, CheckName, CheckResult, SourceFacts

NOVEL_SHARE, NOVEL_MIN = 0.5, 2  # the novel check fails when this share (and count) of content words is new


def check_novel(claim: str, sources: SourceFacts) -> CheckResult:
    """Content words found in no source at all (whole-document support)."""
    vocabulary = sources.cached("all_keys", lambda: {w.key for s in sources.sentences for w in tokens(s)})
    content = [w for w in tokens(claim) if w.is_content]
    new = list(dict.fromkeys(w.text for w in content if w.key not in vocabulary))
    if not content:
        return CheckResult("novel", NA)
    if len(new) >= NOVEL_MIN and len(new) / len(content) >= NOVEL_SHARE:
        shown = ", ".join(new[:6])
        return CheckResult(
            "novel",
            FAIL,
            f"{len(new)} of {len(content)} content words in no source: {shown}",
            MISSING,
            f"These words appear in no source: {shown}.",
        )
    return CheckResult("novel", PASS)


def run(claim: str, sources: SourceFacts, evidence: str | None) -> list[CheckResult]:
    return [check_novel(claim, sources)]


CHECK = Check(order=90, names=(CheckName("novel"),), run=run)
